"""The load generator: one event loop, N simulated phones, a projector and a facilitator's board, four scenarios."""

import asyncio
import contextlib
import gc
import json
import math
import os
import random
import re
import resource
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin

import httpx
from websockets.asyncio.client import ClientConnection, connect

from app.bench.phone_http import PhoneHTTP
from app.catalog.service import formats
from app.config import Settings
from app.demo.driver import DemoFacilitator, DemoWorkshop, csrf_of, ws_url

ANSWER_TIMEOUT = 10.0  # an answer without an ack this long after the last send counts as lost
BURST_SECONDS = 2.0
CONNECT_CONCURRENCY = 50
# the organisations the phones of a join storm name, so the join page has a list to offer, as at a town hall
ORGANISATIONS = 40
# the static files a page names, and the modules a script imports (what a browser fetches after the HTML)
STATIC_REFERENCE = re.compile(r'(?:src|href)="(/static/[^"]+)"')
MODULE_IMPORT = re.compile(r'(?:from|import)\s*"(\./[^"]+)"')
FIELDS = (
    "phones",
    "connect_s",
    "headline_round",
    "ack_p50_ms",
    "ack_p99_ms",
    "projector_p50_ms",
    "projector_p99_ms",
    "step_all_phones_p99_ms",
    "answers_per_s",
    "lost",
    "duplicated",
    "server_rss_mb",
    "server_cpu_us_per_delivery",
    "baseline_cpu_us_per_delivery",
    "ratio_vs_baseline",
)
Say = Callable[[str], None]
T = TypeVar("T")


@dataclass
class BenchOptions:
    """What to run: how many phones, against which server, and the sustained phase's pace."""

    phones: int = 200
    url: str | None = None
    rate: float = 50.0
    seconds: float = 5.0
    baseline: bool = True
    # bursts and step changes measured per server; the headline figures are the median round's
    rounds: int = 5
    # the port of the server the bench starts (the baseline's is the next one); None: any free port
    port: int | None = None
    # the join storm with answers beside it: phones/2 join while phones/4 already in a room keep answering
    mixed: bool = True


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


class Progress:
    """A one-line counter on standard error ("joining 150/200"), redrawn at most five times a second."""

    def __init__(self, label: str, total: int) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.shown = 0.0
        self.tty = sys.stderr.isatty()

    def step(self, count: int = 1) -> None:
        """Count progress and redraw when due."""
        self.done += count
        now = time.monotonic()
        if self.done >= self.total or now - self.shown > (0.2 if self.tty else 2.0):
            self.shown = now
            end = "\r" if self.tty else "\n"
            print(f"  {self.label} {self.done}/{self.total}", end=end, file=sys.stderr, flush=True)

    def finish(self) -> None:
        """Leave the line clean for the scenario's result."""
        if self.tty:
            print(" " * (len(self.label) + 24), end="\r", file=sys.stderr, flush=True)


# --- the server's resources, from /proc ---


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU time the server's processes (all their threads, ended ones too) have used so far, to the nanosecond."""
    # the scheduler's run time, as /proc/PID/task/*/schedstat gives it per thread, but summed by the kernel over
    # every thread the process has had: the server's idle worker threads end, and a sum over the threads still
    # there loses their time (negative windows); /proc/PID/stat keeps it but counts 10 ms ticks
    return sum(time.clock_gettime_ns(process_cpu_clock(pid)) for pid in pids) / 1e9


def process_cpu_clock(pid: int) -> int:
    """The id of another process's CPU clock, as C's clock_getcpuclockid(pid) makes it on Linux."""
    # MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED) in the kernel's posix-timers.h
    return (~pid << 3) | 2


def steal_seconds() -> float:
    """CPU time this virtual machine's CPUs have lost to others so far (the steal column of /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return 0.0
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


def rss_mb(pids: Sequence[int]) -> float | None:
    """The server's resident memory in MB: all its processes together (workers and their supervisor)."""
    if not pids:
        return None
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return round(total / 1024, 1)


def pids_listening_on(port: int) -> list[int]:
    """The processes (of this user) that hold a TCP port's listening socket, found through /proc.

    With `serve --workers N` that is the supervisor and every worker: they share the socket.
    """
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{parts[9]}]")
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if any(_link(fd) in inodes for fd in (entry / "fd").iterdir()):
                found.append(int(entry.name))
    return sorted(found)


def _link(fd: Path) -> str | None:
    try:
        return os.readlink(fd)
    except OSError:
        return None


def pin(pid: int, core: int) -> None:
    """Pin a process to one core where the machine allows; quietly nothing otherwise."""
    if (os.cpu_count() or 1) < 2 or not hasattr(os, "sched_setaffinity"):
        return
    with contextlib.suppress(OSError):
        os.sched_setaffinity(pid, {core})


def raise_file_limit() -> None:
    """Allow as many open files as the hard limit does: each phone is a socket on both sides."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def subprocess_server(
    command: list[str], *, env: dict[str, str], log: Path, ready: Callable[[], bool]
) -> Iterator[int]:
    """Start a server process pinned to core 0, wait until it answers, and stop it afterwards."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        pin(process.pid, 0)
        # a fresh database migrates before the first answer: a minute, as on a busy CI machine half of that was short
        deadline = time.monotonic() + 60
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not come up; its output:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def http_up(base_url: str) -> Callable[[], bool]:
    """A check that the server at base_url answers its health URL."""

    def check() -> bool:
        try:
            return httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    return check


def _port_open(port: int) -> Callable[[], bool]:
    def check() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    return check


# --- the simulated clients ---


class Meter:
    """What every client received: frames (the server's deliveries) and the duplicates among them."""

    def __init__(self) -> None:
        self.frames = 0
        self.duplicate_acks = 0


class Client:
    """One websocket the bench reads; waiters are futures keyed by what resolves them."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        self.socket: ClientConnection | None = None
        self.waiters: dict[str, asyncio.Future[Any]] = {}
        self.reader: asyncio.Task[None] | None = None

    def expect(self, key: str) -> asyncio.Future[Any]:
        """A future that the reader resolves when the frame with this key arrives."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiters[key] = future
        return future

    def resolve(self, key: str, value: Any) -> None:
        """Hand a received frame's value to whoever waits for it."""
        future = self.waiters.pop(key, None)
        if future is not None and not future.done():
            future.set_result(value)

    async def start(self, url: str, headers: dict[str, str] | None = None) -> None:
        """Open the websocket and wait for the server's first frame (the snapshot)."""
        snapshot = self.expect("snapshot")
        self.socket = await connect(
            url, additional_headers=headers, compression=None, open_timeout=60, max_queue=None, ping_interval=None
        )
        self.reader = asyncio.create_task(self._read(self.socket))
        await asyncio.wait_for(snapshot, 60)

    async def _read(self, socket: ClientConnection) -> None:
        with contextlib.suppress(Exception):  # the connection ends when the bench or the server closes it
            async for raw in socket:
                now = time.perf_counter()
                self.meter.frames += 1
                self.received(json.loads(raw), now)

    def received(self, frame: dict[str, Any], now: float) -> None:
        """Resolve waiters for a frame."""
        kind = frame.get("type")
        if kind in ("ack", "error") and frame.get("client_id"):
            if kind == "ack" and frame.get("duplicate"):
                self.meter.duplicate_acks += 1
            self.resolve(f"answer:{frame['client_id']}", (kind, now))
        elif kind == "event" and frame.get("kind") == "step.changed":
            self.resolve(f"step:{frame['data'].get('step_index')}", now)
        elif kind == "snapshot":
            self.resolve("snapshot", now)

    async def send(self, message: dict[str, Any]) -> None:
        """Send one JSON message."""
        assert self.socket is not None
        await self.socket.send(json.dumps(message))

    async def close(self) -> None:
        """Close the websocket."""
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.socket.close(), 5)
        if self.reader is not None:
            self.reader.cancel()


class Screen(Client):
    """A staff screen (the projector, the board): records when each answer's event arrives, counts any seen twice."""

    def __init__(self, meter: Meter) -> None:
        super().__init__(meter)
        self.seen: set[str] = set()
        self.duplicates = 0

    def received(self, frame: dict[str, Any], now: float) -> None:
        """Also resolve waiters for answer.created events by client_id."""
        if frame.get("type") == "event" and frame.get("kind") == "answer.created":
            client_id = str(frame["data"].get("client_id"))
            if client_id in self.seen:
                self.duplicates += 1
            self.seen.add(client_id)
            self.resolve(f"shown:{client_id}", now)
            return
        super().received(frame, now)


class Target:
    """How phones, the projector and the facilitator reach one kind of server."""

    async def open_phone(self, client: Client, index: int) -> None:
        """Join and connect a phone."""
        raise NotImplementedError

    async def open_screens(self, projector: Client, board: Client) -> None:
        """Connect the projector and the facilitator's board."""
        raise NotImplementedError

    async def move_step(self, index: int) -> None:
        """Move the workshop to a step; returns once the server took the request."""
        raise NotImplementedError

    async def close(self) -> None:
        """Release what the target holds."""


def cookie_header(cookies: Mapping[str, str]) -> dict[str, str]:
    """The cookies a browser holds, as the header its page's websocket sends."""
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


# made once: a context per phone would cost the load generator milliseconds each (the bench speaks plain HTTP, but
# a --url may be https)
TLS = ssl.create_default_context()


async def fetch_files(http: PhoneHTTP, page: str, fetched: set[str]) -> None:
    """Fetch what a page names under /static/ and the modules its scripts import, each URL once (a browser's cache
    keeps them for a year), those known at the same moment side by side as a browser does."""
    wanted = [url for url in dict.fromkeys(STATIC_REFERENCE.findall(page)) if url not in fetched]
    while wanted:
        fetched.update(wanted)
        responses = await asyncio.gather(*(http.request("GET", url) for url in wanted))
        found: list[str] = []
        for url, response in zip(wanted, responses, strict=True):
            response.raise_for_status()
            if url.endswith(".js"):
                found.extend(urljoin(url, name) for name in MODULE_IMPORT.findall(response.text))
        wanted = [url for url in dict.fromkeys(found) if url not in fetched]


class AppTarget(Target):
    """Doorbraak itself: phones join over HTTP, the facilitator signs in and moves steps over HTTP."""

    def __init__(self, base_url: str, workshop: DemoWorkshop) -> None:
        self.base_url = base_url.rstrip("/")
        self.code = workshop.code
        self.projector_path = workshop.projector_path
        self.password = workshop.password
        self.facilitator = DemoFacilitator(self.base_url, workshop.workshop_id)

    async def open_phone(self, client: Client, index: int) -> None:
        """Join as a fresh phone does: the join page and its files, the form, the phone page the form redirects to
        and its files, then the phone's websocket with the participant cookie."""
        # each phone is its own device with its own connections, kept alive only for its own requests (a pool shared
        # by phones reused connections the server had closed for idleness: failed joins at 2,000 phones)
        http = PhoneHTTP(self.base_url, tls=TLS, timeout=60)
        origin = {"Origin": self.base_url}
        try:
            fetched: set[str] = set()
            page = await http.request("GET", f"/j/{self.code}")
            page.raise_for_status()
            html = page.text
            await fetch_files(http, html, fetched)
            organisation = f"Partner {index % ORGANISATIONS + 1}"
            response = await http.request(
                "POST",
                f"/j/{self.code}/participant",
                form={"csrf": csrf_of(html), "name": f"Telefoon {index}", "organisation": organisation},
                headers=origin,
            )
            if response.status != 303:
                raise RuntimeError(f"join failed with HTTP {response.status}")
            page = await http.request("GET", response.headers["location"])
            page.raise_for_status()
            await fetch_files(http, page.text, fetched)
            await client.start(ws_url(self.base_url, f"/ws/phone/{self.code}"), cookie_header(http.cookies) | origin)
        finally:
            await http.close()

    async def open_screens(self, projector: Client, board: Client) -> None:
        """Open the projector's websocket, sign the facilitator in and open the board's, as its page does."""
        token = self.projector_path.rsplit("/", 1)[1]
        await projector.start(ws_url(self.base_url, f"/ws/projector/{token}"))
        await self.facilitator.sign_in(self.password)
        board_url = ws_url(self.base_url, f"/ws/board/{self.facilitator.workshop_id}")
        await board.start(board_url, cookie_header(self.facilitator.http.cookies))

    async def move_step(self, index: int) -> None:
        """The board's step button."""
        await self.facilitator.step(str(index))

    async def close(self) -> None:
        """Close the facilitator's HTTP connections."""
        await self.facilitator.close()


class BaselineTarget(Target):
    """The bare websockets server: no join, the facilitator's board is a websocket that also sends "step"."""

    def __init__(self, port: int) -> None:
        self.base_url = f"ws://127.0.0.1:{port}"
        self.board: Client | None = None

    async def open_phone(self, client: Client, index: int) -> None:
        """Open a phone's websocket."""
        await client.start(f"{self.base_url}/ws/phone/{index}")

    async def open_screens(self, projector: Client, board: Client) -> None:
        """Open the projector's and the board's websockets."""
        await projector.start(f"{self.base_url}/ws/projector/bench")
        await board.start(f"{self.base_url}/ws/board/bench")
        self.board = board

    async def move_step(self, index: int) -> None:
        """Ask for a step change over the board's websocket."""
        assert self.board is not None
        await self.board.send({"type": "step", "step_index": index})


# --- the scenarios ---


async def _settle(futures: list[asyncio.Future[Any]], within: float) -> None:
    if futures:
        await asyncio.wait(futures, timeout=within)


def _answer(step: str, text: str) -> tuple[str, dict[str, Any]]:
    client_id = str(uuid.uuid4())
    return client_id, {"type": "answer", "client_id": client_id, "step": step, "text": text}


class Room:
    """The phones, projector and target of one run, and the scenarios played on them."""

    def __init__(self, target: Target, meter: Meter, phones: int, say: Say) -> None:
        self.target = target
        self.meter = meter
        self.phones = [Client(meter) for _ in range(phones)]
        self.projector = Screen(meter)
        self.board = Screen(meter)
        self.say = say

    @property
    def screens(self) -> tuple[Screen, Screen]:
        """The staff screens: each gets every answer and every step."""
        return self.projector, self.board

    async def open_screens(self) -> None:
        """Connect the projector and the facilitator's board."""
        await self.target.open_screens(self.projector, self.board)

    async def join_phones(self, phones: list[Client], *, first: int = 0, label: str = "joining") -> dict[str, Any]:
        """These phones join at once (at most CONNECT_CONCURRENCY setting up at a time) and become the room's;
        each join is timed from its first request to its snapshot."""
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        progress = Progress(label, len(phones))
        failures: list[BaseException] = []
        times: list[float] = []

        async def join(index: int, phone: Client) -> None:
            async with gate:
                began = time.perf_counter()
                try:
                    await self.target.open_phone(phone, index)
                except Exception as exc:  # counted and reported: a failed join is a finding, not a crash
                    failures.append(exc)
                else:
                    times.append(time.perf_counter() - began)
                progress.step()

        started = time.perf_counter()
        await asyncio.gather(*(join(first + i, phone) for i, phone in enumerate(phones)))
        connect_s = time.perf_counter() - started
        progress.finish()
        joining = {id(phone) for phone in phones}
        self.phones = [phone for phone in self.phones if id(phone) not in joining] + [
            phone for phone in phones if phone.socket is not None and phone.reader is not None
        ]
        if failures:
            self.say(f"  {len(failures)} joins failed, first: {failures[0]!r}")
        return {
            "connect_s": round(connect_s, 2),
            "join_failures": len(failures),
            "join_p50_ms": _ms(percentile(times, 0.5)),
            "join_p99_ms": _ms(percentile(times, 0.99)),
            "join_max_ms": _ms(max(times, default=0.0)),
        }

    async def step_change(self, index: int) -> dict[str, Any]:
        """Move the workshop on and time until every phone has the step (and wait for the screens to have it)."""
        futures = [phone.expect(f"step:{index}") for phone in self.phones]
        on_screens = [screen.expect(f"step:{index}") for screen in self.screens]
        started = time.perf_counter()
        await self.target.move_step(index)
        await _settle(futures + on_screens, ANSWER_TIMEOUT)
        delays = [future.result() - started for future in futures if future.done()]
        return {
            "step_all_phones_p99_ms": _ms(percentile(delays, 0.99)),
            "step_all_phones_max_ms": _ms(max(delays, default=0.0)),
            "step_missed": len(futures) - len(delays) + sum(1 for future in on_screens if not future.done()),
        }

    async def burst(self, step: str) -> dict[str, Any]:
        """Every phone sends one answer, spread uniformly over BURST_SECONDS."""
        order = list(self.phones)
        random.Random(5).shuffle(order)
        progress = Progress("answering", len(order))
        sent: list[tuple[float, asyncio.Future[Any], asyncio.Future[Any]]] = []
        on_board: list[asyncio.Future[Any]] = []
        start = time.perf_counter() + 0.05
        for k, phone in enumerate(order):
            delay = start + BURST_SECONDS * k / len(order) - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            client_id, message = _answer(step, f"Bench-antwoord {k}: de regels zitten elkaar in de weg")
            ack = phone.expect(f"answer:{client_id}")
            on_projector = self.projector.expect(f"shown:{client_id}")
            on_board.append(self.board.expect(f"shown:{client_id}"))
            sent.append((time.perf_counter(), ack, on_projector))
            await phone.send(message)
            progress.step()
        await _settle([f for _, ack, on_projector in sent for f in (ack, on_projector)] + on_board, ANSWER_TIMEOUT)
        progress.finish()
        acks = [ack.result()[1] - at for at, ack, _ in sent if ack.done() and ack.result()[0] == "ack"]
        errors = sum(1 for _, ack, _ in sent if ack.done() and ack.result()[0] == "error")
        shown = [s.result() - at for at, _, s in sent if s.done()]
        return {
            "ack_p50_ms": _ms(percentile(acks, 0.5)),
            "ack_p99_ms": _ms(percentile(acks, 0.99)),
            "ack_max_ms": _ms(max(acks, default=0.0)),
            "projector_p50_ms": _ms(percentile(shown, 0.5)),
            "projector_p99_ms": _ms(percentile(shown, 0.99)),
            "projector_max_ms": _ms(max(shown, default=0.0)),
            "burst_lost": sum(1 for _, ack, _ in sent if not ack.done()),
            "burst_errors": errors,
            "burst_not_on_projector": len(sent) - len(shown),
            "burst_not_on_board": sum(1 for future in on_board if not future.done()),
        }

    async def sustained(self, step: str, rate: float, seconds: float) -> dict[str, Any]:
        """Answers at a steady rate, round-robin over the phones; how many per second come back acknowledged."""
        count = max(1, int(rate * seconds))
        interval = 1 / rate
        progress = Progress("sustained", count)
        sent: list[tuple[float, asyncio.Future[Any]]] = []
        on_screens: list[asyncio.Future[Any]] = []
        start = time.perf_counter() + 0.05
        for k in range(count):
            delay = start + k * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            phone = self.phones[k % len(self.phones)]
            client_id, message = _answer(step, f"Volgehouden antwoord {k}")
            ack = phone.expect(f"answer:{client_id}")
            on_screens.extend(screen.expect(f"shown:{client_id}") for screen in self.screens)
            sent.append((time.perf_counter(), ack))
            await phone.send(message)
            progress.step()
        # the screens' frames too: one arriving late would count in the measured step change that follows
        await _settle([ack for _, ack in sent] + on_screens, ANSWER_TIMEOUT)
        progress.finish()
        acked = [ack.result()[1] for _, ack in sent if ack.done() and ack.result()[0] == "ack"]
        elapsed = max(acked, default=start) - sent[0][0]
        return {
            "answers_per_s": round(len(acked) / elapsed, 1) if elapsed > 0 else 0.0,
            "sustained_sent": count,
            "sustained_lost": sum(1 for _, ack in sent if not ack.done()),
            "sustained_errors": sum(1 for _, ack in sent if ack.done() and ack.result()[0] == "error"),
        }

    async def answer_while(self, busy: "asyncio.Task[Any]", step: str, rate: float) -> dict[str, Any]:
        """Answers at a steady rate, round-robin over the room's phones, until the busy task is done; their acks."""
        phones = list(self.phones)
        interval = 1 / rate
        sent: list[tuple[float, asyncio.Future[Any]]] = []
        start = time.perf_counter() + 0.05
        while not busy.done():
            delay = start + len(sent) * interval - time.perf_counter()
            if delay > 0:
                await asyncio.wait({busy}, timeout=delay)
                continue
            client_id, message = _answer(step, f"Antwoord tijdens het binnenkomen {len(sent)}")
            phone = phones[len(sent) % len(phones)]
            sent.append((time.perf_counter(), phone.expect(f"answer:{client_id}")))
            await phone.send(message)
        await _settle([ack for _, ack in sent], ANSWER_TIMEOUT)
        acks = [ack.result()[1] - at for at, ack in sent if ack.done() and ack.result()[0] == "ack"]
        return {
            "ack_p50_ms": _ms(percentile(acks, 0.5)),
            "ack_p99_ms": _ms(percentile(acks, 0.99)),
            "ack_max_ms": _ms(max(acks, default=0.0)),
            "answers": len(sent),
            "lost": sum(1 for _, ack in sent if not ack.done()),
            "errors": sum(1 for _, ack in sent if ack.done() and ack.result()[0] == "error"),
        }

    async def close(self) -> None:
        """Close every connection, a bounded number at a time."""
        gate = asyncio.Semaphore(200)

        async def close(client: Client) -> None:
            async with gate:
                await client.close()

        await asyncio.gather(*(close(c) for c in [*self.screens, *self.phones]))
        await self.target.close()


def per_delivery(pids: Sequence[int], cpu: float, deliveries: int) -> float | None:
    """Server CPU microseconds per delivered frame; None where the server's process is not visible."""
    return round(cpu * 1e6 / deliveries, 1) if pids and deliveries else None


def per_join(cpu: float | None, joins: int) -> float | None:
    """CPU milliseconds per join (the server's or the load generator's); None where the process is not visible."""
    return round(cpu * 1e3 / joins, 2) if cpu is not None and joins else None


async def measured_cpu(pids: Sequence[int], scenario: Awaitable[T]) -> tuple[T, float | None]:
    """Run a scenario; also return the server's CPU seconds meanwhile (None where its process is not visible)."""
    cpu = cpu_seconds(pids)
    result = await scenario
    return result, cpu_seconds(pids) - cpu if pids else None


async def measured(
    pids: Sequence[int], meter: Meter, scenario: Awaitable[dict[str, Any]]
) -> tuple[dict[str, Any], float, int, float]:
    """Run a scenario; also return the server's CPU seconds, the frames delivered and the host's steal meanwhile."""
    cpu, frames, stolen = cpu_seconds(pids), meter.frames, steal_seconds()
    result = await scenario
    return result, cpu_seconds(pids) - cpu, meter.frames - frames, steal_seconds() - stolen


@dataclass
class Round:
    """One measured burst and step change, with the server CPU and the frames each one cost."""

    burst: dict[str, Any]
    step: dict[str, Any]
    burst_cpu: float
    burst_frames: int
    step_cpu: float
    step_frames: int
    # CPU time the host gave to other machines during the burst and the step change: a busy neighbour inflates every
    # figure
    steal_s: float = 0.0


class Side:
    """A server under test: its phones, its processes, the steps it moves between, and its measured rounds."""

    def __init__(
        self,
        room: Room,
        pids: Sequence[int],
        *,
        open_step: int,
        next_step: int,
    ) -> None:
        self.room = room
        self.pids = pids
        self.open_step = open_step
        self.next_step = next_step
        # run between a round's burst and its step change, unmeasured (ours: the sustained phase, once)
        self.between: Callable[[int], Awaitable[None]] | None = None
        self.rounds: list[Round] = []

    async def join(self) -> dict[str, Any]:
        """The screens connect, every phone joins (with the server's CPU per join), and the room opens the question
        the bursts answer."""
        await self.room.open_screens()
        # the load generator's own CPU beside the server's: when it is near the wall time per join, the load
        # generator and not the server set the join times
        own = time.process_time()
        joined, cpu = await measured_cpu(self.pids, self.room.join_phones(self.room.phones))
        own = time.process_time() - own
        await self.room.step_change(self.open_step)
        joins = len(self.room.phones) or 1
        return joined | {
            "cpu_ms_per_join": per_join(cpu, joins),
            "load_generator_cpu_ms_per_join": per_join(own, joins),
        }

    async def mixed(self, *, joining: int, rate: float) -> dict[str, Any]:
        """While the room's phones answer at rate, joining more phones join: how late those answers'
        acknowledgements come, and the joins meanwhile."""
        room = self.room
        await room.open_screens()
        await room.join_phones(room.phones, label="in the room")
        await room.step_change(self.open_step)
        in_room = len(room.phones)
        newcomers = [Client(room.meter) for _ in range(joining)]

        async def join_and_answer() -> tuple[dict[str, Any], dict[str, Any]]:
            joins = asyncio.create_task(room.join_phones(newcomers, first=in_room))
            answered = await room.answer_while(joins, "obstacles", rate)
            return await joins, answered

        (joined, answered), cpu = await measured_cpu(self.pids, join_and_answer())
        return (
            {"mixed_in_room": in_room, "mixed_joining": joining, "mixed_rate": rate}
            | {f"mixed_{key}": value for key, value in joined.items()}
            | {f"mixed_{key}": value for key, value in answered.items()}
            # the answers' cost is in it too
            | {"mixed_server_cpu_ms_per_join": per_join(cpu, joining)}
        )

    async def measure_round(self, number: int) -> Round:
        """One burst and one step change, each with the server CPU and the frames it cost."""
        room, meter = self.room, self.room.meter
        # this process's own garbage, collected now, between the measured windows (see collector_paused)
        gc.collect()
        if number:
            await room.step_change(self.open_step)  # back to the open question, unmeasured
        burst, burst_cpu, burst_frames, burst_steal = await measured(self.pids, meter, room.burst("obstacles"))
        if self.between is not None:
            await self.between(number)
        step, step_cpu, step_frames, step_steal = await measured(self.pids, meter, room.step_change(self.next_step))
        self.rounds.append(Round(burst, step, burst_cpu, burst_frames, step_cpu, step_frames, burst_steal + step_steal))
        return self.rounds[-1]


async def alternate_rounds(sides: Sequence[Side], rounds: int) -> None:
    """Round after round, each side in turn: a slow minute on this machine falls on both servers alike."""
    for number in range(rounds):
        for side in sides:
            await side.measure_round(number)


def median_round(figures: Sequence[float | None]) -> int | None:
    """The index of the median round by these figures (of an even number, the higher of the middle two: the
    headline never flatters); None where no round has one."""
    known = sorted((figure, index) for index, figure in enumerate(figures) if figure is not None)
    return known[len(known) // 2][1] if known else None


def cpu_figures(pids: Sequence[int], r: Round) -> dict[str, float | None]:
    """A round's CPU per delivery: overall, and an answer's whole path (the burst) and a pure fan-out (the step)."""
    return {
        "cpu_us_per_delivery": per_delivery(pids, r.burst_cpu + r.step_cpu, r.burst_frames + r.step_frames),
        "burst_cpu_us_per_delivery": per_delivery(pids, r.burst_cpu, r.burst_frames),
        "step_cpu_us_per_delivery": per_delivery(pids, r.step_cpu, r.step_frames),
    }


def summarise(
    rounds: list[Round],
    pids: Sequence[int],
    *,
    baseline_rounds: list[Round] | None = None,
    baseline_pids: Sequence[int] = (),
) -> dict[str, Any]:
    """The headline figures, all from one round (`headline_round`, chosen as `headline_by` says), each round's
    figures beside them, and losses summed over the rounds."""
    ours = [cpu_figures(pids, r) for r in rounds]
    theirs = [cpu_figures(baseline_pids, r) for r in baseline_rounds or []]
    ours_cpu = [f["cpu_us_per_delivery"] for f in ours]
    theirs_cpu = [f["cpu_us_per_delivery"] for f in theirs] or [None] * len(ours)
    # each of our rounds against the baseline round played right after it
    ratios = [round(o / b, 2) if o and b else None for o, b in zip(ours_cpu, theirs_cpu, strict=True)]
    latencies = [r.burst | r.step for r in rounds]
    by, headline = next(
        (by, chosen)
        for by, chosen in (
            ("ratio", median_round(ratios)),
            ("server CPU per delivery", median_round(ours_cpu)),
            ("ack p99", median_round([figures["ack_p99_ms"] for figures in latencies])),
        )
        if chosen is not None
    )
    result: dict[str, Any] = {"headline_round": headline + 1, "headline_by": by}
    for key, value in latencies[headline].items():
        if key.endswith("_ms"):
            result[key] = value
            if key.endswith("_p99_ms"):
                result[f"{key}_rounds"] = [figures[key] for figures in latencies]
        else:
            result[key] = sum(figures[key] for figures in latencies)
    result |= _side_cpu("server_", ours, rounds, headline)
    if baseline_rounds is None:
        return result | {"baseline_cpu_us_per_delivery": None, "ratio_vs_baseline": None}
    result |= _side_cpu("baseline_", theirs, baseline_rounds, headline)
    return result | {"ratio_vs_baseline": ratios[headline], "ratio_rounds": ratios}


def _side_cpu(
    prefix: str, figures: list[dict[str, float | None]], rounds: list[Round], headline: int
) -> dict[str, Any]:
    return {f"{prefix}{key}": value for key, value in figures[headline].items()} | {
        f"{prefix}cpu_us_per_delivery_rounds": [f["cpu_us_per_delivery"] for f in figures],
        f"{prefix}deliveries": sum(r.burst_frames + r.step_frames for r in rounds),
        f"{prefix}steal_s_rounds": [round(r.steal_s, 2) for r in rounds],
    }


def _steps() -> list[str]:
    return [step.id for step in formats()["doorbraak"].steps]


def app_side(target: "AppTarget", *, pids: Sequence[int], phones: int, say: Say) -> Side:
    """Doorbraak under test: bursts answer the obstacle question, the step change moves on to clustering."""
    steps = _steps()
    room = Room(target, Meter(), phones, say)
    return Side(room, pids, open_step=steps.index("obstacles"), next_step=steps.index("cluster"))


def baseline_side(port: int, *, pid: int, phones: int, say: Say) -> Side:
    """The bare websockets server under test, with the same phones and message pattern."""
    return Side(Room(BaselineTarget(port), Meter(), phones, say), [pid], open_step=1, next_step=2)


async def run_sides(
    app: Side, baseline: Side | None, *, rate: float, seconds: float, rounds: int, say: Say
) -> dict[str, Any]:
    """All four scenarios against Doorbraak, the burst and the step change `rounds` times, alternating with the
    baseline's rounds where there is one."""
    room = app.room
    result: dict[str, Any] = {"phones": len(room.phones), "rounds": rounds}

    async def sustained_once(number: int) -> None:
        if number:
            return
        # the rate limit refills 1 answer per second per phone: faster than that would measure the limiter
        capped = min(rate, float(len(room.phones)))
        if capped < rate:
            say(f"sustained    {rate}/s over {len(room.phones)} phones exceeds 1/s per phone: capped at {capped}/s")
        sustained = await room.sustained("obstacles", capped, seconds)
        result.update(sustained | {"sustained_rate": capped, "sustained_seconds": seconds})
        say(
            f"sustained    {capped}/s for {seconds} s: {sustained['answers_per_s']} answers/s acknowledged, "
            f"lost {sustained['sustained_lost']}, errors {sustained['sustained_errors']}"
        )

    app.between = sustained_once
    try:
        joined = await app.join()
        result |= {("server_" if key == "cpu_ms_per_join" else "") + key: value for key, value in joined.items()}
        say(f"join storm   {len(room.phones)} phones joined in {result['connect_s']} s: {join_line(joined)}")
        if baseline is not None:
            joined = await baseline.join()
            result |= {f"baseline_{key}": value for key, value in joined.items()}
            say(
                f"baseline     {len(baseline.room.phones)} phones connected in {joined['connect_s']} s: "
                f"{join_line(joined)}"
            )
        await alternate_rounds([app] if baseline is None else [app, baseline], rounds)
        result |= summarise(
            app.rounds,
            app.pids,
            baseline_rounds=None if baseline is None else baseline.rounds,
            baseline_pids=() if baseline is None else baseline.pids,
        )
        result["server_rss_mb"] = rss_mb(app.pids)
        result["lost"] = result["burst_lost"] + result["sustained_lost"]
        result["duplicated"] = sum(screen.duplicates for screen in room.screens) + room.meter.duplicate_acks
        report(result, say)
    finally:
        await room.close()
        if baseline is not None:
            await baseline.room.close()
    return result


def join_line(joined: dict[str, Any]) -> str:
    """A join storm's figures in words."""
    return (
        f"join p50 {joined['join_p50_ms']} ms, p99 {joined['join_p99_ms']} ms, max {joined['join_max_ms']} ms; "
        f"server CPU {joined['cpu_ms_per_join']} ms per join (the load generator's "
        f"{joined['load_generator_cpu_ms_per_join']} ms); {joined['join_failures']} failed"
    )


async def run_mixed(side: Side, *, joining: int, rate: float, say: Say) -> dict[str, Any]:
    """The mixed scenario in a room of its own: joining phones join while the room's phones keep answering."""
    in_room = len(side.room.phones)
    # the rate limit refills one answer a second per phone
    capped = min(rate, float(in_room))
    try:
        mixed = await side.mixed(joining=joining, rate=capped)
    finally:
        await side.room.close()
    say(
        f"mixed        {joining} phones joined in {mixed['mixed_connect_s']} s (join p99 {mixed['mixed_join_p99_ms']} "
        f"ms, {mixed['mixed_join_failures']} failed) while {in_room} in the room answered {capped}/s: ack p50 "
        f"{mixed['mixed_ack_p50_ms']} ms, p99 {mixed['mixed_ack_p99_ms']} ms, lost {mixed['mixed_lost']}, errors "
        f"{mixed['mixed_errors']}"
    )
    return mixed


def report(result: dict[str, Any], say: Say) -> None:
    """The measured rounds in words: the headline round's figures, each round's beside them."""
    chosen = f"round {result['headline_round']} of {result['rounds']}"
    say(
        f"headline     {chosen}, the median round by {result['headline_by']}: every figure below is that round's, "
        "each round's in brackets"
    )
    say(
        f"burst        ack p50 {result['ack_p50_ms']} ms, p99 {result['ack_p99_ms']} ms "
        f"({result['ack_p99_ms_rounds']}); projector p50 {result['projector_p50_ms']} ms, p99 "
        f"{result['projector_p99_ms']} ms ({result['projector_p99_ms_rounds']}); lost {result['burst_lost']}, "
        f"errors {result['burst_errors']} (all rounds)"
    )
    say(
        f"step change  all phones p99 {result['step_all_phones_p99_ms']} ms "
        f"({result['step_all_phones_p99_ms_rounds']}), missed {result['step_missed']} (all rounds)"
    )
    say(
        f"server       rss {result['server_rss_mb']} MB, cpu {result['server_cpu_us_per_delivery']} us per delivered "
        f"message ({result['server_cpu_us_per_delivery_rounds']}); burst {result['server_burst_cpu_us_per_delivery']}"
        f", step {result['server_step_cpu_us_per_delivery']}; CPU time stolen by the host per round: "
        f"{result['server_steal_s_rounds']} s"
    )
    if result["ratio_vs_baseline"] is None:
        return
    say(
        f"baseline     cpu {result['baseline_cpu_us_per_delivery']} us per delivered message "
        f"({result['baseline_cpu_us_per_delivery_rounds']}); burst {result['baseline_burst_cpu_us_per_delivery']}, "
        f"step {result['baseline_step_cpu_us_per_delivery']}"
    )
    say(
        f"ratio        {result['ratio_vs_baseline']} x the bare websockets baseline in {chosen} "
        f"({result['ratio_rounds']})"
    )


def _server_env(data_dir: Path, phones: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DOORBRAAK_DATABASE_URL", "DOORBRAAK_BROADCAST_URL")}
    # every simulated phone comes from 127.0.0.1: a room behind one address of the bench's size, which may be
    # larger than the defaults are sized for; the limits still count every join and answer, at the room's size
    room = {
        "DOORBRAAK_LIMIT_JOINS_PER_ADDRESS": f"{2 * phones}/minute",
        "DOORBRAAK_LIMIT_JOINS_PER_WORKSHOP": f"{2 * phones}/minute",
        "DOORBRAAK_LIMIT_ANSWERS_PER_ADDRESS": f"{20 * phones}/minute",
        "DOORBRAAK_LIMIT_TAPS_PER_ADDRESS": f"{20 * phones}/minute",
    }
    return env | room | {"DOORBRAAK_DATA_DIR": str(data_dir)}


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic garbage collection in the load generator while it runs; each round collects before it starts.

    With 4,000 connections open, one full collection stops the load generator for 300-350 ms, and where it fell in
    a burst it showed as 400 ms acknowledgements of a server that had answered in time (seen with a gc.callbacks
    timer in the load generator, while the server's own loop never lagged more than 110 ms).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run(options: BenchOptions, say: Say = print) -> dict[str, Any]:
    """Run the benchmark and return its figures (the fields in FIELDS and a few more)."""
    from app.demo.driver import prepare

    raise_file_limit()
    own_affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    pin(0, 1)
    python = [sys.executable, "-c", "import sys; from app.cli import main; main(sys.argv[1:])"]
    try:
        with tempfile.TemporaryDirectory(prefix="doorbraak-bench-") as scratch:
            scratch_dir = Path(scratch)
            with contextlib.ExitStack() as stack:
                if options.url:
                    base_url = options.url.rstrip("/")
                    settings = Settings()
                    pids = pids_listening_on(httpx.URL(base_url).port or 80)
                    if not pids:
                        say("the server's process is not visible here: no memory or CPU figures")
                else:
                    port = options.port or free_port()
                    base_url = f"http://127.0.0.1:{port}"
                    settings = Settings(data_dir=scratch_dir / "data", database_url=None)
                    command = [*python, "serve", "--port", str(port), "--log-level", "warning"]
                    pids = [
                        stack.enter_context(
                            subprocess_server(
                                command,
                                env=_server_env(settings.data_dir, options.phones),
                                log=scratch_dir / "server.log",
                                ready=http_up(base_url),
                            )
                        )
                    ]
                prepared = prepare(settings)
                say(f"bench        {options.phones} phones against {base_url} (server processes {pids})")
                target = AppTarget(base_url, prepared)
                app = app_side(target, pids=pids, phones=options.phones, say=say)
                baseline = None
                if options.baseline:
                    # up beside ours from the start: the two servers' rounds alternate
                    port = options.port + 1 if options.port else free_port()
                    command = [sys.executable, "-m", "app.bench.baseline", "--port", str(port)]
                    baseline_pid = stack.enter_context(
                        subprocess_server(
                            command, env=dict(os.environ), log=scratch_dir / "baseline.log", ready=_port_open(port)
                        )
                    )
                    baseline = baseline_side(port, pid=baseline_pid, phones=options.phones, say=say)
                with collector_paused():
                    result = asyncio.run(
                        run_sides(
                            app, baseline, rate=options.rate, seconds=options.seconds, rounds=options.rounds, say=say
                        )
                    )
                    if options.mixed:
                        # a workshop of its own, on the same server: the first room's phones have left
                        gc.collect()
                        prepared = prepare(settings)
                        target = AppTarget(base_url, prepared)
                        side = app_side(target, pids=pids, phones=max(1, options.phones // 4), say=say)
                        mixed = run_mixed(side, joining=max(1, options.phones // 2), rate=options.rate, say=say)
                        result |= asyncio.run(mixed)
                    return result
    finally:
        if own_affinity is not None:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(0, own_affinity)


def table(result: dict[str, Any]) -> str:
    """The headline figures as an aligned two-column table."""
    width = max(len(name) for name in FIELDS)
    return "\n".join(f"  {name:<{width}}  {result.get(name)}" for name in FIELDS)
