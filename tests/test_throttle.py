"""The rate limits: limits' own limiter and storages, the sweep spaced out, Redis shared by app instances, and a Redis
that cannot be reached leaving each instance to count in its own memory."""

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from limits.storage import MemoryStorage

from app import throttle
from app.config import Settings
from app.main import create_app
from app.throttle import Throttle, rules
from tests.conftest import LimitsClock, migrated_copy

REDIS_URL = os.environ.get("DOORBRAAK_TEST_REDIS_URL")
# in this engineer's port range, with nothing listening: a Redis that is down
DEAD_REDIS = "redis://127.0.0.1:18151/0"


async def test_a_limit_allows_its_number_then_says_how_long_to_wait(frozen_clock: LimitsClock) -> None:
    limit = Throttle()
    three = rules("3/minute")
    assert [await limit.hit(three, "a") for _ in range(3)] == [0, 0, 0]
    assert await limit.hit(three, "a") == pytest.approx(60)
    assert await limit.hit(three, "b") == 0  # keys are counted apart
    assert await limit.check(three, "a") == pytest.approx(60)
    frozen_clock.advance(30)
    assert await limit.hit(three, "a") == pytest.approx(30)
    frozen_clock.advance(31)
    assert await limit.hit(three, "a") == 0


async def test_every_rule_of_a_limit_must_hold_and_the_longest_wait_is_said(frozen_clock: LimitsClock) -> None:
    limit = Throttle()
    tiers = rules("2/minute;3/hour")
    assert [await limit.hit(tiers, "a") for _ in range(2)] == [0, 0]
    assert await limit.hit(tiers, "a") == pytest.approx(60)
    frozen_clock.advance(61)
    assert await limit.hit(tiers, "a") == 0  # the third of the hour
    assert await limit.hit(tiers, "a") == pytest.approx(3600 - 61)
    await limit.clear(tiers, "a")
    assert await limit.hit(tiers, "a") == 0


def test_the_memory_storage_is_limits_own_with_its_sweep_spaced_out(frozen_clock: LimitsClock) -> None:
    limit = Throttle()
    assert limit.memory is not None
    storage = limit.memory.storage
    assert isinstance(storage, MemoryStorage)
    assert type(storage) is throttle._SweptMemoryStorage  # the installed limits starts its sweep as expected
    one = rules("1/second")
    limit.hit_now(one, "first")
    sweep = storage.timer
    for n in range(200):
        assert limit.hit_now(one, str(n)) == 0
    # limits would have started a sweep thread whenever the last one had ended (every 10 ms); spaced out, no other
    assert storage.timer is sweep
    # a sweep still forgets what has expired: memory stays bounded
    sweep.join()
    frozen_clock.advance(2)
    storage._next_sweep = 0
    limit.hit_now(one, "late")
    assert storage.timer is not sweep
    storage.timer.join()
    assert set(storage.storage) == {one[0].key_for("late")}


async def test_the_async_api_counts_in_memory_as_hit_now_does(frozen_clock: LimitsClock) -> None:
    limit = Throttle()
    two = rules("2/minute")
    assert limit.hit_now(two, "a") == 0
    assert await limit.hit(two, "a") == 0
    assert limit.hit_now(two, "a") == pytest.approx(60)
    assert await limit.check(two, "a") == pytest.approx(60)


async def test_an_unreachable_redis_leaves_the_count_to_this_worker_and_says_so(
    caplog: pytest.LogCaptureFixture, frozen_clock: LimitsClock
) -> None:
    limit = Throttle(DEAD_REDIS)
    two = rules("2/minute")
    try:
        with caplog.at_level(logging.WARNING, logger="app.throttle"):
            assert await limit.check(two, "a") == 0
            assert [await limit.hit(two, "a") for _ in range(3)] == [0, 0, pytest.approx(60)]
            assert await limit.check(two, "a") == pytest.approx(60)
            assert await limit.hit(two, "b") == 0  # keys are still counted apart
            await limit.clear(two, "a")
            assert await limit.hit(two, "a") == 0
        warnings = [r for r in caplog.records if "Redis is unreachable" in r.getMessage()]
        assert len(warnings) == 1  # once, not per request
    finally:
        await limit.close()


def test_an_app_with_its_redis_down_answers_and_still_limits_guessing(tmp_path: Path, migrated_template: Path) -> None:
    settings = Settings(data_dir=tmp_path, environment="test", secret_key="t" * 40)
    app = create_app(migrated_copy(migrated_template, settings))
    app.state.runtime.throttle = Throttle(DEAD_REDIS)
    with TestClient(app) as client:
        allowed = app.state.runtime.limits.unknown_codes[0].amount
        statuses = [client.get(f"/j/ZZZZZ{n % 10}").status_code for n in range(allowed + 5)]
    # while Redis is down a guesser still meets this worker's own allowance, where it once met none
    assert statuses == [404] * allowed + [429] * 5


@pytest.mark.skipif(not REDIS_URL, reason="DOORBRAAK_TEST_REDIS_URL is not set: the shared limits are not tested")
def test_two_app_instances_share_their_limits_through_redis(tmp_path: Path, migrated_template: Path) -> None:
    from redis import Redis

    assert REDIS_URL is not None
    with Redis.from_url(REDIS_URL) as redis:
        for key in redis.scan_iter("doorbraak-limits*"):
            redis.delete(key)

    def instance(name: str) -> TestClient:
        folder = tmp_path / name
        folder.mkdir()
        settings = Settings(data_dir=folder, environment="test", secret_key="t" * 40, broadcast_url=REDIS_URL)
        return TestClient(create_app(migrated_copy(migrated_template, settings)))

    with instance("one") as one, instance("two") as two:
        allowed = one.app.state.runtime.limits.unknown_codes[0].amount
        statuses = [(one if n % 2 else two).get(f"/j/ZZZZZ{n % 10}").status_code for n in range(allowed)]
        assert statuses == [404] * allowed
        # each instance has seen half of them: only a shared count refuses the next one on both
        assert one.get("/j/ZZZZZ1").status_code == 429
        assert two.get("/j/ZZZZZ1").status_code == 429


async def _clear_places() -> None:
    from redis.asyncio import Redis

    assert REDIS_URL is not None
    async with Redis.from_url(REDIS_URL) as redis:
        for key in await redis.keys(throttle.PLACE_PREFIX + "*"):
            await redis.delete(key)


@pytest.mark.skipif(not REDIS_URL, reason="DOORBRAAK_TEST_REDIS_URL is not set: the shared places are not tested")
async def test_two_workers_share_a_caps_places_through_redis() -> None:
    assert REDIS_URL is not None
    await _clear_places()
    first, second = Throttle(REDIS_URL), Throttle(REDIS_URL)
    try:
        # each worker has none open itself: only the count in Redis keeps them to four together
        taken = await asyncio.gather(
            *((first, second)[n % 2].take_place("phone:1:1", cap=4, open_here=0) for n in range(12))
        )
        places = [place for place in taken if place is not None]
        assert len(places) == 4
        assert await first.take_place("phone:1:2", cap=4, open_here=0) is not None  # another key counts apart
        await second.give_back_place(places[0])
        assert await first.take_place("phone:1:1", cap=4, open_here=0) is not None
        assert await second.take_place("phone:1:1", cap=4, open_here=0) is None
    finally:
        await first.close()
        await second.close()


@pytest.mark.skipif(not REDIS_URL, reason="DOORBRAAK_TEST_REDIS_URL is not set: the shared places are not tested")
async def test_a_crashed_workers_places_stop_counting_and_a_live_ones_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    assert REDIS_URL is not None
    await _clear_places()
    monkeypatch.setattr(throttle, "PLACE_EXPIRY_S", 0.6)
    monkeypatch.setattr(throttle, "PLACE_HEARTBEAT_S", 0.1)
    crashing, living = Throttle(REDIS_URL), Throttle(REDIS_URL)
    try:
        assert await crashing.take_place("projector:7", cap=3, open_here=0) is not None
        assert await living.take_place("projector:7", cap=3, open_here=0) is not None
        assert await living.take_place("projector:7", cap=3, open_here=0) is not None
        assert await living.take_place("projector:7", cap=3, open_here=0) is None
        # the crash: its heartbeat stops, and nobody gives its place back
        assert crashing._heartbeat is not None
        crashing._heartbeat.cancel()
        await asyncio.sleep(1.5)  # past the expiry twice over; the living worker's heartbeat went on meanwhile
        assert await living.take_place("projector:7", cap=3, open_here=0) is not None
        assert await living.take_place("projector:7", cap=3, open_here=0) is None
    finally:
        await crashing.close()
        await living.close()


async def test_an_unreachable_redis_leaves_a_caps_count_to_this_worker_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    places = Throttle(DEAD_REDIS)
    try:
        with caplog.at_level(logging.WARNING, logger="app.throttle"):
            # this worker's own count decides meanwhile: a room is not turned away for an outage of the guard
            place = await places.take_place("phone:1:1", cap=4, open_here=3)
            assert place is not None
            assert await places.take_place("phone:1:1", cap=4, open_here=4) is None
            await places.give_back_place(place)
        warnings = [r for r in caplog.records if "Redis is unreachable" in r.getMessage()]
        assert len(warnings) == 1
    finally:
        await places.close()


@pytest.mark.skipif(not REDIS_URL, reason="DOORBRAAK_TEST_REDIS_URL is not set: the shared places are not tested")
async def test_places_a_restarted_redis_lost_are_counted_again_by_the_next_heartbeat(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from redis.asyncio import Redis

    assert REDIS_URL is not None
    await _clear_places()
    monkeypatch.setattr(throttle, "PLACE_HEARTBEAT_S", 0.1)
    holding, other = Throttle(REDIS_URL), Throttle(REDIS_URL)
    try:
        assert await holding.take_place("projector:9", cap=1, open_here=0) is not None
        await _clear_places()  # as a Redis restarted without its data
        async with Redis.from_url(REDIS_URL) as redis:
            for _ in range(50):
                if await redis.exists(throttle.PLACE_PREFIX + "projector:9"):
                    break
                await asyncio.sleep(0.05)
        assert await other.take_place("projector:9", cap=1, open_here=0) is None
    finally:
        await holding.close()
        await other.close()


@pytest.mark.skipif(not REDIS_URL, reason="DOORBRAAK_TEST_REDIS_URL is not set: the shared limits are not tested")
async def test_a_hit_given_back_in_redis_leaves_the_allowance_whole_and_never_below_nothing() -> None:
    from redis.asyncio import Redis

    assert REDIS_URL is not None
    async with Redis.from_url(REDIS_URL) as redis:
        for key in await redis.keys("doorbraak-limits*"):
            await redis.delete(key)
    limit = Throttle(REDIS_URL)
    two = rules("2/minute;5/hour")
    try:
        for _ in range(3):  # counted, then given back: as a sign-in whose password proved right
            assert await limit.hit(two, "given") == 0
            await limit.give_back(two, "given")
        await limit.give_back(two, "given")  # one more than was counted takes nothing off the next hits
        assert [await limit.hit(two, "given") > 0 for _ in range(3)] == [False, False, True]
    finally:
        await limit.close()


@pytest.mark.skipif(not REDIS_URL, reason="DOORBRAAK_TEST_REDIS_URL is not set: the shared places are not tested")
async def test_two_deployments_told_apart_by_their_prefix_share_no_places_and_no_limits() -> None:
    from redis.asyncio import Redis

    assert REDIS_URL is not None
    await _clear_places()
    async with Redis.from_url(REDIS_URL) as redis:
        for key in await redis.keys(throttle.LIMITS_PREFIX + "*"):
            await redis.delete(key)
    # one Redis database, as README allows two deployments (staging beside production) with a prefix each
    staging, production = Throttle(REDIS_URL, prefix="staging"), Throttle(REDIS_URL, prefix="production")
    one = rules("1/minute")
    try:
        # workshop 1's projector on staging takes no place of workshop 1's on production, which is another room
        assert await staging.take_place("projector:1", cap=1, open_here=0) is not None
        assert await production.take_place("projector:1", cap=1, open_here=0) is not None
        # wrong passwords tried on staging do not hold back the same account on production
        assert await staging.hit(one, "account", "same-address") == 0
        assert await staging.hit(one, "account", "same-address") > 0
        assert await production.hit(one, "account", "same-address") == 0
    finally:
        await staging.close()
        await production.close()


@pytest.mark.skipif(not REDIS_URL, reason="DOORBRAAK_TEST_REDIS_URL is not set: the shared places are not tested")
async def test_a_place_given_back_while_its_heartbeat_is_on_its_way_is_not_counted_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from redis.asyncio import Redis

    assert REDIS_URL is not None
    await _clear_places()
    monkeypatch.setattr(throttle, "PLACE_HEARTBEAT_S", 0.05)
    holding, other = Throttle(REDIS_URL), Throttle(REDIS_URL)
    place = await holding.take_place("projector:11", cap=1, open_here=0)
    assert place is not None and holding._redis is not None
    vouched = asyncio.Event()
    real_eval = holding._redis.eval

    async def socket_closes_meanwhile(script: str, *args: Any) -> Any:
        # the heartbeat has read its places; the projector's socket closes before Redis hears the heartbeat
        if script is throttle._VOUCH_FOR_PLACES and not vouched.is_set():
            await holding.give_back_place(place)
            result = await real_eval(script, *args)
            vouched.set()
            return result
        return await real_eval(script, *args)

    monkeypatch.setattr(holding._redis, "eval", socket_closes_meanwhile)
    try:
        await asyncio.wait_for(vouched.wait(), timeout=5)
        async with Redis.from_url(REDIS_URL) as redis:
            for _ in range(20):
                if not await redis.zcard(place.key):
                    break
                await asyncio.sleep(0.05)
        # the screen that reloads finds the place free, not held for a minute by a socket that closed
        assert await other.take_place("projector:11", cap=1, open_here=0) is not None
    finally:
        await holding.close()
        await other.close()
