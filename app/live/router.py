"""The websocket endpoints: phone, projector and facilitator board."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from functools import partial
from math import ceil
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
from app.auth import signed_in_member
from app.clusters import service as clusters
from app.errors import DomainError
from app.i18n import N_, gettext
from app.live import replay
from app.live.frames import ClientMessage, CloseCode, ServerFrame, error_frame
from app.live.hub import Connection, LocalHub
from app.live.protocol import LISTEN, message_text
from app.models import BodyRowId, Member, RowId, Workshop
from app.responses import service as responses
from app.runtime import PhoneKeys, Runtime, get_runtime, origin_allowed
from app.security import whole_number
from app.stage import service as stage
from app.store.events import encode
from app.throttle import Place
from app.workshops import service as workshops

log = logging.getLogger(__name__)
router = APIRouter()
# every message and acknowledgement passes these: bound once, as plain text (on Python 3.11 an enum member costs
# an attribute lookup each time, and encodes slower than a str)
_PING, _ANSWER, _ACK = ClientMessage.PING.value, ClientMessage.ANSWER.value, ServerFrame.ACK.value
# a handler may refuse a message when called, before the work it returns is started as a task
Handler = Callable[[Runtime, Connection, dict[str, Any]], Coroutine[Any, Any, None]]


class AnswerIn(BaseModel):
    """An answer as a phone sends it."""

    model_config = ConfigDict(extra="ignore")
    type: str
    client_id: UUID
    step: str = Field(max_length=64)
    text: str = Field(max_length=4000)
    links_to: int | None = None
    theme: str | None = Field(default=None, max_length=40)


async def _refuse(websocket: WebSocket, status: int, message: str, **params: Any) -> None:
    """Turn a handshake down with an HTTP status and a readable reason (a 429 says when to try again)."""
    text = gettext(message).format(**params)
    # whole seconds, as HTTP has it (an answer's wait may come in tenths)
    headers = {"retry-after": str(ceil(params["retry_after"]))} if "retry_after" in params else None
    try:
        await websocket.send_denial_response(PlainTextResponse(text, status_code=status, headers=headers))
    except RuntimeError:  # the server cannot send a denial response: say it in a close frame instead
        await websocket.accept()
        await websocket.send_text(encode({"type": ServerFrame.ERROR, "code": f"http_{status}", "message": text}))
        await websocket.close(code=4000 + status)


def _hub(websocket: WebSocket) -> LocalHub:
    """The app's hub (app/main.py keeps it beside the runtime): in-process, or over Redis."""
    return websocket.app.state.hub  # type: ignore[no-any-return]


def _origin_ok(websocket: WebSocket) -> bool:
    return origin_allowed(websocket, get_runtime(websocket).settings)


def _seq(raw: str | None) -> int | None:
    """A client's resume point; anything unusable means "send me a snapshot"."""
    return whole_number(raw, low=0) if raw is not None else None


async def _serve(
    websocket: WebSocket,
    connection: Connection,
    *,
    public_id: str,
    since: str | None,
    wid: str | None,
    handler: Handler | None,
    phone: PhoneKeys | None = None,
) -> None:
    """Register, catch up, then send and receive until either side stops."""
    runtime = get_runtime(websocket)
    await websocket.accept()
    inbox = _Inbox(runtime, connection, handler, phone)
    listen = websocket.scope.get("extensions", {}).get(LISTEN)
    if listen is not None:
        # the server hands over each message as it is read, and says when the socket is gone
        # (app/live/protocol.py): no task waits to receive, for the hours a phone stays
        listen(inbox.take, connection.end)
    hub = _hub(websocket)
    hub.register(connection)
    receiver: asyncio.Task[None] | None = None
    try:
        catching_up = runtime.db.read(
            partial(
                replay.catch_up,
                workshop_id=connection.workshop_id,
                public_id=public_id,
                role=connection.role,
                participant_id=connection.participant_id,
                since=_seq(since),
                since_workshop=wid,
                replay_limit=runtime.settings.replay_limit,
                secret=runtime.secret_key,
            )
        )
        try:
            frames, upto = await catching_up
        except LookupError:
            # deleted after the handshake found it, maybe before the hub closed its screens; else a fault
            if await runtime.db.read(partial(workshops.public_id_exists, public_id=public_id)):
                raise
            connection.end_removed()
            frames, upto = [], 0
        connection.sent_seq = upto
        connection.start(frames)
        if listen is None:
            receiver = asyncio.create_task(_receive(websocket, inbox))
            receiver.add_done_callback(partial(_received_all, connection))
        await connection.ended
    finally:
        hub.unregister(connection)
        # the clean-up must finish even when the server is cancelling this connection
        with anyio.CancelScope(shield=True):
            await _wind_down(websocket, connection, receiver, inbox)


def _received_all(connection: Connection, receiver: "asyncio.Task[None]") -> None:
    """The client left (or receiving failed): the connection ends."""
    connection.end(None if receiver.cancelled() else receiver.exception())


async def _wind_down(
    websocket: WebSocket, connection: Connection, receiver: asyncio.Task[None] | None, inbox: "_Inbox"
) -> None:
    """Stop the sender, the receiver and the handlers still waiting, collect how they ended, and close the socket."""
    inbox.closed = True
    tasks = [task for task in (connection.sender, receiver, *inbox.waiting) if task is not None]
    for task in tasks:
        task.cancel()
    # a dropped phone is normal; anything else is worth a log line instead of a lost task exception
    outcomes: list[BaseException | None] = list(await asyncio.gather(*tasks, return_exceptions=True))
    # a finished task holds its exception, whose traceback holds the connection that holds the task: without these
    # links the connection is freed when it ends, not at the collector's next (rare) full sweep
    connection.sender = None
    inbox.waiting.clear()
    if connection.ended.done():
        outcomes.append(connection.ended.result())
    for outcome in outcomes:
        if isinstance(outcome, Exception) and not isinstance(outcome, WebSocketDisconnect | RuntimeError):
            log.warning("live connection of workshop %s ended with %r", connection.workshop_id, outcome)
    if connection.removed:
        await _close_quietly(websocket, CloseCode.WORKSHOP_REMOVED, "workshop removed")
    else:
        # a connection too slow to keep up is told to come back; it catches up by replay
        await _close_quietly(websocket, CloseCode.TRY_AGAIN_LATER if connection.overflowed else CloseCode.DONE)


async def _close_quietly(websocket: WebSocket, code: int, reason: str | None = None) -> None:
    with contextlib.suppress(Exception):  # already closed by the other side
        await websocket.close(code=code, reason=reason)


async def _removed_since(websocket: WebSocket, wid: str | None) -> bool:
    """Whether a reconnecting client's workshop (the public id it names) no longer exists; then its socket is
    closed for good, as an open one was when the workshop was deleted. Only said for a handshake refused anyway."""
    if not wid or len(wid) > WORKSHOP_ID_MOST:
        return False
    if await get_runtime(websocket).db.read(partial(workshops.public_id_exists, public_id=wid)):
        return False
    await websocket.accept()
    await _close_quietly(websocket, CloseCode.WORKSHOP_REMOVED, "workshop removed")
    return True


async def _left_since(websocket: WebSocket, public_id: str, wid: str | None) -> bool:
    """Whether a phone whose page was of this workshop (the public id it names) has no participant of it any more;
    then its socket is closed for good, and the phone offers to join again. Only said for a handshake refused anyway:
    a phone's cookie naming no participant is an answer of the database, never a fault of it."""
    if wid != public_id:
        return False
    await websocket.accept()
    await _close_quietly(websocket, CloseCode.PARTICIPANT_REMOVED, "participant removed")
    return True


async def _receive(websocket: WebSocket, inbox: "_Inbox") -> None:
    """Read every message into the inbox, under a server that does not hand them over itself (no LISTEN)."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        inbox.take(message_text(message))


class _Inbox:
    """A connection's messages, each handled as it arrives; every bad one gets an error frame, none closes it.

    An answer is queued for the writer at once and acknowledged from the writer's commit, without a coroutine (with
    the limits in Redis it first waits for them, as a task); the rarer requests that read or write (taps, a refresh)
    run as tasks of their own, started in arrival order.
    """

    def __init__(
        self, runtime: Runtime, connection: Connection, handler: Handler | None, phone: PhoneKeys | None
    ) -> None:
        self.runtime = runtime
        self.connection = connection
        self.handler = handler
        # who this phone's answers count against (the participant, and its address in its workshop), made once
        self.phone = phone
        self.limit = runtime.settings.ws_max_message_bytes
        self.waiting: set[asyncio.Task[None]] = set()
        self.closed = False

    def take(self, raw: str) -> None:
        """Handle one message now; never raises (the server calls this as it reads)."""
        if self.closed:
            return
        data: Any = None
        try:
            data = self._decode(raw)
            if data is not None:
                self._dispatch(data)
        except DomainError as exc:
            self.refuse(exc, data)
        except Exception as exc:
            self.fail(exc)

    def _decode(self, raw: str) -> dict[str, Any] | None:
        if len(raw.encode("utf-8")) > self.limit:
            raise DomainError("too_large", N_("Dit bericht is te groot."), limit=self.limit)
        try:
            data = orjson.loads(raw)
        except ValueError:
            raise DomainError("bad_json", N_("Dit bericht kunnen we niet lezen.")) from None
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise DomainError("bad_message", N_("Dit bericht kunnen we niet lezen."))
        if data["type"] == _PING:
            self.connection.send_direct(encode({"type": ServerFrame.PONG}))
            return None
        return data

    def _dispatch(self, data: dict[str, Any]) -> None:
        if self.handler is None:
            raise DomainError("read_only", N_("Dit scherm kan alleen meekijken."))
        if self.phone is not None and data["type"] == _ANSWER:
            answer = _answer_in(data)
            if self.runtime.check_answer_rate_now(self.phone):  # in memory: counted at once, no task per answer
                _queue_answer(self, answer, data)
            else:
                self._start(_queue_answer_when_allowed(self, self.phone, answer, data))
            return
        self._start(self._handle(self.handler(self.runtime, self.connection, data), data))

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self.waiting.add(task)
        task.add_done_callback(self.waiting.discard)

    async def _handle(self, work: Awaitable[None], data: dict[str, Any]) -> None:
        try:
            await work
        except DomainError as exc:
            self.refuse(exc, data)
        except Exception as exc:
            self.fail(exc)

    def refuse(self, error: DomainError, data: Any) -> None:
        """Say why a message was refused, naming the answer it was about."""
        client_id = data.get("client_id") if isinstance(data, dict) else None
        _send_error(self.connection, error, client_id=client_id if isinstance(client_id, str) else None)

    def fail(self, error: BaseException) -> None:
        """End the connection over an unexpected error; the client reconnects and resends what was not acknowledged."""
        self.connection.end(error)


def _send_error(connection: Connection, error: DomainError, **extra: Any) -> None:
    connection.send_direct(encode(error_frame(error, **{k: v for k, v in extra.items() if v is not None})))


def _answer_in(data: dict[str, Any]) -> AnswerIn:
    """An answer's fields, checked; a clear error naming what is missing or wrong."""
    try:
        return AnswerIn.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(str(err["loc"][0]) for err in exc.errors())
        raise DomainError(
            "invalid_answer", N_("Dit antwoord is niet compleet of ongeldig ({fields})."), fields=fields
        ) from exc


async def _queue_answer_when_allowed(inbox: _Inbox, phone: PhoneKeys, answer: AnswerIn, data: dict[str, Any]) -> None:
    """Wait for the rate limits in Redis to allow the answer, then queue it."""
    try:
        await inbox.runtime.check_answer_rate(phone)
    except DomainError as exc:
        inbox.refuse(exc, data)
        return
    _queue_answer(inbox, answer, data)


def _queue_answer(inbox: _Inbox, answer: AnswerIn, data: dict[str, Any]) -> None:
    """Queue an allowed answer for the writer; it is acknowledged once its batch is committed."""
    connection = inbox.connection
    submission = answers.Submission(
        workshop_id=connection.workshop_id,
        participant_id=connection.participant_id or 0,
        step_id=answer.step,
        text=answer.text,
        client_id=str(answer.client_id),
        links_to=answer.links_to,
        theme=answer.theme,
    )
    stored = inbox.runtime.db.write_item(answers.submit_answers, submission)
    stored.add_done_callback(partial(_acknowledge, inbox, data))


def _acknowledge(inbox: _Inbox, data: dict[str, Any], stored: "asyncio.Future[answers.Ack]") -> None:
    """Tell the phone its answer is stored, or why it was not."""
    if stored.cancelled() or inbox.closed:
        return
    error = stored.exception()
    if isinstance(error, DomainError):
        inbox.refuse(error, data)
    elif error is not None:
        inbox.fail(error)
    else:
        ack = stored.result()
        inbox.connection.send_direct(
            encode({"type": _ACK, "client_id": ack.client_id, "answer_id": ack.answer_id, "duplicate": ack.duplicate})
        )


async def _handle_phone(runtime: Runtime, connection: Connection, data: dict[str, Any]) -> None:
    """A phone's requests besides answers (see _queue_answer): a fresh snapshot, and taps."""
    if data["type"] == ClientMessage.REFRESH:
        keys = PhoneKeys.of(
            connection.websocket, workshop_id=connection.workshop_id, participant_id=connection.participant_id
        )
        try:
            await runtime.check_refresh_rate(keys)
        except DomainError as exc:
            exc.params.setdefault("request", ClientMessage.REFRESH)
            raise
        frame = await runtime.db.read(
            partial(
                replay.snapshot,
                workshop_id=connection.workshop_id,
                role="phone",
                participant_id=connection.participant_id,
                seq=connection.sent_seq,
                secret=runtime.secret_key,
            )
        )
        connection.send_direct(encode(frame))
        return
    if data["type"] in TAPS:
        return await _handle_tap(runtime, connection, data)
    raise DomainError("unknown_type", N_("Dit soort bericht kennen we niet."))


class VotesIn(BaseModel):
    """A phone's whole dot allocation: cluster id to number of dots."""

    allocation: dict[RowId, int] = Field(max_length=200)


class VolunteerIn(BaseModel):
    """A raised (or lowered) hand for an action."""

    action_id: BodyRowId
    joining: bool


class ResponseIn(BaseModel):
    """A grade (a number) or a choice (option numbers) for the current step; checked against the step itself."""

    step: str = Field(max_length=64)
    value: Any


class ReviewIn(BaseModel):
    """An owner's report on an earlier action in a follow-up session."""

    action_id: BodyRowId
    status: str = Field(max_length=20)
    note: str = Field(default="", max_length=2000)


@contextlib.contextmanager
def _refusal_naming(**about: Any) -> Iterator[None]:
    """A tap's refusal names what it was about, so a phone knows which kept tap the server will not take."""
    try:
        yield
    except DomainError as exc:
        for name, value in about.items():
            exc.params.setdefault(name, value)
        raise


async def _tap(runtime: Runtime, connection: Connection, request: str, data: dict[str, Any]) -> dict[str, Any]:
    """Store one tap and say what is stored now."""
    workshop_id, participant_id = connection.workshop_id, connection.participant_id or 0
    if request == ClientMessage.VOTES:
        votes = VotesIn.model_validate(data)
        allocation = await runtime.db.write(
            partial(
                clusters.set_votes, workshop_id=workshop_id, participant_id=participant_id, allocation=votes.allocation
            )
        )
        return {"type": ServerFrame.VOTES_ACK, "allocation": {str(k): v for k, v in allocation.items()}}
    if request == ClientMessage.VOLUNTEER:
        hand = VolunteerIn.model_validate(data)
        # the phone keeps an untold hand per action: a refusal names which one to let go of
        with _refusal_naming(action_id=hand.action_id):
            await runtime.db.write(
                partial(
                    actions.volunteer,
                    workshop_id=workshop_id,
                    participant_id=participant_id,
                    action_id=hand.action_id,
                    joining=hand.joining,
                )
            )
        return {"type": ServerFrame.VOLUNTEER_ACK, "action_id": hand.action_id, "joining": hand.joining}
    if request == ClientMessage.RESPONSE:
        response = ResponseIn.model_validate(data)
        # a phone resending after the room moved on is told which question was not counted
        with _refusal_naming(step=response.step):
            values = await runtime.db.write(
                partial(
                    responses.submit_response,
                    workshop_id=workshop_id,
                    participant_id=participant_id,
                    step_id=response.step,
                    value=response.value,
                )
            )
        return {"type": ServerFrame.RESPONSE_ACK, "step": response.step, "values": values}
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
    return {"type": ServerFrame.REVIEW_ACK, "item": item}


# taps carry an absolute state (my dots, my hand, my grade, my report): sending one twice changes nothing
TAPS = (ClientMessage.VOTES, ClientMessage.VOLUNTEER, ClientMessage.RESPONSE, ClientMessage.REVIEW)


async def _handle_tap(runtime: Runtime, connection: Connection, data: dict[str, Any]) -> None:
    """Dots, raised hands, grades, choices and action reports, with the request named in any error."""
    request = data["type"]
    try:
        keys = PhoneKeys.of(
            connection.websocket, workshop_id=connection.workshop_id, participant_id=connection.participant_id
        )
        await runtime.check_tap_rate(keys)
        reply = await _tap(runtime, connection, request, data)
    except ValidationError as exc:
        raise DomainError("bad_message", N_("Dit bericht kunnen we niet lezen."), request=request) from exc
    except DomainError as exc:
        exc.params.setdefault("request", request)
        raise
    connection.send_direct(encode(reply))


class PauseIn(BaseModel):
    """The projector's space bar: hold its pages on the one it shows (true), or let them turn again (false)."""

    paused: bool = Field(strict=True)


def _handle_projector(
    runtime: Runtime, connection: Connection, data: dict[str, Any], *, token: str
) -> Coroutine[Any, Any, None]:
    """The projector's one request: its space bar holds or frees the pages, as the board's pause does. Refused here,
    before a task is started for it, when it is not a pause or comes too fast (with the limits in memory): a flood of
    pauses starts no task per message."""
    if data["type"] != ClientMessage.PAUSE:
        raise DomainError("read_only", N_("Dit scherm kan alleen meekijken."))
    try:
        pause = PauseIn.model_validate(data)
    except ValidationError as exc:
        raise DomainError("bad_message", N_("Dit bericht kunnen we niet lezen."), request=data["type"]) from exc
    with _refusal_naming(request=data["type"]):
        counted = runtime.check_projector_rate_now(connection.workshop_id)
    return _pause(runtime, connection, token=token, paused=pause.paused, counted=counted)


async def _pause(runtime: Runtime, connection: Connection, *, token: str, paused: bool, counted: bool) -> None:
    """Store an allowed pause, after counting it in Redis where the limits are kept there (not counted yet)."""
    if not counted:
        with _refusal_naming(request=ClientMessage.PAUSE.value):
            await runtime.check_projector_rate(connection.workshop_id)
    # the same pause the board sets: the board's button shows it, and either side lifts it; the projector.changed
    # event (or, for a pause already so, nothing) is the projector's answer
    await runtime.db.write(
        partial(
            _pause_pages,
            token=token,
            workshop_id=connection.workshop_id,
            paused=paused,
            secret=runtime.secret_key,
        )
    )


def _pause_pages(db: Any, *, token: str, workshop_id: int, paused: bool, secret: str) -> dict[str, Any]:
    """Hold or free the pages of the workshop this projector link still opens (checked again: only its projector)."""
    workshop = workshops.workshop_by_projector_token(db, token, secret=secret)
    if workshop is None or workshop.id != workshop_id:
        raise DomainError("projector_not_found", N_("Deze projectorlink bestaat niet."), status=404)
    return stage.set_paused(db, workshop=workshop, paused=paused)


def _resume_point(websocket: WebSocket) -> tuple[str | None, str | None]:
    """The seq and workshop a reconnecting client says it had (`?since=…&wid=…`)."""
    return websocket.query_params.get("since"), websocket.query_params.get("wid")


# longer than any workshop's public id (models.Workshop): not looked up
WORKSHOP_ID_MOST = 64
# a few tabs, or a reload while the old socket still closes; one participant's cookie once opened a thousand
# sockets, each of them fed every event of the room
SOCKETS_PER_PHONE = 4


def _keys(workshop: Workshop | None) -> tuple[int, str] | None:
    """A workshop's id and public id: all a connection keeps, not the loaded row with its steps (per phone)."""
    return (workshop.id or 0, workshop.public_id) if workshop else None


async def phone_socket(websocket: WebSocket) -> None:
    """A participant's phone: sends answers, receives steps and acknowledgements."""
    code, since, wid = websocket.path_params["code"], *_resume_point(websocket)
    if not _origin_ok(websocket):
        return await _refuse(websocket, 403, N_("Verbinding geweigerd: deze pagina hoort niet bij Doorbraak."))
    runtime = get_runtime(websocket)
    found = await runtime.db.read(partial(workshops.phone_keys, code=code, cookies=websocket.cookies))
    if found is None or found[2] is None:
        # counted and worded as the phone's HTTP routes do: a guessed code gets no other answer here
        refusal = await runtime.phone_refused(websocket, code_known=found is not None)
        if refusal.code == "not_a_participant" and found is not None and await _left_since(websocket, found[1], wid):
            return None
        if refusal.code == "unknown_code" and await _removed_since(websocket, wid):
            return None
        return await _refuse(websocket, refusal.status, refusal.message, **refusal.params)
    workshop_id, public_id, participant_id = found
    place: Place | None = None
    if participant_id is not None:
        open_here = _hub(websocket).sockets_of(workshop_id, participant_id)
        if runtime.throttle.places_shared:
            key = f"phone:{workshop_id}:{participant_id}"
            place = await runtime.throttle.take_place(key, cap=SOCKETS_PER_PHONE, open_here=open_here)
            full = place is None
        else:  # one process: its hub's count is the whole count, read without waiting
            full = open_here >= SOCKETS_PER_PHONE
        if full:
            message = N_("Deze deelname is al op te veel schermen tegelijk open. Sluit een tabblad en laad opnieuw.")
            return await _refuse(websocket, 429, message)
    phone = PhoneKeys.of(websocket, workshop_id=workshop_id, participant_id=participant_id)
    try:
        try:
            # a connection begins with a snapshot or a replay: reconnecting in a loop is refreshing in a loop
            await runtime.check_refresh_rate(phone)
        except DomainError as exc:
            return await _refuse(websocket, exc.status, exc.message, **exc.params)
        connection = Connection(
            websocket,
            workshop_id=workshop_id,
            role="phone",
            participant_id=participant_id,
            queue_size=runtime.settings.send_queue_size,
        )
        await _serve(
            websocket, connection, public_id=public_id, since=since, wid=wid, handler=_handle_phone, phone=phone
        )
    finally:
        if place is not None:
            await _give_back(runtime, place)


async def projector_socket(websocket: WebSocket) -> None:
    """The projector: every visible answer, live."""
    token, since, wid = websocket.path_params["token"], *_resume_point(websocket)
    if not _origin_ok(websocket):
        return await _refuse(websocket, 403, N_("Verbinding geweigerd: deze pagina hoort niet bij Doorbraak."))
    runtime = get_runtime(websocket)
    workshop = await runtime.db.read(
        lambda db: _keys(workshops.workshop_by_projector_token(db, token, secret=runtime.secret_key))
    )
    if workshop is None:
        # a miss, counted as /p/ counts one (errors.UnknownLink): else this socket guesses past that route's limit
        refusal = await runtime.unknown_link(websocket)
        if refusal is None and await _removed_since(websocket, wid):
            return None
        refusal = refusal or DomainError("projector_not_found", N_("Deze projectorlink bestaat niet."), status=404)
        return await _refuse(websocket, refusal.status, refusal.message, **refusal.params)
    open_here, cap = _hub(websocket).projectors_of(workshop[0]), runtime.settings.projector_sockets
    place: Place | None = None
    if runtime.throttle.places_shared:
        place = await runtime.throttle.take_place(f"projector:{workshop[0]}", cap=cap, open_here=open_here)
        full = place is None
    else:  # one process: its hub's count is the whole count, read without waiting
        full = open_here >= cap
    if full:
        message = N_("Deze projectorlink is al op te veel schermen tegelijk open. Sluit er een en laad opnieuw.")
        return await _refuse(websocket, 429, message)
    try:
        connection = Connection(
            websocket,
            workshop_id=workshop[0],
            role="projector",
            participant_id=None,
            queue_size=runtime.settings.send_queue_size,
        )
        handler = partial(_handle_projector, token=token)
        await _serve(websocket, connection, public_id=workshop[1], since=since, wid=wid, handler=handler)
    finally:
        if place is not None:
            await _give_back(runtime, place)


async def _give_back(runtime: Runtime, place: Place) -> None:
    """Free a socket's place in a cap counted across the workers, also while the server cancels the connection: a
    place not freed would count until it expires."""
    with anyio.CancelScope(shield=True):
        await runtime.throttle.give_back_place(place)


# how often an open board asks again whether its browser is still signed in and may see the workshop: a sign-out
# everywhere, a colleague's removal or an expired session ends it within this, on every worker
BOARD_RECHECK_S = 30.0


async def board_socket(websocket: WebSocket) -> None:
    """The facilitator's board: everything, hidden answers included."""
    workshop_id, since, wid = websocket.path_params["workshop_id"], *_resume_point(websocket)
    if not _origin_ok(websocket):
        return await _refuse(websocket, 403, N_("Verbinding geweigerd: deze pagina hoort niet bij Doorbraak."))
    runtime = get_runtime(websocket)
    member = await signed_in_member(websocket)
    if member is None:
        return await _refuse(websocket, 401, N_("Log eerst in."))
    workshop = await runtime.db.read(partial(_board_keys, workshop_id=workshop_id, member=member))
    if workshop is None:
        if await _removed_since(websocket, wid):
            return None
        return await _refuse(websocket, 404, N_("Deze workshop bestaat niet."))
    connection = Connection(
        websocket,
        workshop_id=workshop[0],
        role="facilitator",
        participant_id=None,
        queue_size=runtime.settings.send_queue_size,
    )
    watch = asyncio.create_task(_end_once_signed_out(websocket, connection, workshop_id))
    try:
        await _serve(websocket, connection, public_id=workshop[1], since=since, wid=wid, handler=None)
    finally:
        watch.cancel()


def _board_keys(db: Any, *, workshop_id: int, member: Member) -> tuple[int, str] | None:
    """The keys of the workshop if this member may run its board, else None."""
    try:
        return _keys(workshops.owned_workshop(db, workshop_id=workshop_id, member=member))
    except DomainError:
        return None


async def _end_once_signed_out(websocket: WebSocket, connection: Connection, workshop_id: int) -> None:
    """End a board's connection once its browser may no longer see the workshop: the handshake alone was checked."""
    runtime = get_runtime(websocket)
    while not connection.ended.done():
        await asyncio.sleep(BOARD_RECHECK_S)
        try:
            member = await signed_in_member(websocket)
            keys = (
                None
                if member is None
                else await runtime.db.read(partial(_board_keys, workshop_id=workshop_id, member=member))
            )
        except Exception:  # a database that does not answer now has not signed anyone out: ask again next time
            log.warning("could not check an open board's sign-in again", exc_info=True)
            continue
        if keys is None:
            # said first, so the board goes to the sign-in page rather than trying again and again
            _send_error(connection, DomainError("signed_out", N_("Je bent uitgelogd. Log opnieuw in."), status=401))
            if connection.sender is not None:  # queued behind others: out before the close, or given up on
                await asyncio.wait([connection.sender], timeout=5)
            connection.end(None)
            return


# plain Starlette routes: no dependency solving to keep alive for the hours a connection lasts, which with
# 2,000 phones is several megabytes of per-request state that nothing reads
router.add_websocket_route("/ws/phone/{code}", phone_socket)
router.add_websocket_route("/ws/projector/{token}", projector_socket)
router.add_websocket_route("/ws/board/{workshop_id:int}", board_socket)
