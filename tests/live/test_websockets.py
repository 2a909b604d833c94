"""Live connections: acknowledgements, fan-out, replay, snapshots, and bad frames."""

import asyncio
import contextlib
import json
import time
import uuid
from functools import partial
from typing import Any

import pytest
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from app.live import router as live_router
from app.live.hub import Connection
from app.live.protocol import WRITE_NOW
from tests.conftest import Facilitator, LimitsClock, Workshop, receive_until


def is_event(kind: str) -> Any:
    return lambda frame: frame.get("type") == "event" and frame["kind"] == kind


def test_answer_is_acknowledged_and_reaches_projector_and_board(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop, name="Ali", organisation="Woonstichting")
    facilitator.step(workshop, "next")
    with (
        facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector,
        facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board,
        phone.connect() as ws,
    ):
        assert projector.receive_json()["type"] == "snapshot"
        assert board.receive_json()["type"] == "snapshot"
        snapshot = ws.receive_json()
        assert snapshot["workshop"]["steps"][snapshot["workshop"]["step_index"]]["id"] == "obstacles"
        client_id = str(uuid.uuid4())
        ws.send_text(phone.answer_frame("Te veel loketten", client_id=client_id))
        ack = ws.receive_json()
        assert ack == {"type": "ack", "client_id": client_id, "answer_id": ack["answer_id"], "duplicate": False}
        for screen in (projector, board):
            event = receive_until(screen, is_event("answer.created"))
            assert event["data"]["text"] == "Te veel loketten"
            assert event["data"]["organisation"] == "Woonstichting"


def test_phones_do_not_receive_other_phones_answers(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    alice, bob = join(workshop, name="Alice"), join(workshop, name="Bob")
    facilitator.step(workshop, "next")
    with alice.connect() as a, bob.connect() as b:
        a.receive_json(), b.receive_json()
        a.send_text(alice.answer_frame("van Alice"))
        assert a.receive_json()["type"] == "ack"
        facilitator.step(workshop, "next")
        # Bob's next frame is the step change: Alice's answer was never sent to him
        frame = b.receive_json()
        assert frame["type"] == "event" and frame["kind"] == "step.changed"


def test_reconnect_with_last_seq_replays_exactly_the_missed_events(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop)
    facilitator.step(workshop, "next")
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        snapshot = projector.receive_json()
        last_seq, wid = snapshot["seq"], snapshot["workshop"]["id"]
    texts = [f"obstakel {n}" for n in range(5)]
    with phone.connect() as ws:
        ws.receive_json()
        for text in texts:
            ws.send_text(phone.answer_frame(text))
            assert ws.receive_json()["type"] == "ack"
    facilitator.step(workshop, "next")
    with facilitator.http.websocket_connect(
        f"/ws/projector/{workshop.projector_token}?since={last_seq}&wid={wid}"
    ) as projector:
        frames = [projector.receive_json() for _ in range(7)]
    events, synced = frames[:6], frames[6]
    assert [e["type"] for e in events] == ["event"] * 6
    assert [e["seq"] for e in events] == list(range(last_seq + 1, last_seq + 7))
    assert [e["data"]["text"] for e in events[:5]] == texts
    assert events[5]["kind"] == "step.changed"
    # the replay ends with the server's clock, for the client's countdown
    assert synced.pop("now") > 0
    assert synced == {"type": "synced", "seq": last_seq + 6}


def test_phone_replay_skips_staff_only_events(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    phone, other = join(workshop), join(workshop, name="Bo")
    with phone.connect() as ws:
        snapshot = ws.receive_json()
    facilitator.step(workshop, "next")
    with other.connect() as ws:
        ws.receive_json()
        ws.send_text(other.answer_frame("iets"))
        ws.receive_json()
    with phone.connect(f"?since={snapshot['seq']}&wid={snapshot['workshop']['id']}") as ws:
        first, second = ws.receive_json(), ws.receive_json()
    assert first["kind"] == "step.changed"
    assert second["type"] == "synced"


@pytest.mark.parametrize(
    "query", ["?since=999&wid={wid}", "?since=1&wid=someotherworkshop", "?since=-4&wid={wid}", "?since=abc"]
)
def test_unusable_resume_point_gets_a_full_snapshot(facilitator: Facilitator, workshop: Workshop, query: str) -> None:
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        wid = projector.receive_json()["workshop"]["id"]
    url = f"/ws/projector/{workshop.projector_token}{query.format(wid=wid)}"
    with facilitator.http.websocket_connect(url) as projector:
        frame = projector.receive_json()
    assert frame["type"] == "snapshot"
    assert frame["workshop"]["id"] == wid


def test_a_repeated_client_id_is_acknowledged_again_and_stored_once(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop)
    facilitator.step(workshop, "next")
    client_id = str(uuid.uuid4())
    with phone.connect() as ws:
        ws.receive_json()
        for _ in range(3):
            ws.send_text(phone.answer_frame("Dubbel?", client_id=client_id))
        acks = [ws.receive_json() for _ in range(3)]
    assert [a["duplicate"] for a in acks] == [False, True, True]
    assert len({a["answer_id"] for a in acks}) == 1
    with facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board:
        assert [a["text"] for a in board.receive_json()["answers"]] == ["Dubbel?"]


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("not json at all", "bad_json"),
        ("[1, 2, 3]", "bad_message"),
        ('{"type": "answer", "client_id": "nope", "step": "obstacles", "text": "x"}', "invalid_answer"),
        ('{"type": "answer", "step": "obstacles", "text": "x"}', "invalid_answer"),
        ('{"type": "launch_missiles"}', "unknown_type"),
        (
            json.dumps({"type": "answer", "client_id": str(uuid.uuid4()), "step": "obstacles", "text": "x" * 9000}),
            "too_large",
        ),
        (
            json.dumps({"type": "answer", "client_id": str(uuid.uuid4()), "step": "obstacles", "text": " \u200b "}),
            "empty",
        ),
        (
            json.dumps({"type": "answer", "client_id": str(uuid.uuid4()), "step": "obstacles", "text": "x" * 201}),
            "too_long",
        ),
        (
            json.dumps({"type": "answer", "client_id": str(uuid.uuid4()), "step": "contributions", "text": "x"}),
            "step_closed",
        ),
    ],
)
def test_bad_frames_get_a_specific_error_and_the_connection_survives(
    facilitator: Facilitator, workshop: Workshop, join: Any, message: str, code: str
) -> None:
    phone = join(workshop)
    facilitator.step(workshop, "next")
    with phone.connect() as ws:
        ws.receive_json()
        ws.send_text(message)
        error = ws.receive_json()
        assert error["type"] == "error" and error["code"] == code
        assert error["message"]  # a sentence a person can read
        ws.send_text(phone.answer_frame("na de fout"))
        assert ws.receive_json()["type"] == "ack"


def test_too_long_error_names_the_limit(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    phone = join(workshop)
    facilitator.step(workshop, "next")
    with phone.connect() as ws:
        ws.receive_json()
        ws.send_text(phone.answer_frame("x" * 201))
        assert "200" in ws.receive_json()["message"]


def test_answers_for_a_step_that_is_not_open_are_refused(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop)
    with phone.connect() as ws:
        ws.receive_json()
        ws.send_text(phone.answer_frame("te vroeg"))  # still in the lobby
        assert ws.receive_json()["code"] == "step_closed"


def test_foreign_origin_is_refused_at_the_handshake(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    phone = join(workshop)
    for open_socket in (
        lambda h: phone.connect(headers=h),
        lambda h: facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}", headers=h),
        lambda h: facilitator.http.websocket_connect(f"/ws/board/{workshop.id}", headers=h),
    ):
        with pytest.raises(WebSocketDenialResponse) as refused, open_socket({"origin": "https://evil.example"}):
            pass
        assert refused.value.status_code == 403
        assert "Doorbraak" in refused.value.text
    with phone.connect(headers={"origin": "http://testserver"}) as ws:  # the site itself is fine
        assert ws.receive_json()["type"] == "snapshot"


def test_unknown_code_and_missing_cookie_are_refused(client: Any, workshop: Workshop) -> None:
    with pytest.raises(WebSocketDenialResponse) as refused, client.websocket_connect("/ws/phone/ZZZZZZ"):
        pass
    assert refused.value.status_code == 404
    with pytest.raises(WebSocketDenialResponse) as refused, client.websocket_connect(f"/ws/phone/{workshop.code}"):
        pass
    assert refused.value.status_code == 403
    with pytest.raises(WebSocketDenialResponse) as refused, client.websocket_connect("/ws/projector/guess"):
        pass
    assert refused.value.status_code == 404


def test_projector_and_board_are_read_only(facilitator: Facilitator, workshop: Workshop) -> None:
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        projector.receive_json()
        projector.send_text(json.dumps({"type": "answer", "client_id": str(uuid.uuid4()), "step": "x", "text": "y"}))
        assert projector.receive_json()["code"] == "read_only"
        projector.send_text('{"type": "ping"}')
        assert projector.receive_json() == {"type": "pong"}


def test_hidden_answers_leave_the_projector_and_its_snapshot(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop)
    facilitator.step(workshop, "next")
    with phone.connect() as ws:
        ws.receive_json()
        ws.send_text(phone.answer_frame("iets ongepasts"))
        answer_id = ws.receive_json()["answer_id"]
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        assert [a["id"] for a in projector.receive_json()["answers"]] == [answer_id]
        response = facilitator.http.post(
            f"/f/workshops/{workshop.id}/answers/{answer_id}/hidden",
            data={"hidden": "true"},
            headers={"X-CSRF-Token": facilitator.csrf(), "Accept": "application/json"},
        )
        assert response.status_code == 200 and response.json()["hidden"] is True
        assert receive_until(projector, is_event("answer.hidden"))["data"]["id"] == answer_id
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        assert projector.receive_json()["answers"] == []
    with facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board:
        assert [a["hidden"] for a in board.receive_json()["answers"]] == [True]  # the board still sees it
    facilitator.http.post(
        f"/f/workshops/{workshop.id}/answers/{answer_id}/hidden",
        data={"hidden": "false"},
        headers={"X-CSRF-Token": facilitator.csrf()},
    )
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        assert [a["id"] for a in projector.receive_json()["answers"]] == [answer_id]


def test_contributions_must_name_a_visible_obstacle_of_this_workshop(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    other = facilitator.create_workshop(title="Andere sessie")
    phone, stranger = join(workshop), join(other)
    facilitator.step(workshop, "next")
    facilitator.step(other, "next")
    with stranger.connect() as ws:
        ws.receive_json()
        ws.send_text(stranger.answer_frame("obstakel elders"))
        foreign_obstacle = ws.receive_json()["answer_id"]
    with phone.connect() as ws:
        ws.receive_json()
        ws.send_text(phone.answer_frame("obstakel hier"))
        obstacle = ws.receive_json()["answer_id"]
        facilitator.go(workshop, "contributions")
        receive_until(ws, is_event("step.changed"))
        ws.send_text(json.dumps({"type": "refresh"}))
        refreshed = receive_until(ws, lambda f: f["type"] == "snapshot")
        assert refreshed["options"] == [{"id": obstacle, "text": "obstakel hier"}]
        for links_to in (None, foreign_obstacle, 99999):
            ws.send_text(phone.answer_frame("ik help", step="contributions", links_to=links_to))
            assert ws.receive_json()["code"] == "pick_link"
        ws.send_text(phone.answer_frame("ik help", step="contributions", links_to=obstacle))
        assert ws.receive_json()["type"] == "ack"


def test_answer_floods_are_rate_limited(
    frozen_clock: None, facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop)
    facilitator.step(workshop, "next")
    with phone.connect() as ws:
        ws.receive_json()
        for n in range(15):
            ws.send_text(phone.answer_frame(f"spam {n}"))
        frames = [ws.receive_json() for _ in range(15)]
    limited = [f for f in frames if f["type"] == "error"]
    assert limited and all(f["code"] == "rate_limited" and f["retry_after"] > 0 for f in limited)
    assert sum(f["type"] == "ack" for f in frames) == 10  # the configured burst


def flood(ws: Any, message: dict[str, Any], times: int = 35) -> list[dict[str, Any]]:
    """Send a message many times over, then read as many frames back."""
    for _ in range(times):
        ws.send_text(json.dumps(message))
    return [ws.receive_json() for _ in range(times)]


def test_tap_floods_are_rate_limited_and_the_error_names_the_request(
    frozen_clock: None, facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop)
    with phone.connect() as ws:
        ws.receive_json()
        frames = flood(ws, {"type": "votes", "allocation": {}})
    limited = [f for f in frames if f.get("code") == "rate_limited"]
    assert len(limited) == 5  # past the burst of 30 taps
    assert all(f["request"] == "votes" and f["type"] == "error" for f in limited)


def test_refresh_floods_are_rate_limited_apart_from_taps(
    frozen_clock: LimitsClock, facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop)
    with phone.connect() as ws:
        ws.receive_json()
        frames = flood(ws, {"type": "refresh"})
        # a snapshot is a read of the whole room: a phone may ask as often as it may tap, and no more (the
        # connection's own snapshot counts too)
        assert [f["type"] for f in frames].count("snapshot") == 29
        limited = [f for f in frames if f["type"] == "error"]
        assert len(limited) == 6 and all(f["code"] == "rate_limited" and f["request"] == "refresh" for f in limited)
        assert all(f["retry_after"] > 0 for f in limited)
        # its taps have their own allowance
        ws.send_text(json.dumps({"type": "votes", "allocation": {}}))
        assert ws.receive_json().get("code") != "rate_limited"
        # reconnecting is no way around it: a connection begins with a snapshot
        with pytest.raises(WebSocketDenialResponse) as refused, phone.connect():
            pass
        assert refused.value.status_code == 429
        frozen_clock.advance(7)
        ws.send_text(json.dumps({"type": "refresh"}))
        assert ws.receive_json()["type"] == "snapshot"


def test_participant_of_one_workshop_cannot_use_another(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    other = facilitator.create_workshop(title="B")
    phone = join(workshop)
    # the cookie for workshop A does not open workshop B's phone socket
    with pytest.raises(WebSocketDenialResponse) as refused, phone.http.websocket_connect(f"/ws/phone/{other.code}"):
        pass
    assert refused.value.status_code == 403
    # nor can the phone post into B with the plain form
    page = phone.http.get(f"/j/{other.code}")
    response = phone.http.post(
        f"/j/{other.code}/answers",
        data={
            "csrf": page.text.split('name="csrf-token" content="')[1].split('"')[0],
            "client_id": str(uuid.uuid4()),
            "step": "obstacles",
            "text": "inbraak",
        },
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_board_of_another_facilitator_is_not_found(other_facilitator: Facilitator, workshop: Workshop) -> None:
    with (
        pytest.raises(WebSocketDenialResponse) as refused,
        other_facilitator.http.websocket_connect(f"/ws/board/{workshop.id}"),
    ):
        pass
    assert refused.value.status_code == 404


def test_board_needs_a_signed_in_facilitator(client: Any, workshop: Workshop, browser: Any) -> None:
    with pytest.raises(WebSocketDenialResponse) as refused, browser().websocket_connect(f"/ws/board/{workshop.id}"):
        pass
    assert refused.value.status_code == 401


def test_a_phone_opens_a_few_sockets_and_no_more(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    phone = join(workshop)
    with contextlib.ExitStack() as sockets:
        for _ in range(4):  # a few tabs, or a reload while the old socket still closes
            assert sockets.enter_context(phone.connect()).receive_json()["type"] == "snapshot"
        # one participant's cookie once opened a thousand, each fed every event of the room
        with pytest.raises(WebSocketDenialResponse) as refused, phone.connect():
            pass
        assert refused.value.status_code == 429
    # the tabs closed, it connects again
    with phone.connect() as ws:
        assert ws.receive_json()["type"] == "snapshot"


def test_an_open_board_ends_once_its_browser_is_signed_out_everywhere(
    facilitator: Facilitator, workshop: Workshop, join: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the handshake checked the sign-in: without another look, a board left open on a lost laptop kept streaming
    monkeypatch.setattr(live_router, "BOARD_RECHECK_S", 0.05)
    phone = join(workshop, name="Ali", organisation="Woonstichting")
    facilitator.step(workshop, "next")
    with facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board:
        assert board.receive_json()["type"] == "snapshot"
        signed_out = facilitator.http.post("/f/account/overal-uitloggen", data={"csrf": facilitator.csrf()})
        assert signed_out.status_code == 200
        time.sleep(0.5)
        # what the room sends now would reach the board if it were still open
        with phone.connect() as ws:
            ws.receive_json()
            ws.send_text(phone.answer_frame("Na het uitloggen", client_id=str(uuid.uuid4())))
            assert ws.receive_json()["type"] == "ack"
        # the board is told why, so it can go to the sign-in page, and then closed
        told = board.receive_json()
        assert told["type"] == "error" and told["code"] == "signed_out"
        with pytest.raises(WebSocketDisconnect):
            board.receive_json()


def take_back(facilitator: Facilitator, workshop: Workshop, participant: int, *, belongs: bool = False) -> None:
    """The office's button on the participants page: "hoort niet bij deze organisatie" (or, belongs, give it back)."""
    response = facilitator.http.post(
        f"/f/workshops/{workshop.id}/deelnemers/{participant}/organisatie",
        data={"csrf": facilitator.csrf(), "belongs": "ja" if belongs else ""},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def events_until_the_step_changes(ws: Any) -> list[dict[str, Any]]:
    """The events a socket receives up to and with the next step change (which the test made: never waits forever)."""
    frames = [receive_until(ws, lambda frame: frame.get("type") == "event")]
    while frames[-1]["kind"] != "step.changed":
        frames.append(receive_until(ws, lambda frame: frame.get("type") == "event"))
    return frames


def test_an_open_phone_is_told_at_once_when_the_office_takes_its_organisation_back_and_no_other_phone_is(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    ali, bo = join(workshop, name="Ali"), join(workshop, name="Bo")
    with ali.connect() as a, bo.connect() as b:
        mine, others = a.receive_json(), b.receive_json()
        assert mine["me"]["organisation_taken_back"] is False
        take_back(facilitator, workshop, mine["participant"])
        facilitator.step(workshop, "next")
        told = events_until_the_step_changes(a)
        assert [frame["kind"] for frame in told] == ["me.changed", "step.changed"]
        assert told[0]["data"] == {"participant": mine["participant"], "organisation_taken_back": True}
        # Bo's next frame is the step change: whose claim the office doubted is not the room's business
        assert receive_until(b, lambda frame: frame.get("type") == "event")["kind"] == "step.changed"
        take_back(facilitator, workshop, mine["participant"], belongs=True)
        facilitator.step(workshop, "next")
        told = events_until_the_step_changes(a)
        assert [frame["kind"] for frame in told] == ["me.changed", "step.changed"]
        assert told[0]["data"]["organisation_taken_back"] is False
    # a phone that was away hears of it in its replay; the other phone's replay leaves it out
    resume = f"?since={mine['seq']}&wid={mine['workshop']['id']}"
    with ali.connect(resume) as a:
        kinds = [frame.get("kind") for frame in [a.receive_json() for _ in range(5)]]
    assert kinds == ["me.changed", "step.changed", "me.changed", "step.changed", None]
    with bo.connect(f"?since={others['seq']}&wid={others['workshop']['id']}") as b:
        replayed = [b.receive_json() for _ in range(3)]
    assert [frame.get("kind") for frame in replayed] == ["step.changed", "step.changed", None]


class TakingSocket:
    """A projector's websocket under Doorbraak's server, whose plain write takes every frame (app/live/protocol.py)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.scope: dict[str, Any] = {"extensions": {WRITE_NOW: self.write_now}}

    def write_now(self, frame: bytes) -> bool:
        self.sent.append(json.loads(frame[4:] if frame[1] == 126 else frame[2:]))
        return True


def test_a_flood_of_projector_pauses_is_refused_before_a_task_is_started_for_each(
    frozen_clock: None, client: Any, workshop: Workshop
) -> None:
    runtime = client.app.state.runtime

    async def flood() -> tuple[int, list[dict[str, Any]]]:
        socket = TakingSocket()
        connection = Connection(socket, workshop_id=workshop.id, role="projector", participant_id=None, queue_size=16)
        connection.start([])
        handler = partial(live_router._handle_projector, token=workshop.projector_token)
        inbox = live_router._Inbox(runtime, connection, handler, None)
        # as the server hands over a read of many messages: each taken in turn, no task running in between
        for _ in range(200):
            inbox.take(json.dumps({"type": "pause", "paused": True}))
        waiting = len(inbox.waiting)
        await asyncio.gather(*inbox.waiting)
        return waiting, socket.sent

    waiting, sent = client.portal.call(flood)
    allowed = 30  # a projector presses as fast as a phone may tap (DOORBRAAK_LIMIT_TAPS_PER_PHONE: 30/6 seconds)
    assert waiting == allowed
    refused = [frame for frame in sent if frame.get("code") == "rate_limited"]
    assert len(refused) == 200 - allowed and all(frame["request"] == "pause" for frame in refused)
    assert len(sent) == len(refused)  # the allowed ones were stored without a word: no error among them
