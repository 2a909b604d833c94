"""A phone that loses its connection mid-step while the room moves on: nothing typed is lost, nothing counted twice,
and what could no longer count is said in words."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.test_follow_up import agree
from tests.e2e.test_live_session import join, mine, next_until, send, start_session
from tests.e2e.test_phone_actions import kept_keys

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect


def hand_row(phone: Any, title: str) -> Any:
    """An action's row on the phone."""
    return phone.locator("#step li.hand-row").filter(
        has=phone.locator(".action-title", has_text=re.compile(f"^{re.escape(title)}$"))
    )


def offline(phone: Any) -> None:
    """The phone's network goes; the page says so."""
    phone.context.set_offline(True)
    expect(phone.locator("#status")).to_have_attribute("data-state", "offline")


def online(phone: Any) -> None:
    """The network comes back; the page reconnects by itself."""
    phone.context.set_offline(False)
    expect(phone.locator("#status")).to_have_attribute("data-state", "online")


def test_a_phone_offline_while_the_room_moves_on(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    board = session.board
    ali = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    next_until(board, "Obstakels")

    # one answer sent without a connection, a second typed but not sent; the room moves on meanwhile
    offline(ali)
    expect(ali.locator("#status")).to_contain_text("Offline")
    send(ali, "Verstuurd zonder verbinding.")
    expect(mine(ali, "Verstuurd zonder verbinding.")).to_have_class(re.compile(r"\bpending\b"))
    ali.locator("#step textarea").fill("Half getypt, nog niet verstuurd")
    next_until(board, "Ordenen")
    online(ali)
    expect(ali.locator("#step h1")).to_have_text("Kijk even mee op het scherm")
    # the sent answer is told it came too late, in words, and kept to read
    late = mine(ali, "Verstuurd zonder verbinding.")
    expect(late).to_have_class(re.compile(r"\bfailed\b"))
    expect(late).to_contain_text("Deze vraag is gesloten")
    # the typed one is not lost: kept under "Jouw antwoorden", and the phone says where it went
    kept = mine(ali, "Half getypt, nog niet verstuurd")
    expect(kept).to_contain_text("niet verstuurd: de vraag was al gesloten")
    expect(ali.locator(".phone-notice")).to_contain_text("Wat je typte staat bewaard onder Jouw antwoorden")
    expect(board.locator("#answers .board-answer")).to_have_count(0)
    # the facilitator steps back: the typed text is in the box again
    board.get_by_role("button", name="Vorige").click()
    # the board shows the step it went back to before the next presses count from it
    expect(board.locator(".step-button.current")).to_contain_text("Obstakels")
    expect(ali.locator("#step textarea")).to_have_value("Half getypt, nog niet verstuurd")
    next_until(board, "Afspraken")
    kept.get_by_role("button", name="Weghalen").click()
    expect(kept).to_have_count(0)

    # a hand raised without a connection waits on the phone, and counts once when the phone is back
    agree(board, "Huiskamer in de flat", "Welzijn Noord")
    agree(board, "Wijkagent op school", "Politie")
    expect(hand_row(ali, "Wijkagent op school")).to_be_visible()
    offline(ali)
    hand_row(ali, "Huiskamer in de flat").get_by_role("button", name="Ik doe mee").click()
    expect(hand_row(ali, "Huiskamer in de flat").locator("button.hand")).to_contain_text("wacht op verbinding")
    online(ali)
    expect(hand_row(ali, "Huiskamer in de flat").get_by_role("button", name="Je doet mee ✓")).to_be_visible()
    board_item = board.locator("#action-list li.action-item", has_text="Huiskamer in de flat")
    expect(board_item).to_contain_text("Doen mee: Ali · Woonstichting Thuis")

    # a hand raised offline while the facilitator closes the session: refused, and the phone says why
    offline(ali)
    hand_row(ali, "Wijkagent op school").get_by_role("button", name="Ik doe mee").click()
    next_until(board, "Afronding")
    online(ali)
    expect(ali.locator("#step h1")).to_have_text("Dank je wel!")
    notice = ali.locator(".phone-notice")
    expect(notice).to_contain_text("Je hand bij „Wijkagent op school” is niet doorgegeven.")
    expect(notice).to_contain_text("De workshop is afgesloten")
    expect(board.locator("#action-list li.action-item", has_text="Wijkagent op school")).to_contain_text(
        "Nog niemand aangemeld"
    )
    assert kept_keys(ali, "hands", session.code) == []
    notice.get_by_role("button", name="Begrepen").click()
    expect(notice).to_be_hidden()
    assert session.dialogs == []


def test_a_grade_tapped_offline_for_a_question_that_closed_is_said_not_to_count(
    new_context: Callable[..., Any],
) -> None:
    session = start_session(new_context, title="Netwerk Noord", format_key="netwerkmozaiek")
    board = session.board
    ali = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    board.get_by_role("button", name="Volgende").click()
    expect(ali.locator("#step h1")).to_have_text("Hoe helder is de opgave waar dit netwerk samen voor staat?")
    # a grade that reached the server before the drop is not said to be lost
    ali.get_by_role("button", name="Cijfer 6").click()
    expect(ali.locator('#step [data-slot="sent"]')).to_contain_text("Je gaf een 6")
    offline(ali)
    ali.get_by_role("button", name="Cijfer 8").click()
    board.get_by_role("button", name="Volgende").click()
    online(ali)
    expect(ali.locator("#step h1")).to_have_text("Wat maakt de opgave voor jou helder of juist vaag?")
    expect(ali.locator(".phone-notice")).to_contain_text("Je antwoord bij „Opgave” is niet meegeteld.")
    expect(ali.locator(".phone-notice")).to_contain_text("Deze vraag is gesloten")
    assert kept_keys(ali, "responses", session.code) == []
