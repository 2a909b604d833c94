"""A room filling at once: phones joining together over real sockets, and a phone that joins twice."""

import asyncio
import json
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col
from websockets.asyncio.client import connect

from app.bench.runner import AppTarget, Client, Meter
from app.config import Settings
from app.demo.driver import csrf_of, prepare, ws_url
from app.models import Participant
from app.store.database import Database
from app.workshops.service import PARTICIPANT_COOKIE
from tests.conftest import Phone, Workshop

PHONES = 200
ORGANISATIONS = 7


class Lobby:
    """A projector's websocket, keeping its lobby as the projector's script does (static/js/room.js)."""

    def __init__(self, base: str, projector_path: str, *, until: int) -> None:
        self.url = ws_url(base, f"/ws/projector/{projector_path.rsplit('/', 1)[1]}")
        self.until = until
        self.count = 0
        self.organisations: Counter[str] = Counter()
        self.joins: list[int] = []
        self.opened = asyncio.Event()
        self.full = asyncio.Event()

    async def watch(self) -> None:
        """Read the projector's frames until the room holds `until` people."""
        async with connect(self.url, compression=None) as socket:
            async for raw in socket:
                frame = json.loads(raw)
                if frame["type"] == "snapshot":
                    self.count, self.organisations = frame["room"]["count"], Counter(frame["room"]["organisations"])
                    self.opened.set()
                elif frame.get("kind") == "participant.joined":
                    self.count = frame["data"]["count"]
                    self.organisations[frame["data"]["organisation"]] += 1
                    self.joins.append(frame["data"]["count"])
                if self.count >= self.until:
                    self.full.set()
                    return


class AnsweringPing(Client):
    """The bench's phone, which also hears the server's pong."""

    def received(self, frame: dict[str, Any], now: float) -> None:
        """Resolve the pong's waiter too."""
        if frame.get("type") == "pong":
            self.resolve("pong", now)
        super().received(frame, now)


def test_two_hundred_phones_joining_at_once_are_all_in_the_room(live_server: str, live_settings: Settings) -> None:
    demo = prepare(live_settings)
    target = AppTarget(live_server, demo)
    phones = [AnsweringPing(Meter()) for _ in range(PHONES)]

    async def storm() -> tuple[Lobby, list[BaseException | None]]:
        lobby = Lobby(live_server, demo.projector_path, until=PHONES)
        watching = asyncio.create_task(lobby.watch())
        await lobby.opened.wait()
        # every phone fetches the pages and files, posts the form and opens its websocket, all at the same time
        joined = await asyncio.gather(
            *(target.open_phone(phone, index * ORGANISATIONS) for index, phone in enumerate(phones)),
            return_exceptions=True,
        )
        assert [outcome for outcome in joined if outcome is not None] == [], "every phone joined"
        # each websocket works: a ping is answered
        for phone in phones:
            pong = phone.expect("pong")
            await phone.send({"type": "ping"})
            await asyncio.wait_for(pong, 30)
        # the projector has heard of every join once the last one's event is in
        await asyncio.wait_for(watching, 30)
        for phone in phones:
            await phone.close()
        return lobby, joined

    lobby, outcomes = asyncio.run(asyncio.wait_for(storm(), 240))
    assert [outcome for outcome in outcomes if outcome is not None] == []
    # the bench names Partner 1 .. Partner 40 by the phone's number; every seventh phone gives 1, 8, 15, ...
    expected = Counter(f"Partner {index * ORGANISATIONS % 40 + 1}" for index in range(PHONES))
    assert (lobby.count, lobby.organisations) == (PHONES, expected)
    assert sorted(lobby.joins) == list(range(1, PHONES + 1))
    db = Database(live_settings.resolved_database_url())
    try:
        stored = db.read_sync(
            lambda session: session.execute(
                select(func.count()).select_from(Participant).where(col(Participant.workshop_id) == demo.workshop_id)
            ).scalar_one()
        )
    finally:
        db.close()
    assert stored == PHONES
    # a projector opened now sees the same lobby
    late = Lobby(live_server, demo.projector_path, until=0)
    asyncio.run(asyncio.wait_for(late.watch(), 30))
    assert (late.count, late.organisations) == (PHONES, expected)


def test_a_phone_that_posts_the_join_form_again_stays_the_same_participant(
    workshop: Workshop, join: Any, facilitator: Any
) -> None:
    phone: Phone = join(workshop, name="Ali", organisation="Wijkteam")
    name = PARTICIPANT_COOKIE.format(code=workshop.code)
    token = phone.http.cookies[name]
    # the same phone, back on an old tab of the join form, sends it once more
    page = phone.http.get("/")
    again = phone.http.post(
        f"/j/{workshop.code}/participant",
        data={"csrf": csrf_of(page.text), "name": "Iemand anders", "organisation": "GGD"},
        follow_redirects=False,
    )
    assert again.status_code == 303 and again.headers["location"] == f"/j/{workshop.code}"
    assert "set-cookie" not in again.headers or name not in again.headers["set-cookie"]
    assert phone.http.cookies[name] == token
    # the phone still shows who it joined as (each part isolated, for a right-to-left name)
    assert "<bdi>Ali</bdi> · <bdi>Wijkteam</bdi>" in phone.http.get(f"/j/{workshop.code}").text
    with facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board:
        assert board.receive_json()["room"] == {"count": 1, "organisations": {"Wijkteam": 1}}
