"""A phone that a rate limit turns away: many waiting answers are each sent again, not each as often as there were
refusals, and a report turned away can be sent again."""

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from app.config import Settings
from tests.e2e.test_follow_up import follow_up_on
from tests.e2e.test_live_session import join, mine, next_until, start_session
from tests.e2e.test_phone_offline import offline
from tests.e2e.test_phone_storage import PLANT

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

WAITING = 20
ALLOWED = 5


@pytest.fixture
def live_settings(live_settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The live server with the tight limits a test names, so a few rounds of refusals take seconds."""
    return live_settings.model_copy(update=request.param)


@pytest.mark.parametrize("live_settings", [{"limit_answers_per_phone": f"{ALLOWED}/2 seconds"}], indirect=True)
def test_answers_turned_away_by_the_rate_limit_are_sent_again_once_a_round(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    phone = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    next_until(session.board, "Obstakels")
    expect(phone.locator("#step h1")).to_have_text("Wat is hier het grootste obstakel?")
    step = phone.locator("#step").get_attribute("data-step")
    # twenty answers sent without a connection, in this tab or another: all go at once when the page opens
    texts = [f"Antwoord nummer {n}" for n in range(WAITING)]
    waiting = {}
    for at, text in enumerate(texts):
        client_id = str(uuid.uuid4())
        item = {"client_id": client_id, "step": step, "text": text, "state": "pending", "at": at}
        waiting[f"doorbraak:outbox:{session.code}:{client_id}"] = json.dumps(item)
    phone.evaluate(PLANT, waiting)
    sent: list[str] = []
    phone.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(str(payload))))
    phone.reload()

    for text in texts:
        expect(mine(phone, text)).to_have_class(re.compile(r"\breceived\b"))
    # five go through a round, the rest are refused and go again in the next: 20 + 15 + 10 + 5 frames. Sent again
    # once per refusal, the rounds were 20, then 15 times 15, then ... A round that comes a moment before the window
    # has room again (a loaded machine) is refused whole and goes once more: one such round adds at most WAITING
    answers = [frame for frame in sent if json.loads(frame).get("type") == "answer"]
    assert len(answers) <= 3 * WAITING + WAITING // 2, len(answers)
    expect(session.board.locator("#answers .board-answer")).to_have_count(WAITING)


@pytest.mark.parametrize("live_settings", [{"limit_taps_per_phone": "2/minute"}], indirect=True)
def test_a_report_the_rate_limit_turned_away_says_so_and_can_be_sent_again(new_context: Callable[..., Any]) -> None:
    board, code = follow_up_on(new_context, "Noord", {"Huiskamer in de flat": "Woonstichting Thuis"})
    phone = join(new_context, code, "Ali", "Woonstichting Thuis")
    next_until(board, "Hoe staat het?")
    card = phone.locator("#step .review-card").first
    # two reports a minute go through; the third is turned away
    for status in ["Bezig", "Klaar", "Vastgelopen"]:
        card.locator(".review-head").click()
        card.get_by_text(status, exact=True).click()
        card.get_by_role("button", name="Doorgeven").click()
        if status != "Vastgelopen":
            expect(card).to_contain_text("Doorgegeven ✓")
    # said in words, and the button is not left waiting for an answer that does not come
    expect(phone.locator('#step [data-slot="error"]')).to_contain_text("Rustig aan")
    expect(card.get_by_role("button", name="Doorgeven")).not_to_have_attribute("aria-disabled", "true")
    expect(card.get_by_text("Vastgelopen", exact=True)).to_be_visible()
    # nor without a connection, where nothing at all comes back
    offline(phone)
    card.get_by_role("button", name="Doorgeven").click()
    expect(card.get_by_role("button", name="Doorgeven")).not_to_have_attribute("aria-disabled", "true")
