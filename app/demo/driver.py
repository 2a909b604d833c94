"""Simulated phones and a facilitator that run a demo session against a server over real websockets."""

import asyncio
import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from app.accounts import service as accounts
from app.catalog.service import formats
from app.config import Settings
from app.demo.content import (
    ACTIONS,
    CLUSTERS,
    CONTRIBUTIONS,
    DEMO_OPGAVE,
    DEMO_TITLE,
    FOLLOWUP_PLACE,
    OBSTACLES,
    PEOPLE,
)
from app.models import Facilitator, local_today
from app.running import service as running
from app.security import hash_password, new_token
from app.store.database import Database
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
    # the server's secret key (from the same settings): the projector link is derived with it
    secret = settings.resolved_secret_key()

    def create(session: Any) -> DemoWorkshop:
        found = session.query(Facilitator).filter_by(email=DEMO_EMAIL).one_or_none()
        if found is None:
            found = accounts.create_facilitator(session, email=DEMO_EMAIL, name="Demo", password=password)
        else:
            found.password_hash = hash_password(password)
        workshop = running.create_workshop(
            session,
            workspace_id=accounts.first_workspace(session, account_id=found.id) or 0,
            facilitator_id=found.id,
            title=DEMO_TITLE,
            opgave=DEMO_OPGAVE,
            held_on=local_today(),
            spec=formats()["doorbraak"],
            allow_anonymous=True,
        )
        token = workshops.projector_token(workshop, secret=secret)
        return DemoWorkshop(workshop.id or 0, workshop.join_code, f"/p/{token}", password)

    try:
        return db.write_sync(create)
    finally:
        db.close()


def csrf_of(page: str) -> str:
    """The CSRF token a rendered page carries in its meta tag."""
    marker = 'name="csrf-token" content="'
    if marker not in page:
        raise ValueError("page has no CSRF token")
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def ws_url(base: str, path: str) -> str:
    """The websocket address of a path on a server given by its http(s) base URL."""
    return base.replace("http://", "ws://").replace("https://", "wss://").rstrip("/") + path


class Phone:
    """One simulated participant: joins over HTTP, then answers, votes and raises hands over its websocket."""

    def __init__(self, base_url: str, code: str, name: str, organisation: str) -> None:
        self.base_url = base_url
        self.code = code
        self.name = name
        self.organisation = organisation
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.socket: ClientConnection | None = None
        self.step_index = 0
        self.options: list[dict[str, Any]] = []
        self.clusters: list[dict[str, Any]] = []
        self.replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def join(self) -> None:
        """Fill in the join form and open the live connection."""
        page = await self.http.get(f"/j/{self.code}")
        await self.http.post(
            f"/j/{self.code}/participant",
            data={"csrf": csrf_of(page.text), "name": self.name, "organisation": self.organisation},
        )
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.socket = await connect(
            ws_url(self.base_url, f"/ws/phone/{self.code}"), additional_headers={"Cookie": cookie}, compression=None
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.socket is not None
        async for raw in self.socket:
            frame = json.loads(raw)
            kind = frame["type"]
            if kind == "snapshot":
                self.step_index = frame["workshop"]["step_index"]
                self.options = frame.get("options", [])
                self.clusters = frame.get("clusters", [])
            elif kind == "event" and frame["kind"] == "step.changed":
                self.step_index = frame["data"]["step_index"]
                await self.socket.send(json.dumps({"type": "refresh"}))
            key = frame.get("client_id") or {"votes_ack": "votes", "volunteer_ack": "volunteer"}.get(kind)
            key = key or (frame.get("request") if kind == "error" else None)
            if key in self.replies:
                self.replies.pop(key).set_result(frame)

    async def _request(self, key: str, message: dict[str, Any]) -> dict[str, Any]:
        assert self.socket is not None
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.replies[key] = future
        await self.socket.send(json.dumps(message))
        return await asyncio.wait_for(future, 30)

    async def answer(self, step: str, text: str, links_to: int | None = None) -> dict[str, Any]:
        """Send an answer and wait for the server's acknowledgement."""
        client_id = str(uuid.uuid4())
        message = {"type": "answer", "client_id": client_id, "step": step, "text": text, "links_to": links_to}
        return await self._request(client_id, message)

    async def vote(self, allocation: dict[int, int]) -> dict[str, Any]:
        """Place this phone's dots."""
        return await self._request("votes", {"type": "votes", "allocation": allocation})

    async def raise_hand(self, action_id: int) -> dict[str, Any]:
        """Join an action's project team."""
        return await self._request("volunteer", {"type": "volunteer", "action_id": action_id, "joining": True})

    async def wait_for(self, condition: Any, seconds: float = 10) -> None:
        """Wait until the phone's state satisfies a condition (after a step change and its refresh)."""
        for _ in range(int(seconds * 20)):
            if condition(self):
                return
            await asyncio.sleep(0.05)

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
        self.csrf = csrf_of(page.text)
        response = await self.http.post("/f/login", data={"csrf": self.csrf, "email": DEMO_EMAIL, "password": password})
        if response.status_code != 303:
            raise RuntimeError(f"demo sign-in failed with HTTP {response.status_code}")
        # signing in hands out a new CSRF token: read it from a page, as the board's script does
        self.csrf = csrf_of((await self.http.get("/f/workshops")).text)

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """Call one of the board's JSON endpoints."""
        response = await self.http.post(
            f"/f/workshops/{self.workshop_id}{path}",
            json=body,
            headers={"X-CSRF-Token": self.csrf, "Accept": "application/json"},
        )
        response.raise_for_status()
        return response.json()

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
    """Drive a simulated room through every step: join, obstacles, grouping, vote, contributions, actions."""
    rng = random.Random(7)
    room = [Phone(base_url, demo.code, *PEOPLE[i % len(PEOPLE)]) for i in range(phones)]
    facilitator = DemoFacilitator(base_url, demo.workshop_id)
    steps = [step.id for step in formats()["doorbraak"].steps]
    await facilitator.sign_in(demo.password)

    async def go(step_id: str) -> None:
        await facilitator.step(str(steps.index(step_id)))
        say(f"demo: step {step_id}")
        await asyncio.sleep(1.5 * pace)

    try:
        say(f"demo: {phones} phones are joining")
        for phone in room:
            await phone.join()
            await asyncio.sleep(0.6 * pace)
        await asyncio.sleep(3 * pace)
        await go("obstacles")
        obstacle_ids: dict[int, int] = {}
        for i in rng.sample(range(len(OBSTACLES)), len(OBSTACLES)):
            ack = await room[i % len(room)].answer("obstacles", OBSTACLES[i])
            obstacle_ids[i] = ack["answer_id"]
            await asyncio.sleep(rng.uniform(0.8, 1.8) * pace)
        await go("cluster")
        cluster_ids = []
        for name, members, tension, theme in CLUSTERS:
            views = await facilitator.post(
                "/clusters/group", {"answer_ids": [obstacle_ids[i] for i in members], "name": name}
            )
            cluster = next(c for c in views["clusters"] if c["name"] == name)
            await facilitator.post(f"/clusters/{cluster['id']}", {"tension": tension, "theme": theme or ""})
            cluster_ids.append(cluster["id"])
            await asyncio.sleep(1.2 * pace)
        await go("vote")
        for phone in room:
            await phone.wait_for(lambda p: p.clusters)
            # most of the room sees the scattered help as the real knot
            picks = rng.choices(cluster_ids, weights=[5, 3, 2, 1][: len(cluster_ids)], k=3)
            await phone.vote({c: picks.count(c) for c in set(picks)})
            await asyncio.sleep(0.4 * pace)
        await asyncio.sleep(2 * pace)
        await facilitator.post(f"/clusters/{cluster_ids[0]}", {"focus": True})
        await facilitator.post("/settings", {"focus_only": True})
        await go("contributions")
        contribution_ids: dict[int, tuple[int, Phone]] = {}
        for i, text in enumerate(CONTRIBUTIONS):
            phone = room[(i * 3) % len(room)]
            await phone.wait_for(lambda p: p.options)
            target = phone.options[i % len(phone.options)]["id"] if phone.options else None
            ack = await phone.answer("contributions", text, target)
            contribution_ids[i] = (ack["answer_id"], phone)
            await asyncio.sleep(rng.uniform(0.8, 1.8) * pace)
        await go("actions")
        action_ids = []
        for index, title, days, partners in ACTIONS:
            contribution_id, author = contribution_ids[index]
            action = await facilitator.post(
                "/actions",
                {
                    "title": title,
                    "owner_organisation": author.organisation,
                    "contact_person": author.name,
                    "partners": partners,
                    "contribution_id": contribution_id,
                    "due_on": (local_today() + timedelta(days=days)).isoformat(),
                },
            )
            action_ids.append(action["id"])
            await asyncio.sleep(1.5 * pace)
        for phone in rng.sample(room, k=min(len(room), 6)):
            await phone.raise_hand(rng.choice(action_ids))
            await asyncio.sleep(0.5 * pace)
        followup = datetime.combine(local_today() + timedelta(days=14), time(10, 0))
        await facilitator.post("/followup", {"at": followup.isoformat(timespec="minutes"), "place": FOLLOWUP_PLACE})
        say("demo: done; the board and projector stay live")
    finally:
        await asyncio.gather(*(phone.close() for phone in room), return_exceptions=True)
        await facilitator.close()


async def send_crowd(
    base_url: str,
    code: str,
    answers: list[tuple[tuple[str, str], str]],
    *,
    step: str = "obstacles",
    links_to: list[int | None] | None = None,
) -> list[int]:
    """Join one simulated phone per (name, organisation) and send all their answers at once; the stored ids in order."""
    phones: dict[tuple[str, str], Phone] = {}
    for person, _ in answers:
        phones.setdefault(person, Phone(base_url, code, *person))
    try:
        await asyncio.gather(*(phone.join() for phone in phones.values()))
        links = links_to or [None] * len(answers)
        replies = await asyncio.gather(
            *(phones[person].answer(step, text, link) for (person, text), link in zip(answers, links, strict=True))
        )
    finally:
        await asyncio.gather(*(phone.close() for phone in phones.values()), return_exceptions=True)
    refused = [reply for reply in replies if reply["type"] != "ack"]
    if refused:
        raise RuntimeError(f"{len(refused)} answers refused, the first: {refused[0]}")
    return [reply["answer_id"] for reply in replies]
