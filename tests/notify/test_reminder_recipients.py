"""Who a reminder goes to: only a confirmed address gets a participant's page, and a claim taken back owns nothing."""

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from fastapi.testclient import TestClient

from app.actions import reporting
from app.models import Participant, Workshop
from app.notify import reminders
from tests.notify.conftest import NOW, TODAY, Network, build_network, database, join


def _recipients(db: Any) -> tuple[set[str], set[str]]:
    due = db.read_sync(partial(reminders.due_mails, today=TODAY, now=NOW, secret="s"))
    reminded = {person.address for _, people in due.actions for person in people}
    invited = {person.address for _, people in due.meetings for person in people}
    return reminded, invited


def test_an_unconfirmed_address_gets_no_reminder_with_the_participants_page(client: TestClient) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)

    def mistyped(tx: Any) -> None:
        # Woonstichting's Wim typed a stranger's address: only its confirmation may go there, never his page
        join(tx, network.workshop_id, "Wim", "Woonstichting", "vreemde@elders.nl", confirmed=False)
        tx.get(Workshop, network.workshop_id).followup_at = datetime.combine(
            TODAY + timedelta(days=2), datetime.min.time(), tzinfo=UTC
        )

    db.write_sync(mistyped)
    reminded, invited = _recipients(db)
    assert "olga@woon.nl" in reminded and "olga@woon.nl" in invited
    assert "vreemde@elders.nl" not in reminded
    assert "vreemde@elders.nl" not in invited


def test_a_claim_taken_back_gets_no_reminder_of_the_organisations_actions(client: TestClient) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    assert "otto@woon.nl" in _recipients(db)[0]

    def take_back(tx: Any) -> None:
        otto = tx.get(Participant, network.people["owner_elsewhere"])
        reporting.take_back_organisation(tx, participant=otto, taken_back=True)

    db.write_sync(take_back)
    reminded, _ = _recipients(db)
    assert "otto@woon.nl" not in reminded
    assert "olga@woon.nl" in reminded
