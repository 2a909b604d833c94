"""The phone by keyboard or screen reader: a grade, a dot or a report pressed keeps the focus where it was, though the
step is drawn again with every press and with the server's acknowledgement."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.test_follow_up import follow_up_on
from tests.e2e.test_live_session import join, mine, next_until, send, start_session
from tests.e2e.test_mosaic import go_to

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect


def test_a_grade_pressed_by_keyboard_keeps_the_focus(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Netwerkdag Noord", format_key="netwerkmozaiek")
    phone = join(new_context, session.code, "Ali", "Woonstichting")
    go_to(session.board, 1)
    step = phone.locator("#step")
    seven = step.get_by_role("button", name="Cijfer 7", exact=True)
    seven.focus()
    phone.keyboard.press("Enter")
    expect(step.locator('[data-slot="sent"]')).to_contain_text("Je gaf een 7")  # acknowledged: drawn twice since
    expect(seven).to_be_focused()
    expect(seven).to_have_attribute("aria-pressed", "true")
    # and on from there: the next grade, by Tab, not from the top of the page
    phone.keyboard.press("Tab")
    eight = step.get_by_role("button", name="Cijfer 8", exact=True)
    expect(eight).to_be_focused()
    phone.keyboard.press("Enter")
    expect(step.locator('[data-slot="sent"]')).to_contain_text("Je gaf een 8")
    expect(eight).to_be_focused()


def test_dots_placed_by_keyboard_keep_the_focus_on_their_pile(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    board = session.board
    phone = join(new_context, session.code, "Ali", "Woonstichting")
    next_until(board, "Obstakels")
    for text in ("Te weinig plekken voor jongeren", "Elk loket een eigen intake"):
        send(phone, text)
        expect(mine(phone, text)).to_have_class("answer received")
    next_until(board, "Stemmen")
    left = phone.locator("#step .dots-left")
    plus = phone.get_by_role("button", name="Stip erbij: Elk loket een eigen intake", exact=True)
    plus.focus()
    for n in (2, 1):
        phone.keyboard.press("Enter")
        expect(left).to_have_text(f"Nog {n} van 3 stippen te verdelen")
        expect(plus).to_be_focused()
    # the last dot: "+" can no longer be pressed, and the focus goes to the same pile's "−"
    phone.keyboard.press("Enter")
    expect(left).to_have_text("Nog 0 van 3 stippen te verdelen")
    expect(plus).to_be_disabled()
    expect(phone.get_by_role("button", name="Stip eraf: Elk loket een eigen intake", exact=True)).to_be_focused()


def test_a_report_sent_by_keyboard_keeps_the_focus_on_its_action(new_context: Callable[..., Any]) -> None:
    board, code = follow_up_on(new_context, "Zuid", {"Huiskamer in de flat": "Woonstichting Thuis"})
    phone = join(new_context, code, "Ali", "Woonstichting Thuis")
    next_until(board, "Hoe staat het?")
    card = phone.locator("#step .review-card").first
    card.locator(".review-head").click()
    card.get_by_text("Klaar", exact=True).click()
    card.get_by_label("Wat is er gebeurd? (één zin)").fill("Open sinds maandag")
    send_button = card.get_by_role("button", name="Doorgeven")
    send_button.focus()
    # pressed, and looked at in the same task, before the server can answer: still focused and marked busy
    busy = phone.evaluate(
        """() => {
            const button = document.activeElement;
            button.click();
            return [document.activeElement === button, button.getAttribute("aria-disabled")];
        }"""
    )
    assert busy == [True, "true"]
    expect(card).to_contain_text("Doorgegeven ✓")
    # the form closed with the acknowledgement: the focus went to the action's own heading, not the top of the page
    expect(card.locator(".review-head")).to_be_focused()
