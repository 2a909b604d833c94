"""`doorbraak bench mail`: a reminder run over thousands of due reminders, against a local SMTP server.

A fresh database gets one workspace with N actions due in two days, each with a volunteer who gave an address.
The run is what the server does: the scheduler's pass writes the N reminders to the outbox (read what is due,
compose each mail's two parts, store them with their links), then the sender sends them over a few SMTP
connections to a counting aiosmtpd server in its own process (app/bench/mailsink.py) and records each result.
"""

import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from app import security
from app.accounts import service as accounts
from app.catalog.service import formats
from app.config import Settings
from app.models import Action, OutboxMessage, Participant, Volunteer, local_today, utcnow
from app.notify.sender import Sender, mail_setup, reminder_pass
from app.organisations import service as organisations
from app.running import service as running
from app.store.database import Database
from app.store.events import LoggedEvent, Tx


@dataclass(frozen=True)
class MailBenchOptions:
    """How many due reminders, over how many SMTP connections, on which database (default: a fresh SQLite file)."""

    reminders: int = 5000
    connections: int = 4
    database_url: str | None = None


def _seed(db: Tx, *, count: int, today: date) -> None:
    """A workspace with count actions due in two days, each with one volunteer who gave and confirmed an address."""
    owner = accounts.create_facilitator(db, email="bench@example.org", name="Bench", password="x" * 12)
    workshop = running.create_workshop(
        db,
        facilitator_id=owner.id or 0,
        title="Bench",
        opgave="Herinneringen",
        held_on=today,
        spec=formats()["doorbraak"],
        allow_anonymous=False,
    )
    owner_id = organisations.resolve_organisation(db, workspace_id=workshop.workspace_id, name="Woonstichting")
    helper_id = organisations.resolve_organisation(db, workspace_id=workshop.workspace_id, name="Buurtwerk")
    people = [
        Participant(
            workshop_id=workshop.id or 0,
            token_hash=security.token_digest(security.new_token()),
            name=f"Deelnemer {n}",
            organisation="Buurtwerk",
            organisation_id=helper_id.id if helper_id else None,
            link_salt=security.new_salt(),
            email=f"deelnemer{n}@example.org",
            # reminders go to confirmed addresses only (the mailed link's yes)
            email_confirmed_at=utcnow(),
            email_lang="en" if n % 5 == 0 else "nl",
        )
        for n in range(count)
    ]
    db.add_all(people)
    actions = [
        Action(
            workshop_id=workshop.id or 0,
            workspace_id=workshop.workspace_id,
            title=f"Actie {n}",
            owner_organisation="Woonstichting",
            owner_organisation_id=owner_id.id if owner_id else None,
            due_on=today + timedelta(days=2),
        )
        for n in range(count)
    ]
    db.add_all(actions)
    db.flush()
    db.add_all(Volunteer(action_id=a.id or 0, participant_id=p.id or 0) for a, p in zip(actions, people, strict=True))


def _count(db: Database, status: str) -> int:
    query = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.status) == status)
    return int(db.read_sync(lambda s: s.execute(query).scalar_one()))


class _Sink:
    """The counting SMTP server in its own process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.bench.mailsink"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().split()
        if len(first) != 2 or first[0] != "port":
            self.process.kill()
            raise SystemExit("the SMTP server for the bench did not start (pip install -e '.[dev]' installs aiosmtpd)")
        self.port = int(first[1])

    def count(self) -> int:
        """How many messages it has accepted."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def stop(self) -> None:
        """Close its standard input: it stops."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)
        self.process.stdout.close()


def run_mail_bench(options: MailBenchOptions, say: Callable[[str], None]) -> dict[str, Any]:
    """Seed, then time the pass and the sending; returns the figures."""
    sink = _Sink()
    try:
        with tempfile.TemporaryDirectory(prefix="doorbraak-mail-bench-") as folder:
            settings = Settings(
                data_dir=Path(folder),
                database_url=options.database_url,
                environment="test",
                secret_key="b" * 40,
                public_url="http://127.0.0.1:8000",
                smtp_url=f"smtp://127.0.0.1:{sink.port}?from=bench@example.org",
            )
            return asyncio.run(_measure(settings, options, sink, say))
    finally:
        sink.stop()


async def _measure(
    settings: Settings, options: MailBenchOptions, sink: _Sink, say: Callable[[str], None]
) -> dict[str, Any]:
    setup = mail_setup(settings)
    assert setup.config is not None and setup.sending, setup.problem and setup.problem.text()
    db = Database(settings.resolved_database_url())
    db.migrate()
    today = local_today()
    say(f"seeding {options.reminders} due actions, each with a volunteer who gave and confirmed an address")
    db.write_sync(lambda tx: _seed(tx, count=options.reminders, today=today))

    async def publish(events: list[LoggedEvent]) -> None:
        return None

    await db.start(publish)
    sender = Sender(db, setup.config, connections=options.connections)
    try:
        started = time.perf_counter()
        queued = await reminder_pass(db, setup, secret=settings.resolved_secret_key(), today=today, now=utcnow())
        passed = time.perf_counter()
        say(f"pass: {queued} reminders in the outbox after {passed - started:.1f} s; sending")
        claimed = await sender.run_until_done()
        done = time.perf_counter()
    finally:
        await asyncio.to_thread(sender.close)
        await db.stop()
    received = sink.count()
    figures = {
        "reminders": options.reminders,
        "queued": queued,
        "claimed": claimed,
        "sent": _count(db, "sent"),
        "failed": _count(db, "failed"),
        "server_received": received,
        "connections": options.connections,
        "pass_s": round(passed - started, 2),
        "send_s": round(done - passed, 2),
        "total_s": round(done - started, 2),
        "messages_per_s": round(received / (done - passed), 1) if done > passed else None,
        "database": "postgresql" if options.database_url else "sqlite",
    }
    db.close()
    return figures
