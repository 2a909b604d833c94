"""Rate limits counted by the `limits` package, and caps on what is open at once (a phone's sockets): in this
process's memory, or in Redis shared by every worker (and in this worker's memory while Redis cannot be reached)."""

import asyncio
import inspect
import itertools
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from limits import RateLimitItem, parse_many
from limits.aio import strategies as aio
from limits.aio.storage import RedisStorage
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from limits.util import WindowStats

if TYPE_CHECKING:
    from redis.asyncio import ConnectionPool, Redis

log = logging.getLogger(__name__)
# limits' memory storage starts a sweep of expired counters after any hit whose previous sweep has ended: under a
# burst that walks every counter (two per phone) again and again (its async storage: after each turn of the event
# loop, which with 2,000 counters cost more than the answers themselves; its plain one: a thread each 10 ms).
# Once a second frees the same memory.
SWEEP_SECONDS = 1.0
# how often a Redis outage is written to the log while it lasts
WARN_EVERY_SECONDS = 60.0
# the private method limits' MemoryStorage calls from incr to start its sweep (limits==5.8.0, pyproject.toml)
_SCHEDULE_SWEEP = "_MemoryStorage__schedule_expiry"
# A place held in Redis counts until this long after its worker last vouched for it: a worker that crashed stops
# counting its sockets within it, one alive vouches for its own every PLACE_HEARTBEAT_S
PLACE_EXPIRY_S = 60.0
PLACE_HEARTBEAT_S = 20.0
# places vouched for in one call to Redis, so that one worker's thousands of phones do not hold it up for long
PLACE_HEARTBEAT_BATCH = 500
PLACE_PREFIX = "doorbraak-places:"
# the rate limits' keys in Redis (limits adds ":" and its own key)
LIMITS_PREFIX = "doorbraak-limits"
# one atomic step, so two workers never both take the last place: drop the places no worker vouched for in time,
# count the rest, and add this one while there is room. Redis's clock, so the workers' own may differ
_TAKE_PLACE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
# a worker's heartbeat: its places (KEYS[i], ARGV[i + 1]) count for another PLACE_EXPIRY_S, again where Redis lost them
_VOUCH_FOR_PLACES = """
local now = redis.call('TIME')
local until_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, until_ms, ARGV[i + 1])
  redis.call('PEXPIRE', key, ARGV[1])
end
return #KEYS
"""


@dataclass(frozen=True, slots=True)
class Place:
    """One of the places a cap allows (a socket open), as Redis holds it: the cap's key and this holder's name."""

    key: str
    holder: str


class _SweptMemoryStorage(MemoryStorage):
    """limits' own memory storage, its sweep of expired counters started at most once per SWEEP_SECONDS."""

    def __init__(self) -> None:
        self._next_sweep = 0.0
        super().__init__()

    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_SECONDS
        getattr(super(), _SCHEDULE_SWEEP)()


def memory_storage() -> MemoryStorage:
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

    Counting is in fixed windows: a rule of 30/minute allows 30 hits in the minute from the first of them. In memory
    the count is taken at once (hit_now; limits' plain API, which waits for nothing), so the answer path needs no
    task per answer; in Redis through limits' async API, so the event loop never waits for the network.
    """

    def __init__(self, broadcast_url: str | None = None, *, prefix: str = "") -> None:
        self.memory: FixedWindowRateLimiter | None = None
        self.shared: aio.FixedWindowRateLimiter | None = None
        # where hits are counted while Redis is unreachable: each worker's own allowance beats none, and an outage
        # of the guard must still not refuse the whole room
        self.fallback = FixedWindowRateLimiter(memory_storage())
        self._pool: ConnectionPool | None = None
        self._redis: Redis | None = None
        # the places this worker holds in Redis, vouched for by its heartbeat while they are open
        self._places: set[Place] = set()
        # the deployment's name (DOORBRAAK_REDIS_CHANNEL_PREFIX) in every key: two deployments on one Redis database
        # told apart by it alone must not share a phone's places or an account's wrong passwords
        self._place_prefix = f"{PLACE_PREFIX}{prefix}:" if prefix else PLACE_PREFIX
        self._holder = uuid.uuid4().hex
        self._holders = itertools.count()
        self._heartbeat: asyncio.Task[None] | None = None
        if broadcast_url is None:
            self.memory = self.fallback
        else:
            # the redis client the app already uses (redis.asyncio), on a pool of our own so that stopping closes
            # it; the timeouts keep an unreachable Redis from holding a request longer than a second (then:
            # the fallback)
            from redis import asyncio as redis_asyncio  # loaded only where Redis is used

            self._pool = redis_asyncio.ConnectionPool.from_url(
                broadcast_url, socket_timeout=1.0, socket_connect_timeout=1.0
            )
            # limits documents connection_pool among the client's options, though its type names only plain values
            client_options: dict[str, Any] = {"connection_pool": self._pool}
            storage = RedisStorage(
                "async+" + broadcast_url,
                implementation="redispy",
                wrap_exceptions=True,
                key_prefix=f"{LIMITS_PREFIX}:{prefix}" if prefix else LIMITS_PREFIX,
                **client_options,
            )
            self.shared = aio.FixedWindowRateLimiter(storage)
            self._redis = redis_asyncio.Redis(connection_pool=self._pool)
        self._warned_at = -WARN_EVERY_SECONDS

    async def close(self) -> None:
        """Stop vouching for places, and close the connections to Redis, if any."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
            self._heartbeat = None
        if self._pool is not None:
            await self._pool.aclose()

    def hit_now(self, rules: Sequence[RateLimitItem], *key: str) -> float | None:
        """hit, at once where the count is in memory; None where it is in Redis (then await hit)."""
        if self.memory is None:
            return None
        return _hit_in(self.memory, rules, key)

    async def hit(self, rules: Sequence[RateLimitItem], *key: str) -> float:
        """Count one hit against every rule: 0 when all allow it, else the seconds until all of them would."""
        if self.shared is None:
            return self.hit_now(rules, *key) or 0.0
        wait = 0.0
        try:
            for rule in rules:  # as hit_now, over the network
                if wait:
                    if not await self.shared.test(rule, *key):
                        wait = max(wait, _until(await self.shared.get_window_stats(rule, *key)))
                elif not await self.shared.hit(rule, *key):
                    wait = _until(await self.shared.get_window_stats(rule, *key))
        except StorageError as exc:
            self._warn(exc.storage_error)
            return _hit_in(self.fallback, rules, key)
        return wait

    async def give_back(self, rules: Sequence[RateLimitItem], *key: str) -> None:
        """Uncount a hit that every rule let through (one made before knowing whether it should count)."""
        if self.shared is None:
            _give_back_in(self.fallback, rules, key)
            return
        try:
            for rule in rules:
                # a window that ended meanwhile is not taken below nothing
                if (await self.shared.get_window_stats(rule, *key)).remaining < rule.amount:
                    await self.shared.hit(rule, *key, cost=-1)
        except StorageError as exc:
            self._warn(exc.storage_error)
            _give_back_in(self.fallback, rules, key)  # where the hit was counted, if Redis was down then too

    async def check(self, rules: Sequence[RateLimitItem], *key: str) -> float:
        """Like hit, without counting: 0 while every rule has room for one more, else the seconds to wait."""
        if self.shared is None:
            return _check_in(self.fallback, rules, key)
        wait = 0.0
        try:
            for rule in rules:
                if not await self.shared.test(rule, *key):
                    wait = max(wait, _until(await self.shared.get_window_stats(rule, *key)))
        except StorageError as exc:
            self._warn(exc.storage_error)
            return _check_in(self.fallback, rules, key)
        return wait

    async def clear(self, rules: Sequence[RateLimitItem], *key: str) -> None:
        """Forget the hits counted against these rules for this key (in Redis and in this worker's memory)."""
        for rule in rules:
            self.fallback.clear(rule, *key)
        if self.shared is None:
            return
        try:
            for rule in rules:
                await self.shared.clear(rule, *key)
        except StorageError as exc:
            self._warn(exc.storage_error)

    @property
    def places_shared(self) -> bool:
        """Whether caps on what is open at once are counted in Redis (take_place), not by each worker alone."""
        return self._redis is not None

    async def take_place(self, key: str, *, cap: int, open_here: int) -> Place | None:
        """One of a cap's places across every worker, or None when all are taken (counted in Redis; while Redis
        cannot be reached, against open_here, this worker's own count). Give it back with give_back_place."""
        from redis.exceptions import RedisError

        assert self._redis is not None, "places are counted in Redis only where it is configured"
        place = Place(self._place_prefix + key, f"{self._holder}:{next(self._holders)}")
        try:
            taken = await self._redis.eval(_TAKE_PLACE, 1, place.key, cap, _ms(PLACE_EXPIRY_S), place.holder)
        except (RedisError, OSError) as exc:
            self._warn(exc)
            taken = open_here < cap
        if not taken:
            return None
        # kept even when Redis was down: the heartbeat adds it there once Redis is back
        self._places.add(place)
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._vouch_for_places(), name="doorbraak-places")
        return place

    async def give_back_place(self, place: Place) -> None:
        """Free a place taken with take_place; one Redis did not hear of freeing ends with PLACE_EXPIRY_S."""
        from redis.exceptions import RedisError

        self._places.discard(place)
        assert self._redis is not None
        try:
            await self._redis.zrem(place.key, place.holder)
        except (RedisError, OSError) as exc:
            self._warn(exc)

    async def _vouch_for_places(self) -> None:
        """Every PLACE_HEARTBEAT_S, say to Redis that this worker's places are still open."""
        while True:
            await asyncio.sleep(PLACE_HEARTBEAT_S)
            await self._vouch_once()

    async def _vouch_once(self) -> None:
        """Say to Redis that this worker's places are still open, and free again those given back meanwhile."""
        from redis.exceptions import RedisError

        assert self._redis is not None
        places = list(self._places)
        try:
            for start in range(0, len(places), PLACE_HEARTBEAT_BATCH):
                batch = places[start : start + PLACE_HEARTBEAT_BATCH]
                keys, holders = [p.key for p in batch], [p.holder for p in batch]
                await self._redis.eval(_VOUCH_FOR_PLACES, len(batch), *keys, _ms(PLACE_EXPIRY_S), *holders)
                # a place given back while this was on its way was freed before it was vouched for, and so added
                # again: it would count for another PLACE_EXPIRY_S, a phone's reload refused meanwhile
                for place in batch:
                    if place not in self._places:
                        await self._redis.zrem(place.key, place.holder)
        except (RedisError, OSError) as exc:
            self._warn(exc)

    def _warn(self, error: BaseException) -> None:
        """Say in the log, once a minute while it lasts, that Redis cannot count the limits."""
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning("limits are counted in this worker's memory while Redis is unreachable: %s", error)


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _hit_in(limiter: FixedWindowRateLimiter, rules: Sequence[RateLimitItem], key: Sequence[str]) -> float:
    """Count one hit in a limiter of this process: 0 when every rule allows it, else the seconds to wait."""
    # a refused hit is not counted by the rules after the one that refused it, which only say how long
    wait = 0.0
    for rule in rules:
        if wait:
            if not limiter.test(rule, *key):
                wait = max(wait, _until(limiter.get_window_stats(rule, *key)))
        elif not limiter.hit(rule, *key):
            wait = _until(limiter.get_window_stats(rule, *key))
    return wait


def _give_back_in(limiter: FixedWindowRateLimiter, rules: Sequence[RateLimitItem], key: Sequence[str]) -> None:
    """Uncount one hit in a limiter of this process, in the windows that still count it."""
    for rule in rules:
        if limiter.get_window_stats(rule, *key).remaining < rule.amount:
            limiter.hit(rule, *key, cost=-1)


def _until(stats: WindowStats) -> float:
    """The seconds until a full window ends; never less than a tenth, as one that has just ended still said full."""
    return max(stats.reset_time - time.time(), 0.1)


def _check_in(limiter: FixedWindowRateLimiter, rules: Sequence[RateLimitItem], key: Sequence[str]) -> float:
    """Like _hit_in, without counting."""
    return max((_until(limiter.get_window_stats(r, *key)) for r in rules if not limiter.test(r, *key)), default=0.0)
