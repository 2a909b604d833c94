"""Slow and silent clients over a real server: a head that comes too slowly and a connection that sends nothing end."""

import asyncio
import re
import select
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from uvicorn.protocols.http import httptools_impl
from websockets.sync.client import connect
from websockets.typing import Origin

from app.config import Settings
from app.demo.driver import prepare
from app.live import protocol
from app.main import create_app
from tests.servers import serving

# the deadlines of these tests: short, so that each waits a second or two, not half a minute
DEADLINE_S = 0.5
# how long a connection the server should end may take to end, on a busy machine
BOUND_S = 10.0
# the least time a deadline takes as the client measures it: the server's clock starts a little apart from ours
AT_LEAST_S = DEADLINE_S * 0.9


# the pace the rest of a request keeps in these tests, in bytes a second after DEADLINE_S: a byte every 0.15 s
# keeps it, a byte every 0.5 s does not
REST_RATE = 4


@pytest.fixture
def short_deadlines(monkeypatch: pytest.MonkeyPatch) -> None:
    """A head has DEADLINE_S to arrive, a connection DEADLINE_S to send one, and a body REST_RATE after DEADLINE_S."""
    monkeypatch.setattr(protocol, "HEAD_TIMEOUT_S", DEADLINE_S)
    monkeypatch.setattr(protocol, "IDLE_TIMEOUT_S", DEADLINE_S)
    monkeypatch.setattr(protocol, "REST_GRACE_S", DEADLINE_S)
    monkeypatch.setattr(protocol, "REST_RATE", REST_RATE)


@pytest.fixture
def raw(app: FastAPI) -> Iterator[tuple[str, int]]:
    """The address of the app served for real, to open raw sockets to."""
    with serving(app) as url:
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port)


async def echo_length(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An app that reads a request's whole body and answers with its length."""
    if scope["type"] != "http":
        return
    length, more = 0, True
    while more:
        message = await receive()
        length += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = str(length).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})


# how long the apps below work on a request at their /slow: three deadlines, past two looks of the server's timer;
# at /late, just before its second look (at two deadlines, the first having found the client held back)
WORK_S = {"/slow": DEADLINE_S * 3, "/late": DEADLINE_S * 1.8}


async def slow_first(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An app that answers /slow and /late after their WORK_S, and anything else at once."""
    if scope["type"] != "http":
        return
    await asyncio.sleep(WORK_S.get(scope["path"], 0))
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4")]})
    await send({"type": "http.response.body", "body": b"done"})


async def slow_body(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """slow_first, but its answer's head goes out at once and only its body after WORK_S; it never reads a body."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4")]})
    await asyncio.sleep(WORK_S.get(scope["path"], 0))
    await send({"type": "http.response.body", "body": b"done"})


async def late_reader(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """echo_length, after the WORK_S of its path before it asks for the body."""
    if scope["type"] == "http":
        await asyncio.sleep(WORK_S.get(scope["path"], 0))
    await echo_length(scope, receive, send)


def dribble(sock: socket.socket, data: bytes, every: float) -> bytes:
    """Send data a byte every `every` seconds until the server ends the connection; all it sent back."""
    answer = b""
    deadline = time.monotonic() + BOUND_S
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
        except OSError:  # ended while a byte was on its way
            break
        if select.select([sock], [], [], every)[0]:
            break
        assert time.monotonic() < deadline, "the server kept the connection open"
    else:
        raise AssertionError("the server kept the connection open to the last byte")
    sock.settimeout(BOUND_S)
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass
    return answer


def response(sock: socket.socket) -> bytes:
    """One whole response with a content-length, read from sock; fails if the server ends the connection first."""
    sock.settimeout(BOUND_S)

    def more(got: bytes) -> bytes:
        chunk = sock.recv(65536)
        assert chunk, f"the connection ended after {got!r}"
        return got + chunk

    got = b""
    while b"\r\n\r\n" not in got:
        got = more(got)
    head = got.partition(b"\r\n\r\n")[0]
    length = re.search(rb"(?im)^content-length: *(\d+)", head)
    assert length is not None, head
    while len(got) < len(head) + 4 + int(length[1]):
        got = more(got)
    return got


@pytest.mark.usefixtures("short_deadlines")
def test_a_head_sent_slower_than_its_deadline_gets_408_and_the_connection_ends(raw: tuple[str, int]) -> None:
    with socket.create_connection(raw, timeout=BOUND_S) as sock:
        # silent a while first: the head's time counts from its own first byte, not from when the connection opened
        time.sleep(DEADLINE_S * 0.8)
        began = time.monotonic()
        answer = dribble(sock, b"GET /setup HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000, every=0.05)
        took = time.monotonic() - began
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert answer.endswith(b"\r\n\r\nRequest headers came too slowly")
    assert AT_LEAST_S <= took < DEADLINE_S + BOUND_S


@pytest.mark.usefixtures("short_deadlines")
def test_a_connection_that_sends_nothing_is_closed(raw: tuple[str, int]) -> None:
    with socket.create_connection(raw, timeout=BOUND_S) as sock:
        opened = time.monotonic()
        assert sock.recv(65536) == b""  # ended, without an answer: there was no request to answer
        assert time.monotonic() - opened >= AT_LEAST_S


@pytest.mark.usefixtures("short_deadlines")
def test_line_ends_after_a_response_do_not_keep_the_connection(raw: tuple[str, int]) -> None:
    # uvicorn keeps a connection 30 s after a response (app/cli.py), but stops counting at any byte, though a line
    # end begins no request
    with socket.create_connection(raw, timeout=BOUND_S) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert response(sock).startswith(b"HTTP/1.1 200 ")
        assert dribble(sock, b"\r\n" * 1000, every=0.05) == b""


@pytest.mark.usefixtures("short_deadlines")
def test_a_slow_body_and_a_kept_connection_are_not_held_to_the_heads_deadline() -> None:
    with serving(echo_length) as url, socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1]))) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
        for byte in b"0123456789":  # the body over three deadlines
            time.sleep(DEADLINE_S * 0.3)
            sock.sendall(bytes([byte]))
        assert response(sock).endswith(b"\r\n\r\n10")
        time.sleep(DEADLINE_S * 3)  # kept alive as long as uvicorn's timeout_keep_alive, not only the deadline
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab")
        assert response(sock).endswith(b"\r\n\r\n2")


@pytest.mark.usefixtures("short_deadlines")
def test_a_websocket_stays_open_past_the_heads_deadline(live_settings: Settings) -> None:
    with serving(create_app(live_settings)) as url:
        projector = prepare(live_settings).projector_path.replace("/p/", "/ws/projector/")
        with connect(url.replace("http://", "ws://") + projector, origin=Origin(url)) as ws:
            ws.recv(timeout=BOUND_S)  # the snapshot
            time.sleep(DEADLINE_S * 3)
            assert ws.ping().wait(timeout=BOUND_S), "the websocket was ended"


@pytest.mark.usefixtures("short_deadlines")
def test_a_pipelined_head_that_waits_behind_a_long_response_is_not_cut() -> None:
    with serving(slow_first) as url, socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1]))) as sock:
        # the second request waits its turn, and the server stops reading until then: the rest of the third head,
        # sent at once, is read only once the first response is done, past the head's deadline
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHo")
        time.sleep(DEADLINE_S * 0.2)
        sock.sendall(b"st: x\r\n\r\n")
        sock.settimeout(BOUND_S)
        got = b""
        while got.count(b"\r\n\r\ndone") < 3 and (chunk := sock.recv(65536)):
            got += chunk
    assert got.count(b"HTTP/1.1 200 OK\r\n") == 3, got


def port_of(url: str) -> tuple[str, int]:
    return "127.0.0.1", int(url.rsplit(":", 1)[1])


@pytest.mark.usefixtures("short_deadlines")
def test_a_body_sent_slower_than_its_pace_gets_408_and_the_connection_ends() -> None:
    with serving(echo_length) as url, socket.create_connection(port_of(url), timeout=BOUND_S) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        began = time.monotonic()
        answer = dribble(sock, b"a" * 1000, every=0.5)
        took = time.monotonic() - began
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert answer.endswith(b"\r\n\r\nRequest body came too slowly")
    assert AT_LEAST_S <= took < DEADLINE_S + BOUND_S


@pytest.mark.usefixtures("short_deadlines")
def test_a_chunked_bodys_trailer_sent_slowly_gets_408() -> None:
    # a trailer is more head after the body: it counts against the rest's pace, not against nothing
    with serving(echo_length) as url, socket.create_connection(port_of(url), timeout=BOUND_S) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n")
        answer = dribble(sock, b"X-Trailer: " + b"t" * 1000, every=0.5)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")


@pytest.mark.usefixtures("short_deadlines")
def test_a_body_still_dribbling_after_its_answer_ends_the_connection_without_another() -> None:
    # the app answered without reading the body: what still comes is for no one, and a 408 would read as the answer
    # to a request after it
    with serving(slow_first) as url, socket.create_connection(port_of(url), timeout=BOUND_S) as sock:
        sock.sendall(b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        assert response(sock).endswith(b"\r\n\r\ndone")
        assert dribble(sock, b"a" * 1000, every=0.5) == b""


@pytest.mark.parametrize(
    "answer", [protocol.TOO_LONG_HEAD, protocol.SLOW_HEAD, protocol.SLOW_REST, protocol.UPGRADE_WITH_BODY]
)
def test_each_refusal_declares_the_length_of_its_text(answer: bytes) -> None:
    head, _, text = answer.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length: *(\d+)", head)
    assert length is not None and int(length[1]) == len(text), answer


@pytest.mark.usefixtures("short_deadlines")
def test_a_pipelined_body_that_waits_behind_a_long_response_is_not_cut() -> None:
    # the server stops reading behind the first request: the rest of the second one's body is read only once the
    # first response is done, past the rest's grace; a 408 then would also read as the answer to the first request
    with serving(slow_first) as url, socket.create_connection(port_of(url), timeout=BOUND_S) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\nPOST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab")
        time.sleep(DEADLINE_S * 0.2)
        sock.sendall(b"cd")
        got = b""
        while got.count(b"\r\n\r\ndone") < 2 and (chunk := sock.recv(65536)):
            got += chunk
    assert got.startswith(b"HTTP/1.1 200 OK\r\n"), got
    assert got.count(b"HTTP/1.1 200 OK\r\n") == 2, got


@pytest.mark.usefixtures("short_deadlines")
def test_a_body_the_app_reads_late_is_not_blamed_on_the_client() -> None:
    # sent at once, but more than uvicorn buffers (HIGH_WATER_LIMIT): it stops reading until the app asks for it
    body = b"a" * 200_000
    with serving(late_reader) as url, socket.create_connection(port_of(url), timeout=BOUND_S) as sock:
        sock.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        assert response(sock).endswith(b"\r\n\r\n%d" % len(body))


@pytest.mark.usefixtures("short_deadlines")
def test_a_body_that_waits_for_100_continue_is_not_blamed_on_the_client() -> None:
    with serving(late_reader) as url, socket.create_connection(port_of(url), timeout=BOUND_S) as sock:
        sock.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"ab")
        assert response(sock).endswith(b"\r\n\r\n2")


@pytest.mark.usefixtures("short_deadlines")
@pytest.mark.parametrize("framing", [b"Content-Length: 5", b"Transfer-Encoding: chunked"])
def test_a_websocket_handshake_with_a_body_is_refused_not_held(framing: bytes) -> None:
    handshake = (
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n\r\n" % framing
    )
    with serving(echo_length) as url, socket.create_connection(port_of(url), timeout=BOUND_S) as sock:
        sock.sendall(handshake)
        assert response(sock).startswith(b"HTTP/1.1 400 Bad Request\r\n")
        assert sock.recv(65536) == b""


def responses(sock: socket.socket, count: int) -> bytes:
    """count whole responses of slow_first or slow_body, read from sock; all that came if the server ends first."""
    sock.settimeout(BOUND_S)
    got = b""
    while got.count(b"done") < count and (chunk := sock.recv(65536)):
        got += chunk
    return got


@pytest.mark.usefixtures("short_deadlines")
def test_a_head_begun_while_an_earlier_answer_is_owed_waits_for_it_and_then_has_its_whole_time() -> None:
    # a pipelining client's next head, begun while /late is worked on: cut meanwhile, its 408 would be read as the
    # answer to /late. The answer comes just before the timer's second look, and the client sends the rest of its
    # head a while after it: its clock starts again after the hold, not at the timer's first look during it
    with serving(slow_first) as url, socket.create_connection(port_of(url), timeout=BOUND_S) as sock:
        sock.sendall(b"GET /late HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHo")
        assert responses(sock, 1).startswith(b"HTTP/1.1 200 OK\r\n")
        time.sleep(DEADLINE_S * 0.3)
        sock.sendall(b"st: x\r\n\r\n")
        assert responses(sock, 1).startswith(b"HTTP/1.1 200 OK\r\n")


@pytest.mark.usefixtures("short_deadlines")
def test_a_head_begun_while_an_earlier_answer_is_going_waits_for_it() -> None:
    with serving(slow_body) as url, socket.create_connection(port_of(url), timeout=BOUND_S) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(BOUND_S)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")  # its head, its body three deadlines later
        sock.sendall(b"GET /a HTTP/1.1\r\nHo")
        assert responses(sock, 1).endswith(b"done")
        sock.sendall(b"st: x\r\n\r\n")
        assert responses(sock, 1).startswith(b"HTTP/1.1 200 OK\r\n")


@pytest.mark.usefixtures("short_deadlines")
def test_a_head_that_waits_unread_behind_a_body_the_app_takes_late_is_not_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    # uvicorn stops reading above HIGH_WATER_LIMIT of body the app has not taken: made small, so that the body
    # and the start of the next head come in one read, and the rest of that head waits unread until the app reads
    monkeypatch.setattr(httptools_impl, "HIGH_WATER_LIMIT", 4)
    with serving(late_reader) as url, socket.create_connection(port_of(url), timeout=BOUND_S) as sock:
        sock.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789GET /a HTTP/1.1\r\nHo")
        time.sleep(DEADLINE_S * 0.2)
        sock.sendall(b"st: x\r\n\r\n")
        sock.settimeout(BOUND_S)
        got = b""
        while not got.endswith(b"\r\n\r\n0") and (chunk := sock.recv(65536)):
            got += chunk
    # the body's length, then the answer to GET /a (its length 0), and no 408
    assert got.count(b"HTTP/1.1 200 OK\r\n") == 2 and b"\r\n\r\n10HTTP/1.1 200 OK\r\n" in got, got


@pytest.mark.usefixtures("short_deadlines")
def test_a_body_still_coming_while_its_answer_goes_is_not_cut() -> None:
    # the app answered without reading the body, and its answer takes three deadlines: a client may stop sending
    # until it has read it. The rest of the body is dropped, and the connection serves the next request
    with serving(slow_body) as url, socket.create_connection(port_of(url), timeout=BOUND_S) as sock:
        sock.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab")
        assert responses(sock, 1).endswith(b"\r\n\r\ndone")
        sock.sendall(b"cdGET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        assert responses(sock, 1).startswith(b"HTTP/1.1 200 OK\r\n")


@pytest.mark.usefixtures("short_deadlines")
def test_a_body_sent_a_while_after_a_late_100_continue_has_its_whole_grace() -> None:
    # the 100 Continue goes out just before the timer's second look: the client's grace starts after it, not at
    # the timer's first look, while it still waited
    with serving(late_reader) as url, socket.create_connection(port_of(url), timeout=BOUND_S) as sock:
        sock.sendall(b"POST /late HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        time.sleep(DEADLINE_S * 0.3)
        sock.sendall(b"ab")
        assert response(sock).endswith(b"\r\n\r\n2")


async def reading_first(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """slow_first, after it asked for its request's body: uvicorn reads again then, pipelined requests or not."""
    if scope["type"] == "http":
        await receive()
    await slow_first(scope, receive, send)


@pytest.mark.usefixtures("short_deadlines")
def test_a_pipelined_body_read_while_an_earlier_answer_is_owed_is_not_cut() -> None:
    # read, not held unread: still a 408 for it would be read as the answer to /slow
    with serving(reading_first) as url, socket.create_connection(port_of(url), timeout=BOUND_S) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\nPOST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab")
        got = responses(sock, 1)
        sock.sendall(b"cd")
        if got.count(b"done") < 2:  # the app answers /a without waiting for the rest of its body
            got += responses(sock, 1)
    assert got.startswith(b"HTTP/1.1 200 OK\r\n"), got
    assert got.count(b"HTTP/1.1 200 OK\r\n") == 2, got
