"""A churn run: phones join, answer and leave continuously against `doorbraak serve`; the server's memory per minute.

    .venv/bin/python scripts/soak.py [--minutes 10] [--phones 200] [--port 18300] [--json]
    make soak

Each of --phones places is taken by one phone after another: it joins through the join form (a new participant),
opens its websocket, answers once, stays a few seconds and leaves: half of them with a close frame, half by
dropping the connection without one, as a phone that loses its network does. The server (SQLite, one process) is
started fresh; its resident memory is read every minute. The growth from the first minute to the last is the
figure in docs/performance.md ("Churn"). Not part of `make test`: it takes the minutes it is given.
"""

import argparse
import asyncio
import json
import random
import socket
import struct
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

sys.path.append(str(Path(__file__).resolve().parent.parent))

from app.bench.runner import free_port, http_up, raise_file_limit, rss_mb, subprocess_server  # noqa: E402
from app.config import Settings  # noqa: E402
from app.demo.driver import DemoFacilitator, csrf_of, prepare, ws_url  # noqa: E402


class Tally:
    """What the phones did, for the minute lines."""

    def __init__(self) -> None:
        self.joins = 0
        self.answers = 0
        self.failures = 0
        self.first_failure: str | None = None

    def failed(self, exc: BaseException) -> None:
        self.failures += 1
        cause = exc.__cause__ or exc.__context__
        self.first_failure = self.first_failure or f"{exc!r} (from {cause!r})"


async def one_visit(base_url: str, code: str, index: int, tally: Tally, rng: random.Random) -> None:
    """A phone joins, answers once, stays a while and leaves."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        page = await http.get(f"/j/{code}")
        joined = await http.post(
            f"/j/{code}/participant",
            data={"csrf": csrf_of(page.text), "name": f"Telefoon {index}", "organisation": "Soak"},
        )
        if joined.status_code != 303:
            raise RuntimeError(f"join answered {joined.status_code}")
        tally.joins += 1
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    ws = await connect(ws_url(base_url, f"/ws/phone/{code}"), additional_headers={"Cookie": cookie}, compression=None)
    try:
        await asyncio.wait_for(ws.recv(), 30)  # the snapshot
        client_id = str(uuid.uuid4())
        await ws.send(
            json.dumps({"type": "answer", "client_id": client_id, "step": "obstacles", "text": f"obstakel {index}"})
        )
        while json.loads(await asyncio.wait_for(ws.recv(), 30)).get("client_id") != client_id:
            pass
        tally.answers += 1
        await asyncio.sleep(rng.uniform(2, 8))
    finally:
        if rng.random() < 0.5:
            await ws.close()
        else:
            raw = ws.transport.get_extra_info("socket")
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            ws.transport.abort()  # gone without a close frame


async def churn(base_url: str, code: str, *, places: int, seconds: float, tally: Tally) -> None:
    """Keep places phones coming and going until the time is up."""
    deadline = time.monotonic() + seconds
    counter = iter(range(10**9))

    async def place(slot: int) -> None:
        rng = random.Random(slot)
        await asyncio.sleep(rng.uniform(0, 5))  # spread the first arrivals
        while time.monotonic() < deadline:
            try:
                await one_visit(base_url, code, next(counter), tally, rng)
            except Exception as exc:  # counted: a failed visit is a finding, not the end of the run
                tally.failed(exc)
                await asyncio.sleep(1)

    await asyncio.gather(*(place(slot) for slot in range(places)))


async def watch(pid: int, tally: Tally, *, minutes: int, say: Any) -> list[float]:
    """The server's memory at the end of each minute."""
    figures: list[float] = []
    for minute in range(1, minutes + 1):
        await asyncio.sleep(60)
        rss = rss_mb([pid]) or 0.0
        figures.append(rss)
        say(
            f"minute {minute:>2}  rss {rss:7.1f} MB  joins {tally.joins:>6}  answers {tally.answers:>6}  "
            f"failures {tally.failures}"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--phones", type=int, default=200, help="phones in the room at any time")
    parser.add_argument("--port", type=int, help="default: a free one")
    parser.add_argument("--json", action="store_true", help="end with the figures as one JSON object")
    args = parser.parse_args()
    raise_file_limit()
    say = lambda line: print(line, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="doorbraak-soak-") as scratch:
        port = args.port or free_port()
        base_url = f"http://127.0.0.1:{port}"
        settings = Settings(data_dir=Path(scratch) / "data", database_url=None)
        command = [sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(port)]
        env = {
            "PATH": "/usr/bin:/bin",
            "DOORBRAAK_DATA_DIR": str(settings.data_dir),
            # every phone comes from 127.0.0.1 and a place is taken again every few seconds: the join limits are
            # sized to the churn (they still count every join), the rest stays as shipped
            "DOORBRAAK_LIMIT_JOINS_PER_ADDRESS": f"{30 * args.phones}/minute",
            "DOORBRAAK_LIMIT_JOINS_PER_WORKSHOP": f"{30 * args.phones}/minute",
        }
        with subprocess_server(
            [*command, "--log-level", "warning"], env=env, log=Path(scratch) / "server.log", ready=http_up(base_url)
        ) as pid:
            demo = prepare(settings)

            async def run() -> list[float]:
                facilitator = DemoFacilitator(base_url, demo.workshop_id)
                await facilitator.sign_in(demo.password)
                await facilitator.step("1")
                await facilitator.close()
                tally = Tally()
                say(f"soak         {args.phones} phones coming and going for {args.minutes} minutes (server {pid})")
                watching = asyncio.create_task(watch(pid, tally, minutes=args.minutes, say=say))
                await churn(base_url, demo.code, places=args.phones, seconds=args.minutes * 60 + 1, tally=tally)
                figures = await watching
                if tally.first_failure:
                    say(f"first failure: {tally.first_failure}")
                return figures

            figures = asyncio.run(run())
            log_tail = (Path(scratch) / "server.log").read_text()[-2000:]
    growth = (figures[-1] - figures[0]) / figures[0] * 100 if figures and figures[0] else None
    say(f"growth       {growth:+.1f}% from the first minute to the last" if growth is not None else "no figures")
    if "Traceback" in log_tail:
        say(f"the server's log ends with an error:\n{log_tail}")
    if args.json:
        say(json.dumps({"rss_mb_per_minute": figures, "growth_percent": None if growth is None else round(growth, 1)}))
    sys.exit(0 if growth is not None and growth < 10 else 1)


if __name__ == "__main__":
    main()
