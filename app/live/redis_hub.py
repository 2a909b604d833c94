"""Scale-out: Redis pub/sub rings the doorbell between workers; the event log in the database is the truth.

Every worker delivers a workshop's events to its own connections strictly in sequence order, reading them from
the event log. Seq numbers are handed out under the workshop's row lock, so the committed log never has a hole:
reading everything after the last delivered seq is always complete. A lost doorbell (or Redis being down) only
delays delivery until the next doorbell or the periodic check, never loses an event.
"""

import asyncio
import contextlib
import logging
import os
from collections.abc import Sequence
from functools import partial

from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.live.hub import Connection, LocalHub
from app.models import Event, Workshop
from app.store.database import Database
from app.store.events import LogEntry

log = logging.getLogger(__name__)
# the doorbell's channel, under the deployment's own name (deployment_channel): Redis's pub/sub ignores the database
# number, so without it two deployments on one Redis would ring each other's doorbells
CHANNEL = "events"
# a doorbell "<workshop>:<origin>:removed" says the workshop was deleted: its screens close once the database agrees.
# A lost one is made good by the periodic check, which closes those of workshops no longer in the database
REMOVED = "removed"
CHECK_EVERY_S = 1.0
READ_AT_MOST = 2000
# the longest wait between tries to reach Redis again: workers hear each other's doorbell at most this long after
# it is back (the log check covers the gap meanwhile, a second at a time)
RETRY_AT_MOST_S = 2.0
# how long ringing the doorbell may wait for Redis: one that hangs (stopped, or its host unreachable) then counts as
# down, and the other workers catch up from the event log
RING_TIMEOUT_S = 1.0


def deployment_channel(url: str, prefix: str = "", channel: str = CHANNEL) -> str:
    """A hub channel under the deployment's name: its setting's prefix and the Redis URL's database number, which two
    deployments sharing one Redis have each of their own (their rate limits' and caps' keys part by both too)."""
    # read as the client reads the URL (a path's /N or a ?db=N), without connecting
    number = ConnectionPool.from_url(url).connection_kwargs.get("db", 0)
    return f"doorbraak:{prefix}:{number}:{channel}" if prefix else f"doorbraak:{number}:{channel}"


class _Lock:
    """A workshop's turn to pull, with how many pulls hold or wait for it: the lock may go once none does and the
    workshop has no connections here, as a pull that comes later can then never meet one still in use."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


def _missing(db: Session, *, workshop_ids: list[int]) -> list[int]:
    """Which of these workshops are no longer in the database."""
    there = set(db.execute(select(col(Workshop.id)).where(col(Workshop.id).in_(workshop_ids))).scalars())
    return [workshop_id for workshop_id in workshop_ids if workshop_id not in there]


def _events_after(db: Session, *, workshop_id: int, after: int) -> list[Event]:
    query = (
        select(Event)
        .where(col(Event.workshop_id) == workshop_id, col(Event.seq) > after)
        .order_by(col(Event.seq))
        .limit(READ_AT_MOST)
    )
    return list(db.execute(query).scalars())


class RedisHub(LocalHub):
    """Fan-out across worker processes: a doorbell over Redis, the events themselves from the database."""

    def __init__(self, url: str, db: Database, *, channel_prefix: str = "") -> None:
        super().__init__()
        self.url = url
        self.channel = deployment_channel(url, channel_prefix)
        self.db = db
        self.redis: Redis | None = None
        # rings the doorbell, with a timeout: the listener's connection waits for messages without one
        self.ringer: Redis | None = None
        self._to_ring: set[int] = set()
        self._removed_to_ring: set[int] = set()
        self._ring_wanted = asyncio.Event()
        self.delivered: dict[int, int] = {}
        # per workshop with connections here (or a pull still running), its turn to pull: one pull at a time
        self._locks: dict[int, _Lock] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.origin = f"{os.getpid()}-{id(self)}"
        # the doorbell could not be rung: said once when it starts and once when it works again, not per commit
        self._ringing_failed = False

    async def start(self) -> None:
        """Connect to Redis and start listening; a Redis that is down is retried in the background."""
        self.redis = Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=None)
        self.ringer = Redis.from_url(self.url, socket_connect_timeout=RING_TIMEOUT_S, socket_timeout=RING_TIMEOUT_S)
        self._tasks = [
            asyncio.create_task(self._listen(), name="doorbraak-doorbell"),
            asyncio.create_task(self._check(), name="doorbraak-log-check"),
            asyncio.create_task(self._ring(), name="doorbraak-ringer"),
        ]

    async def stop(self) -> None:
        """Stop listening."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for client in (self.redis, self.ringer):
            if client is not None:
                await client.aclose()

    def unregister(self, connection: Connection) -> None:
        """Forget a connection; a workshop without local connections is forgotten too."""
        super().unregister(connection)
        if connection.workshop_id not in self._rooms:
            self._forget(connection.workshop_id)

    def _forget(self, workshop_id: int) -> None:
        """Forget a workshop that has no connections here, unless a pull of it still holds or waits for its lock (the
        last one to leave forgets it): a long-running worker keeps nothing of the workshops it served once."""
        turn = self._locks.get(workshop_id)
        if turn is not None and turn.users:
            return
        self._locks.pop(workshop_id, None)
        self.delivered.pop(workshop_id, None)

    async def publish(self, events: Sequence[LogEntry]) -> None:
        """After a commit here: deliver locally from the log, and ring the other workers' doorbell."""
        workshops = sorted({event.workshop_id for event in events})
        for workshop_id in workshops:
            await self.pull(workshop_id)
        # rung by a task of its own: the writer, whose commits this follows, never waits for Redis
        self._to_ring.update(workshops)
        self._ring_wanted.set()

    async def remove_workshops(self, workshop_ids: Sequence[int]) -> None:
        """After a commit here that deleted workshops: close their connections here, and ring the other workers'."""
        await super().remove_workshops(workshop_ids)
        self._removed_to_ring.update(workshop_ids)
        self._ring_wanted.set()

    async def _ring(self) -> None:
        """Ring the doorbell for every workshop with new events or deleted, those that came in meanwhile together."""
        while True:
            await self._ring_wanted.wait()
            self._ring_wanted.clear()
            rings = [f"{workshop_id}:{self.origin}" for workshop_id in sorted(self._to_ring)]
            rings += [f"{workshop_id}:{self.origin}:{REMOVED}" for workshop_id in sorted(self._removed_to_ring)]
            self._to_ring, self._removed_to_ring = set(), set()
            try:
                assert self.ringer is not None
                for ring in rings:
                    await self.ringer.publish(self.channel, ring)
            except (RedisError, OSError) as exc:
                # the change is committed; the other workers find it at their next log check
                if not self._ringing_failed:
                    log.warning("doorbell not rung (%s); other workers catch up from the event log meanwhile", exc)
                self._ringing_failed = True
            else:
                if self._ringing_failed:
                    log.warning("doorbell rung again")
                self._ringing_failed = False

    async def pull(self, workshop_id: int) -> None:
        """Deliver, in order, every logged event of a workshop that this worker's connections have not had."""
        room = self._rooms.get(workshop_id)
        if not room:
            return
        turn = self._locks.get(workshop_id)
        if turn is None:
            turn = self._locks[workshop_id] = _Lock()
        turn.users += 1
        try:
            async with turn.lock:
                await self._pull_locked(workshop_id)
        finally:
            turn.users -= 1
            # the connections may all have gone while this pulled: then the last pull forgets the workshop
            if workshop_id not in self._rooms:
                self._forget(workshop_id)

    async def _pull_locked(self, workshop_id: int) -> None:
        """pull's work, run while holding the workshop's lock."""
        while True:
            room = self._rooms.get(workshop_id)
            if not room:
                return
            after = self.delivered.get(workshop_id)
            if after is None:
                # first delivery here: from the oldest point any connection has caught up to
                after = min(connection.sent_seq for connection in room)
            events = await self.db.read(partial(_events_after, workshop_id=workshop_id, after=after))
            if not events:
                self.delivered.setdefault(workshop_id, after)
                return
            self.deliver(events)
            self.delivered[workshop_id] = events[-1].seq
            if len(events) < READ_AT_MOST:
                return

    async def _listen(self) -> None:
        delay = 0.5
        while True:
            try:
                assert self.redis is not None
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    delay = 0.5
                    # catch up on whatever rang while we were not listening
                    await self._pull_all()
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        workshop, _, rest = message["data"].decode().partition(":")
                        origin, _, what = rest.partition(":")
                        if origin == self.origin or not workshop.isdigit():
                            continue
                        if what == REMOVED:
                            await self._close_if_gone(int(workshop))
                        else:
                            await self.pull(int(workshop))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis down or restarting: keep serving, retry the doorbell later
                log.warning("doorbell connection lost (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_AT_MOST_S)

    async def _close_if_gone(self, workshop_id: int) -> None:
        """Close the screens of a workshop a doorbell says was deleted, once the database agrees: the close code says
        a workshop is gone for good, and two deployments given the same channel (one Redis database number and one
        DOORBRAAK_REDIS_CHANNEL_PREFIX) would still ring of workshop ids of their own."""
        if workshop_id not in self._rooms:
            return
        missing = await self.db.read(partial(_missing, workshop_ids=[workshop_id]))
        if missing:
            self.close_workshop(workshop_id)

    async def _check(self) -> None:
        while True:
            await asyncio.sleep(CHECK_EVERY_S)
            with contextlib.suppress(Exception):
                await self._pull_all()

    async def _pull_all(self) -> None:
        """Catch up on every workshop with connections here, closing those of workshops deleted meanwhile."""
        if not self._rooms:
            return
        for workshop_id in await self.db.read(partial(_missing, workshop_ids=list(self._rooms))):
            self.close_workshop(workshop_id)
        for workshop_id in list(self._rooms):
            await self.pull(workshop_id)
