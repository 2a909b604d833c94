"""The hub and connections: encode once, bounded queues, slow receivers dropped."""

import asyncio
from typing import Any

from app.live.hub import Connection, LocalHub
from app.live.protocol import WRITE_NOW
from app.models import Event


class FakeSocket:
    """A websocket that records what it is sent; a write can wait for a gate, never finish (stalled), or fail."""

    def __init__(self, *, stalled: bool = False) -> None:
        self.sent: list[str] = []
        self.stalled = stalled
        self.gate: asyncio.Event | None = None
        self.broken = False
        # a server without the plain write (app/live/protocol.py), as under the test client
        self.scope: dict[str, Any] = {"extensions": {}}

    async def send_text(self, text: str) -> None:
        if self.broken:
            raise ConnectionResetError("gone")
        if self.stalled:
            await asyncio.Event().wait()
        if self.gate is not None:
            await self.gate.wait()
        self.sent.append(text)


class ServedSocket(FakeSocket):
    """A websocket under Doorbraak's server: its plain write takes a frame unless the socket is gated or gone."""

    def __init__(self) -> None:
        super().__init__()
        self.scope["extensions"][WRITE_NOW] = self.write_now

    def write_now(self, frame: bytes) -> bool:
        if self.gate is not None or self.broken:
            return False  # the sender sends it the ASGI way, which waits for the gate or fails
        self.sent.append(unframe(frame))
        return True


class DirectSocket(FakeSocket):
    """A websocket whose server offers the plain write; it takes frames while `taking`, like an unpaused socket."""

    def __init__(self) -> None:
        super().__init__()
        self.taking = True
        self.direct: list[str] = []
        self.scope["extensions"][WRITE_NOW] = self.write_now

    def write_now(self, frame: bytes) -> bool:
        if self.taking:
            self.direct.append(unframe(frame))
        return self.taking


def unframe(frame: bytes) -> str:
    """The text of a short frame from text_frame: two header bytes, then the payload."""
    assert frame[0] == 0x81 and frame[1] < 126
    return frame[2:].decode()


def connection(socket: FakeSocket, role: str = "projector", queue_size: int = 16) -> Connection:
    return Connection(socket, workshop_id=1, role=role, participant_id=None, queue_size=queue_size)  # type: ignore[arg-type]


def event(seq: int, audience: str = "staff", workshop_id: int = 1) -> Event:
    return Event(workshop_id=workshop_id, seq=seq, kind="answer.created", audience=audience, payload={"n": seq})


async def drain(*connections: Connection) -> None:
    for _ in range(50):
        if all(c.sender is None and (c.queue is None or c.queue.empty()) for c in connections):
            return
        await asyncio.sleep(0)


async def test_a_stalled_receiver_is_dropped_and_the_others_keep_receiving() -> None:
    hub = LocalHub()
    fast, slow = FakeSocket(), FakeSocket(stalled=True)
    fast_conn, slow_conn = connection(fast), connection(slow)
    for conn in (fast_conn, slow_conn):
        hub.register(conn)
        conn.start([])
    for seq in range(1, 41):
        await hub.publish([event(seq)])
        await asyncio.sleep(0)
    await drain(fast_conn)
    assert len(fast.sent) == 40
    assert slow_conn.overflowed
    await asyncio.sleep(0)
    assert slow_conn.sender is not None and slow_conn.sender.cancelled()
    # the endpoint then closes it; the client reconnects and replays
    assert slow_conn.ended.done() and not fast_conn.ended.done()


async def test_each_event_is_encoded_once_for_all_receivers(monkeypatch: Any) -> None:
    import app.live.hub as hub_module

    calls: list[int] = []
    real = hub_module.event_frame

    def counting(e: Event) -> str:
        calls.append(e.seq)
        return real(e)

    monkeypatch.setattr(hub_module, "event_frame", counting)
    hub = LocalHub()
    receivers = [connection(FakeSocket()) for _ in range(50)]
    for conn in receivers:
        hub.register(conn)
    await hub.publish([event(1), event(2)])
    assert calls == [1, 2]
    assert all(conn.queue.qsize() == 2 for conn in receivers)


async def test_phones_only_get_events_meant_for_everyone() -> None:
    hub = LocalHub()
    phone, projector = connection(FakeSocket(), role="phone"), connection(FakeSocket())
    other_room = Connection(
        FakeSocket(),
        workshop_id=2,
        role="projector",
        participant_id=None,  # type: ignore[arg-type]
        queue_size=16,
    )
    for conn in (phone, projector, other_room):
        hub.register(conn)
    await hub.publish([event(1, "staff"), event(2, "all")])
    assert [seq for seq, _ in [phone.queue.get_nowait()]] == [2]
    assert projector.queue is not None and projector.queue.qsize() == 2
    assert other_room.queue is None


async def test_frames_already_sent_by_replay_are_not_sent_twice() -> None:
    socket = FakeSocket()
    conn = connection(socket)
    conn.sent_seq = 5
    for seq in (4, 5, 6):
        conn.offer(seq, f"e{seq}")
    conn.send_direct("ack")
    conn.start(["replayed"])
    await drain(conn)
    assert socket.sent == ["replayed", "e6", "ack"]


async def test_unregistered_connections_are_forgotten() -> None:
    hub = LocalHub()
    conn = connection(FakeSocket())
    hub.register(conn)
    assert hub.connections(1) == 1
    hub.unregister(conn)
    assert hub.connections(1) == 0
    await hub.publish([event(1)])
    assert conn.queue is None


def phone_connection(socket: FakeSocket) -> Connection:
    return Connection(socket, workshop_id=1, role="phone", participant_id=7, queue_size=16)  # type: ignore[arg-type]


async def parked(socket: FakeSocket) -> Connection:
    """A connection that has sent its (empty) snapshot and waits for frames."""
    connection = phone_connection(socket)
    connection.start([])
    return connection


async def stop(connection: Connection) -> Any:
    if connection.sender is not None:
        connection.sender.cancel()
        return await asyncio.gather(connection.sender, return_exceptions=True)
    return None


async def test_a_connection_whose_socket_takes_every_frame_has_no_sender_task_and_no_queue() -> None:
    socket = ServedSocket()
    connection = phone_connection(socket)
    connection.start(["snapshot"])
    for seq in (1, 2, 3):
        connection.offer(seq, f"e{seq}")
    connection.send_direct("ack")
    assert socket.sent == ["snapshot", "e1", "e2", "e3", "ack"]
    # what 2,000 phones would each hold for hours: a task, its coroutines and a queue (docs/performance.md)
    assert connection.sender is None and connection.queue is None
    assert not connection.ended.done()


async def test_frames_that_arrive_during_catch_up_follow_the_snapshot_in_order() -> None:
    socket = ServedSocket()
    connection = phone_connection(socket)
    connection.sent_seq = 4
    connection.offer(4, "in the snapshot already")
    connection.offer(5, "e5")
    assert socket.sent == []  # the snapshot is not out yet: nothing may overtake it
    connection.start(["snapshot"])
    connection.offer(6, "e6")
    await drain(connection)
    assert socket.sent == ["snapshot", "e5", "e6"]
    assert connection.sender is None and connection.sent_seq == 6


async def test_a_frame_for_an_idle_connection_is_written_before_offer_returns() -> None:
    socket = ServedSocket()
    connection = await parked(socket)
    connection.offer(3, "step")
    connection.send_direct("ack")
    assert socket.sent == ["step", "ack"]  # no turn of the event loop in between
    assert connection.sent_seq == 3
    connection.offer(2, "replayed already")
    assert socket.sent == ["step", "ack"]
    await stop(connection)


async def test_once_a_write_waits_later_frames_queue_behind_it_in_order() -> None:
    socket = ServedSocket()
    connection = await parked(socket)
    socket.gate = asyncio.Event()
    connection.offer(1, "first")  # the transport is paused: this write has to wait
    connection.offer(2, "second")
    connection.send_direct("ack")
    await asyncio.sleep(0)
    assert socket.sent == []
    socket.gate.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert socket.sent == ["first", "second", "ack"]
    assert connection.sent_seq == 2
    assert connection.sender is None  # the queue is empty: the sender has stopped
    socket.gate = None
    connection.offer(3, "third")  # straight out again
    assert socket.sent[-1] == "third"
    assert not connection.ended.done()


async def test_a_failed_write_ends_the_connection() -> None:
    socket = ServedSocket()
    connection = await parked(socket)
    socket.broken = True
    connection.offer(1, "lost")
    (outcome,) = await asyncio.gather(connection.sender, return_exceptions=True)  # type: ignore[arg-type]
    # the plain write declines a gone socket; the sender's ASGI send fails, which ends the sender and the connection
    assert isinstance(outcome, ConnectionResetError)
    await asyncio.sleep(0)
    assert connection.ended.result() is outcome


async def test_a_slow_connection_is_dropped_when_its_queue_is_full() -> None:
    socket = FakeSocket()
    connection = await parked(socket)
    socket.gate = asyncio.Event()
    for seq in range(1, 18):
        connection.offer(seq, f"frame {seq}")
    assert connection.overflowed
    (outcome,) = await asyncio.gather(connection.sender, return_exceptions=True)  # type: ignore[arg-type]
    assert isinstance(outcome, asyncio.CancelledError)
    await asyncio.sleep(0)
    assert connection.ended.done()  # the endpoint closes it with 1013; the phone comes back and catches up


async def test_the_servers_plain_write_takes_frames_and_declines_to_the_asgi_send_in_order() -> None:
    socket = DirectSocket()
    conn = connection(socket)
    conn.start([])
    conn.offer(1, "een")
    assert socket.direct == ["een"] and socket.sent == []  # written before offer returned, with no coroutine
    socket.taking = False  # paused: the plain write declines, the ASGI send waits for the socket
    socket.gate = asyncio.Event()
    conn.offer(2, "twee")
    conn.offer(3, "drie")
    socket.gate.set()
    await drain(conn)
    assert socket.sent == ["twee", "drie"] and socket.direct == ["een"]
    assert conn.sent_seq == 3
    socket.taking = True
    conn.offer(3, "drie")  # a live copy of what was sent is skipped
    assert socket.direct == ["een"]


def test_text_frame_is_the_frame_websockets_itself_would_write_for_every_length_form() -> None:
    from websockets.frames import Frame, Opcode

    from app.live.protocol import text_frame

    # one byte of length up to 125, two up to 65,535, eight beyond; "é" is two bytes, so lengths count bytes
    for text in ("", "x" * 125, "x" * 126, "é" * 63, "x" * 65_535, "x" * 65_536, "é" * 40_000):
        assert text_frame(text) == Frame(Opcode.TEXT, text.encode()).serialize(mask=False), len(text)


async def test_listen_hands_queued_messages_over_in_order_and_leaves_the_disconnect_queued() -> None:
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from app.live.protocol import DirectProtocol

    async def no_app(scope: Any, receive: Any, send: Any) -> None:
        pass

    # uvicorn's real protocol, as uvicorn makes it for an upgraded connection, before it has a socket
    config = Config(no_app, ws="websockets-sansio", log_config=None)
    protocol = DirectProtocol(config=config, server_state=ServerState(), app_state={})
    for message in (
        {"type": "websocket.receive", "text": "een"},
        {"type": "websocket.receive", "bytes": b"twee"},
        {"type": "websocket.receive", "text": "drie"},
        {"type": "websocket.disconnect", "code": 1000},
    ):
        protocol.queue.put_nowait(message)
    taken: list[str] = []
    closed: list[bool] = []
    protocol.listen(taken.append, lambda: closed.append(True))
    assert taken == ["een", "twee", "drie"]  # a binary message as its text, as the app's receive loop reads one
    assert protocol.listener == taken.append
    left = [protocol.queue.get_nowait() for _ in range(protocol.queue.qsize())]
    assert left == [{"type": "websocket.disconnect", "code": 1000}]
    assert closed == []  # the socket itself is not gone yet: connection_lost says so
    protocol.disconnected = True  # as connection_lost leaves it
    late: list[bool] = []
    protocol.listen(taken.append, lambda: late.append(True))
    assert late == [True]  # a socket gone before the app listened is reported at once


async def test_without_the_servers_plain_write_every_frame_goes_through_the_sender_in_order() -> None:
    socket = FakeSocket()
    connection = await parked(socket)
    connection.offer(1, "step")
    connection.send_direct("ack")
    assert socket.sent == [] and connection.queue.qsize() == 2  # nothing is written on the caller's turn
    await drain(connection)
    await asyncio.sleep(0)
    assert socket.sent == ["step", "ack"]
    assert connection.sent_seq == 1
    await stop(connection)
