"""The register at scale: a workspace filled with realistic data, and the time its page and CSV take over HTTP."""

import os
import random
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app import security
from app.accounts import service as accounts
from app.catalog.service import formats
from app.models import (
    LOCAL_TIMEZONE,
    TENSIONS,
    THEMES,
    Action,
    ActionChange,
    ActionPartner,
    Answer,
    Cluster,
    Organisation,
    OrganisationName,
    Participant,
    Volunteer,
    Workshop,
    local_today,
)
from app.organisations.service import organisation_key, owned_by, participant_named
from app.store.database import Database
from app.store.events import Tx

Say = Callable[[str], None]
BENCH_EMAIL = "register-bench-{n}@doorbraak.invalid"
# how a register's actions stand: most are still moving, a tenth is stuck
STATUS_WEIGHTS = {"open": 40, "bezig": 30, "klaar": 20, "vastgelopen": 10}
PARTICIPANTS_PER_WORKSHOP = 14
OBSTACLES_PER_WORKSHOP = 8
CLUSTERS_PER_WORKSHOP = 3
CHUNK = 2_000

KINDS = (
    "Woonstichting",
    "Gemeente",
    "Politie",
    "GGD",
    "Buurtteam",
    "Stichting Welzijn",
    "Basisschool",
    "Huisartsenpraktijk",
    "Wijkraad",
    "Bewonersvereniging",
    "Jongerenwerk",
    "Zorggroep",
    "Ondernemersvereniging",
    "Bibliotheek",
    "Sportvereniging",
    "Voedselbank",
    "Schuldhulpmaatje",
    "Kinderopvang",
    "Sociaal wijkteam",
    "Veiligheidshuis",
    "Thuiszorg",
    "Moskee",
    "Parochie",
    "Speeltuinvereniging",
    "Taalhuis",
)
PLACES = (
    "Heerlen-Noord",
    "Kerkrade-West",
    "Brunssum",
    "Landgraaf",
    "Schaesberg",
    "Hoensbroek",
    "Meezenbroek",
    "De Hoogte",
    "Rolduckerveld",
    "Nuth",
    "Voerendaal",
    "Simpelveld",
    "Beekdaelen",
    "Eygelshoven",
    "Chevremont",
    "Zeswegen",
)
TOPICS = (
    ("Jeugdoverlast", "jongeren die zich vervelen op het plein"),
    ("Eenzaamheid", "ouderen die niemand meer spreken"),
    ("Schulden", "gezinnen die de rekeningen niet meer kunnen betalen"),
    ("Wonen", "te weinig betaalbare woningen voor starters"),
    ("Veiligheid", "donkere straten en inbraken"),
    ("Gezondheid", "lange wachtlijsten bij de jeugdzorg"),
    ("Werk", "mensen die al jaren langs de kant staan"),
    ("Taal", "ouders die de brieven van school niet kunnen lezen"),
    ("Armoede", "kinderen die zonder ontbijt naar school gaan"),
    ("Groen", "verwaarloosde speelplekken"),
)
DEEDS = (
    "Huiskamer openen in {place}",
    "Wijkagent schuift aan bij het jongerenoverleg in {place}",
    "Eén loket voor schuldhulp in {place}",
    "Spreekuur jeugdzorg elke woensdag in {place}",
    "Buurtfeest organiseren op het plein van {place}",
    "Taalcafé starten in de bibliotheek van {place}",
    "Maatjesproject voor ouderen in {place}",
    "Straatverlichting herstellen in {place}",
    "Ontbijt op school voor kinderen in {place}",
    "Moestuin aanleggen achter de flat in {place}",
    "Huisbezoeken bij nieuwe bewoners in {place}",
    "Werkplaats voor jongeren zonder startkwalificatie in {place}",
    "Kwartiermaker voor de wijkaanpak in {place}",
    "Gezamenlijk dossier voor multiprobleemgezinnen in {place}",
    "Speeltuin opknappen met bewoners in {place}",
)


@dataclass
class FillOptions:
    """How much to put in: the issue's scale by default."""

    workshops: int = 500
    actions: int = 20_000
    history: int = 60_000
    organisations: int = 200
    seed: int = 14


@dataclass
class Filled:
    """What was made: the workspace, an account to sign in with, and counts of each kind of row."""

    workspace_id: int
    email: str
    password: str
    counts: dict[str, int] = field(default_factory=dict)
    # the organisation owning the most actions: the "one organisation" filter a bench runs
    busiest_organisation: int = 0


def _insert(db: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows in chunks, returning their ids in the rows' order."""
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        statement = insert(model).returning(model.id, sort_by_parameter_order=True)
        ids += [row[0] for row in db.execute(statement, rows[start : start + CHUNK])]
    return ids


def _insert_plain(db: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows in chunks, their ids not needed."""
    for start in range(0, len(rows), CHUNK):
        db.execute(insert(model), rows[start : start + CHUNK])


def _organisation_names(rng: random.Random, count: int) -> list[str]:
    """Distinct organisation names (by their folded key), a kind and a place each."""
    names: dict[str, str] = {}
    while len(names) < count:
        name = f"{rng.choice(KINDS)} {rng.choice(PLACES)}"
        if organisation_key(name) in names:
            name = f"{name} {len(names)}"
        names.setdefault(organisation_key(name), name)
    return list(names.values())


def _moment(day: date, rng: random.Random) -> datetime:
    """A working-hours moment on that day, stored in UTC."""
    local = datetime(day.year, day.month, day.day, rng.randint(8, 20), rng.randint(0, 59), tzinfo=LOCAL_TIMEZONE)
    return local.astimezone(UTC)


def fill(db: Tx, *, options: FillOptions, password: str, today: date) -> Filled:
    """A new workspace (with a beheerder to sign in as) holding workshops, organisations, actions and history."""
    rng = random.Random(options.seed)
    number = db.execute(select(func.count()).select_from(Workshop)).scalar_one() + secrets.randbelow(10**6)
    email = BENCH_EMAIL.format(n=number)
    account = accounts.create_facilitator(db, email=email, name="Register bench", password=password)
    account_id = account.id or 0
    workspace_id = accounts.first_workspace(db, account_id=account_id) or 0
    counts: dict[str, int] = {}

    names = _organisation_names(rng, options.organisations)
    organisation_ids = _insert(
        db,
        Organisation,
        [
            {
                "workspace_id": workspace_id,
                "name": name,
                "key": organisation_key(name),
                "aliases": [],
                "confirmed": rng.random() < 0.8,
            }
            for name in names
        ],
    )
    _insert_plain(
        db,
        OrganisationName,
        [
            {"workspace_id": workspace_id, "key": organisation_key(name), "organisation_id": i}
            for name, i in zip(names, organisation_ids, strict=True)
        ],
    )
    counts["organisations"] = len(organisation_ids)

    doorbraak = formats()["doorbraak"].step_dicts()
    followup = formats()["vervolgsessie"].step_dicts()
    workshop_rows: list[dict[str, Any]] = []
    for n in range(options.workshops):
        topic, problem = rng.choice(TOPICS)
        place = rng.choice(PLACES)
        is_followup = n % 20 == 19
        # follow-ups may still be ahead; every other workshop has been held, over the last year and a half
        held_on = today - timedelta(days=rng.randint(-14 if is_followup else 0, 540))
        steps = followup if is_followup else doorbraak
        closed = held_on < today - timedelta(days=2)
        workshop_rows.append(
            {
                "public_id": uuid.uuid4().hex,
                "workspace_id": workspace_id,
                "facilitator_id": account_id,
                "title": f"{'Vervolg' if is_followup else 'Doorbraak'} {topic.lower()} {place}",
                "opgave": f"Samen aanpakken in {place}: {problem}. Wat kan elke organisatie bijdragen?",
                "held_on": held_on,
                "format_key": "vervolgsessie" if is_followup else "doorbraak",
                "steps": steps,
                # a workshop closes by reaching its closing step, where its board and projector then stand
                "step_index": len(steps) - 1 if closed else 0,
                "join_code": security.new_join_code(),
                "projector_salt": security.new_salt(),
                "closed_at": _moment(held_on, rng) if closed else None,
                "created_at": _moment(held_on, rng),
            }
        )
    workshop_ids = _insert(db, Workshop, workshop_rows)
    held: dict[int, date] = {i: row["held_on"] for i, row in zip(workshop_ids, workshop_rows, strict=True)}
    counts["workshops"] = len(workshop_ids)

    people = _insert(
        db,
        Participant,
        [
            {
                "workshop_id": w,
                "token_hash": security.token_digest(security.new_token()),
                **participant_named(f"Deelnemer {n + 1}", None),
                "organisation": names[k],
                "organisation_id": organisation_ids[k],
                "link_salt": security.new_salt(),
                "joined_at": _moment(held[w], rng),
            }
            for w in workshop_ids
            for n, k in enumerate(rng.sample(range(len(names)), min(PARTICIPANTS_PER_WORKSHOP, len(names))))
        ],
    )
    per_workshop = min(PARTICIPANTS_PER_WORKSHOP, len(names))
    people_of = {w: people[i * per_workshop : (i + 1) * per_workshop] for i, w in enumerate(workshop_ids)}
    counts["participants"] = len(people)

    cluster_ids = _insert(
        db,
        Cluster,
        [
            {
                "workshop_id": w,
                "name": f"Cluster {n + 1}",
                "theme": rng.choice(THEMES),
                "tension": rng.choice(TENSIONS),
            }
            for w in workshop_ids
            for n in range(CLUSTERS_PER_WORKSHOP)
        ],
    )
    clusters_of = {
        w: cluster_ids[i * CLUSTERS_PER_WORKSHOP : (i + 1) * CLUSTERS_PER_WORKSHOP] for i, w in enumerate(workshop_ids)
    }
    obstacle_rows: list[dict[str, Any]] = []
    for w in workshop_ids:
        for n in range(OBSTACLES_PER_WORKSHOP):
            topic, problem = rng.choice(TOPICS)
            obstacle_rows.append(
                {
                    "workshop_id": w,
                    "participant_id": rng.choice(people_of[w]),
                    "step_id": "obstacles",
                    "text": f"{problem.capitalize()} ({n + 1})",
                    "client_id": str(uuid.uuid4()),
                    "theme": rng.choice(THEMES) if rng.random() < 0.5 else None,
                    "cluster_id": rng.choice(clusters_of[w]) if rng.random() < 0.7 else None,
                    "created_at": _moment(held[w], rng),
                }
            )
    obstacle_ids = _insert(db, Answer, obstacle_rows)
    obstacles_of = {
        w: obstacle_ids[i * OBSTACLES_PER_WORKSHOP : (i + 1) * OBSTACLES_PER_WORKSHOP]
        for i, w in enumerate(workshop_ids)
    }
    counts["obstacles"] = len(obstacle_ids)

    # a few organisations own most actions, as in a real network (the municipality, the housing corporation)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(organisation_ids))]
    statuses = list(STATUS_WEIGHTS)
    action_rows: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    # actions are agreed in sessions that were held
    held_already = [w for w in workshop_ids if held[w] <= today] or workshop_ids
    for n in range(options.actions):
        w = held_already[n % len(held_already)]
        owner = rng.choices(range(len(organisation_ids)), weights)[0]
        due = None if rng.random() < 0.15 else today + timedelta(days=rng.randint(-120, 150))
        created = min(now, _moment(held[w], rng))
        action_rows.append(
            {
                "workshop_id": w,
                "workspace_id": workspace_id,
                "title": rng.choice(DEEDS).format(place=rng.choice(PLACES)),
                "description": "Afgesproken in de workshop; eerste stap binnen twee weken." if n % 3 == 0 else "",
                **owned_by(names[owner]),
                "owner_organisation_id": organisation_ids[owner],
                "contact_person": f"Contactpersoon {n % 97 + 1}",
                "due_on": due,
                "obstacle_id": rng.choice(obstacles_of[w]) if rng.random() < 0.8 else None,
                "status": rng.choices(statuses, [STATUS_WEIGHTS[s] for s in statuses])[0],
                "deleted_at": created if rng.random() < 0.02 else None,
                "created_at": created,
                "updated_at": created,
            }
        )
    # every action's "created" entry, then changes spread over the actions; an action's last entry is its last change
    changes: list[tuple[int, str, datetime]] = []
    for _ in range(max(0, options.history - len(action_rows))):
        index = rng.randrange(len(action_rows))
        row = action_rows[index]
        start = row["updated_at"]
        at = min(now, start + timedelta(seconds=rng.uniform(0, max(60.0, (now - start).total_seconds())) / 3))
        changes.append((index, rng.choice(("status", "status", "due_on", "review", "owner", "partners", "title")), at))
        row["updated_at"] = at
    action_ids = _insert(db, Action, action_rows)
    counts["actions"] = len(action_ids)

    partner_rows: list[dict[str, Any]] = []
    hand_rows: list[dict[str, Any]] = []
    for action_id, row in zip(action_ids, action_rows, strict=True):
        owner = row["owner_organisation_id"]
        for k in rng.sample(range(len(organisation_ids)), rng.choice((0, 0, 1, 1, 2, 3))):
            if organisation_ids[k] != owner:
                partner_rows.append(
                    {"action_id": action_id, "organisation": names[k], "organisation_id": organisation_ids[k]}
                )
        for person in rng.sample(people_of[row["workshop_id"]], rng.choice((0, 0, 0, 1, 1, 2, 3))):
            hand_rows.append({"action_id": action_id, "participant_id": person, "created_at": row["created_at"]})
    _insert_plain(db, ActionPartner, partner_rows)
    _insert_plain(db, Volunteer, hand_rows)
    counts["partners"], counts["volunteers"] = len(partner_rows), len(hand_rows)

    history = [
        {
            "action_id": action_id,
            "kind": "created",
            "after": row["status"],
            "account_id": account_id,
            "workshop_id": row["workshop_id"],
            "at": row["created_at"],
        }
        for action_id, row in zip(action_ids, action_rows, strict=True)
    ]
    history += [
        {
            "action_id": action_ids[index],
            "kind": kind,
            "before": "open",
            "after": action_rows[index]["status"],
            "note": "Stand doorgegeven in de vervolgworkshop" if kind == "review" else "",
            "account_id": account_id,
            "at": at,
        }
        for index, kind, at in changes
    ]
    _insert_plain(db, ActionChange, history)
    counts["history"] = len(history)
    busiest = max(range(len(organisation_ids)), key=lambda k: weights[k])
    return Filled(
        workspace_id=workspace_id,
        email=email,
        password=password,
        counts=counts,
        busiest_organisation=organisation_ids[busiest],
    )


@dataclass
class RegisterBenchOptions:
    """What the register bench fills and how often it asks for each filtered page and CSV."""

    database_url: str | None = None
    fill: FillOptions = field(default_factory=FillOptions)
    requests: int = 20
    warmup: int = 2


def bench_filters(filled: Filled, today: date) -> dict[str, str]:
    """The filters a programme office uses most, as query strings."""
    return {
        "one organisation": urlencode({"organisation": filled.busiest_organisation}),
        "overdue": "due=overdue",
        "status + theme": "status=open&status=bezig&theme=veiligheid",
        "text search": "q=jeugd",
        "changed since": f"changed_since={(today - timedelta(days=14)).isoformat()}",
    }


# the whole register in the orders its column heads offer: a page only (its CSV is every action, whatever the order)
SORTS = {
    "all by due date": "",
    "all by organisation": "sort=organisation",
    "all by status": "sort=status",
}


def _sign_in(http: httpx.Client, filled: Filled) -> None:
    """Sign the client in as the filled workspace's beheerder."""
    from app.demo.driver import csrf_of

    page = http.get("/f/login")
    response = http.post(
        "/f/login", data={"csrf": csrf_of(page.text), "email": filled.email, "password": filled.password}
    )
    if response.status_code != 303:
        raise RuntimeError(f"signing in failed: {response.status_code}")


_PATHS = (("page", "/f/register"), ("csv", "/f/register.csv"))


def _figures(seconds: list[float]) -> dict[str, float]:
    """p50 and p95 of some durations, in milliseconds."""
    from app.bench.runner import percentile

    return {"p50_ms": round(percentile(seconds, 0.5) * 1000, 1), "p95_ms": round(percentile(seconds, 0.95) * 1000, 1)}


def measure(
    base_url: str,
    filled: Filled,
    filters: dict[str, str],
    *,
    sorts: dict[str, str] | None = None,
    requests: int,
    warmup: int,
    server_pids: Sequence[int] = (),
) -> dict[str, Any]:
    """Ask for each filter's page and CSV, and each sort's page, in turn, `requests` times each after `warmup`
    unmeasured rounds.

    Beside each request's time the server's CPU time for it is taken (when its process is visible here): on a
    crowded machine the time swells with what others run, the CPU time much less.
    """
    from app.bench.runner import cpu_seconds, steal_seconds

    kinds = ("page", "csv")
    sorts = sorts or {}
    asked = [(name, query, kind, path) for name, query in filters.items() for kind, path in _PATHS]
    asked += [(name, query, "page", "/f/register") for name, query in sorts.items()]
    timings: dict[tuple[str, str], list[float]] = {(name, kind): [] for name, _, kind, _ in asked}
    cpu: dict[tuple[str, str], list[float]] = {(name, kind): [] for name, _, kind, _ in asked}
    rows: dict[str, int] = {}
    stolen = steal_seconds()
    with httpx.Client(base_url=base_url, timeout=60, follow_redirects=False) as http:
        _sign_in(http, filled)
        for round_number in range(warmup + requests):
            for name, query, kind, path in asked:
                used = cpu_seconds(server_pids)
                started = time.perf_counter()
                response = http.get(f"{path}?{query}")
                elapsed = time.perf_counter() - started
                used = cpu_seconds(server_pids) - used
                if response.status_code != 200:
                    raise RuntimeError(f"{path}?{query} answered {response.status_code}")
                if round_number >= warmup:
                    timings[(name, kind)].append(elapsed)
                    cpu[(name, kind)].append(used)
                if kind == "csv":
                    rows[name] = len(response.content.splitlines()) - 1
    stolen = steal_seconds() - stolen

    def figures(
        key: str, samples: dict[tuple[str, str], list[float]], names: Sequence[str], only: Sequence[str] = kinds
    ) -> dict[str, float]:
        return {
            f"{kind}_{key}{suffix}": value
            for kind in only
            for suffix, value in _figures([t for name in names for t in samples[(name, kind)]]).items()
        }

    per_filter = {
        name: {"query": query, "rows": rows[name], **figures("", timings, [name]), **figures("cpu_", cpu, [name])}
        for name, query in filters.items()
    }
    per_sort = {
        name: {"query": query, **figures("", timings, [name], ["page"]), **figures("cpu_", cpu, [name], ["page"])}
        for name, query in sorts.items()
    }
    return {
        **figures("", timings, list(filters)),
        **figures("cpu_", cpu, list(filters)),
        "requests_per_filter": requests,
        "load_average": round(os.getloadavg()[0], 2),
        "steal_s": round(stolen, 1),
        "filters": per_filter,
        "sorts": per_sort,
    }


def run_register_bench(options: RegisterBenchOptions, say: Say = print) -> dict[str, Any]:
    """Fill a database (a fresh SQLite file unless given one), serve it with `doorbraak serve`, time the register."""
    from app.bench.runner import free_port, http_up, pin, subprocess_server

    today = local_today()
    with tempfile.TemporaryDirectory(prefix="doorbraak-register-") as scratch:
        url = options.database_url or f"sqlite:///{Path(scratch) / 'register.db'}"
        database = Database(url)
        try:
            database.migrate()
            say(f"filling      {url.split('@')[-1]}: {options.fill}")
            started = time.monotonic()
            filled = database.write_sync(
                lambda db: fill(db, options=options.fill, password=secrets.token_urlsafe(18), today=today)
            )
            fill_seconds = time.monotonic() - started
            if not database.is_sqlite:
                # the planner's statistics, as autovacuum gathers them within a minute of a fill this size
                with database.write_engine.begin() as connection:
                    connection.exec_driver_sql("ANALYZE")
        finally:
            database.close()
        say(f"filled       {filled.counts} in {fill_seconds:.1f} s")
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if k != "DOORBRAAK_BROADCAST_URL"}
        env |= {"DOORBRAAK_DATABASE_URL": url, "DOORBRAAK_DATA_DIR": str(Path(scratch) / "data")}
        # one bench account downloads the register's file for every filter, many times: not a member to slow down
        env["DOORBRAAK_LIMIT_EXPORTS_PER_MEMBER"] = "100000/minute"
        command = [sys.executable, "-c", "import sys; from app.cli import main; main(sys.argv[1:])"]
        command += ["serve", "--port", str(port), "--log-level", "warning"]
        own_affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        pin(0, 1)  # the server runs on core 0, this client on core 1
        try:
            with subprocess_server(
                command, env=env, log=Path(scratch) / "server.log", ready=http_up(base_url)
            ) as server_pid:
                figures = measure(
                    base_url,
                    filled,
                    bench_filters(filled, today),
                    sorts=SORTS,
                    requests=options.requests,
                    warmup=options.warmup,
                    server_pids=[server_pid],
                )
        finally:
            if own_affinity is not None:
                os.sched_setaffinity(0, own_affinity)
    return {
        "database": "sqlite" if url.startswith("sqlite") else url.split(":", 1)[0].split("+")[0],
        "fill_s": round(fill_seconds, 1),
        **{f"filled_{k}": v for k, v in filled.counts.items()},
        **figures,
    }


def register_table(result: dict[str, Any]) -> str:
    """The register bench's figures: one line per filter, then every filter together (wall clock and server CPU)."""
    lines = [
        f"register on {result['database']}: {result['filled_actions']} actions, "
        f"{result['filled_workshops']} workshops, {result['filled_organisations']} organisations, "
        f"{result['filled_history']} history entries; {result['requests_per_filter']} requests per filter and kind; "
        f"load average {result['load_average']}, {result['steal_s']} s stolen by the host",
        f"{'':<20} {'':>6} {'---------- time (ms) ----------':>39}   {'------ server CPU (ms) ------':>39}",
        f"{'filter':<20} {'rows':>6} {'page p50':>9} {'page p95':>9} {'csv p50':>9} {'csv p95':>9}   "
        f"{'page p50':>9} {'page p95':>9} {'csv p50':>9} {'csv p95':>9}",
    ]
    rows = [(name, str(f["rows"]), f) for name, f in result["filters"].items()]
    rows.append(("all filters", "", result))
    rows += [(name, "", f) for name, f in result.get("sorts", {}).items()]
    for name, count, f in rows:
        lines.append(
            f"{name:<20} {count:>6} {f['page_p50_ms']:>9} {f['page_p95_ms']:>9} {f.get('csv_p50_ms', '-'):>9} "
            f"{f.get('csv_p95_ms', '-'):>9}   {f['page_cpu_p50_ms']:>9} {f['page_cpu_p95_ms']:>9} "
            f"{f.get('csv_cpu_p50_ms', '-'):>9} {f.get('csv_cpu_p95_ms', '-'):>9}"
        )
    return "\n".join(lines)
