"""The Redis hub's memory of workshops: a long-running worker forgets each workshop once its last socket here
closes, without two pulls of one workshop ever running at once."""

import asyncio
from functools import partial
from typing import Any, cast

from app.live.hub import Connection
from app.live.redis_hub import RedisHub
from app.store.database import Database
from tests.live.test_hub import FakeSocket

WORKSHOPS = 50


class GatedDatabase:
    """A database whose reads wait for a gate and find no events, counting how many read at once."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.reading = 0
        self.most_at_once: dict[int, int] = {}

    async def read(self, fn: "partial[Any]") -> list[Any]:
        workshop_id = fn.keywords["workshop_id"]
        self.reading += 1
        self.most_at_once[workshop_id] = max(self.most_at_once.get(workshop_id, 0), self.reading)
        try:
            await self.gate.wait()
        finally:
            self.reading -= 1
        return []


def _hub(db: GatedDatabase) -> RedisHub:
    """A Redis hub that is never started: pulling needs only the database."""
    return RedisHub("redis://127.0.0.1:6379/0", cast(Database, db))


def _screen(workshop_id: int) -> Connection:
    return Connection(FakeSocket(), workshop_id=workshop_id, role="projector", participant_id=None, queue_size=8)


async def test_a_workshop_whose_sockets_all_closed_leaves_nothing_behind() -> None:
    """50 workshops served and closed, some while their pull still ran: no lock and no delivered seq is kept."""
    db = GatedDatabase()
    hub = _hub(db)
    screens = [_screen(workshop_id) for workshop_id in range(1, WORKSHOPS + 1) for _ in range(2)]
    for screen in screens:
        hub.register(screen)
    # half of them close while a pull of theirs waits for the database, the other half after it finished
    pulls = [asyncio.create_task(hub.pull(workshop_id)) for workshop_id in range(1, WORKSHOPS // 2 + 1)]
    await asyncio.sleep(0)
    for screen in screens[:WORKSHOPS]:
        hub.unregister(screen)
    db.gate.set()
    await asyncio.gather(*pulls)
    await asyncio.gather(*(hub.pull(workshop_id) for workshop_id in range(WORKSHOPS // 2 + 1, WORKSHOPS + 1)))
    assert hub._locks and hub.delivered
    for screen in screens[WORKSHOPS:]:
        hub.unregister(screen)
    assert hub._locks == {} and hub.delivered == {}


async def test_a_socket_that_opens_while_the_last_one_s_pull_runs_waits_for_that_pull() -> None:
    """The last socket closes while a pull holds the workshop's lock and a new one opens and pulls: the new pull
    waits for the same lock (a lock made anew would let the two deliver at once, out of order)."""
    db = GatedDatabase()
    hub = _hub(db)
    first = _screen(7)
    hub.register(first)
    running = asyncio.create_task(hub.pull(7))
    await asyncio.sleep(0)
    hub.unregister(first)
    assert 7 in hub._locks
    second = _screen(7)
    hub.register(second)
    waiting = asyncio.create_task(hub.pull(7))
    for _ in range(5):
        await asyncio.sleep(0)
    assert db.most_at_once[7] == 1 and hub._locks[7].users == 2
    db.gate.set()
    await asyncio.gather(running, waiting)
    assert db.most_at_once[7] == 1
    hub.unregister(second)
    assert hub._locks == {} and hub.delivered == {}
