"""A busy room and a busy office on a phone's screen: nothing sideways, fingers find every control, text reads."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.test_live_session import join_on, next_until, start_session
from tests.e2e.test_phone_actions import agree_many
from tests.e2e.test_workspace_invitation import SMALL_PHONE, no_sideways_scroll

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

# a Dutch compound of 78 letters: no phone and no office page may widen for it
WORD = "kindercarnavalsoptochtvoorbereidingswerkzaamhedenplanningscommissievergadering"
LONG_ORGANISATION = "Woningcorporatie Samenwerkende Huurdersbelangenverenigingen Noord-Holland"

# what a finger needs: WCAG 2.5.5's 44 by 44 CSS pixels
SMALL_TARGETS = """(selector) => [...document.querySelectorAll(selector)]
  .filter((node) => node.getClientRects().length)
  .map((node) => ({ node, box: node.getBoundingClientRect() }))
  .filter(({ box }) => box.height < 44 - 0.5 || box.width < 44 - 0.5)
  .map(({ node, box }) => `${node.tagName.toLowerCase()} "${node.textContent.trim().slice(0, 30)}"`
    + ` ${Math.round(box.width)}x${Math.round(box.height)}`)"""
CONTROLS = ", ".join(
    [
        ".lang-switch a",
        ".lang-switch .lang-current",
        "a.brand",
        "summary",
        ".small-button",
        ".quick-link",
        "label.check",
        ".chip-option",
    ]
)


def test_other_organisations_actions_with_long_names_fit_a_small_phone(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    phone = join_on(new_context(**SMALL_PHONE).new_page(), session.code, "Sara", "GGD")
    next_until(session.board, "Afspraken")
    agree_many(
        session.board,
        [
            {"title": f"Een {WORD} voor de buurt", "owner_organisation": WORD, "partners": [LONG_ORGANISATION]},
            {"title": "Vast spreekuur op dinsdag", "owner_organisation": LONG_ORGANISATION, "partners": [WORD]},
        ],
    )
    expect(phone.locator("#step li.hand-row")).to_have_count(2)
    no_sideways_scroll(phone)


def test_the_workshop_list_fits_a_long_title_on_a_small_phone(new_context: Callable[..., Any]) -> None:
    board = start_session(new_context, title=f"Doorbraak {WORD} Heerlen-Noord").board
    board.set_viewport_size(SMALL_PHONE["viewport"])
    board.goto("/f/workshops")
    expect(board.locator(".workshop-link")).to_have_count(1)
    no_sideways_scroll(board)


def test_every_control_of_the_header_and_the_office_takes_a_finger_on_a_phone(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    board = session.board
    board.set_viewport_size(SMALL_PHONE["viewport"])
    for path in ("/f/werkruimte", "/f/organisaties", "/f/register", "/f/agenda"):
        board.goto(path)
        assert board.evaluate(SMALL_TARGETS, CONTROLS) == [], path
    phone = new_context(**SMALL_PHONE).new_page()
    phone.goto(f"/j/{session.code}")
    assert phone.evaluate(SMALL_TARGETS, CONTROLS) == []


# a chip's contrast, text on its own background (WCAG 1.4.3)
CONTRAST = """(chips) => chips.map((chip) => {
  const channel = (colour) => colour.match(/[\\d.]+/g).slice(0, 3).map((value) => {
    const v = value / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  const light = (colour) => { const [r, g, b] = channel(colour); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const style = getComputedStyle(chip);
  const [a, b] = [light(style.color), light(style.backgroundColor)];
  return [chip.textContent.trim(), (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
})"""


def test_status_chips_and_the_outbox_counts_read_at_four_and_a_half_to_one(new_context: Callable[..., Any]) -> None:
    board = start_session(new_context).board
    next_until(board, "Afspraken")
    statuses = ("open", "bezig", "klaar", "vastgelopen")
    agree_many(board, [{"title": f"Actie {s}", "owner_organisation": "GGD", "status": s} for s in statuses])
    for path, chips in (("/f/register", ".status-chip, .status-count"), ("/f/berichten", ".outbox-counts .badge")):
        board.goto(path)
        ratios = board.locator(chips).evaluate_all(CONTRAST)
        assert ratios and all(ratio >= 4.5 for _, ratio in ratios), (path, ratios)
