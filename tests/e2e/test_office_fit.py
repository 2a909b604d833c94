"""Pages of the programme office with long unbroken words in what people typed still fit the screen."""

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.demo.driver import csrf_of, send_crowd
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, PROJECTOR
from tests.e2e.test_live_session import next_until, start_session
from tests.e2e.test_projector_wall import run
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


FIELDS_OUTSIDE_THEIR_LABEL = """() => [...document.querySelectorAll("label > input, label > select")]
  .filter((field) => field.getBoundingClientRect().width > 0)
  .filter((field) => field.getBoundingClientRect().right > field.parentElement.getBoundingClientRect().right + 0.5)
  .map((field) => field.name)"""


def test_date_fields_keep_to_their_own_column_on_a_phone(new_context: Callable[..., Any], live_server: str) -> None:
    workshop_id = a_workshop_of_long_words(live_server)
    page = sign_in(new_context, "f@x.nl", **PHONE)
    (action,) = page.request.get(f"/api/workshops/{workshop_id}/actions").json()
    # a date field does not shrink below its digits and calendar button: beside another field in a 390 px
    # screen's two narrow columns it ran over its neighbour
    for path in ("/f/workshops", f"/f/acties/{action['id']}"):
        page.goto(path)
        assert page.evaluate(FIELDS_OUTSIDE_THEIR_LABEL) == [], path


def test_the_new_workshops_tick_boxes_are_one_size_whatever_their_text(
    new_context: Callable[..., Any], live_server: str
) -> None:
    a_workshop_of_long_words(live_server)
    page = sign_in(new_context, "f@x.nl", **PHONE)
    boxes = page.locator("form[action='/f/workshops'] label.check input[type=checkbox]")
    expect(boxes).to_have_count(2)
    # a long text beside a tick box squeezed the box smaller than its neighbour's, and out of line with it
    sizes = [boxes.nth(index).bounding_box() for index in range(2)]
    assert sizes[0]["width"] == sizes[1]["width"] and sizes[0]["x"] == sizes[1]["x"], sizes


def test_the_action_pages_history_follows_its_facts_on_a_wide_screen(
    new_context: Callable[..., Any], live_server: str
) -> None:
    workshop_id = a_workshop_of_long_words(live_server)
    page = sign_in(new_context, "f@x.nl", **PROJECTOR)
    (action,) = page.request.get(f"/api/workshops/{workshop_id}/actions").json()
    page.goto(f"/f/acties/{action['id']}")
    facts = page.locator("#afspraak").bounding_box()
    history = page.locator("#geschiedenis").bounding_box()
    # the edit form beside them is taller than both: its height went to both rows, and a gap opened above the history
    assert history["y"] - (facts["y"] + facts["height"]) < 40, (facts, history)


def test_a_heading_after_a_form_stands_apart_from_its_button(new_context: Callable[..., Any], live_server: str) -> None:
    a_workshop_of_long_words(live_server)
    page = sign_in(new_context, "f@x.nl", **PHONE)
    for path, heading in (("/f/account", "Overal uitloggen"), ("/f/privacy", "Al zonder namen")):
        page.goto(path)
        form = page.locator("h2", has_text=heading).locator("xpath=preceding-sibling::form[1]").bounding_box()
        top = page.locator("h2", has_text=heading).bounding_box()["y"]
        assert top - (form["y"] + form["height"]) >= 16, path


def test_the_besluitenlijsts_column_heads_keep_their_words_whole(
    new_context: Callable[..., Any], live_server: str
) -> None:
    workshop_id = a_workshop_of_long_words(live_server)
    page = sign_in(new_context, "f@x.nl", **PROJECTOR)
    page.goto(f"/f/workshops/{workshop_id}")
    code = page.locator(".code-chip").inner_text().replace(" ", "")
    page.locator("#next-step").click()  # to the obstacles
    expect(page.locator(".step-button.current")).to_contain_text("Obstakels")
    with httpx.Client(base_url=live_server) as phone:
        form = phone.get(f"/j/{code}")
        phone.post(f"/j/{code}/participant", data={"csrf": csrf_of(form.text), "name": "Ali", "organisation": WORD})
        answer = {"csrf": csrf_of(phone.get(f"/j/{code}").text), "client_id": str(uuid.uuid4()), "step": "obstacles"}
        sent = phone.post(f"/j/{code}/answers", data={**answer, "text": f"Geen plek {WORD}"})
        assert sent.status_code == 303, sent.text
    page.goto(f"/f/workshops/{workshop_id}/besluitenlijst")
    heads = page.locator(".decisions-table th")
    expect(heads.first).to_be_visible()
    # the page breaks long typed words anywhere; a column head ("Stemmen", "Spanning") broke mid-word with them
    broken = heads.evaluate_all(
        """(heads) => heads.filter((head) => {
          const range = document.createRange();
          range.selectNodeContents(head);
          return !/\\s/.test(head.textContent.trim()) && range.getClientRects().length > 1;
        }).map((head) => head.textContent.trim())"""
    )
    assert broken == []


@pytest.mark.parametrize("screen", [PHONE, PROJECTOR], ids=["390x844", "1920x1080"])
def test_a_new_workshops_date_time_and_dots_keep_to_a_clean_row(
    new_context: Callable[..., Any], live_server: str, screen: dict[str, Any], tmp_path: Path
) -> None:
    a_workshop_of_long_words(live_server)
    page = sign_in(new_context, "f@x.nl", **screen)
    wide = screen["viewport"]["width"] > 800
    for language in ("nl", "en"):
        page.goto(f"/taal/{language}?next=/f/workshops")
        fields = [
            page.locator(f"form[action='/f/workshops'] [name={name}]") for name in ("held_on", "starts_at", "dots")
        ]
        date, time, dots = (field.bounding_box() for field in fields)
        assert page.evaluate(FIELDS_OUTSIDE_THEIR_LABEL) == [], language
        # at 1920 the dots dropped alone to a second row (three columns of 11rem did not fit the form's column);
        # on a phone the date goes across and the time and the dots share the row beneath
        bottoms = [box["y"] + box["height"] for box in (date, time, dots)]
        if wide:
            assert bottoms[0] == bottoms[1] == bottoms[2], (language, date, time, dots)
        else:
            assert bottoms[1] == bottoms[2] and time["y"] > bottoms[0], (language, date, time, dots)
            assert date["width"] >= time["width"] + dots["width"], (language, date, time, dots)
        assert time["x"] - (date["x"] + date["width"]) >= 8 or not wide
        assert dots["x"] - (time["x"] + time["width"]) >= 8, (language, time, dots)
        no_sideways_scroll(page)
        size = "{width}x{height}".format(**screen["viewport"])
        page.locator("form[action='/f/workshops']").screenshot(path=tmp_path / f"new-workshop-{language}-{size}.png")


def test_the_besluitenlijsts_answers_of_one_theme_take_the_whole_width(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context, title="Bewonersavond", format_key="bewonersgesprek")
    board = session.board
    next_until(board, "Trots")
    # sixty answers without a theme: one group, "Zonder thema"
    sent = [((f"Bewoner {n}", "Bewonersraad"), f"De speeltuin aan de {WORD} {n}") for n in range(60)]
    run(send_crowd(live_server, session.code, sent, step="trots"))
    workshop_id = board.url.rsplit("/", 1)[1]
    board.goto(f"/f/workshops/{workshop_id}/besluitenlijst")
    groups = board.locator('[data-step="trots"] .theme-groups')
    expect(groups.locator(".theme-group")).to_have_count(1)
    # a third of the width at 1440: sixty answers in a narrow column, two thirds of the card left empty
    widths = groups.evaluate("(box) => [box.clientWidth, box.querySelector('.theme-group').offsetWidth]")
    assert widths[1] >= 0.95 * widths[0], widths
