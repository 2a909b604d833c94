"""Handshakes and frames over a real uvicorn server and TCP, as browsers and phones meet them."""

import asyncio
import json
import logging
import threading
import time
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect as sync_connect

from app.config import Settings
from app.demo.driver import prepare
from app.live.protocol import LISTEN, DirectProtocol
from tests.servers import serving, wait_for


def ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://") + path


@pytest.fixture
def projector_path(live_server: str, live_settings: Settings) -> str:
    """The websocket path of a workshop's projector on the live server."""
    token = prepare(live_settings).projector_path.rsplit("/", 1)[1]
    return f"/ws/projector/{token}"


def refused_status(url: str, **options: object) -> InvalidStatus:
    async def attempt() -> InvalidStatus:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, **options):  # type: ignore[arg-type]
                pass
        return refused.value

    return asyncio.run(attempt())


def test_foreign_origin_gets_http_403_with_a_reason(live_server: str, projector_path: str) -> None:
    refused = refused_status(ws_url(live_server, projector_path), origin="https://evil.example")
    assert refused.response.status_code == 403
    assert b"Doorbraak" in refused.response.body


def test_own_origin_is_let_in(live_server: str, projector_path: str) -> None:
    async def attempt() -> dict:  # type: ignore[type-arg]
        async with connect(ws_url(live_server, projector_path), origin=live_server) as ws:  # type: ignore[arg-type]
            return json.loads(await ws.recv())  # type: ignore[no-any-return]

    assert asyncio.run(attempt())["type"] == "snapshot"


def test_frames_go_out_through_the_servers_plain_write(
    live_server: str, projector_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[tuple[bytes, bool]] = []
    plain = DirectProtocol.write_now

    def recording(self: DirectProtocol, frame: bytes) -> bool:
        taken = plain(self, frame)
        written.append((frame, taken))
        return taken

    monkeypatch.setattr(DirectProtocol, "write_now", recording)

    async def attempt() -> dict:  # type: ignore[type-arg]
        async with connect(ws_url(live_server, projector_path), origin=live_server) as ws:  # type: ignore[arg-type]
            await ws.recv()  # the snapshot
            await ws.send(json.dumps({"type": "ping"}))
            return json.loads(await ws.recv())  # type: ignore[no-any-return]

    assert asyncio.run(attempt()) == {"type": "pong"}
    (snapshot, taken), pong = written
    # the snapshot too: a connection whose socket takes every frame needs no sender task
    assert taken and snapshot[:2] == b"\x81\x7e" and json.loads(snapshot[4:])["type"] == "snapshot"
    assert pong == (b'\x81\x0f{"type":"pong"}', True)


def test_messages_are_handed_over_by_the_servers_listener(
    live_server: str, projector_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    heard: list[str] = []
    plain = DirectProtocol.listen

    def recording(self: DirectProtocol, listener: Any, closed: Any = None) -> None:
        def hear(text: str) -> None:
            heard.append(text)
            listener(text)

        plain(self, hear, closed)

    monkeypatch.setattr(DirectProtocol, "listen", recording)

    async def attempt() -> dict:  # type: ignore[type-arg]
        async with connect(ws_url(live_server, projector_path), origin=live_server) as ws:  # type: ignore[arg-type]
            await ws.recv()  # snapshot
            await ws.send(json.dumps({"type": "ping"}))
            return json.loads(await ws.recv())  # type: ignore[no-any-return]

    assert asyncio.run(attempt()) == {"type": "pong"}
    assert heard == ['{"type": "ping"}']


def test_a_listener_taking_over_a_queued_message_leaves_the_connection_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # uvicorn stops reading while a message waits in its queue and starts again when its receive empties it. The
    # app below takes the listener only once a message waits there (Doorbraak's endpoint takes it before it ever
    # waits, so no client can get one there yet): listen() empties the queue, so it has to start reading again.
    queued: dict[str, asyncio.Event] = {}
    read = threading.Event()
    paused_at_listen: list[bool] = []
    heard: list[str] = []
    two_heard = threading.Event()
    queue_message = DirectProtocol.send_receive_event_to_app

    def noting(self: DirectProtocol) -> None:
        queue_message(self)
        if not self.queue.empty():
            queued["event"].set()
            read.set()

    monkeypatch.setattr(DirectProtocol, "send_receive_event_to_app", noting)

    def hear(text: str) -> None:
        heard.append(text)
        if len(heard) == 2:
            two_heard.set()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        queued["event"] = asyncio.Event()
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await queued["event"].wait()
        listen = scope["extensions"][LISTEN]
        paused_at_listen.append(listen.__self__.read_paused)
        listen(hear)
        while (await receive())["type"] != "websocket.disconnect":
            pass

    with serving(app) as url, sync_connect(ws_url(url, "/")) as ws:
        ws.send("een")
        assert read.wait(timeout=10)
        ws.send("twee")  # read only if reading started again
        assert two_heard.wait(timeout=10), f"the server stopped reading after {heard}"
    assert paused_at_listen == [True]  # the case this test is about: reading was paused when listen() came
    assert heard == ["een", "twee"]


@pytest.mark.parametrize("leaving", ["close", "drop"])
def test_a_connection_whose_client_leaves_is_let_go(live_settings: Settings, leaving: str) -> None:
    # the server says when a socket is gone (listen's second callback): no task of the app waits to receive it
    from app.main import create_app

    app = create_app(live_settings)
    with serving(app) as url:
        prepared = prepare(live_settings)
        hub = app.state.hub

        async def visit() -> None:
            ws = await connect(ws_url(url, prepared.projector_path.replace("/p/", "/ws/projector/")), origin=url)
            await ws.recv()  # the snapshot: registered
            assert hub.connections(prepared.workshop_id) == 1
            if leaving == "close":
                await ws.close()
            else:  # the phone's network is gone: no close frame, the socket just ends
                ws.transport.abort()
            for _ in range(100):
                if hub.connections(prepared.workshop_id) == 0:
                    return
                await asyncio.sleep(0.05)

        asyncio.run(visit())
        assert hub.connections(prepared.workshop_id) == 0


def test_unknown_projector_link_gets_http_404(live_server: str) -> None:
    assert refused_status(ws_url(live_server, "/ws/projector/geen-echte-link")).response.status_code == 404


def test_oversized_messages_get_an_error_frame_and_huge_ones_close_with_1009(
    live_server: str, projector_path: str
) -> None:
    async def attempt() -> tuple[dict, int | None]:  # type: ignore[type-arg]
        async with connect(ws_url(live_server, projector_path), max_size=None) as ws:
            await ws.recv()  # snapshot
            await ws.send("x" * 20_000)  # above the app's limit: refused, connection kept
            error = json.loads(await ws.recv())
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await ws.recv()) == {"type": "pong"}
            with pytest.raises(ConnectionClosed) as closed:
                # above the server's frame limit: that connection is closed, which the client may already
                # learn while it is still sending the frame, or only when it next reads
                await ws.send("x" * (2 << 20))
                await ws.recv()
            return error, closed.value.rcvd.code if closed.value.rcvd else None

    error, code = asyncio.run(attempt())
    assert error["code"] == "too_large" and error["limit"] == 8192
    assert code == 1009


def test_a_refused_handshake_logs_one_quiet_line(
    live_server: str, projector_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    # the server is up: its loggers are set, and this lets their INFO lines through to be counted
    caplog.set_level(logging.INFO, logger="uvicorn.error")
    caplog.set_level(logging.INFO, logger="app")
    refusals = [
        # a page of another site, over and over: each one an ERROR line filled the log
        *[(projector_path, "https://evil.example", 403)] * 5,
        ("/ws/phone/ZZZZZZ", live_server, 404),
        ("/ws/projector/geen-echte-link", live_server, 404),
        ("/ws/board/1", live_server, 401),
    ]
    for path, origin, status in refusals:
        caplog.clear()
        refused = refused_status(ws_url(live_server, path), origin=origin)
        assert refused.response.status_code == status
        # the server logs after the response went out: wait for its line about this one
        wait_for(lambda: any(r.name == "uvicorn.error" for r in caplog.records), f"the log of {path}", 5)
        time.sleep(0.2)  # and whatever else it would log once the app returned
        logged = [r for r in caplog.records if r.name.startswith(("uvicorn", "app"))]
        assert [(r.levelno, r.exc_info) for r in logged] == [(logging.INFO, None)], [r.getMessage() for r in logged]
        assert f" {status}" in logged[0].getMessage()


def test_a_handshake_websockets_itself_refuses_logs_its_one_line(
    live_server: str, projector_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    # a client speaking an old websocket version: refused (400) before the app hears of it, so uvicorn writes no line
    # of its own, and websockets' line ("connection rejected") is the one the refusal filter leaves out
    caplog.set_level(logging.INFO, logger="uvicorn.error")
    upgrade = {
        "connection": "Upgrade",
        "upgrade": "websocket",
        "sec-websocket-version": "8",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    response = httpx.get(live_server + projector_path, headers=upgrade)
    assert response.status_code == 400 and "Sec-WebSocket-Version" in response.text, response.text
    wait_for(lambda: any(r.name == "uvicorn.error" for r in caplog.records), "the refusal's line", 5)
    time.sleep(0.2)
    logged = [r for r in caplog.records if r.name.startswith("uvicorn")]
    assert [(r.levelno, r.exc_info) for r in logged] == [(logging.INFO, None)], [r.getMessage() for r in logged]
    assert "400" in logged[0].getMessage() and "/ws/projector/" in logged[0].getMessage()


def test_a_phones_sockets_opened_all_at_once_are_held_to_a_few(live_settings: Settings) -> None:
    from app.demo.driver import csrf_of
    from app.live.router import SOCKETS_PER_PHONE
    from app.main import create_app

    app = create_app(live_settings)
    with serving(app) as url:
        prepared = prepare(live_settings)

        async def storm() -> int:
            async with httpx.AsyncClient(base_url=url) as http:
                page = await http.get(f"/j/{prepared.code}")
                form = {"csrf": csrf_of(page.text), "name": "Veel", "organisation": "Tabbladen"}
                await http.post(f"/j/{prepared.code}/participant", data=form)
                cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())

            async def open_one() -> bool:
                path = ws_url(url, f"/ws/phone/{prepared.code}")
                try:
                    ws = await connect(path, additional_headers={"Cookie": cookie}, origin=url)
                except InvalidStatus:
                    return False  # turned down at the handshake
                frame = json.loads(await ws.recv())
                assert frame["type"] == "snapshot"
                opened.append(ws)
                return True

            opened: list[Any] = []
            results = await asyncio.gather(*(open_one() for _ in range(30)))
            for ws in opened:
                await ws.close()
            return sum(results)

        # thirty at once with one participant's cookie: a few are served, the rest turned down at the handshake
        assert asyncio.run(storm()) == SOCKETS_PER_PHONE


def test_a_projector_link_opens_a_few_screens_and_a_closed_one_frees_its_place(live_settings: Settings) -> None:
    from app.main import create_app

    app = create_app(live_settings)
    cap = live_settings.projector_sockets
    with serving(app) as url:
        path = ws_url(url, "/ws/projector/" + prepare(live_settings).projector_path.rsplit("/", 1)[1])

        async def storm() -> None:
            opened: list[Any] = []

            async def open_one() -> bool:
                try:
                    ws = await connect(path, origin=url)
                except InvalidStatus:
                    return False  # turned down at the handshake
                assert json.loads(await ws.recv())["type"] == "snapshot"
                opened.append(ws)
                return True

            try:
                # twice the cap at once with one link: the cap is served, the rest turned down
                assert sum(await asyncio.gather(*(open_one() for _ in range(2 * cap)))) == cap
                with pytest.raises(InvalidStatus) as refused:
                    await connect(path, origin=url)
                assert refused.value.response.status_code == 429
                assert b"te veel schermen" in refused.value.response.body
                # a screen closed frees its place (the server lets go of it once the close is through)
                await opened.pop().close()
                for _ in range(100):
                    if await open_one():
                        break
                    await asyncio.sleep(0.05)
                assert len(opened) == cap
            finally:
                for ws in opened:
                    await ws.close()

        asyncio.run(storm())
