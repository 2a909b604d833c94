"""The Redis hub's doorbell between workers, against a real Redis: what a ring may and may not make a worker do."""

import asyncio
import os
import uuid

import pytest
from redis.asyncio import Redis

from app.config import Settings
from app.live import redis_hub
from app.live.hub import Connection
from app.live.redis_hub import REMOVED, RedisHub
from app.models import Workshop
from app.store.database import Database
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
    channel = f"doorbraak-test:{uuid.uuid4()}"  # this test's alone: other runs on the same Redis hear nothing of it
    monkeypatch.setattr(redis_hub, "CHANNEL", channel)
    db = Database(settings.resolved_database_url())
    hub = RedisHub(REDIS_URL or "", db)

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
