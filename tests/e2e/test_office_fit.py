"""Pages of the programme office with long unbroken words in what people typed still fit the screen."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.demo.driver import csrf_of
from tests.conftest import PASSWORD
from tests.e2e.conftest import PROJECTOR
from tests.e2e.test_live_session import next_until, start_session
from tests.e2e.test_register import sign_in
from tests.e2e.test_workspace_invitation import SMALL_PHONE, no_sideways_scroll

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

WORD = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherungsanstalt"


def a_workshop_of_long_words(base_url: str) -> int:
    """The first account, a workspace named with a long word, and a workshop whose opgave and action hold more."""
    with httpx.Client(base_url=base_url) as office:
        page = office.get("/setup")
        office.post(
            "/setup", data={"csrf": csrf_of(page.text), "name": "Fenna", "email": "f@x.nl", "password": PASSWORD}
        )
        token = csrf_of(office.get("/f/werkruimte").text)
        office.post("/f/werkruimte/naam", data={"csrf": token, "name": f"Alliantie {WORD}"[:120]})
        made = office.post(
            "/f/workshops",
            data={"csrf": token, "title": f"Buurt {WORD}", "opgave": f"Samen {WORD * 2}", "held_on": "2026-12-01"},
        )
        workshop_id = int(made.headers["location"].rsplit("/", 1)[1])
        action = {"title": f"Actie {WORD}", "owner_organisation": WORD[:100], "description": WORD * 3}
        saved = office.post(f"/f/workshops/{workshop_id}/actions", json=action, headers={"x-csrf-token": token})
        assert saved.status_code == 200, saved.text
        return workshop_id


@pytest.mark.parametrize("screen", [SMALL_PHONE, PROJECTOR], ids=["360x800", "1920x1080"])
def test_the_besluitenlijst_and_the_merge_page_fit_long_words(
    new_context: Callable[..., Any], live_server: str, screen: dict[str, Any]
) -> None:
    workshop_id = a_workshop_of_long_words(live_server)
    page = sign_in(new_context, "f@x.nl", **screen)
    for path in (f"/f/workshops/{workshop_id}/besluitenlijst", "/f/werkruimte/samenvoegen"):
        page.goto(path)
        no_sideways_scroll(page)


def test_the_boards_action_form_stays_in_its_card_on_a_small_screen(new_context: Callable[..., Any]) -> None:
    board = start_session(new_context).board
    next_until(board, "Afspraken")
    board.set_viewport_size({"width": 360, "height": 800})
    panel = board.locator("#actions-panel")
    expect(panel).to_be_visible()
    inside = panel.evaluate(
        """panel => {
          const edge = panel.getBoundingClientRect().right;
          return [...panel.querySelectorAll("input:not([type=hidden]), select, textarea, button")]
            .filter((field) => field.getBoundingClientRect().right > edge + 0.5)
            .map((field) => field.name || field.textContent.trim());
        }"""
    )
    assert inside == []
    no_sideways_scroll(board)


def test_the_formats_page_fits_an_own_format_named_with_a_long_word(
    new_context: Callable[..., Any], live_server: str
) -> None:
    a_workshop_of_long_words(live_server)
    page = sign_in(new_context, "f@x.nl", **SMALL_PHONE)
    page.goto("/f/formats")
    shipped = (Path("session_templates") / "bewonersgesprek.yaml").read_text(encoding="utf-8")
    named = shipped.replace("key: bewonersgesprek", "key: lang").replace(
        "title: {nl: Trots, en: Proud}", f"title: {{nl: {WORD}, en: Proud}}"
    )
    named = named.replace("nl: Bewonersgesprek", f"nl: {WORD}")
    page.set_input_files(
        'input[name="file"]', {"name": "lang.yaml", "mimeType": "application/yaml", "buffer": named.encode()}
    )
    page.get_by_role("button", name="Uploaden").click()
    expect(page.locator("#format-eigen-lang h3")).to_have_text(WORD)
    no_sideways_scroll(page)
