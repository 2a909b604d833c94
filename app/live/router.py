"""The websocket endpoints: phone, projector and facilitator board."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from uuid import UUID

import anyio
import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import PlainTextResponse

from app.actions import review
from app.actions import service as actions
from app.answers import service as answers
from app.auth import facilitator_id_from_cookie
from app.clusters import service as clusters
from app.errors import DomainError
from app.i18n import N_, gettext
from app.live import service as live
from app.live.events import encode
from app.live.hub import Connection
from app.models import Workshop
from app.responses import service as responses
from app.runtime import Runtime, get_runtime, origin_allowed
from app.workshops import service as workshops

log = logging.getLogger(__name__)
router = APIRouter()
Handler = Callable[[Runtime, Connection, dict[str, Any]], Awaitable[None]]


class AnswerIn(BaseModel):
    """An answer as a phone sends it."""

    model_config = ConfigDict(extra="ignore")
    type: str
    client_id: UUID
    step: str = Field(max_length=64)
    text: str = Field(max_length=4000)
    links_to: int | None = None
    theme: str | None = Field(default=None, max_length=40)


async def _refuse(websocket: WebSocket, status: int, message: str) -> None:
    """Turn a handshake down with an HTTP status and a readable reason."""
    try:
        await websocket.send_denial_response(PlainTextResponse(gettext(message), status_code=status))
    except RuntimeError:  # the server cannot send a denial response: say it in a close frame instead
        await websocket.accept()
        await websocket.send_text(encode({"type": "error", "code": f"http_{status}", "message": gettext(message)}))
        await websocket.close(code=4000 + status)


def _origin_ok(websocket: WebSocket) -> bool:
    return origin_allowed(websocket, get_runtime(websocket).settings)


def _seq(raw: str | None) -> int | None:
    """A client's resume point; anything unusable means "send me a snapshot"."""
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


async def _serve(
    websocket: WebSocket,
    connection: Connection,
    *,
    public_id: str,
    since: str | None,
    wid: str | None,
    handler: Handler | None,
) -> None:
    """Register, catch up, then send and receive until either side stops."""
    runtime = get_runtime(websocket)
    await websocket.accept()
    runtime.hub.register(connection)
    receiver: asyncio.Task[None] | None = None
    try:
        frames, upto = await runtime.db.read(
            partial(
                live.catch_up,
                workshop_id=connection.workshop_id,
                public_id=public_id,
                role=connection.role,
                participant_id=connection.participant_id,
                since=_seq(since),
                since_workshop=wid,
                replay_limit=runtime.settings.replay_limit,
            )
        )
        connection.sent_seq = upto
        connection.sender = asyncio.create_task(connection.send_loop(frames))
        receiver = asyncio.create_task(_receive(runtime, websocket, connection, handler))
        await asyncio.wait({connection.sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        runtime.hub.unregister(connection)
        # the clean-up must finish even when the server is cancelling this connection
        with anyio.CancelScope(shield=True):
            await _wind_down(websocket, connection, receiver)


async def _wind_down(websocket: WebSocket, connection: Connection, receiver: asyncio.Task[None] | None) -> None:
    """Stop both sides, collect how they ended, and close the socket."""
    tasks = [task for task in (connection.sender, receiver) if task is not None]
    for task in tasks:
        task.cancel()
    # a dropped phone is normal; anything else is worth a log line instead of a lost task exception
    for outcome in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(outcome, Exception) and not isinstance(outcome, WebSocketDisconnect | RuntimeError):
            log.warning("live connection of workshop %s ended with %r", connection.workshop_id, outcome)
    # a connection too slow to keep up is told to come back (1013); it catches up by replay
    await _close_quietly(websocket, 1013 if connection.overflowed else 1000)


async def _close_quietly(websocket: WebSocket, code: int) -> None:
    with contextlib.suppress(Exception):  # already closed by the other side
        await websocket.close(code=code)


async def _receive(runtime: Runtime, websocket: WebSocket, connection: Connection, handler: Handler | None) -> None:
    """Read client messages; every bad one gets an error frame, none closes the connection."""
    limit = runtime.settings.ws_max_message_bytes
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        raw = message.get("text")
        if raw is None:
            raw = (message.get("bytes") or b"").decode("utf-8", errors="replace")
        if len(raw.encode("utf-8")) > limit:
            _send_error(connection, DomainError("too_large", N_("Dit bericht is te groot."), limit=limit))
            continue
        try:
            data = orjson.loads(raw)
        except ValueError:
            _send_error(connection, DomainError("bad_json", N_("Dit bericht kunnen we niet lezen.")))
            continue
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            _send_error(connection, DomainError("bad_message", N_("Dit bericht kunnen we niet lezen.")))
            continue
        if data["type"] == "ping":
            connection.send_direct(encode({"type": "pong"}))
            continue
        if handler is None:
            _send_error(connection, DomainError("read_only", N_("Dit scherm kan alleen meekijken.")))
            continue
        try:
            await handler(runtime, connection, data)
        except DomainError as exc:
            client_id = data.get("client_id")
            _send_error(connection, exc, client_id=client_id if isinstance(client_id, str) else None)


def _send_error(connection: Connection, error: DomainError, **extra: Any) -> None:
    connection.send_direct(encode(error.frame(**{k: v for k, v in extra.items() if v is not None})))


async def _handle_phone(runtime: Runtime, connection: Connection, data: dict[str, Any]) -> None:
    """A phone sends answers and asks for a fresh snapshot when a step needs one."""
    if data["type"] == "refresh":
        frame = await runtime.db.read(
            partial(
                live.snapshot,
                workshop_id=connection.workshop_id,
                role="phone",
                participant_id=connection.participant_id,
                seq=connection.sent_seq,
            )
        )
        connection.send_direct(encode(frame))
        return
    if data["type"] in TAPS:
        return await _handle_tap(runtime, connection, data)
    if data["type"] != "answer":
        raise DomainError("unknown_type", N_("Dit soort bericht kennen we niet."))
    try:
        answer = AnswerIn.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(str(err["loc"][0]) for err in exc.errors())
        raise DomainError(
            "invalid_answer", N_("Dit antwoord is niet compleet of ongeldig ({fields})."), fields=fields
        ) from exc
    runtime.check_answer_rate(connection.participant_id)
    submission = answers.Submission(
        workshop_id=connection.workshop_id,
        participant_id=connection.participant_id or 0,
        step_id=answer.step,
        text=answer.text,
        client_id=str(answer.client_id),
        links_to=answer.links_to,
        theme=answer.theme,
    )
    ack = await runtime.db.write_item(answers.submit_answers, submission)
    connection.send_direct(
        encode({"type": "ack", "client_id": ack.client_id, "answer_id": ack.answer_id, "duplicate": ack.duplicate})
    )


class VotesIn(BaseModel):
    """A phone's whole dot allocation: cluster id to number of dots."""

    allocation: dict[int, int] = Field(max_length=200)


class VolunteerIn(BaseModel):
    """A raised (or lowered) hand for an action."""

    action_id: int
    joining: bool


class ResponseIn(BaseModel):
    """A grade (a number) or a choice (option numbers) for the current step; checked against the step itself."""

    step: str = Field(max_length=64)
    value: Any


class ReviewIn(BaseModel):
    """An owner's report on an earlier action in a follow-up session."""

    action_id: int
    status: str = Field(max_length=20)
    note: str = Field(default="", max_length=2000)


async def _tap(runtime: Runtime, connection: Connection, request: str, data: dict[str, Any]) -> dict[str, Any]:
    """Store one tap and say what is stored now."""
    workshop_id, participant_id = connection.workshop_id, connection.participant_id or 0
    if request == "votes":
        votes = VotesIn.model_validate(data)
        allocation = await runtime.db.write(
            partial(
                clusters.set_votes, workshop_id=workshop_id, participant_id=participant_id, allocation=votes.allocation
            )
        )
        return {"type": "votes_ack", "allocation": {str(k): v for k, v in allocation.items()}}
    if request == "volunteer":
        hand = VolunteerIn.model_validate(data)
        await runtime.db.write(
            partial(
                actions.volunteer,
                workshop_id=workshop_id,
                participant_id=participant_id,
                action_id=hand.action_id,
                joining=hand.joining,
            )
        )
        return {"type": "volunteer_ack", "action_id": hand.action_id, "joining": hand.joining}
    if request == "response":
        response = ResponseIn.model_validate(data)
        values = await runtime.db.write(
            partial(
                responses.submit_response,
                workshop_id=workshop_id,
                participant_id=participant_id,
                step_id=response.step,
                value=response.value,
            )
        )
        return {"type": "response_ack", "step": response.step, "values": values}
    report = ReviewIn.model_validate(data)
    item = await runtime.db.write(
        partial(
            review.report_progress,
            workshop_id=workshop_id,
            participant_id=participant_id,
            action_id=report.action_id,
            status=report.status,
            note=report.note,
        )
    )
    return {"type": "review_ack", "item": item}


# taps carry an absolute state (my dots, my hand, my grade, my report): sending one twice changes nothing
TAPS = ("votes", "volunteer", "response", "review")


async def _handle_tap(runtime: Runtime, connection: Connection, data: dict[str, Any]) -> None:
    """Dots, raised hands, grades, choices and action reports, with the request named in any error."""
    request = data["type"]
    try:
        runtime.check_tap_rate(connection.participant_id)
        reply = await _tap(runtime, connection, request, data)
    except ValidationError as exc:
        raise DomainError("bad_message", N_("Dit bericht kunnen we niet lezen."), request=request) from exc
    except DomainError as exc:
        exc.params.setdefault("request", request)
        raise
    connection.send_direct(encode(reply))


def _resume_point(websocket: WebSocket) -> tuple[str | None, str | None]:
    """The seq and workshop a reconnecting client says it had (`?since=…&wid=…`)."""
    return websocket.query_params.get("since"), websocket.query_params.get("wid")


def _keys(workshop: Workshop | None) -> tuple[int, str] | None:
    """A workshop's id and public id: all a connection keeps, not the loaded row with its steps (per phone)."""
    return (workshop.id or 0, workshop.public_id) if workshop else None


async def phone_socket(websocket: WebSocket) -> None:
    """A participant's phone: sends answers, receives steps and acknowledgements."""
    code, since, wid = websocket.path_params["code"], *_resume_point(websocket)
    if not _origin_ok(websocket):
        return await _refuse(websocket, 403, N_("Verbinding geweigerd: deze pagina hoort niet bij Doorbraak."))
    runtime = get_runtime(websocket)

    def find(db: Any) -> tuple[tuple[int, str] | None, int | None]:
        workshop, participant = workshops.find_phone(db, code=code, cookies=websocket.cookies)
        return _keys(workshop), participant.id if participant else None

    workshop, participant_id = await runtime.db.read(find)
    if workshop is None:
        return await _refuse(websocket, 404, N_("Deze code kennen we niet. Kijk nog eens op het scherm."))
    if participant_id is None:
        return await _refuse(websocket, 403, N_("Meld je eerst aan voor deze sessie."))
    connection = Connection(
        websocket,
        workshop_id=workshop[0],
        role="phone",
        participant_id=participant_id,
        queue_size=runtime.settings.send_queue_size,
    )
    await _serve(websocket, connection, public_id=workshop[1], since=since, wid=wid, handler=_handle_phone)


async def projector_socket(websocket: WebSocket) -> None:
    """The projector: every visible answer, live."""
    token, since, wid = websocket.path_params["token"], *_resume_point(websocket)
    if not _origin_ok(websocket):
        return await _refuse(websocket, 403, N_("Verbinding geweigerd: deze pagina hoort niet bij Doorbraak."))
    runtime = get_runtime(websocket)
    workshop = await runtime.db.read(lambda db: _keys(workshops.workshop_by_projector_token(db, token)))
    if workshop is None:
        return await _refuse(websocket, 404, N_("Deze projectorlink bestaat niet."))
    connection = Connection(
        websocket,
        workshop_id=workshop[0],
        role="projector",
        participant_id=None,
        queue_size=runtime.settings.send_queue_size,
    )
    await _serve(websocket, connection, public_id=workshop[1], since=since, wid=wid, handler=None)


async def board_socket(websocket: WebSocket) -> None:
    """The facilitator's board: everything, hidden answers included."""
    workshop_id, since, wid = websocket.path_params["workshop_id"], *_resume_point(websocket)
    if not _origin_ok(websocket):
        return await _refuse(websocket, 403, N_("Verbinding geweigerd: deze pagina hoort niet bij Doorbraak."))
    runtime = get_runtime(websocket)
    facilitator_id = facilitator_id_from_cookie(websocket, runtime.secret_key)
    if facilitator_id is None:
        return await _refuse(websocket, 401, N_("Log eerst in."))

    def find(db: Any) -> tuple[int, str] | None:
        try:
            return _keys(workshops.owned_workshop(db, workshop_id=workshop_id, facilitator_id=facilitator_id))
        except DomainError:
            return None

    workshop = await runtime.db.read(find)
    if workshop is None:
        return await _refuse(websocket, 404, N_("Deze workshop bestaat niet."))
    connection = Connection(
        websocket,
        workshop_id=workshop[0],
        role="facilitator",
        participant_id=None,
        queue_size=runtime.settings.send_queue_size,
    )
    await _serve(websocket, connection, public_id=workshop[1], since=since, wid=wid, handler=None)


# plain Starlette routes: no dependency solving to keep alive for the hours a connection lasts, which with
# 2,000 phones is several megabytes of per-request state that nothing reads
router.add_websocket_route("/ws/phone/{code}", phone_socket)
router.add_websocket_route("/ws/projector/{token}", projector_socket)
router.add_websocket_route("/ws/board/{workshop_id:int}", board_socket)
