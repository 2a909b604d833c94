"""The office's menu: every link in one row on a laptop; on a phone folded behind "Menu", which works without script."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.browser import LAPTOP
from tests.e2e.test_live_session import start_session
from tests.e2e.test_phone_fit import SMALL_PHONE, assert_fits

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

LINKS = {
    "nl": [
        "Workshops",
        "Register",
        "Agenda",
        "Organisaties",
        "Werkvormen",
        "Jargonlijst",
        "Woordfilter",
        "Trefwoorden",
        "Werkruimte",
        "Account",
    ],
    "en": [
        "Workshops",
        "Register",
        "Calendars",
        "Organisations",
        "Formats",
        "Jargon list",
        "Word filter",
        "Keywords",
        "Workspace",
        "Account",
    ],
}
LOG_OUT = {"nl": "Uitloggen", "en": "Sign out"}


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
def test_a_phone_opens_the_menu_by_keyboard_and_reaches_every_link(
    new_context: Callable[..., Any], script: bool
) -> None:
    session = start_session(new_context)
    signed_in = session.board.context.storage_state()
    page = new_context(storage_state=signed_in, java_script_enabled=script, **SMALL_PHONE).new_page()
    for language in ("nl", "en"):
        page.goto(f"/taal/{language}?next=/f/organisaties")
        nav = page.get_by_role("navigation")
        menu = nav.get_by_text("Menu", exact=True)
        links = nav.locator(".nav-links a")
        # folded: one row of bar, the links out of sight and out of the tab order
        bar = page.locator(".topbar").bounding_box()
        assert bar and bar["height"] < 60, bar
        expect(links.first).to_be_hidden()
        menu.focus()
        page.keyboard.press("Enter")
        expect(links).to_have_text(LINKS[language])
        expect(nav.get_by_role("button", name=LOG_OUT[language])).to_be_visible()
        expect(nav.locator("[aria-current=page]")).to_have_text(LINKS[language][3])
        page.keyboard.press("Tab")
        expect(links.first).to_be_focused()
        assert_fits(page, f"facilitator-menu-{language}")
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Enter")
        expect(links.first).to_be_hidden()


def test_a_laptop_shows_every_link_and_no_menu_button(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    page = session.board.context.new_page()
    page.set_viewport_size(LAPTOP["viewport"])
    page.goto("/f/register")
    nav = page.get_by_role("navigation")
    expect(nav.get_by_text("Menu", exact=True)).to_be_hidden()
    expect(nav.locator(".nav-links a")).to_have_text(LINKS["nl"])
    for link in nav.locator(".nav-links a").all():
        expect(link).to_be_visible()
    expect(nav.locator("[aria-current=page]")).to_have_text("Register")


@pytest.mark.parametrize("width", [360, 390])
def test_the_boards_bar_stays_one_row_on_a_phone_with_its_live_pill_in_sight(
    new_context: Callable[..., Any], width: int
) -> None:
    session = start_session(new_context)
    signed_in = session.board.context.storage_state()
    page = new_context(
        storage_state=signed_in, viewport={"width": width, "height": 800}, is_mobile=True, has_touch=True
    ).new_page()
    for language in ("nl", "en"):
        page.goto(f"/taal/{language}?next=/{session.board.url.split('/', 3)[3]}")
        status = page.locator("#status")
        expect(status).to_have_attribute("data-state", "online")
        bar = page.locator(".topbar").bounding_box()
        assert bar and bar["height"] < 60, (language, bar)
        for part in (".brand", "#status", ".nav-menu > summary", ".topnav > :last-child"):
            box = page.locator(part).bounding_box()
            assert box, part
            # in the bar's one row, whole, and on the screen
            assert bar["y"] <= box["y"] and box["y"] + box["height"] <= bar["y"] + bar["height"], (language, part, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (language, part, box)
        assert status.evaluate("(node) => node.scrollWidth <= node.clientWidth"), "the pill's word is cut"
