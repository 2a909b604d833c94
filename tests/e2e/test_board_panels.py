"""The board's panels in a real browser: the step editor link, long pile names, contributions that became actions."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.browser import LAPTOP
from tests.e2e.test_live_session import join, next_until, send, start_session
from tests.e2e.test_register import sign_in

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

# a pile name as long as the field takes (200), in words as a facilitator types them
LONG_PILE = ("Wachtlijsten bij de jeugdzorg en de schuldhulp die niemand overziet " * 4)[:200].strip()
PLEDGE = "Wij bellen elk gezin binnen een week terug."


def test_the_board_shows_long_pile_names_whole_and_contributions_that_are_actions_already(
    new_context: Callable[..., Any],
) -> None:
    session = start_session(new_context, title="Regie met lange namen")
    board = session.board
    edit_link = board.locator("#edit-steps-link")
    expect(edit_link).to_be_visible()
    phone = join(new_context, session.code, "Ali", "Schuldhulp")

    # once started, the steps are fixed: the link to change them goes, rather than lead to a refusal
    next_until(board, "Obstakels")
    expect(edit_link).to_be_hidden()
    for text in ("Wachtlijsten bij de jeugdzorg", "Niemand overziet de schulden"):
        send(phone, text)
        expect(board.locator("#answers .board-answer", has_text=text)).to_have_count(1)

    next_until(board, "Ordenen")
    for text in ("Wachtlijsten bij de jeugdzorg", "Niemand overziet de schulden"):
        board.get_by_role("checkbox", name=f"Selecteer: {text}", exact=True).check()
    board.locator("#merge").click()
    name = board.locator("#cluster-list .cluster-name")
    expect(name).to_have_count(1)
    name.fill(LONG_PILE)
    name.press("Enter")
    expect(phone.locator("#step h1")).to_have_text("Kijk even mee op het scherm")
    board.locator("#cluster-panel h2").click()  # the field lets go and the board redraws from the server
    expect(name).to_have_value(LONG_PILE)
    # the whole name is in view: nothing scrolled away inside the field, no line hidden below it
    assert name.evaluate("(n) => n.scrollHeight <= n.clientHeight + 1 && n.scrollWidth <= n.clientWidth"), (
        name.bounding_box()
    )

    next_until(board, "Bijdragen")
    send(phone, PLEDGE, obstacle="Wachtlijsten bij de jeugdzorg")
    pledge = board.locator("#pledge-list li.board-answer", has_text=PLEDGE)
    expect(pledge).to_have_count(1)

    next_until(board, "Afspraken")
    pledge.get_by_role("button", name="Maak er een afspraak van").click()
    board.locator("#action-form").get_by_role("button", name="Afspraak vastleggen").click()
    action = board.locator("#action-list li.action-item", has_text=PLEDGE)
    expect(action).to_have_count(1)
    # made into an action: the board says so and leads there, instead of offering a second one
    expect(pledge.get_by_role("button", name="Maak er een afspraak van")).to_have_count(0)
    pledge.get_by_role("button", name="Al een afspraak: bekijken").click()
    expect(action).to_be_focused()
    assert session.dialogs == []


def test_an_edit_filled_before_a_colleagues_change_on_another_board_is_not_saved_over_it(
    new_context: Callable[..., Any],
) -> None:
    session = start_session(new_context, title="Twee borden")
    board = session.board
    next_until(board, "Afspraken")
    form = board.locator("#action-form")
    form.get_by_label("Wat gaan we doen?").fill("Terugbelbelofte")
    form.get_by_label("Eigenaar (organisatie)").fill("Schuldhulp")
    form.get_by_role("button", name="Afspraak vastleggen").click()
    action = board.locator("#action-list li.action-item")
    expect(action).to_have_count(1)
    action.get_by_role("button", name="Bewerken: Terugbelbelofte").click()
    form.get_by_label("Wat gaan we doen?").fill("Bellen binnen een week")

    # meanwhile the co-facilitator, on the same board in another browser, marks the action done
    other = sign_in(new_context, "fenna@buurtalliantie.nl", **LAPTOP)
    other.goto(board.url)
    other.locator("#action-list li.action-item").get_by_label("Status").select_option("klaar")
    expect(action.get_by_label("Status")).to_have_value("klaar")

    form.get_by_role("button", name="Afspraak vastleggen").click()
    expect(form.locator("#action-error")).to_contain_text("Intussen heeft iemand anders deze actie gewijzigd.")
    expect(action.locator(".text")).to_have_text("Terugbelbelofte")
    expect(other.locator("#action-list li.action-item").get_by_label("Status")).to_have_value("klaar")
    # pressed again, with the change in view, it saves what the form says
    form.get_by_label("Status").select_option("klaar")
    form.get_by_role("button", name="Afspraak vastleggen").click()
    expect(action.locator(".text")).to_have_text("Bellen binnen een week")
    expect(other.locator("#action-list li.action-item .text")).to_have_text("Bellen binnen een week")
    expect(action.get_by_label("Status")).to_have_value("klaar")
    assert session.dialogs == []


def test_a_small_pile_beside_a_big_one_keeps_its_fields_together(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Stapels naast elkaar")
    board = session.board
    phone = join(new_context, session.code, "Ali", "Schuldhulp")
    next_until(board, "Obstakels")
    big = ["Geen plek voor jongeren", "Buurthuis te vroeg dicht", "Nergens om te hangen", "Te weinig jongerenwerk"]
    for text in [*big, "Wachtlijst jeugdzorg", "Schulden niet gezien"]:
        send(phone, text)
        expect(board.locator("#answers .board-answer", has_text=text)).to_have_count(1)

    next_until(board, "Ordenen")
    board.set_viewport_size({"width": 1920, "height": 1080})
    for group in (big, ["Wachtlijst jeugdzorg", "Schulden niet gezien"]):
        for text in group:
            board.get_by_role("checkbox", name=f"Selecteer: {text}", exact=True).check()
        board.locator("#merge").click()
    cards = board.locator("#cluster-list .cluster-card")
    expect(cards).to_have_count(2)

    def name_to_tag(card: Any) -> float:
        name = card.locator(".cluster-name").bounding_box()
        return float(card.get_by_text("Spanningscluster").bounding_box()["y"] - (name["y"] + name["height"]))

    # side by side the small card grows to the big one's height: that height went between its fields
    gaps = sorted(name_to_tag(cards.nth(index)) for index in range(2))
    assert gaps[1] - gaps[0] < 2, gaps


def test_the_follow_up_is_set_at_the_wrap_up_not_while_actions_are_agreed(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    board = session.board
    next_until(board, "Afspraken")
    expect(board.locator("#action-form")).to_be_visible()
    expect(board.locator("#followup-panel")).to_be_hidden()
    next_until(board, "Afronding")
    expect(board.locator("#followup-panel")).to_be_visible()
    expect(board.locator("#followup-form").get_by_role("button", name="Vastleggen")).to_be_enabled()
