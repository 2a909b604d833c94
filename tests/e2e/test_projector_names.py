"""The projector lists names in the order they were given, whatever script each is written in."""

from collections.abc import Callable
from typing import Any

import pytest

from app.demo.driver import send_crowd
from tests.e2e.test_live_session import join, next_until, open_projector, start_session
from tests.e2e.test_phone_actions import agree_many
from tests.e2e.test_projector_wall import CARDS_ON_SCREEN, board_post, run

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

HEBREW = "שכונה"
ARABIC = "جمعية"

# where each name starts on the screen, from the left: a name's own letters may run right to left, the list may not
LEFT_OF = """(node, names) => names.map((name) => {
  const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const start = text.textContent.indexOf(name);
    if (start < 0) continue;
    const range = document.createRange();
    range.setStart(text, start);
    range.setEnd(text, start + name.length);
    return range.getBoundingClientRect().left;
  }
  return null;
})"""
# where each name starts as read: its line (from the top), then from the left
READING_PLACE = LEFT_OF.replace(
    "return range.getBoundingClientRect().left;",
    "const box = range.getBoundingClientRect(); return [Math.round(box.top), box.left];",
)


def test_partners_in_two_right_to_left_scripts_keep_their_order_on_the_projector(
    new_context: Callable[..., Any],
) -> None:
    session = start_session(new_context)
    projector = open_projector(new_context, session)
    next_until(session.board, "Afspraken")
    agree_many(
        session.board, [{"title": "Spreekuur op dinsdag", "owner_organisation": "GGD", "partners": [HEBREW, ARABIC]}]
    )
    who = projector.locator("article.note.action .who")
    expect(who).to_contain_text(ARABIC)
    owner, first, second = who.evaluate(LEFT_OF, ["GGD", HEBREW, ARABIC])
    assert owner < first < second, (owner, first, second)


HEBREW_PERSON = "דנה"
ARABIC_PERSON = "سارة"


def test_partners_and_volunteers_in_two_right_to_left_scripts_keep_their_order_on_the_board_and_phone(
    new_context: Callable[..., Any],
) -> None:
    session = start_session(new_context)
    dana = join(new_context, session.code, HEBREW_PERSON, HEBREW)
    sara = join(new_context, session.code, ARABIC_PERSON, ARABIC)
    piet = join(new_context, session.code, "Piet", "Politie")
    next_until(session.board, "Afspraken")
    agree_many(session.board, [{"title": "Spreekuur op dinsdag", "owner_organisation": HEBREW, "partners": [ARABIC]}])
    for phone in (dana, sara):
        phone.get_by_role("button", name="Ik doe mee").click()

    action = session.board.locator("#action-list li.action-item")
    expect(action).to_contain_text(f"{ARABIC_PERSON} · {ARABIC}")
    facts, hands = action.locator("p.meta").all()
    owner, partner = facts.evaluate(LEFT_OF, [HEBREW, ARABIC])
    assert owner < partner, (owner, partner)
    first, first_organisation, second, second_organisation = hands.evaluate(
        LEFT_OF, [HEBREW_PERSON, f"{HEBREW}", ARABIC_PERSON, f"{ARABIC}"]
    )
    assert first < first_organisation < second < second_organisation

    # under the title on a phone of another organisation: the owner, then (on a line of its own) how many joined
    meta = piet.locator("#step .action-meta")
    expect(meta).to_contain_text("2 doen mee")
    owner, joined = meta.evaluate(READING_PLACE, [HEBREW, "2 doen mee"])
    assert owner < joined, (owner, joined)
    meta.click()
    details = piet.locator("#step .action-details")
    expect(details).to_contain_text(ARABIC_PERSON)
    first, second = details.evaluate(LEFT_OF, [HEBREW_PERSON, ARABIC_PERSON])
    assert first < second, (first, second)


# each text on the wall that holds one of the words, with the direction it is laid out in
DIRECTIONS = """(words) => [...document.querySelectorAll("#round-answers *")]
  .filter((node) => node.children.length === 0 && words.some((word) => node.textContent.includes(word)))
  .map((node) => [node.textContent, getComputedStyle(node).direction])"""


def test_right_to_left_words_on_the_wall_run_right_to_left(new_context: Callable[..., Any], live_server: str) -> None:
    session = start_session(new_context)
    projector = open_projector(new_context, session)
    next_until(session.board, "Obstakels")
    arabic = "لا يوجد مكان للشباب في المساء."
    hebrew = "אין מספיק מקום לנוער בערב."
    ids = run(
        send_crowd(live_server, session.code, [(("Sara", f"{HEBREW} עמותה"), hebrew), (("Omar", ARABIC), arabic)])
    )
    expect(projector.locator("#round-answers article.note")).to_have_count(2)
    words = [arabic, hebrew, HEBREW, ARABIC]
    found = projector.evaluate(DIRECTIONS, words)
    # an answer and who sent it, each in its own direction, where the wall's left-to-right one put the full stop on
    # the wrong side of an Arabic sentence
    assert sorted(found) == sorted([[arabic, "rtl"], [hebrew, "rtl"], [ARABIC, "rtl"], [f"{HEBREW} עמותה", "rtl"]])

    # and the lobby's partners, whatever their script
    chips = projector.locator("#organisations li").evaluate_all(
        "(chips) => chips.map((c) => getComputedStyle(c).direction)"
    )
    assert chips == ["rtl", "rtl"]

    # one pile of both, named in Arabic: its examples keep their bullets inside the card
    next_until(session.board, "Ordenen")
    pile = "مجموعة الشباب"
    board_post(session.board, "/clusters/group", {"answer_ids": ids, "name": pile})
    expect(projector.locator("#round-answers article.cluster .members li")).to_have_count(2)
    found = projector.evaluate(DIRECTIONS, [*words, pile])
    assert sorted(found) == sorted([[pile, "rtl"], [arabic, "rtl"], [hebrew, "rtl"]])
    assert all(card["inside"] for card in projector.evaluate(CARDS_ON_SCREEN))

    # the contribution round: a promise in Hebrew under the pile
    next_until(session.board, "Bijdragen")
    promise = "אנחנו פותחים את המרכז בערב."
    run(send_crowd(live_server, session.code, [(("Sara", HEBREW), promise)], step="contributions", links_to=[ids[1]]))
    expect(projector.locator("#round-answers .pledges li")).to_have_count(1)
    found = projector.evaluate(DIRECTIONS, [*words, pile, promise])
    assert sorted(found) == sorted([[pile, "rtl"], [promise, "rtl"], [HEBREW, "rtl"]])
