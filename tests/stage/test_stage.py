"""The countdown, the spotlight and the projector's view over HTTP and live, with every bad input."""

import time
from typing import Any

import httpx
import pytest

from tests.conftest import Facilitator, Workshop, receive_until


def is_event(kind: str) -> Any:
    return lambda frame: frame.get("type") == "event" and frame["kind"] == kind


def post(facilitator: Facilitator, workshop: Workshop, path: str, **fields: str) -> httpx.Response:
    return facilitator.http.post(
        f"/f/workshops/{workshop.id}/{path}",
        data=fields,
        headers={"X-CSRF-Token": facilitator.csrf(), "Accept": "application/json"},
    )


def timer(facilitator: Facilitator, workshop: Workshop, action: str, minutes: str = "") -> httpx.Response:
    return post(facilitator, workshop, "timer", action=action, minutes=minutes)


def stage(view: str, spotlight: int | None = None) -> dict[str, Any]:
    return {"view": view, "spotlight": spotlight, "paused": False}


def now_ms() -> int:
    return int(time.time() * 1000)


def test_start_pause_add_resume_stop(facilitator: Facilitator, workshop: Workshop) -> None:
    facilitator.go(workshop, "obstacles")
    started = timer(facilitator, workshop, "start")  # the step's default from doorbraak.yaml: 180 s
    assert started.status_code == 200, started.text
    view = started.json()
    assert view["state"] == "running" and view["total_ms"] == 180_000
    assert 170_000 < view["ends_at"] - now_ms() <= 180_000
    paused = timer(facilitator, workshop, "pause").json()
    assert paused["state"] == "paused" and paused["ends_at"] is None
    assert 170_000 < paused["left_ms"] <= 180_000
    added = timer(facilitator, workshop, "add").json()
    assert added["left_ms"] == paused["left_ms"] + 60_000 and added["total_ms"] == 240_000
    resumed = timer(facilitator, workshop, "resume").json()
    assert resumed["state"] == "running"
    assert abs(resumed["ends_at"] - now_ms() - added["left_ms"]) < 5_000
    running_add = timer(facilitator, workshop, "add").json()
    assert 55_000 < running_add["ends_at"] - resumed["ends_at"] <= 60_000
    assert timer(facilitator, workshop, "stop").json()["state"] == "stopped"
    # stopping again is harmless
    again = timer(facilitator, workshop, "stop")
    assert again.status_code == 200 and again.json()["state"] == "stopped"
    typed = timer(facilitator, workshop, "start", minutes="1,5").json()
    assert typed["total_ms"] == 90_000


@pytest.mark.parametrize(
    ("minutes", "code"),
    [
        ("0", "timer_too_short"),
        ("-5", "timer_too_short"),
        ("0,001", "timer_too_short"),
        ("121", "timer_too_long"),
        ("abc", "timer_not_a_number"),
        ("1e5", "timer_not_a_number"),
        ("NaN", "timer_not_a_number"),
    ],
)
def test_a_bad_duration_is_refused_in_words(
    facilitator: Facilitator, workshop: Workshop, minutes: str, code: str
) -> None:
    response = timer(facilitator, workshop, "start", minutes=minutes)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert response.json()["detail"]


def test_timer_changes_that_do_not_fit_its_state_are_refused(
    facilitator: Facilitator, workshop: Workshop, other_facilitator: Facilitator
) -> None:
    # the lobby has no default time
    assert timer(facilitator, workshop, "start").json()["code"] == "timer_no_default"
    for action in ("pause", "resume", "add"):
        response = timer(facilitator, workshop, action)
        assert response.status_code == 409, action
        assert response.json()["detail"]
    timer(facilitator, workshop, "start", minutes="5")
    assert timer(facilitator, workshop, "resume").status_code == 409
    # adding past two hours is refused, not stored
    timer(facilitator, workshop, "start", minutes="119,5")
    assert timer(facilitator, workshop, "add").json()["code"] == "timer_too_long"
    assert timer(facilitator, workshop, "explode").status_code == 422
    # another facilitator's workshop does not exist for them
    assert timer(other_facilitator, workshop, "start", minutes="5").status_code == 404
    without_csrf = facilitator.http.post(
        f"/f/workshops/{workshop.id}/timer", data={"action": "stop"}, headers={"Accept": "application/json"}
    )
    assert without_csrf.status_code == 403


def test_phones_hear_the_timer_and_a_step_change_stops_it(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop)
    facilitator.go(workshop, "obstacles")
    with phone.connect() as ws:
        snapshot = ws.receive_json()
        assert snapshot["timer"]["state"] == "stopped"
        assert abs(snapshot["now"] - now_ms()) < 5_000
        timer(facilitator, workshop, "start", minutes="2")
        event = receive_until(ws, is_event("timer.changed"))
        assert event["data"]["state"] == "running"
        facilitator.step(workshop, "next")
        step = receive_until(ws, is_event("step.changed"))
        assert step["data"]["timer"]["state"] == "stopped"
    with phone.connect() as ws:
        assert ws.receive_json()["timer"]["state"] == "stopped"


def answer_ids(facilitator: Facilitator, workshop: Workshop, join: Any, *texts: str) -> list[int]:
    """Answers to the obstacle question, sent from one phone; their ids."""
    phone = join(workshop, name="Sanne", organisation="Buurtteam Noord")
    ids = []
    with phone.connect() as ws:
        ws.receive_json()
        for text in texts:
            ws.send_text(phone.answer_frame(text))
            ids.append(receive_until(ws, lambda f: f["type"] == "ack")["answer_id"])
    return ids


def test_spotlight_shows_one_answer_and_hiding_it_ends_it(
    facilitator: Facilitator, workshop: Workshop, join: Any, other_facilitator: Facilitator
) -> None:
    facilitator.go(workshop, "obstacles")
    first, second = answer_ids(facilitator, workshop, join, "Geen plek om te spelen", "Te weinig licht")
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        assert projector.receive_json()["stage"] == stage("wall")
        assert post(facilitator, workshop, "spotlight", answer_id=str(first)).json()["spotlight"] == first
        assert receive_until(projector, is_event("projector.changed"))["data"]["spotlight"] == first
        hidden = post(facilitator, workshop, f"answers/{first}/hidden", hidden="true")
        assert hidden.status_code == 200
        assert receive_until(projector, is_event("projector.changed"))["data"]["spotlight"] is None
    refused = post(facilitator, workshop, "spotlight", answer_id=str(first))
    assert refused.status_code == 409 and refused.json()["code"] == "answer_not_visible"
    post(facilitator, workshop, "spotlight", answer_id=str(second))
    assert post(facilitator, workshop, "spotlight").json()["spotlight"] is None
    assert post(facilitator, workshop, "spotlight", answer_id="999999").status_code == 404
    assert post(facilitator, workshop, "spotlight", answer_id="twee").status_code == 422
    # an answer of another facilitator's workshop is not found from this one, nor this one from theirs
    theirs = other_facilitator.create_workshop(title="Elders")
    other_facilitator.go(theirs, "obstacles")
    assert post(other_facilitator, theirs, "spotlight", answer_id=str(second)).status_code == 404
    assert post(other_facilitator, workshop, "spotlight", answer_id=str(second)).status_code == 404


def test_switching_the_view_ends_the_spotlight_so_the_projector_shows_that_view(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    facilitator.go(workshop, "obstacles")
    (first,) = answer_ids(facilitator, workshop, join, "Geen plek om te spelen")
    post(facilitator, workshop, "spotlight", answer_id=str(first))
    # "Woordwolk tonen" while an answer is in the spotlight: the cloud is what the room then sees
    assert post(facilitator, workshop, "projector-view", view="cloud").json() == stage("cloud")
    post(facilitator, workshop, "spotlight", answer_id=str(first))
    assert post(facilitator, workshop, "projector-view", view="wall").json() == stage("wall")
    # asking for the view already shown ends the spotlight too: the button said what the room would see
    post(facilitator, workshop, "spotlight", answer_id=str(first))
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        assert projector.receive_json()["stage"] == stage("wall", first)
        assert post(facilitator, workshop, "projector-view", view="wall").json() == stage("wall")
        assert receive_until(projector, is_event("projector.changed"))["data"] == stage("wall")


def test_word_cloud_view_and_words(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    refused = post(facilitator, workshop, "projector-view", view="cloud")
    assert refused.status_code == 409 and refused.json()["code"] == "cloud_needs_question"
    assert post(facilitator, workshop, "projector-view", view="poster").json()["code"] == "no_such_view"
    facilitator.go(workshop, "obstacles")
    ids = answer_ids(
        facilitator,
        workshop,
        join,
        "Jongeren hebben 's avonds geen plek",
        "Geen plek voor jongeren in de wijk",
        "Verborgen geheim geheim",
    )
    post(facilitator, workshop, f"answers/{ids[2]}/hidden", hidden="true")
    assert post(facilitator, workshop, "projector-view", view="cloud").json() == stage("cloud")
    response = facilitator.http.get(f"/p/{workshop.projector_token}/words", params={"step": "obstacles"})
    counted = {item["word"]: item["count"] for item in response.json()["words"]}
    assert counted["jongeren"] == 2 and counted["plek"] == 2
    assert "geheim" not in counted and "geen" not in counted
    assert facilitator.http.get("/p/nope/words", params={"step": "obstacles"}).status_code == 404
    assert facilitator.http.get(f"/p/{workshop.projector_token}/words", params={"step": "vote"}).status_code == 404
    # the next step starts on the wall again
    facilitator.step(workshop, "next")
    with facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board:
        assert board.receive_json()["stage"]["view"] == "wall"


def test_the_board_pauses_the_projectors_pages_until_the_next_step(
    facilitator: Facilitator, workshop: Workshop, join: Any, other_facilitator: Facilitator
) -> None:
    facilitator.go(workshop, "obstacles")
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        assert projector.receive_json()["stage"]["paused"] is False
        assert post(facilitator, workshop, "projector-pause", paused="true").json()["paused"] is True
        assert receive_until(projector, is_event("projector.changed"))["data"]["paused"] is True
    # a projector that reloads stays on hold
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        assert projector.receive_json()["stage"]["paused"] is True
        assert post(facilitator, workshop, "projector-pause", paused="false").json()["paused"] is False
        assert receive_until(projector, is_event("projector.changed"))["data"]["paused"] is False
    assert post(facilitator, workshop, "projector-pause", paused="misschien").status_code == 422
    # only the facilitator's board: another workshop's facilitator and a phone are refused, nothing changes
    assert post(other_facilitator, workshop, "projector-pause", paused="true").status_code == 404
    phone = join(workshop)
    refused = phone.http.post(
        f"/f/workshops/{workshop.id}/projector-pause", data={"paused": "true"}, headers={"Accept": "application/json"}
    )
    assert refused.status_code in (401, 403)
    post(facilitator, workshop, "projector-pause", paused="true")
    facilitator.step(workshop, "next")
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        assert projector.receive_json()["stage"]["paused"] is False


def test_the_projectors_space_bar_holds_the_same_pages_the_board_shows_and_either_side_frees_them(
    facilitator: Facilitator, workshop: Workshop, other_facilitator: Facilitator, frozen_clock: Any
) -> None:
    facilitator.go(workshop, "obstacles")
    other = other_facilitator.create_workshop()
    projector_url = f"/ws/projector/{workshop.projector_token}"
    with (
        facilitator.http.websocket_connect(projector_url) as projector,
        facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board,
    ):
        assert projector.receive_json()["stage"]["paused"] is False
        board.receive_json()
        projector.send_json({"type": "pause", "paused": True})
        assert receive_until(projector, is_event("projector.changed"))["data"]["paused"] is True
        # the board's "Bladeren stilzetten" shows the projector's pause, and lifts it
        assert receive_until(board, is_event("projector.changed"))["data"]["paused"] is True
        assert post(facilitator, workshop, "projector-pause", paused="false").json()["paused"] is False
        assert receive_until(projector, is_event("projector.changed"))["data"]["paused"] is False
        # the board holds the pages; the projector's space bar lets them turn again
        post(facilitator, workshop, "projector-pause", paused="true")
        assert receive_until(projector, is_event("projector.changed"))["data"]["paused"] is True
        projector.send_json({"type": "pause", "paused": False})
        assert receive_until(board, is_event("projector.changed"))["data"]["paused"] is False
        # what is not a pause is refused in words, and the connection stays open
        for bad in ({"type": "pause"}, {"type": "pause", "paused": "ja"}, {"type": "pause", "paused": 1}):
            projector.send_json(bad)
            refused = projector.receive_json()
            assert (refused["code"], refused["request"]) == ("bad_message", "pause"), refused
        projector.send_json({"type": "votes", "allocation": {}})
        assert projector.receive_json()["code"] == "read_only"
        # a projector that presses as fast as a phone may tap is told to slow down
        for press in range(30):
            projector.send_json({"type": "pause", "paused": press % 2 == 0})
        projector.send_json({"type": "pause", "paused": True})
        limited = receive_until(projector, lambda frame: frame.get("type") == "error")
        assert (limited["code"], limited["request"]) == ("rate_limited", "pause")
    # the projector of another workshop holds its own pages only
    with facilitator.http.websocket_connect(f"/ws/projector/{other.projector_token}") as elsewhere:
        elsewhere.receive_json()
        elsewhere.send_json({"type": "pause", "paused": True})
        assert receive_until(elsewhere, is_event("projector.changed"))["data"]["paused"] is True
    with facilitator.http.websocket_connect(projector_url) as projector:
        assert projector.receive_json()["stage"]["paused"] is False
