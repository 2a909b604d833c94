"""A board left open after its browser was signed out elsewhere stops and goes to the sign-in page."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from app.live import router as live_router
from tests.e2e.test_live_session import start_session

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect


def test_a_board_signed_out_everywhere_from_another_tab_goes_to_the_sign_in_page(
    new_context: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_router, "BOARD_RECHECK_S", 0.2)
    board = start_session(new_context).board
    board_path = re.sub(r"^https?://[^/]+", "", board.url)
    account = board.context.new_page()
    account.goto("/f/account")
    account.get_by_role("button", name="Overal uitloggen").click()
    expect(account).to_have_url(re.compile(r"/f/login"))
    # the board's own socket is ended by the server, and the page follows to sign in again, back to this board after
    expect(board).to_have_url(re.compile(r"/f/login\?next=" + re.escape(board_path.replace("/", "%2F")) + "$"))
