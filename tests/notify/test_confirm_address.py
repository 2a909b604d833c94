"""An address typed on Mijn afspraken makes its typist an action's contact only once its owner confirmed it, by the
link in the mail it got (single-use, a GET changes nothing); a changed address needs confirming again."""

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.demo.driver import csrf_of
from app.models import MailToken, OutboxMessage, Participant
from tests.conftest import LimitsClock
from tests.notify.conftest import (
    Network,
    SmtpServer,
    action_of,
    build_network,
    database,
    messages,
    send_all,
    sign_in,
)
from tests.notify.test_reports import post_form

# the action's contact address (stored as "Cor@Bieb.nl"); Ursula of the sports club is no one of the action
CONTACT = "cor@bieb.nl"


def give(http: TestClient, page: str, address: str, lang: str = "nl") -> None:
    """The participant saves an address on their page."""
    saved = post_form(http, page, f"{page}/e-mail", {"email": address, "lang": lang})
    assert saved.status_code == 303, saved.text


def may_report(http: TestClient, page: str, network: Network) -> bool:
    """Whether the page offers the action, and a report on it from the page is taken."""
    offered = f'id="actie-{network.action_id}"' in http.get(page).text
    report = post_form(http, page, f"{page}/acties/{network.action_id}/status", {"status": "bezig", "note": ""})
    assert report.status_code in (303, 403), report.text
    assert offered == (report.status_code == 303), "the page offers exactly what it takes"
    return report.status_code == 303


def confirm_path(smtp: SmtpServer, count: int, address: str) -> str:
    """The confirmation link in the newest mail to this address, once count mails arrived (plain and HTML agree)."""
    received = smtp.inbox.wait_for(count)
    mail = [
        m
        for m in received
        if m["To"].addresses[0].addr_spec.casefold() == address.casefold()
        and "/e-mail-bevestigen/" in m.get_body(preferencelist=("plain",)).get_content()
    ][-1]
    plain = mail.get_body(preferencelist=("plain",)).get_content()
    # only the link that confirms: the address may be mistyped, and the typist's page is theirs alone
    assert "/m/" not in plain and "/m/" not in mail.get_body(preferencelist=("html",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    (path,) = re.findall(r"http://testserver(/e-mail-bevestigen/[\w-]+)", plain)
    assert f'href="http://testserver{path}"' in html
    return path


def confirmed_at(http: TestClient, network: Network) -> Any:
    return database(http).read_sync(lambda tx: tx.get(Participant, network.people["unrelated"]).email_confirmed_at)


def test_a_typed_address_gives_no_contact_rights_until_its_owner_confirms(
    mail_client: TestClient, smtp_server: SmtpServer, browser: Any
) -> None:
    stranger = browser()
    network: Network = database(mail_client).write_sync(build_network)
    page = f"/m/{network.links['unrelated']}"
    give(mail_client, page, CONTACT)
    # typed is not confirmed: Ursula is no contact of the action, and her page says the address waits
    assert not may_report(mail_client, page, network)
    assert "Dit adres wacht op bevestiging" in mail_client.get(page).text
    english = mail_client.get(page, headers={"accept-language": "en"}).text
    assert "This address is waiting for confirmation" in english
    # while it waits, the beheerder's outbox page shows the mail but not its link: the yes is the owner's
    boss = TestClient(mail_client.app)
    boss.portal = mail_client.portal
    sign_in(boss, "bea@a.nl")
    waiting = boss.get("/f/berichten").text
    assert "/e-mail-bevestigen/…" in waiting and not re.search(r"/e-mail-bevestigen/[\w-]{16,}", waiting)
    send_all(mail_client)
    path = confirm_path(smtp_server, 1, CONTACT)
    # a mail scanner (or anyone) opening the link changes nothing
    opened = mail_client.get(path)
    assert opened.status_code == 200 and CONTACT in opened.text and "Ja, ik gaf dit adres op" in opened.text
    # it names who typed it, and where: a stranger sees at once that it is not theirs
    assert (
        "<bdi>Ursula</bdi></strong> (<bdi>Sportclub</bdi>) gaf" in opened.text
        and "<bdi>Jeugdoverlast Noord</bdi>" in opened.text
    )
    assert confirmed_at(mail_client, network) is None and not may_report(mail_client, page, network)
    # a press without the page's CSRF token is refused
    assert mail_client.post(path, data={}).status_code == 403
    assert confirmed_at(mail_client, network) is None
    done = mail_client.post(path, data={"csrf": csrf_of(opened.text)})
    assert done.status_code == 200 and "Je adres is bevestigd" in done.text
    assert confirmed_at(mail_client, network) is not None
    assert may_report(mail_client, page, network)
    assert "Dit adres is bevestigd" in mail_client.get(page).text
    # the link works once (the typist's own browser aside: pressed again, it shows their page)
    again = stranger.post(path, data={"csrf": csrf_of(stranger.get(page).text)})
    assert again.status_code == 410 and "hij werkt één keer" in again.text
    assert stranger.get(path).status_code == 410


def test_a_changed_address_loses_the_contact_rights_and_needs_a_new_confirmation(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    network: Network = database(mail_client).write_sync(build_network)
    page = f"/m/{network.links['unrelated']}"
    give(mail_client, page, CONTACT)
    send_all(mail_client)
    first = confirm_path(smtp_server, 1, CONTACT)
    assert mail_client.post(first, data={"csrf": csrf_of(mail_client.get(first).text)}).status_code == 200
    assert may_report(mail_client, page, network)
    # the same address saved again (another language) keeps its confirmation and mails nothing
    give(mail_client, page, "Cor@Bieb.nl", lang="en")
    assert may_report(mail_client, page, network)
    give(mail_client, page, "ursula@sport.nl")
    assert confirmed_at(mail_client, network) is None and not may_report(mail_client, page, network)
    # back to the contact's address: confirmed once is not confirmed now, a new mail asks again
    give(mail_client, page, CONTACT)
    assert not may_report(mail_client, page, network)
    send_all(mail_client)
    confirm_path(smtp_server, 2, "ursula@sport.nl")
    latest = confirm_path(smtp_server, 3, CONTACT)
    assert latest != first and mail_client.get(first).status_code == 410
    assert mail_client.post(latest, data={"csrf": csrf_of(mail_client.get(latest).text)}).status_code == 200
    assert may_report(mail_client, page, network)
    # removed, the address takes its confirmation with it
    give(mail_client, page, "")
    assert confirmed_at(mail_client, network) is None


def test_only_the_newest_link_confirms(mail_client: TestClient, smtp_server: SmtpServer) -> None:
    network: Network = database(mail_client).write_sync(build_network)
    page = f"/m/{network.links['unrelated']}"
    give(mail_client, page, CONTACT)
    send_all(mail_client)
    stale = confirm_path(smtp_server, 1, CONTACT)
    give(mail_client, page, "ursula@sport.nl")
    # the link mailed to the old address confirms nothing now, not even the address it was for
    assert mail_client.get(stale).status_code == 404
    confirming = database(mail_client).read_sync(
        lambda tx: tx.execute(select(col(MailToken.address)).where(col(MailToken.purpose) == "confirm")).all()
    )
    assert [address for (address,) in confirming] == ["ursula@sport.nl"]
    assert not may_report(mail_client, page, network)


def test_forgetting_whoever_typed_an_address_leaves_its_contact_and_forgets_a_confirmation(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    stranger, owner = f"/m/{network.links['unrelated']}", f"/m/{network.links['contact']}"
    give(mail_client, stranger, CONTACT)
    forgotten = post_form(mail_client, stranger, f"{stranger}/vergeet-mij", {"confirm": "ja"})
    assert forgotten.status_code == 303
    # the typist's forgetting takes no one else off the action
    action = action_of(db, network.action_id)
    assert (action.contact_person, action.contact_email) == ("Cor", "Cor@bieb.nl")
    # Cor's own, confirmed address: her download says so, and forgetting her takes the address and its confirmation
    assert mail_client.get(f"{owner}/gegevens.json").json()["participant"]["email_confirmed_at"]
    assert post_form(mail_client, owner, f"{owner}/vergeet-mij", {"confirm": "ja"}).status_code == 303
    cor = db.read_sync(lambda tx: tx.get(Participant, network.people["contact"]))
    assert (cor.email, cor.email_confirmed_at) == (None, None)
    assert action_of(db, network.action_id).contact_email is None


def test_only_the_typists_browser_gets_the_personal_link(
    mail_client: TestClient, smtp_server: SmtpServer, browser: Any
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    page = f"/m/{network.links['unrelated']}"
    # Ursula mistypes her address: it is Cor's; Cor presses yes from his own browser
    give(mail_client, page, CONTACT)
    send_all(mail_client)
    path = confirm_path(smtp_server, 1, CONTACT)
    cor = browser()
    done = cor.post(path, data={"csrf": csrf_of(cor.get(path).text)})
    assert done.status_code == 200 and "Je adres is bevestigd" in done.text
    assert network.links["unrelated"] not in done.text and "in de browser waarin je het adres opgaf" in done.text
    assert messages(db, kind="link") == []
    # the spent link gives the stranger nothing more, however often pressed
    assert cor.post(path, data={"csrf": csrf_of(done.text)}).status_code == 410
    assert messages(db, kind="link") == []
    # the typist, holding the link (the address is theirs after all), gets their page in their own browser, once
    again = mail_client.post(path, data={"csrf": csrf_of(mail_client.get(page).text)})
    assert again.status_code == 200 and f'href="{page}"' in again.text
    mail_client.post(path, data={"csrf": csrf_of(mail_client.get(page).text)})
    (sent,) = messages(db, kind="link")
    assert (sent.recipient, sent.participant_id) == (CONTACT, network.people["unrelated"])
    assert f"http://testserver{page}" in sent.body_text


def test_the_typists_yes_shows_and_mails_the_personal_link(mail_client: TestClient, smtp_server: SmtpServer) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    page = f"/m/{network.links['unrelated']}"
    give(mail_client, page, "u.bakker@sport.nl", lang="en")
    assert (
        "Open that link in this browser"
        in mail_client.get(f"{page}?e-mail=gestuurd", headers={"accept-language": "en"}).text
    )
    send_all(mail_client)
    path = confirm_path(smtp_server, 1, "u.bakker@sport.nl")
    assert messages(db, kind="link") == []
    done = mail_client.post(path, data={"csrf": csrf_of(mail_client.get(path).text)})
    assert done.status_code == 200 and f'href="{page}"' in done.text
    send_all(mail_client)
    mail = smtp_server.inbox.wait_for(2)[-1]
    assert mail["Subject"] == "Your personal link for Jeugdoverlast Noord"
    assert f"http://testserver{page}" in mail.get_body(preferencelist=("plain",)).get_content()


def test_confirmations_are_mailed_a_day_apart_and_three_a_day(
    mail_client: TestClient, frozen_clock: LimitsClock
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    page = f"/m/{network.links['unrelated']}"
    give(mail_client, page, "u.bakker@sport.nl")
    # saved again (the mail slow, or in the spam folder): no second mail, and the page says why
    again = post_form(mail_client, page, f"{page}/e-mail", {"email": "U.Bakker@Sport.nl", "lang": "nl"})
    assert again.headers["location"].endswith("?e-mail=wacht#e-mail")
    assert "Er is al een bevestigingsmail onderweg" in mail_client.get(again.headers["location"]).text
    assert len(messages(db, kind="confirm_address")) == 1
    # other addresses: three a day in all, then a clear refusal that keeps the address as it was
    give(mail_client, page, "u.bakker@sport2.nl")
    give(mail_client, page, "u.bakker@sport3.nl")
    refused = post_form(mail_client, page, f"{page}/e-mail", {"email": "u.bakker@sport4.nl", "lang": "nl"})
    assert refused.status_code == 429 and "al 3 bevestigingsmails" in refused.text
    assert 'value="u.bakker@sport4.nl"' in refused.text
    assert len(messages(db, kind="confirm_address")) == 3
    assert db.read_sync(lambda tx: tx.get(Participant, network.people["unrelated"]).email) == "u.bakker@sport3.nl"

    def a_day_later(tx: Any) -> None:
        for message in tx.execute(select(OutboxMessage)).scalars():
            message.created_at -= timedelta(days=1, minutes=1)
        for token in tx.execute(select(MailToken)).scalars():
            token.created_at -= timedelta(days=1, minutes=1)

    db.write_sync(a_day_later)
    frozen_clock.advance(timedelta(days=1, minutes=1).total_seconds())
    give(mail_client, page, "u.bakker@sport3.nl")
    assert len(messages(db, kind="confirm_address")) == 4


def test_just_after_the_confirmation_mail_went_the_page_offers_no_second_one(mail_client: TestClient) -> None:
    """A button to send the link again, under "we sent it", only gets the answer that one is on its way."""
    network: Network = database(mail_client).write_sync(build_network)
    page = f"/m/{network.links['unrelated']}"
    give(mail_client, page, "u.bakker@sport.nl", lang="nl")
    for state in ("gestuurd", "wacht"):
        shown = mail_client.get(f"{page}?e-mail={state}").text
        assert "Tot het bevestigd is, krijg je er geen herinneringen op" in shown
        assert "confirm-again" not in shown and "Stuur de bevestigingslink" not in shown, state
    # coming back later, the offer is there
    assert "Stuur de bevestigingslink" in mail_client.get(page).text


def test_an_address_saved_before_confirming_existed_is_told_it_gets_no_reminders_and_can_ask_for_the_link(
    mail_client: TestClient,
) -> None:
    network: Network = database(mail_client).write_sync(build_network)

    def unconfirm(tx: Any) -> None:
        # as migration 0016 left an address of before: kept, unconfirmed, and never mailed a confirmation link
        tx.get(Participant, network.people["unrelated"]).email_confirmed_at = None

    database(mail_client).write_sync(unconfirm)
    page = f"/m/{network.links['unrelated']}"
    shown = mail_client.get(page).text
    assert "Herinneringen gaan naar" not in shown, "no reminder goes to an unconfirmed address"
    assert "Tot het bevestigd is, krijg je er geen herinneringen op" in shown and "ursula@sport.nl" in shown
    english = mail_client.get(page, headers={"accept-language": "en"}).text
    assert "Until it is confirmed, you get no reminders there" in english
    assert "Send the confirmation link" in english
    # the page's own button mails the address its link, once
    (offer,) = re.findall(r'<form method="post" action="([^"]+)" class="stack confirm-again">(.*?)</form>', shown, re.S)
    fields = dict(re.findall(r'name="(email|lang)" value="([^"]*)"', offer[1]))
    assert offer[0] == f"{page}/e-mail" and fields == {"email": "ursula@sport.nl", "lang": "nl"}
    assert messages(database(mail_client), kind="confirm_address") == []
    give(mail_client, page, fields["email"], fields["lang"])
    (mailed,) = messages(database(mail_client), kind="confirm_address")
    assert mailed.recipient == "ursula@sport.nl"
    # pressed again the same day: the page says one is on its way, and no second mail goes
    give(mail_client, page, fields["email"], fields["lang"])
    assert len(messages(database(mail_client), kind="confirm_address")) == 1
