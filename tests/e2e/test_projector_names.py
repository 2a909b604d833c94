"""The projector lists names in the order they were given, whatever script each is written in."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.test_live_session import next_until, open_projector, start_session
from tests.e2e.test_phone_actions import agree_many

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
