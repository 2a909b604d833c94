"""A phone picks its organisation by typing a few letters; the office adds organisations on its list page."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import PHONE, PROJECTOR
from tests.e2e.test_live_session import Session, start_session
from tests.e2e.test_phone_fit import SMALL_PHONE, assert_fits

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

CASES = json.loads((Path(__file__).parents[1] / "organisations" / "search_cases.json").read_text(encoding="utf-8"))
LONG = ("Stichting Maatschappelijke Dienstverlening en Jongerenwerkgelegenheidsbevordering" * 2)[:120]
NETWORK = [
    {"name": "Gemeente Heerlen", "short": "", "aliases": "Gem. Heerlen"},
    {"name": "Gemeente Kerkrade", "short": "", "aliases": ""},
    {"name": "GGD Zuid-Limburg", "short": "GGD", "aliases": ""},
    {"name": "Zuyderland", "short": "", "aliases": "Zuyderland Medisch Centrum"},
    {"name": LONG, "short": "", "aliases": ""},
]


def office_adds_the_network(session: Session) -> None:
    """The beheerder fills the list page's form once per organisation (in a tab of their own: the board stays live)."""
    board = session.board.context.new_page()
    for organisation in NETWORK:
        board.goto("/f/organisaties")
        board.get_by_text("Organisatie toevoegen").click()
        board.get_by_role("textbox", name="Naam", exact=True).fill(organisation["name"])
        board.get_by_label("Korte naam").fill(organisation["short"])
        board.get_by_label("Andere namen").fill(organisation["aliases"])
        board.get_by_role("button", name="Toevoegen").click()
        expect(board.locator(".notice")).to_contain_text(f"Opgeslagen: {organisation['name'][:30]}")
    expect(board.locator(".organisation-name strong")).to_have_count(len(NETWORK))


def open_join_page(new_context: Callable[..., Any], session: Session, **options: Any) -> Any:
    """A phone that opened the join link."""
    phone = new_context(**options).new_page()
    phone.goto(f"/j/{session.code}")
    return phone


def test_a_phone_picks_its_organisation_by_typing_a_few_letters(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    office_adds_the_network(session)
    phone = open_join_page(new_context, session, **PHONE)

    # the script made one field of the list and the "anders" field
    expect(phone.locator("select")).to_have_count(0)
    field = phone.get_by_label("Je organisatie")
    phone.get_by_label("Je naam").fill("Ali")
    field.press_sequentially("gem hee")
    options = phone.get_by_role("option")
    expect(options).to_have_text(["Gemeente Heerlen"])
    options.first.tap()
    expect(field).to_have_value("Gemeente Heerlen")
    expect(phone.get_by_role("listbox")).to_be_hidden()
    phone.get_by_role("button", name="Meedoen").click()
    expect(phone.locator(".me")).to_contain_text("Gemeente Heerlen")


def test_short_names_aliases_accents_and_the_keyboard(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    office_adds_the_network(session)
    phone = open_join_page(new_context, session, **PHONE)
    field = phone.get_by_label("Je organisatie")
    options = phone.get_by_role("option")

    field.fill("GGD")
    expect(options).to_have_text(["GGD Zuid-Limburg"])
    # found by its alias, which the suggestion shows beside the name
    field.fill("zuyderländ medi")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Zuyderland")
    expect(options.first.locator(".via")).to_have_text("Zuyderland Medisch Centrum")
    field.fill("gem")
    expect(options).to_have_text(["Gemeente Heerlen", "Gemeente Kerkrade"])
    field.press("ArrowDown")
    field.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    field.press("Enter")
    expect(field).to_have_value("Gemeente Kerkrade")
    expect(phone.get_by_role("listbox")).to_be_hidden()

    # a name that is not on the list goes as typed
    field.fill("Buurtteam Noord")
    expect(options).to_have_count(0)
    phone.get_by_label("Je naam").fill("Bea")
    phone.get_by_role("button", name="Meedoen").click()
    expect(phone.locator(".me")).to_contain_text("Buurtteam Noord")


@pytest.mark.parametrize("press", ["tap", "click"])
def test_meedoen_pressed_while_suggestions_show_joins_at_the_first_press(
    new_context: Callable[..., Any], press: str
) -> None:
    """The list closing as the field lets go must not move the button away from under the finger."""
    session = start_session(new_context)
    office_adds_the_network(session)
    phone = open_join_page(new_context, session, **PHONE)
    phone.get_by_label("Je naam").fill("Gijs")
    phone.get_by_label("Je organisatie").fill("GGD")
    expect(phone.get_by_role("option")).to_have_text(["GGD Zuid-Limburg"])
    getattr(phone.get_by_role("button", name="Meedoen"), press)()
    expect(phone.locator(".me")).to_contain_text("Gijs")


def test_the_browser_matches_as_the_server_does(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    office_adds_the_network(session)
    phone = open_join_page(new_context, session, **PHONE)
    results = phone.evaluate(
        """async (cases) => {
            const { matches } = await import("/static/js/organisation_search.js");
            return cases.map((c) => matches(c.query, c.names));
        }""",
        CASES,
    )
    for case, found in zip(CASES, results, strict=True):
        assert found is case["match"], case["why"]


def test_long_names_fit_a_small_phone(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    office_adds_the_network(session)
    phone = open_join_page(new_context, session, **SMALL_PHONE)
    phone.get_by_label("Je organisatie").fill("stich maat")
    expect(phone.get_by_role("option")).to_have_text([LONG])
    assert_fits(phone, "join-typeahead")


# per column header: how many lines its words take
HEADER_LINES = """(row) => [...row.children].filter((cell) => cell.textContent.trim()).map((cell) => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  return [cell.textContent, new Set([...range.getClientRects()].map((box) => Math.round(box.top))).size];
})"""


def test_the_office_list_keeps_its_headers_whole_and_fits_a_small_phone(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    office_adds_the_network(session)
    page = session.board.context.new_page()
    for language in ("nl", "en"):
        page.set_viewport_size(PROJECTOR["viewport"])
        page.goto(f"/taal/{language}?next=/f/organisaties")
        header = page.locator(".organisation-columns").first
        assert all(lines == 1 for _, lines in page.evaluate(HEADER_LINES, header.element_handle())), language
        # the numbers line up under their headers, at the right
        first = page.locator(".organisation-row:not(.organisation-columns)").first
        for column, cell in ((2, 0), (3, 1), (4, 2)):
            head = header.locator("span").nth(column).bounding_box()
            count = first.locator(".organisation-count").nth(cell).bounding_box()
            assert head and count and abs((head["x"] + head["width"]) - (count["x"] + count["width"])) < 1
        page.set_viewport_size(SMALL_PHONE["viewport"])
        page.reload()
        expect(page.get_by_role("link", name=LONG, exact=True)).to_be_visible()
        assert_fits(page, f"organisation-list-{language}")
