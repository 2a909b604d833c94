"""One kind question a few days after an action's date passed while it was not done: to whoever got the reminder
before the date, once per date, only while the action is still to do, with the same one-tap report links; on SQLite
and PostgreSQL."""

import re
from datetime import date, timedelta
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.actions import proposals
from app.actions import service as actions
from app.config import Settings
from app.demo.driver import csrf_of
from app.exports import wording
from app.i18n import in_locale
from app.models import Action, OutboxMessage, Participant, Workshop
from app.notify.reminders import OVERDUE_CATCH_UP_DAYS
from app.notify.sender import reminder_pass
from app.privacy import service as privacy
from tests.conftest import SECRET_KEY, migrated_copy
from tests.notify.conftest import (
    TODAY,
    AppClock,
    Network,
    SmtpServer,
    action_of,
    build_network,
    database,
    local,
    messages,
    send_all,
)
from tests.notify.test_proposals import bea_member
from tests.test_postgres import PG_URL, postgres_settings

# the setting's default (DOORBRAAK_OVERDUE_REMINDER_DAYS)
AFTER = Settings.model_fields["overdue_reminder_days"].default
# who reports on the network's action: Vera volunteered, Olga and Otto are of Woonstichting, Cor is its contact
REPORTERS = {"vera@buurtwerk.nl", "olga@woon.nl", "otto@woon.nl", "cor@bieb.nl"}
NUDGE_NL = "Hoe is het gegaan met “{title}”?"
NUDGE_EN = "How did “{title}” go?"
_LINK = re.compile(r"http://testserver/\S+")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path, migrated_template: Path) -> Settings:
    """Settings for a fresh database on SQLite, then on the test PostgreSQL."""
    if request.param == "sqlite":
        return migrated_copy(migrated_template, Settings(data_dir=tmp_path, environment="test", secret_key=SECRET_KEY))
    if not PG_URL:
        pytest.skip("DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    return postgres_settings(tmp_path).model_copy(update={"secret_key": SECRET_KEY})


def _pass(http: TestClient, day: date, hour: int = 9) -> int:
    """The scheduler's pass as it runs on this day, at this hour on the Dutch clock."""
    secret = http.app.state.runtime.secret_key
    job = partial(reminder_pass, database(http), http.app.state.mail, secret=secret, today=day, now=local(day, hour))
    return int(http.portal.call(job))


def _nudged(db: Any) -> set[str]:
    return {m.recipient for m in messages(db, kind="overdue_reminder")}


def _due(
    tx: Any,
    network: Network,
    day: date,
    *,
    title: str = "Huiskamer in de flat",
    action_id: int | None = None,
    **more: Any,
) -> int:
    """The network's action (or one of Woonstichting's of another title) saved as due on this day."""
    view = actions.save_action(
        tx,
        workshop_id=network.workshop_id,
        action_id=network.action_id if title == "Huiskamer in de flat" else action_id,
        title=title,
        owner_organisation="Woonstichting",
        **({"contact_person": "Cor", "contact_email": "Cor@Bieb.nl"} if title == "Huiskamer in de flat" else {}),
        due_on=day,
        **more,
    )
    return int(view["id"])


def _text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _html(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def test_the_nudge_goes_once_a_few_days_after_the_date_to_whoever_got_the_reminder(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    db = database(mail_client)
    db.write_sync(build_network)
    due = TODAY + timedelta(days=2)
    sent_on: dict[date, set[str]] = {}
    for offset in range(2 + AFTER + 2):
        day = TODAY + timedelta(days=offset)
        before = _nudged(db)
        _pass(mail_client, day)
        _pass(mail_client, day, hour=15)  # a second pass the same day adds nothing
        send_all(mail_client)
        sent_on[day] = _nudged(db) - before
    assert {day: people for day, people in sent_on.items() if people} == {due + timedelta(days=AFTER): REPORTERS}
    # the same people the reminder before the date went to, no partner, no one of another organisation or workspace
    assert {m.recipient for m in messages(db, kind="action_reminder")} == REPORTERS
    nudges = [m for m in smtp_server.inbox.wait_for(8) if str(m["Subject"]).startswith("Hoe is het")]
    assert sorted(str(m["To"]) for m in nudges) == sorted(REPORTERS)
    assert {str(m["Subject"]) for m in nudges} == {NUDGE_NL.format(title="Huiskamer in de flat")}
    assert all(wording.day(due) in _text(m) for m in nudges)


def test_no_nudge_of_an_action_done_or_withdrawn_nor_to_an_address_that_unsubscribed(
    mail_client: TestClient, smtp_server: SmtpServer
) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    ids = {title: db.write_sync(partial(_due, network=network, day=TODAY, title=title)) for title in ("A", "B")}
    db.write_sync(partial(_due, network=network, day=TODAY))
    _pass(mail_client, TODAY - timedelta(days=1))
    send_all(mail_client)
    # Cor unsubscribes with the link of his reminder before the date
    reminder = next(m for m in smtp_server.inbox.wait_for(8) if str(m["To"]) == "cor@bieb.nl")
    unsubscribe = str(reminder["List-Unsubscribe"]).strip("<>")
    assert mail_client.post(unsubscribe.removeprefix("http://testserver")).status_code == 200

    def meanwhile(tx: Any) -> None:
        _due(tx, network, TODAY, title="A", action_id=ids["A"], status="klaar")
        actions.delete_action(tx, workshop_id=network.workshop_id, action_id=ids["B"])

    db.write_sync(meanwhile)
    assert _pass(mail_client, TODAY + timedelta(days=AFTER)) == 3
    assert {(m.recipient, m.action_id) for m in messages(db, kind="overdue_reminder")} == {
        (address, network.action_id) for address in REPORTERS - {"cor@bieb.nl"}
    }
    # reported done after the pass wrote the nudges, before they went: the claim drops them
    db.write_sync(partial(_due, network=network, day=TODAY, status="klaar"))
    assert send_all(mail_client) == 0
    assert not messages(db, kind="overdue_reminder")
    assert _pass(mail_client, TODAY + timedelta(days=AFTER + 1)) == 0


def test_a_date_moved_and_missed_again_gets_one_new_nudge(mail_client: TestClient, smtp_server: SmtpServer) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    first = TODAY + timedelta(days=2)
    asked = first + timedelta(days=AFTER)
    assert _pass(mail_client, asked) == len(REPORTERS)
    send_all(mail_client)
    # the owner asks for more time: the office moves the date, which passes again
    moved = asked + timedelta(days=2)
    db.write_sync(partial(_due, network=network, day=moved))
    counts = {}
    for offset in range(1, 2 + AFTER + 3):
        day = asked + timedelta(days=offset)
        before = len(messages(db, kind="overdue_reminder"))
        _pass(mail_client, day)
        _pass(mail_client, day, hour=20)
        counts[day] = len(messages(db, kind="overdue_reminder")) - before
    assert {day: n for day, n in counts.items() if n} == {moved + timedelta(days=AFTER): len(REPORTERS)}
    send_all(mail_client)
    nudges = [m for m in smtp_server.inbox.messages if str(m["Subject"]).startswith("Hoe is het")]
    assert len(nudges) == 2 * len(REPORTERS)
    assert sorted(wording.day(moved) in _text(m) for m in nudges) == [False] * 4 + [True] * 4


def test_the_nudge_in_either_language_reports_with_one_tap(mail_client: TestClient, smtp_server: SmtpServer) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)

    def olga_reads_english(tx: Any) -> None:
        tx.get(Participant, network.people["owner"]).email_lang = "en"

    db.write_sync(olga_reads_english)
    due = TODAY + timedelta(days=2)
    _pass(mail_client, due + timedelta(days=AFTER))
    send_all(mail_client)
    inbox = {str(m["To"]): m for m in smtp_server.inbox.wait_for(len(REPORTERS))}
    english, dutch = inbox["olga@woon.nl"], inbox["otto@woon.nl"]
    assert str(english["Subject"]) == NUDGE_EN.format(title="Huiskamer in de flat")
    assert str(dutch["Subject"]) == NUDGE_NL.format(title="Huiskamer in de flat")
    with in_locale("en"):
        assert f"due on {wording.day(due)}" in _text(english)
    assert f"Op {wording.day(due)} stond" in _text(dutch)
    for message, lang in ((english, "en"), (dutch, "nl")):
        links = _LINK.findall(_text(message))
        # the HTML part carries the same links as buttons
        assert {link.replace("&", "&amp;") for link in links} <= set(re.findall(r'href="([^"]+)"', _html(message)))
        with in_locale(lang):
            labels = [wording.status_name(status) for status in ("bezig", "klaar", "vastgelopen")]
        assert all(f"{label}: http://testserver/status/" in _text(message) for label in labels)

    def report(message: EmailMessage, status: str) -> None:
        url = next(link for link in _LINK.findall(_text(message)) if link.endswith(f"status={status}"))
        page = mail_client.get(url.removeprefix("http://testserver"))
        assert page.status_code == 200
        path = url.removeprefix("http://testserver").split("?")[0]
        done = mail_client.post(path, data={"csrf": csrf_of(page.text), "status": status, "note": ""})
        assert done.status_code == 200, done.text

    report(english, "bezig")
    assert action_of(db, network.action_id).status == "bezig"
    report(dutch, "klaar")
    assert action_of(db, network.action_id).status == "klaar"


def _waiting_for_a_retry(tx: Any) -> None:
    """Every queued message was tried once and refused: it waits for its retry, as after a server that was down."""
    for row in tx.query(OutboxMessage).all():
        row.attempts, row.last_error = 1, "unreachable: no route"


def test_an_address_unsubscribed_after_the_pass_gets_no_nudge(mail_client: TestClient, smtp_server: SmtpServer) -> None:
    db = database(mail_client)
    db.write_sync(build_network)
    assert _pass(mail_client, TODAY + timedelta(days=2 + AFTER)) == len(REPORTERS)
    db.write_sync(_waiting_for_a_retry)
    # Olga unsubscribes (with a link of another mail) while the nudges wait for their retry
    olga = next(m for m in messages(db, kind="overdue_reminder") if m.recipient == "olga@woon.nl")
    assert mail_client.post(olga.unsubscribe_url.removeprefix("http://testserver")).status_code == 200
    assert send_all(mail_client) == len(REPORTERS) - 1
    assert "olga@woon.nl" not in {str(m["To"]) for m in smtp_server.inbox.wait_for(len(REPORTERS) - 1)}


def test_a_waiting_nudge_goes_with_the_personal_data_of_its_workshop(mail_client: TestClient) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    db.write_sync(partial(_due, network=network, day=TODAY + timedelta(days=2)))

    def outside_contact(tx: Any) -> None:
        tx.get(Action, network.action_id).contact_email = "buiten@contact.nl"

    db.write_sync(outside_contact)
    _pass(mail_client, TODAY + timedelta(days=2 + AFTER))
    assert _nudged(db) == REPORTERS - {"cor@bieb.nl"} | {"buiten@contact.nl"}
    db.write_sync(lambda tx: privacy.anonymise_workshop(tx, workshop=tx.get(Workshop, network.workshop_id)))
    # every nudge of the workshop's action goes with its names, as its reminders do: each carries the action's links
    assert _nudged(db) == set()


def test_no_nudge_of_a_date_already_past_when_it_was_agreed_or_given(mail_client: TestClient) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    past = TODAY - timedelta(days=2)
    # agreed today with a date two days ago (a thing done last week, written down now), and the network's action,
    # agreed today for the day after tomorrow, given a date that has passed: neither date was ever missed
    db.write_sync(partial(_due, network=network, day=past, title="Al gedaan"))
    db.write_sync(partial(_due, network=network, day=past))
    for offset in range(OVERDUE_CATCH_UP_DAYS + 1):
        _pass(mail_client, TODAY + timedelta(days=offset))
    assert not messages(db, kind="overdue_reminder")


def test_a_date_given_on_its_own_day_or_before_is_asked_about(mail_client: TestClient, app_clock: AppClock) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    # agreed today for today, and (the clock two days on) moved to that day itself
    today = db.write_sync(partial(_due, network=network, day=TODAY, title="Vandaag"))
    app_clock.advance(timedelta(days=2))
    db.write_sync(partial(_due, network=network, day=TODAY + timedelta(days=2)))
    _pass(mail_client, TODAY + timedelta(days=2 + AFTER))
    assert {m.action_id for m in messages(db, kind="overdue_reminder")} == {today, network.action_id}


def test_a_proposed_date_the_office_took_over_late_is_asked_about(mail_client: TestClient, app_clock: AppClock) -> None:
    db = database(mail_client)
    network: Network = db.write_sync(build_network)
    tomorrow = TODAY + timedelta(days=1)
    # Olga proposes tomorrow; the office takes it over three days on, the day past by then: she knew the date from
    # her proposal on, so it passed under her watch
    db.write_sync(
        lambda tx: proposals.propose_due_date(
            tx,
            action_id=network.action_id,
            proposed_on=tomorrow,
            reason="",
            via="mijn_afspraken",
            today=TODAY,
            participant=tx.get(Participant, network.people["owner"]),
        )
    )
    app_clock.advance(timedelta(days=3))
    bea = bea_member(mail_client, network)
    db.write_sync(
        lambda tx: proposals.accept_proposal(tx, member=bea, action_id=network.action_id, proposed_on=tomorrow)
    )
    _pass(mail_client, tomorrow + timedelta(days=AFTER))
    assert network.action_id in {m.action_id for m in messages(db, kind="overdue_reminder")}
