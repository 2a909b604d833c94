"""Mails waiting in the outbox go with the person or workshop they name: forgotten, anonymised or deleted."""

import json
import re
from datetime import datetime
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.actions import service as actions
from app.demo.driver import csrf_of
from app.models import Action, ActionChange, Event, Workshop
from app.notify.sender import reminder_pass
from app.privacy import service as privacy
from tests.notify.conftest import NOW, TODAY, Network, SmtpServer, build_network, database, messages, send_all, sign_in


def _network(http: TestClient) -> Network:
    """The network with a follow-up meeting in two days."""
    db = database(http)
    network: Network = db.write_sync(build_network)
    db.write_sync(
        lambda tx: actions.set_followup(
            tx, workshop_id=network.workshop_id, at=datetime(2026, 12, 9, 14), place="Buurthuis"
        )
    )
    return network


def _remind(http: TestClient) -> int:
    """The reminder pass: its mails wait in the outbox; returns how many."""
    secret = http.app.state.runtime.secret_key
    return int(
        http.portal.call(
            partial(reminder_pass, database(http), http.app.state.mail, secret=secret, today=TODAY, now=NOW)
        )
    )


def _post_form(http: TestClient, page_url: str, url: str, **data: str) -> Any:
    return http.post(url, data={"csrf": csrf_of(http.get(page_url).text), **data}, follow_redirects=False)


def _delivered_to(http: TestClient, smtp_server: SmtpServer) -> list[str]:
    """The sender's round until nothing is due; the addresses the SMTP server received mail for."""
    sent = send_all(http)
    return sorted(str(message["To"]) for message in smtp_server.inbox.wait_for(sent))


def test_a_forgotten_participants_waiting_mails_are_not_sent(mail_client: TestClient, smtp_server: SmtpServer) -> None:
    db = database(mail_client)
    network = _network(mail_client)
    assert _remind(mail_client) > 0
    # Vera raised her hand: a reminder of the action and one of the meeting wait for her, with her name
    waiting = [m for m in messages(db) if m.recipient == "vera@buurtwerk.nl"]
    assert len(waiting) == 2 and all("Hallo Vera" in m.body_text for m in waiting)
    link = f"/m/{network.links['volunteer']}"
    assert _post_form(mail_client, link, f"{link}/vergeet-mij", confirm="ja").status_code == 303
    to = _delivered_to(mail_client, smtp_server)
    assert "vera@buurtwerk.nl" not in to and {"olga@woon.nl", "cor@bieb.nl"} <= set(to)
    assert all("Vera" not in str(m) for m in smtp_server.inbox.messages)
    # and she is not written to again
    assert _remind(mail_client) == 0


@pytest.mark.parametrize("how", ["anonymised", "deleted"])
def test_a_workshops_waiting_mails_go_with_its_names(
    mail_client: TestClient, smtp_server: SmtpServer, how: str
) -> None:
    db = database(mail_client)
    network = _network(mail_client)
    # Bas and Otto, of another workshop of the workspace, give new addresses: their confirmations wait, and are theirs
    for who, address in (("partner_elsewhere", "bas.nieuw@gemeente.nl"), ("owner_elsewhere", "otto.thuis@woon.nl")):
        link = f"/m/{network.links[who]}"
        assert _post_form(mail_client, link, f"{link}/e-mail", email=address, lang="nl").status_code == 303
    assert _remind(mail_client) > 0
    if how == "anonymised":
        db.write_sync(lambda tx: privacy.anonymise_workshop(tx, workshop=tx.get(Workshop, network.workshop_id)))
    else:
        sign_in(mail_client, "bea@a.nl")
        page = f"/f/workshops/{network.workshop_id}/verwijderen"
        assert _post_form(mail_client, page, page, title="Jeugdoverlast Noord").status_code == 303
    # Otto was reminded of this workshop's action, at the address of his confirmation mail: the reminder goes with the
    # workshop, his confirmation stays his
    assert _delivered_to(mail_client, smtp_server) == ["bas.nieuw@gemeente.nl", "otto.thuis@woon.nl"]
    otto = [str(m["Subject"]) for m in smtp_server.inbox.messages if str(m["To"]) == "otto.thuis@woon.nl"]
    assert otto == ["Is dit jouw e-mailadres? (Tweede ronde)"]


def test_a_forgotten_contact_is_gone_from_the_action_everywhere_it_showed(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    db = database(mail_client)
    network = _network(mail_client)
    # Cor gave the address the action names as its contact's, so he is its contact; a second action of the other
    # workshop names the same address, a third someone else
    for workshop_id, title, person, address in (
        (network.other_workshop_id, "Leesclub", "C. de Boer", "COR@bieb.nl"),
        (network.workshop_id, "Buurtfeest", "Bea", "bea@buurt.nl"),
    ):
        db.write_sync(
            partial(
                actions.save_action,
                workshop_id=workshop_id,
                title=title,
                owner_organisation="Bibliotheek",
                contact_person=person,
                contact_email=address,
            )
        )
    assert _remind(mail_client) > 0
    assert any(m.recipient.casefold() == "cor@bieb.nl" for m in messages(db))
    link = f"/m/{network.links['contact']}"
    assert _post_form(mail_client, link, f"{link}/vergeet-mij", confirm="ja").status_code == 303
    contacts = db.read_sync(
        lambda tx: {a.title: (a.contact_person, a.contact_email) for a in tx.execute(select(Action)).scalars()}
    )
    assert contacts == {
        "Huiskamer in de flat": ("", None),
        "Leesclub": ("", None),
        "Buurtfeest": ("Bea", "bea@buurt.nl"),
    }
    recorded = db.read_sync(
        lambda tx: [
            (c.before, c.after)
            for c in tx.execute(select(ActionChange).where(ActionChange.kind == "contact")).scalars()
        ]
    )
    logged = db.read_sync(lambda tx: [e.payload for e in tx.execute(select(Event)).scalars()])
    sign_in(mail_client, "bea@a.nl")
    shown = [
        mail_client.get(url).text
        for url in (
            f"/f/acties/{network.action_id}",
            "/f/register",
            "/f/register.csv",
            f"/f/workshops/{network.workshop_id}/besluitenlijst",
            f"/f/workshops/{network.workshop_id}/export/actions.csv",
            f"/f/workshops/{network.workshop_id}/export/besluitenlijst.md",
            f"/api/workshops/{network.workshop_id}/actions",
            f"/api/workshops/{network.other_workshop_id}/actions",
        )
    ]
    for text in [*shown, json.dumps(logged), json.dumps(recorded)]:
        assert not re.search(r"\bCor\b|C\. de Boer|bieb\.nl", text, re.IGNORECASE), text[:2000]
    assert ";Bea;" in shown[2]  # the other contact stays
    # no reminder goes to him as contact, now or at the next pass
    to = _delivered_to(mail_client, smtp_server)
    assert "cor@bieb.nl" not in {address.casefold() for address in to} and "olga@woon.nl" in to
    assert all("bieb.nl" not in str(m["To"]).casefold() for m in smtp_server.inbox.messages)
    _remind(mail_client)
    assert all("bieb.nl" not in m.recipient.casefold() for m in messages(db))
