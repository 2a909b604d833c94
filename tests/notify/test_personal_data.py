"""Addresses are personal data: in a participant's download, gone after the retention period, gone with a workshop."""

from datetime import timedelta
from functools import partial
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlmodel import col

from app.demo.driver import csrf_of
from app.models import Action, CalendarFeed, MailToken, Membership, OutboxMessage, Participant, Workshop
from app.notify import feeds
from app.notify.mails import Links
from app.notify.sender import MailSetup, reminder_pass
from app.privacy import service as privacy
from tests.conftest import SECRET_KEY
from tests.notify.conftest import NOW, TODAY, Network, build_network, database, messages, sign_in

LINKS = Links(base_url="http://testserver", domain="example.org")


def with_links_and_feeds(client: TestClient) -> Network:
    """The network, its reminders queued (links in mails) and a participant's calendar feed."""
    db = database(client)
    network: Network = db.write_sync(build_network)
    setup = MailSetup(config=None, problem=None, links=LINKS, reminder_days=3)
    client.portal.call(partial(reminder_pass, db, setup, secret=SECRET_KEY, today=TODAY, now=NOW))
    db.write_sync(
        lambda tx: feeds.create_feed(
            tx, workspace_id=network.workspace_id, scope="participant", participant_id=network.people["volunteer"]
        )
    )
    return network


def count(db: Any, model: Any) -> int:
    """Rows of a table."""
    return db.read_sync(lambda tx: tx.execute(select(func.count()).select_from(model)).scalar_one())


def links_left(db: Any) -> list[tuple[str, int | None, int | None]]:
    """The mail links kept: purpose, participant, action."""
    query = select(MailToken.purpose, MailToken.participant_id, MailToken.action_id)
    return db.read_sync(lambda tx: [tuple(row) for row in tx.execute(query).all()])


def test_the_download_names_the_address(client: TestClient) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    record = client.get(f"/m/{network.links['owner']}/gegevens.json").json()
    assert (record["participant"]["email"], record["participant"]["email_language"]) == ("olga@woon.nl", "nl")


def test_retention_removes_addresses_links_and_feeds(client: TestClient) -> None:
    db = database(client)
    network = with_links_and_feeds(client)
    assert count(db, MailToken) > 0 and count(db, CalendarFeed) == 1

    def anonymise(tx: Any) -> None:
        privacy.anonymise_workshop(tx, workshop=tx.get(Workshop, network.workshop_id))

    db.write_sync(anonymise)
    people = db.read_sync(
        lambda tx: tx.execute(select(Participant.email).where(Participant.workshop_id == network.workshop_id)).all()
    )
    assert {email for (email,) in people} == {None}
    action = db.read_sync(lambda tx: tx.get(Action, network.action_id))
    assert (action.contact_person, action.contact_email) == ("", None)
    # what is left is Otto's: he was reminded as one of the owner organisation, from another workshop; his
    # unsubscribe link is his workshop's, the status link about this workshop's action went with it
    assert links_left(db) == [("unsubscribe", network.people["owner_elsewhere"], None)]
    assert count(db, CalendarFeed) == 0
    # an anonymised workshop's actions are reminded to nobody
    setup = MailSetup(config=None, problem=None, links=LINKS, reminder_days=3)
    later = client.portal.call(
        partial(reminder_pass, db, setup, secret=SECRET_KEY, today=TODAY, now=NOW + timedelta(hours=1))
    )
    assert later == 0


def test_a_workshop_with_links_and_feeds_is_deleted_whole(client: TestClient) -> None:
    db = database(client)
    network = with_links_and_feeds(client)

    def delete(tx: Any) -> None:
        privacy.delete_workshop(tx, workshop=tx.get(Workshop, network.workshop_id), typed_title="Jeugdoverlast Noord")

    db.write_sync(delete)
    assert db.read_sync(lambda tx: tx.get(Workshop, network.workshop_id)) is None
    assert links_left(db) == [("unsubscribe", network.people["owner_elsewhere"], None)]
    assert count(db, CalendarFeed) == 0


def _give(http: TestClient, link: str, address: str) -> None:
    """An address given on the participant's Mijn afspraken."""
    form = {"csrf": csrf_of(http.get(f"/m/{link}").text), "email": address, "lang": "nl"}
    assert http.post(f"/m/{link}/e-mail", data=form, follow_redirects=False).status_code == 303


def test_the_download_lists_the_mails_written_for_the_participant_and_not_others_to_their_address(
    client: TestClient,
) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    # anyone may type any address: Otto gives the member's, Bas that of the action's contact, who was never in the room
    db.write_sync(
        lambda tx: tx.execute(
            update(Action)
            .where(col(Action.id) == network.action_id)
            .values(contact_email="buiten@contact.nl", status="vastgelopen")
        )
    )
    db.write_sync(lambda tx: tx.execute(update(Membership).values(digest=True)))
    _give(client, network.links["owner_elsewhere"], "Bea@A.nl")
    _give(client, network.links["partner_elsewhere"], "buiten@contact.nl")
    # only a confirmed address gets a reminder (it carries the participant's page): Bea, asked, said yes to Otto's
    db.write_sync(
        lambda tx: tx.execute(
            update(Participant)
            .where(col(Participant.id) == network.people["owner_elsewhere"])
            .values(email_confirmed_at=NOW)
        )
    )
    setup = MailSetup(config=None, problem=None, links=LINKS, reminder_days=3)
    client.portal.call(partial(reminder_pass, db, setup, secret=SECRET_KEY, today=TODAY, now=NOW))
    # the outbox holds mails to those addresses written for others: the member's digest, the contact's reminder
    held = {(message.recipient.casefold(), message.kind) for message in messages(db)}
    assert {("bea@a.nl", "digest"), ("buiten@contact.nl", "action_reminder")} <= held

    def mails(link: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = client.get(f"/m/{link}/gegevens.json").json()["mails"]
        return found

    otto = mails(network.links["owner_elsewhere"])
    assert [(mail["kind"], mail["to"]) for mail in otto] == [
        ("confirm_address", "Bea@a.nl"),
        ("action_reminder", "Bea@a.nl"),
    ]
    assert [(mail["kind"], mail["to"]) for mail in mails(network.links["partner_elsewhere"])] == [
        ("confirm_address", "buiten@contact.nl")
    ]
    link_mail, reminder = otto
    assert link_mail["what"] == "Bevestiging e-mailadres"
    assert link_mail["subject"] == "Is dit jouw e-mailadres? (Tweede ronde)"
    assert reminder["what"] == "Herinnering bij een afspraak" and "Huiskamer in de flat" in reminder["subject"]
    assert (reminder["status"], reminder["sent_at"]) == ("pending", None) and reminder["queued_at"].startswith("20")
    client.get("/taal/en")
    assert [mail["what"] for mail in mails(network.links["owner_elsewhere"])] == [
        "Email address confirmation",
        "Action reminder",
    ]
    # a member answering a data request downloads the same
    sign_in(client, "bea@a.nl")
    answered = client.get(
        f"/f/workshops/{network.other_workshop_id}/deelnemers/{network.people['owner_elsewhere']}/gegevens.json"
    )
    assert [mail["kind"] for mail in answered.json()["mails"]] == ["confirm_address", "action_reminder"]

    # once his data goes, the outbox keeps what was sent its month, tied to no one; what still waited for him goes
    # with his data, and the member's digest to the same address stays hers
    sent = update(OutboxMessage).where(
        col(OutboxMessage.kind) == "confirm_address", col(OutboxMessage.recipient) == "Bea@a.nl"
    )
    db.write_sync(lambda tx: tx.execute(sent.values(status="sent")))
    db.write_sync(lambda tx: privacy.anonymise_workshop(tx, workshop=tx.get(Workshop, network.other_workshop_id)))
    assert mails(network.links["owner_elsewhere"]) == []
    kept = [(m.kind, m.status, m.participant_id) for m in messages(db) if m.recipient.casefold() == "bea@a.nl"]
    assert kept == [("confirm_address", "sent", None), ("digest", "pending", None)]
