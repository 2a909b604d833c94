"""The server's CPU per join, request by request: phones join phase by phase, the server's CPU clock read around each.

    .venv/bin/python scripts/join_phases.py [--phones 1000] [--rounds 2]
    PYTHONPATH=/path/to/older/checkout /path/to/.venv/bin/python scripts/join_phases.py ...   # older code, the same way

A fresh `doorbraak serve` (SQLite, pinned to core 0; this script on core 1). Each round is a workshop of its own
(the demo's, with 40 organisations to pick from): every phone loads the join page, then every phone its files, then
every phone posts the form, loads the phone page, its files, and opens its websocket until the snapshot, at most 50
at a time, as `doorbraak bench` joins them (app/bench/runner.py: the same requests, the same lean HTTP client).
Each line gives the server's CPU per phone for each phase and their sum, in ms. The sum is a little below the
bench's `server_cpu_ms_per_join`, which also counts the lobby's events to the projector and the board. Nothing is
asserted: it prints figures (docs/performance.md, "The join storm").
"""

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.bench.phone_http import PhoneHTTP
from app.bench.runner import (
    CONNECT_CONCURRENCY,
    ORGANISATIONS,
    TLS,
    AppTarget,
    Client,
    Meter,
    _server_env,
    cookie_header,
    cpu_seconds,
    fetch_files,
    free_port,
    http_up,
    pin,
    raise_file_limit,
    subprocess_server,
)
from app.config import Settings
from app.demo.driver import csrf_of, prepare, ws_url


@dataclass
class Joining:
    """One phone partway through its join: its connections, what it has fetched, the last page it got."""

    http: PhoneHTTP
    index: int
    fetched: set[str] = field(default_factory=set)
    page: str = ""
    location: str = ""
    socket: Client | None = None


def phases(target: AppTarget) -> dict[str, Callable[[Joining], Awaitable[None]]]:
    """Each request of a join, in order, as a function of one phone."""
    origin = {"Origin": target.base_url}

    async def join_page(phone: Joining) -> None:
        page = await phone.http.request("GET", f"/j/{target.code}")
        page.raise_for_status()
        phone.page = page.text

    async def files(phone: Joining) -> None:
        await fetch_files(phone.http, phone.page, phone.fetched)

    async def form(phone: Joining) -> None:
        fields = {
            "csrf": csrf_of(phone.page),
            "name": f"Telefoon {phone.index}",
            "organisation": f"Partner {phone.index % ORGANISATIONS + 1}",
        }
        response = await phone.http.request("POST", f"/j/{target.code}/participant", form=fields, headers=origin)
        if response.status != 303:
            raise RuntimeError(f"join failed with HTTP {response.status}")
        phone.location = response.headers["location"]

    async def phone_page(phone: Joining) -> None:
        page = await phone.http.request("GET", phone.location)
        page.raise_for_status()
        phone.page = page.text

    async def websocket(phone: Joining) -> None:
        phone.socket = Client(Meter())
        await phone.socket.start(
            ws_url(target.base_url, f"/ws/phone/{target.code}"), cookie_header(phone.http.cookies) | origin
        )

    return {
        "join page": join_page,
        "its files": files,
        "form": form,
        "phone page": phone_page,
        "its files ": files,
        "websocket": websocket,
    }


async def one_round(target: AppTarget, pid: int, phones: int) -> dict[str, float]:
    """Join phones phase by phase; the server's CPU per phone for each phase, in ms."""
    room = [Joining(PhoneHTTP(target.base_url, tls=TLS, timeout=60), index) for index in range(phones)]
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    spent: dict[str, float] = {}

    async def gated(step: Callable[[Joining], Awaitable[None]], phone: Joining) -> None:
        async with gate:
            await step(phone)

    try:
        for name, step in phases(target).items():
            before = cpu_seconds([pid])
            await asyncio.gather(*(gated(step, phone) for phone in room))
            spent[name.strip()] = spent.get(name.strip(), 0.0) + (cpu_seconds([pid]) - before) * 1000 / phones
    finally:
        for phone in room:
            await phone.http.close()
            if phone.socket is not None:
                await phone.socket.close()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    raise_file_limit()
    pin(0, 1)
    python = [sys.executable, "-c", "import sys; from app.cli import main; main(sys.argv[1:])"]
    with tempfile.TemporaryDirectory(prefix="doorbraak-phases-") as scratch:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        settings = Settings(data_dir=Path(scratch) / "data", database_url=None)
        command = [*python, "serve", "--port", str(port), "--log-level", "warning"]
        env = _server_env(settings.data_dir, args.phones * args.rounds)
        with subprocess_server(command, env=env, log=Path(scratch) / "server.log", ready=http_up(base_url)) as pid:
            for number in range(1, args.rounds + 1):
                target = AppTarget(base_url, prepare(settings))
                spent = asyncio.run(one_round(target, pid, args.phones))
                figures = "  ".join(f"{name} {ms:.3f}" for name, ms in spent.items())
                print(f"round {number}: {figures}  | per join {sum(spent.values()):.3f} ms", flush=True)


if __name__ == "__main__":
    main()
