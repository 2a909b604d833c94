"""Simulated phones and a facilitator that run a demo session against a server over real websockets."""

import asyncio
import json
import random
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from app.accounts import service as accounts
from app.catalog.service import formats
from app.config import Settings
from app.db import Database
from app.demo.content import CONTRIBUTIONS, DEMO_OPGAVE, DEMO_TITLE, OBSTACLES, PEOPLE
from app.models import Facilitator
from app.security import hash_password, new_token
from app.workshops import service as workshops

DEMO_EMAIL = "demo@doorbraak.local"


@dataclass
class DemoWorkshop:
    """What a person needs to watch the demo."""

    workshop_id: int
    code: str
    projector_path: str
    password: str


def prepare(settings: Settings) -> DemoWorkshop:
    """Create (or reset) the demo facilitator and a fresh demo workshop in the server's database."""
    db = Database(settings.resolved_database_url())
    db.migrate()
    password = new_token()

    def create(session: Any) -> DemoWorkshop:
        found = session.query(Facilitator).filter_by(email=DEMO_EMAIL).one_or_none()
        if found is None:
            found = accounts.create_facilitator(session, email=DEMO_EMAIL, name="Demo", password=password)
        else:
            found.password_hash = hash_password(password)
        workshop = workshops.create_workshop(
            session,
            facilitator_id=found.id,
            title=DEMO_TITLE,
            opgave=DEMO_OPGAVE,
            held_on=date.today(),
            spec=formats()["doorbraak"],
            allow_anonymous=True,
        )
        return DemoWorkshop(workshop.id or 0, workshop.join_code, f"/p/{workshop.projector_token}", password)

    try:
        return db.write_sync(create)
    finally:
        db.write_engine.dispose()
        db.read_engine.dispose()


def _csrf(page: str) -> str:
    marker = 'name="csrf-token" content="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def _ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://").replace("https://", "wss://").rstrip("/") + path


class Phone:
    """One simulated participant: joins over HTTP, then answers over its websocket."""

    def __init__(self, base_url: str, code: str, name: str, organisation: str) -> None:
        self.base_url = base_url
        self.code = code
        self.name = name
        self.organisation = organisation
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.socket: ClientConnection | None = None
        self.step_index = 0
        self.options: list[dict[str, Any]] = []
        self.acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.step_changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def join(self) -> None:
        """Fill in the join form and open the live connection."""
        page = await self.http.get(f"/j/{self.code}")
        await self.http.post(
            f"/j/{self.code}/participant",
            data={"csrf": _csrf(page.text), "name": self.name, "organisation": self.organisation},
        )
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.socket = await connect(
            _ws_url(self.base_url, f"/ws/phone/{self.code}"), additional_headers={"Cookie": cookie}, compression=None
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.socket is not None
        async for raw in self.socket:
            frame = json.loads(raw)
            if frame["type"] == "snapshot":
                self.step_index = frame["workshop"]["step_index"]
                self.options = frame.get("options", [])
                self.step_changed.set()
            elif frame["type"] == "event" and frame["kind"] == "step.changed":
                self.step_index = frame["data"]["step_index"]
                await self.socket.send(json.dumps({"type": "refresh"}))
            elif frame["type"] in ("ack", "error") and frame.get("client_id") in self.acks:
                self.acks.pop(frame["client_id"]).set_result(frame)

    async def answer(self, step: str, text: str, links_to: int | None = None) -> dict[str, Any]:
        """Send an answer and wait for the server's acknowledgement."""
        assert self.socket is not None
        client_id = str(uuid.uuid4())
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.acks[client_id] = future
        await self.socket.send(
            json.dumps({"type": "answer", "client_id": client_id, "step": step, "text": text, "links_to": links_to})
        )
        return await asyncio.wait_for(future, 30)

    async def close(self) -> None:
        """Leave the room."""
        if self._reader:
            self._reader.cancel()
        if self.socket:
            await self.socket.close()
        await self.http.aclose()


class DemoFacilitator:
    """The demo's facilitator, signed in over HTTP like a person would be."""

    def __init__(self, base_url: str, workshop_id: int) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.workshop_id = workshop_id
        self.csrf = ""

    async def sign_in(self, password: str) -> None:
        """Sign in as the demo facilitator."""
        page = await self.http.get("/f/login")
        self.csrf = _csrf(page.text)
        response = await self.http.post("/f/login", data={"csrf": self.csrf, "email": DEMO_EMAIL, "password": password})
        if response.status_code != 303:
            raise RuntimeError(f"demo sign-in failed with HTTP {response.status_code}")

    async def step(self, to: str) -> None:
        """Move the workshop on."""
        response = await self.http.post(
            f"/f/workshops/{self.workshop_id}/step",
            data={"to": to},
            headers={"X-CSRF-Token": self.csrf, "Accept": "application/json"},
        )
        response.raise_for_status()

    async def close(self) -> None:
        """Done."""
        await self.http.aclose()


async def run_demo(base_url: str, demo: DemoWorkshop, *, phones: int = 10, pace: float = 1.0, say: Any = print) -> None:
    """Drive a room of simulated phones through the lobby, the obstacle round and the contribution round."""
    rng = random.Random(7)
    room = [Phone(base_url, demo.code, *PEOPLE[i % len(PEOPLE)]) for i in range(phones)]
    facilitator = DemoFacilitator(base_url, demo.workshop_id)
    await facilitator.sign_in(demo.password)
    try:
        say(f"demo: {phones} phones are joining")
        for phone in room:
            await phone.join()
            await asyncio.sleep(0.6 * pace)
        await asyncio.sleep(3 * pace)
        await facilitator.step("next")
        say("demo: obstacle round")
        texts = OBSTACLES[:]
        rng.shuffle(texts)
        for i, text in enumerate(texts):
            await room[i % len(room)].answer("obstacles", text)
            await asyncio.sleep(rng.uniform(0.8, 1.8) * pace)
        await asyncio.sleep(3 * pace)
        await facilitator.step("next")
        say("demo: contribution round")
        await asyncio.sleep(1.0 * pace)
        for i, text in enumerate(CONTRIBUTIONS):
            phone = room[(i * 3) % len(room)]
            for _ in range(50):
                if phone.options:
                    break
                await asyncio.sleep(0.1)
            target = phone.options[i % len(phone.options)]["id"] if phone.options else None
            await phone.answer("contributions", text, target)
            await asyncio.sleep(rng.uniform(0.8, 1.8) * pace)
        say("demo: done; the board and projector stay live")
    finally:
        await asyncio.gather(*(phone.close() for phone in room), return_exceptions=True)
        await facilitator.close()
