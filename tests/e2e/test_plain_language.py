"""Plain language in real browsers: the phone's tip while typing, and the bullshitbingo card on the projector."""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_live_session import OBSTACLES_PROMPT, join, mine, note, open_projector, start_session

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

CASES = json.loads((Path(__file__).parents[1] / "plain" / "jargon_cases.json").read_text(encoding="utf-8"))
JARGON = "We moeten dit integraal oppakken."


def test_the_phone_suggests_plainer_words_and_still_sends(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    projector = open_projector(new_context, session)
    phone = join(new_context, session.code, "Ali", "Woonstichting")
    session.board.locator("body").press("ArrowRight")
    expect(phone.locator("#step h1")).to_have_text(OBSTACLES_PROMPT)

    textarea = phone.locator("#step textarea")
    hint = phone.locator("#step [data-slot='jargon']")
    expect(hint).to_have_attribute("aria-live", "polite")
    textarea.press_sequentially("We moeten dit beter ")
    expect(hint.locator(".jargon-hint")).to_have_count(0)
    textarea.press_sequentially("Integraal oppakken.")
    expect(hint.locator(".jargon-hint")).to_contain_text("Kan het gewoner?")
    tip = "Voor ‘integraal’ kun je ook zeggen: in samenhang, alles tegelijk."
    expect(hint.locator(".jargon-tip")).to_have_text(tip)
    expect(hint.locator(".jargon-tip strong")).to_have_text("integraal")

    # the tip never stands in the way: the answer goes out as typed, and the tip leaves with it
    phone.locator("#step").get_by_role("button", name="Versturen").click()
    text = "We moeten dit beter Integraal oppakken."
    expect(mine(phone, text)).to_have_class(re.compile(r"\breceived\b"))
    expect(note(projector, text)).to_have_count(1)
    expect(hint.locator(".jargon-hint")).to_have_count(0)

    # the browser's matcher passes the same cases as the server's
    results = phone.evaluate(
        """async (cases) => {
            const { findJargon } = await import("/static/js/jargon.js");
            return cases.map((c) => Object.fromEntries(
                findJargon(c.text, Object.fromEntries(c.words.map((w) => [w, ""]))).map((f) => [f.word, f.count])));
        }""",
        CASES,
    )
    for case, found in zip(CASES, results, strict=True):
        assert list(found.items()) == list(case["found"].items()), case["why"]


def test_bingo_on_the_board_puts_the_card_on_the_projector(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    board = session.board
    projector = open_projector(new_context, session)
    phone = join(new_context, session.code, "Bea", "Wijkteam")
    board.locator("body").press("ArrowRight")
    expect(phone.locator("#step h1")).to_have_text(OBSTACLES_PROMPT)
    for text in [JARGON, "Een integrale blik en meer synergie.", "Er is geen plek voor jongeren."]:
        phone.locator("#step textarea").fill(text)
        phone.locator("#step").get_by_role("button", name="Versturen").click()
        expect(note(projector, text)).to_have_count(1)

    card = projector.locator("#bingo")
    expect(card).to_be_hidden()
    board.get_by_label("Bullshitbingo op de projector").check()
    expect(card).to_be_visible()
    expect(card.locator(".bingo-cell")).to_have_count(16)
    # the used words come first, the most used on top, each with its tally
    expect(card.locator(".bingo-cell.used")).to_have_count(2)
    first, second = card.locator(".bingo-cell").nth(0), card.locator(".bingo-cell").nth(1)
    expect(first.locator(".bingo-word")).to_have_text("integraal")
    expect(first.locator(".bingo-count")).to_have_text("2×")
    expect(second.locator(".bingo-word")).to_have_text("synergie")
    expect(card.locator("[data-slot='score']")).to_have_text("2 van de 35 woorden gevallen")
    expect(card.locator("[data-slot='top']")).to_contain_text("‘integraal’ (2×)")
    expect(projector.locator("#foot")).to_be_visible()

    # a new answer stamps its word live; a reconnecting projector shows the card from its snapshot
    phone.locator("#step textarea").fill("Wie gaat dat borgen?")
    phone.locator("#step").get_by_role("button", name="Versturen").click()
    expect(card.locator(".bingo-cell.used")).to_have_count(3)
    projector.reload()
    expect(projector.locator("#bingo .bingo-cell.used")).to_have_count(3)

    board.get_by_label("Bullshitbingo op de projector").uncheck()
    expect(projector.locator("#bingo")).to_be_hidden()
    assert not session.dialogs
