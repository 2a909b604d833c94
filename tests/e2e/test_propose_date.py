"""In real browsers: an owner proposes a new due date on Mijn afspraken (a phone), and the programme office finds it
in the register among thirty-odd actions with long names and takes it over with one click."""

import asyncio
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from app.actions import proposals, reporting
from app.actions import service as actions
from app.config import Settings
from app.models import Action, Participant, Workshop, local_today, utcnow
from app.notify.mails import Links
from app.notify.sender import MailSetup, reminder_pass
from app.store.database import Database
from app.workshops import service as workshops
from tests.e2e.browser import PHONE, PROJECTOR
from tests.e2e.test_register import sign_in
from tests.notify.conftest import build_network, messages

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect
SMALL_PHONE = {"viewport": {"width": 360, "height": 800}, "is_mobile": True, "has_touch": True}
LONG = "Woningcorporatie-samenwerkingsverband-Heerlen-Noord-en-Omstreken"


def crowded_network(settings: Settings) -> tuple[int, str]:
    """The network of tests/notify (Bea's workspace, Olga of the owner organisation) and thirty more actions with
    long names, some with proposals of their own; the action's id and Olga's personal link."""
    db = Database(settings.resolved_database_url())
    try:
        network = db.write_sync(build_network)

        def hostile(tx: Any) -> str:
            workshop = tx.get(Workshop, network.workshop_id)
            olga = tx.get(Participant, network.people["owner"])
            olga.name = "Olga van den Broek-Oosterhout-Wiegersma"
            # two days from the day the browsers run (the network counts from a fixed day)
            tx.get(Action, network.action_id).due_on = local_today() + timedelta(days=2)
            for n in range(32):
                view = actions.save_action(
                    tx,
                    workshop_id=workshop.id,
                    title=f"Actie {n}: {LONG}-bewonersavond-over-<b>veiligheid</b>",
                    owner_organisation=LONG if n % 2 else "Woonstichting",
                    partners=["Gemeente", f"Partner-{LONG}"],
                    due_on=local_today() + timedelta(days=n - 5),
                )
                if n in (4, 10):
                    proposals.propose_due_date(
                        tx,
                        action_id=view["id"],
                        proposed_on=local_today() + timedelta(days=60 + n),
                        reason=f"Reden {n}: {LONG} " * 3,
                        via="mail",
                        today=local_today(),
                        participant=olga,
                    )
            return workshops.link_token(olga, secret=settings.resolved_secret_key())

        link = db.write_sync(hostile)
    finally:
        db.close()
    return network.action_id, link


def shots(tmp_path: Path) -> Path:
    """Where the screenshots go: DOORBRAAK_SCREENSHOTS if set, else the test's own folder."""
    folder = Path(os.environ.get("DOORBRAAK_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize(("screen", "lang"), [(SMALL_PHONE, "nl"), (PHONE, "en")], ids=["360x800-nl", "390x844-en"])
def test_an_owner_proposes_and_the_office_takes_it_over(
    new_context: Callable[..., Any],
    live_server: str,
    live_settings: Settings,
    screen: dict[str, Any],
    lang: str,
    tmp_path: Path,
) -> None:
    action_id, link = crowded_network(live_settings)
    folder, size = shots(tmp_path), "{width}x{height}".format(**screen["viewport"])
    day = local_today() + timedelta(days=45)
    phone = new_context(**screen).new_page()
    phone.goto(f"/taal/{lang}?next=/m/{link}")
    card = phone.locator(f"#actie-{action_id}")
    english = lang == "en"
    card.locator("summary", has_text="Propose a new date" if english else "Nieuwe datum voorstellen").click()
    card.get_by_label(re.compile("^Why" if english else "^Waarom")).fill("Aannemer <b>ziek</b>, " + LONG)
    # the date it has already passes the browser's check; the server names what is wrong, keeping what was typed
    card.get_by_label("New date" if english else "Nieuwe datum").fill((local_today() + timedelta(days=2)).isoformat())
    card.get_by_role("button", name="Propose this date" if english else "Stel deze datum voor").click()
    expect(card.get_by_role("alert")).to_contain_text("already" if english else "al de deadline")
    card.locator(".propose-date").screenshot(path=str(folder / f"propose-date-refused-{size}-{lang}.png"))
    card.get_by_label("New date" if english else "Nieuwe datum").fill(day.isoformat())
    card.get_by_role("button", name="Propose this date" if english else "Stel deze datum voor").click()
    expect(phone.get_by_role("status").filter(has_text="Proposed." if english else "Voorgesteld.")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= screen["viewport"]["width"], "no sideways scroll"
    phone.screenshot(path=str(folder / f"propose-date-done-{size}-{lang}.png"), full_page=False)
    card.locator("summary", has_text="Propose a new date" if english else "Nieuwe datum voorstellen").click()
    card.locator(".propose-date").scroll_into_view_if_needed()
    phone.screenshot(path=str(folder / f"propose-date-{size}-{lang}.png"), full_page=False)

    office = sign_in(new_context, "bea@a.nl", **PROJECTOR)
    office.goto(f"/taal/{lang}?next=/f/register")
    office.screenshot(path=str(folder / f"register-all-1920x1080-{lang}.png"), full_page=True)
    office.get_by_role("link", name="Date proposed" if english else "Datum voorgesteld").click()
    row = office.locator(f"#actie-{action_id}")
    expect(row).to_contain_text("proposed:" if english else "voorgesteld:")
    expect(row).to_contain_text("Olga van den Broek-Oosterhout-Wiegersma")
    expect(office.locator("tr.has-proposal")).to_have_count(3)
    office.screenshot(path=str(folder / f"register-proposal-1920x1080-{lang}.png"), full_page=True)
    row.get_by_role("button", name=re.compile("^Accept" if english else "^Overnemen")).click()
    expect(office.get_by_role("status")).to_contain_text("accepted" if english else "overgenomen")
    expect(office.locator(f"#actie-{action_id}")).to_have_count(0)

    db = Database(live_settings.resolved_database_url())
    try:
        due = db.read_sync(
            lambda tx: tx.execute(select(col(Action.due_on)).where(col(Action.id) == action_id)).scalar_one()
        )
        assert due == day
    finally:
        db.close()


def reminder_path(settings: Settings, recipient: str, action_id: int) -> str:
    """The reminder pass, as the server runs it (no mail server: the outbox keeps the mail), and the path of the
    "bezig" button in the reminder to this address."""

    async def run() -> str:
        db = Database(settings.resolved_database_url())

        async def no_events(events: Any) -> None:
            return None

        await db.start(no_events)
        setup = MailSetup(config=None, problem=None, links=Links("http://x", "example.org"), reminder_days=3)
        try:
            await reminder_pass(db, setup, secret=settings.resolved_secret_key(), today=local_today(), now=utcnow())
        finally:
            await db.stop()
        (message,) = messages(db, kind="action_reminder", recipient=recipient, action_id=action_id)
        db.close()
        found = re.search(r"(/status/[\w-]+)\?status=bezig", message.body_text)
        assert found is not None
        return found[1]

    # Playwright's sync API keeps an event loop on this thread: the writer gets one of its own on another
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=60)


@pytest.mark.parametrize("screen", [SMALL_PHONE, PHONE], ids=["360x800", "390x844"])
def test_an_owner_proposes_from_a_reminders_page(
    new_context: Callable[..., Any], live_server: str, live_settings: Settings, screen: dict[str, Any], tmp_path: Path
) -> None:
    action_id, _ = crowded_network(live_settings)
    path = reminder_path(live_settings, "olga@woon.nl", action_id)
    folder, size = shots(tmp_path), "{width}x{height}".format(**screen["viewport"])
    phone = new_context(**screen).new_page()
    phone.goto(path)
    phone.locator("summary", has_text="Nieuwe datum voorstellen").click()
    phone.get_by_label("Nieuwe datum").fill((local_today() + timedelta(days=30)).isoformat())
    phone.get_by_label(re.compile("^Waarom")).fill("Aannemer <b>ziek</b>, " + LONG)
    phone.get_by_role("button", name="Stel deze datum voor").click()
    expect(phone.get_by_role("status")).to_contain_text("Voorgesteld:")
    phone.locator("summary", has_text="Nieuwe datum voorstellen").click()
    assert phone.evaluate("document.documentElement.scrollWidth") <= screen["viewport"]["width"], "no sideways scroll"
    phone.screenshot(path=str(folder / f"reminder-page-proposed-{size}-nl.png"), full_page=True)
    # the link still reports
    phone.get_by_role("button", name="Bevestig en meld").click()
    expect(phone.get_by_text("Dank je.")).to_be_visible()


@pytest.mark.parametrize(
    ("screen", "lang"),
    [(PROJECTOR, "nl"), (PROJECTOR, "en"), (SMALL_PHONE, "nl"), (PHONE, "en")],
    ids=["1920x1080-nl", "1920x1080-en", "360x800-nl", "390x844-en"],
)
def test_the_register_marks_a_claim_taken_back_and_offers_a_done_action_only_declining(
    new_context: Callable[..., Any],
    live_server: str,
    live_settings: Settings,
    screen: dict[str, Any],
    lang: str,
    tmp_path: Path,
) -> None:
    action_id, _ = crowded_network(live_settings)
    db = Database(live_settings.resolved_database_url())

    def done(tx: Any) -> None:
        tx.get(Action, action_id).status = "klaar"

    try:
        proposer = db.read_sync(
            lambda tx: tx.execute(select(col(Participant.id)).where(col(Participant.email) == "olga@woon.nl")).scalar()
        )
        db.write_sync(
            lambda tx: proposals.propose_due_date(
                tx,
                action_id=action_id,
                proposed_on=local_today() + timedelta(days=20),
                reason="Klaar, maar " + LONG,
                via="mail",
                today=local_today(),
                participant=tx.get(Participant, proposer),
            )
        )
        db.write_sync(done)
        db.write_sync(
            lambda tx: reporting.take_back_organisation(tx, participant=tx.get(Participant, proposer), taken_back=True)
        )
    finally:
        db.close()
    folder, size = shots(tmp_path), "{width}x{height}".format(**screen["viewport"])
    english = lang == "en"
    office = sign_in(new_context, "bea@a.nl", **screen)
    office.goto(f"/taal/{lang}?next=/f/register")
    office.goto("/f/register?proposed=yes")
    row = office.locator(f"#actie-{action_id}")
    expect(row).to_contain_text("organisation taken back" if english else "organisatie teruggenomen")
    expect(row.get_by_role("button", name=re.compile("^Turn down" if english else "^Afwijzen"))).to_be_visible()
    expect(row.get_by_role("button", name=re.compile("^Accept" if english else "^Overnemen"))).to_have_count(0)
    assert office.evaluate("document.documentElement.scrollWidth") <= screen["viewport"]["width"], "no sideways scroll"
    row.scroll_into_view_if_needed()
    office.screenshot(path=str(folder / f"register-done-taken-back-{size}-{lang}.png"), full_page=False)
