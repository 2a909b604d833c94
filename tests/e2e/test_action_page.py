"""An action's own page in a real browser: open it from the besluitenlijst, change its status and due date, watch the
history grow and the board follow."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.test_follow_up import agree
from tests.e2e.test_live_session import next_until, start_session

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

TITLE = "Eén loket voor schulden en zorg in Noord"


def test_a_member_edits_an_action_on_its_page_and_the_history_and_board_follow(
    new_context: Callable[..., Any],
) -> None:
    session = start_session(new_context)
    board = session.board
    next_until(board, "Afspraken")
    agree(board, TITLE, "Woonstichting Thuis")
    workshop_id = int(board.url.rsplit("/", 1)[1])
    (action,) = board.request.get(f"/api/workshops/{workshop_id}/actions").json()

    # from the workshop's besluitenlijst, each action's title leads to its page
    page = board.context.new_page()
    page.goto(f"/f/workshops/{workshop_id}/besluitenlijst")
    page.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(re.compile(rf"/f/acties/{action['id']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    history = page.locator("#geschiedenis li.change")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Afgesproken met status open")
    expect(history.first).to_contain_text("Fenna Facilitator")
    expect(page.locator("#afspraak")).to_contain_text("Jeugdoverlast Noord")

    form = page.locator("#wijzigen")
    form.get_by_label("Status").select_option("bezig")
    form.get_by_label("Deadline").fill("2027-03-15")
    form.get_by_role("button", name="Wijzigingen opslaan").click()

    expect(page).to_have_url(re.compile(rf"/f/acties/{action['id']}\?gedaan=opgeslagen$"))
    expect(page.get_by_role("status")).to_contain_text("Opgeslagen.")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text("Status: open → bezig")
    expect(history.nth(1)).to_contain_text("Deadline: geen → 15 maart 2027")
    for entry in (history.nth(0), history.nth(1)):
        expect(entry).to_contain_text("Fenna Facilitator")
    expect(page.locator("h1 + .record-badges")).to_contain_text("Bezig")
    # the board heard it at once: the action's status field there moved with it
    expect(board.locator("#action-list select")).to_have_value("bezig")

    # an emptied title comes back with its message, and the rest of the form as it was typed
    form.get_by_label("Titel").fill("")
    form.get_by_label("Contactpersoon").fill("Fatima")
    form.get_by_role("button", name="Wijzigingen opslaan").click()
    expect(form.locator("#error-title")).to_have_text("Geef de actie een titel.")
    expect(form.get_by_label("Contactpersoon")).to_have_value("Fatima")
    expect(history).to_have_count(3)
