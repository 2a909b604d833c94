"""Unsubscribing and subscribing again: a link gives back only what a link took, says what happened, and an address
that unsubscribed long ago comes back by its owner's yes to one confirmation mail; as an attacker would try it."""

import asyncio
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, event, select, update
from sqlmodel import col

from app.demo.driver import csrf_of
from app.errors import DomainError
from app.models import (
    Action,
    MailSuppression,
    MailToken,
    Membership,
    OutboxMessage,
    Participant,
    Workshop,
    as_utc,
    utcnow,
)
from app.notify import outbox
from app.notify import service as notify
from app.notify.mails import Links
from app.notify.outbox import Backoff
from app.notify.sender import Sender
from app.notify.smtp import SmtpConfig, parse_smtp_url
from app.privacy import service as privacy
from app.store.database import Database
from tests.conftest import SECRET_KEY
from tests.notify.conftest import (
    Network,
    SmtpServer,
    build_network,
    database,
    messages,
    send_all,
    sign_in,
)

PG_URL = os.environ.get("DOORBRAAK_TEST_DATABASE_URL")


def _link(db: Any, *, purpose: str, workspace_id: int, address: str, **about: Any) -> str:
    """A link as a mail carries it (its token kept hashed), and its path."""
    token, row = outbox.new_token(
        purpose=purpose, workspace_id=workspace_id, address=address, expires_at=utcnow() + timedelta(days=30), **about
    )
    db.write_sync(lambda tx: tx.add(MailToken(**row)))
    return f"/afmelden/{token}" if purpose == "unsubscribe" else f"/weer-aanmelden/{token}"


def _membership(db: Any, workspace_id: int) -> Membership:
    return db.read_sync(
        lambda tx: tx.execute(select(Membership).where(col(Membership.workspace_id) == workspace_id)).scalar_one()
    )


def _digest_link(db: Any, network: Network) -> str:
    membership = _membership(db, network.workspace_id)
    return _link(
        db,
        purpose="unsubscribe",
        workspace_id=network.workspace_id,
        address="bea@a.nl",
        account_id=membership.account_id,
    )


def _set_digest(db: Any, workspace_id: int, on: bool) -> None:
    db.write_sync(
        lambda tx: tx.execute(update(Membership).where(col(Membership.workspace_id) == workspace_id).values(digest=on))
    )


def _suppressed(db: Any, workspace_id: int) -> list[str]:
    return db.read_sync(
        lambda tx: list(
            tx.execute(
                select(col(MailSuppression.address)).where(col(MailSuppression.workspace_id) == workspace_id)
            ).scalars()
        )
    )


def _resubscribe(http: TestClient, path: str) -> Any:
    page = http.get(path)
    return http.post(f"{path}/weer-aanmelden", data={"csrf": csrf_of(page.text)})


def test_a_digest_link_switches_on_only_a_digest_a_link_switched_off(client: TestClient) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    link = _digest_link(db, network)

    # never switched on: the page offers nothing back, and a forged press switches nothing on
    pressed = _resubscribe(client, link)
    assert _membership(db, network.workspace_id).digest is False
    assert pressed.status_code == 200 and "Er is niets veranderd" in pressed.text
    assert "krijgt het weekoverzicht weer" not in pressed.text
    page = client.get(link)
    assert "Meld mij weer aan" not in page.text and "Naar je instellingen" in page.text

    # on, stopped by the link, given back by the link
    _set_digest(db, network.workspace_id, True)
    assert client.post(link, content=b"List-Unsubscribe=One-Click").status_code == 200
    assert _membership(db, network.workspace_id).digest is False
    back = _resubscribe(client, link)
    assert "krijgt het weekoverzicht weer" in back.text and _membership(db, network.workspace_id).digest is True

    # stopped by the link, then the member's own choice in the settings: the link no longer decides
    assert client.post(link).status_code == 200
    boss = TestClient(client.app)
    boss.portal = client.portal
    sign_in(boss, "bea@a.nl")
    settings = boss.get("/f/agenda")
    for choice in ("on", ""):
        chosen = boss.post(
            "/f/agenda/weekoverzicht", data={"csrf": csrf_of(settings.text), "digest": choice, "lang": "nl"}
        )
        assert chosen.status_code == 200
    again = _resubscribe(client, link)
    assert "Er is niets veranderd" in again.text and "in je instellingen" in again.text
    assert _membership(db, network.workspace_id).digest is False


def test_a_digest_link_gives_the_digest_back_for_a_week_then_the_settings_do(client: TestClient) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    link = _digest_link(db, network)
    _set_digest(db, network.workspace_id, True)
    assert client.post(link, content=b"List-Unsubscribe=One-Click").status_code == 200
    # a digest may be forwarded: whoever holds it could otherwise switch it back on for the link's whole year
    eight_days_ago = utcnow() - timedelta(days=8)
    db.write_sync(
        lambda tx: tx.execute(
            update(Membership)
            .where(col(Membership.workspace_id) == network.workspace_id)
            .values(digest_stopped_at=eight_days_ago)
        )
    )
    assert "Meld mij weer aan" not in client.get(link).text
    pressed = _resubscribe(client, link)
    assert _membership(db, network.workspace_id).digest is False
    assert "Er is niets veranderd" in pressed.text and "meer dan een week geleden" in pressed.text
    assert "Naar je instellingen" in pressed.text


def test_after_the_membership_went_the_digest_link_says_nothing_changed(client: TestClient) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    link = _digest_link(db, network)
    _set_digest(db, network.workspace_id, True)
    assert client.post(link).status_code == 200
    db.write_sync(lambda tx: tx.execute(delete(Membership).where(col(Membership.workspace_id) == network.workspace_id)))

    page = client.get(link)
    assert "geen lid meer" in page.text and "Meld mij weer aan" not in page.text
    pressed = _resubscribe(client, link)
    assert pressed.status_code == 200
    assert "krijgt het weekoverzicht weer" not in pressed.text and "Je bent weer aangemeld" not in pressed.text
    assert "Er is niets veranderd" in pressed.text and "geen lid meer" in pressed.text


def test_a_reminder_link_says_when_no_one_here_has_the_address_any_more(client: TestClient) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    # the action's bare contact: the action goes, and with it the one place the address was kept
    link = _link(db, purpose="unsubscribe", workspace_id=network.workspace_id, address="buiten@contact.nl")
    db.write_sync(
        lambda tx: tx.execute(
            update(Action).where(col(Action.id) == network.action_id).values(contact_email="buiten@contact.nl")
        )
    )
    assert client.post(link).status_code == 200
    assert _suppressed(db, network.workspace_id) == ["buiten@contact.nl"]
    db.write_sync(
        lambda tx: tx.execute(update(Action).where(col(Action.id) == network.action_id).values(deleted_at=utcnow()))
    )

    pressed = _resubscribe(client, link)
    assert pressed.status_code == 200 and _suppressed(db, network.workspace_id) == []
    assert "krijgt weer herinneringen" not in pressed.text
    assert "Afmelding opgeheven" in pressed.text and "niemand heeft dit adres hier nu opgegeven" in pressed.text
    # pressed again: nothing was unsubscribed, and the page says so
    again = client.post(f"{link}/weer-aanmelden", data={"csrf": csrf_of(pressed.text)})
    assert "Er is niets veranderd" in again.text and "was niet afgemeld" in again.text

    client.get("/taal/en")
    assert client.post(link).status_code == 200
    in_english = _resubscribe(client, link)
    assert "Unsubscribe lifted" in in_english.text and "no one has given this address here" in in_english.text


def test_a_reminder_link_lifts_an_unsubscribe_for_a_week_then_asks_its_owner_by_mail(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    link = _link(
        db,
        purpose="unsubscribe",
        workspace_id=network.workspace_id,
        address="ursula@sport.nl",
        participant_id=network.people["unrelated"],
    )
    assert mail_client.post(link).status_code == 200
    # months later, someone holding a forwarded reminder opens its link: it works a year, but lifts nothing now
    db.write_sync(lambda tx: tx.execute(update(MailSuppression).values(created_at=utcnow() - timedelta(days=8))))
    page = mail_client.get(link)
    assert "Meld mij weer aan" not in page.text and "meer dan een week geleden afgemeld" in page.text
    assert "Stuur een bevestigingsmail" in page.text
    mail_client.get("/taal/en")
    for _ in range(2):
        pressed = mail_client.post(f"{link}/weer-aanmelden", data={"csrf": csrf_of(page.text)})
        assert pressed.status_code == 200 and "Confirm it in your email" in pressed.text
        assert _suppressed(db, network.workspace_id) == ["ursula@sport.nl"]
    # the address's owner gets one mail (however often the link is pressed), and only her yes lifts it
    assert send_all(mail_client) == 1
    (mail,) = smtp_server.inbox.wait_for(1)
    assert str(mail["To"]) == "ursula@sport.nl"
    assert str(mail["Subject"]) == "Do you want email from Werkruimte van Bea again?"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "the unsubscribe link at the bottom of an earlier email from Werkruimte van Bea" in body
    (path,) = re.findall(r"http://testserver(/weer-aanmelden/[\w-]+)", body)
    owner = TestClient(mail_client.app)
    owner.portal = mail_client.portal
    done = owner.post(path, data={"csrf": csrf_of(owner.get(path).text)})
    assert done.status_code == 200 and _suppressed(db, network.workspace_id) == []


def _give(http: TestClient, link: str, address: str, lang: str = "nl") -> Any:
    form = {"csrf": csrf_of(http.get(f"/m/{link}").text), "email": address, "lang": lang}
    return http.post(f"/m/{link}/e-mail", data=form, follow_redirects=False)


def _ask(http: TestClient, link: str, address: str, lang: str = "nl") -> Any:
    form = {"csrf": csrf_of(http.get(f"/m/{link}").text), "email": address, "lang": lang}
    return http.post(f"/m/{link}/e-mail/bevestigen", data=form, follow_redirects=False)


def test_an_address_unsubscribed_long_ago_comes_back_by_its_owners_yes(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    db.write_sync(
        lambda tx: tx.execute(update(Participant).values(name="<script>Koop nu!</script> http://spam.example"))
    )
    # unsubscribed over a year ago: the link in that mail has expired
    old = _link(db, purpose="unsubscribe", workspace_id=network.workspace_id, address="Ursula@Sport.nl")
    assert mail_client.post(old).status_code == 200
    db.write_sync(lambda tx: tx.execute(update(MailToken).values(expires_at=utcnow() - timedelta(days=1))))
    assert mail_client.get(old).status_code == 410
    assert mail_client.post(f"{old}/weer-aanmelden", data={"csrf": "x"}).status_code in (403, 410)

    # typed on Mijn afspraken: refused, with the offer of one confirmation mail
    ursula = network.links["unrelated"]
    refused = _give(mail_client, ursula, "ursula@sport.nl", lang="en")
    assert refused.status_code == 409 and "Stuur een bevestigingsmail" in refused.text
    assert 'action="/m/' in refused.text and "/e-mail/bevestigen" in refused.text
    # the offer's form is checked like any other: without its CSRF token, nothing is sent
    forged = mail_client.post(f"/m/{ursula}/e-mail/bevestigen", data={"email": "ursula@sport.nl"})
    assert forged.status_code == 403 and messages(db, kind="resubscribe") == []
    asked = _ask(mail_client, ursula, "Ursula@Sport.nl", lang="en")
    assert asked.status_code == 303 and asked.headers["location"].endswith("?e-mail=bevestigen#e-mail")
    notice = mail_client.get(asked.headers["location"]).text
    # the yes lifts the unsubscribe only: the page says the address is then given again here
    assert "dan is er nu een bevestigingsmail onderweg" in notice and "geef het adres dan hier opnieuw op" in notice
    # while it waits, the beheerder's outbox page shows the mail but not its link: consent is the owner's
    boss = TestClient(mail_client.app)
    boss.portal = mail_client.portal
    sign_in(boss, "bea@a.nl")
    waiting = boss.get("/f/berichten").text
    assert "/weer-aanmelden/…" in waiting and not re.search(r"/weer-aanmelden/[\w-]{16,}", waiting)
    assert "Bevestiging weer aanmelden" in waiting
    assert send_all(mail_client) == 1
    (mail,) = smtp_server.inbox.wait_for(1)
    # to the address as typed (its local part's case may matter to its server); no unsubscribe link: it is one already
    assert str(mail["To"]) == "Ursula@sport.nl" and mail["List-Unsubscribe"] is None
    assert str(mail["Subject"]) == "Do you want email from Werkruimte van Bea again?"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    # what the asker typed never reaches someone else's inbox through it
    assert "spam.example" not in body + html and "Koop" not in body + html
    (path,) = re.findall(r"http://testserver(/weer-aanmelden/[\w-]+)", body)

    # asked again, by another participant from another browser, the same day: the same answer, no second mail
    other = TestClient(mail_client.app)
    other.portal = mail_client.portal
    again = _ask(other, network.links["partner"], "URSULA@sport.nl")
    assert again.status_code == 303 and again.headers["location"].endswith("?e-mail=bevestigen#e-mail")
    # nor for an address that is not unsubscribed at all: the answer says no more than the 409 did
    not_unsubscribed = _ask(other, network.links["partner"], "iemand@anders.nl")
    assert not_unsubscribed.status_code == 303 and not_unsubscribed.headers["location"] == again.headers["location"]
    assert send_all(mail_client) == 0 and len(messages(db, kind="resubscribe")) == 1

    # opening the link (a mail scanner does) changes nothing; a POST without the page's CSRF token neither
    owner = TestClient(mail_client.app)
    owner.portal = mail_client.portal
    page = owner.get(path)
    assert page.status_code == 200 and "Ja, ik wil weer herinneringen" in page.text
    assert _suppressed(db, network.workspace_id) == ["ursula@sport.nl"]
    assert owner.post(path, data={"csrf": "verzonnen"}).status_code == 403
    assert _suppressed(db, network.workspace_id) == ["ursula@sport.nl"]

    done = owner.post(path, data={"csrf": csrf_of(page.text)})
    assert done.status_code == 200 and "Je bent weer aangemeld" in done.text
    assert _suppressed(db, network.workspace_id) == []
    # she kept it all along; nothing else changed
    assert db.read_sync(lambda tx: tx.get(Participant, network.people["unrelated"]).email) == "ursula@sport.nl"
    # single use
    assert owner.get(path).status_code == 410
    assert owner.post(path, data={"csrf": csrf_of(page.text)}).status_code == 410


def test_the_owners_yes_lifts_the_unsubscribe_and_gives_the_asker_nothing(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    asker = network.people["unrelated"]
    db.write_sync(lambda tx: setattr(tx.get(Participant, asker), "email", None))
    db.write_sync(lambda tx: tx.add(MailSuppression(workspace_id=network.workspace_id, address="ursula@sport.nl")))
    assert _ask(mail_client, network.links["unrelated"], "Ursula@Sport.nl").status_code == 303
    assert send_all(mail_client) == 1
    body = smtp_server.inbox.wait_for(1)[0].get_body(preferencelist=("plain",)).get_content()
    assert "Op Mijn afspraken van de workshop “Jeugdoverlast Noord” is dit adres opgegeven" in body
    (path,) = re.findall(r"http://testserver(/weer-aanmelden/[\w-]+)", body)
    # the owner's yes is to mail again, not to whoever typed the address (a stranger, or someone's typo): their
    # reminders, with their personal links, do not start coming to her unasked
    owner = TestClient(mail_client.app)
    owner.portal = mail_client.portal
    done = owner.post(path, data={"csrf": csrf_of(owner.get(path).text)})
    assert done.status_code == 200 and "Je bent weer aangemeld" in done.text
    assert "Gaf jij het adres op bij Mijn afspraken? Geef het daar dan opnieuw op" in done.text
    assert db.read_sync(lambda tx: tx.get(Participant, asker).email) is None
    assert _suppressed(db, network.workspace_id) == []
    # whoever asked, if it was her, now gives it again like any address, and gets its confirmation as anyone does
    given = _give(mail_client, network.links["unrelated"], "Ursula@Sport.nl")
    assert given.status_code == 303 and len(messages(db, kind="confirm_address")) == 1
    assert db.read_sync(lambda tx: tx.get(Participant, asker).email) == "Ursula@sport.nl"


def _two_days_pass(db: Database) -> None:
    """Every confirmation so far was asked two days earlier (its key names its day)."""

    def move(tx: Any) -> None:
        for message in tx.execute(select(OutboxMessage).where(col(OutboxMessage.kind) == "resubscribe")).scalars():
            message.created_at = as_utc(message.created_at) - timedelta(days=2)
            prefix, _, day = message.dedupe_key.rpartition(":")
            message.dedupe_key = f"{prefix}:{date.fromisoformat(day) - timedelta(days=2)}"

    db.write_sync(move)


def test_an_address_gets_a_confirmation_at_most_daily_and_three_a_month(client: TestClient) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    db.write_sync(lambda tx: tx.add(MailSuppression(workspace_id=network.workspace_id, address="weg@a.nl")))

    asked = []
    for link in ("partner", "owner", "volunteer", "contact"):
        _ask(client, network.links[link], "Weg@A.nl")
        _ask(client, network.links[link], "weg@a.nl")
        asked.append(len(messages(db, kind="resubscribe")))
        _two_days_pass(db)
    # one a day, three a month, whoever asks: a participant cannot make the server a nuisance to someone
    assert asked == [1, 2, 3, 3]


def test_unsubscribing_between_asks_mails_the_address_no_more_often(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    db.write_sync(lambda tx: tx.add(MailSuppression(workspace_id=network.workspace_id, address="weg@a.nl")))
    # an old mail's unsubscribe link, pressed again between asks: it takes out a confirmation not sent yet
    unsubscribe = _link(db, purpose="unsubscribe", workspace_id=network.workspace_id, address="weg@a.nl")
    received = []
    for link in ("partner", "owner", "volunteer", "contact"):
        for _ in range(2):
            assert _ask(mail_client, network.links[link], "weg@a.nl").status_code == 303
            assert mail_client.post(unsubscribe).status_code == 200
            assert _ask(mail_client, network.links[link], "weg@a.nl").status_code == 303
            send_all(mail_client)
        received.append(len(smtp_server.inbox.messages))
        _two_days_pass(db)
    # a confirmation taken out before a sender took it never went: what went is what the limit counts
    assert received == [1, 2, 3, 3]
    assert [message.status for message in messages(db, kind="resubscribe")] == ["sent"] * 3


def test_asking_for_confirmations_is_limited_per_client_and_per_link(mail_client: TestClient) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    for n in range(6):
        db.write_sync(
            lambda tx, n=n: tx.add(MailSuppression(workspace_id=network.workspace_id, address=f"weg{n}@a.nl"))
        )
    link = network.links["partner"]
    answers = [_ask(mail_client, link, f"weg{n}@a.nl").status_code for n in range(6)]
    # the allowance of giving an address at all: five an hour
    assert answers == [303] * 5 + [429]
    assert len(messages(db, kind="resubscribe")) == 5


@pytest.mark.parametrize(
    "token",
    ["x", "A" * 32, "%00", "..%2F..%2Fetc", "ü" * 40, "a" * 3000, "%E2%80%AE", "-" * 32],
)
def test_garbage_links_are_not_found_never_a_500(client: TestClient, token: str) -> None:
    for method, path in (
        ("GET", f"/afmelden/{token}"),
        ("POST", f"/afmelden/{token}"),
        ("POST", f"/afmelden/{token}/weer-aanmelden"),
        ("GET", f"/weer-aanmelden/{token}"),
        ("POST", f"/weer-aanmelden/{token}"),
    ):
        response = client.request(method, path, data={"csrf": "x"})
        assert response.status_code in (403, 404), (method, path, response.status_code)


def test_a_link_of_one_kind_opens_no_route_of_another_and_a_workspace_lifts_only_its_own(client: TestClient) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    other_workspace = db.read_sync(
        lambda tx: tx.execute(
            select(col(Membership.workspace_id)).where(col(Membership.workspace_id) != network.workspace_id)
        ).scalar_one()
    )
    for workspace_id in (network.workspace_id, other_workspace):
        db.write_sync(lambda tx, w=workspace_id: tx.add(MailSuppression(workspace_id=w, address="zelfde@a.nl")))
    unsubscribe = _link(db, purpose="unsubscribe", workspace_id=network.workspace_id, address="zelfde@a.nl")
    confirm = _link(db, purpose="resubscribe", workspace_id=other_workspace, address="zelfde@a.nl")
    # an unsubscribe link's token on the confirmation route, and the other way round: not found
    assert client.get(confirm.replace("/weer-aanmelden/", "/afmelden/")).status_code == 404
    assert client.get(unsubscribe.replace("/afmelden/", "/weer-aanmelden/")).status_code == 404
    page = client.get(confirm)
    assert client.post(confirm, data={"csrf": csrf_of(page.text)}).status_code == 200
    # the other workspace's confirmation lifted the other workspace's unsubscribe, not this one's
    assert _suppressed(db, network.workspace_id) == ["zelfde@a.nl"] and _suppressed(db, other_workspace) == []


def test_a_get_changes_nothing_and_one_click_needs_no_cookie(client: TestClient) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    link = _link(db, purpose="unsubscribe", workspace_id=network.workspace_id, address="vera@buurtwerk.nl")
    for _ in range(3):
        assert client.get(link).status_code == 200
        assert client.head(link).status_code in (200, 405)
    assert _suppressed(db, network.workspace_id) == []
    # RFC 8058: the mail program's POST carries no cookie and no CSRF token, and is answered the same every time
    cookieless = TestClient(client.app)
    cookieless.portal = client.portal
    # (a mail provider's server may name its own site as the Origin)
    for origin in ({}, {"origin": "https://mail.example.com"}):
        one_click = cookieless.post(
            link,
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded", **origin},
        )
        assert one_click.status_code == 200
    assert _suppressed(db, network.workspace_id) == ["vera@buurtwerk.nl"]
    # subscribing again is a form of the page: without its CSRF token it is refused
    assert cookieless.post(f"{link}/weer-aanmelden").status_code == 403
    assert _suppressed(db, network.workspace_id) == ["vera@buurtwerk.nl"]


@pytest.mark.parametrize(
    ("address", "lang", "status"),
    [
        ("", "nl", 422),
        ("geen-adres", "nl", 422),
        ("ü@ü.nl", "nl", 422),
        ("a@b.nl", "xx", 422),
        ("a@b.nl" * 60, "nl", 422),
    ],
)
def test_asking_with_bad_input_is_told_why_and_sends_nothing(
    client: TestClient, address: str, lang: str, status: int
) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    answer = _ask(client, network.links["partner"], address, lang=lang)
    # told on the page (or, longer than any address, by the form check every form has), never a 500
    assert answer.status_code == status
    assert 'role="alert"' in answer.text or "Niet alle velden zijn goed ingevuld: email" in answer.text
    assert messages(db, kind="resubscribe") == []


def test_asking_from_a_made_up_page_is_not_found(client: TestClient) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    real = network.links["partner"]
    form = {"csrf": csrf_of(client.get(f"/m/{real}").text), "email": "a@b.nl", "lang": "nl"}
    made_up = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    assert client.post(f"/m/{made_up}/e-mail/bevestigen", data=form).status_code == 404


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
def test_two_workers_asked_at_once_on_postgresql_mail_one_confirmation() -> None:
    from tests.test_postgres import reset_schema

    reset_schema()
    db = Database(PG_URL or "")
    db.migrate()
    try:
        network: Network = db.write_sync(build_network)
        db.write_sync(lambda tx: tx.add(MailSuppression(workspace_id=network.workspace_id, address="weg@a.nl")))
        links = Links(base_url="http://testserver", domain="testserver")
        start = threading.Barrier(4)

        def ask(link: str) -> bool:
            start.wait()
            return bool(
                db.write_sync(
                    partial(
                        notify.ask_to_resubscribe,
                        link_token=network.links[link],
                        email="weg@a.nl",
                        lang="nl",
                        links=links,
                        secret=SECRET_KEY,
                    )
                )
            )

        # four people ask in the same instant, each through a connection of their own: without the lock the
        # later ones would meet the first one's row in the unique index and fail rather than count it
        with ThreadPoolExecutor(4) as pool:
            queued = list(pool.map(ask, ["partner", "owner", "volunteer", "contact"]))
        assert sorted(queued) == [False, False, False, True]
        assert len(messages(db, kind="resubscribe")) == 1
    finally:
        db.close()


def _confirm_twice_at_once(db: Database) -> list[str]:
    """Two presses of one confirmation link in the same instant, each through a connection of its own."""
    network: Network = db.write_sync(build_network)
    db.write_sync(lambda tx: tx.add(MailSuppression(workspace_id=network.workspace_id, address="weg@a.nl")))
    link = _link(
        db,
        purpose="resubscribe",
        workspace_id=network.workspace_id,
        address="weg@a.nl",
        participant_id=network.people["partner"],
    )
    token = link.rsplit("/", 1)[1]
    start = threading.Barrier(2)

    def press(_: int) -> str:
        start.wait()
        try:
            db.write_sync(partial(notify.confirm_resubscribe, token=token))
        except DomainError as exc:
            return exc.code
        return "done"

    with ThreadPoolExecutor(2) as pool:
        return sorted(pool.map(press, range(2)))


def test_two_presses_of_one_confirmation_at_once_on_sqlite_count_once(tmp_path: Any) -> None:
    db = Database(f"sqlite:///{tmp_path / 'twice.db'}")
    db.migrate()
    try:
        assert _confirm_twice_at_once(db) == ["done", "mail_link_used"]
    finally:
        db.close()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
def test_two_presses_of_one_confirmation_at_once_on_postgresql_count_once() -> None:
    from tests.test_postgres import reset_schema

    db = Database(PG_URL or "")
    try:
        # single use: without a lock on the link's row both presses read it unused and both say "done"
        for _ in range(3):
            reset_schema()
            db.migrate()
            assert _confirm_twice_at_once(db) == ["done", "mail_link_used"]
    finally:
        db.close()


def test_a_confirmation_asked_is_in_the_askers_download_and_goes_with_their_data(client: TestClient) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    db.write_sync(lambda tx: tx.add(MailSuppression(workspace_id=network.workspace_id, address="ursula@sport.nl")))
    link = network.links["unrelated"]
    assert _ask(client, link, "Ursula@Sport.nl").status_code == 303
    (asked,) = client.get(f"/m/{link}/gegevens.json").json()["confirmations_asked"]
    # what they typed and when; whether the address's owner said yes is hers, not theirs to download
    assert asked["address"] == "Ursula@sport.nl" and set(asked) == {"address", "asked_at", "works_until"}
    db.write_sync(lambda tx: privacy.anonymise_workshop(tx, workshop=tx.get(Workshop, network.workshop_id)))
    # the link went with the asker's data: not found, and the unsubscribe stays; the mail itself stays the outbox's
    # month, so that the address's limit still counts it
    spent = select(MailToken).where(col(MailToken.purpose) == "resubscribe")
    assert db.read_sync(lambda tx: tx.execute(spent).all()) == []
    assert _suppressed(db, network.workspace_id) == ["ursula@sport.nl"]
    assert len(messages(db, kind="resubscribe")) == 1


def test_no_confirmation_goes_to_an_address_unsubscribed_only_elsewhere_and_variants_count_as_one(
    client: TestClient,
) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    other_workspace = db.read_sync(
        lambda tx: tx.execute(
            select(col(Membership.workspace_id)).where(col(Membership.workspace_id) != network.workspace_id)
        ).scalar_one()
    )
    db.write_sync(lambda tx: tx.add(MailSuppression(workspace_id=other_workspace, address="elders@a.nl")))
    # unsubscribed from another workspace only: this one's participants cannot have it mailed
    assert _ask(client, network.links["partner"], "elders@a.nl").status_code == 303
    assert messages(db, kind="resubscribe") == []

    db.write_sync(lambda tx: tx.add(MailSuppression(workspace_id=network.workspace_id, address="weg@bücher.de")))
    # one address however it is typed: case, the domain's xn-- form, full-width letters, spaces
    for link, typed in (
        ("partner", "weg@xn--bcher-kva.de"),
        ("owner", "WEG@BÜCHER.DE"),
        ("volunteer", " weg@ｂücher.de "),
        ("contact", "Weg@Bücher.De"),
    ):
        assert _ask(client, network.links[link], typed).status_code == 303
    assert [message.recipient for message in messages(db, kind="resubscribe")] == ["weg@bücher.de"]


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
def test_two_presses_of_one_status_button_at_once_on_postgresql_report_once() -> None:
    from tests.test_postgres import reset_schema

    db = Database(PG_URL or "")
    try:
        # the same single use as a confirmation's: a reminder's button reports once, not once per worker
        for _ in range(3):
            reset_schema()
            db.migrate()
            network: Network = db.write_sync(build_network)
            link = _link(
                db,
                purpose="status",
                workspace_id=network.workspace_id,
                address="olga@woon.nl",
                action_id=network.action_id,
                participant_id=network.people["owner"],
            )
            token = link.rsplit("/", 1)[1]
            start = threading.Barrier(2)

            def press(status: str, token: str = token, start: threading.Barrier = start) -> str:
                start.wait()
                try:
                    db.write_sync(partial(notify.report_by_link, token=token, status=status, note=""))
                except DomainError as exc:
                    return exc.code
                return "done"

            with ThreadPoolExecutor(2) as pool:
                assert sorted(pool.map(press, ["bezig", "klaar"])) == ["done", "mail_link_used"]
    finally:
        db.close()


def _send_from_another_worker(config: SmtpConfig) -> int:
    """Another worker's sender on the same database, run until nothing is due; returns how many it claimed."""

    async def send() -> int:
        other = Database(PG_URL or "")

        async def publish(_: list[Any]) -> None:
            return None

        await other.start(publish)
        sender = Sender(other, config, backoff=Backoff(first=timedelta(0)))
        try:
            return await sender.drain()
        finally:
            sender.close()
            await other.stop()

    return asyncio.run(send())


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
def test_an_unsubscribe_as_another_worker_sends_a_confirmation_leaves_it_counted_on_postgresql(
    smtp_server: SmtpServer,
) -> None:
    from tests.test_postgres import reset_schema

    reset_schema()
    db = Database(PG_URL or "")
    db.migrate()
    try:
        network: Network = db.write_sync(build_network)
        db.write_sync(lambda tx: tx.add(MailSuppression(workspace_id=network.workspace_id, address="weg@a.nl")))
        unsubscribe = _link(db, purpose="unsubscribe", workspace_id=network.workspace_id, address="weg@a.nl")
        links = Links(base_url="http://testserver", domain="testserver")
        config = parse_smtp_url(smtp_server.url)

        def ask(link: str) -> bool:
            job = partial(
                notify.ask_to_resubscribe,
                link_token=network.links[link],
                email="weg@a.nl",
                lang="nl",
                links=links,
                secret=SECRET_KEY,
            )
            return bool(db.write_sync(job))

        assert ask("partner")
        sent_meanwhile: list[int] = []

        def another_worker_sends(connection: Any, cursor: Any, statement: str, *_: Any) -> None:
            # the unsubscribe has read the mail as waiting; in this instant another worker claims and sends it
            if statement.startswith("DELETE FROM outboxmessage") and not sent_meanwhile:
                sent_meanwhile.append(_send_from_another_worker(config))

        event.listen(db.write_engine, "before_cursor_execute", another_worker_sends)
        try:
            db.write_sync(partial(notify.unsubscribe, token=unsubscribe.rsplit("/", 1)[1]))
        finally:
            event.remove(db.write_engine, "before_cursor_execute", another_worker_sends)
        assert sent_meanwhile == [1]
        smtp_server.inbox.wait_for(1)
        # asked again the same day: the address has had its one mail of the day, and gets no second one
        ask("owner")
        _send_from_another_worker(config)
        assert len(smtp_server.inbox.messages) == 1
        # the mail that went stays in the outbox, where the address's day and month count it
        assert [message.status for message in messages(db, kind="resubscribe")] == ["sent"]
    finally:
        db.close()
