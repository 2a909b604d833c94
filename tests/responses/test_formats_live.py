"""Every shipped format driven through all its steps over websockets, and each step type's own rules."""

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from app.catalog.service import formats
from app.models import Organisation
from app.responses import service as responses
from tests.conftest import Facilitator, Phone, Workshop, receive_until


def post(facilitator: Facilitator, workshop: Workshop, path: str, body: dict[str, Any]) -> Any:
    return facilitator.http.post(
        f"/f/workshops/{workshop.id}{path}",
        json=body,
        headers={"X-CSRF-Token": facilitator.csrf(), "Accept": "application/json"},
    )


def earlier_session_with_actions(facilitator: Facilitator, *titles: str) -> Workshop:
    """A doorbraak workshop that agreed these actions (a follow-up looks back on them)."""
    earlier = facilitator.create_workshop(title="Eerste doorbraak")
    facilitator.go(earlier, "actions")
    for title in titles:
        response = post(facilitator, earlier, "/actions", {"title": title, "owner_organisation": "Woonstichting"})
        assert response.status_code == 200, response.text
    return earlier


def tap(ws: Any, message: dict[str, Any], reply: str) -> dict[str, Any]:
    """Send a tap and wait for its acknowledgement (or an error)."""
    ws.send_text(json.dumps(message))
    return receive_until(ws, lambda f: f["type"] in (reply, "error"))


def do_the_step(step: dict[str, Any], facilitator: Facilitator, workshop: Workshop, phone: Any, staff: Any) -> None:
    """What a room does in a step of this type, checked on the phone and on the projector."""
    kind = step["type"]
    if kind == "open_text":
        # two answers where the step takes several: a cluster step that groups them makes a pile of two (a pile of
        # one is refused)
        for number in (1, 2) if step.get("multiple", True) else (1,):
            message = {
                "type": "answer",
                "client_id": str(uuid.uuid4()),
                "step": step["id"],
                "text": f"antwoord {number} bij {step['id']}",
            }
            if step.get("links_to"):
                phone.send_text(json.dumps({"type": "refresh"}))
                options = receive_until(phone, lambda f: f["type"] == "snapshot")["options"]
                message["links_to"] = options[0]["id"]
            if step.get("themes"):
                message["theme"] = "wonen"
            phone.send_text(json.dumps(message))
            reply = receive_until(phone, lambda f: f["type"] in ("ack", "error"))
            assert reply["type"] == "ack", reply
            seen = receive_until(staff, lambda f: f.get("kind") == "answer.created")
            assert seen["data"]["step"] == step["id"]
    elif kind in ("grade", "choice"):
        value = 7 if kind == "grade" else [1]
        ack = tap(phone, {"type": "response", "step": step["id"], "value": value}, "response_ack")
        assert ack["values"] == ([7] if kind == "grade" else [1])
        tally = receive_until(staff, lambda f: f.get("kind") == "response.tally")["data"]
        assert (tally["step"], tally["tally"]["count"]) == (step["id"], 1)
    elif kind == "cluster":
        snapshot = facilitator.http.get(f"/api/workshops/{workshop.id}/answers").json()
        ids = [a["id"] for a in snapshot if a["step_id"] == step["source"]]
        assert post(facilitator, workshop, "/clusters/group", {"answer_ids": ids}).status_code == 200
        receive_until(staff, lambda f: f.get("kind") == "clusters.changed")
    elif kind == "dot_vote":
        phone.send_text(json.dumps({"type": "refresh"}))
        piles = receive_until(phone, lambda f: f["type"] == "snapshot")["clusters"]
        ack = tap(phone, {"type": "votes", "allocation": {str(piles[0]["id"]): 2}}, "votes_ack")
        assert ack["allocation"] == {str(piles[0]["id"]): 2}
    elif kind == "actions":
        created = post(facilitator, workshop, "/actions", {"title": "Eén loket", "owner_organisation": "Gemeente"})
        action = receive_until(phone, lambda f: f.get("kind") == "action.saved")["data"]
        assert action["id"] == created.json()["id"]
        ack = tap(phone, {"type": "volunteer", "action_id": action["id"], "joining": True}, "volunteer_ack")
        assert ack["joining"] is True
    elif kind == "action_review":
        phone.send_text(json.dumps({"type": "refresh"}))
        items = receive_until(phone, lambda f: f["type"] == "snapshot")["review"]["items"]
        assert items, "the follow-up opens with the earlier session's open actions"
        report = {"type": "review", "action_id": items[0]["id"], "status": "bezig", "note": "Eerste gesprek gevoerd"}
        ack = tap(phone, report, "review_ack")
        assert (ack["item"]["before"], ack["item"]["status"]) == ("open", "bezig")
        receive_until(staff, lambda f: f.get("kind") == "review.saved")


@pytest.mark.parametrize("key", sorted(formats()))
def test_every_shipped_format_runs_through_all_its_steps(key: str, facilitator: Facilitator, join: Any) -> None:
    if key == "vervolgsessie":
        earlier_session_with_actions(facilitator, "Huiskamer in de flat")
    workshop = facilitator.create_workshop(format_key=key)
    steps = formats()[key].step_dicts()
    phone: Phone = join(workshop)
    with phone.connect() as ws, facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board:
        assert ws.receive_json()["type"] == "snapshot"
        board.receive_json()
        for index, step in enumerate(steps):
            if index:
                assert facilitator.step(workshop, "next").status_code == 200
                change = receive_until(ws, lambda f: f.get("kind") == "step.changed")
                assert change["data"]["step_index"] == index
                receive_until(board, lambda f: f.get("kind") == "step.changed")
            do_the_step(step, facilitator, workshop, ws, board)
        assert change["data"]["closed"] is True


def mosaic_room(facilitator: Facilitator, join: Any, grades: list[list[int]]) -> tuple[Workshop, list[Phone]]:
    """A netwerkmozaiek where each phone gives its grades for the seven blocks in turn."""
    workshop = facilitator.create_workshop(format_key="netwerkmozaiek")
    phones = [join(workshop, name=f"P{i}") for i in range(len(grades))]
    blocks = [step.id for step in formats()["netwerkmozaiek"].steps if step.type == "grade"]
    sockets = [phone.connect().__enter__() for phone in phones]
    for ws in sockets:
        ws.receive_json()
    for block, step_id in enumerate(blocks):
        facilitator.go(workshop, step_id)
        for ws, mine in zip(sockets, grades, strict=True):
            ack = tap(ws, {"type": "response", "step": step_id, "value": mine[block]}, "response_ack")
            assert ack["values"] == [mine[block]]
    for ws in sockets:
        ws.__exit__(None, None, None)
    return workshop, phones


def test_the_mosaic_shows_mean_spread_count_and_the_weakest_block(facilitator: Facilitator, join: Any) -> None:
    grades = [[8, 7, 6, 9, 5, 8, 7], [6, 7, 8, 9, 3, 8, 7], [7, 7, 7, 9, 4, 8, 7]]
    workshop, phones = mosaic_room(facilitator, join, grades)
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        projector.receive_json()
        facilitator.go(workshop, "mozaiek")
        mosaic = receive_until(projector, lambda f: f.get("kind") == "step.changed")["data"]["mosaic"]
    tiles = {tile["tile"]["nl"]: tile for tile in mosaic["tiles"]}
    assert list(tiles) == ["Opgave", "Waarde", "Samen doen", "Verankering", "Deelname", "Binding", "Organisatie"]
    assert (tiles["Opgave"]["mean"], tiles["Opgave"]["count"], tiles["Opgave"]["spread"]) == (7.0, 3, 0.82)
    assert tiles["Waarde"]["spread"] == 0.0
    assert mosaic["weakest"] == "deelname_cijfer"
    # the colour band every screen and export uses: Verankering 9 good, Opgave 7 fair, Deelname 4 poor
    assert [tiles[name]["level"] for name in ("Verankering", "Opgave", "Deelname")] == ["good", "fair", "poor"]
    # a phone that reconnects at the mosaic gets it in its snapshot
    with phones[0].connect() as ws:
        assert ws.receive_json()["mosaic"]["weakest"] == "deelname_cijfer"


def test_a_mosaic_of_one_grade_everywhere_marks_no_block_and_a_tie_for_the_lowest_marks_both(
    facilitator: Facilitator, join: Any
) -> None:
    # every block a 6: none asks for more attention than another (the first, Opgave, was marked)
    workshop, _ = mosaic_room(facilitator, join, [[6] * 7, [6] * 7])
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        projector.receive_json()
        facilitator.go(workshop, "mozaiek")
        mosaic = receive_until(projector, lambda f: f.get("kind") == "step.changed")["data"]["mosaic"]
    assert [tile["weakest"] for tile in mosaic["tiles"]] == [False] * 7
    assert mosaic["weakest"] is None


@pytest.mark.parametrize(
    ("means", "weakest"),
    [
        ([6.0, 6.0, 6.0], []),  # all alike: nothing stands out
        ([6.0], []),  # one block graded: nothing to compare with
        ([7.0, 4.0, 8.0, 4.0], ["b", "d"]),  # a tie for the lowest: both, not the first
        ([7.0, 4.34, 4.26], ["b", "c"]),  # alike as shown (4,3 and 4,3)
        ([7.0, 4.0, None], ["b"]),  # a block nobody graded is no block to mark
    ],
)
def test_the_weakest_blocks_are_all_that_share_the_lowest_mean(means: list[float | None], weakest: list[str]) -> None:
    tiles = [{"step": "abcd"[n], "mean": mean, "count": 0 if mean is None else 3} for n, mean in enumerate(means)]
    assert responses.weakest_blocks(tiles) == weakest


def test_phones_do_not_see_the_running_grades_before_the_mosaic(facilitator: Facilitator, join: Any) -> None:
    workshop, phones = mosaic_room(facilitator, join, [[8, 7, 6, 9, 5, 8, 7]])
    with phones[0].connect() as ws:
        snapshot = ws.receive_json()
    assert "mosaic" not in snapshot and "tallies" not in snapshot
    assert snapshot["responses"]["opgave_cijfer"] == [8]


@pytest.mark.parametrize("bad", [0, 11, "zeven", 7.5, True, None, [7]])
def test_a_grade_outside_one_to_ten_gets_a_clear_error(bad: Any, facilitator: Facilitator, join: Any) -> None:
    workshop = facilitator.create_workshop(format_key="netwerkmozaiek")
    phone = join(workshop)
    facilitator.go(workshop, "opgave_cijfer")
    with phone.connect() as ws:
        ws.receive_json()
        error = tap(ws, {"type": "response", "step": "opgave_cijfer", "value": bad}, "response_ack")
        assert error["type"] == "error"
        assert (error["code"], error["request"]) == ("bad_grade", "response")
        assert error["message"] == "Een cijfer is een heel getal van 1 tot en met 10."
        # the connection stays usable and a good grade is stored
        assert tap(ws, {"type": "response", "step": "opgave_cijfer", "value": "7"}, "response_ack")["values"] == [7]


def test_a_grade_can_be_changed_and_counts_once(facilitator: Facilitator, join: Any) -> None:
    workshop = facilitator.create_workshop(format_key="netwerkmozaiek")
    phone = join(workshop)
    facilitator.go(workshop, "opgave_cijfer")
    with phone.connect() as ws, facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board:
        ws.receive_json()
        board.receive_json()
        for grade in (4, 9, 9):
            tap(ws, {"type": "response", "step": "opgave_cijfer", "value": grade}, "response_ack")
        tally = receive_until(board, lambda f: f.get("kind") == "response.tally" and f["data"]["tally"]["mean"] == 9)
        assert tally["data"]["tally"]["count"] == 1
        assert tally["data"]["tally"]["distribution"]["9"] == 1
        # the repeated 9 changed nothing, so it made no second event
        board.send_text(json.dumps({"type": "ping"}))
        assert receive_until(board, lambda f: f["type"] in ("pong", "event"))["type"] == "pong"


def test_a_grade_for_a_step_that_is_not_open_is_refused(facilitator: Facilitator, join: Any) -> None:
    workshop = facilitator.create_workshop(format_key="netwerkmozaiek")
    phone = join(workshop)
    facilitator.go(workshop, "waarde_cijfer")
    with phone.connect() as ws:
        ws.receive_json()
        error = tap(ws, {"type": "response", "step": "opgave_cijfer", "value": 7}, "response_ack")
        assert error["code"] == "step_closed"


def test_choices_and_themes_in_a_residents_evening(facilitator: Facilitator, join: Any) -> None:
    workshop = facilitator.create_workshop(format_key="bewonersgesprek")
    phone = join(workshop)
    facilitator.go(workshop, "trots")
    with phone.connect() as ws, facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as pj:
        ws.receive_json()
        pj.receive_json()
        ws.send_text(phone.answer_frame("Het buurtfeest", step="trots")[:-1] + ', "theme": "wonen"}')
        assert receive_until(ws, lambda f: f["type"] in ("ack", "error"))["type"] == "ack"
        assert receive_until(pj, lambda f: f.get("kind") == "answer.created")["data"]["theme"] == "wonen"
        ws.send_text(phone.answer_frame("Het park", step="trots")[:-1] + ', "theme": "ruimtevaart"}')
        error = receive_until(ws, lambda f: f["type"] in ("ack", "error"))
        assert error["code"] == "bad_theme"
        assert "wonen, werken, leren, veiligheid, gezondheid" in error["message"]
        facilitator.go(workshop, "beginnen")
        receive_until(ws, lambda f: f.get("kind") == "step.changed")
        assert tap(ws, {"type": "response", "step": "beginnen", "value": [0, 3]}, "x")["code"] == "one_choice"
        assert tap(ws, {"type": "response", "step": "beginnen", "value": [9]}, "x")["code"] == "bad_choice"
        assert tap(ws, {"type": "response", "step": "beginnen", "value": 3}, "response_ack")["values"] == [3]
        assert tap(ws, {"type": "response", "step": "beginnen", "value": [1]}, "response_ack")["values"] == [1]
        tally = receive_until(pj, lambda f: f.get("kind") == "response.tally" and f["data"]["tally"]["counts"][1])
        assert tally["data"]["tally"] == {"count": 1, "counts": [0, 1, 0, 0, 0]}


def test_a_follow_up_reviews_the_earlier_open_actions(facilitator: Facilitator, join: Any) -> None:
    earlier = earlier_session_with_actions(facilitator, "Huiskamer in de flat", "Wijkagent op school")
    workshop = facilitator.create_workshop(format_key="vervolgsessie")
    phone = join(workshop)
    facilitator.go(workshop, "stand")
    with phone.connect() as ws, facilitator.http.websocket_connect(f"/ws/board/{earlier.id}") as earlier_board:
        review = ws.receive_json()["review"]
        earlier_board.receive_json()
        assert review["workshop"]["id"] == earlier.id
        first, second = review["items"]
        ack = tap(
            ws,
            {"type": "review", "action_id": first["id"], "status": "klaar", "note": "Open sinds maandag"},
            "review_ack",
        )
        item = ack["item"]
        assert (item["before"], item["status"], item["note"]) == ("open", "klaar", "Open sinds maandag")
        # the action itself moved, and the earlier workshop's board hears of it
        moved = receive_until(earlier_board, lambda f: f.get("kind") == "action.saved")["data"]
        assert (moved["id"], moved["status"]) == (first["id"], "klaar")
        assert (
            tap(ws, {"type": "review", "action_id": second["id"], "status": "weg"}, "review_ack")["code"]
            == "bad_status"
        )
    # a finished action stays on the list of the session where it was reported
    with phone.connect() as ws:
        items = ws.receive_json()["review"]["items"]
    assert [(i["title"], i["before"], i["status"]) for i in items] == [
        ("Huiskamer in de flat", "open", "klaar"),
        ("Wijkagent op school", "open", "open"),
    ]
    # once someone reported, the look-back cannot be pointed elsewhere
    assert post(facilitator, workshop, "/review/source", {"review_of": None}).status_code == 409


def test_a_follow_up_cannot_review_another_facilitators_actions(
    facilitator: Facilitator, other_facilitator: Facilitator, join: Any
) -> None:
    theirs = earlier_session_with_actions(other_facilitator, "Geheim plan")
    workshop = facilitator.create_workshop(format_key="vervolgsessie")
    assert post(facilitator, workshop, "/review/source", {"review_of": theirs.id}).status_code == 422
    action_id = other_facilitator.http.get(f"/api/workshops/{theirs.id}/actions").json()[0]["id"]
    phone = join(workshop)
    facilitator.go(workshop, "stand")
    with phone.connect() as ws:
        assert ws.receive_json()["review"] == {"workshop": None, "source": None, "workshops": 0, "items": []}
        error = tap(ws, {"type": "review", "action_id": action_id, "status": "klaar"}, "review_ack")
        assert error["code"] == "not_under_review"


def test_a_grade_resent_after_its_step_closed_is_acknowledged_only_when_it_was_stored(
    facilitator: Facilitator, join: Any
) -> None:
    workshop = facilitator.create_workshop(format_key="netwerkmozaiek")
    phone = join(workshop)
    facilitator.go(workshop, "opgave_cijfer")
    with phone.connect() as ws:
        ws.receive_json()
        tap(ws, {"type": "response", "step": "opgave_cijfer", "value": 8}, "response_ack")
    facilitator.go(workshop, "waarde_cijfer")
    with phone.connect() as ws:
        ws.receive_json()
        # the acknowledgement was lost on the way: the resend hears its 8 counted, not that the question closed
        again = tap(ws, {"type": "response", "step": "opgave_cijfer", "value": 8}, "response_ack")
        assert (again["type"], again["values"]) == ("response_ack", [8])
        # a changed grade for the closed question is refused, naming the question
        changed = tap(ws, {"type": "response", "step": "opgave_cijfer", "value": 3}, "response_ack")
        assert (changed["type"], changed["code"], changed["step"]) == ("error", "step_closed", "opgave_cijfer")


def test_a_report_sent_after_its_organisation_merged_counts_for_the_one_it_merged_into(
    facilitator: Facilitator, join: Any
) -> None:
    earlier = facilitator.create_workshop(title="Eerste doorbraak")
    facilitator.go(earlier, "actions")
    # the office keeps the organisation; a duplicate spelling came with the action and the phone
    added = facilitator.http.post("/f/organisaties", data={"csrf": facilitator.csrf(), "name": "Woonstichting Thuis"})
    assert added.status_code == 200, added.text
    response = post(
        facilitator, earlier, "/actions", {"title": "Huiskamer in de flat", "owner_organisation": "Woonst. T"}
    )
    assert response.status_code == 200, response.text
    duplicate, kept = response.json()["owner_id"], organisation_id(facilitator, "Woonstichting Thuis")
    assert duplicate not in (None, kept)
    workshop = facilitator.create_workshop(format_key="vervolgsessie")
    phone = join(workshop, organisation="Woonst. T")
    facilitator.go(workshop, "stand")
    with phone.connect() as ws:
        snapshot = ws.receive_json()
        assert snapshot["me"]["organisation_id"] == duplicate
        [item] = snapshot["review"]["items"]
        # the office merges the duplicate while the phone is connected: the phone still holds the merged-away id
        merged = facilitator.http.post(
            f"/f/organisaties/{duplicate}/samenvoegen", data={"csrf": facilitator.csrf(), "into": str(kept)}
        )
        assert merged.status_code == 200, merged.text
        # the owner's report is taken (it is neither a volunteer nor the contact), on the surviving organisation
        ack = tap(ws, {"type": "review", "action_id": item["id"], "status": "bezig", "note": "Gestart"}, "review_ack")
        assert ack["type"] == "review_ack", ack
        assert (ack["item"]["owner_id"], ack["item"]["owner"]) == (kept, "Woonstichting Thuis")
        assert (ack["item"]["status"], ack["item"]["note"], ack["item"]["reported"]) == ("bezig", "Gestart", True)
    # and the phone's next snapshot names the organisation it is now part of
    with phone.connect() as ws:
        assert ws.receive_json()["me"] == {
            "name": "Ali",
            "organisation": "Woonstichting Thuis",
            "organisation_id": kept,
            "organisation_taken_back": False,
        }


def organisation_id(facilitator: Facilitator, name: str) -> int:
    """The id of one of the workspace's organisations."""
    query = select(Organisation.id).where(col(Organisation.name) == name)
    return int(facilitator.http.app.state.runtime.db.read_sync(lambda db: db.execute(query).scalar_one()))


def test_an_organisation_taken_back_stays_so_when_its_participant_joins_the_follow_up(
    facilitator: Facilitator, join: Any
) -> None:
    earlier = earlier_session_with_actions(facilitator, "Huiskamer in de flat")
    impostor = join(earlier, name="Ali Yilmaz", organisation="Woonstichting")
    with impostor.connect() as ws:
        impostor_id = ws.receive_json()["participant"]
    taken = facilitator.http.post(
        f"/f/workshops/{earlier.id}/deelnemers/{impostor_id}/organisatie",
        data={"csrf": facilitator.csrf(), "belongs": "nee"},
        follow_redirects=False,
    )
    assert taken.status_code == 303, taken.text
    workshop = facilitator.create_workshop(format_key="vervolgsessie")
    # the same person, the same organisation, typed a little differently: still the claim the office took back
    again = join(workshop, name="ali  yilmaz", organisation="woonstichting")
    colleague = join(workshop, name="Bo", organisation="Woonstichting")
    facilitator.go(workshop, "stand")
    with again.connect() as ws:
        snapshot = ws.receive_json()
        # the phone marks no action of the organisation as its own, as the server takes no report from it as such
        assert snapshot["me"]["organisation_taken_back"] is True
        [item] = snapshot["review"]["items"]
        refused = tap(ws, {"type": "review", "action_id": item["id"], "status": "bezig"}, "review_ack")
        assert refused["code"] == "not_reporter"
    people = facilitator.http.get(f"/f/workshops/{workshop.id}/deelnemers")
    assert people.text.count("Hoort toch bij deze organisatie") == 1, (
        "the office sees it taken back, and can give it back"
    )
    with colleague.connect() as ws:
        snapshot = ws.receive_json()
        assert snapshot["me"]["organisation_taken_back"] is False
        ack = tap(ws, {"type": "review", "action_id": item["id"], "status": "bezig"}, "review_ack")
        assert ack["type"] == "review_ack", ack


def test_the_offices_newest_word_on_a_claim_holds_in_every_workshop_and_at_the_next_join(
    facilitator: Facilitator, join: Any
) -> None:
    """Given back in a follow-up, a claim is given back where it was first taken back, so the next follow-up does
    not take it back again; taken back once more, it is taken back in every workshop the person named it in."""
    earlier = earlier_session_with_actions(facilitator, "Huiskamer in de flat")
    first = facilitator.create_workshop(format_key="vervolgsessie")
    second = facilitator.create_workshop(format_key="vervolgsessie")
    rows = {}
    for workshop, typed in ((earlier, "Ali Yilmaz"), (first, "ali  yilmaz")):
        with join(workshop, name=typed, organisation="Woonstichting").connect() as ws:
            rows[workshop.id] = ws.receive_json()["participant"]

    def say(workshop: Workshop, belongs: str) -> None:
        url = f"/f/workshops/{workshop.id}/deelnemers/{rows[workshop.id]}/organisatie"
        answer = facilitator.http.post(
            url, data={"csrf": facilitator.csrf(), "belongs": belongs}, follow_redirects=False
        )
        assert answer.status_code == 303, answer.text

    def taken_back(workshop: Workshop) -> bool:
        page = facilitator.http.get(f"/f/workshops/{workshop.id}/deelnemers").text
        return "Hoort toch bij deze organisatie" in page

    say(earlier, "nee")
    assert (taken_back(earlier), taken_back(first)) == (True, True), "a claim is the person's, not one row's"
    say(first, "ja")
    assert (taken_back(earlier), taken_back(first)) == (False, False)
    with join(second, name="Ali Yilmaz", organisation="Woonstichting").connect() as ws:
        snapshot = ws.receive_json()
        rows[second.id] = snapshot["participant"]
        assert snapshot["me"]["organisation_taken_back"] is False, "the newest word holds, not the first"
    say(second, "nee")
    assert [taken_back(w) for w in (earlier, first, second)] == [True, True, True]
