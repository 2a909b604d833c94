"""Suggested piles over HTTP: asking changes nothing, accepting is an ordinary grouping, and what changed meanwhile
is skipped and said; plus the keyword page and who may use either."""

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.accounts import service as accounts
from app.answers import service as answers
from app.clusters import service as clusters
from app.clusters import suggest
from app.demo.driver import csrf_of
from app.errors import DomainError
from app.models import Answer, Event
from app.models import Workshop as WorkshopRow
from app.store.database import Database
from tests.clusters.test_clusters import obstacles, post
from tests.conftest import PASSWORD, Facilitator, LimitsClock, Phone, Workshop, receive_until
from tests.rooms import room_in_obstacle_round

HOUSING = ["Te weinig betaalbare woningen", "Geen betaalbare huurwoning te vinden", "Huurwoningen zijn niet betaalbaar"]
YOUTH_CARE = ["Wachtlijsten jeugdzorg", "Kinderen wachten maanden op jeugdzorg", "De wachtlijst bij de jeugdzorg"]
OTHER = ["De bus rijdt niet meer", "Hondenpoep op het gras"]


def room(facilitator: Facilitator, workshop: Workshop, join: Callable[..., Phone], *texts: str) -> list[int]:
    """Obstacles from two phones (each may send ten at once), then the grouping step."""
    ids = obstacles(facilitator, workshop, join(workshop, "Ali"), *texts[:8])
    if texts[8:]:
        ids += obstacles(facilitator, workshop, join(workshop, "Bea"), *texts[8:])
    facilitator.go(workshop, "cluster")
    return ids


def hide(facilitator: Facilitator, workshop: Workshop, answer_id: int) -> None:
    """Hide an obstacle from the projector, as the board's button does."""
    response = facilitator.http.post(
        f"/f/workshops/{workshop.id}/answers/{answer_id}/hidden",
        data={"hidden": "true"},
        headers={"X-CSRF-Token": facilitator.csrf(), "Accept": "application/json"},
    )
    assert response.status_code == 200, response.text


def ask(facilitator: Facilitator, workshop: Workshop) -> Any:
    response = post(facilitator, workshop, "/suggestions", {})
    assert response.status_code == 200, response.text
    return response.json()


def pile_with(suggestions: Any, answer_id: int) -> dict[str, Any]:
    return next(p for p in suggestions["piles"] if answer_id in p["answer_ids"])


def accept(facilitator: Facilitator, workshop: Workshop, *piles: dict[str, Any]) -> Any:
    fields = ("key", "answer_ids", "into", "name", "tension", "theme")
    return post(
        facilitator,
        workshop,
        "/suggestions/accept",
        {"piles": [{f: p[f] for f in fields if f in p} for p in piles]},
    )


def runtime_of(facilitator: Facilitator) -> Any:
    """The running app's runtime, whose database the test reads directly."""
    app: Any = facilitator.http.app
    return app.state.runtime


def stored_piles(facilitator: Facilitator, workshop: Workshop) -> dict[int, int | None]:
    runtime = runtime_of(facilitator)
    rows = runtime.db.read_sync(
        lambda db: db.execute(select(Answer.id, Answer.cluster_id).where(Answer.workshop_id == workshop.id)).all()
    )
    return dict(rows)


def test_asking_proposes_piles_and_changes_nothing(
    facilitator: Facilitator, workshop: Workshop, join: Callable[..., Phone]
) -> None:
    ids = room(facilitator, workshop, join, *HOUSING, *YOUTH_CARE, *OTHER)
    runtime = runtime_of(facilitator)
    events_before = runtime.db.read_sync(lambda db: len(db.execute(select(Event.id)).all()))
    found = ask(facilitator, workshop)
    housing, youth = pile_with(found, ids[0]), pile_with(found, ids[3])
    assert sorted(housing["answer_ids"]) == ids[0:3] and sorted(youth["answer_ids"]) == ids[3:6]
    assert housing["into"] is None and housing["name"] and housing["shared"]
    assert youth["theme"] == "gezondheid" and youth["tension"] == "operationele processen"
    assert found["loose"] == 2 and found["considered"] == 8
    # a mark is a [start, end) of the obstacle's own text
    text = "Wachtlijsten jeugdzorg"
    assert "jeugdzorg" in " ".join(text[s:e] for s, e in youth["marks"][str(ids[3])])
    assert set(stored_piles(facilitator, workshop).values()) == {None}
    assert runtime.db.read_sync(lambda db: len(db.execute(select(Event.id)).all())) == events_before


def test_accepting_is_an_ordinary_grouping_with_the_name_and_tags_kept(
    facilitator: Facilitator, workshop: Workshop, join: Callable[..., Phone]
) -> None:
    ids = room(facilitator, workshop, join, *HOUSING, *YOUTH_CARE, *OTHER)
    found = ask(facilitator, workshop)
    housing, youth = pile_with(found, ids[0]), pile_with(found, ids[3])
    # trimmed (one obstacle left out), renamed, tagged
    trimmed = housing | {"answer_ids": ids[0:2], "name": "Betaalbaar wonen", "tension": "beleid", "theme": "wonen"}
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        projector.receive_json()
        response = accept(facilitator, workshop, trimmed, youth)
        assert response.status_code == 200, response.text
        event = receive_until(projector, lambda f: f.get("kind") == "clusters.changed")
    body = response.json()
    assert sorted(body["accepted"]) == sorted([housing["key"], youth["key"]]) and body["skipped"] == []
    piles = {tuple(p["answers"]): p for p in event["data"]["clusters"]}
    assert piles[tuple(ids[0:2])] | {"id": 0, "answers": []} == {
        "id": 0,
        "name": "Betaalbaar wonen",
        "tension": "beleid",
        "theme": "wonen",
        "focus": False,
        "answers": [],
        "votes": 0,
    }
    assert tuple(ids[3:6]) in piles
    assert stored_piles(facilitator, workshop)[ids[2]] is None  # left out, so still loose
    # asked again, the loose obstacle is proposed for the pile it was left out of
    again = ask(facilitator, workshop)
    addition = pile_with(again, ids[2])
    assert addition["into"] == piles[tuple(ids[0:2])]["id"] and addition["pile_ids"] == ids[0:2]
    assert accept(facilitator, workshop, addition).status_code == 200
    assert stored_piles(facilitator, workshop)[ids[2]] == addition["into"]
    # undone as any grouping is: the obstacle goes back to loose
    assert post(facilitator, workshop, "/clusters/ungroup", {"answer_id": ids[2]}).status_code == 200
    assert stored_piles(facilitator, workshop)[ids[2]] is None


def test_what_changed_meanwhile_is_skipped_and_said(
    facilitator: Facilitator, workshop: Workshop, join: Callable[..., Phone]
) -> None:
    ids = room(facilitator, workshop, join, *HOUSING, *YOUTH_CARE, *OTHER)
    found = ask(facilitator, workshop)
    housing, youth = pile_with(found, ids[0]), pile_with(found, ids[3])
    # meanwhile: one housing obstacle is hidden, one youth obstacle is put on a pile by hand with a loose one
    hide(facilitator, workshop, ids[1])
    assert post(facilitator, workshop, "/clusters/group", {"answer_ids": [ids[5], ids[6]]}).status_code == 200
    response = accept(facilitator, workshop, housing, youth, {"key": "gone", "answer_ids": [ids[7], 999999]})
    assert response.status_code == 200, response.text
    skipped = {(s["key"], s["reason"], tuple(s["answer_ids"])) for s in response.json()["skipped"]}
    assert skipped == {
        (housing["key"], "hidden", (ids[1],)),
        (youth["key"], "moved", (ids[5],)),
        ("gone", "gone", (999999,)),
        ("gone", "too_few", (ids[7],)),
    }
    piles = stored_piles(facilitator, workshop)
    assert piles[ids[0]] == piles[ids[2]] is not None and piles[ids[1]] is None
    assert piles[ids[3]] == piles[ids[4]] != piles[ids[5]] == piles[ids[6]]
    assert piles[ids[7]] is None
    # the same again: nothing left to do, and the board is told so
    again = accept(facilitator, workshop, housing, youth)
    assert again.status_code == 409
    assert "al op een stapel" in again.json()["detail"]


def test_bad_requests_get_a_clear_error(
    facilitator: Facilitator, workshop: Workshop, join: Callable[..., Phone]
) -> None:
    ids = room(facilitator, workshop, join, *HOUSING)
    found = ask(facilitator, workshop)
    housing = pile_with(found, ids[0])
    assert accept(facilitator, workshop, housing | {"tension": "vriendschap"}).status_code == 422
    assert accept(facilitator, workshop, housing | {"theme": "sport"}).status_code == 422
    gone = accept(facilitator, workshop, housing | {"into": 424242})
    assert (gone.status_code, gone.json()["code"]) == (409, "pile_gone")
    # an id is a number: not true (which Python would read as 1) nor a string of digits
    for wrong in (True, str(ids[1])):
        refused = accept(facilitator, workshop, housing | {"answer_ids": [ids[0], wrong]})
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_input"), refused.text
        assert "answer_ids" in refused.json()["detail"]
    # JSON that does not parse names no field (its parser's position would read as one)
    broken = facilitator.http.post(
        f"/f/workshops/{workshop.id}/suggestions/accept",
        content=b'{"piles": [',
        headers={"X-CSRF-Token": facilitator.csrf(), "Accept": "application/json", "Content-Type": "application/json"},
    )
    assert (broken.status_code, broken.json()["detail"]) == (422, "Dit verzoek kunnen we niet lezen."), broken.text
    assert post(facilitator, workshop, "/suggestions/accept", {"piles": []}).status_code == 422
    assert post(facilitator, workshop, "/suggestions/accept", {"piles": [{"key": "x"}]}).status_code == 422
    too_big = {"piles": [{"key": "x", "answer_ids": [ids[0], 2**70]}]}
    assert post(facilitator, workshop, "/suggestions/accept", too_big).status_code == 422
    # more ids in all than a room may have obstacles: refused before anything is looked up
    too_many = {"piles": [{"key": f"k{n}", "answer_ids": list(range(1, 2001))} for n in range(3)]}
    refused = post(facilitator, workshop, "/suggestions/accept", too_many)
    assert (refused.status_code, refused.json()["code"]) == (422, "too_many_accepted")
    assert set(stored_piles(facilitator, workshop).values()) == {None}


def test_obstacles_and_piles_of_another_workshop_are_refused(
    facilitator: Facilitator, workshop: Workshop, join: Callable[..., Phone]
) -> None:
    ids = room(facilitator, workshop, join, *HOUSING)
    other = facilitator.create_workshop()
    theirs = room(facilitator, other, join, *YOUTH_CARE)
    made = post(facilitator, other, "/clusters/group", {"answer_ids": theirs[:2]})
    assert made.status_code == 200, made.text
    pile = made.json()["clusters"][0]["id"]
    refused = accept(facilitator, workshop, {"key": "x", "answer_ids": [ids[0], ids[1], theirs[2]]})
    assert (refused.status_code, refused.json()["code"]) == (422, "not_an_obstacle")
    refused = accept(facilitator, workshop, {"key": "x", "answer_ids": [ids[0]], "into": pile})
    assert (refused.status_code, refused.json()["code"]) == (404, "cluster_not_found")
    assert set(stored_piles(facilitator, workshop).values()) == {None}
    assert stored_piles(facilitator, other)[theirs[2]] is None


def test_asking_too_often_is_refused_for_a_while(
    facilitator: Facilitator, workshop: Workshop, join: Callable[..., Phone], frozen_clock: LimitsClock
) -> None:
    room(facilitator, workshop, join, *HOUSING)
    for _ in range(6):
        ask(facilitator, workshop)
    refused = post(facilitator, workshop, "/suggestions", {})
    assert (refused.status_code, refused.json()["code"]) == (429, "asking_too_often")
    assert 0 < int(refused.headers["retry-after"]) <= 60
    frozen_clock.advance(61)
    assert ask(facilitator, workshop)["piles"]


def test_too_much_text_to_suggest_for_is_refused_with_a_clear_message() -> None:
    long = [suggest.Obstacle(i, "woningnood " * 1000) for i in range(41)]
    with pytest.raises(DomainError) as refused:
        clusters.suggest_piles(long, {})
    assert refused.value.code == "too_much_to_suggest"


def test_no_one_or_only_hidden_obstacles_give_no_piles(
    facilitator: Facilitator, workshop: Workshop, join: Callable[..., Phone]
) -> None:
    facilitator.go(workshop, "cluster")
    assert ask(facilitator, workshop) == {"piles": [], "loose": 0, "considered": 0}
    facilitator.go(workshop, "obstacles")
    ids = room(facilitator, workshop, join, "Wachtlijsten jeugdzorg", "wachtlijsten jeugdzorg!")
    found = ask(facilitator, workshop)
    assert found["piles"][0]["duplicates"] and sorted(found["piles"][0]["answer_ids"]) == ids
    hide(facilitator, workshop, ids[0])
    assert ask(facilitator, workshop) == {"piles": [], "loose": 1, "considered": 1}
    hide(facilitator, workshop, ids[1])
    assert ask(facilitator, workshop) == {"piles": [], "loose": 0, "considered": 0}


def test_only_runners_of_the_workshops_workspace_may_ask_or_accept(
    facilitator: Facilitator,
    other_facilitator: Facilitator,
    workshop: Workshop,
    join: Callable[..., Phone],
    browser: Callable[[], TestClient],
) -> None:
    ids = room(facilitator, workshop, join, *YOUTH_CARE)
    youth = pile_with(ask(facilitator, workshop), ids[0])
    assert post(other_facilitator, workshop, "/suggestions", {}).status_code == 404
    assert accept(other_facilitator, workshop, youth).status_code == 404
    viewer = sign_in_as_viewer(facilitator, workshop, browser())
    assert post(viewer, workshop, "/suggestions", {}).status_code == 403
    assert accept(viewer, workshop, youth).status_code == 403
    # without the CSRF token even the owner is refused: asking costs the server work
    no_token = facilitator.http.post(
        f"/f/workshops/{workshop.id}/suggestions", json={}, headers={"Accept": "application/json"}
    )
    assert no_token.status_code == 403
    assert set(stored_piles(facilitator, workshop).values()) == {None}


def test_a_pile_accepted_by_mistake_is_broken_up_in_one_step(
    facilitator: Facilitator,
    other_facilitator: Facilitator,
    workshop: Workshop,
    join: Callable[..., Phone],
    browser: Callable[[], TestClient],
) -> None:
    ids = room(facilitator, workshop, join, *HOUSING, *YOUTH_CARE)
    housing = pile_with(ask(facilitator, workshop), ids[0])
    assert accept(facilitator, workshop, housing).status_code == 200
    kept = post(facilitator, workshop, "/clusters/group", {"answer_ids": ids[3:5]}).json()["clusters"]
    pile = next(c["id"] for c in kept if ids[0] in c["answers"])
    dissolve = f"/clusters/{pile}/dissolve"
    assert post(other_facilitator, workshop, dissolve, {}).status_code == 404
    assert post(sign_in_as_viewer(facilitator, workshop, browser()), workshop, dissolve, {}).status_code == 403
    done = post(facilitator, workshop, dissolve, {})
    assert done.status_code == 200, done.text
    assert [c["answers"] for c in done.json()["clusters"]] == [ids[3:5]]
    assert [stored_piles(facilitator, workshop)[i] for i in ids[:3]] == [None, None, None]
    again = post(facilitator, workshop, dissolve, {})
    assert (again.status_code, again.json()["code"]) == (404, "cluster_not_found")


def take_back(facilitator: Facilitator, workshop: Workshop, accepted: Any) -> Any:
    """Undo an accept, as the board's "Ongedaan maken" does: with what the accept answered to undo it."""
    return post(facilitator, workshop, "/suggestions/undo", accepted.json()["undo"])


def pile_of(facilitator: Facilitator, workshop: Workshop, answer_id: int) -> dict[str, Any]:
    return next(c for c in clusters_now(facilitator, workshop) if answer_id in c["answers"])


def clusters_now(facilitator: Facilitator, workshop: Workshop) -> Any:
    runtime = runtime_of(facilitator)
    return runtime.db.read_sync(lambda db: clusters.clusters_view(db, workshop_id=workshop.id))


def test_an_accept_is_undone_in_one_step_and_a_pile_it_added_to_gets_its_name_back(
    facilitator: Facilitator, workshop: Workshop, join: Callable[..., Phone]
) -> None:
    ids = room(facilitator, workshop, join, *HOUSING, *YOUTH_CARE, *OTHER)
    housing = pile_with(ask(facilitator, workshop), ids[0])
    assert accept(facilitator, workshop, housing | {"answer_ids": ids[0:2], "name": "Wonen"}).status_code == 200
    housing_pile = pile_of(facilitator, workshop, ids[0])
    again = ask(facilitator, workshop)
    addition, youth = pile_with(again, ids[2]), pile_with(again, ids[3])
    assert addition["into"] == housing_pile["id"]
    renamed = addition | {"name": "Betaalbaar wonen", "tension": "beleid"}
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        projector.receive_json()
        accepted = accept(facilitator, workshop, renamed, youth)
        assert accepted.status_code == 200, accepted.text
        receive_until(projector, lambda f: f.get("kind") == "clusters.changed")
        assert pile_of(facilitator, workshop, ids[2])["name"] == "Betaalbaar wonen"
        assert pile_of(facilitator, workshop, ids[2])["tension"] == "beleid" != housing_pile["tension"]
        undone = take_back(facilitator, workshop, accepted)
        assert undone.status_code == 200, undone.text
        event = receive_until(projector, lambda f: f.get("kind") == "clusters.changed")
    assert undone.json()["loosened"] == 4
    # the projector shows the room as it was before this accept: the first accept's pile, under its own name
    assert event["data"]["clusters"] == [housing_pile]
    piles = stored_piles(facilitator, workshop)
    assert [piles[i] for i in ids[2:6]] == [None] * 4
    # once undone, the piles have changed since the accept: a second undo would undo the undo's own work
    again = take_back(facilitator, workshop, accepted)
    assert (again.status_code, again.json()["code"]) == (409, "changed_since")


def test_an_undo_is_refused_once_the_piles_changed_since_by_anyone(
    facilitator: Facilitator, workshop: Workshop, join: Callable[..., Phone]
) -> None:
    ids = room(facilitator, workshop, join, *HOUSING, *YOUTH_CARE, *OTHER)
    found = ask(facilitator, workshop)
    accepted = accept(facilitator, workshop, pile_with(found, ids[0]), pile_with(found, ids[3]))
    assert accepted.status_code == 200, accepted.text
    youth = pile_of(facilitator, workshop, ids[3])
    # a co-facilitator renames the pile the accept made: that name is theirs, and stays
    assert post(facilitator, workshop, f"/clusters/{youth['id']}", {"name": "Jeugd"}).status_code == 200
    refused = take_back(facilitator, workshop, accepted)
    assert (refused.status_code, refused.json()["code"]) == (409, "changed_since")
    assert pile_of(facilitator, workshop, ids[3]) | {"votes": 0} == youth | {"name": "Jeugd"}
    # the youth pile broken up and made again by hand may get the same id: still not the accept's to undo
    assert post(facilitator, workshop, f"/clusters/{youth['id']}/dissolve", {}).status_code == 200
    assert (
        post(facilitator, workshop, "/clusters/group", {"answer_ids": ids[3:6], "name": "Handwerk"}).status_code == 200
    )
    refused = take_back(facilitator, workshop, accepted)
    assert (refused.status_code, refused.json()["code"]) == (409, "changed_since")
    handwork = pile_of(facilitator, workshop, ids[3])
    assert (handwork["name"], handwork["id"]) == ("Handwerk", youth["id"])  # SQLite gives a deleted last id again
    assert pile_of(facilitator, workshop, ids[0])["answers"] == ids[0:3]


def test_an_undo_is_refused_once_the_vote_has_begun(
    facilitator: Facilitator, workshop: Workshop, join: Callable[..., Phone]
) -> None:
    ids = room(facilitator, workshop, join, *HOUSING, *YOUTH_CARE)
    found = ask(facilitator, workshop)
    accepted = accept(facilitator, workshop, pile_with(found, ids[0]), pile_with(found, ids[3]))
    assert accepted.status_code == 200, accepted.text
    facilitator.go(workshop, "vote")
    before = clusters_now(facilitator, workshop)
    refused = take_back(facilitator, workshop, accepted)
    assert (refused.status_code, refused.json()["code"]) == (409, "vote_started")
    assert clusters_now(facilitator, workshop) == before


def test_an_undo_is_refused_for_piles_of_another_workshop_and_for_bad_tags(
    facilitator: Facilitator, other_facilitator: Facilitator, workshop: Workshop, join: Callable[..., Phone]
) -> None:
    ids = room(facilitator, workshop, join, *HOUSING)
    accepted = accept(facilitator, workshop, pile_with(ask(facilitator, workshop), ids[0]))
    undo = accepted.json()["undo"]
    pile = undo["piles"][0]["pile"]
    assert undo["piles"] == [{"pile": pile, "answer_ids": ids, "before": None}]
    other = facilitator.create_workshop()
    theirs = room(facilitator, other, join, *YOUTH_CARE)
    made = post(facilitator, other, "/clusters/group", {"answer_ids": theirs[:2]}).json()["clusters"][0]["id"]
    # the other workshop's pile, with this workshop's last event: refused before anything is touched
    foreign = {"piles": [{"pile": made, "answer_ids": theirs[:2]}], "seq": undo["seq"]}
    refused = post(facilitator, workshop, "/suggestions/undo", foreign)
    assert (refused.status_code, refused.json()["code"]) == (404, "cluster_not_found")
    assert post(other_facilitator, workshop, "/suggestions/undo", undo).status_code == 404
    # a pile's name and tags are put back only as a facilitator could set them
    tagged = undo | {"piles": [undo["piles"][0] | {"before": {"name": "Wonen", "tension": "vriendschap"}}]}
    refused = post(facilitator, workshop, "/suggestions/undo", tagged)
    assert (refused.status_code, refused.json()["code"]) == (422, "unknown_tension"), refused.text
    for wrong in ({"piles": [], "seq": undo["seq"]}, {"piles": undo["piles"]}, undo | {"seq": -1}):
        assert post(facilitator, workshop, "/suggestions/undo", wrong).status_code == 422
    # nothing of a refused undo is kept
    assert set(stored_piles(facilitator, workshop).values()) == {pile}
    assert stored_piles(facilitator, other)[theirs[0]] == made


def sign_in_as_viewer(owner: Facilitator, workshop: Workshop, http: TestClient) -> Facilitator:
    """A meekijker of the workshop's workspace, signed in in a browser of their own."""
    runtime = runtime_of(owner)

    def add(db: Any) -> None:
        row = db.get(WorkshopRow, workshop.id)
        accounts.create_facilitator(
            db, email="mees@kijk.nl", name="Mees", password=PASSWORD, workspace_id=row.workspace_id, role="meekijker"
        )

    runtime.db.write_sync(add)
    login = http.get("/f/login")
    response = http.post(
        "/f/login",
        data={"csrf": csrf_of(login.text), "email": "mees@kijk.nl", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return Facilitator(http=http, email="mees@kijk.nl")


def test_the_keyword_list_is_the_workspaces_own_once_saved(
    facilitator: Facilitator,
    workshop: Workshop,
    join: Callable[..., Phone],
    browser: Callable[[], TestClient],
) -> None:
    page = facilitator.http.get("/f/trefwoorden")
    assert page.status_code == 200 and "Standaardlijst" in page.text and "wonen: woning" in page.text
    assert 'href="/f/trefwoorden"' in facilitator.http.get("/f/workshops").text
    bad = facilitator.http.post(
        "/f/trefwoorden", data={"csrf": facilitator.csrf(), "words": "wonen: huis\nvriendschap: maatje\nwonen: dak"}
    )
    assert bad.status_code == 422
    assert "Regel 2" in bad.text and "Regel 3: ‘wonen’ staat al op regel 1" in bad.text
    saved = facilitator.http.post(
        "/f/trefwoorden",
        data={"csrf": facilitator.csrf(), "words": "machtskwesties: jeugdzorg\nveiligheid: wachtlijst, Wachtlijst"},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/f/trefwoorden?saved=own"
    page = facilitator.http.get("/f/trefwoorden?saved=own")
    assert "Eigen lijst" in page.text and "veiligheid: wachtlijst\n" in page.text
    ids = room(facilitator, workshop, join, *YOUTH_CARE)
    youth = pile_with(ask(facilitator, workshop), ids[0])
    assert (youth["tension"], youth["theme"]) == ("machtskwesties", "veiligheid")
    viewer = sign_in_as_viewer(facilitator, workshop, browser())
    assert viewer.http.get("/f/trefwoorden").status_code == 200
    refused = viewer.http.post("/f/trefwoorden", data={"csrf": viewer.csrf(), "words": "wonen: huis"})
    assert refused.status_code == 403
    # an empty list of its own proposes no tags, and the page says so
    emptied = facilitator.http.post("/f/trefwoorden", data={"csrf": facilitator.csrf(), "words": ""})
    assert 'id="keywords-empty"' in emptied.text
    assert (pile_with(ask(facilitator, workshop), ids[0])["tension"]) is None
    reset = facilitator.http.post(
        "/f/trefwoorden", data={"csrf": facilitator.csrf(), "action": "reset"}, follow_redirects=False
    )
    assert reset.headers["location"] == "/f/trefwoorden?saved=reset"
    assert "Standaardlijst" in facilitator.http.get("/f/trefwoorden").text


async def overlapping_accepts(first: Database, second: Database) -> None:
    """Two boards accept overlapping suggestions at once: no obstacle ends up on two piles, the later is told."""

    def setup(s: Any) -> tuple[int, list[int]]:
        made = room_in_obstacle_round(s, participants=1)
        ids = [
            answers.submit_answer(
                s,
                workshop_id=made.workshop_id,
                participant_id=made.participant_ids[0],
                step_id="obstacles",
                text=f"Wachtlijst jeugdzorg {i}",
                client_id=f"00000000-0000-4000-8000-00000000000{i}",
            ).answer_id
            for i in range(5)
        ]
        return made.workshop_id, ids

    workshop_id, ids = await first.write(setup)
    one = clusters.AcceptedPile(key="a", answer_ids=ids[0:3], name="Eerste")
    other = clusters.AcceptedPile(key="b", answer_ids=ids[2:5], name="Tweede")
    both = one, other
    results = await asyncio.gather(
        *(
            db.write(lambda s, p=p: clusters.accept_piles(s, workshop=s.get(WorkshopRow, workshop_id), piles=[p]))
            for db, p in zip((first, second), both, strict=True)
        ),
        return_exceptions=True,
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    skipped = [s for r in results for s in r["skipped"]]
    # whichever came second found the shared obstacle on the other pile already, and says so
    assert [(s["reason"], s["answer_ids"]) for s in skipped] == [("moved", [ids[2]])]
    rows = await first.read(
        lambda s: s.execute(select(Answer.id, Answer.cluster_id).where(Answer.workshop_id == workshop_id)).all()
    )
    piles = dict(rows)
    assert len({piles[i] for i in ids}) == 2 and None not in {piles[i] for i in ids}
    assert piles[ids[0]] == piles[ids[1]] and piles[ids[3]] == piles[ids[4]]
    # and a third board accepting the same again changes nothing: a clear refusal
    with pytest.raises(DomainError) as refused:
        await second.write(lambda s: clusters.accept_piles(s, workshop=s.get(WorkshopRow, workshop_id), piles=[one]))
    assert refused.value.code == "suggestions_outdated"


async def test_two_boards_accepting_overlapping_suggestions_at_once(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 's.db'}")
    db.migrate()

    async def publish(events: list[Event]) -> None:
        pass

    await db.start(publish)
    try:
        await overlapping_accepts(db, db)
    finally:
        await db.stop()


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("DOORBRAAK_TEST_DATABASE_URL"), reason="DOORBRAAK_TEST_DATABASE_URL is not set")
async def test_two_processes_accepting_overlapping_suggestions_at_once() -> None:
    from tests.test_postgres import two_writers

    events: list[Event] = []
    first, second = await two_writers(events)
    try:
        await overlapping_accepts(first, second)
    finally:
        await first.stop()
        await second.stop()


def test_without_a_sentence_model_nothing_is_read_ahead(
    facilitator: Facilitator, workshop: Workshop, join: Callable[..., Phone]
) -> None:
    room(facilitator, workshop, join, *HOUSING)
    assert post(facilitator, workshop, "/suggestions/ahead", {}).json() == {"reading": 0}
    assert '"reads_ahead": false' in facilitator.http.get(f"/f/workshops/{workshop.id}").text
