"""The Redis hub's doorbell between workers, against a real Redis: what a ring may and may not make a worker do."""

import asyncio
import os
import uuid
from collections import defaultdict

import pytest
from redis.asyncio import Redis

from app.config import Settings
from app.live.hub import Connection
from app.live.redis_hub import REMOVED, RedisHub, deployment_channel
from app.models import Workshop
from app.store.database import Database
from app.store.events import LoggedEvent
from tests.live.test_hub import FakeSocket

REDIS_URL = os.environ.get("DOORBRAAK_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="DOORBRAAK_TEST_REDIS_URL is not set: Redis tests skipped")
# not a workshop of the test's database: a deployment of its own may have it
ELSEWHERE = 987_654_321


async def test_a_removed_doorbell_closes_only_the_screens_of_a_workshop_this_database_no_longer_has(
    settings: Settings, workshop: Workshop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis's pub/sub ignores the database number: a staging and a production server on one Redis hear each other's
    doorbells, whose workshop ids are their own. A 4410 is final, so a worker closes a workshop's screens only once
    its own database no longer has the workshop."""
    db = Database(settings.resolved_database_url())
    # this test's channel alone: other runs on the same Redis hear nothing of it
    hub = RedisHub(REDIS_URL or "", db, channel_prefix=f"test-{uuid.uuid4()}")
    channel = hub.channel

    async def doorbells_alone() -> None:
        """The log check, which closes the screens of workshops gone too, left out: each close here is a doorbell's."""

    monkeypatch.setattr(hub, "_pull_all", doorbells_alone)
    ringer = Redis.from_url(REDIS_URL or "")
    await hub.start()
    try:
        kept, gone = (
            Connection(FakeSocket(), workshop_id=workshop_id, role="projector", participant_id=None, queue_size=8)
            for workshop_id in (workshop.id or 0, ELSEWHERE)
        )
        hub.register(kept)
        hub.register(gone)
        async with asyncio.timeout(10):
            # rung until the hub listens: a doorbell of a workshop with no screens here, which changes nothing
            while not await ringer.publish(channel, "0:elsewhere"):
                pass
            # another deployment deletes its workshop of the same id as ours, then one this database never had
            await ringer.publish(channel, f"{workshop.id}:elsewhere:{REMOVED}")
            await ringer.publish(channel, f"{ELSEWHERE}:elsewhere:{REMOVED}")
            await asyncio.shield(gone.ended)
        assert gone.removed
        assert not kept.ended.done() and not kept.removed
    finally:
        await ringer.aclose()
        await hub.stop()
        db.close()


def _other_database(url: str) -> str:
    """The same Redis under another database number: what a second deployment beside this one is given."""
    number = int(deployment_channel(url).split(":")[1])
    return f"{url.rsplit('/', 1)[0]}/{(number + 1) % 16}"


async def test_two_deployments_on_one_redis_never_hear_each_other(
    settings: Settings, workshop: Workshop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis's pub/sub ignores the database number: a hub's channels are named by it (and the prefix setting), so a
    doorbell rung by one deployment reaches its own other workers and never another deployment's, whose workshop of
    the same id is another workshop."""
    url = REDIS_URL or ""
    db = Database(settings.resolved_database_url())
    ringing, same, other = RedisHub(url, db), RedisHub(url, db), RedisHub(_other_database(url), db)
    assert len({ringing.channel, other.channel}) == 2 and ringing.channel == same.channel
    prefixed = RedisHub(url, db, channel_prefix="staging")
    assert prefixed.channel not in (ringing.channel, other.channel)
    heard: dict[RedisHub, list[int]] = {same: [], other: []}
    # per hub and workshop, set once the hub heard a doorbell of it
    rung: defaultdict[tuple[RedisHub, int], asyncio.Event] = defaultdict(asyncio.Event)
    for hub in heard:

        async def nothing_but_doorbells() -> None:
            """The log check left out: each pull here is a doorbell's."""

        async def recorded(workshop_id: int, hub: RedisHub = hub) -> None:
            heard[hub].append(workshop_id)
            rung[hub, workshop_id].set()

        monkeypatch.setattr(hub, "_pull_all", nothing_but_doorbells)
        monkeypatch.setattr(hub, "pull", recorded)
        hub.register(
            Connection(FakeSocket(), workshop_id=workshop.id or 0, role="projector", participant_id=None, queue_size=8)
        )
    ringer = Redis.from_url(url)
    hubs = (ringing, same, other)
    for hub in hubs:
        await hub.start()
    try:
        async with asyncio.timeout(10):
            # rung until both listen (ringing's own listener counts too): a doorbell of a workshop none has
            while await ringer.publish(ringing.channel, "0:elsewhere") < 2:
                pass
            while not await ringer.publish(other.channel, "0:elsewhere"):
                pass
            await ringing.publish([LoggedEvent(workshop.id or 0, 1, "step.changed", "all", {}, "{}")])
            await ringing.remove_workshops([ELSEWHERE])
            await rung[same, workshop.id or 0].wait()
            # the other deployment's doorbell rung after ours: once it is heard, ours would have been
            await ringer.publish(other.channel, f"{ELSEWHERE}:elsewhere")
            await rung[other, ELSEWHERE].wait()
        assert workshop.id not in heard[other] and set(heard[other]) == {0, ELSEWHERE}
    finally:
        await ringer.aclose()
        for hub in hubs:
            await hub.stop()
        db.close()
