"""Between sessions in real browsers: a volunteer leaves an address, gets the reminder, and reports "klaar" from it."""

import asyncio
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from app.config import Settings
from app.models import ActionChange, utcnow
from app.notify.mails import Links
from app.notify.sender import MailSetup, Sender, reminder_pass
from app.notify.smtp import parse_smtp_url
from app.store.database import Database
from tests.e2e.browser import PROJECTOR
from tests.e2e.test_agreed_actions import phone_action
from tests.e2e.test_live_session import join, next_until, start_session
from tests.notify.conftest import Inbox, SmtpServer, free_smtp_port

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect
SMALL_PHONE = {"viewport": {"width": 360, "height": 800}, "is_mobile": True, "has_touch": True}
SCREENS = {"360x800": SMALL_PHONE, "1920x1080": PROJECTOR}


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server for this test, on 127.0.0.1, a port of SMTP_PORTS (see tests/notify/conftest.py)."""
    server = SmtpServer(inbox=Inbox(), port=free_smtp_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def screenshots(tmp_path: Path) -> Iterator[Path]:
    """Where the new pages' screenshots go (kept with the test's temporary files)."""
    folder = tmp_path / "screens"
    folder.mkdir()
    yield folder


def remind_and_send(settings: Settings, base_url: str, smtp: SmtpServer) -> int:
    """The scheduler's pass and the sender, as the server runs them, on this test's own event loop and thread."""

    async def run() -> int:
        db = Database(settings.resolved_database_url())

        async def no_events(events: Any) -> None:
            return None

        await db.start(no_events)
        config = parse_smtp_url(smtp.url)
        links = Links(base_url=base_url, domain="example.org")
        setup = MailSetup(config=config, problem=None, links=links, reminder_days=3)
        sender = Sender(db, config)
        try:
            await reminder_pass(db, setup, secret=settings.resolved_secret_key(), today=date.today(), now=utcnow())
            return await sender.drain()
        finally:
            sender.close()
            await db.stop()

    # Playwright's sync API keeps an event loop on this thread: the writer gets one of its own on another
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=60)


def test_a_volunteer_reports_klaar_from_the_reminder(
    new_context: Callable[..., Any], live_server: str, live_settings: Settings, smtp: SmtpServer, screenshots: Path
) -> None:
    session = start_session(new_context, title="Jeugdoverlast Noord")
    board = session.board
    vera = join(new_context, session.code, "Vera", "Buurtwerk")
    next_until(board, "Afspraken")
    due = date.today() + timedelta(days=2)
    form = board.locator("#action-form")
    form.locator("[name=title]").fill("Huiskamer in de flat")
    form.locator("[name=owner_organisation]").fill("Woonstichting")
    form.locator("[name=due_on]").fill(due.isoformat())
    form.get_by_role("button", name="Afspraak vastleggen").click()
    status = board.locator("#action-list li.action-item select")
    expect(status).to_have_value("open")

    # the volunteer raises a hand; the phone offers a reminder by mail on Mijn afspraken
    phone_action(vera, "Huiskamer in de flat").get_by_role("button", name="Ik doe mee").click()
    hint = vera.locator('[data-slot="remind"]')
    expect(hint).to_be_visible()
    hint.get_by_role("link", name="Laat je adres achter op Mijn afspraken").click()
    expect(vera.get_by_role("heading", name="Herinneringen per e-mail")).to_be_visible()
    vera.get_by_label("Je e-mailadres").fill("vera@buurtwerk.nl")
    vera.get_by_role("button", name="Stuur mij herinneringen").click()
    expect(vera.get_by_text("Je adres is bewaard.")).to_be_visible()
    mine_url = vera.url.split("?")[0]

    # the server's pass and sender: the address's confirmation only (an unconfirmed address gets no reminder: it
    # carries her page); confirmed in the browser that typed it, her personal link and the reminder follow
    assert remind_and_send(live_settings, live_server, smtp) == 1
    (confirmation,) = smtp.inbox.wait_for(1)
    confirm = re.search(r"/e-mail-bevestigen/\S+", confirmation.get_body(preferencelist=("plain",)).get_content())
    assert confirm is not None
    # written on Mijn afspraken, where this server has no public address: its links name localhost:8000
    vera.goto(live_server + confirm.group(0))
    vera.get_by_role("button", name="Ja, ik gaf dit adres op").click()
    expect(vera.get_by_role("heading", name="Je adres is bevestigd")).to_be_visible()
    expect(vera.get_by_role("link", name="Naar Mijn afspraken")).to_be_visible()
    assert remind_and_send(live_settings, live_server, smtp) == 2
    received = smtp.inbox.wait_for(3)
    (reminder,) = [m for m in received if str(m["Subject"]).startswith("Herinnering:")]
    assert str(reminder["To"]) == "vera@buurtwerk.nl"
    html = reminder.get_body(preferencelist=("html",)).get_content()
    klaar = re.search(r'href="([^"]+/status/[^"]+\?status=klaar)"', html)
    assert klaar is not None, html

    # the button opens a confirmation page; only its one button reports
    vera.goto(klaar.group(1).replace("&amp;", "&"))
    expect(vera.get_by_role("heading", name="Huiskamer in de flat")).to_be_visible()
    expect(vera.get_by_role("radio", name="Klaar")).to_be_checked()
    expect(status).to_have_value("open")
    for size, screen in SCREENS.items():
        page = new_context(**screen).new_page()
        page.goto(klaar.group(1))
        page.screenshot(path=screenshots / f"status-confirm-{size}.png", full_page=True)
        page.goto(mine_url)
        page.screenshot(path=screenshots / f"mijn-afspraken-{size}.png", full_page=True)
    vera.get_by_label("Wat is er gebeurd?").fill("Open sinds maandag")
    vera.get_by_role("button", name="Bevestig en meld").click()
    expect(vera.get_by_text("Dank je. De afspraak staat nu op")).to_be_visible()

    # the board follows live, the API and the history say it
    expect(status).to_have_value("klaar")
    workshop_id = board.url.rsplit("/", 1)[1]
    (action,) = board.request.get(f"/api/workshops/{workshop_id}/actions").json()
    assert action["status"] == "klaar"
    db = Database(live_settings.resolved_database_url())
    changes = db.read_sync(
        lambda tx: [
            (c.kind, c.before, c.after, c.note, c.via)
            for c in tx.execute(select(ActionChange).where(col(ActionChange.action_id) == action["id"])).scalars()
        ]
    )
    db.close()
    assert changes[-1] == ("status", "open", "klaar", "Open sinds maandag", "mail")

    # the link is spent; Mijn afspraken shows the new status
    vera.goto(klaar.group(1))
    expect(vera.get_by_text("Met deze link is al gemeld.")).to_be_visible()
    vera.goto(mine_url)
    expect(vera.locator(f"#actie-{action['id']} .status-chip")).to_have_text("Klaar")
