"""The sentence model in a real browser: the board has the server read the room's obstacles once the grouping step
shows, so that "Stel stapels voor" finds them read; the piles come as without it."""

from collections.abc import Callable
from typing import Any

import pytest

from app.bench import grouping
from app.clusters import model as sentence_model
from app.config import Settings
from tests.e2e.test_live_session import next_until, start_session
from tests.e2e.test_suggest_piles import send_from_phones

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect
# the board waits this long before it asks the server to read ahead (static/js/board_suggest.js, AHEAD_MS)
AHEAD_MS = 3000


@pytest.fixture
def live_settings(live_settings: Settings) -> Settings:
    """The live server's settings, with the bundled model switched on."""
    return live_settings.model_copy(update={"sentence_model": sentence_model.BUNDLED})


def test_the_board_has_the_obstacles_read_before_the_facilitator_asks(
    new_context: Callable[..., Any], live_server: str
) -> None:
    texts = grouping.load(grouping.DATA / "obstacles_nl_holdout17.yaml").texts[::8]
    model = sentence_model.loaded(sentence_model.BUNDLED)
    model.forget()
    session = start_session(new_context, title="Langer thuis wonen")
    board = session.board
    next_until(board, "Obstakels")
    send_from_phones(live_server, session.code, texts)
    expect(board.locator("#answers .board-answer")).to_have_count(len(texts))
    # nothing is read while the room answers, not even after the board's wait: the phones' step has the server
    board.wait_for_timeout(AHEAD_MS + 1000)
    assert not set(model._read) & set(texts)
    with board.expect_response(lambda response: response.url.endswith("/suggestions/ahead")) as ahead:
        next_until(board, "Ordenen")
    assert ahead.value.json() == {"reading": len(texts)}
    assert model.read_ahead_done(timeout=60)
    assert set(texts) <= set(model._read)
    with board.expect_response(lambda response: response.url.endswith("/suggestions")) as asked:
        board.locator("body").press("g")
    piles = asked.value.json()["piles"]
    assert piles
    expect(board.locator("#suggest-list article.suggest-card")).to_have_count(len(piles))
    assert session.dialogs == []
