"""Adjusting a workshop's steps in the browser before it starts, and keeping them as an own format."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.test_live_session import join, start_session

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect


def card(page: Any, step_id: str) -> Any:
    """A step's card in the editor."""
    return page.locator(f'.step-card[data-step-id="{step_id}"]')


def test_edit_steps_then_start_a_new_workshop_from_them(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Buurtavond Zuid")
    # a phone waits in the lobby: the change reaches it live, and any script error there fails the test
    join(new_context, session.code, "Ali", "Woonstichting")
    editor = session.board
    # the board stays open in another tab while the steps change
    board = editor.context.new_page()
    board.goto(editor.url)
    expect(board.locator("#status")).to_have_attribute("data-state", "online")
    editor.get_by_role("link", name="Stappen aanpassen").click()
    expect(editor).to_have_url(re.compile(r"/f/workshops/\d+/steps$"))
    ids = editor.locator("#step-cards > .step-card")
    expect(ids).to_have_count(7)

    # the contribution round moves above the vote, with the keyboard: focus stays on the arrow
    up = card(editor, "contributions").get_by_role("button", name="Omhoog")
    up.focus()
    editor.keyboard.press("Enter")
    expect(card(editor, "contributions").get_by_role("button", name="Omhoog")).to_be_focused()
    order = [ids.nth(i).get_attribute("data-step-id") for i in range(7)]
    assert order == ["lobby", "obstacles", "cluster", "contributions", "vote", "actions", "close"]
    expect(editor.locator("#editor-status")).to_contain_text("staat nu op plek 4")

    # a choice step with three options goes in before the close step
    editor.get_by_label("Stap toevoegen").select_option("choice")
    editor.get_by_role("button", name="+ Toevoegen").click()
    choice = card(editor, "choice")
    expect(choice).to_be_visible()
    expect(choice.get_by_label("Titel (Nederlands)")).to_be_focused()
    choice.get_by_label("Titel (Nederlands)").fill("Waar beginnen we?")
    choice.get_by_label("Vraag op de telefoon (Nederlands)").fill("Welk thema pakken we eerst op?")
    choice.get_by_label("Optie 1 (Nederlands)").fill("Wonen")
    choice.get_by_label("Optie 2 (Nederlands)").fill("Veiligheid")
    choice.get_by_role("button", name="Optie toevoegen").click()
    expect(choice.get_by_label("Optie 3 (Nederlands)")).to_be_focused()
    choice.get_by_label("Optie 3 (Nederlands)").fill("Jongeren")
    expect(ids.nth(6)).to_have_attribute("data-step-id", "choice")

    # a mistake is shown at its field, and nothing is stored until it is fixed
    choice.get_by_label("Optie 3 (Nederlands)").fill("")
    editor.get_by_role("button", name="Stappen bewaren", exact=True).click()
    expect(choice.locator('.option-row[data-option="2"] .field-error')).to_have_text("Vul de Nederlandse tekst in")
    expect(editor.locator("#editor-summary")).to_contain_text("Stap 7 (Waar beginnen we?), optie 3")
    choice.get_by_label("Optie 3 (Nederlands)").fill("Jongeren")
    editor.get_by_role("button", name="Stappen bewaren", exact=True).click()
    expect(editor.locator("#editor-notice")).to_contain_text("Bewaard")
    expect(editor.locator(".field-error")).to_have_count(0)

    # the open board shows the new steps at once, and so does a freshly loaded one
    expect(board.locator(".step-button")).to_have_count(8)
    expect(board.locator(".step-button").nth(6)).to_have_text("7. Waar beginnen we?")
    editor.locator("#editor-notice").get_by_role("link", name="Naar de regie").click()
    steps = editor.locator(".step-button")
    expect(steps).to_have_count(8)
    expect(steps.nth(3)).to_have_text("4. Bijdragen")
    expect(steps.nth(6)).to_have_text("7. Waar beginnen we?")

    # kept as an own format, it is there for the next workshop
    editor.get_by_role("link", name="Stappen aanpassen").click()
    editor.get_by_label("Naam", exact=True).fill("Buurtavond met keuze")
    editor.get_by_role("textbox", name="Sleutel").fill("buurtavond-keuze")
    editor.get_by_role("button", name="Bewaar als eigen werkvorm").click()
    expect(editor.locator("#editor-notice")).to_contain_text("Bewaard als eigen werkvorm Buurtavond met keuze")
    editor.locator("#editor-notice").get_by_role("link", name="Naar je werkvormen").click()
    expect(editor.locator("#format-eigen-buurtavond-keuze")).to_contain_text("8 stappen")

    editor.get_by_role("link", name="Nieuwe workshop maken").click()
    editor.get_by_label("Titel").fill("Buurtavond Noord")
    editor.get_by_label("De opgave").fill("Wat pakken we samen op?")
    editor.get_by_label("Datum").fill("2026-12-06")
    editor.get_by_label("Werkvorm").select_option(label="Buurtavond met keuze (eigen)")
    editor.get_by_role("button", name="Workshop maken").click()
    expect(editor).to_have_url(re.compile(r"/f/workshops/\d+$"))
    expect(editor.locator("h1")).to_have_text("Buurtavond Noord")
    expect(editor.locator(".step-button").nth(6)).to_have_text("7. Waar beginnen we?")


def test_renaming_an_open_question_renames_it_where_other_steps_name_it(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Buurtavond Noord")
    editor = session.board
    editor.get_by_role("link", name="Stappen aanpassen").click()
    obstacles = card(editor, "obstacles")
    obstacles.locator("summary").click()
    obstacles.get_by_label("Titel (Nederlands)").fill("Wat zit in de weg?")
    # each choice of an earlier question keeps the words the page gave its empty choice
    card(editor, "vote").locator("summary").click()
    vote = card(editor, "vote").get_by_label("Werkt met de antwoorden van")
    expect(vote.locator("option")).to_have_text(["Kies een open vraag", "Wat zit in de weg?", "Bijdragen"])
    expect(vote).to_have_value("obstacles")
    card(editor, "contributions").locator("summary").click()
    links = card(editor, "contributions").get_by_label("Antwoorden horen bij een antwoord van")
    expect(links.locator("option")).to_have_text(["Nee, losse antwoorden", "Wat zit in de weg?"])
    expect(links).to_have_value("obstacles")
