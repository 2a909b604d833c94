"""Clustering obstacles, tagging and focusing clusters, and dot voting."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.answers import service as answers
from app.clusters import service as clusters
from app.clusters import suggest
from app.errors import DomainError
from app.models import Event, Vote
from app.running import service as running
from app.store.database import Database
from tests.conftest import Facilitator, Phone, Workshop, receive_until
from tests.rooms import room_in_obstacle_round, staff_of


def obstacles(facilitator: Facilitator, workshop: Workshop, phone: Phone, *texts: str) -> list[int]:
    """Send obstacles from a phone; returns their ids."""
    facilitator.go(workshop, "obstacles")
    ids = []
    with phone.connect() as ws:
        ws.receive_json()
        for text in texts:
            ws.send_text(phone.answer_frame(text))
            ids.append(ws.receive_json()["answer_id"])
    return ids


def post(facilitator: Facilitator, workshop: Workshop, path: str, body: dict[str, Any]) -> Any:
    return facilitator.http.post(
        f"/f/workshops/{workshop.id}{path}",
        json=body,
        headers={"X-CSRF-Token": facilitator.csrf(), "Accept": "application/json"},
    )


def board_clusters(facilitator: Facilitator, workshop: Workshop) -> list[dict[str, Any]]:
    with facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board:
        return board.receive_json()["clusters"]  # type: ignore[no-any-return]


def test_group_merge_rename_tag_and_split(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    a, b, c, d = obstacles(facilitator, workshop, join(workshop), "loketten", "intake", "potjes", "mandaat")
    facilitator.go(workshop, "cluster")
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        projector.receive_json()
        first = post(facilitator, workshop, "/clusters/group", {"answer_ids": [a, b], "name": "Versnippering"})
        assert first.status_code == 200
        (pile,) = first.json()["clusters"]
        assert (pile["name"], pile["answers"]) == ("Versnippering", [a, b])
        event = receive_until(projector, lambda f: f.get("kind") == "clusters.changed")
        assert event["data"]["clusters"][0]["answers"] == [a, b]
    second = post(facilitator, workshop, "/clusters/group", {"answer_ids": [c, d]}).json()["clusters"]
    other = next(x for x in second if x["id"] != pile["id"])
    assert other["name"] == "potjes"  # a new pile is named after its first obstacle
    # dropping one obstacle of a pile onto another merges the whole pile
    merged = post(facilitator, workshop, "/clusters/group", {"answer_ids": [c], "into": pile["id"]}).json()
    assert [(x["id"], x["answers"]) for x in merged["clusters"]] == [(pile["id"], [a, b, c, d])]
    tagged = post(
        facilitator,
        workshop,
        f"/clusters/{pile['id']}",
        {"name": "Hulp in stukjes", "tension": "operationele processen", "theme": "gezondheid"},
    ).json()
    assert tagged["clusters"][0] | {"answers": None} == {
        "id": pile["id"],
        "name": "Hulp in stukjes",
        "tension": "operationele processen",
        "theme": "gezondheid",
        "focus": False,
        "answers": None,
        "votes": 0,
    }
    split = post(facilitator, workshop, "/clusters/ungroup", {"answer_id": d}).json()
    assert split["clusters"][0]["answers"] == [a, b, c]
    assert board_clusters(facilitator, workshop)[0]["name"] == "Hulp in stukjes"


# a right-to-left override that turns the rest around, zero-width spaces and joiners, a terminal escape code
DIRTY_NAME = "Ver\u202esnip\u202cpe\u200bring\u200d \x1b[31m\x07  nu"


def test_a_pile_name_is_cleaned_like_every_other_text(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    a, b, c = obstacles(facilitator, workshop, join(workshop), "loketten", "intake", "potjes")
    facilitator.go(workshop, "cluster")
    grouped = post(facilitator, workshop, "/clusters/group", {"answer_ids": [a, b], "name": DIRTY_NAME}).json()
    assert grouped["clusters"][0]["name"] == "Versnippering [31m nu"
    pile = grouped["clusters"][0]["id"]
    renamed = post(facilitator, workshop, f"/clusters/{pile}", {"name": "\u2066Regie\u2069\ufeff\nkwijt\x1b"}).json()
    assert renamed["clusters"][0]["name"] == "Regie kwijt"
    invisible = post(facilitator, workshop, f"/clusters/{pile}", {"name": "\u200b\u202e\x1b"})
    assert invisible.status_code == 422 and "naam" in invisible.json()["detail"]
    accepted = post(
        facilitator,
        workshop,
        "/suggestions/accept",
        {"piles": [{"key": "k", "answer_ids": [c], "into": pile, "name": "\u202dGeld\u200c potjes"}]},
    ).json()
    assert [x["name"] for x in accepted["clusters"]] == ["Geld potjes"]
    assert board_clusters(facilitator, workshop)[0]["name"] == "Geld potjes"


# 251 letters in words of one length: a cut at 200 letters fell in the middle of one of them
LONG_PILE_NAME = " ".join(["Jeugdhulp", "wachtlijst"] * 12)


def test_a_long_typed_pile_name_stops_after_a_whole_word_as_a_suggested_one_does(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    a, b, c, d = obstacles(facilitator, workshop, join(workshop), "loketten", "intake", "potjes", "regels")
    facilitator.go(workshop, "cluster")
    grouped = post(facilitator, workshop, "/clusters/group", {"answer_ids": [a, b], "name": LONG_PILE_NAME}).json()
    name = grouped["clusters"][0]["name"]
    assert len(name) <= clusters.MAX_NAME and LONG_PILE_NAME.startswith(name), name
    assert LONG_PILE_NAME[len(name)] == " ", f"cut mid-word: {name[-12:]!r}"
    # renamed with it, and in a suggestion taken over with it: the same name (the rule of app/clusters/suggest.py)
    pile = grouped["clusters"][0]["id"]
    post(facilitator, workshop, f"/clusters/{pile}", {"name": "Kort"})
    renamed = post(facilitator, workshop, f"/clusters/{pile}", {"name": LONG_PILE_NAME}).json()
    assert renamed["clusters"][0]["name"] == name
    accepted = post(
        facilitator,
        workshop,
        "/suggestions/accept",
        {"piles": [{"key": "k", "answer_ids": [c, d], "name": LONG_PILE_NAME}]},
    ).json()
    assert [x["name"] for x in accepted["clusters"]] == [name, name]
    assert name == suggest.whole_words(LONG_PILE_NAME)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"tension": "chaos"}, 422, "zeven spanningsclusters"),
        ({"theme": "sport"}, 422, "thema"),
        ({"name": "  "}, 422, "naam"),
    ],
)
def test_bad_cluster_changes_get_a_clear_error(
    facilitator: Facilitator, workshop: Workshop, join: Any, body: dict[str, Any], status: int, message: str
) -> None:
    a, b = obstacles(facilitator, workshop, join(workshop), "iets", "nog iets")
    (pile,) = post(facilitator, workshop, "/clusters/group", {"answer_ids": [a, b]}).json()["clusters"]
    response = post(facilitator, workshop, f"/clusters/{pile['id']}", body)
    assert response.status_code == status and message in response.json()["detail"]
    assert board_clusters(facilitator, workshop)[0]["name"] == "iets"  # unchanged


def test_a_new_pile_of_one_obstacle_is_refused_and_nothing_changes(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    a, b, c = obstacles(facilitator, workshop, join(workshop), "een", "twee", "drie")
    for chosen in ([a], [a, a]):
        response = post(facilitator, workshop, "/clusters/group", {"answer_ids": chosen, "name": "Alleen"})
        assert response.status_code == 400 and response.json()["code"] == "pile_of_one"
        assert "Een stapel heeft minstens twee obstakels" in response.json()["detail"]
    assert board_clusters(facilitator, workshop) == []
    # one obstacle onto a pile, or one of a pile onto a new one (its pile comes along), still works
    (pile,) = post(facilitator, workshop, "/clusters/group", {"answer_ids": [a, b]}).json()["clusters"]
    (grown,) = post(facilitator, workshop, "/clusters/group", {"answer_ids": [c], "into": pile["id"]}).json()[
        "clusters"
    ]
    assert grown["answers"] == [a, b, c]
    (moved,) = post(facilitator, workshop, "/clusters/group", {"answer_ids": [c], "name": "Nieuw"}).json()["clusters"]
    assert (moved["name"], moved["answers"]) == ("Nieuw", [a, b, c])


def test_only_this_workshops_obstacles_can_be_grouped(
    facilitator: Facilitator, other_facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    (mine,) = obstacles(facilitator, workshop, join(workshop), "hier")
    theirs_workshop = other_facilitator.create_workshop(title="Elders")
    (theirs,) = obstacles(other_facilitator, theirs_workshop, join(theirs_workshop), "daar")
    response = post(facilitator, workshop, "/clusters/group", {"answer_ids": [mine, theirs]})
    assert response.status_code == 422
    assert post(other_facilitator, workshop, "/clusters/group", {"answer_ids": [mine]}).status_code == 404
    assert post(facilitator, workshop, "/clusters/group", {"answer_ids": []}).status_code == 422
    assert board_clusters(facilitator, workshop) == []


def test_vote_step_makes_every_obstacle_votable_and_counts_dots(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    alice, bob = join(workshop, name="Alice"), join(workshop, name="Bob")
    a, b, c = obstacles(facilitator, workshop, alice, "een", "twee", "drie")
    post(facilitator, workshop, "/clusters/group", {"answer_ids": [a, b], "name": "Eén en twee"})
    facilitator.go(workshop, "vote")
    with (
        facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector,
        alice.connect() as pa,
        bob.connect() as pb,
    ):
        projector.receive_json()
        snap = pa.receive_json()
        pb.receive_json()
        by_items = {tuple(x["items"]): x["id"] for x in snap["clusters"]}
        assert set(by_items) == {("een", "twee"), ("drie",)}  # the loose obstacle got a pile of its own
        piles = {(a, b): by_items[("een", "twee")], (c,): by_items[("drie",)]}
        assert "votes" not in snap["clusters"][0]  # phones don't see the running tally
        pa.send_text(json.dumps({"type": "votes", "allocation": {piles[(a, b)]: 2, piles[(c,)]: 1}}))
        assert pa.receive_json() == {"type": "votes_ack", "allocation": {str(piles[(a, b)]): 2, str(piles[(c,)]): 1}}
        pb.send_text(json.dumps({"type": "votes", "allocation": {piles[(c,)]: 3}}))
        assert pb.receive_json()["type"] == "votes_ack"
        # moving a dot is a new allocation
        pa.send_text(json.dumps({"type": "votes", "allocation": {piles[(a, b)]: 1, piles[(c,)]: 2}}))
        pa.receive_json()
        tallies = [projector.receive_json() for _ in range(3)]
        assert [f["kind"] for f in tallies] == ["votes.changed"] * 3
        assert tallies[-1]["data"]["votes"] == {str(piles[(a, b)]): 1, str(piles[(c,)]): 5}
        pa.send_text(json.dumps({"type": "votes", "allocation": {piles[(c,)]: 4}}))
        error = pa.receive_json()
        assert (error["code"], error["request"]) == ("too_many_dots", "votes") and "3 stippen" in error["message"]
        pa.send_text(json.dumps({"type": "votes", "allocation": {"999": 1}}))
        assert pa.receive_json()["code"] == "cluster_not_found"
        pa.send_text(json.dumps({"type": "votes", "allocation": {piles[(c,)]: -1}}))
        assert pa.receive_json()["code"] == "bad_votes"
        pa.send_text(json.dumps({"type": "votes", "allocation": "alles"}))
        assert pa.receive_json()["code"] == "bad_message"
    ranking = board_clusters(facilitator, workshop)
    assert [(x["answers"], x["votes"]) for x in ranking] == [([c], 5), ([a, b], 1)]


def test_votes_are_refused_outside_the_vote_step(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    phone = join(workshop)
    (a,) = obstacles(facilitator, workshop, phone, "een")
    facilitator.go(workshop, "vote")
    (pile,) = board_clusters(facilitator, workshop)
    facilitator.go(workshop, "contributions")  # the vote is closed
    with phone.connect() as ws:
        ws.receive_json()
        ws.send_text(json.dumps({"type": "votes", "allocation": {pile["id"]: 1}}))
        assert ws.receive_json()["code"] == "vote_closed"
    assert board_clusters(facilitator, workshop)[0]["votes"] == 0


def test_a_pile_with_dots_cannot_be_emptied_but_can_be_merged(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop)
    a, b = obstacles(facilitator, workshop, phone, "een", "twee")
    facilitator.go(workshop, "vote")
    piles = {x["answers"][0]: x["id"] for x in board_clusters(facilitator, workshop)}
    with phone.connect() as ws:
        ws.receive_json()
        ws.send_text(json.dumps({"type": "votes", "allocation": {piles[a]: 2, piles[b]: 1}}))
        ws.receive_json()
    # splitting the last obstacle off a voted pile would throw its dots away: it gets a new pile at once instead
    post(facilitator, workshop, "/clusters/ungroup", {"answer_id": b})
    assert sum(x["votes"] for x in board_clusters(facilitator, workshop)) == 3
    merged = post(facilitator, workshop, "/clusters/group", {"answer_ids": [b], "into": piles[a]}).json()
    assert [(x["answers"], x["votes"]) for x in merged["clusters"]] == [([a, b], 3)]  # dots moved along


def test_dots_can_only_change_before_anyone_voted(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    phone = join(workshop)
    obstacles(facilitator, workshop, phone, "een")
    assert post(facilitator, workshop, "/settings", {"dots": 5}).json()["dots"] == 5
    facilitator.go(workshop, "vote")
    (pile,) = board_clusters(facilitator, workshop)
    with phone.connect() as ws:
        ws.receive_json()
        ws.send_text(json.dumps({"type": "votes", "allocation": {pile["id"]: 5}}))
        assert ws.receive_json()["type"] == "votes_ack"
    response = post(facilitator, workshop, "/settings", {"dots": 2})
    assert response.status_code == 409 and "gestemd" in response.json()["detail"]
    assert post(facilitator, workshop, "/settings", {"dots": 99}).status_code == 422


def test_focus_limits_the_contribution_round(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    phone = join(workshop)
    a, b = obstacles(facilitator, workshop, phone, "belangrijk", "bijzaak")
    facilitator.go(workshop, "vote")
    piles = {x["answers"][0]: x["id"] for x in board_clusters(facilitator, workshop)}
    post(facilitator, workshop, f"/clusters/{piles[a]}", {"focus": True})
    post(facilitator, workshop, "/settings", {"focus_only": True})
    facilitator.go(workshop, "contributions")
    with phone.connect() as ws:
        assert ws.receive_json()["options"] == [{"id": a, "text": "belangrijk"}]
        ws.send_text(phone.answer_frame("ik help", step="contributions", links_to=b))
        assert ws.receive_json()["code"] == "pick_link"
        ws.send_text(phone.answer_frame("ik help", step="contributions", links_to=a))
        assert ws.receive_json()["type"] == "ack"


async def test_the_dot_limit_holds_under_concurrency(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'v.db'}")
    db.migrate()

    async def publish(events: list[Event]) -> None:
        pass

    await db.start(publish)
    try:

        def setup(s: Any) -> tuple[int, list[int]]:
            room = room_in_obstacle_round(s, participants=40)
            for i in range(4):
                answers.submit_answer(
                    s,
                    workshop_id=room.workshop_id,
                    participant_id=room.participant_ids[0],
                    step_id="obstacles",
                    text=f"o{i}",
                    client_id=f"00000000-0000-4000-8000-00000000000{i}",
                )
            running.move_step(s, workshop_id=room.workshop_id, member=staff_of(s, room.workshop_id), to=3)
            return room.workshop_id, [c["id"] for c in clusters.clusters_view(s, workshop_id=room.workshop_id)]

        workshop_id, piles = await db.write(setup)

        def vote(participant: int, allocation: dict[int, int]) -> Any:
            return db.write(
                lambda s: clusters.set_votes(
                    s, workshop_id=workshop_id, participant_id=participant, allocation=allocation
                )
            )

        # 40 phones at once, and phone 1 also fires three competing full allocations at the same moment
        jobs = [vote(p, {piles[p % 4]: 3}) for p in range(1, 41)]
        jobs += [vote(1, {piles[0]: 3}), vote(1, {piles[1]: 2, piles[2]: 1}), vote(1, {piles[3]: 4})]
        results = await asyncio.gather(*jobs, return_exceptions=True)
        refused = [r for r in results if isinstance(r, DomainError)]
        assert [r.code for r in refused] == ["too_many_dots"]
        per_phone = await db.read(
            lambda s: s.execute(select(Vote.participant_id, func.count()).group_by(Vote.participant_id)).all()
        )
        assert len(per_phone) == 40 and all(n == 3 for _, n in per_phone)
    finally:
        await db.stop()


def test_dots_resent_after_the_vote_closed_are_acknowledged_only_when_they_were_stored(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop)
    (a,) = obstacles(facilitator, workshop, phone, "een")
    facilitator.go(workshop, "vote")
    (pile,) = board_clusters(facilitator, workshop)
    with phone.connect() as ws:
        ws.receive_json()
        ws.send_text(json.dumps({"type": "votes", "allocation": {pile["id"]: 2}}))
        assert receive_until(ws, lambda f: f["type"] in ("votes_ack", "error"))["type"] == "votes_ack"
    facilitator.go(workshop, "contributions")
    with phone.connect() as ws:
        ws.receive_json()
        ws.send_text(json.dumps({"type": "votes", "allocation": {pile["id"]: 2}}))
        again = receive_until(ws, lambda f: f["type"] in ("votes_ack", "error"))
        assert (again["type"], again["allocation"]) == ("votes_ack", {str(pile["id"]): 2})
        ws.send_text(json.dumps({"type": "votes", "allocation": {pile["id"]: 3}}))
        assert receive_until(ws, lambda f: f["type"] in ("votes_ack", "error"))["code"] == "vote_closed"
    assert board_clusters(facilitator, workshop)[0]["votes"] == 2
