"""Two server processes on one PostgreSQL: an address confirmed at the moment its participant changes it, in either
order, is neither a deadlock nor a confirmation left on the new address: the change wins, and the new address waits
for its own confirmation."""

import asyncio
from functools import partial
from typing import Any

import anyio
import pytest
from sqlalchemy import select
from sqlmodel import col

from app.errors import DomainError
from app.models import MailToken, Participant, Workshop, utcnow
from app.notify import outbox
from app.notify import service as notify
from app.notify.mails import CONFIRM_LINK_FOR, Links
from app.store.events import Tx
from app.workshops import service as workshops
from tests.faults.conftest import until
from tests.privacy.test_postgres_races import pause_before
from tests.rooms import room_in_obstacle_round
from tests.test_postgres import ON_POSTGRES, two_writers, waiting_for_a_lock

pytestmark = ON_POSTGRES

SECRET = "s" * 32
LINKS = Links(base_url="http://testserver", domain="testserver")


def typed_address_with_a_link(db: Tx) -> tuple[str, str]:
    """Ursula gave ursula@oud.nl, and its confirmation link is on its way. Returns (her page's token, the link's)."""
    room = room_in_obstacle_round(db, participants=1)
    ursula = db.get(Participant, room.participant_ids[0])
    assert ursula is not None
    ursula.email = "ursula@oud.nl"
    workshop = db.get(Workshop, room.workshop_id)
    assert workshop is not None
    token, row = outbox.new_token(
        purpose="confirm",
        workspace_id=workshop.workspace_id,
        address="ursula@oud.nl",
        participant_id=ursula.id,
        expires_at=utcnow() + CONFIRM_LINK_FOR,
    )
    db.add(MailToken(**row))
    db.flush()
    return workshops.link_token(ursula, secret=SECRET), token


# where the one that starts first is held: the confirmation before it writes; the change after it read the
# participant ("read"), or after it wrote the new address, before the old address's links go ("wrote")
HELD = {
    "confirming": "UPDATE participant",
    "changing, read": "UPDATE participant",
    "changing, wrote": "DELETE FROM mailtoken",
}


@pytest.mark.parametrize("first_to_write", list(HELD))
async def test_confirming_while_the_address_changes(first_to_write: str) -> None:
    confirming, changing = await two_writers([])
    try:
        page, link = await confirming.write(typed_address_with_a_link)
        paused, release = pause_before(confirming if first_to_write == "confirming" else changing, HELD[first_to_write])
        confirm = partial(notify.confirm_address, token=link, proof="", links=LINKS, secret=SECRET)
        change = partial(
            notify.save_address, link_token=page, email="ursula@nieuw.nl", lang="nl", links=LINKS, secret=SECRET
        )
        try:
            if first_to_write == "confirming":
                confirmed = asyncio.ensure_future(confirming.write(confirm))
                assert await anyio.to_thread.run_sync(partial(paused.wait, timeout=30))
                changed = asyncio.ensure_future(changing.write(change))
            else:
                changed = asyncio.ensure_future(changing.write(change))
                assert await anyio.to_thread.run_sync(partial(paused.wait, timeout=30))
                confirmed = asyncio.ensure_future(confirming.write(confirm))
            second = changed if first_to_write == "confirming" else confirmed
            # the second waits for the first (or, where nothing holds it, is already through)
            await until(
                lambda: second.done() or confirming.read_sync(waiting_for_a_lock), "the second one waiting or done"
            )
        finally:
            release.set()
        outcomes: list[Any] = await asyncio.gather(confirmed, changed, return_exceptions=True)
        left = await confirming.read(
            lambda db: db.execute(select(col(Participant.email), col(Participant.email_confirmed_at))).one()
        )
        # never the old address's confirmation on the new one
        assert (left[0], left[1]) == ("ursula@nieuw.nl", None)
        # the change always goes through; the confirmation, if second, finds the address changed (410), not a fault
        assert not isinstance(outcomes[1], BaseException), outcomes
        if first_to_write == "confirming":
            assert not isinstance(outcomes[0], BaseException), outcomes
        else:
            assert isinstance(outcomes[0], DomainError) and outcomes[0].code == "address_changed", outcomes
    finally:
        await confirming.stop()
        await changing.stop()
