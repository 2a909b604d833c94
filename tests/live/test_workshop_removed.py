"""Deleting a workshop closes every live socket of it for good, over a real server: phones, projector and board."""

import asyncio
import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app.config import Settings
from app.demo.content import DEMO_TITLE
from app.demo.driver import DemoFacilitator, DemoWorkshop, csrf_of, prepare, ws_url
from app.live.frames import CloseCode
from app.workshops import service as workshops

REMOVED = CloseCode.WORKSHOP_REMOVED.value


async def joined_cookie(url: str, code: str, name: str) -> str:
    """Join a workshop as a phone over HTTP; the cookie its websocket sends."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        page = await http.get(f"/j/{code}")
        form = {"csrf": csrf_of(page.text), "name": name, "organisation": "Woonstichting"}
        assert (await http.post(f"/j/{code}/participant", data=form)).status_code == 303
        return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


async def opened(url: str, path: str, cookie: str = "") -> tuple[ClientConnection, dict[str, Any]]:
    """A live socket and its first frame (the snapshot)."""
    headers = {"Cookie": cookie} if cookie else {}
    socket = await connect(ws_url(url, path), additional_headers=headers)
    return socket, json.loads(await asyncio.wait_for(socket.recv(), 10))


async def close_code(socket: ClientConnection) -> int | None:
    """Read until the server closes the socket; the code it closed with."""
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(socket.recv(), 10)
    assert socket.close_code is not None
    return socket.close_code


async def still_open(socket: ClientConnection) -> bool:
    """Whether the socket still answers a ping with a pong (events of its room may come first)."""
    await socket.send(json.dumps({"type": "ping"}))
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if frame["type"] == "pong":
            return True


async def delete(office: DemoFacilitator, workshop_id: int) -> None:
    response = await office.http.post(
        f"/f/workshops/{workshop_id}/verwijderen", data={"csrf": office.csrf, "title": DEMO_TITLE}
    )
    assert response.status_code == 303, response.text


def projector(demo: DemoWorkshop) -> str:
    return demo.projector_path.replace("/p/", "/ws/projector/")


def test_deleting_a_workshop_closes_its_phones_projectors_and_board_for_good_and_no_other(
    live_server: str, live_settings: Settings
) -> None:
    gone, kept = prepare(live_settings), prepare(live_settings)

    async def scenario() -> None:
        office = DemoFacilitator(live_server, gone.workshop_id)
        await office.sign_in(kept.password)  # the second prepare set the password anew
        board_cookie = "; ".join(f"{k}={v}" for k, v in office.http.cookies.items())
        try:
            phone_cookie = await joined_cookie(live_server, gone.code, "Ali")
            sockets = [
                await opened(live_server, f"/ws/phone/{gone.code}", phone_cookie),
                await opened(live_server, f"/ws/phone/{gone.code}", await joined_cookie(live_server, gone.code, "Bo")),
                await opened(live_server, projector(gone)),
                await opened(live_server, projector(gone)),
                await opened(live_server, f"/ws/board/{gone.workshop_id}", board_cookie),
            ]
            others = [
                await opened(live_server, f"/ws/phone/{kept.code}", await joined_cookie(live_server, kept.code, "Cas")),
                await opened(live_server, projector(kept)),
                await opened(live_server, f"/ws/board/{kept.workshop_id}", board_cookie),
            ]
            await delete(office, gone.workshop_id)
            codes = await asyncio.gather(*(close_code(socket) for socket, _ in sockets))
            assert codes == [REMOVED] * len(sockets)
            assert [socket.close_reason for socket, _ in sockets] == ["workshop removed"] * len(sockets)
            assert all([await still_open(socket) for socket, _ in others])

            # a reconnect that names the deleted workshop is closed so at once, phone, projector and board alike
            public_id = sockets[0][1]["workshop"]["id"]
            resume = f"?since=3&wid={public_id}"
            for path, cookie in (
                (f"/ws/phone/{gone.code}{resume}", phone_cookie),
                (f"{projector(gone)}{resume}", ""),
                (f"/ws/board/{gone.workshop_id}{resume}", board_cookie),
            ):
                socket = await connect(
                    ws_url(live_server, path), additional_headers={"Cookie": cookie} if cookie else {}
                )
                assert await close_code(socket) == REMOVED, path
            # without one it is refused as any unknown code is: the code names nothing, nothing more is said
            cookie = phone_cookie
            with pytest.raises(InvalidStatus) as refused:
                await connect(
                    ws_url(live_server, f"/ws/phone/{gone.code}"), additional_headers={"Cookie": phone_cookie}
                )
            assert refused.value.response.status_code == 404
            # a workshop that is still there is not called deleted, whatever its reconnecting client says
            with pytest.raises(InvalidStatus) as refused:
                await connect(ws_url(live_server, f"/ws/phone/{kept.code}?since=1&wid={public_id}"))
            assert refused.value.response.status_code == 403
            for socket, _ in others:
                await socket.close()
        finally:
            await office.close()

    asyncio.run(scenario())


def test_a_phone_naming_its_workshop_without_a_participant_of_it_is_closed_for_good_and_no_other(
    live_server: str, live_settings: Settings
) -> None:
    room, other = prepare(live_settings), prepare(live_settings)

    async def scenario() -> None:
        cookie = await joined_cookie(live_server, room.code, "Ali")
        socket, snapshot = await opened(live_server, f"/ws/phone/{room.code}", cookie)
        public_id = snapshot["workshop"]["id"]
        await socket.close()
        # its cookie gone (run out, cleared): the phone of this workshop has no participant of it any more
        gone = await connect(ws_url(live_server, f"/ws/phone/{room.code}?since=3&wid={public_id}"))
        assert await close_code(gone) == CloseCode.PARTICIPANT_REMOVED
        assert gone.close_reason == "participant removed"
        # the first try of a page, before any snapshot, names its workshop too
        first = await connect(ws_url(live_server, f"/ws/phone/{room.code}?wid={public_id}"))
        assert await close_code(first) == CloseCode.PARTICIPANT_REMOVED
        # a handshake that names no workshop, or another one, is refused as before: nothing final is said of it
        for path in (f"/ws/phone/{room.code}", f"/ws/phone/{other.code}?since=1&wid={public_id}"):
            with pytest.raises(InvalidStatus) as refused:
                await connect(ws_url(live_server, path))
            assert refused.value.response.status_code == 403, path
        # the participant's own phone, naming its workshop, is served as ever
        socket, snapshot = await opened(live_server, f"/ws/phone/{room.code}?wid={public_id}", cookie)
        assert snapshot["type"] == "snapshot"
        assert await still_open(socket)
        await socket.close()

    asyncio.run(scenario())


def test_a_phones_first_try_naming_its_deleted_workshop_is_closed_for_good(
    live_server: str, live_settings: Settings
) -> None:
    gone = prepare(live_settings)

    async def scenario() -> None:
        office = DemoFacilitator(live_server, gone.workshop_id)
        await office.sign_in(gone.password)
        try:
            cookie = await joined_cookie(live_server, gone.code, "Ali")
            socket, snapshot = await opened(live_server, f"/ws/phone/{gone.code}", cookie)
            public_id = snapshot["workshop"]["id"]
            await socket.close()
            await delete(office, gone.workshop_id)
            # a page loaded before the deletion, opening its first socket after it: no seq yet, but its workshop
            first = await connect(
                ws_url(live_server, f"/ws/phone/{gone.code}?wid={public_id}"), additional_headers={"Cookie": cookie}
            )
            assert await close_code(first) == REMOVED
        finally:
            await office.close()

    asyncio.run(scenario())


def test_a_database_that_does_not_answer_is_never_read_as_a_workshop_deleted(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_: Any, **__: Any) -> bool:
        raise OperationalError("select", {}, Exception("the database does not answer"))

    monkeypatch.setattr(workshops, "public_id_exists", down)
    # the handshake fails, which the phone tries again after; it is not closed with the final 4410
    with pytest.raises(WebSocketDenialResponse) as failed, client.websocket_connect("/ws/phone/ZZZZZZ?wid=gone"):
        pass
    assert failed.value.status_code == 503
    monkeypatch.undo()
    # answered, the same handshake is told the workshop is gone
    with client.websocket_connect("/ws/phone/ZZZZZZ?wid=gone") as socket, pytest.raises(WebSocketDisconnect) as closed:
        socket.receive_text()
    assert closed.value.code == REMOVED
