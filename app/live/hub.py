"""The in-process hub: fans committed events out to the live connections of each workshop."""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence

from starlette.websockets import WebSocket

from app.live.frames import event_frame
from app.live.protocol import WRITE_NOW, text_frame
from app.store.events import ROLE_AUDIENCES, LogEntry

log = logging.getLogger(__name__)


class Connection:
    """One live websocket: a bounded queue of encoded frames and the task that writes them."""

    # a frame for a connection with nothing queued and its sender waiting is written at once by the server's plain
    # write (most frames: an acknowledgement, a step change); a frame that write declines (the socket is paused or
    # closing, or the server offers no plain write) is queued for the sender, which sends it the ASGI way, and later
    # frames queue behind it, so a slow phone still never holds up anyone else

    def __init__(
        self, websocket: WebSocket, *, workshop_id: int, role: str, participant_id: int | None, queue_size: int
    ) -> None:
        self.websocket = websocket
        self.workshop_id = workshop_id
        self.role = role
        self.audiences = ROLE_AUDIENCES[role]
        self.participant_id = participant_id
        self.queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(maxsize=queue_size)
        # frames up to this seq were sent by replay or snapshot; live copies of them are skipped
        self.sent_seq = 0
        self.overflowed = False
        self.sender: asyncio.Task[None] | None = None
        # the sender is parked on an empty queue: nothing is being written, so a new frame may go straight out
        self._idle = False
        # the server's plain write (app/live/protocol.py), where it offers one: no coroutine per frame
        self._write_direct = websocket.scope.get("extensions", {}).get(WRITE_NOW)

    def offer(self, seq: int, frame: str, wire: bytes | None = None) -> None:
        """Send or queue a frame without waiting; a connection too slow to keep up is dropped, to catch up later.

        wire is the frame as text_frame gives it, where the caller sends the same frame to many connections.
        """
        if self.overflowed:
            return
        if self._idle and self.queue.empty():
            self._write_now(seq, frame, wire)
            return
        self._queue(seq, frame)

    def _queue(self, seq: int, frame: str) -> None:
        try:
            self.queue.put_nowait((seq, frame))
        except asyncio.QueueFull:
            self.overflowed = True
            log.info("dropping slow %s connection of workshop %s", self.role, self.workshop_id)
            if self.sender is not None:
                self.sender.cancel()

    def _write_now(self, seq: int, frame: str, wire: bytes | None) -> None:
        """Write on the caller's turn of the event loop where the server can take it; else queue for the sender."""
        if seq and seq <= self.sent_seq:
            return
        if self._write_direct is not None and self._write_direct(wire or text_frame(frame)):
            if seq:
                self.sent_seq = seq
            return
        self._queue(seq, frame)

    def send_direct(self, frame: str) -> None:
        """Send a frame that is not an event (an acknowledgement, an error): written now, or queued as offer does."""
        self.offer(0, frame)

    async def send_loop(self, first_frames: Iterable[str]) -> None:
        """Write the replay or snapshot, then live frames in order, skipping what replay already sent."""
        send = self.websocket.send_text
        for frame in first_frames:
            await send(frame)
        while True:
            # with frames queued, get() returns without waiting, so nothing sees the flag raised
            self._idle = True
            try:
                seq, frame = await self.queue.get()
            finally:
                self._idle = False
            if seq and seq <= self.sent_seq:
                continue
            await send(frame)
            if seq:
                self.sent_seq = seq


class LocalHub:
    """Fan-out within this process."""

    def __init__(self) -> None:
        self._rooms: dict[int, set[Connection]] = defaultdict(set)
        # per workshop and audience, the connections that see it: a staff event among 2,000 phones
        # reaches its two staff screens without looking at every phone
        self._audiences: dict[int, dict[str, set[Connection]]] = defaultdict(lambda: defaultdict(set))

    async def start(self) -> None:
        """Nothing to start in-process."""

    async def stop(self) -> None:
        """Nothing to stop in-process."""

    def register(self, connection: Connection) -> None:
        """Start delivering a workshop's events to a connection."""
        self._rooms[connection.workshop_id].add(connection)
        for audience in connection.audiences:
            self._audiences[connection.workshop_id][audience].add(connection)

    def unregister(self, connection: Connection) -> None:
        """Stop delivering to a connection."""
        room = self._rooms.get(connection.workshop_id)
        if room is not None:
            room.discard(connection)
            for members in self._audiences[connection.workshop_id].values():
                members.discard(connection)
            if not room:
                del self._rooms[connection.workshop_id]
                del self._audiences[connection.workshop_id]

    def connections(self, workshop_id: int) -> int:
        """How many live connections a workshop has in this process."""
        return len(self._rooms.get(workshop_id, ()))

    async def publish(self, events: Sequence[LogEntry]) -> None:
        """Deliver committed events: each encoded once, queued on every connection whose role sees it."""
        self.deliver(events)

    def deliver(self, events: Sequence[LogEntry]) -> None:
        """Fan events out to this process's connections, in the order given."""
        for event in events:
            audiences = self._audiences.get(event.workshop_id)
            receivers = audiences.get(event.audience) if audiences else None
            if not receivers:
                continue
            frame = event_frame(event)
            # framed for the wire once, not once per receiver
            wire = text_frame(frame)
            for connection in list(receivers):
                connection.offer(event.seq, frame, wire)
