"""The server protocol's fence: what it uses of uvicorn and websockets is checked at start-up, with a plain fallback."""

import asyncio
import gc
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.server import ServerProtocol
from websockets.typing import Origin

from app.config import Settings
from app.demo.driver import prepare
from app.live import protocol
from app.live.hub import Connection
from app.live.protocol import (
    PLAIN_HTTP_PROTOCOL,
    PLAIN_PROTOCOL,
    DirectProtocol,
    UpgradingHttpProtocol,
    http_protocol,
    missing_http_internals,
    missing_internals,
    server_protocol,
)
from app.main import create_app
from tests.servers import serving


def test_the_installed_uvicorn_and_websockets_have_all_the_protocol_uses(caplog: pytest.LogCaptureFixture) -> None:
    assert missing_internals() == []
    assert server_protocol() == "app.live.protocol:DirectProtocol"
    assert missing_http_internals() == []
    assert http_protocol() is UpgradingHttpProtocol
    assert caplog.records == []


def after_init(cls: type, change: Callable[[Any], None]) -> Callable[..., None]:
    """cls's __init__, followed by change on the new instance: an upgrade that reshaped its state."""
    plain = cls.__init__  # type: ignore[misc]

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        plain(self, *args, **kwargs)
        change(self)

    return init


def upgraded(monkeypatch: pytest.MonkeyPatch, what: str) -> None:
    """Change the real uvicorn or websockets class as a release might."""
    if what == "an overridden method is gone":
        monkeypatch.delattr(WebSocketsSansIOProtocol, "send_receive_event_to_app")
    elif what == "an overridden method takes another argument":
        monkeypatch.setattr(WebSocketsSansIOProtocol, "handle_connect", lambda self, event, scope: None)
    elif what == "uvicorn's state is renamed":
        monkeypatch.setattr(
            WebSocketsSansIOProtocol,
            "__init__",
            after_init(WebSocketsSansIOProtocol, lambda p: delattr(p, "read_paused")),
        )
    elif what == "uvicorn's queue is another kind":
        monkeypatch.setattr(
            WebSocketsSansIOProtocol,
            "__init__",
            after_init(WebSocketsSansIOProtocol, lambda p: setattr(p, "queue", [])),
        )
    elif what == "websockets' state is renamed":
        monkeypatch.setattr(ServerProtocol, "__init__", after_init(ServerProtocol, lambda c: delattr(c, "writes")))


@pytest.mark.parametrize(
    ("what", "named"),
    [
        ("an overridden method is gone", "uvicorn.send_receive_event_to_app(self)"),
        ("an overridden method takes another argument", "uvicorn.handle_connect(self, event)"),
        ("uvicorn's state is renamed", "uvicorn.read_paused (bool)"),
        ("uvicorn's queue is another kind", "uvicorn.queue (Queue)"),
        ("websockets' state is renamed", "websockets.writes (list)"),
    ],
)
def test_what_an_upgrade_took_away_is_named_in_one_warning_and_uvicorns_own_protocol_serves(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, what: str, named: str
) -> None:
    upgraded(monkeypatch, what)
    assert missing_internals() == [named]
    with caplog.at_level(logging.WARNING, logger="app.live.protocol"):
        assert server_protocol() == PLAIN_PROTOCOL
    (warning,) = caplog.records
    assert warning.levelno == logging.WARNING and named in warning.getMessage()


def http_upgraded(monkeypatch: pytest.MonkeyPatch, what: str) -> None:
    """Change the real uvicorn HTTP classes as a release might."""
    if what == "an overridden method is gone":
        monkeypatch.delattr(HttpToolsProtocol, "on_headers_complete")
    elif what == "an overridden method takes another argument":
        monkeypatch.setattr(HttpToolsProtocol, "on_body", lambda self, body, more: None)
    elif what == "the pipeline is another kind":
        monkeypatch.setattr(
            HttpToolsProtocol, "__init__", after_init(HttpToolsProtocol, lambda p: setattr(p, "pipeline", []))
        )
    elif what == "the flow's state is renamed":
        monkeypatch.setattr(FlowControl, "__init__", after_init(FlowControl, lambda f: delattr(f, "read_paused")))
    elif what == "the cycle's state is renamed":
        monkeypatch.setattr(
            RequestResponseCycle,
            "__init__",
            after_init(RequestResponseCycle, lambda c: delattr(c, "waiting_for_100_continue")),
        )


@pytest.mark.parametrize(
    ("what", "named"),
    [
        ("an overridden method is gone", "uvicorn.on_headers_complete(self)"),
        ("an overridden method takes another argument", "uvicorn.on_body(self, body)"),
        ("the pipeline is another kind", "uvicorn.pipeline (deque)"),
        ("the flow's state is renamed", "uvicorn.flow.read_paused (bool)"),
        ("the cycle's state is renamed", "uvicorn.cycle.waiting_for_100_continue (bool)"),
    ],
)
def test_what_an_upgrade_took_from_the_http_protocol_is_named_and_uvicorns_own_serves_http(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, what: str, named: str
) -> None:
    # the deadlines for slow clients read uvicorn's state: renamed, they would fail in a timer, with no one told
    http_upgraded(monkeypatch, what)
    assert missing_http_internals() == [named]
    with caplog.at_level(logging.WARNING, logger="app.live.protocol"):
        assert http_protocol() == PLAIN_HTTP_PROTOCOL
    (warning,) = caplog.records
    assert warning.levelno == logging.WARNING and named in warning.getMessage()


def test_without_the_http_internals_pages_are_served_by_uvicorns_own_protocol(
    monkeypatch: pytest.MonkeyPatch, live_settings: Settings
) -> None:
    monkeypatch.setitem(protocol.HTTP_ATTRIBUTES, "renamed_in_a_later_release", object)
    ours: list[object] = []
    monkeypatch.setattr(UpgradingHttpProtocol, "on_message_begin", lambda self: ours.append(self))
    with serving(create_app(live_settings)) as url, httpx.Client() as client:
        answer = client.get(f"{url}/healthz")
    assert answer.status_code == 200
    assert ours == []


def test_without_the_internals_the_app_is_served_through_plain_asgi(
    monkeypatch: pytest.MonkeyPatch, live_settings: Settings
) -> None:
    # a name the installed uvicorn lacks, as after an upgrade that dropped one
    monkeypatch.setitem(protocol.UVICORN_ATTRIBUTES, "renamed_in_a_later_release", object)
    direct: list[object] = []
    monkeypatch.setattr(DirectProtocol, "handle_connect", lambda self, event: direct.append(event))

    async def projector(url: str) -> tuple[dict[str, Any], dict[str, Any]]:
        token = prepare(live_settings).projector_path.rsplit("/", 1)[1]
        async with connect(f"{url.replace('http://', 'ws://')}/ws/projector/{token}") as ws:
            snapshot = json.loads(await ws.recv())
            await ws.send(json.dumps({"type": "ping"}))
            return snapshot, json.loads(await ws.recv())

    with serving(create_app(live_settings)) as url:
        snapshot, pong = asyncio.run(projector(url))
    assert snapshot["type"] == "snapshot" and pong == {"type": "pong"}
    assert direct == []  # uvicorn's own protocol served it: no plain write, no listener


def test_a_finished_connection_leaves_no_cycle_for_the_collector(live_settings: Settings) -> None:
    # the server postpones full sweeps of the collector (app/main.py), so what a finished connection leaves in
    # cycles piles up for many minutes: a churn of phones grew the server by a hundred percent in ten
    async def come_and_go(url: str) -> None:
        token = prepare(live_settings).projector_path.rsplit("/", 1)[1]
        for leave_politely in (True, False, True, False):
            ws = await connect(f"{url.replace('http://', 'ws://')}/ws/projector/{token}")
            await ws.recv()  # the snapshot
            await ws.send(json.dumps({"type": "ping"}))
            await ws.recv()
            if leave_politely:
                await ws.close()
            else:
                ws.transport.abort()  # gone without a close frame, as a phone that loses its network
        # and a handshake the app refuses (a page of another site): DirectProtocol.run_asgi wraps the app for it
        with pytest.raises(InvalidStatus):
            await connect(
                f"{url.replace('http://', 'ws://')}/ws/projector/{token}", origin=Origin("https://evil.example")
            )

    connection_types = (HttpToolsProtocol, UpgradingHttpProtocol, DirectProtocol, Connection, ServerProtocol)
    gc.collect()
    gc.disable()  # no automatic sweep may free a cycle before it is counted
    try:
        with serving(create_app(live_settings)) as url:
            asyncio.run(come_and_go(url))
            time.sleep(0.5)  # the server's own wind-down of the last one
            # with the collector off, what is still there is held by a cycle (nothing else keeps a finished
            # connection); counted this way, not in gc.garbage: a cycle through a suspended generator (websockets'
            # parser) is freed by a sweep without ever appearing there
            left = [type(o).__name__ for o in gc.get_objects() if issubclass(type(o), connection_types)]
    finally:
        gc.enable()
    assert left == [], left
