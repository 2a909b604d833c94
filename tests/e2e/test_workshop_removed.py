"""A workshop deleted while its screens are open: each shows that it is gone, in place of all it showed, and stops."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.test_live_session import join, next_until, open_projector, send, start_session

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect
TITLE = "Jeugdoverlast Noord"
# long enough for a client that reconnects in a loop to try several times (its first tries come within a second)
WATCHED_MS = 4000


def test_a_deleted_workshops_phone_projector_and_board_say_so_and_stop_reconnecting(
    new_context: Callable[..., Any],
) -> None:
    session = start_session(new_context, title=TITLE)
    board = session.board
    projector = open_projector(new_context, session)
    phone = join(new_context, session.code, "Ali Yilmaz", "Woonstichting De Linie")
    next_until(board, "Obstakels")
    send(phone, "Niemand weet wie wat doet")
    expect(projector.locator("body")).to_contain_text("Niemand weet wie wat doet")
    sockets = {"phone": 0, "projector": 0}
    phone.on("websocket", lambda _: sockets.__setitem__("phone", sockets["phone"] + 1))
    projector.on("websocket", lambda _: sockets.__setitem__("projector", sockets["projector"] + 1))
    # a second projector, offline while the workshop is deleted: when it comes back, its reconnect is turned away
    late = open_projector(new_context, session)
    late.context.set_offline(True)
    expect(late.locator("#status")).to_have_attribute("data-state", "offline")

    workshop_path = re.sub(r"^https?://[^/]+", "", board.url)
    office = board.context.new_page()
    office.goto(f"{workshop_path}/verwijderen")
    office.get_by_label("Typ de titel om te bevestigen").fill(TITLE)
    office.get_by_role("button", name="Definitief verwijderen").click()
    expect(office).to_have_url(re.compile(r"/f/workshops\?verwijderd=1$"))

    for page in (phone, projector, board):
        expect(page.get_by_role("alert")).to_have_text(re.compile("^Deze workshop is verwijderd."))
        # the names, the answers and the title went with it
        for shown in ("Ali Yilmaz", "Niemand weet wie wat doet", TITLE):
            expect(page.locator("body")).not_to_contain_text(shown)
    expect(board.get_by_role("link", name="Naar je workshops")).to_have_attribute("href", "/f/workshops")
    late.context.set_offline(False)
    expect(late.get_by_role("alert")).to_have_text("Deze workshop is verwijderd.")

    before = dict(sockets)
    phone.wait_for_timeout(WATCHED_MS)
    assert sockets == before == {"phone": 0, "projector": 0}
    # coming back to the page does not try again either, and the phone kept nothing of the workshop
    phone.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    phone.wait_for_timeout(500)
    assert sockets["phone"] == 0
    kept = phone.evaluate("Object.keys(localStorage).filter((key) => key.startsWith('doorbraak:'))")
    assert [key for key in kept if session.code in key] == []
