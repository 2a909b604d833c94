"""A reminder waiting in the outbox goes only while what it reminds of still holds: an action done, withdrawn or moved,
or a follow-up moved, drops it as it is claimed, and the next pass reminds of the new date."""

import time
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from fastapi.testclient import TestClient

from app.actions import service as actions
from app.exports import wording
from app.models import OutboxMessage, Workshop, local_day
from app.notify.sender import reminder_pass
from tests.notify.conftest import (
    NOW,
    TODAY,
    AppClock,
    Network,
    SmtpServer,
    build_network,
    database,
    join,
    messages,
    send_all,
)

# an action of the network's workshop that each test changes in its own way
ACTIONS = ("Huiskamer in de flat", "Buurtfeest", "Speeltuin", "Loket")


def _pass(http: TestClient, *, now: datetime = NOW) -> int:
    secret = http.app.state.runtime.secret_key
    return http.portal.call(
        partial(reminder_pass, database(http), http.app.state.mail, secret=secret, today=local_day(now), now=now)
    )


def _agree(tx: Any, network: Network, title: str, *, action_id: int | None = None, **fields: Any) -> int:
    """An action of the network's workshop owned by Woonstichting (Olga, Otto), due in two days unless told."""
    view = actions.save_action(
        tx,
        workshop_id=network.workshop_id,
        action_id=action_id,
        title=title,
        owner_organisation="Woonstichting",
        **{"due_on": TODAY + timedelta(days=2), **fields},
    )
    return int(view["id"])


def _waiting_for_a_retry(tx: Any) -> None:
    """Every queued message was tried once and refused: it waits for its retry, as after a server that was down."""
    for row in tx.query(OutboxMessage).all():
        row.attempts, row.last_error = 1, "unreachable: no route"


def test_a_reminder_of_an_action_done_withdrawn_or_moved_since_is_not_sent_and_the_new_date_is(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    ids = {title: db.write_sync(partial(_agree, network=network, title=title)) for title in ACTIONS[1:]}
    ids[ACTIONS[0]] = network.action_id
    assert _pass(mail_client) > 0
    assert {m.action_id for m in messages(db, kind="action_reminder")} == set(ids.values())
    db.write_sync(_waiting_for_a_retry)

    def meanwhile(tx: Any) -> None:
        _agree(tx, network, "Buurtfeest", action_id=ids["Buurtfeest"], status="klaar")
        actions.delete_action(tx, workshop_id=network.workshop_id, action_id=ids["Speeltuin"])
        _agree(tx, network, "Loket", action_id=ids["Loket"], due_on=TODAY + timedelta(days=3))

    db.write_sync(meanwhile)
    sent = send_all(mail_client)
    # only the unchanged action's four reminders (Vera, Olga, Otto, Cor) go; the others' are gone from the outbox
    assert sent == 4
    inbox = smtp_server.inbox.wait_for(4)
    time.sleep(0.2)
    assert len(smtp_server.inbox.messages) == 4
    assert {str(m["Subject"]).split("”")[0].split("“")[1] for m in inbox} == {"Huiskamer in de flat"}
    assert not [m for m in messages(db) if m.status in ("pending", "sending", "failed")]

    # the next pass reminds of the moved action's new date, once, and of nothing done or withdrawn
    assert _pass(mail_client, now=NOW + timedelta(hours=1)) == 2
    assert send_all(mail_client) == 2
    later = smtp_server.inbox.wait_for(6)[4:]
    new_day = wording.day(TODAY + timedelta(days=3))
    assert sorted(str(m["To"]) for m in later) == ["olga@woon.nl", "otto@woon.nl"]
    assert all(str(m["Subject"]) == f"Herinnering: “Loket” staat op {new_day}" for m in later)
    assert _pass(mail_client, now=NOW + timedelta(hours=2)) == 0


def test_a_reminder_of_a_follow_up_moved_since_is_not_sent_and_one_of_its_new_time_is(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)

    def meeting(tx: Any) -> None:
        # a meeting without the action: only the meeting's reminders are queued
        actions.delete_action(tx, workshop_id=network.workshop_id, action_id=network.action_id)
        there = tx.get(Workshop, network.other_workshop_id)
        join(tx, there.id, "Mo", "Buurtwerk", "mo@buurtwerk.nl")
        for workshop_id in (network.workshop_id, network.other_workshop_id):
            actions.set_followup(tx, workshop_id=workshop_id, at=datetime(2026, 12, 9, 14), place="Buurthuis")

    db.write_sync(meeting)
    queued = _pass(mail_client)
    # the first workshop's five addresses, the second's three
    assert queued == 8
    db.write_sync(_waiting_for_a_retry)
    # an hour later on the same day: the reminder names a time that no longer holds either
    db.write_sync(
        partial(actions.set_followup, workshop_id=network.workshop_id, at=datetime(2026, 12, 9, 15), place="Buurthuis")
    )
    assert send_all(mail_client) == 3
    first = smtp_server.inbox.wait_for(3)
    time.sleep(0.2)
    assert len(smtp_server.inbox.messages) == 3
    assert sorted(str(m["To"]) for m in first) == ["bas@gemeente.nl", "mo@buurtwerk.nl", "otto@woon.nl"]

    assert _pass(mail_client, now=NOW + timedelta(hours=1)) == 5
    assert send_all(mail_client) == 5
    later = smtp_server.inbox.wait_for(8)[3:]
    calendar = later[0].get_body(preferencelist=("plain",)).get_content()
    assert "15:00" in calendar and "14:00" not in calendar


def test_a_reminder_of_today_left_for_a_retry_does_not_go_the_next_day(
    mail_client: TestClient, smtp_server: SmtpServer, app_clock: AppClock
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    db.write_sync(lambda tx: actions.delete_action(tx, workshop_id=network.workshop_id, action_id=network.action_id))
    today = db.write_sync(partial(_agree, network=network, title="Buurtfeest", due_on=TODAY))
    db.write_sync(partial(_agree, network=network, title="Loket", due_on=TODAY + timedelta(days=1)))
    assert _pass(mail_client) == 4
    subjects = {m.subject for m in messages(db, kind="action_reminder")}
    assert "Herinnering: “Buurtfeest” staat voor vandaag" in subjects
    db.write_sync(_waiting_for_a_retry)
    # the server stays down until the next morning: "vandaag" would say so of yesterday
    app_clock.advance(timedelta(days=1))
    assert send_all(mail_client) == 2
    sent = smtp_server.inbox.wait_for(2)
    time.sleep(0.2)
    assert len(smtp_server.inbox.messages) == 2
    tomorrow = wording.day(TODAY + timedelta(days=1))
    assert {str(m["Subject"]) for m in sent} == {f"Herinnering: “Loket” staat op {tomorrow}"}
    assert not [m for m in messages(db, kind="action_reminder") if m.action_id == today]
    # and the next pass writes no reminder of a day gone by
    assert _pass(mail_client, now=NOW + timedelta(days=1)) == 0
