"""A mail waiting in the outbox goes only to an address still on file for whom it was written: an action's contact,
the contacts a follow-up's reminder went to, a member reading the digest (a participant's: test_confirm_address)."""

import time
from datetime import timedelta
from functools import partial
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.models import Action, Facilitator, OutboxMessage, Workshop
from app.notify import service as notify
from app.notify.sender import reminder_pass
from tests.notify.conftest import NOW, TODAY, Network, SmtpServer, build_network, database, local, messages, send_all

OLD = ("buiten@contact.nl", "bea@a.nl")
NEW = ("nieuw@contact.nl", "bea@nieuw.nl")


def _pass(http: TestClient, *, hours: int = 0) -> int:
    secret = http.app.state.runtime.secret_key
    job = partial(
        reminder_pass, database(http), http.app.state.mail, secret=secret, today=TODAY, now=NOW + timedelta(hours=hours)
    )
    return int(http.portal.call(job))


def _bea(tx: Any) -> Facilitator:
    return tx.execute(select(Facilitator).where(col(Facilitator.email).in_(("bea@a.nl", "bea@nieuw.nl")))).scalar_one()


def test_mail_queued_for_an_address_no_longer_on_file_does_not_go_and_the_new_one_gets_it(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)

    def contact_outside_and_a_reader(tx: Any) -> None:
        # a contact who was not in the room gets the action's reminder and the follow-up's; Bea reads the digest
        tx.get(Action, network.action_id).contact_email = OLD[0]
        tx.get(Workshop, network.workshop_id).followup_at = local(TODAY + timedelta(days=2), 14)
        notify.set_digest(tx, account_id=_bea(tx).id, workspace_id=network.workspace_id, on=True, lang="nl")

    db.write_sync(contact_outside_and_a_reader)
    assert _pass(mail_client) > 0
    queued = {(m.kind, m.recipient) for m in messages(db)}
    assert {("action_reminder", OLD[0]), ("followup_reminder", OLD[0]), ("digest", OLD[1])} <= queued

    def refused_then_changed(tx: Any) -> None:
        # the server was down; meanwhile the office corrects the contact's address, and Bea her own
        for row in tx.query(OutboxMessage).all():
            row.attempts, row.last_error = 1, "unreachable: no route"
        tx.get(Action, network.action_id).contact_email = NEW[0]
        _bea(tx).email = NEW[1]

    db.write_sync(refused_then_changed)
    sent = send_all(mail_client)
    inbox = smtp_server.inbox.wait_for(sent)
    time.sleep(0.2)
    assert len(smtp_server.inbox.messages) == sent == len(queued) - 3
    assert not {str(m["To"]) for m in inbox} & set(OLD)

    # the next pass writes them to the addresses on file now
    assert _pass(mail_client, hours=1) == 3
    assert {(m.kind, m.recipient) for m in messages(db, status="pending")} == {
        ("action_reminder", NEW[0]),
        ("followup_reminder", NEW[0]),
        ("digest", NEW[1]),
    }


def test_a_digest_switched_off_after_it_was_queued_does_not_go(mail_client: TestClient) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    reader = partial(notify.set_digest, workspace_id=network.workspace_id, lang="nl")
    db.write_sync(lambda tx: reader(tx, account_id=_bea(tx).id, on=True))
    _pass(mail_client)
    assert [m.recipient for m in messages(db, kind="digest")] == [OLD[1]]
    db.write_sync(lambda tx: reader(tx, account_id=_bea(tx).id, on=False))
    sent = send_all(mail_client)
    assert not messages(db, kind="digest")
    assert sent == len(messages(db)) > 0
