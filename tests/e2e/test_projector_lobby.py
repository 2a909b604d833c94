"""The projector's lobby in a full room: every organisation is shown or counted, none is cut off silently."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app.demo.driver import csrf_of
from tests.e2e.conftest import PROJECTOR
from tests.e2e.test_live_session import start_session

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

ORGANISATIONS = [f"Stichting Buurtwerk en Welzijn Noord, afdeling {n:02d}" for n in range(60)]

CHIPS = """() => {
  const list = document.getElementById("organisations").getBoundingClientRect();
  return [...document.querySelectorAll("#organisations .chip")].map((chip) => {
    const box = chip.getBoundingClientRect();
    const more = chip.classList.contains("chip-more");
    return { text: chip.textContent, more, inside: box.bottom <= list.bottom + 0.5 };
  });
}"""


def test_a_full_lobby_counts_the_organisations_it_has_no_room_for(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context, title="Netwerkdag Noord")
    projector = new_context(**PROJECTOR).new_page()
    projector.goto(session.projector_path)
    with httpx.Client(base_url=live_server) as http:
        for index, organisation in enumerate(ORGANISATIONS):
            http.cookies.clear()
            page = http.get(f"/j/{session.code}")
            joined = http.post(
                f"/j/{session.code}/participant",
                data={"csrf": csrf_of(page.text), "name": f"Deelnemer {index}", "organisation": organisation},
            )
            assert joined.status_code in (200, 303), joined.text
    expect(projector.locator("#room-count")).to_have_text(str(len(ORGANISATIONS)))

    chips = projector.evaluate(CHIPS)
    shown = [chip for chip in chips if not chip["more"]]
    more = [chip for chip in chips if chip["more"]]
    assert len(more) == 1, chips
    assert all(chip["inside"] for chip in chips), chips
    # what is shown and what the "+N meer" chip counts add up to every organisation in the room
    assert shown and more[0]["text"] == f"+{len(ORGANISATIONS) - len(shown)} meer"
    assert {chip["text"] for chip in shown} <= set(ORGANISATIONS)


LONG_WORD = "Samenwerkingsovereenkomstonderhandelingsproblematiek" * 2

FITS = """() => [...document.querySelectorAll("#lobby .eyebrow, #opgave")].map((node) => {
  const column = node.parentElement.getBoundingClientRect();
  return { text: node.textContent.slice(0, 20), fits: node.scrollWidth <= node.clientWidth + 1
    && node.getBoundingClientRect().right <= column.right + 1 };
})"""


def test_a_long_unbroken_word_in_the_title_or_opgave_wraps_on_the_projector(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title=f"Netwerkdag {LONG_WORD}", opgave=f"Samen {LONG_WORD} oplossen")
    projector = new_context(**PROJECTOR).new_page()
    projector.goto(session.projector_path)
    expect(projector.locator("#opgave")).to_contain_text(LONG_WORD)
    fits = projector.evaluate(FITS)
    assert len(fits) == 2 and all(node["fits"] for node in fits), fits
