"""Agreed actions, raised hands and the follow-up meeting."""

import json
from typing import Any

import pytest

from tests.clusters.test_clusters import obstacles, post
from tests.conftest import Facilitator, Workshop, receive_until
from tests.register.pages import join_workspace


def contribution(facilitator: Facilitator, workshop: Workshop, phone: Any) -> tuple[int, int]:
    """An obstacle and a contribution pledged against it."""
    (obstacle,) = obstacles(facilitator, workshop, phone, "Wachtlijsten")
    facilitator.go(workshop, "contributions")
    with phone.connect() as ws:
        ws.receive_json()
        ws.send_text(phone.answer_frame("Wij bellen binnen een week", step="contributions", links_to=obstacle))
        return obstacle, ws.receive_json()["answer_id"]


def board_actions(facilitator: Facilitator, workshop: Workshop) -> list[dict[str, Any]]:
    with facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board:
        return board.receive_json()["actions"]  # type: ignore[no-any-return]


def test_a_contribution_becomes_an_action_that_phones_and_projector_see(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop, name="Ali", organisation="Schuldhulp")
    obstacle, pledge = contribution(facilitator, workshop, phone)
    facilitator.go(workshop, "actions")
    with (
        phone.connect() as ws,
        facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector,
    ):
        ws.receive_json()
        projector.receive_json()
        response = post(
            facilitator,
            workshop,
            "/actions",
            {
                "title": "Terugbelbelofte",
                "owner_organisation": "Schuldhulp",
                "contact_person": "Ali",
                "partners": ["Wijkteam", "Schuldhulp", "Wijkteam", " "],
                "due_on": "2026-12-20",
                "contribution_id": pledge,
                "description": "Binnen een week bellen we terug.",
            },
        )
        assert response.status_code == 200
        action = response.json()
        assert action["partners"] == ["Wijkteam"]  # the owner and repeats are not partners
        assert (action["obstacle_id"], action["obstacle"]) == (obstacle, "Wachtlijsten")
        for screen in (ws, projector):
            event = receive_until(screen, lambda f: f.get("kind") == "action.saved")
            assert event["data"]["title"] == "Terugbelbelofte" and event["data"]["due_on"] == "2026-12-20"
    changed = post(
        facilitator,
        workshop,
        f"/actions/{action['id']}",
        {"title": "Terugbelbelofte", "owner_organisation": "Schuldhulp", "status": "bezig"},
    ).json()
    assert changed["status"] == "bezig"
    assert [a["status"] for a in board_actions(facilitator, workshop)] == ["bezig"]


def test_a_board_form_filled_before_someone_elses_change_is_not_saved_over_it(
    facilitator: Facilitator, workshop: Workshop, browser: Any
) -> None:
    carla = join_workspace(facilitator, browser(), email="carla@buurtalliantie.nl", name="Carla", role="facilitator")
    agreed = post(facilitator, workshop, "/actions", {"title": "Terugbelbelofte", "owner_organisation": "Schuldhulp"})
    action = agreed.json()
    filled = {"title": "Terugbelbelofte", "owner_organisation": "Schuldhulp", "seen": action["seen"]}
    # a colleague on another board sets the status; the first board's edit form still holds the old one
    moved = post(carla, workshop, f"/actions/{action['id']}", {**filled, "status": "klaar"})
    assert moved.status_code == 200 and moved.json()["seen"] != action["seen"]
    stale = post(facilitator, workshop, f"/actions/{action['id']}", {**filled, "title": "Bellen binnen een week"})
    assert stale.status_code == 409 and stale.json()["code"] == "changed_meanwhile"
    assert [(a["title"], a["status"]) for a in board_actions(facilitator, workshop)] == [("Terugbelbelofte", "klaar")]
    # pressed again with the change in view, it saves
    again = {**filled, "title": "Bellen binnen een week", "status": "klaar", "seen": moved.json()["seen"]}
    assert post(facilitator, workshop, f"/actions/{action['id']}", again).status_code == 200
    assert [(a["title"], a["status"]) for a in board_actions(facilitator, workshop)] == [
        ("Bellen binnen een week", "klaar")
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"title": "X", "owner_organisation": "Y", "due_on": "31-12-2026"}, "jjjj-mm-dd"),
        ({"title": "X", "owner_organisation": "Y", "due_on": "2026-02-30"}, "jjjj-mm-dd"),
        ({"title": "X", "owner_organisation": "Y", "status": "misschien"}, "status"),
        ({"title": " ", "owner_organisation": "Y"}, "titel"),
        ({"title": "X", "owner_organisation": ""}, "eigenaar"),
        ({"title": "X", "owner_organisation": "Y", "obstacle_id": 424242}, "bestaat niet"),
        # a field too long is named, with its most
        ({"title": "X" * 201, "owner_organisation": "Y"}, "De titel is te lang: hoogstens 200 tekens."),
        ({"title": "X", "owner_organisation": "Y" * 121}, "De naam van de eigenaar is te lang: hoogstens 120 tekens."),
        ({"title": "X", "owner_organisation": "Y", "description": "Z" * 2001}, "De toelichting is te lang"),
        ({"title": "X", "owner_organisation": "Y", "contact_person": "Z" * 121}, "De contactpersoon is te lang"),
    ],
)
def test_bad_actions_get_a_specific_error(
    facilitator: Facilitator, workshop: Workshop, body: dict[str, Any], message: str
) -> None:
    response = post(facilitator, workshop, "/actions", body)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert board_actions(facilitator, workshop) == []


def test_actions_of_another_facilitator_are_out_of_reach(
    facilitator: Facilitator, other_facilitator: Facilitator, workshop: Workshop
) -> None:
    action = post(facilitator, workshop, "/actions", {"title": "X", "owner_organisation": "Y"}).json()
    assert post(other_facilitator, workshop, "/actions", {"title": "Z", "owner_organisation": "Y"}).status_code == 404
    assert post(other_facilitator, workshop, f"/actions/{action['id']}/delete", {}).status_code == 404
    theirs = other_facilitator.create_workshop(title="Elders")
    # an action id from this workshop used on theirs is not found either
    assert (
        post(
            other_facilitator, theirs, f"/actions/{action['id']}", {"title": "Z", "owner_organisation": "Y"}
        ).status_code
        == 404
    )
    assert [a["title"] for a in board_actions(facilitator, workshop)] == ["X"]


def test_raising_and_lowering_a_hand(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    alice, bob = join(workshop, name="Alice", organisation="GGD"), join(workshop, name="Bob", organisation="Politie")
    action = post(
        facilitator, workshop, "/actions", {"title": "Buurtkamer open", "owner_organisation": "Welzijn"}
    ).json()
    with alice.connect() as a, bob.connect() as b:
        a.receive_json(), b.receive_json()
        for _ in range(2):  # raising it twice is one volunteer
            a.send_text(json.dumps({"type": "volunteer", "action_id": action["id"], "joining": True}))
            assert receive_until(a, lambda f: f["type"] == "volunteer_ack")["joining"] is True
        seen = receive_until(b, lambda f: f.get("kind") == "action.saved")
        assert seen["data"]["volunteers"] == [{"participant": 1, "name": "Alice", "organisation": "GGD"}]
        b.send_text(json.dumps({"type": "volunteer", "action_id": action["id"], "joining": True}))
        receive_until(b, lambda f: f["type"] == "volunteer_ack")
        a.send_text(json.dumps({"type": "volunteer", "action_id": action["id"], "joining": False}))
        receive_until(a, lambda f: f["type"] == "volunteer_ack")
    assert [v["name"] for v in board_actions(facilitator, workshop)[0]["volunteers"]] == ["Bob"]


def test_no_hand_for_a_withdrawn_or_foreign_action(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    phone = join(workshop)
    gone = post(facilitator, workshop, "/actions", {"title": "Weg", "owner_organisation": "Y"}).json()
    assert post(facilitator, workshop, f"/actions/{gone['id']}/delete", {}).json() == {"deleted": gone["id"]}
    other = facilitator.create_workshop(title="Andere")
    foreign = post(facilitator, other, "/actions", {"title": "Elders", "owner_organisation": "Y"}).json()
    with phone.connect() as ws:
        ws.receive_json()
        for action_id in (gone["id"], foreign["id"], 999):
            ws.send_text(json.dumps({"type": "volunteer", "action_id": action_id, "joining": True}))
            error = receive_until(ws, lambda f: f["type"] == "error")
            assert (error["code"], error["request"]) == ("action_gone", "volunteer")
    assert board_actions(facilitator, workshop) == []
    assert post(facilitator, workshop, f"/actions/{gone['id']}/delete", {}).status_code == 404


def test_follow_up_reaches_phones_and_bad_times_are_refused(facilitator: Facilitator, join: Any) -> None:
    workshop = facilitator.create_workshop()
    phone = join(workshop)
    with phone.connect() as ws:
        ws.receive_json()
        response = post(facilitator, workshop, "/followup", {"at": "2026-12-06T19:30", "place": "Buurthuis De Ster"})
        assert response.json() == {"at": "2026-12-06T19:30", "place": "Buurthuis De Ster"}
        event = receive_until(ws, lambda f: f.get("kind") == "followup.set")
        assert event["data"]["followup"]["at"] == "2026-12-06T19:30"
    assert post(facilitator, workshop, "/followup", {"at": "volgende week"}).status_code == 422
    early = post(facilitator, workshop, "/followup", {"at": "2026-01-01T10:00"})
    assert early.status_code == 422 and "vóór de workshop" in early.json()["detail"]


def test_follow_up_is_kept_in_utc_and_shown_on_the_rooms_clock(facilitator: Facilitator, workshop: Workshop) -> None:
    post(facilitator, workshop, "/followup", {"at": "2026-12-06T19:30", "place": ""})
    runtime = facilitator.http.app.state.runtime  # type: ignore[attr-defined]
    from app.models import Workshop as WorkshopRow

    stored = runtime.db.read_sync(lambda db: db.get(WorkshopRow, workshop.id).followup_at)
    assert (stored.hour, stored.minute) == (18, 30)  # 19:30 in Amsterdam in winter is 18:30 UTC


def test_hands_close_with_the_session(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    alice, bob = join(workshop, name="Alice", organisation="GGD"), join(workshop, name="Bob", organisation="Politie")
    action = post(
        facilitator, workshop, "/actions", {"title": "Buurtkamer open", "owner_organisation": "Welzijn"}
    ).json()
    facilitator.go(workshop, "actions")
    with alice.connect() as a:
        a.receive_json()
        a.send_text(json.dumps({"type": "volunteer", "action_id": action["id"], "joining": True}))
        receive_until(a, lambda f: f["type"] == "volunteer_ack")
    facilitator.go(workshop, "close")
    with alice.connect() as a, bob.connect() as b:
        a.receive_json(), b.receive_json()
        # the project team stands as the room agreed it: no hand raised, none lowered after the close
        for ws, joining in ((b, True), (a, False)):
            ws.send_text(json.dumps({"type": "volunteer", "action_id": action["id"], "joining": joining}))
            error = receive_until(ws, lambda f: f["type"] in ("error", "volunteer_ack"))
            assert (error["type"], error["code"], error["request"]) == ("error", "hands_closed", "volunteer")
            assert error["action_id"] == action["id"]
            assert "afgesloten" in error["message"]
        # a phone resending the hand it raised before the close (its acknowledgement lost) hears it stands
        a.send_text(json.dumps({"type": "volunteer", "action_id": action["id"], "joining": True}))
        assert receive_until(a, lambda f: f["type"] in ("error", "volunteer_ack"))["type"] == "volunteer_ack"
    assert [v["name"] for v in board_actions(facilitator, workshop)[0]["volunteers"]] == ["Alice"]
    # reopening the session (a step back) opens the hands again
    facilitator.go(workshop, "actions")
    with bob.connect() as b:
        b.receive_json()
        b.send_text(json.dumps({"type": "volunteer", "action_id": action["id"], "joining": True}))
        assert receive_until(b, lambda f: f["type"] in ("error", "volunteer_ack"))["type"] == "volunteer_ack"
    assert [v["name"] for v in board_actions(facilitator, workshop)[0]["volunteers"]] == ["Alice", "Bob"]
