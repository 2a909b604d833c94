"""The `doorbraak` command: serve, migrate, demo, bench, create-facilitator, export, templates, backup and restore."""

import argparse
import asyncio
import ctypes
import getpass
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.config import Settings, settings_problems

T = TypeVar("T")


def uvicorn_options() -> dict[str, Any]:
    """How uvicorn runs Doorbraak; the websocket protocol is checked now, at start-up."""
    from app.live.protocol import http_protocol, server_protocol

    return {
        "factory": True,
        # uvicorn's httptools protocol, with deadlines for slow clients and freed as soon as a connection becomes a
        # websocket, where the installed uvicorn still has what it uses; else uvicorn's own (app/live/protocol.py)
        "http": http_protocol(),
        # compression doubles CPU and memory per connection for frames this small
        "ws_per_message_deflate": False,
        # uvicorn's websockets protocol with a plain write and a plain read for frames, where the installed uvicorn
        # and websockets still have what it uses; else uvicorn's own (app/live/protocol.py)
        "ws": server_protocol(),
        "ws_max_size": 1 << 20,
        # a phone on a crowded wifi may take longer than uvicorn's 5 s between the requests of a join (page, files,
        # form, phone page): a connection kept 30 s is not closed under it, which a browser then has to notice
        "timeout_keep_alive": 30,
        # uvicorn believes X-Forwarded-For from 127.0.0.1 by default, which let any local client name itself
        # anyone and slip past every limit: the app believes them from DOORBRAAK_TRUSTED_PROXIES only (app/main.py)
        "proxy_headers": False,
    }


def _wait_until_up(base_url: str, seconds: float = 30) -> None:
    import httpx  # only the demo waits like this; the server itself never needs an HTTP client

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server at {base_url} did not come up")


def _start_demo(base_url: str, settings: Settings, phones: int, pace: float) -> None:
    """Prepare a demo workshop, tell the person where to look, and run the simulated room in a thread."""
    from app.demo.driver import DEMO_EMAIL, prepare, run_demo

    def run() -> None:
        _wait_until_up(base_url)
        demo = prepare(settings)
        links = (
            f"    projector   {base_url}{demo.projector_path}\n"
            f"    board       {base_url}/f/workshops/{demo.workshop_id}"
            f"  (sign in as {DEMO_EMAIL} / {demo.password})\n"
            f"    your phone  {base_url}/j/{demo.code}\n"
        )
        print(f"\n  Live demo is starting:\n{links}", flush=True)
        time.sleep(3 * pace)  # a moment to open the projector before the room fills up
        asyncio.run(run_demo(base_url, demo, phones=phones, pace=pace, say=lambda m: print(m, flush=True)))
        # the request log has pushed the links off the screen by now
        print(f"\n  The demo session stays open:\n{links}", flush=True)

    threading.Thread(target=run, name="doorbraak-demo", daemon=True).start()


# glibc's mallopt parameter for the most arenas malloc keeps (malloc.h)
_M_ARENA_MAX = -8
MALLOC_ARENAS = 2


def cap_malloc_arenas() -> None:
    """Let malloc keep at most two arenas in this process and in the worker processes it starts.

    glibc gives a thread that allocates while another holds the main arena an arena of its own, and freed memory
    stays in it: with the reader threads and the writer thread that held about 6 MB more at 2,000 phones
    (`doorbraak bench --phones 2000`: 203.8 MB against 198.1 MB with two arenas, the same CPU).
    """
    # read by glibc when a process starts: the uvicorn workers this process spawns
    os.environ.setdefault("MALLOC_ARENA_MAX", str(MALLOC_ARENAS))
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl, macOS): their malloc has no such arenas to cap
        return
    libc.mallopt(_M_ARENA_MAX, int(os.environ["MALLOC_ARENA_MAX"]))


def shown_database(settings: Settings) -> str:
    """The database's address as it may be printed: without its password."""
    return make_url(settings.resolved_database_url()).render_as_string(hide_password=True)


def serve(args: argparse.Namespace) -> None:
    """Run the web server."""
    cap_malloc_arenas()
    settings = Settings()
    if args.workers > 1 and not settings.broadcast_url:
        raise SystemExit("--workers above 1 needs DOORBRAAK_BROADCAST_URL: without it each worker is its own room")
    base_url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"
    _migrate_apart(settings)
    print(f"Doorbraak runs at {base_url}  (database: {shown_database(settings)})", flush=True)
    if args.demo:
        _start_demo(base_url, settings, args.demo_phones, args.demo_pace)
    elif not _has_accounts(settings):
        print(f"  First time? Open {base_url}/setup to create your facilitator account.", flush=True)
    uvicorn.run(
        "app.main:create_app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        **uvicorn_options(),
    )


def _migrate_apart(settings: Settings) -> None:
    """Bring a database that is behind to the newest schema in a process of its own, before serving.

    The server then opens it at SCHEMA_HEAD without loading alembic, which with mako and pygments would take 13 MB
    of its memory for as long as it runs.
    """
    from app.store.database import SCHEMA_HEAD, Database

    db = Database(settings.resolved_database_url())
    try:
        current = db.schema_revision()
    finally:
        db.close()
    if current == SCHEMA_HEAD:
        return
    command = [sys.executable, "-c", "from app.cli import main; main()", "migrate"]
    if subprocess.run(command, check=False).returncode != 0:
        raise SystemExit("The database could not be brought to the newest schema; the lines above say why.")


def _has_accounts(settings: Settings) -> bool:
    """Whether anyone signed up yet: only a fresh install is sent to /setup, which refuses once there is one."""
    from app.accounts import service as accounts
    from app.store.database import Database

    db = Database(settings.resolved_database_url())
    try:
        return db.read_sync(accounts.count_facilitators) > 0
    finally:
        db.close()


def migrate(args: argparse.Namespace) -> None:
    """Bring the database to the newest schema (serve does this itself)."""
    from app.store.database import Database

    logging.getLogger("alembic").setLevel(logging.WARNING)
    db = Database(Settings().resolved_database_url())
    try:
        db.migrate()
    finally:
        db.close()


def demo(args: argparse.Namespace) -> None:
    """Drive a demo room against a running server that shares this machine's database."""
    from app.demo.driver import DEMO_EMAIL, prepare, run_demo

    settings = Settings()
    base_url = args.url.rstrip("/")
    _wait_until_up(base_url)
    prepared = prepare(settings)
    print(f"projector: {base_url}{prepared.projector_path}")
    print(f"board:     {base_url}/f/workshops/{prepared.workshop_id}  ({DEMO_EMAIL} / {prepared.password})")
    asyncio.run(run_demo(base_url, prepared, phones=args.phones, pace=args.pace))


def _positive(raw: str) -> int:
    """A whole number of at least 1, for argparse."""
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {raw!r}")
    return value


def bench_grouping(args: argparse.Namespace) -> None:
    """Measure the suggested piles against the labelled set of obstacles, and their time per 200 and 2,000."""
    import json
    from pathlib import Path

    from app.bench import grouping

    if args.learn:
        from app.bench import meaning

        # the model's setting is checked before the word meanings are learnt again, not after
        reader = _sentence_model(args.sentence_model)
        known = meaning.write()
        print(f"learnt the meaning of {known} features from {len(meaning.learnt_from())} labelled sets", flush=True)
        if reader is not None:
            width = meaning.write_model(reader)
            print(
                f"learnt {width} directions of the sentence model's reading, and its links, from the same sets",
                flush=True,
            )
        return
    path = Path(args.data) if args.data else grouping.DEFAULT_SET
    if not path.is_file():
        raise SystemExit(f"no labelled set at {path} (it is in the repository's tests/; give another with --data)")
    figures = grouping.run(path, _sentence_model(args.sentence_model))
    for key, value in figures.items():
        print(f"{key:22} {value}", flush=True)
    if args.json:
        print(json.dumps(figures), flush=True)


def _sentence_model(setting: str | None) -> Any:
    """The sentence model of a --sentence-model setting, or None; a clear exit where it cannot load."""
    if setting is None:
        return None
    from app.clusters import model

    if (problem := model.problem(setting)) is not None:
        raise SystemExit(problem)
    return model.loaded(setting)


def _fill_options(args: argparse.Namespace) -> Any:
    """The scale of a filled register, from the command line."""
    from app.bench.register import FillOptions

    return FillOptions(
        workshops=args.workshops,
        actions=args.actions,
        history=args.history,
        organisations=args.organisations,
        seed=args.seed,
    )


def fill_register(args: argparse.Namespace) -> None:
    """Fill a database with a new workspace of realistic workshops, organisations, actions and history."""
    import secrets

    from app.bench.register import fill
    from app.models import local_today
    from app.store.database import Database

    logging.getLogger("alembic").setLevel(logging.WARNING)
    db = Database(args.database_url or Settings().resolved_database_url())
    db.migrate()
    password = secrets.token_urlsafe(18)
    started = time.monotonic()
    try:
        filled = db.write_sync(
            lambda session: fill(session, options=_fill_options(args), password=password, today=local_today())
        )
    finally:
        db.close()
    counts = ", ".join(f"{n} {kind}" for kind, n in filled.counts.items())
    print(f"filled workspace {filled.workspace_id} in {time.monotonic() - started:.1f} s: {counts}")
    print(f"sign in as {filled.email} with password {filled.password}, then open /f/register")


def bench_register(args: argparse.Namespace) -> None:
    """Time the register's page and CSV over HTTP on a filled database (docs/performance.md, "The register")."""
    import json

    from app.bench.register import RegisterBenchOptions, register_table, run_register_bench

    logging.getLogger("alembic").setLevel(logging.WARNING)
    options = RegisterBenchOptions(database_url=args.database_url, fill=_fill_options(args), requests=args.requests)
    figures = run_register_bench(options, say=lambda line: print(line, flush=True))
    print(f"\n{register_table(figures)}", flush=True)
    if args.json:
        print(json.dumps(figures), flush=True)


def bench(args: argparse.Namespace) -> None:
    """Measure simulated phones over real websockets against our server and a bare websockets baseline (or the
    register, the grouping suggestions, a reminder run)."""
    import json

    if args.scenario == "register":
        return bench_register(args)
    if args.scenario == "grouping":
        return bench_grouping(args)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.scenario == "mail":
        from app.bench.mail import MailBenchOptions, run_mail_bench

        figures = run_mail_bench(
            MailBenchOptions(reminders=args.reminders, connections=args.connections, database_url=args.database_url),
            say=lambda line: print(line, flush=True),
        )
        print("\n".join(f"{name:>16}  {value}" for name, value in figures.items()), flush=True)
        if args.json:
            print(json.dumps(figures), flush=True)
        if not figures["reminders"] == figures["queued"] == figures["sent"] == figures["server_received"]:
            # a run that sent fewer than it seeded timed something else: say so rather than print a figure
            raise SystemExit(f"{figures['server_received']} of {figures['reminders']} reminders arrived")
        return

    from app.bench.runner import BenchOptions, run, table

    options = BenchOptions(
        phones=args.phones,
        url=args.url,
        rate=args.rate,
        seconds=args.seconds,
        baseline=not args.no_baseline,
        rounds=args.rounds,
        port=args.port,
        mixed=not args.no_mixed,
    )
    result = run(options, say=lambda line: print(line, flush=True))
    print(f"\n{table(result)}", flush=True)
    if args.json:
        print(json.dumps(result), flush=True)


def mail(args: argparse.Namespace) -> None:
    """Send what the outbox holds, or run the reminders' pass once, outside the server."""
    from datetime import timedelta

    from app.models import local_day, utcnow
    from app.notify import sender as mailer
    from app.store.database import Database
    from app.store.events import LoggedEvent

    settings = Settings()
    setup = mailer.mail_setup(settings)
    if args.action == "send" and not setup.sending:
        problem = mailer.in_english(setup.problem) if setup.problem else None
        raise SystemExit(problem or "DOORBRAAK_SMTP_URL is not set: there is no mail server to send with")
    db = Database(settings.resolved_database_url())
    db.migrate()

    async def publish(events: list[LoggedEvent]) -> None:
        return None  # a pass logs no events; a server's screens do not hear from this process

    async def run() -> None:
        await db.start(publish)
        try:
            if args.action == "remind":
                # the server's own secret key: the personal links in the mails are the ones the server opens
                secret = settings.resolved_secret_key()
                now = utcnow()
                added = await mailer.reminder_pass(db, setup, secret=secret, today=local_day(now), now=now)
                print(f"{added} reminders and digests queued", flush=True)
                return
            assert setup.config is not None
            sender = mailer.Sender(
                db, setup.config, lease=timedelta(seconds=args.lease), batch=args.batch, base_url=setup.links.base_url
            )
            try:
                claimed = await (sender.run_until_done() if args.until_done else sender.drain())
            finally:
                await asyncio.to_thread(sender.close)
            print(f"{claimed} messages claimed", flush=True)
        finally:
            await db.stop()

    asyncio.run(run())


def create_facilitator(args: argparse.Namespace) -> None:
    """Create a facilitator account."""
    from app.accounts import service as accounts
    from app.errors import DomainError
    from app.store.database import Database

    password = args.password
    if password is None:
        password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("Password: ")
    try:
        # the rule the web's forms apply: no account the sign-in form could not use, nor one easy to guess
        accounts.check_new_password(password, known=(args.email, args.name))
    except DomainError as exc:
        raise SystemExit(exc.text()) from exc
    db = Database(Settings().resolved_database_url())
    db.migrate()
    try:
        facilitator = db.write_sync(
            lambda session: accounts.create_facilitator(session, email=args.email, name=args.name, password=password)
        )
    except DomainError as exc:
        raise SystemExit(exc.text()) from exc
    finally:
        db.close()
    print(f"created facilitator {facilitator.email} (id {facilitator.id})")


def retention(args: argparse.Namespace) -> None:
    """Remove names and contact details past each workspace's retention period, and ended sign-ins and invitations,
    now (the server: every six hours)."""
    from sqlalchemy.orm import Session

    from app.models import local_today
    from app.privacy import service as privacy
    from app.store.database import Database
    from app.store.events import Tx

    db = Database(Settings().resolved_database_url())
    db.migrate()

    # the server's pass, each slice in a transaction of its own on this thread: a server on the same SQLite file
    # waits for its write lock only a slice at a time
    async def read(fn: Callable[[Session], T]) -> T:
        return db.read_sync(fn)

    async def write(fn: Callable[[Tx], T]) -> T:
        return db.write_sync(fn)

    try:
        done, (sessions, invitations) = asyncio.run(privacy.retention_pass(read, write, today=local_today()))
    finally:
        db.close()
    for item in done:
        print(f"workshop {item['workshop_id']} of {item['held_on']}: {item['names_removed']} names removed")
    print(f"{len(done)} workshops anonymised; {sessions} ended sign-ins and {invitations} old invitations deleted")


def backup(args: argparse.Namespace) -> None:
    """Copy the running SQLite database to a file, consistently, without stopping the server."""
    from app.store.backup import BackupRefused
    from app.store.backup import backup as back_up

    url = Settings().resolved_database_url()
    try:
        contents = back_up(url, Path(args.file))
    except BackupRefused as exc:
        raise SystemExit(str(exc)) from None
    print(f"backed up to {args.file}: {contents.describe()}")


def restore(args: argparse.Namespace) -> None:
    """Put a backup in the place of the SQLite database (servers stopped), keeping the replaced one aside."""
    from datetime import datetime

    from app.store.backup import BackupRefused
    from app.store.backup import restore as put_back

    url = Settings().resolved_database_url()
    try:
        restored = put_back(url, Path(args.file), now=datetime.now())
    except BackupRefused as exc:
        raise SystemExit(str(exc)) from None
    print(f"restored {args.file} to {restored.database}: {restored.contents.describe()}")
    if restored.kept_aside is not None:
        print(f"the database it replaced is kept at {restored.kept_aside}")


def templates_check(args: argparse.Namespace) -> None:
    """Validate format files and say what is wrong with each bad one; exit 1 if any is bad."""
    from app.catalog.service import TEMPLATES_DIR, FormatFileError, load_format

    paths: list[Path] = []
    for given in args.paths or [TEMPLATES_DIR]:
        path = Path(given)
        if not path.exists():
            sys.exit(f"{path}: no such file or folder")
        paths.extend(sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    if not paths:
        sys.exit("no format files (*.yaml) found")
    bad = 0
    for path in paths:
        try:
            spec = load_format(path)
        except FormatFileError as exc:
            bad += 1
            print(f"bad  {exc}")
        else:
            print(f"ok   {path.name}: {spec.name.nl}, {len(spec.steps)} steps")
    if bad:
        sys.exit(f"{bad} of {len(paths)} format files have errors")


def export(args: argparse.Namespace) -> None:
    """Write a workshop's besluitenlijst, actions or answers to a file ("-" for standard output)."""
    from sqlalchemy.orm import Session

    from app.exports.data import DecisionList, load_decision_list
    from app.exports.formats import COMMAND_LINE_FORMATS, CSV_CONTENTS, for_command_line
    from app.models import Workshop
    from app.security import whole_number
    from app.store.database import Database
    from app.workshops import service as workshops

    try:
        chosen = for_command_line(args.format, args.what)
    except ValueError:
        formats = ", ".join(["csv", *COMMAND_LINE_FORMATS])
        raise SystemExit(
            f"unknown format {args.format!r} (or --what {args.what!r}): choose one of {formats}; "
            f"--what is one of {', '.join(CSV_CONTENTS)}"
        ) from None

    def load(db: Session) -> DecisionList | None:
        # a join code first: codes are letters and digits, so "234567" may be a code as well as an id
        workshop = workshops.workshop_by_code(db, args.workshop)
        if workshop is None and (workshop_id := whole_number(args.workshop)) is not None:
            workshop = db.get(Workshop, workshop_id)
        return None if workshop is None else load_decision_list(db, workshop_id=workshop.id or 0)

    db = Database(Settings().resolved_database_url())
    db.migrate()
    try:
        decisions = db.read_sync(load)
    finally:
        db.close()
    if decisions is None:
        raise SystemExit(f"no workshop with id or join code {args.workshop!r}")
    body = chosen.render(decisions)
    if args.output == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return
    output = Path(args.output or chosen.filename(decisions.workshop))
    if output.is_dir():
        output = output / chosen.filename(decisions.workshop)
    output.write_bytes(body)
    print(f"wrote {output} ({len(body)} bytes)")


def _add_fill_arguments(p: argparse.ArgumentParser) -> None:
    """The scale of a filled register (fill-register, bench register) and where it goes."""
    p.add_argument("--workshops", type=_positive, default=500)
    p.add_argument("--actions", type=_positive, default=20_000)
    p.add_argument("--history", type=_positive, default=60_000, help="history entries, the actions' own included")
    p.add_argument("--organisations", type=_positive, default=200)
    p.add_argument("--seed", type=int, default=14, help="the same seed fills the same data")
    p.add_argument(
        "--database-url",
        help="fill-register: default the configured database; bench register: default a fresh SQLite file",
    )


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="doorbraak", description="Live doorbraak sessions.")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("serve", help="run the web server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--log-level", default="info")
    p.add_argument("--demo", action="store_true", help="also start a simulated room to watch")
    p.add_argument("--demo-phones", type=int, default=10)
    p.add_argument("--demo-pace", type=float, default=1.0, help="seconds scale of the demo; 0.1 is ten times faster")
    p.set_defaults(func=serve)

    p = commands.add_parser("migrate", help="bring the database to the newest schema (serve does this itself)")
    p.set_defaults(func=migrate)

    p = commands.add_parser("demo", help="run a simulated room against a running server")
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--phones", type=int, default=10)
    p.add_argument("--pace", type=float, default=1.0)
    p.set_defaults(func=demo)

    p = commands.add_parser(
        "bench",
        help="measure simulated phones against a server and a bare baseline; or the register, the grouping "
        "suggestions, a reminder run",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        choices=("phones", "register", "grouping", "mail"),
        default="phones",
        help="phones (default): a live room over websockets; register: the register's page and CSV over HTTP; "
        "grouping: suggested piles against the labelled set, and their speed; mail: a reminder run against a local "
        "SMTP server",
    )
    p.add_argument("--data", help="bench grouping: a labelled set other than tests/clusters/data/obstacles_nl.yaml")
    p.add_argument(
        "--learn",
        action="store_true",
        help="bench grouping: learn the meaning of words from the labelled sets again (grouping_meaning.npz)",
    )
    p.add_argument(
        "--sentence-model",
        metavar="MODEL",
        help="bench grouping: with the sentence model ('bundled' or a model file, as DOORBRAAK_SENTENCE_MODEL); "
        "with --learn: learn its projection and the links too (grouping_model.npz)",
    )
    p.add_argument("--reminders", type=_positive, default=5000, help="mail: due reminders in the run")
    p.add_argument("--connections", type=_positive, default=4, help="mail: SMTP connections the sender opens")
    p.add_argument("--phones", type=int, default=200)
    p.add_argument("--url", help="a running server sharing this machine's database; default: start one")
    p.add_argument("--rate", type=float, default=50.0, help="answers per second in the sustained phase")
    p.add_argument("--seconds", type=float, default=5.0, help="length of the sustained phase")
    p.add_argument("--json", action="store_true", help="end with the figures as one JSON object")
    p.add_argument("--no-baseline", action="store_true", help="skip the bare websockets baseline")
    p.add_argument(
        "--no-mixed", action="store_true", help="skip the mixed scenario (phones/2 join while phones/4 answer)"
    )
    p.add_argument(
        "--port",
        type=_positive,
        help="the port of the server the bench starts (the baseline's the next); default: free",
    )
    p.add_argument(
        "--rounds",
        type=_positive,
        default=5,
        help="bursts and step changes per server, taking turns with the baseline; the headline is the median round",
    )
    _add_fill_arguments(p)
    p.add_argument("--requests", type=_positive, default=20, help="register: requests per filter, for the page and CSV")
    p.set_defaults(func=bench)

    p = commands.add_parser("fill-register", help="fill a database with a workspace of realistic register data")
    _add_fill_arguments(p)
    p.set_defaults(func=fill_register)

    p = commands.add_parser("create-facilitator", help="create a facilitator account")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--password", help="default: read from standard input or asked for")
    p.set_defaults(func=create_facilitator)

    p = commands.add_parser("mail", help="send what the outbox holds, or write the due reminders now")
    p.add_argument("action", choices=("send", "remind"), help="send: the due messages; remind: the reminders' pass")
    p.add_argument(
        "--until-done",
        action="store_true",
        help="send: keep going until no message waits or is being sent (another sender's lapsed claims too)",
    )
    p.add_argument("--lease", type=_positive, default=300, help="send: seconds a claim holds before others retake it")
    p.add_argument("--batch", type=_positive, default=100, help="send: messages claimed at a time")
    p.set_defaults(func=mail)

    p = commands.add_parser(
        "retention", help="remove names past each workspace's retention period, and ended sign-ins, now"
    )
    p.set_defaults(func=retention)

    p = commands.add_parser("backup", help="copy the SQLite database to a file while the server runs")
    p.add_argument("file", metavar="FILE", help="the backup to write (created private, 0600; an older one is replaced)")
    p.set_defaults(func=backup)

    p = commands.add_parser("restore", help="put a backup back in place of the SQLite database (server stopped)")
    p.add_argument("file", metavar="FILE", help="a backup made by `doorbraak backup`")
    p.set_defaults(func=restore)

    p = commands.add_parser("templates", help="work with session format files")
    checks = p.add_subparsers(dest="action", required=True)
    c = checks.add_parser("check", help="validate format files (default: the shipped session_templates/)")
    c.add_argument("paths", nargs="*", metavar="PATH", help="a format file or a folder of them")
    c.set_defaults(func=templates_check)

    p = commands.add_parser("export", help="write a workshop's besluitenlijst, actions or answers to a file")
    p.add_argument("workshop", metavar="WORKSHOP", help="the workshop's id or join code")
    p.add_argument("--format", required=True, help="csv, xlsx, ics, md or pdf")
    p.add_argument("--what", default="actions", help="for csv: actions (default) or answers")
    p.add_argument("--output", help='file or folder to write, "-" for standard output; default: the download name')
    p.set_defaults(func=export)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `doorbraak` command."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # keep the first screen readable: the demo's links, not every request and migration step
    for noisy in ("httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except ValidationError as exc:
        if exc.title != Settings.__name__:
            raise
        raise SystemExit(settings_problems(exc)) from None
    except OperationalError as exc:
        # a database that cannot be reached (stopped, wrong address, wrong password) is a setting to fix, not a bug
        raise SystemExit(f"The database {shown_database(Settings())} cannot be used: {str(exc.orig).strip()}") from None
