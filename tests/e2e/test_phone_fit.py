"""Phones never overflow: every step of every format stays within a 360 px and a 390 px screen with hostile text.

The facilitator's board, with the same text, stays within 1024 and 1440 px."""

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import PHONE
from tests.e2e.test_follow_up import agree, new_workshop
from tests.e2e.test_live_session import Session, mine, next_until, send, start_session
from tests.e2e.test_small_screens import CONTRAST

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

# one unbroken word of 120 characters, the kind a phone's autocorrect never breaks
LONG = ("Jongerenwerkgelegenheidsbevorderingsprogramma" * 3)[:120]
URL = "https://www.amsterdam.nl/noord/jongeren/activiteiten-in-de-avond"
FORMULA = '=HYPERLINK("http://evil.example","klik")'
LONG_NAME = LONG[:80]  # the join form takes at most 80 characters of a name
LONG_ORGANISATION = LONG
PILE = LONG[::-1]
SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 800}}
PHONES = {"360": SMALL_PHONE, "390": PHONE}
# where the screenshots of every step go when set (look at them by hand; the test asserts the sizes)
SHOTS = os.environ.get("DOORBRAAK_PHONE_SHOTS")

# a mobile browser widens its layout viewport to fit wide content (innerWidth grows with it): measure against
# the screen's own width
MEASURE = """(width) => {
  const outside = [...document.querySelectorAll("button, .button, a.button, input[type=submit]")]
    .filter((node) => node.getClientRects().length && getComputedStyle(node).visibility !== "hidden")
    .map((node) => ({ node, box: node.getBoundingClientRect() }))
    .filter(({ box }) => box.left < -0.5 || box.right > width + 0.5 || box.width < 1)
    .map(({ node, box }) => `${(node.textContent.trim() || node.getAttribute("aria-label") || "").slice(0, 40)}`
      + ` at ${Math.round(box.left)}..${Math.round(box.right)}`);
  // what sticks out, to name in the failure
  const right = (node) => Math.round(node.getBoundingClientRect().right);
  const wide = [...document.querySelectorAll("body *")].filter((node) => right(node) > width)
    .slice(-3).map((node) => `${node.tagName.toLowerCase()}.${node.className} ${right(node)}`);
  return { scroll: document.documentElement.scrollWidth, inner: window.innerWidth, outside, wide };
}"""


def assert_fits(phone: Any, where: str) -> None:
    """The page is no wider than the phone and every visible button lies on screen."""
    width = phone.viewport_size["width"]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=f"{SHOTS}/{width}-{where}.png", full_page=True)
    found = phone.evaluate(MEASURE, width)
    assert found["scroll"] <= width, f"{where}: the page is {found['scroll']} px wide on {width} px: {found['wide']}"
    assert found["inner"] == width, f"{where}: the browser zoomed out to {found['inner']} px to fit the page"
    assert not found["outside"], f"{where}: buttons off screen: {found['outside']}"


def board_fits(board: Any, where: str) -> None:
    """The facilitator's board, with the same hostile text, never scrolls sideways on a laptop or a small one."""
    for width in (1024, 1440):
        board.set_viewport_size({"width": width, "height": 800})
        if SHOTS:
            board.screenshot(path=f"{SHOTS}/board-{width}-{where}.png", full_page=True)
        found = board.evaluate(MEASURE, width)
        assert found["scroll"] <= width, f"board {where}: {found['scroll']} px wide on {width} px: {found['wide']}"
        assert not found["outside"], f"board {where}: buttons off screen: {found['outside']}"
    board.set_viewport_size({"width": 1440, "height": 900})


def board_answers_on_a_phone(board: Any) -> None:
    """On a phone's width the board's answers keep the whole width for their text, their buttons under it."""
    board.set_viewport_size({"width": 360, "height": 800})
    under = board.evaluate(
        """() => [...document.querySelectorAll("li.board-answer")].map((item) => {
          const text = item.querySelector(".text").getBoundingClientRect();
          const buttons = item.querySelector(".answer-buttons").getBoundingClientRect();
          return Math.abs(buttons.left - text.left) < 1 && buttons.top >= text.bottom - 0.5;
        })"""
    )
    assert under and all(under), under
    board.set_viewport_size({"width": 1440, "height": 900})


def join_long(new_context: Callable[..., Any], code: str, options: dict[str, Any]) -> Any:
    """A phone that joins with the longest name and organisation the form takes, checked on the way in."""
    phone = new_context(**options).new_page()
    phone.goto("/")
    phone.get_by_label("Code").fill(code)
    assert_fits(phone, "join-code")
    phone.get_by_role("button", name="Meedoen").click()
    form = phone.locator("#join-form")
    form.get_by_label("Je naam").fill(LONG_NAME)
    form.get_by_label("Je organisatie").fill(LONG_ORGANISATION)
    assert_fits(phone, "join-name")
    form.get_by_role("button", name="Meedoen").click()
    expect(phone.locator("#status")).to_have_attribute("data-state", "online")
    expect(phone.locator(".me")).to_contain_text(LONG_NAME)
    return phone


def all_fit(phones: dict[str, Any], where: str) -> None:
    """Every phone fits its screen here."""
    for phone in phones.values():
        assert_fits(phone, where)


def test_every_doorbraak_step_fits_a_small_phone_with_hostile_text(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title=f"Doorbraak {LONG}")
    board = session.board
    phones = {size: join_long(new_context, session.code, options) for size, options in PHONES.items()}
    all_fit(phones, "lobby")
    board_fits(board, "lobby")

    next_until(board, "Obstakels")
    for text in (LONG, URL, FORMULA):
        send(phones["360"], text)
        expect(mine(phones["360"], text)).to_have_class(re.compile(r"\breceived\b"))
    phones["390"].locator("#step textarea").fill(LONG)  # what is being typed counts too
    all_fit(phones, "obstacles")
    board_fits(board, "obstacles")
    board_answers_on_a_phone(board)

    # the board merges the long word and the URL into one pile with a 120-character name
    next_until(board, "Ordenen")
    all_fit(phones, "cluster")
    for text in (LONG, URL):
        board.get_by_role("checkbox", name=f"Selecteer: {text}", exact=True).check()
    board.locator("#merge").click()
    name = board.locator("#cluster-list .cluster-name")
    expect(name).to_have_count(1)
    name.fill(PILE)
    name.press("Enter")
    board.locator("#cluster-panel h2").click()
    expect(name).to_have_value(PILE)
    board_fits(board, "cluster")

    next_until(board, "Stemmen")
    for size, phone in phones.items():
        expect(phone.locator("#step .vote-list li.vote-item strong")).to_have_text([PILE, FORMULA])
        assert_fits(phone, "vote")
        plus = phone.get_by_role("button", name=f"Stip erbij: {PILE}", exact=True)
        plus.tap()
        expect(phone.locator("#step .dots-left")).to_have_text("Nog 2 van 3 stippen te verdelen")
        # the server's tally, not just the phone's own count: the tap reached it
        expected = "1 stip" if size == "360" else "2 stippen"
        expect(board.locator("#cluster-list article.cluster-card .badge.live")).to_have_text([expected, "0 stippen"])
        assert_fits(phone, "vote-tapped")

    next_until(board, "Bijdragen")
    for phone in phones.values():
        send(phone, f"{LONG} {URL}", obstacle=LONG)
        expect(mine(phone, f"{LONG} {URL}")).to_have_class(re.compile(r"\breceived\b"))
    all_fit(phones, "contributions")
    board_fits(board, "contributions")

    next_until(board, "Afspraken")
    form = board.locator("#action-form")
    form.locator("[name=title]").fill(LONG)
    form.locator("[name=owner_organisation]").fill(LONG_ORGANISATION)
    form.locator("[name=contact_person]").fill(LONG_NAME)
    form.locator("[name=partners]").fill(f"{URL}, {LONG}")
    form.locator("[name=due_on]").fill("2026-12-18")
    form.get_by_role("button", name="Afspraak vastleggen").click()
    for phone in phones.values():
        card = phone.locator(".action-list li.action-card")
        expect(card.locator("strong")).to_have_text([LONG])
        assert_fits(phone, "actions")
        card.get_by_role("button", name="Ik doe mee").tap()
        expect(card.get_by_role("button", name="Je doet mee ✓")).to_be_visible()
    board_fits(board, "actions")

    next_until(board, "Afronding")
    followup = board.locator("#followup-form")
    followup.locator("[name=at]").fill("2026-12-18T10:00")
    followup.locator("[name=place]").fill(LONG)
    followup.get_by_role("button", name="Vastleggen").click()
    for phone in phones.values():
        expect(phone.locator("#step .followup")).to_contain_text("18 december")
    all_fit(phones, "close")
    board_fits(board, "close")

    for phone in phones.values():
        phone.locator("#step").get_by_role("link", name="Mijn afspraken").click()
        expect(phone.locator("article.action-card.joined strong")).to_have_text([LONG])
        assert_fits(phone, "mine")
    assert session.dialogs == []


def walk(board: Any, phones: dict[str, Any], label: str) -> None:
    """Every step of the board's format in turn, doing on each phone what the step asks, checking each fits."""
    count = board.locator(".step-button").count()
    for index in range(1, count):
        board.get_by_role("button", name="Volgende").click()
        expect(board.locator(".step-button.current")).to_have_attribute("data-index", str(index))
        for phone in phones.values():
            step = phone.locator("#step")
            expect(step).to_have_attribute("data-step", re.compile("."))
            if step.locator("textarea").count():
                if step.locator("select").count():
                    step.locator("select").select_option(index=1)
                step.locator("textarea").fill(f"{LONG} {URL}")
                assert_fits(phone, f"{label}-{index}-typed")
                step.get_by_role("button", name="Versturen").click()
                expect(mine(phone, f"{LONG} {URL}").first).to_be_visible()
            elif step.locator(".grade-button").count():
                step.locator(".grade-button").last.tap()
                expect(step.locator('[data-slot="sent"]')).to_be_visible()
            elif step.locator(".choice-option").count():
                step.locator(".choice-option").first.tap()
                expect(step.locator('[data-slot="sent"]')).to_be_visible()
            elif step.locator(".review-head").count():
                step.locator(".review-head").first.tap()
                expect(step.locator(".report-form")).to_be_visible()
            assert_fits(phone, f"{label}-{index}")


@pytest.mark.parametrize("format_key", ["netwerkmozaiek", "bewonersgesprek"])
def test_grade_choice_and_mosaic_steps_fit_a_small_phone(new_context: Callable[..., Any], format_key: str) -> None:
    session = start_session(new_context, title=f"{format_key} {LONG}", format_key=format_key)
    phones = {size: join_long(new_context, session.code, options) for size, options in PHONES.items()}
    walk(session.board, phones, format_key)


def test_the_follow_up_look_back_fits_a_small_phone(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Doorbraak Noord")
    board = session.board
    next_until(board, "Afspraken")
    agree(board, LONG, LONG_ORGANISATION)
    agree(board, URL, "Politie")
    new_workshop(board, f"Vervolg {LONG}", "vervolgsessie")
    code = board.locator(".code-chip").inner_text().replace(" ", "")
    follow_up = Session(board=board, code=code, projector_path="", dialogs=[])
    phones = {size: join_long(new_context, follow_up.code, options) for size, options in PHONES.items()}
    walk(board, phones, "vervolgsessie")
    for phone in phones.values():
        phone.locator("#step").get_by_role("link", name="Mijn afspraken").click()
        assert_fits(phone, "vervolgsessie-mine")


# how far down the page's own content starts: under the bar and whatever strip the bar has under it
CONTENT_TOP = "() => document.querySelector('main').getBoundingClientRect().top"
OFFLINE_NOTE = {
    "nl": "Offline: we sturen het zodra er verbinding is",
    "en": "Offline: we'll send it once you're back online",
}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_offline_notice_is_one_short_line_that_leaves_the_title_readable(
    new_context: Callable[..., Any], lang: str
) -> None:
    session = start_session(new_context, title="Jeugdoverlast Noord")
    phone = new_context(**SMALL_PHONE).new_page()
    phone.goto(f"/j/{session.code}")
    phone.get_by_label("Je naam").fill("Ali")
    phone.get_by_label("Je organisatie").fill("Woonstichting")
    phone.get_by_role("button", name="Meedoen").click()
    if lang == "en":
        phone.goto(f"/taal/en?next=/j/{session.code}")
    expect(phone.locator("#status")).to_have_attribute("data-state", "online")
    online_top = phone.evaluate(CONTENT_TOP)
    phone.context.set_offline(True)
    expect(phone.locator("#status")).to_have_attribute("data-state", "offline")
    # said to a screen reader as it happens, in words that say what happens to what is sent
    note = phone.get_by_role("status").filter(has_text=OFFLINE_NOTE[lang])
    expect(note).to_have_text(OFFLINE_NOTE[lang])
    # one line: the bar grew from 55 to 101 px with it, a third of what is left above a phone's keyboard
    grown = phone.evaluate(CONTENT_TOP) - online_top
    assert 0 < grown <= 24, grown
    assert note.evaluate("(node) => node.getClientRects().length === 1 && node.scrollWidth <= node.clientWidth")
    ratios = note.evaluate_all(CONTRAST)
    assert all(ratio >= 4.5 for _, ratio in ratios), ratios
    title = phone.locator(".phone-bar .brand")
    # the whole title is shown: not cut to "D…" beside the notice
    assert title.evaluate("(node) => node.scrollWidth <= node.clientWidth"), title.bounding_box()
    assert_fits(phone, f"offline-{lang}")
    phone.context.set_offline(False)
    expect(phone.locator("#status")).to_have_attribute("data-state", "online")
    # back online the strip takes no room
    expect(note).to_have_count(0)
    assert phone.evaluate(CONTENT_TOP) == online_top


def test_a_big_pile_shows_three_obstacles_on_the_phone_and_the_rest_on_request(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Doorbraak grote stapel")
    board = session.board
    phone = join_long(new_context, session.code, PHONE)
    texts = [f"Wachtlijst voor hulp nummer {n}" for n in range(1, 7)]
    next_until(board, "Obstakels")
    for text in texts:
        send(phone, text)
        expect(mine(phone, text)).to_have_class(re.compile(r"\breceived\b"))

    next_until(board, "Ordenen")
    for text in texts:
        board.get_by_role("checkbox", name=f"Selecteer: {text}", exact=True).check()
    board.locator("#merge").click()
    expect(board.locator("#cluster-list .cluster-name")).to_have_count(1)

    next_until(board, "Stemmen")
    pile = phone.locator("#step .vote-list li.vote-item")
    expect(pile).to_have_count(1)
    shown = pile.locator(".vote-text > ul li")
    expect(shown).to_have_count(3)
    more = pile.locator("details.pile-more")
    expect(more.locator("summary")).to_have_text("+3 meer")
    expect(more.locator("li").first).to_be_hidden()
    more.locator("summary").tap()
    expect(more.locator("li")).to_have_count(3)
    expect(more.locator("li").first).to_be_visible()
    # a dot redraws the list: the pile stays open
    pile.get_by_role("button", name=re.compile("^Stip erbij")).tap()
    expect(phone.locator("#step .dots-left")).to_have_text("Nog 2 van 3 stippen te verdelen")
    expect(pile.locator("details.pile-more")).to_have_attribute("open", "")
    assert_fits(phone, "vote-big-pile")


DIRECTION = "(nodes) => nodes.map((node) => getComputedStyle(node).direction)"


def test_right_to_left_words_read_from_the_right_on_the_phone(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="مجلس الحي الشمالي للشباب والجيران")
    phone = new_context(**SMALL_PHONE).new_page()
    phone.goto(f"/j/{session.code}")
    phone.get_by_label("Je naam").fill("عبد الرحمن")
    phone.get_by_label("Je organisatie").fill("Woonstichting")
    phone.get_by_role("button", name="Meedoen").click()
    next_until(session.board, "Obstakels")
    answers = ["لا يوجد مكان للشباب في المساء.", "Te weinig plekken.", "שכנים לא מכירים זה את זה."]
    for text in answers:
        send(phone, text)
        expect(mine(phone, text)).to_have_class(re.compile(r"\breceived\b"))
    # a title too long for the bar is cut at its end, on the left, not at its start
    title = phone.locator(".phone-bar .brand")
    assert title.evaluate("(node) => node.scrollWidth > node.clientWidth")
    assert title.evaluate_all(DIRECTION) == ["rtl"]
    # what is typed takes the direction of its words as it is typed, and so does each answer in the list
    box = phone.locator("#step textarea")
    box.fill("מסמך 123 של העירייה.")
    assert box.evaluate_all(DIRECTION) == ["rtl"]
    texts = phone.locator("#my-answers li.answer .text")
    assert texts.evaluate_all(DIRECTION) == ["rtl", "ltr", "rtl"]
    # as the server writes the list before the page's script takes over
    phone.route("**/*.js", lambda route: route.abort())
    phone.reload()
    expect(texts).to_have_count(3)
    assert texts.evaluate_all(DIRECTION) == ["rtl", "ltr", "rtl"]
    assert phone.locator("#step textarea").evaluate_all(DIRECTION) == ["ltr"]
    phone.locator("#step textarea").fill("מסמך")
    assert phone.locator("#step textarea").evaluate_all(DIRECTION) == ["rtl"]


# where a node's own words stand in its block: the gap to the block's left and to its right edge, in px
TEXT_GAPS = """(node) => {
  const range = document.createRange();
  range.selectNodeContents(node);
  const words = range.getBoundingClientRect();
  const block = node.closest(".vote-text").getBoundingClientRect();
  return { left: Math.round(words.left - block.left), right: Math.round(block.right - words.right) };
}"""


def test_a_right_to_left_pile_name_reads_from_the_right_on_the_phones_vote(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Doorbraak stemmen")
    board = session.board
    phone = join_long(new_context, session.code, SMALL_PHONE)
    texts = ["لا يوجد مكان للشباب في المساء.", "Te weinig plekken voor jongeren."]
    next_until(board, "Obstakels")
    for text in texts:
        send(phone, text)
        expect(mine(phone, text)).to_have_class(re.compile(r"\breceived\b"))
    next_until(board, "Ordenen")
    for text in texts:
        board.get_by_role("checkbox", name=f"Selecteer: {text}", exact=True).check()
    board.locator("#merge").click()
    name = board.locator("#cluster-list .cluster-name")
    name.fill("مكان للشباب")
    name.press("Enter")
    board.locator("#cluster-panel h2").click()
    expect(name).to_have_value("مكان للشباب")

    next_until(board, "Stemmen")
    pile = phone.locator("#step .vote-list li.vote-item .vote-text > strong")
    expect(pile).to_have_text("مكان للشباب")
    # the name stands at the card's right, where Arabic starts, as on the projector; not at the left of a Dutch line
    gaps = pile.evaluate(TEXT_GAPS)
    assert gaps["right"] <= 1 < gaps["left"], gaps
    assert pile.evaluate_all(DIRECTION) == ["rtl"]
    assert_fits(phone, "vote-rtl-pile")
