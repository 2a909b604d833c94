"""The keyboard's focus ring shows on every page, on white cards, the paper and the dark top bar alike; the first Tab
leads past the menu."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.test_live_session import start_session
from tests.e2e.test_steps_editor_keyboard import RING_CONTRAST

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect


def ring_contrasts(page: Any, presses: int) -> list[tuple[str, float]]:
    """Each control Tab reaches from the top of the page, with its ring's contrast against what it sits on."""
    page.locator("body").click(position={"x": 2, "y": 300})
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement === document.body"):  # past the last control
            break
        name = page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)")
        seen.append((name, page.evaluate(f"({RING_CONTRAST})(document.activeElement)")))
    return seen


def test_the_focus_ring_shows_on_the_office_pages_and_the_phone(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context, title="Ring Noord")
    board = session.board
    for path in ("/f/register", "/f/workshops", "/f/organisaties"):
        board.goto(f"{live_server}{path}")
        faint = [(name, contrast) for name, contrast in ring_contrasts(board, 25) if contrast < 3]
        assert faint == [], (path, faint)
    # the first stop is the way past the menu, and it leads into the page
    board.reload()
    board.keyboard.press("Tab")
    skip = board.get_by_role("link", name="Naar de inhoud")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    board.keyboard.press("Enter")
    board.keyboard.press("Tab")
    assert board.evaluate("() => document.querySelector('main').contains(document.activeElement)")

    phone = new_context().new_page()
    phone.goto(f"{live_server}/j/{session.code}")
    faint = [(name, contrast) for name, contrast in ring_contrasts(phone, 8) if contrast < 3]
    assert faint == []
