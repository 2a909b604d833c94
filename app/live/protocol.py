"""uvicorn's websocket protocol, plus plain ways for the app to write a frame and to be handed each message."""

# An ASGI send passes through Starlette's WebSocket, the exception middleware's wrapper and uvicorn's own send:
# four coroutines to put some bytes on a socket, for every frame of a fan-out to 2,000 phones. This protocol
# offers the app, as an ASGI extension in the websocket's scope, a plain function that writes a frame at once
# when the socket can take it; when it cannot (paused, closing) it declines and the connection's sender task sends
# the frame the ASGI way, which waits or raises as before (app/live/hub.py). The frame comes ready for the wire
# (text_frame): a server's frame is not masked, so an event fanned out to 2,000 phones is framed once, not once per
# phone.
#
# Receiving is the same story backwards: each message went into uvicorn's queue (pausing the socket until the app
# took it, resuming it after: two system calls), through uvicorn's receive and Starlette's to a task woken for it.
# The protocol also offers a listener hook: from then on each text message is handed to a plain function as it
# is read.
#
# Both lean on uvicorn's and websockets' private attributes, as does the HTTP protocol below (UpgradingHttpProtocol).
# server_protocol() and http_protocol() check at start-up that each one below is still there on the real classes;
# if one is not, the server runs uvicorn's own protocol in its place (slower, or without this one's deadlines; never
# wrong). The pins in pyproject.toml point here.

import asyncio
import inspect
import logging
import struct
from collections import deque
from collections.abc import Callable, Generator, Mapping
from typing import Any, cast

from uvicorn.config import Config
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.protocol import OPEN, State
from websockets.server import ServerProtocol

log = logging.getLogger(__name__)

WRITE_NOW = "doorbraak.write_now"
LISTEN = "doorbraak.listen"
Listener = Callable[[str], None]
# uvicorn's `ws` option that runs its own protocol: what the app is served through when the check fails
PLAIN_PROTOCOL = "websockets-sansio"

# Every attribute DirectProtocol uses of uvicorn's protocol, with the type it relies on. (Three more: `scope` only
# exists once a handshake is accepted, `response` once one is answered and `client` once connected; handle_connect
# reads them with getattr and does without.)
UVICORN_ATTRIBUTES: dict[str, type] = {
    "queue": asyncio.Queue,
    "read_paused": bool,
    "transport": object,  # None until the connection is made; then an asyncio transport
    "writable": asyncio.Event,
    "handshake_complete": bool,
    "close_sent": bool,
    "disconnected": bool,
    "initial_response": object,
    "frames": list,
    "curr_msg_data_type": str,
    "conn": ServerProtocol,
    "app": object,  # the ASGI app, called by run_asgi
    "logger": logging.Logger,
}
# the methods DirectProtocol overrides, with their parameters: one renamed or reshaped would go around ours
UVICORN_OVERRIDES = {
    "handle_connect": ["self", "event"],
    "send_receive_event_to_app": ["self"],
    "connection_lost": ["self", "exc"],
    "run_asgi": ["self"],
}
# what write_now reads of the websockets connection inside uvicorn's protocol (its `conn`), and the parser
# connection_lost closes
WEBSOCKETS_ATTRIBUTES: dict[str, type] = {
    "state": State,
    "extensions": list,
    "expect_continuation_frame": bool,
    "writes": list,
    "parser": Generator,
}
PLAIN_HTTP_PROTOCOL = "httptools"
# the methods UpgradingHttpProtocol overrides, with their parameters
HTTP_OVERRIDES = {
    "connection_made": ["self", "transport"],
    "connection_lost": ["self", "exc"],
    "data_received": ["self", "data"],
    "on_message_begin": ["self"],
    "on_headers_complete": ["self"],
    "on_body": ["self", "body"],
    "on_message_complete": ["self"],
    "handle_websocket_upgrade": ["self"],
}
# what UpgradingHttpProtocol reads of uvicorn's HTTP protocol (`cycle` and `headers` are None until a request), of
# its flow control and of a request's cycle
HTTP_ATTRIBUTES: dict[str, type] = {
    "loop": asyncio.AbstractEventLoop,
    "transport": object,  # None until the connection is made
    "parser": object,
    "pipeline": deque,
    "cycle": object,
    "headers": object,
}
FLOW_ATTRIBUTES: dict[str, type] = {"read_paused": bool}
CYCLE_ATTRIBUTES: dict[str, type] = {
    "response_started": bool,
    "response_complete": bool,
    "waiting_for_100_continue": bool,
}


async def _no_app(scope: Any, receive: Any, send: Any) -> None:
    """The app of the protocol made only to be looked at; it never serves."""


def _lacking(owner: str, instance: object, expected: dict[str, type]) -> list[str]:
    """The attributes of expected that instance lacks or holds as another kind, named as "owner.name (kind)"."""
    return [
        f"{owner}.{name} ({kind.__name__})"
        for name, kind in expected.items()
        if not hasattr(instance, name) or not isinstance(getattr(instance, name), kind)
    ]


def _reshaped(owner: str, cls: type, overrides: dict[str, list[str]]) -> list[str]:
    """The methods of overrides that cls no longer has with these parameters: an override of ours would go around."""
    return [
        f"{owner}.{name}({', '.join(parameters)})"
        for name, parameters in overrides.items()
        if not callable(method := getattr(cls, name, None)) or list(inspect.signature(method).parameters) != parameters
    ]


def missing_internals() -> list[str]:
    """What DirectProtocol uses that the installed uvicorn and websockets lack: nothing, while the pins hold."""
    # given its own loop (uvicorn's _loop, the one more internal this check uses): at start-up there is no current
    # one to ask for; it never runs
    loop = asyncio.new_event_loop()
    try:
        config = Config(_no_app, ws=PLAIN_PROTOCOL, ws_per_message_deflate=False, log_config=None)
        protocol = WebSocketsSansIOProtocol(config=config, server_state=ServerState(), app_state={}, _loop=loop)
    except Exception as exc:
        return [f"uvicorn's WebSocketsSansIOProtocol cannot be made as it was ({exc!r})"]
    finally:
        loop.close()

    missing = _lacking("uvicorn", protocol, UVICORN_ATTRIBUTES)
    missing += _reshaped("uvicorn", WebSocketsSansIOProtocol, UVICORN_OVERRIDES)
    missing += _lacking("websockets", getattr(protocol, "conn", None), WEBSOCKETS_ATTRIBUTES)
    if not missing:
        protocol.conn.parser.close()  # the cycle connection_lost breaks, which this one never reaches
    return missing


def missing_http_internals() -> list[str]:
    """What UpgradingHttpProtocol uses that the installed uvicorn lacks: nothing, while the pins hold."""
    loop = asyncio.new_event_loop()
    try:
        config = Config(_no_app, http=PLAIN_HTTP_PROTOCOL, log_config=None)
        protocol = HttpToolsProtocol(config=config, server_state=ServerState(), app_state={}, _loop=loop)
        flow = FlowControl(cast(asyncio.Transport, None))
        cycle = RequestResponseCycle(
            scope=cast(Any, {}),
            transport=cast(asyncio.Transport, None),
            flow=flow,
            logger=log,
            access_logger=log,
            access_log=False,
            default_headers=[],
            message_event=asyncio.Event(),
            expect_100_continue=False,
            keep_alive=True,
            on_response=lambda: None,
        )
    except Exception as exc:
        return [f"uvicorn's HttpToolsProtocol or its request cycle cannot be made as it was ({exc!r})"]
    finally:
        loop.close()
    missing = (
        _lacking("uvicorn", protocol, HTTP_ATTRIBUTES)
        + _reshaped("uvicorn", HttpToolsProtocol, HTTP_OVERRIDES)
        + _lacking("uvicorn.flow", flow, FLOW_ATTRIBUTES)
        + _lacking("uvicorn.cycle", cycle, CYCLE_ATTRIBUTES)
    )
    if hasattr(protocol, "parser"):
        del protocol.parser  # it calls back into the protocol: a cycle that connection_lost breaks, never reached here
    return missing


def server_protocol() -> str:
    """uvicorn's `ws` option: DirectProtocol if all it uses is there, else uvicorn's own with one warning."""
    missing = missing_internals()
    if not missing:
        return f"{__name__}:{DirectProtocol.__qualname__}"
    log.warning(
        "uvicorn or websockets no longer has what app/live/protocol.py uses (%s): serving websockets through "
        "plain ASGI, which is slower; see the pins in pyproject.toml",
        ", ".join(missing),
    )
    return PLAIN_PROTOCOL


def http_protocol() -> type[HttpToolsProtocol] | str:
    """uvicorn's `http` option: UpgradingHttpProtocol if all it uses is there, else uvicorn's own with one warning."""
    missing = missing_http_internals()
    if not missing:
        return UpgradingHttpProtocol
    log.warning(
        "uvicorn no longer has what app/live/protocol.py's HTTP protocol uses (%s): serving HTTP with uvicorn's own, "
        "without the deadlines for slow and silent clients; see the pins in pyproject.toml",
        ", ".join(missing),
    )
    return PLAIN_HTTP_PROTOCOL


def text_frame(text: str) -> bytes:
    """A text message as one unfragmented, unmasked websocket frame: what a server writes to any of its clients."""
    data = text.encode()
    length = len(data)
    # FIN and the text opcode, then the length in the shortest of its three forms (RFC 6455, section 5.2)
    if length < 126:
        return bytes((0x81, length)) + data
    if length < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, length) + data
    return struct.pack("!BBQ", 0x81, 127, length) + data


def message_text(message: Mapping[str, Any]) -> str:
    """A received ASGI message's text; a binary message's bytes read as UTF-8, the bytes that are not replaced."""
    text = message.get("text")
    return text if text is not None else (message.get("bytes") or b"").decode(errors="replace")


def _closing_answer(status: str, text: str) -> bytes:
    """A plain-text answer after which the connection ends, its length counted (a 408 once declared 26 of 28)."""
    body = text.encode()
    head = f"HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {len(body)}\r\n"
    return head.encode() + b"connection: close\r\n\r\n" + body


# httptools takes a request line and headers of any length, and gathers a long one at a cost that grows with its
# square: a 100 MB header held the event loop for 10 s. Browsers send a few kilobytes; nginx's buffers take 32 kB.
# Counted per read, so it must stay above one read's size (256 kB), lest a small head and a body in one read count
MAX_HEAD = 1 << 20
# a whole request, head and body: above the body the app takes (app/web.py, MAX_BODY, 4 MB), so that only what the
# app refuses anyway is cut off. What is not body (the head, a chunked body's framing and its trailer, which is
# headers again, gathered as slowly) is held to MAX_HEAD
MAX_REQUEST = 8 << 20
LINGER_S = 1.0
TOO_LONG_HEAD = _closing_answer("431 Request Header Fields Too Large", "Request headers are too long")
# uvicorn gives no time limit to a request's head, nor to a connection that never sends one (its keep-alive
# timeout runs only after a response, and stops at any byte, a lone line end too): a client that sends its head a
# byte every few seconds, or nothing, held its connection and file descriptor for ever, and a few thousand such
# locked the phones of a room out. A head is a few hundred bytes, sent in one go: 30 s lets a phone on a poor
# mobile network through (nginx's client_header_timeout is 60 s, with a proxy that waits as long in front).
# Counted from the request's first byte
HEAD_TIMEOUT_S = 30.0
# how long a connection may send nothing before its first request, or only stray line ends between requests: as
# long as uvicorn keeps one silent after a response (timeout_keep_alive, app/cli.py)
IDLE_TIMEOUT_S = 30.0
SLOW_HEAD = _closing_answer("408 Request Timeout", "Request headers came too slowly")
# the rest of a request after its head (a body, a chunked body's framing and trailer) has REST_GRACE_S, and then
# must keep coming at REST_RATE bytes a second on average: a byte every few seconds held the connection for ever,
# after the head's deadline had passed. A phone on a poor mobile network sends a kilobyte in well under a second,
# and the largest body there is (MAX_BODY, 4 MB) in about an hour at this rate
REST_GRACE_S = 30.0
REST_RATE = 1000
SLOW_REST = _closing_answer("408 Request Timeout", "Request body came too slowly")

# websockets refuses a handshake that carries a body (a Content-Length other than 0, or a Transfer-Encoding), but
# behind uvicorn without a word and without closing: the connection, no longer timed, was held for ever
UPGRADE_WITH_BODY = _closing_answer("400 Bad Request", "A websocket handshake has no body")


class UpgradingHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, which lets go of its parser once it has handed a connection to a websocket, and
    ends a connection whose request has more than MAX_HEAD that is not body (with a 431 while that is its head), or
    more than MAX_REQUEST in all, or whose head is not whole HEAD_TIMEOUT_S after its first byte, or whose rest
    comes slower than REST_RATE after REST_GRACE_S (with a 408 while no response began), or that sends no request
    for IDLE_TIMEOUT_S. None of these clocks runs while this side holds the client back (_held), and each starts
    again, whole, once that is over."""

    # bytes read of the request being read (None between requests), how many of them were body, and whether its
    # head is complete
    request_read: int | None = 0
    body_read = 0
    head_read = False
    # set once a request was too long or too slow: what still arrives is dropped unread until the connection closes
    refused = False
    # the one timer of a connection that is waiting for a request or the rest of one (None while none is awaited),
    # when the head being read began (None while none is), and when the rest of the request began to be read, with
    # how much of it had been read then (None while no rest is awaited)
    head_timer: asyncio.TimerHandle | None = None
    head_began: float | None = None
    rest_began: float | None = None
    read_at_head = 0
    # whether this side was seen holding the client back (_held) since the clock of what is awaited last started:
    # once that is over, the client's clock starts again
    was_held = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """As uvicorn; the first request is awaited from now."""
        # a stream server's transport (asyncio's own signature names only the base; uvicorn's narrows it)
        super().connection_made(cast(asyncio.Transport, transport))
        self.head_timer = self.loop.call_later(IDLE_TIMEOUT_S, self._head_late)

    def connection_lost(self, exc: Exception | None) -> None:
        """As uvicorn; no head is awaited any more."""
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """As uvicorn, unless this read takes the request past its limits: then the connection ends."""
        if self.refused:
            return
        if self.was_held and not self._held():  # the first read after a hold: what it brings counts after it
            self._hold_ended()
        if self.request_read is not None:
            self.request_read += len(data)
            # the body of this read is not parsed yet: at most one read (256 kB) of it counts as not body
            if self.request_read - self.body_read > MAX_HEAD or self.request_read > MAX_REQUEST:
                self._refuse(b"" if self.head_read else TOO_LONG_HEAD)
                return
        elif self.head_timer is None:
            # the first read after a request: uvicorn's keep-alive timer stops at it, though a line end begins no
            # request, so a line end now and then would hold the connection; this one does not stop
            self.head_timer = self.loop.call_later(IDLE_TIMEOUT_S, self._head_late)
        super().data_received(data)

    def _head_late(self) -> None:
        """The timer's look: end the connection if what it awaits is late and this side does not hold the client
        back; else look again when it may be."""
        self.head_timer = None
        if self.refused or self.transport.is_closing():
            return
        awaited = self.head_began is not None or self.rest_began is not None
        if self._held():
            # the client waits for us: nothing it does not send meanwhile counts against it, and its clock starts
            # again once that is over (a silent connection that waits for its answer is uvicorn's to keep: its
            # keep-alive timer runs after the response, and this one again from the next read)
            self.was_held = True
            if awaited:
                grace = HEAD_TIMEOUT_S if self.rest_began is None else REST_GRACE_S
                self.head_timer = self.loop.call_later(grace, self._head_late)
            return
        if not awaited:  # silent since it opened or since its last response
            self.transport.close()
            return
        if self.was_held:  # the hold ended since the last look, and no byte came after it
            self._hold_ended()
        deadline = self._deadline()
        if self.loop.time() < deadline:  # the timer ran from before the clock last started: it has until deadline
            self.head_timer = self.loop.call_at(deadline, self._head_late)
            return
        if self.rest_began is None:
            self._refuse(SLOW_HEAD)
            return
        # answered already, a 408 would be read as the answer to the request after it
        cycle = self.cycle
        self._refuse(b"" if cycle is not None and cycle.response_started else SLOW_REST)

    def _deadline(self) -> float:
        """When the head being read must be whole, or when the rest being read is too slow at what it has brought."""
        if self.rest_began is None:
            assert self.head_began is not None
            return self.head_began + HEAD_TIMEOUT_S
        assert self.request_read is not None
        return self.rest_began + REST_GRACE_S + (self.request_read - self.read_at_head) / REST_RATE

    def _hold_ended(self) -> None:
        """This side no longer holds the client back: its clock starts again from now, with a whole HEAD_TIMEOUT_S
        or REST_GRACE_S, unless what it sent before already gives it longer."""
        self.was_held = False
        now = self.loop.time()
        if self.rest_began is not None:
            if now + REST_GRACE_S > self._deadline():
                self.rest_began, self.read_at_head = now, self.request_read or 0
        elif self.head_began is not None:
            self.head_began = max(self.head_began, now)

    def _held(self) -> bool:
        """Whether this side holds the client back, so that what it has not sent meanwhile does not count against it.

        It does while reading is paused (uvicorn stops reading behind a pipelined request, and above HIGH_WATER_LIMIT
        of body the app has not taken), and while an earlier request is still owed its answer: a head that arrives
        meanwhile may wait unread behind it, and a 408 would be read as that earlier answer, a plain close would
        cut it off. The rest of a request is held, besides, once its own answer is going (the app read what it
        wanted; what still comes is dropped) and while the client waits for the 100 Continue that goes out when the
        app asks for the body (`Expect: 100-continue`). uvicorn's cycle is the last request whose head was read:
        while a head is awaited, the one before it; while the rest is, its own, pipelined while an earlier is owed.
        """
        if self.flow.read_paused:
            return True
        cycle = self.cycle
        if cycle is None:
            return False
        if self.rest_began is None:
            return not cycle.response_complete
        return bool(self.pipeline) or (
            not cycle.response_complete and (cycle.response_started or cycle.waiting_for_100_continue)
        )

    def _stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _refuse(self, answer: bytes) -> None:
        self.refused = True
        self._stop_head_timer()
        self.transport.write(answer)
        # closed at once with the client's bytes unread, the socket would be reset and the answer lost with it:
        # this side ends first, and the rest that arrives meanwhile is dropped
        self.transport.write_eof()
        self.loop.call_later(LINGER_S, self.transport.close)

    def on_message_begin(self) -> None:
        """As uvicorn; a new request starts to count, and its head to be timed."""
        super().on_message_begin()
        self.request_read, self.body_read, self.head_read = 0, 0, False
        self.head_began = self.loop.time()
        self.was_held = self._held()  # a head read behind a pipelined request that paused reading waits with it
        if self.head_timer is None:  # a request sent in the same read as the end of the one before
            self.head_timer = self.loop.call_later(HEAD_TIMEOUT_S, self._head_late)

    def on_headers_complete(self) -> None:
        """As uvicorn; the head is complete, and the rest of the request is timed by its pace from now."""
        self.head_read = True
        self.head_began = None
        self.rest_began, self.read_at_head = self.loop.time(), self.request_read or 0
        # the timer runs on (it fires no later than the head's deadline, then finds the rest's), and stops when the
        # request is whole, in the same read for a request without a body
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(REST_GRACE_S, self._head_late)
        super().on_headers_complete()
        self.was_held = self._held()  # pipelined now, or the client waits for a 100 Continue

    def on_body(self, body: bytes) -> None:
        """As uvicorn; what is body counts apart from the rest of the request."""
        self.body_read += len(body)
        super().on_body(body)
        if self.flow.read_paused:  # above HIGH_WATER_LIMIT: the rest waits until the app takes what it has
            self.was_held = True

    def on_message_complete(self) -> None:
        """As uvicorn; the request is read whole, and no longer timed."""
        self.request_read = None
        self.rest_began = None
        self.was_held = False
        self._stop_head_timer()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        """Hand over as uvicorn does, then drop the parser: it calls back into this protocol, a cycle that uvicorn
        breaks only in connection_lost, which an upgraded connection never reaches; left, every phone's handshake
        waits for a full sweep of the collector."""
        if any(
            name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0")
            for name, value in self.headers
        ):
            self._refuse(UPGRADE_WITH_BODY)
            return
        self.rest_began = None
        self._stop_head_timer()  # a websocket keeps its own time
        super().handle_websocket_upgrade()
        del self.parser


class DirectProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets protocol, with write_now and listen in scope["extensions"] (WRITE_NOW, LISTEN)."""

    listener: Listener | None = None
    closed: Callable[[], None] | None = None

    def handle_connect(self, event: Any) -> None:
        """Accept as uvicorn does, then offer write_now and listen to the app (a refused handshake has no scope)."""
        super().handle_connect(event)
        response, client = getattr(self, "response", None), getattr(self, "client", None)
        if response is not None and response.status_code != 101:
            # websockets refused the handshake itself (a malformed request, an old version): uvicorn writes no line
            # of its own for it, and websockets' own is left out (app/web.py RefusalsOnce); this is the one line,
            # in the form uvicorn writes for a refusal of the app's
            where = f"{client[0]}:{client[1]}" if client else ""
            self.logger.info('%s - "WebSocket %s" %d', where, event.path, response.status_code)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][WRITE_NOW] = self.write_now
            scope["extensions"][LISTEN] = self.listen

    def connection_lost(self, exc: Exception | None) -> None:
        """As uvicorn, then tell the app's listener the socket is gone and let go of every cycle this connection is in.

        A cycle is freed only by a full sweep of the collector, which a busy server runs rarely (app/main.py:
        tune_garbage_collector); broken here, a finished connection is freed at once. What this protocol offered
        the app points back at it, the listener at the app's connection too. websockets' parser is a suspended
        generator whose frame holds its connection: closed, it lets go (no more bytes can arrive).
        """
        super().connection_lost(exc)
        self.conn.parser.close()
        closed = self.closed
        self.listener = self.closed = None
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"].pop(WRITE_NOW, None)
            scope["extensions"].pop(LISTEN, None)
        if closed is not None:
            closed()

    async def run_asgi(self) -> None:
        """As uvicorn, but a handshake the app turned down with a response of its own (send_denial_response) counts
        as ended once that response is out.

        uvicorn leaves its handshake incomplete and logs "ASGI callable returned without completing handshake" at
        ERROR for every such refusal: a page of another site opening sockets in a loop would fill the error log.
        uvicorn's INFO line with the status stays, the one line a refusal logs."""
        app = self.app

        async def refusal_ends_the_handshake(scope: Any, receive: Any, send: Any) -> None:
            await app(scope, receive, send)
            if self.initial_response is not None and self.close_sent:
                self.handshake_complete = True

        self.app = refusal_ends_the_handshake
        try:
            await super().run_asgi()
        finally:
            # the wrapper holds this protocol: put back, it leaves no cycle for the collector
            self.app = app

    def listen(self, listener: Listener, closed: Callable[[], None] | None = None) -> None:
        """Hand every message to listener as it is read, and call closed once the socket is gone (every way a
        websocket ends closes its socket), rather than through the ASGI receive, which the app then need not call.

        Messages already queued go to the listener first, in order; a binary message arrives as its text (bytes
        that are not UTF-8 replaced), as the app's own receive loop reads one. The listener must not raise. The
        disconnect stays in the ASGI queue as well.
        """
        queued = []
        while not self.queue.empty():
            queued.append(self.queue.get_nowait())
        self.listener, self.closed = listener, closed
        for message in queued:
            if message["type"] == "websocket.receive":
                listener(message_text(message))
            else:
                self.queue.put_nowait(message)
        if self.disconnected:  # gone before the app listened: no connection_lost is coming
            self.closed = None
            if closed is not None:
                closed()
            return
        # uvicorn stops reading while a message waits in its queue and its receive starts again once the queue is
        # empty; the queue emptied here, so this is where reading starts again
        if self.read_paused and self.queue.empty():
            self.read_paused = False
            self.transport.resume_reading()

    def send_receive_event_to_app(self) -> None:
        """A whole message has been read: it goes to the listener, if there is one."""
        listener = self.listener
        if listener is None or self.close_sent:
            super().send_receive_event_to_app()
            return
        data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
        if self.curr_msg_data_type == "text":
            try:
                text = data.decode()
            except UnicodeDecodeError:  # uvicorn's own handling closes the connection with 1007
                super().send_receive_event_to_app()
                return
        else:
            text = data.decode(errors="replace")
        self.frames = []
        listener(text)

    def write_now(self, frame: bytes) -> bool:
        """Write a text_frame now; False if it would have to wait or cannot go, so the app sends it the ASGI way."""
        if not self.handshake_complete or self.close_sent or self.disconnected or self.initial_response is not None:
            return False
        if not self.writable.is_set():  # the transport is paused: the ASGI send waits for it
            return False
        conn = self.conn
        # the frame is plain: a connection that is closing, compresses, is midway through a fragmented message or
        # has its own bytes waiting sends the ASGI way, which knows what to do with each
        if conn.state is not OPEN or conn.extensions or conn.expect_continuation_frame or conn.writes:
            return False
        self.transport.write(frame)
        return True
