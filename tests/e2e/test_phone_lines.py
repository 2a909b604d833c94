"""The phone's short lines stay readable: who you are with each part in its own direction, and the obstacle a
contribution belongs to in two lines, whole when tapped."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.test_live_session import join, join_on, mine, next_until, send, start_session
from tests.e2e.test_phone_fit import LONG, LONG_NAME, LONG_ORGANISATION, PHONES, SHOTS, assert_fits

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

# a name in Arabic, an organisation in Dutch that ends in Hebrew and a number: run together without isolation, the
# "·" and the number landed inside the other part
RTL_NAME = "سارة الحربي"
MIXED_ORGANISATION = "Woonstichting בית שלום 12"
# an obstacle as long as the step takes (200 characters): four lines under a contribution on a phone
LONG_OBSTACLE = (
    "De wachtlijst voor een huurwoning in de wijk is zo lang dat jongeren vertrekken, ouderen niet kunnen "
    "verhuizen en gezinnen jaren wachten op een plek die past bij wat ze echt nodig hebben"
)


def line_count(node: Any) -> float:
    """How many lines of its own text a node shows."""
    count: float = node.evaluate("(n) => n.getBoundingClientRect().height / parseFloat(getComputedStyle(n).lineHeight)")
    return count


def test_a_mixed_direction_name_and_organisation_each_read_in_their_own_direction(
    new_context: Callable[..., Any],
) -> None:
    session = start_session(new_context)
    phone = join(new_context, session.code, RTL_NAME, MIXED_ORGANISATION)
    me = phone.locator("p.me")
    expect(me.locator("bdi")).to_have_text([RTL_NAME, MIXED_ORGANISATION])
    expect(me).to_have_text(f"{RTL_NAME} · {MIXED_ORGANISATION}")
    assert me.get_attribute("title") == f"\u2068{RTL_NAME}\u2069 · \u2068{MIXED_ORGANISATION}\u2069"
    assert_fits(phone, "me-line")


@pytest.mark.parametrize("size", sorted(PHONES))
def test_a_contributions_long_obstacle_shows_two_lines_and_whole_when_tapped(
    new_context: Callable[..., Any], size: str
) -> None:
    session = start_session(new_context)
    board = session.board
    phone = join_on(new_context(**PHONES[size]).new_page(), session.code, RTL_NAME, MIXED_ORGANISATION)
    next_until(board, "Obstakels")
    send(phone, LONG_OBSTACLE)
    expect(mine(phone, LONG_OBSTACLE)).to_have_class(re.compile(r"\breceived\b"))
    next_until(board, "Bijdragen")
    send(phone, LONG, obstacle=LONG_OBSTACLE)
    contribution = mine(phone, LONG)
    expect(contribution).to_have_class(re.compile(r"\breceived\b"))

    link = contribution.locator(".link")
    expect(link).to_contain_text(LONG_OBSTACLE)  # whole in the page, so a screen reader reads it whole
    assert link.get_attribute("title") == f"bij: \u2068{LONG_OBSTACLE}\u2069"
    assert line_count(link) == pytest.approx(2, abs=0.1)
    assert link.evaluate("(n) => n.scrollHeight > n.clientHeight + 1")  # the rest is cut off, with an ellipsis
    assert_fits(phone, f"contribution-{size}")
    link.click()
    assert line_count(link) >= 3
    assert_fits(phone, f"contribution-open-{size}")

    # the phone's own page afterwards: the same two lines, and who you are each part in its own direction
    next_until(board, "Afronding")
    phone.locator("#step").get_by_role("link", name="Mijn afspraken").click()
    expect(phone).to_have_url(re.compile(r"/m/[^/]+$"))
    expect(phone.locator("main p.me-parts bdi")).to_have_text([RTL_NAME, MIXED_ORGANISATION])
    link = phone.locator("li.answer .link")
    expect(link).to_contain_text(LONG_OBSTACLE)
    assert line_count(link) == pytest.approx(2, abs=0.1)
    assert_fits(phone, f"mine-{size}")


def test_only_a_cut_off_obstacle_line_is_a_tab_stop(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    board = session.board
    phone = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    next_until(board, "Obstakels")
    for obstacle in (LONG_OBSTACLE, "Geen buurthuis"):
        send(phone, obstacle)
        expect(mine(phone, obstacle)).to_have_class(re.compile(r"\breceived\b"))
    next_until(board, "Bijdragen")
    send(phone, "Wij openen de kantine", obstacle="Geen buurthuis")
    send(phone, "Wij bouwen mee", obstacle=LONG_OBSTACLE)
    for text in ("Wij openen de kantine", "Wij bouwen mee"):
        expect(mine(phone, text)).to_have_class(re.compile(r"\breceived\b"))

    # the short line shows whole already: no stop for the keyboard; the long one is cut off, and a stop to open it
    expect(mine(phone, "Wij openen de kantine").locator(".link")).not_to_have_attribute("tabindex", re.compile(r".*"))
    expect(mine(phone, "Wij bouwen mee").locator(".link")).to_have_attribute("tabindex", "0")
    stops = phone.evaluate("() => [...document.querySelectorAll('#my-answers [tabindex=\"0\"]')].length")
    assert stops == 1


# long enough to be cut at two lines on any phone
RTL_OBSTACLE = (
    "لا توجد أماكن كافية للشباب في الحي بعد الساعة الثامنة مساءً والجيران يشتكون من الضوضاء كل ليلة ولا أحد يعرف "
    "من المسؤول عن الحل ولا أين يمكن أن يلتقي الشباب بأمان وهدوء"
)


def test_a_cut_off_arabic_obstacle_ends_on_its_own_side(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    board = session.board
    phone = join(new_context, session.code, RTL_NAME, MIXED_ORGANISATION)
    next_until(board, "Obstakels")
    send(phone, RTL_OBSTACLE)
    expect(mine(phone, RTL_OBSTACLE)).to_have_class(re.compile(r"\breceived\b"))
    next_until(board, "Bijdragen")
    send(phone, "Wij openen de kantine", obstacle=RTL_OBSTACLE)
    expect(mine(phone, "Wij openen de kantine")).to_have_class(re.compile(r"\breceived\b"))

    # "bij: …" made the line left-to-right, so the "…" of the cut came on the right, in the middle of the Arabic
    direction = "(n) => getComputedStyle(n).direction"
    link = mine(phone, "Wij openen de kantine").locator(".link")
    expect(link).to_contain_text(RTL_OBSTACLE)
    assert link.evaluate("(n) => n.scrollHeight > n.clientHeight + 1")
    assert link.evaluate(direction) == "rtl"
    next_until(board, "Afronding")
    phone.locator("#step").get_by_role("link", name="Mijn afspraken").click()
    expect(phone).to_have_url(re.compile(r"/m/[^/]+$"))
    link = phone.locator("li.answer .link")
    expect(link).to_contain_text(RTL_OBSTACLE)
    assert link.evaluate(direction) == "rtl"


@pytest.mark.parametrize("size", sorted(PHONES))
def test_mijn_afspraken_shows_a_long_name_and_organisation_whole_each_on_its_own_lines(
    new_context: Callable[..., Any], size: str
) -> None:
    session = start_session(new_context)
    name, organisation = f"Anna {LONG_NAME}"[:80], f"Stichting {LONG_ORGANISATION}"[:120]
    phone = join_on(new_context(**PHONES[size]).new_page(), session.code, name, organisation)
    next_until(session.board, "Afronding")
    phone.locator("#step").get_by_role("link", name="Mijn afspraken").click()
    expect(phone).to_have_url(re.compile(r"/m/[^/]+$"))
    for lang in ("nl", "en"):
        parts = phone.locator("main p.me-parts bdi")
        expect(parts).to_have_text([name, organisation])
        shown = parts.evaluate_all(
            "(nodes) => nodes.map((n) => { const r = n.getBoundingClientRect();"
            " return {top: r.top, bottom: r.bottom, cut: n.scrollHeight > n.clientHeight + 1"
            " || n.parentElement.scrollHeight > n.parentElement.clientHeight + 1}; })"
        )
        # the organisation starts below the whole name, and nothing of either is clipped
        assert shown[1]["top"] >= shown[0]["bottom"] - 0.5, shown
        assert not any(part["cut"] for part in shown), shown
        assert_fits(phone, f"mine-long-{lang}-{size}")
        phone.context.add_cookies([{"name": "dbk_lang", "value": "en", "url": phone.url}])
        phone.reload()
    if SHOTS:
        phone.set_viewport_size({"width": 1920, "height": 1080})
        phone.screenshot(path=f"{SHOTS}/1920-mine-long-en.png", full_page=True)
