"""A crowd raising hands for one action: the projector and the phones name a few and count the others; the board
names them all."""

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.test_live_session import join, next_until, open_projector, start_session
from tests.e2e.test_phone_actions import agree_many, raise_hands, row

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

TITLE = "Huiskamer in de flat"


def hands_from(live_server: str, code: str, action_id: int, phones: int) -> None:
    """This many phones over real websockets raise a hand for the action."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, raise_hands(live_server, code, [action_id], phones)).result()


def test_a_crowd_on_one_action_is_a_few_names_and_a_count_where_the_room_reads_it(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context)
    projector = open_projector(new_context, session)
    phone = join(new_context, session.code, "Ali", "Buurtteam")
    next_until(session.board, "Afspraken")
    agree_many(session.board, [{"title": TITLE, "owner_organisation": "Gemeente", "partners": []}])
    action = row(phone, TITLE)
    action_id = int(action.get_attribute("data-action") or 0)
    hands = projector.locator("article.note.action .hands")

    # six are all named: "en 1 anderen" would take the room of the name it stands for
    hands_from(live_server, session.code, action_id, 6)
    expect(hands.locator("bdi")).to_have_count(6)
    expect(hands).not_to_contain_text("anderen")

    # sixteen: five names and the count of the rest, on the projector and in the phone's details
    hands_from(live_server, session.code, action_id, 10)
    expect(hands).to_have_text(re.compile(r"^Doen mee: (Deelnemer \d+, ){4}Deelnemer \d+ en 11 anderen$"))
    action.locator(".action-toggle").click()
    details = action.locator(".action-details p", has_text="Doen mee")
    expect(details.locator("bdi")).to_have_count(5)
    others = details.get_by_role("button", name="en 11 anderen")
    # the phone's list opens whole on a tap, and the focus stays on the action
    others.focus()
    others.press("Enter")
    expect(details.locator("bdi")).to_have_count(16)
    expect(details.get_by_role("button", name=re.compile("anderen"))).to_have_count(0)
    expect(action.locator(".action-toggle")).to_be_focused()

    # the board, where the office works, names every one
    board_action = session.board.locator("#action-list li.action-item")
    expect(board_action.locator("p.meta").nth(1).locator("bdi")).to_have_count(32)  # a name and an organisation each
