"""Answers held for approval never reach the projector or phones before approval: not live, replay or snapshot."""

import json
from typing import Any

import httpx

from app.answers import moderation
from tests.conftest import Facilitator, Phone, Workshop, receive_until


def is_event(kind: str) -> Any:
    return lambda frame: frame.get("type") == "event" and frame["kind"] == kind


def post(facilitator: Facilitator, workshop: Workshop, path: str, **fields: str) -> httpx.Response:
    return facilitator.http.post(
        f"/f/workshops/{workshop.id}/{path}",
        data=fields,
        headers={"X-CSRF-Token": facilitator.csrf(), "Accept": "application/json"},
    )


def send(phone: Phone, ws: Any, text: str) -> int:
    ws.send_text(phone.answer_frame(text))
    ack = receive_until(ws, lambda f: f["type"] in ("ack", "error"))
    # the phone hears what it always hears: its answer is stored
    assert ack["type"] == "ack" and ack["duplicate"] is False
    return int(ack["answer_id"])


def frames_until_synced(ws: Any) -> list[str]:
    frames = []
    while True:
        raw = ws.receive_text()
        frames.append(raw)
        if json.loads(raw)["type"] == "synced":
            return frames


def assert_never_seen(
    facilitator: Facilitator, phone: Phone, workshop: Workshop, since: dict[str, Any], text: str
) -> None:
    """Neither a fresh projector or phone (snapshot) nor a reconnecting one (replay) gets the text."""
    projector_path = f"/ws/projector/{workshop.projector_token}"
    with facilitator.http.websocket_connect(projector_path) as projector:
        assert text not in projector.receive_text()
    with phone.connect() as ws:
        assert text not in ws.receive_text()
    resume = f"?since={since['projector']}&wid={since['wid']}"
    with facilitator.http.websocket_connect(projector_path + resume) as projector:
        assert not any(text in frame for frame in frames_until_synced(projector))
    with phone.connect(f"?since={since['phone']}&wid={since['wid']}") as ws:
        assert not any(text in frame for frame in frames_until_synced(ws))


def test_with_approval_on_the_projector_gets_an_answer_only_once_approved(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    assert post(facilitator, workshop, "moderated", on="true").json() == {"moderated": True}
    author, neighbour = join(workshop, name="Ali"), join(workshop, name="Bo", organisation="Huurdersvereniging")
    facilitator.go(workshop, "obstacles")
    with (
        facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector,
        facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board,
        neighbour.connect() as other_phone,
        author.connect() as ws,
    ):
        since = {"projector": projector.receive_json()["seq"], "wid": board.receive_json()["workshop"]["id"]}
        since["phone"] = other_phone.receive_json()["seq"]
        ws.receive_json()
        answer_id = send(author, ws, "Te weinig groen op het plein")
        held = receive_until(board, is_event("answer.created"))["data"]
        assert held["held"] is True and held["hidden"] is True and held["id"] == answer_id

        assert_never_seen(facilitator, neighbour, workshop, since, "Te weinig groen")
        spotlight = post(facilitator, workshop, "spotlight", answer_id=str(answer_id))
        assert spotlight.status_code == 409

        approved = post(facilitator, workshop, f"answers/{answer_id}/approve")
        assert approved.status_code == 200 and "held" not in approved.json()
        # the projector's first event since connecting is the approval: the held answer was never sent to it
        shown = receive_until(projector, lambda f: f["type"] == "event")
        assert shown["kind"] == "answer.shown" and shown["data"]["text"] == "Te weinig groen op het plein"
        again = post(facilitator, workshop, f"answers/{answer_id}/approve")
        assert again.status_code == 409 and again.json()["code"] == "already_shown"
        # the other phone never heard of any of it: its next frame is the step change
        facilitator.step(workshop, "next")
        assert receive_until(other_phone, lambda f: f["type"] == "event")["kind"] == "step.changed"


def test_a_listed_word_holds_an_answer_with_approval_off(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    author, neighbour = join(workshop), join(workshop, name="Bo")
    facilitator.go(workshop, "obstacles")
    with (
        facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector,
        facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board,
        neighbour.connect() as other_phone,
        author.connect() as ws,
    ):
        since = {"projector": projector.receive_json()["seq"], "wid": board.receive_json()["workshop"]["id"]}
        since["phone"] = other_phone.receive_json()["seq"]
        ws.receive_json()
        # the shipped list, whole words, any case and compatibility form: "ＫＬＯＯＴＺＡＫ" is "klootzak"
        held_id = send(author, ws, "Die ＫＬＯＯＴＺＡＫ van de gemeente luistert nooit")
        send(author, ws, "Klootzakken-achtige taal hoort hier niet")  # "klootzakken" is listed too
        clean_id = send(author, ws, "Te weinig speelplekken")
        # the projector's first answer is the clean one: the two held ones were skipped
        first = receive_until(projector, is_event("answer.created"))["data"]
        assert first["id"] == clean_id and "held" not in first
        board_ids = [receive_until(board, is_event("answer.created"))["data"] for _ in range(3)]
        assert [a.get("held", False) for a in board_ids] == [True, True, False]

        assert_never_seen(facilitator, neighbour, workshop, since, "gemeente luistert")
        # turned down: it leaves the queue and stays off the projector
        assert post(facilitator, workshop, f"answers/{held_id}/hidden", hidden="true").json()["hidden"] is True
        assert post(facilitator, workshop, f"answers/{held_id}/approve").json()["code"] == "not_held"
        assert post(facilitator, workshop, "answers/approve-all").json()["approved"] == [board_ids[1]["id"]]
        shown = receive_until(projector, lambda f: f["type"] == "event")
        assert shown["kind"] == "answer.shown" and shown["data"]["id"] == board_ids[1]["id"]
    assert_never_seen(facilitator, neighbour, workshop, {**since, "projector": 0, "phone": 0}, "gemeente luistert")


def test_approving_an_answer_of_another_workshop_is_not_found(
    facilitator: Facilitator, workshop: Workshop, join: Any, other_facilitator: Facilitator
) -> None:
    post(facilitator, workshop, "moderated", on="true")
    phone = join(workshop)
    facilitator.go(workshop, "obstacles")
    with phone.connect() as ws:
        ws.receive_json()
        answer_id = send(phone, ws, "Lange wachtlijsten")
    theirs = other_facilitator.create_workshop(title="Elders")
    assert post(other_facilitator, theirs, f"answers/{answer_id}/approve").status_code == 404
    assert post(other_facilitator, workshop, f"answers/{answer_id}/approve").status_code == 404
    assert post(facilitator, workshop, "answers/999999/approve").status_code == 404


def test_the_matcher_takes_whole_words_only() -> None:
    pattern = moderation.matcher(json.dumps(["kut", "rot zak"]))
    assert moderation.holds(pattern, "Wat een KUT-plan")
    assert moderation.holds(pattern, "een rot   zak")
    assert not moderation.holds(pattern, "de kutsch staat klaar")
    assert not moderation.holds(pattern, "rotzakken")
    assert moderation.matcher(json.dumps([])) is None
    # no list of one's own (stored as NULL or as JSON null) is the shipped list
    assert moderation.matcher(None) is moderation.matcher(None)
    assert moderation.holds(moderation.matcher("null"), "klootzak")


def save_list(facilitator: Facilitator, words: str, action: str = "save") -> httpx.Response:
    return facilitator.http.post(
        "/f/woordfilter",
        data={"csrf": facilitator.csrf(), "words": words, "action": action},
        follow_redirects=False,
    )


def test_a_facilitators_own_list_replaces_the_starter_list(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    page = facilitator.http.get("/f/woordfilter")
    assert page.status_code == 200 and "klootzak" in page.text and "Standaardlijst" in page.text
    assert save_list(facilitator, "Wethouder Jansen\n\nparkeerboete\n").status_code == 303
    assert "Eigen lijst" in facilitator.http.get("/f/woordfilter").text
    phone = join(workshop)
    facilitator.go(workshop, "obstacles")
    with facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board, phone.connect() as ws:
        board.receive_json(), ws.receive_json()
        for text in ("Die klootzak", "wethouder  JANSEN luistert niet", "Parkeerboetes zijn te hoog"):
            send(phone, ws, text)
        held = [receive_until(board, is_event("answer.created"))["data"].get("held", False) for _ in range(3)]
    # the starter list no longer applies; a phrase matches across spaces; "parkeerboetes" is another word
    assert held == [False, True, False]
    assert save_list(facilitator, "", action="reset").headers["location"] == "/f/woordfilter?saved=reset"
    assert "Standaardlijst" in facilitator.http.get("/f/woordfilter").text


def test_a_bad_list_is_refused_naming_the_entry_and_nothing_is_stored(facilitator: Facilitator) -> None:
    save_list(facilitator, "parkeerboete")
    long_word = "a" * 41
    response = save_list(facilitator, f"prima\n!!!\n{long_word}")
    assert response.status_code == 422
    assert "Regel 2: ‘!!!’ bevat geen letters" in response.text
    assert "Regel 3: ‘" + "a" * 40 + "…’ is te lang" in response.text
    too_many = save_list(facilitator, "\n".join(f"woord{n}" for n in range(301)))
    assert too_many.status_code == 422 and "301 woorden" in too_many.text
    # the stored list is untouched
    page = facilitator.http.get("/f/woordfilter").text
    assert ">parkeerboete</textarea>" in page
    assert facilitator.http.post("/f/woordfilter", data={"words": "x"}).status_code == 403


def test_the_new_workshop_form_can_turn_approval_on(facilitator: Facilitator) -> None:
    response = facilitator.http.post(
        "/f/workshops",
        data={
            "csrf": facilitator.csrf(),
            "title": "Bewonersavond",
            "opgave": "Wat moet er beter?",
            "held_on": "2026-11-22",
            "format_key": "doorbraak",
            "moderated": "true",
        },
        follow_redirects=False,
    )
    workshop_id = int(response.headers["location"].rsplit("/", 1)[1])
    with facilitator.http.websocket_connect(f"/ws/board/{workshop_id}") as board:
        assert board.receive_json()["workshop"]["moderated"] is True
    assert 'id="moderated-toggle" checked' in facilitator.http.get(f"/f/workshops/{workshop_id}").text


def test_a_held_answer_cannot_name_a_pile(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    # a new pile is named after its first obstacle, and piles go to the projector and, while voting, to phones
    phone = join(workshop)
    facilitator.go(workshop, "obstacles")
    with phone.connect() as ws:
        ws.receive_json()
        held_id = send(phone, ws, "Die klootzak van de gemeente")
        clean_id = send(phone, ws, "Te weinig speelplekken")
    response = facilitator.http.post(
        f"/f/workshops/{workshop.id}/clusters/group",
        json={"answer_ids": [held_id, clean_id]},
        headers={"X-CSRF-Token": facilitator.csrf(), "Accept": "application/json"},
    )
    assert response.status_code == 409 and response.json()["code"] == "answer_not_visible"
