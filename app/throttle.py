"""Rate limits counted by the `limits` package: in this process's memory, or in Redis shared by every worker."""

import inspect
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError

if TYPE_CHECKING:
    from redis.asyncio import ConnectionPool

log = logging.getLogger(__name__)
# limits' memory storage sweeps out expired counters on a task it starts after any hit whose previous sweep has
# ended: under a burst that is a walk over every counter (two per phone) for each turn of the event loop, which
# with 2,000 phones cost more than the answers themselves. Once a second frees the same memory.
SWEEP_SECONDS = 1.0
# how often a Redis outage is written to the log while it lasts
WARN_EVERY_SECONDS = 60.0
# the private method limits' MemoryStorage calls from incr to start its sweep (limits==5.8.0, pyproject.toml)
_SCHEDULE_SWEEP = "_MemoryStorage__schedule_expiry"


class _SweptMemoryStorage(MemoryStorage):
    """limits' own memory storage, its sweep of expired counters started at most once per SWEEP_SECONDS."""

    def __init__(self) -> None:
        super().__init__()
        self._next_sweep = 0.0

    async def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_SECONDS
        await getattr(super(), _SCHEDULE_SWEEP)()


def memory_storage() -> Storage:
    """The memory storage, with its sweep spaced out where the installed limits starts it as this code expects."""
    # incr as limits wrote it, inside the wrapper its Storage base puts around every storage method
    incr = inspect.unwrap(MemoryStorage.incr)
    if _SCHEDULE_SWEEP in incr.__code__.co_names and callable(getattr(MemoryStorage, _SCHEDULE_SWEEP, None)):
        return _SweptMemoryStorage()
    log.warning("limits' MemoryStorage no longer starts its sweep as app/throttle.py expects: using it unchanged")
    return MemoryStorage()


def rules(text: str) -> tuple[RateLimitItem, ...]:
    """A limit as settings write it ("10/minute;100/hour"), every part of which must hold."""
    return tuple(parse_many(text))


class Throttle:
    """Counts hits per rule and key, in memory or in Redis; a hit over any rule is told how long to wait.

    Counting is in fixed windows: a rule of 30/minute allows 30 hits in the minute from the first of them.
    """

    def __init__(self, broadcast_url: str | None = None) -> None:
        self.storage: Storage
        self._pool: ConnectionPool | None = None
        if broadcast_url is None:
            self.storage = memory_storage()
        else:
            # the redis client the app already uses (redis.asyncio), on a pool of our own so that stopping closes
            # it; the timeouts keep an unreachable Redis from holding a request longer than a second (then: open)
            from redis import asyncio as redis_asyncio  # loaded only where Redis is used

            self._pool = redis_asyncio.ConnectionPool.from_url(
                broadcast_url, socket_timeout=1.0, socket_connect_timeout=1.0
            )
            # limits documents connection_pool among the client's options, though its type names only plain values
            client_options: dict[str, Any] = {"connection_pool": self._pool}
            self.storage = RedisStorage(
                "async+" + broadcast_url,
                implementation="redispy",
                wrap_exceptions=True,
                key_prefix="doorbraak-limits",
                **client_options,
            )
        self.limiter = FixedWindowRateLimiter(self.storage)
        self._warned_at = -WARN_EVERY_SECONDS

    async def close(self) -> None:
        """Close the connections to Redis, if any."""
        if self._pool is not None:
            await self._pool.aclose()

    async def hit(self, rules: Sequence[RateLimitItem], *key: str) -> float:
        """Count one hit against every rule: 0 when all allow it, else the seconds until all of them would.

        A refused hit is not counted by the rules after the one that refused it.
        """
        wait = 0.0
        try:
            for rule in rules:
                if wait:
                    if not await self.limiter.test(rule, *key):
                        wait = max(wait, await self._wait(rule, key))
                elif not await self.limiter.hit(rule, *key):
                    wait = await self._wait(rule, key)
        except StorageError as exc:
            return self._fail_open(exc)
        return wait

    async def check(self, rules: Sequence[RateLimitItem], *key: str) -> float:
        """Like hit, without counting: 0 while every rule has room for one more, else the seconds to wait."""
        wait = 0.0
        try:
            for rule in rules:
                if not await self.limiter.test(rule, *key):
                    wait = max(wait, await self._wait(rule, key))
        except StorageError as exc:
            return self._fail_open(exc)
        return wait

    async def clear(self, rules: Sequence[RateLimitItem], *key: str) -> None:
        """Forget the hits counted against these rules for this key."""
        try:
            for rule in rules:
                await self.limiter.clear(rule, *key)
        except StorageError as exc:
            self._fail_open(exc)

    async def _wait(self, rule: RateLimitItem, key: tuple[str, ...]) -> float:
        stats = await self.limiter.get_window_stats(rule, *key)
        # a full window that has just ended still says "wait", briefly: never less than a tenth of a second
        return max(stats.reset_time - time.time(), 0.1)

    def _fail_open(self, error: StorageError) -> float:
        """Allow what Redis cannot count: a limit is a guard, and an outage of it must not refuse the whole room."""
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning("rate limits are not counted while Redis is unreachable (allowing): %s", error.storage_error)
        return 0.0
