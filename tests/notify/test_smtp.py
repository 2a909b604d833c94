"""Mail end to end against a real SMTP server: both parts, the language, the calendar file, unsubscribing."""

import logging
import re
import time
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select
from sqlmodel import col

from app.actions import service as actions
from app.config import Settings
from app.demo.driver import csrf_of
from app.main import create_app
from app.models import MailSuppression, Membership, OutboxMessage, Participant
from app.notify import service as notify
from app.notify.mails import Links
from app.notify.sender import MailSetup, check_server, mail_setup, reminder_pass, start_sending
from app.notify.smtp import Outgoing, SmtpUrlError, build_message, parse_smtp_url
from app.store.database import Database
from app.workshops import service as workshops
from tests.conftest import SECRET_KEY
from tests.notify.conftest import (
    NOW,
    TODAY,
    Inbox,
    Network,
    SmtpServer,
    build_network,
    database,
    free_smtp_port,
    messages,
    send_all,
    sign_in,
)

LINKS = Links(base_url="http://testserver", domain="example.org")


@pytest.mark.parametrize(
    ("url", "host", "port", "tls", "user", "password", "sender"),
    [
        ("smtp://mail.example.org?from=Noreply@Example.org", "mail.example.org", 587, False, None, None,
         "Noreply@example.org"),
        ("smtps://jan:geheim%2F%40@mail.example.org?from=a@example.org", "mail.example.org", 465, True, "jan",
         "geheim/@", "a@example.org"),
        ("smtp://u:wachtwoord@127.0.0.1:2525/?from=a@example.org", "127.0.0.1", 2525, False, "u", "wachtwoord",
         "a@example.org"),
    ],
)  # fmt: skip
def test_an_smtp_url_is_read_part_by_part(
    url: str, host: str, port: int, tls: bool, user: str | None, password: str | None, sender: str
) -> None:
    config = parse_smtp_url(url)
    assert (config.host, config.port, config.implicit_tls, config.username, config.password, config.sender) == (
        host,
        port,
        tls,
        user,
        password,
        sender,
    )
    assert password is None or password not in config.describe()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://mail.example.org?from=a@example.org", "moet beginnen met smtp:// of smtps://"),
        ("smtp://?from=a@example.org", "noemt geen server"),
        ("smtp://mail.example.org", "één afzender nodig"),
        ("smtp://mail.example.org?from=geen-adres", "is geen e-mailadres"),
        ("smtp://mail.example.org?from=a@example.org&from=b@example.org", "één afzender nodig"),
        ("smtp://mail.example.org?from=a@example.org&tls=yes", "onbekende instellingen (tls)"),
        ("smtp://jan@mail.example.org?from=a@example.org", "een gebruiker én een wachtwoord"),
        ("smtp://mail.example.org:99999?from=a@example.org", "is geen URL"),
        ("smtp://mail.example.org/pad?from=a@example.org", "een pad of een #"),
        ("smtp://[mail?from=a@example.org", "is geen URL"),
    ],
)
def test_an_smtp_url_that_cannot_be_used_says_why(url: str, says: str) -> None:
    with pytest.raises(SmtpUrlError, match="bad_smtp_url") as refused:
        parse_smtp_url(url)
    assert says in refused.value.text()


def test_line_breaks_in_a_name_or_title_never_reach_a_header() -> None:
    outgoing = Outgoing(
        id=1,
        sender_name="Buurtalliantie\r\nBcc: stiekem@example.org",
        recipient="jan@example.org",
        subject="Huiskamer\nBcc: stiekem@example.org\r\nX-Extra: 1",
        body_text="tekst",
        body_html="<p>tekst</p>",
        attachment="",
        unsubscribe_url="http://testserver/afmelden/t",
        message_id="<een@example.org>",
    )
    sent = build_message(outgoing, sender="noreply@example.org", now=NOW)
    raw = sent.as_bytes()
    assert b"\nBcc:" not in raw and b"\nX-Extra" not in raw
    headers = raw.split(b"\n\n", 1)[0].decode()
    assert [line.split(":")[0] for line in headers.splitlines() if not line.startswith((" ", "\t"))] == [
        "Content-Type",
        "MIME-Version",
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "Auto-Submitted",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
    ]


def test_without_a_usable_smtp_url_the_app_runs_and_the_outbox_page_says_why(tmp_path: Any) -> None:
    from app.main import create_app

    settings = Settings(data_dir=tmp_path, environment="test", secret_key="t" * 40, smtp_url="smtp://[kapot")
    with TestClient(create_app(settings)) as http:
        assert http.get("/healthz").status_code == 200
        database(http).write_sync(build_network)
        sign_in(http, "bea@a.nl")
        page = http.get("/f/berichten")
        assert page.status_code == 200
        assert "DOORBRAAK_SMTP_URL is geen URL" in page.text
        assert "Er wordt niets verstuurd" in page.text


def test_the_start_says_when_mail_cannot_go(caplog: pytest.LogCaptureFixture, tmp_path: Any) -> None:
    import asyncio

    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    caplog.set_level(logging.INFO, logger="doorbraak.mail")
    for url, public, line in (
        (None, None, "DOORBRAAK_SMTP_URL is not set"),
        ("smtp://host", "http://x", "DOORBRAAK_SMTP_URL needs one sender address"),
        ("smtp://host?from=a@example.org", None, "DOORBRAAK_PUBLIC_URL is not set"),
    ):
        caplog.clear()
        setup = mail_setup(Settings(data_dir=tmp_path, environment="test", smtp_url=url, public_url=public))
        assert asyncio.run(start_sending(db, setup)) is None
        assert line in caplog.text


# aiosmtpd warns, for each connection, that a login without TLS is unsafe: on 127.0.0.1, in a test, it is wanted
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_a_refused_login_is_said_at_start_and_the_message_waits(
    caplog: pytest.LogCaptureFixture, tmp_path: Any
) -> None:
    import asyncio

    server = SmtpServer(inbox=Inbox(), port=free_smtp_port())
    server.login = ("doorbraak", "juist")
    server.start()
    try:
        wrong = f"smtp://doorbraak:fout@127.0.0.1:{server.port}?from=noreply@example.org"
        setup = mail_setup(Settings(data_dir=tmp_path, environment="test", smtp_url=wrong, public_url="http://x"))
        db = Database(f"sqlite:///{tmp_path / 'm.db'}")
        db.migrate()
        caplog.set_level(logging.INFO, logger="doorbraak.mail")

        async def run() -> None:
            async def publish(events: Any) -> None:
                return None

            await db.start(publish)
            sender = await start_sending(db, setup)
            assert sender is not None
            await check_server(sender, setup)
            await db.write(build_network)
            await db.write(partial(_queue_one, links=setup.links))
            assert await sender.run_once() == 1
            sender.close()
            await db.stop()

        asyncio.run(run())
        assert "login_refused: 535" in caplog.text
        assert setup.server_note is not None and setup.server_note.startswith("login_refused")
        (message,) = messages(db)
        assert (message.status, message.attempts) == ("pending", 1)
        assert message.last_error.startswith("login_refused: 535")
        assert server.inbox.messages == []
    finally:
        server.stop()


def test_the_start_does_not_wait_on_the_mail_server(tmp_path: Any) -> None:
    import asyncio
    import socket

    from tests.notify.conftest import SMTP_PORTS

    # a server that takes connections and never says a word: a login check waits on it up to its timeout
    with socket.socket() as silent:
        # as free_smtp_port probed it: a port an earlier test's server left in TIME_WAIT is free to take
        silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        silent.bind(("127.0.0.1", free_smtp_port()))
        silent.listen()
        port = silent.getsockname()[1]
        assert port in SMTP_PORTS
        url = f"smtp://127.0.0.1:{port}?from=noreply@example.org"
        setup = mail_setup(Settings(data_dir=tmp_path, environment="test", smtp_url=url, public_url="http://x"))
        sender = asyncio.run(start_sending(Database(f"sqlite:///{tmp_path / 'm.db'}"), setup))
        assert sender is not None
        sender.close()
        silent.setblocking(False)
        with pytest.raises(BlockingIOError):
            silent.accept()  # nobody knocked: the check is check_server's, which the app runs beside itself


def _queue_one(tx: Any, *, links: Links) -> None:
    from app.notify import service

    olga = tx.execute(select(Participant).where(Participant.name == "Olga")).scalar_one()
    link = workshops.link_token(olga, secret=SECRET_KEY)
    service.save_address(tx, link_token=link, email="olga.nieuw@woon.nl", lang="nl", links=links, secret=SECRET_KEY)


def pass_on(http: TestClient, *, today: Any = TODAY, now: datetime = NOW) -> int:
    """The scheduler's pass, on the app's loop."""
    secret = http.app.state.runtime.secret_key
    return http.portal.call(
        partial(reminder_pass, database(http), http.app.state.mail, secret=secret, today=today, now=now)
    )


def test_a_reminder_arrives_with_both_parts_its_language_the_meeting_and_unsubscribe(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)

    def english_and_a_meeting(tx: Any) -> None:
        tx.get(Participant, network.people["volunteer"]).email_lang = "en"
        actions.set_followup(tx, workshop_id=network.workshop_id, at=datetime(2026, 12, 9, 14), place="Buurthuis")

    db.write_sync(english_and_a_meeting)
    queued = pass_on(mail_client)
    # the action: Vera (volunteer), Olga and Otto (owner organisation, Otto of another workshop), Cor (contact);
    # the meeting: every address of the workshop
    assert queued == 4 + 5
    assert send_all(mail_client) == queued
    inbox = smtp_server.inbox.wait_for(queued)
    by = {(str(m["To"]), "ICS" if m.get_content_type() == "multipart/mixed" else "action"): m for m in inbox}
    vera = by[("vera@buurtwerk.nl", "action")]
    assert str(vera["Subject"]).startswith("Reminder: “Huiskamer in de flat” is due on")
    assert "Werkruimte van Bea" in str(vera["From"]) and "noreply@example.org" in str(vera["From"])
    plain = vera.get_body(preferencelist=("plain",)).get_content()
    html = vera.get_body(preferencelist=("html",)).get_content()
    assert "How is it going?" in plain and "/status/" in plain and "/m/" in plain
    assert "<a href=" in html and "Huiskamer in de flat" in html
    unsubscribe = str(vera["List-Unsubscribe"])
    assert unsubscribe.startswith("<http://testserver/afmelden/") and unsubscribe.endswith(">")
    assert str(vera["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    olga = by[("olga@woon.nl", "action")]
    assert str(olga["Subject"]).startswith("Herinnering: “Huiskamer in de flat” staat op")
    assert "Hoe staat het ermee?" in olga.get_body(preferencelist=("plain",)).get_content()
    meeting = by[("olga@woon.nl", "ICS")]
    (attachment,) = list(meeting.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    # a type's method must match a METHOD in the calendar (RFC 6047); an attachment to save names none
    assert attachment.get_param("method") is None and "METHOD" not in Calendar.from_ical(attachment.get_content())
    (event,) = Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert str(event["uid"]).startswith("followup-") and str(event["location"]) == "Buurthuis"
    # sent: what the database keeps of it no longer holds the personal links
    stored = messages(db, recipient="vera@buurtwerk.nl", kind="action_reminder")[0]
    assert (stored.status, stored.body_text, stored.message_id) == ("sent", "", str(vera["Message-ID"]))

    # RFC 8058: the mail program posts, without cookies or a form token
    path = unsubscribe[1:-1].removeprefix("http://testserver")
    anonymous = TestClient(mail_client.app)
    anonymous.portal = mail_client.portal
    confirm = anonymous.get(path)
    assert confirm.status_code == 200 and "Ja, meld mij af" in confirm.text
    assert smtp_server.inbox.messages == inbox, "opening the link changes nothing"
    done = anonymous.post(
        path, content=b"List-Unsubscribe=One-Click", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert done.status_code == 200 and "Je bent afgemeld" in done.text
    assert anonymous.post(path, content=b"List-Unsubscribe=One-Click").status_code == 200, "twice is harmless"

    # the next reminder (the date moved) goes to the others, not to Vera
    def move(tx: Any) -> None:
        actions.save_action(
            tx,
            workshop_id=network.workshop_id,
            action_id=network.action_id,
            title="Huiskamer in de flat",
            owner_organisation="Woonstichting",
            partners=["Gemeente"],
            contact_person="Cor",
            due_on=TODAY + timedelta(days=3),
        )

    db.write_sync(move)
    assert pass_on(mail_client) == 3
    send_all(mail_client)
    later = smtp_server.inbox.wait_for(queued + 3)[queued:]
    assert sorted(str(m["To"]) for m in later) == ["cor@bieb.nl", "olga@woon.nl", "otto@woon.nl"]


def test_a_contact_who_never_joined_gets_mail_in_the_language_the_board_was_used_in(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    sign_in(mail_client, "bea@a.nl")
    csrf = csrf_of(mail_client.get("/f/workshops").text)

    def agree(title: str, contact: str, language: str) -> None:
        mail_client.get(f"/taal/{language}")
        response = mail_client.post(
            f"/f/workshops/{network.workshop_id}/actions",
            json={"title": title, "owner_organisation": "Stadsdeel", "contact_person": "Sam",
                  "contact_email": contact, "due_on": str(TODAY + timedelta(days=2))},
            headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
        )  # fmt: skip
        assert response.status_code == 200, response.text

    agree("Speeltuin open", "sam@stadsdeel.nl", "en")
    agree("Bankjes terug", "kees@stadsdeel.nl", "nl")
    assert pass_on(mail_client) > 0
    send_all(mail_client)
    to = {str(m["To"]): str(m["Subject"]) for m in smtp_server.inbox.wait_for(len(messages(db)))}
    assert to["sam@stadsdeel.nl"].startswith("Reminder: “Speeltuin open” is due on")
    assert to["kees@stadsdeel.nl"].startswith("Herinnering: “Bankjes terug” staat op")


def test_a_second_pass_adds_nothing(mail_client: TestClient) -> None:
    db = database(mail_client)
    db.write_sync(build_network)
    first = pass_on(mail_client)
    assert first == 4
    assert pass_on(mail_client) == 0
    assert pass_on(mail_client, now=NOW + timedelta(hours=5)) == 0
    assert len(messages(db)) == 4


def test_giving_an_address_mails_its_confirmation_once_and_the_personal_link_after_it(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    from app.demo.driver import csrf_of

    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    link = network.links["unrelated"]
    page = mail_client.get(f"/m/{link}")
    bad = mail_client.post(f"/m/{link}/e-mail", data={"csrf": csrf_of(page.text), "email": "geen adres", "lang": "nl"})
    assert bad.status_code == 422 and "Dit is geen e-mailadres" in bad.text and 'value="geen adres"' in bad.text
    injected = mail_client.post(
        f"/m/{link}/e-mail", data={"csrf": csrf_of(page.text), "email": "u@sport.nl\r\nBcc: x@y.nl", "lang": "nl"}
    )
    assert injected.status_code == 422
    for _ in range(2):
        saved = mail_client.post(
            f"/m/{link}/e-mail",
            data={"csrf": csrf_of(page.text), "email": "Ursula.Nieuw@Sport.nl", "lang": "en"},
            follow_redirects=False,
        )
        assert saved.status_code == 303
    assert "Ursula.Nieuw@sport.nl" in mail_client.get(saved.headers["location"]).text
    (queued,) = messages(db, kind="confirm_address")
    assert queued.recipient == "Ursula.Nieuw@sport.nl" and queued.lang == "en"
    send_all(mail_client)
    (sent,) = smtp_server.inbox.wait_for(1)
    assert str(sent["Subject"]) == "Is this your email address? (Jeugdoverlast Noord)"
    plain = sent.get_body(preferencelist=("plain",)).get_content()
    assert "/m/" not in plain
    (confirm,) = re.findall(r"http://testserver(/e-mail-bevestigen/[\w-]+)", plain)
    # confirmed in the browser that gave the address: now the personal link comes, to the confirmed address
    assert mail_client.post(confirm, data={"csrf": csrf_of(mail_client.get(confirm).text)}).status_code == 200
    send_all(mail_client)
    (_, personal) = smtp_server.inbox.wait_for(2)
    assert str(personal["Subject"]) == "Your personal link for Jeugdoverlast Noord"
    assert f"http://testserver/m/{link}" in personal.get_body(preferencelist=("plain",)).get_content()
    removed = mail_client.post(
        f"/m/{link}/e-mail", data={"csrf": csrf_of(page.text), "email": ""}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert db.read_sync(lambda tx: tx.get(Participant, network.people["unrelated"]).email) is None


def test_a_mail_written_before_the_public_url_was_set_goes_with_its_links_on_that_url(
    settings: Settings, smtp_server: SmtpServer
) -> None:
    # an office without mail yet: a participant leaves an address, and the mail that confirms it waits
    with TestClient(create_app(settings)) as quiet:
        link = database(quiet).write_sync(build_network).links["unrelated"]
        page = quiet.get(f"/m/{link}")
        given = quiet.post(f"/m/{link}/e-mail", data={"csrf": csrf_of(page.text), "email": "u@sport.nl", "lang": "nl"})
        assert given.status_code == 200
    # the office sets mail up and restarts: the waiting mail goes, pointing where the server now is
    public = "https://doorbraak.example.org"
    with TestClient(create_app(settings.model_copy(update={"smtp_url": smtp_server.url, "public_url": public}))) as on:
        assert send_all(on) == 1
    (sent,) = smtp_server.inbox.wait_for(1)
    text = sent.get_body(preferencelist=("plain",)).get_content()
    html = sent.get_body(preferencelist=("html",)).get_content()
    assert f"{public}/e-mail-bevestigen/" in text and f"{public}/e-mail-bevestigen/" in html
    assert f"<{public}/afmelden/" in str(sent["List-Unsubscribe"])
    assert "/m/" not in text + html
    assert "localhost:8000" not in text + html + str(sent["List-Unsubscribe"])


def test_a_participant_giving_address_after_address_is_stopped(mail_client: TestClient) -> None:
    from app.demo.driver import csrf_of

    db = database(mail_client)
    link = db.write_sync(build_network).links["unrelated"]
    token = csrf_of(mail_client.get(f"/m/{link}").text)

    def give(address: str) -> Any:
        return mail_client.post(f"/m/{link}/e-mail", data={"csrf": token, "email": address, "lang": "nl"})

    # each new address is a mail: anyone who joined could otherwise have the server mail whomever they like; three
    # confirmations a day, and every try counts against the allowance of tries
    tries = [give(f"buurman{n}@voorbeeld.nl") for n in range(5)]
    assert [t.status_code for t in tries] == [200, 200, 200, 429, 429]
    assert "al 3 bevestigingsmails" in tries[-1].text
    refused = give("nog.een@voorbeeld.nl")
    assert refused.status_code == 429 and "Wacht 60 minuten" in refused.text
    assert len(messages(db, kind="confirm_address")) == 3
    # taking the address away again is never refused
    assert give("").status_code == 200
    # a made-up link is not found, and counts against no one
    made_up = mail_client.post(f"/m/{link[:-4]}AAAA/e-mail", data={"csrf": token, "email": "x@voorbeeld.nl"})
    assert made_up.status_code == 404


def test_a_members_weekly_digest_comes_once_and_stops_on_unsubscribe(
    mail_client: TestClient, smtp_server: SmtpServer, browser: Any
) -> None:
    from app.demo.driver import csrf_of

    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    boss = browser()
    sign_in(boss, "bea@a.nl")
    page = boss.get("/f/agenda")
    chosen = boss.post(
        "/f/agenda/weekoverzicht",
        data={"csrf": csrf_of(page.text), "digest": "on", "lang": "en"},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    # a week later: the action is new this week and overdue by then
    later = TODAY + timedelta(days=3)
    assert pass_on(mail_client, today=later, now=NOW + timedelta(days=3)) >= 1
    (digest,) = messages(db, kind="digest")
    assert digest.recipient == "bea@a.nl" and digest.subject == "Weekly digest Werkruimte van Bea"
    assert "Overdue (1)" in digest.body_text and "New (1)" in digest.body_text
    assert pass_on(mail_client, today=later, now=NOW + timedelta(days=3, hours=2)) == 0, "once a week"
    send_all(mail_client)
    received = [m for m in smtp_server.inbox.wait_for(1) if str(m["To"]) == "bea@a.nl"]
    unsubscribe = str(received[0]["List-Unsubscribe"])[1:-1].removeprefix("http://testserver")
    assert mail_client.post(unsubscribe, content=b"List-Unsubscribe=One-Click").status_code == 200
    digest_on = db.read_sync(
        lambda tx: tx.execute(
            select(Membership.id, Membership.digest).where(col(Membership.workspace_id) == network.workspace_id)
        ).all()
    )
    ((membership_id, on),) = digest_on
    assert on is False
    next_week = later + timedelta(days=7)
    pass_on(mail_client, today=next_week, now=NOW + timedelta(days=10))
    assert len(messages(db, kind="digest")) == 1
    # the link's page offers it back
    page = boss.get(unsubscribe)
    back = boss.post(f"{unsubscribe}/weer-aanmelden", data={"csrf": csrf_of(page.text)})
    assert back.status_code == 200 and "krijgt het weekoverzicht weer" in back.text
    assert db.read_sync(lambda tx: tx.get(Membership, membership_id).digest) is True


def test_the_outbox_page_shows_what_would_have_gone(client: TestClient, browser: Any) -> None:
    db = database(client)
    db.write_sync(build_network)
    setup = client.app.state.mail
    assert not setup.sending
    client.portal.call(partial(reminder_pass, db, setup, secret=SECRET_KEY, today=TODAY, now=NOW))
    sign_in(client, "bea@a.nl")
    page = client.get("/f/berichten")
    assert "Er is geen mailserver ingesteld" in page.text
    assert page.text.count('class="outbox-item"') == 4 and "niet verstuurd: 4" in page.text
    assert "Hoe staat het ermee?" in page.text, "the text that would have been sent"
    # without the personal links in it: a beheerder reads what goes out, not the keys to people's pages
    assert "/status/…?status=klaar" in page.text and "/afmelden/…" in page.text and "/m/…" in page.text
    # a personal link's token is the participant's id, a dot and its key
    assert not re.search(r"/(m|status|afmelden)/[A-Za-z0-9_.-]{16,}", page.text)
    # another workspace's beheerder sees none of it
    other = browser()
    sign_in(other, "xander@b.nl")
    theirs = other.get("/f/berichten")
    assert theirs.status_code == 200 and 'class="outbox-item"' not in theirs.text


def test_an_address_with_other_letters_before_the_at_is_refused_and_a_domain_goes_in_ascii(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    from app.demo.driver import csrf_of

    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    link = network.links["unrelated"]
    page = mail_client.get(f"/m/{link}")
    # SMTPUTF8 is not every server's: refused where the person can still give another address
    refused = mail_client.post(
        f"/m/{link}/e-mail", data={"csrf": csrf_of(page.text), "email": "jöran@sport.nl", "lang": "nl"}
    )
    assert refused.status_code == 422 and "letters als é of ö vóór de @" in refused.text
    assert db.read_sync(lambda tx: tx.get(Participant, network.people["unrelated"]).email) == "ursula@sport.nl"
    saved = mail_client.post(
        f"/m/{link}/e-mail",
        data={"csrf": csrf_of(page.text), "email": "ursula@bücher.de", "lang": "nl"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "ursula@bücher.de" in mail_client.get(f"/m/{link}").text, "shown as typed"
    send_all(mail_client)
    (sent,) = smtp_server.inbox.wait_for(1)
    assert smtp_server.inbox.envelopes == [("noreply@example.org", ["ursula@xn--bcher-kva.de"])]
    assert str(sent["To"]) == "ursula@xn--bcher-kva.de"


def test_a_message_no_server_can_take_fails_at_once_and_the_outbox_page_says_why(
    mail_client: TestClient, smtp_server: SmtpServer, browser: Any
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)

    def stored_before_the_check(tx: Any) -> None:
        # an address kept before addresses were checked for SMTPUTF8: no message to it can be built
        tx.get(Participant, network.people["volunteer"]).email = "véra@buurtwerk.nl"

    db.write_sync(stored_before_the_check)
    assert pass_on(mail_client) == 4
    send_all(mail_client)
    smtp_server.inbox.wait_for(3)
    (failed,) = messages(db, status="failed")
    assert failed.recipient == "véra@buurtwerk.nl" and failed.attempts == 1
    assert failed.last_error.startswith("unbuildable: ")
    assert {m.status for m in messages(db)} == {"sent", "failed"}
    boss = browser()
    sign_in(boss, "bea@a.nl")
    outbox_page = boss.get("/f/berichten").text
    assert "mislukt: 1" in outbox_page and "bericht kon niet gemaakt worden" in outbox_page


def test_the_digest_names_what_moved_and_what_is_stuck_in_the_members_language(client: TestClient) -> None:
    from datetime import date

    from app.models import Action, utcnow

    db = database(client)
    network: Network = db.write_sync(build_network)
    today = date.today()

    def moved_and_stuck(tx: Any) -> None:
        for membership in tx.execute(select(Membership)).scalars():
            membership.digest, membership.digest_lang = True, "en"
        actions.save_action(
            tx,
            workshop_id=network.workshop_id,
            action_id=network.action_id,
            title="Huiskamer in de flat",
            owner_organisation="Woonstichting",
            partners=["Gemeente"],
            contact_person="Cor",
            contact_email="Cor@Bieb.nl",
            due_on=today + timedelta(days=20),
        )
        tx.get(Action, network.action_id).status = "vastgelopen"

    db.write_sync(moved_and_stuck)
    setup = MailSetup(config=None, problem=None, links=LINKS, reminder_days=3)
    # Bea's only: the other workspace had nothing this week, and an empty digest is not sent
    assert client.portal.call(partial(reminder_pass, db, setup, secret=SECRET_KEY, today=today, now=utcnow())) == 1
    (bea,) = messages(db, kind="digest")
    assert (bea.lang, bea.subject) == ("en", "Weekly digest Werkruimte van Bea")
    for heading in ("Moved (1)", "Stuck (1)", "New (1)"):
        assert heading in bea.body_text, heading
    assert "Overdue" not in bea.body_text and "Huiskamer in de flat" in bea.body_html


def test_the_personal_link_in_a_reminder_opens_mijn_afspraken(mail_client: TestClient, smtp_server: SmtpServer) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    queued = pass_on(mail_client)
    assert send_all(mail_client) == queued
    paths = {
        path
        for message in smtp_server.inbox.wait_for(queued)
        for path in re.findall(
            r"http://testserver(/m/[\w.-]+)", message.get_body(preferencelist=("plain",)).get_content()
        )
    }
    # the action's volunteer, contact and the owner organisation's people of both workshops: each their own link,
    # derived when the mail was written
    assert paths == {f"/m/{network.links[who]}" for who in ("volunteer", "owner", "owner_elsewhere", "contact")}
    for path in paths:
        assert mail_client.get(path).status_code == 200
        assert mail_client.get(path[:-1] + ("A" if path[-1] != "A" else "B")).status_code == 404


def _another_browser(mail_client: TestClient) -> TestClient:
    """Another browser of the same app, on its event loop: one that opens a link from a mail."""
    other = TestClient(mail_client.app)
    other.portal = mail_client.portal
    return other


def test_an_address_that_unsubscribed_stays_so_when_given_until_its_owner_takes_it_back(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    own, other = network.links["unrelated"], network.links["partner"]
    token = csrf_of(mail_client.get(f"/m/{own}").text)

    def give(link: str, address: str) -> Any:
        form = {"csrf": token, "email": address, "lang": "nl"}
        return mail_client.post(f"/m/{link}/e-mail", data=form, follow_redirects=False)

    assert give(own, "ursula.nieuw@sport.nl").status_code == 303
    assert send_all(mail_client) == 1
    (first,) = smtp_server.inbox.wait_for(1)
    unsubscribe = str(first["List-Unsubscribe"])[1:-1].removeprefix("http://testserver")
    assert mail_client.post(unsubscribe, content=b"List-Unsubscribe=One-Click").status_code == 200

    # another participant gives it (written otherwise): refused, told why and how, nothing kept and nothing sent
    refused = give(other, "Ursula.Nieuw@Sport.nl")
    assert refused.status_code == 409
    assert "Dit adres heeft gevraagd om geen e-mail meer van deze werkruimte" in refused.text
    assert "afmeldlink onderaan een eerdere e-mail" in refused.text
    assert db.read_sync(lambda tx: tx.get(Participant, network.people["partner"]).email) == "piet@gemeente.nl"
    mail_client.get("/taal/en")
    in_english = give(other, "ursula.nieuw@sport.nl")
    assert (
        in_english.status_code == 409 and "This address asked for no more email from this workspace" in in_english.text
    )
    assert len(messages(db, kind="confirm_address")) == 1 and send_all(mail_client) == 0
    assert [m.kind for m in messages(db, recipient="ursula.nieuw@sport.nl")] == ["confirm_address"]

    # the owner, from the link in her mail: the page says she is unsubscribed and offers it back
    owner = _another_browser(mail_client)
    page = owner.get(unsubscribe)
    assert "Je bent afgemeld" in page.text and "Meld mij weer aan" in page.text
    back_form = {"csrf": csrf_of(page.text)}
    assert owner.post("/afmelden/verzonnen-link-van-niemand/weer-aanmelden", data=back_form).status_code == 404
    back = owner.post(f"{unsubscribe}/weer-aanmelden", data=back_form)
    assert back.status_code == 200 and "Je bent weer aangemeld" in back.text
    assert "Ja, meld mij af" in owner.get(unsubscribe).text

    # and may be given again, and mailed (a participant's link goes once to an address: this is the other's)
    assert give(other, "ursula.nieuw@sport.nl").status_code == 303
    assert send_all(mail_client) == 1
    assert [str(m["To"]) for m in smtp_server.inbox.wait_for(2)[1:]] == ["ursula.nieuw@sport.nl"]


def test_giving_an_unsubscribed_address_counts_against_the_allowance(mail_client: TestClient) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    db.write_sync(lambda tx: tx.add(MailSuppression(workspace_id=network.workspace_id, address="vera@buurtwerk.nl")))
    link = network.links["partner"]
    token = csrf_of(mail_client.get(f"/m/{link}").text)

    def give() -> int:
        form = {"csrf": token, "email": "Vera@Buurtwerk.nl", "lang": "nl"}
        return mail_client.post(f"/m/{link}/e-mail", data=form).status_code

    # which addresses unsubscribed is told no faster than addresses may be given at all
    assert [give() for _ in range(6)] == [409] * 5 + [429]
    assert messages(db, kind="link") == []


@pytest.mark.parametrize(
    "workspace",
    [
        "Gemeente Rotterdam <noreply@rotterdam.nl>",
        "noreply@rotterdam.nl",
        '"Gemeente Rotterdam" <noreply@rotterdam.nl>',
        "Gemeente Rotterdam \uff1cnoreply\uff20rotterdam.nl\uff1e",
        "=?utf-8?q?noreply=40rotterdam=2Enl?=",
        # a right-to-left override, stored before names were cleaned, would show "via Doorbraak" turned around
        "Gemeente\u202e Rotterdam",
    ],
)
def test_a_workspace_named_like_another_sender_shows_as_itself_via_doorbraak(workspace: str) -> None:
    from email import message_from_bytes
    from email.header import decode_header, make_header
    from email.utils import getaddresses

    outgoing = Outgoing(
        id=1,
        sender_name=workspace,
        recipient="jan@example.org",
        subject="Herinnering",
        body_text="tekst",
        body_html="<p>tekst</p>",
        attachment="",
        unsubscribe_url="",
        message_id="<een@example.org>",
    )
    raw = build_message(outgoing, sender="noreply@doorbraak.example", now=NOW).as_bytes()
    parsed = message_from_bytes(raw)
    # one address as a mail program reads it, and a display name with no address-like text in it
    [(name, address)] = getaddresses([str(parsed["From"])])
    shown = str(make_header(decode_header(name)))
    assert address == "noreply@doorbraak.example"
    assert shown.endswith(" via Doorbraak")
    assert not set(shown) & set('<>@"\uff1c\uff1e\uff20\u202e') and "=?" not in shown, shown


def test_a_queued_reminder_is_not_sent_to_an_address_changed_removed_or_unsubscribed_since(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    assert pass_on(mail_client) == 4
    queued = {m.recipient: m for m in messages(db, kind="action_reminder")}
    assert set(queued) == {"vera@buurtwerk.nl", "olga@woon.nl", "otto@woon.nl", "cor@bieb.nl"}

    def retried(tx: Any) -> None:
        # Vera's reminder failed once and waits for its retry: unsubscribing leaves a claimed one be
        row = tx.get(OutboxMessage, queued["vera@buurtwerk.nl"].id)
        row.attempts, row.last_error = 1, "unreachable: no route"

    db.write_sync(retried)
    anonymous = TestClient(mail_client.app)
    anonymous.portal = mail_client.portal
    path = queued["vera@buurtwerk.nl"].unsubscribe_url.removeprefix("http://testserver")
    assert anonymous.post(path, content=b"List-Unsubscribe=One-Click").status_code == 200
    # Olga gives another address (not confirmed yet) and Otto removes his: the reminder to the old one carries
    # their personal page and buttons that report as them
    secret = mail_client.app.state.runtime.secret_key
    save = partial(notify.save_address, lang="nl", links=LINKS, secret=secret)
    assert db.write_sync(partial(save, link_token=network.links["owner"], email="olga@nieuw.nl")).state == "mailed"
    assert db.write_sync(partial(save, link_token=network.links["owner_elsewhere"], email="")).state == "removed"

    send_all(mail_client)
    smtp_server.inbox.wait_for(2)
    time.sleep(0.2)
    got = sorted((str(m["To"]), str(m["Subject"])[:10]) for m in smtp_server.inbox.messages)
    assert got == [("cor@bieb.nl", "Herinnerin"), ("olga@nieuw.nl", "Is dit jou")]
    assert not [m for m in messages(db) if m.status in ("pending", "sending")]
