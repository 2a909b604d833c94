"""Piles rank alike on the server and in the browser, ties included."""

from collections.abc import Callable
from typing import Any

import pytest

from app.clusters.service import pile_rank

pytestmark = pytest.mark.e2e

# ties on votes with names in another order than the ids (the exports once broke ties by name), a pile without
# votes, and one that overtakes on votes
PILES = [
    {"id": 7, "name": "Armoede", "votes": 2},
    {"id": 3, "name": "Zwerfafval", "votes": 2},
    {"id": 5, "name": "Eenzaamheid", "votes": 0},
    {"id": 4, "name": "Wonen", "votes": 6},
    {"id": 9, "name": "Meldingen", "votes": 2},
]


def test_the_board_and_projector_rank_piles_by_the_servers_rule(new_context: Callable[..., Any]) -> None:
    page = new_context().new_page()
    page.goto("/")
    # the board and the projector apply a vote change through room.js, which re-ranks the piles they hold
    ranked = page.evaluate(
        """async (piles) => {
            const { applyFrame, newRoom } = await import("/static/js/room.js");
            const state = newRoom();
            state.clusters = piles.map((pile) => ({ id: pile.id, name: pile.name, votes: 0 }));
            const votes = Object.fromEntries(piles.map((pile) => [pile.id, pile.votes]));
            applyFrame(state, { type: "event", kind: "votes.changed", data: { votes } }, { keepHidden: false });
            return state.clusters.map((pile) => pile.id);
        }""",
        PILES,
    )
    server = sorted(PILES, key=lambda pile: pile_rank(votes=pile["votes"], pile_id=pile["id"]))
    assert ranked == [pile["id"] for pile in server] == [4, 3, 7, 9, 5]
