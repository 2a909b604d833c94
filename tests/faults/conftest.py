"""A room on a real `doorbraak serve` process, and phones that live, answer and vanish over real websockets."""

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from app.config import Settings
from app.demo.driver import DemoFacilitator, DemoWorkshop, prepare, ws_url
from app.store.database import Database
from app.workshops import service as workshops
from tests.servers import doorbraak_serve, free_port, stop

SECRET = "fault-test-secret-" + "x" * 22


def server_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a SQLite server in data_dir; phones here may answer as fast as the test sends."""
    env = {k: v for k, v in os.environ.items() if k not in ("DOORBRAAK_DATABASE_URL", "DOORBRAAK_BROADCAST_URL")}
    return env | {
        "DOORBRAAK_DATA_DIR": str(data_dir),
        "DOORBRAAK_SECRET_KEY": SECRET,
        "DOORBRAAK_LIMIT_ANSWERS_PER_PHONE": "1000/second",
        "DOORBRAAK_LIMIT_ANSWERS_PER_ADDRESS": "100000/minute",
        **{f"DOORBRAAK_{name.upper()}": value for name, value in settings.items()},
    }


@dataclass
class Room:
    """A demo workshop on a running server, and what the test needs to reach it."""

    url: str
    settings: Settings
    demo: DemoWorkshop
    port: int
    log: Path

    def phone_cookies(self, count: int) -> list[dict[str, str]]:
        """Join count participants straight in the database; the Cookie header of each one's phone."""

        def join(db: Any) -> list[str]:
            return [
                workshops.join_workshop(
                    db,
                    workshop_id=self.demo.workshop_id,
                    name=f"Deelnemer {n}",
                    organisation="Wijkteam",
                    anonymous=False,
                )
                for n in range(count)
            ]

        db = Database(self.settings.resolved_database_url())
        try:
            tokens = db.write_sync(join)
        finally:
            db.close()
        cookie = workshops.PARTICIPANT_COOKIE.format(code=self.demo.code)
        return [{"Cookie": f"{cookie}={token}"} for token in tokens]

    async def facilitator(self) -> DemoFacilitator:
        """The demo facilitator, signed in."""
        facilitator = DemoFacilitator(self.url, self.demo.workshop_id)
        await facilitator.sign_in(self.demo.password)
        return facilitator


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Room]:
    """A demo workshop on `doorbraak serve` over SQLite, in a process of its own."""
    settings = Settings(data_dir=tmp_path / "data", secret_key=SECRET)
    demo = prepare(settings)
    port = free_port()
    log = tmp_path / "server.log"
    process = doorbraak_serve(port, server_env(settings.data_dir), log)
    try:
        yield Room(f"http://127.0.0.1:{port}", settings, demo, port, log)
    finally:
        stop(process)


@dataclass
class LivePhone:
    """A phone's websocket and every frame it received."""

    socket: ClientConnection
    frames: list[dict[str, Any]] = field(default_factory=list)
    acks: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, url: str, headers: dict[str, str] | None = None) -> "LivePhone":
        """Connect, and read every frame from now on."""
        socket = await connect(url, additional_headers=headers, compression=None, open_timeout=60, ping_interval=None)
        phone = cls(socket)
        phone.reader = asyncio.create_task(phone._read())
        return phone

    async def _read(self) -> None:
        with contextlib.suppress(Exception):  # the connection ends when the test or the server closes it
            async for raw in self.socket:
                frame = json.loads(raw)
                self.frames.append(frame)
                waiter = self.acks.pop(str(frame.get("client_id")), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(frame)

    async def answer(self, text: str, *, step: str = "obstacles") -> dict[str, Any]:
        """Send an answer and wait for the server's reply to it."""
        client_id = str(uuid.uuid4())
        self.acks[client_id] = asyncio.get_running_loop().create_future()
        await self.socket.send(json.dumps({"type": "answer", "client_id": client_id, "step": step, "text": text}))
        return await asyncio.wait_for(self.acks[client_id], 30)

    def steps(self) -> list[int]:
        """The step indexes of the step changes received, in order."""
        return [f["data"]["step_index"] for f in self.frames if f.get("kind") == "step.changed"]

    def vanish(self) -> None:
        """Drop off the network: the TCP connection is reset, no close frame is sent."""
        import socket as sockets
        import struct

        raw = self.socket.transport.get_extra_info("socket")
        # linger 0: the close sends a reset at once, as a phone that lost its network never says goodbye
        raw.setsockopt(sockets.SOL_SOCKET, sockets.SO_LINGER, struct.pack("ii", 1, 0))
        self.socket.transport.abort()

    async def close(self) -> None:
        """Leave properly."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.socket.close(), 5)
        if self.reader is not None:
            self.reader.cancel()


def phone_url(room: Room) -> str:
    """The phone's websocket address."""
    return ws_url(room.url, f"/ws/phone/{room.demo.code}")


def projector_url(room: Room, *, since: int | None = None, wid: str | None = None) -> str:
    """The projector's websocket address, resuming after since where given."""
    url = ws_url(room.url, room.demo.projector_path.replace("/p/", "/ws/projector/"))
    return url if since is None else f"{url}?since={since}&wid={wid}"


def shown(frames: list[dict[str, Any]]) -> list[str]:
    """The texts of the answers among the frames, in the order they came."""
    return [f["data"]["text"] for f in frames if f.get("kind") == "answer.created"]


async def until(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    """Wait for a condition, failing after seconds."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        await asyncio.sleep(0.05)
