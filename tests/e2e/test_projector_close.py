"""The projector's closing screen: the thanks and the follow-up meeting stay on the screen whatever was typed."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.test_live_session import next_until, open_projector, start_session

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

LONG_WORD = "Samenwerkingsovereenkomstonderhandelingsproblematiek" * 3

SET_FOLLOWUP = """async ([workshop, place]) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const response = await fetch(`/f/workshops/${workshop}/followup`, { method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify({ at: "2026-12-20T10:00", place }) });
  if (!response.ok) throw new Error(await response.text());
}"""

FITS = """() => [...document.querySelectorAll("#closed h1, #closed p")].every((node) =>
  node.getBoundingClientRect().right <= document.documentElement.clientWidth + 1)
  && document.documentElement.scrollWidth <= document.documentElement.clientWidth"""


def test_a_follow_up_place_with_a_long_unbroken_word_wraps_on_the_closing_screen(
    new_context: Callable[..., Any],
) -> None:
    session = start_session(new_context, title="Afronding")
    board = session.board
    board.evaluate(SET_FOLLOWUP, [board.url.rsplit("/", 1)[1], f"Buurthuis {LONG_WORD}"])
    projector = open_projector(new_context, session)
    next_until(board, "Afronding")
    expect(projector.locator("#closed-followup")).to_contain_text(LONG_WORD)
    assert projector.evaluate(FITS), "the closing screen runs off the projector"
