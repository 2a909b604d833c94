"""How long joining takes, and how many SQL statements it runs: the join page, the form, the phone page.

    .venv/bin/python scripts/join_timing.py [--phones 300] [--concurrency 50] [--organisations 200] [--port 8621]
        [--database-url postgresql://...]
    PYTHONPATH=/path/to/older/checkout .venv/bin/python scripts/join_timing.py ...   # the same, for older code

First the statements: an app in this process on a fresh SQLite file, its engines counted while phones join. Then
the time: a server in a process of its own (`doorbraak serve`), with a workspace of confirmed organisations written
straight into its database; phones join one after another (each step's median and 95th percentile), then all at
once with a given number in flight (joins per second). Whatever `app` comes first on the path is measured, so an
older checkout is measured the same way. Nothing is asserted: it prints figures.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

# after PYTHONPATH: an older checkout given there is the one measured
sys.path.append(str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from app.config import Settings  # noqa: E402
from app.demo.driver import csrf_of  # noqa: E402
from app.main import create_app  # noqa: E402

PASSWORD = "timing-only-password-123"


def start_server(port: int, data_dir: Path, database_url: str | None) -> subprocess.Popen[bytes]:
    """The server as `doorbraak serve` starts it, waited for until it answers."""
    env = {**os.environ, "DOORBRAAK_DATA_DIR": str(data_dir), "DOORBRAAK_SECRET_KEY": "t" * 40}
    if database_url:
        env["DOORBRAAK_DATABASE_URL"] = database_url
    command = [
        sys.executable,
        "-c",
        "from app.cli import main; main()",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    # run from the data folder: the current folder comes first on the path and must not pick the checkout
    server = subprocess.Popen(command, env=env, cwd=data_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


def add_organisations(url: str, count: int) -> None:
    """Confirmed organisations in workspace 1, with the names they are found by."""
    engine = create_engine(url)
    with engine.begin() as db:
        for i in range(count):
            name = f"Organisatie {i} Parkstad"
            key = name.lower()
            row = db.execute(
                text(
                    "INSERT INTO organisation (workspace_id, name, key, short_name, aliases, confirmed, own,"
                    " created_at) VALUES (1, :name, :key, '', '[]', :yes, :no, CURRENT_TIMESTAMP) RETURNING id"
                ),
                {"name": name, "key": key, "yes": True, "no": False},
            ).scalar_one()
            db.execute(
                text("INSERT INTO organisationname (workspace_id, key, organisation_id) VALUES (1, :key, :id)"),
                {"key": key, "id": row},
            )
    engine.dispose()


def new_workshop(base: str, http: httpx.Client | TestClient | None = None) -> str:
    """The first account, a workshop, and its join code."""
    if http is None:
        http = httpx.Client(base_url=base)
    page = http.get("/setup")
    account = {"csrf": csrf_of(page.text), "name": "T", "email": "t@x.nl", "password": PASSWORD}
    http.post("/setup", data=account, follow_redirects=False)
    page = http.get("/f/workshops")
    created = http.post(
        "/f/workshops",
        data={
            "csrf": csrf_of(page.text),
            "title": "T",
            "opgave": "O",
            "held_on": "2026-11-22",
            "format_key": "doorbraak",
        },
        follow_redirects=False,
    )
    board = http.get(created.headers["location"]).text
    return board.split('class="code-chip"', 1)[1].split(">", 1)[1].split("<", 1)[0].replace(" ", "")


async def join(base: str, code: str, index: int) -> tuple[float, float, float]:
    """One phone joining: the join page, the form, the phone page; the seconds each took."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        start = time.perf_counter()
        page = await http.get(f"/j/{code}")
        got = time.perf_counter()
        data = {"csrf": csrf_of(page.text), "name": f"P{index}", "organisation": "Organisatie 7 Parkstad"}
        posted = await http.post(f"/j/{code}/participant", data=data)
        sent = time.perf_counter()
        assert posted.status_code == 303, posted.text
        await http.get(posted.headers["location"])
        return got - start, sent - got, time.perf_counter() - sent


def count_statements(phones: int, organisations: int) -> None:
    """The SQL statements each step of a join runs, on average, with the app in this process."""
    counted = [0]

    def count(*_: object) -> None:
        counted[0] += 1

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), environment="test", secret_key="t" * 40)
        with TestClient(create_app(settings)) as http:
            code = new_workshop("", http)
            add_organisations(settings.resolved_database_url(), organisations)
            event.listen(Engine, "before_cursor_execute", count)
            steps: list[list[int]] = [[], [], []]
            try:
                for index in range(phones):
                    http.cookies.clear()
                    counted[0] = 0
                    page = http.get(f"/j/{code}")
                    steps[0].append(counted[0])
                    counted[0] = 0
                    data = {"csrf": csrf_of(page.text), "name": f"P{index}", "organisation": "Organisatie 7 Parkstad"}
                    posted = http.post(f"/j/{code}/participant", data=data, follow_redirects=False)
                    steps[1].append(counted[0])
                    counted[0] = 0
                    http.get(posted.headers["location"])
                    steps[2].append(counted[0])
            finally:
                event.remove(Engine, "before_cursor_execute", count)
    for label, numbers in zip(("join page", "form", "phone page"), steps, strict=True):
        print(f"{label:>10}: {statistics.mean(numbers):.2f} statements (first {numbers[0]}, most {max(numbers)})")


def percentiles(label: str, seconds: list[float]) -> str:
    """A line with the median and 95th percentile of these times, in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"{label:>10}: median {statistics.median(ms):6.1f} ms, p95 {p95:6.1f} ms"


async def measure(base: str, code: str, phones: int, concurrency: int) -> None:
    """Phones join one by one, then all at once with `concurrency` in flight; prints the times."""
    one_by_one = [await join(base, code, i) for i in range(phones)]
    for position, label in enumerate(("join page", "form", "phone page")):
        print(percentiles(label, [times[position] for times in one_by_one]))
    print(percentiles("whole join", [sum(times) for times in one_by_one]))
    gate = asyncio.Semaphore(concurrency)

    async def gated(index: int) -> tuple[float, float, float]:
        async with gate:
            return await join(base, code, phones + index)

    start = time.perf_counter()
    storm = await asyncio.gather(*(gated(i) for i in range(phones)))
    took = time.perf_counter() - start
    print(f"storm of {phones} ({concurrency} at a time): {took:.2f} s, {phones / took:.0f} joins/s")
    print(percentiles("storm join", [sum(times) for times in storm]))


def main() -> None:
    """Count the statements, then time the joins, as the command line says."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--port", type=int, default=8621)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    count_statements(min(args.phones, 50), args.organisations)
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        server = start_server(args.port, data_dir, args.database_url)
        try:
            base = f"http://127.0.0.1:{args.port}"
            code = new_workshop(base)
            add_organisations(args.database_url or f"sqlite:///{data_dir / 'doorbraak.db'}", args.organisations)
            asyncio.run(measure(base, code, args.phones, args.concurrency))
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
