"""The netwerkmozaiek in real browsers: phones grade the seven building blocks, the projector shows the mosaic."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.test_live_session import join, open_projector, start_session

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

BLOCKS = ["Opgave", "Waarde", "Samen doen", "Verankering", "Deelname", "Binding", "Organisatie"]
# per phone, a grade for each block; Deelname gets the lowest mean (4), so it is the weakest
GRADES = {"Ali": [8, 7, 6, 9, 5, 8, 7], "Bea": [6, 7, 8, 9, 3, 8, 7], "Chris": [7, 7, 7, 9, 4, 8, 7]}


def go_to(board: Any, index: int) -> None:
    """Jump the board straight to a step by its number in the step list."""
    board.locator(f'.step-button[data-index="{index}"]').click()
    expect(board.locator(".step-button.current")).to_have_attribute("data-index", str(index))


def test_phones_grade_the_blocks_and_the_projector_shows_the_mosaic(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Netwerkdag Noord", format_key="netwerkmozaiek")
    board = session.board
    projector = open_projector(new_context, session)
    phones = {
        name: join(new_context, session.code, name, org)
        for name, org in (("Ali", "Woonstichting"), ("Bea", "Wijkteam"), ("Chris", "Gemeente"))
    }

    for block, name in enumerate(BLOCKS):
        go_to(board, 1 + 2 * block)  # lobby, then a grade and an open question per block
        for person, phone in phones.items():
            step = phone.locator("#step")
            expect(step.locator(".eyebrow")).to_have_text(name)
            step.get_by_role("button", name=f"Cijfer {GRADES[person][block]}", exact=True).click()
            expect(step.locator('[data-slot="sent"]')).to_contain_text(f"Je gaf een {GRADES[person][block]}")
        expect(projector.locator('.figure[data-figure="count"] dd')).to_have_text("3")
        if block == 0:
            # the live chart of the first block: 6, 7 and 8 make a mean of 7 and one grade in each column
            expect(projector.locator('.figure[data-figure="mean"] dd')).to_have_text("7")
            expect(projector.locator('.column[data-grade="7"] .column-n')).to_have_text("1")
            expect(board.locator('#results-panel .figure[data-figure="median"] dd')).to_have_text("7")

    # a phone changes its mind about the last block: still three grades, a new mean
    phones["Ali"].locator("#step").get_by_role("button", name="Cijfer 10", exact=True).click()
    expect(projector.locator('.figure[data-figure="mean"] dd')).to_have_text("8")
    expect(projector.locator('.figure[data-figure="count"] dd')).to_have_text("3")

    go_to(board, 1 + 2 * len(BLOCKS))
    tiles = projector.locator(".mosaic .tile")
    expect(tiles).to_have_count(7)
    expect(tiles.locator(".tile-name")).to_have_text(BLOCKS)
    weakest = projector.locator(".mosaic .tile.weakest")
    expect(weakest).to_have_count(1)
    expect(weakest.locator(".tile-name")).to_have_text("Deelname")
    expect(weakest.locator(".tile-mean")).to_have_text("4")
    expect(projector.locator('.tile[data-step="samen_doen_cijfer"] .tile-facts')).to_contain_text("3 cijfers")
    # the phones see the same mosaic once the room has reached it
    expect(phones["Bea"].locator("#step .mosaic .tile.weakest .tile-name")).to_have_text("Deelname")


def test_the_mosaic_says_whether_a_block_is_marked(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Netwerkdag Gelijk", format_key="netwerkmozaiek")
    board = session.board
    projector = open_projector(new_context, session)
    phone = join(new_context, session.code, "Ali", "Woonstichting")
    for block in range(len(BLOCKS)):
        go_to(board, 1 + 2 * block)
        phone.locator("#step").get_by_role("button", name="Cijfer 7", exact=True).click()
        expect(phone.locator('#step [data-slot="sent"]')).to_contain_text("Je gaf een 7")
    # every block a 7: none is marked, and the heading no longer says the weakest one is
    go_to(board, 1 + 2 * len(BLOCKS))
    expect(projector.locator(".mosaic .tile")).to_have_count(7)
    expect(projector.locator(".mosaic .tile.weakest")).to_have_count(0)
    none = (
        "Zo kijkt de zaal naar het netwerk. Geen bouwsteen scoort lager dan de rest, dus er staat er geen gemarkeerd."
    )
    expect(projector.locator("#round-prompt")).to_have_text(none)
    expect(phone.locator('#step [data-slot="help"]')).to_have_text(none)
    expect(board.locator("#results-panel")).to_contain_text("Geen bouwsteen scoort lager dan de rest")

    # Deelname a 4: the one block marked, and the heading says so
    go_to(board, 1 + 2 * BLOCKS.index("Deelname"))
    phone.locator("#step").get_by_role("button", name="Cijfer 4", exact=True).click()
    expect(phone.locator('#step [data-slot="sent"]')).to_contain_text("Je gaf een 4")
    go_to(board, 1 + 2 * len(BLOCKS))
    expect(projector.locator(".mosaic .tile.weakest .tile-name")).to_have_text("Deelname")
    one = "Zo kijkt de zaal naar het netwerk. De zwakste bouwsteen staat gemarkeerd."
    expect(projector.locator("#round-prompt")).to_have_text(one)
    expect(phone.locator('#step [data-slot="help"]')).to_have_text(one)
