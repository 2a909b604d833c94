"""The in-process hub: fans committed events out to the live connections of each workshop."""

import asyncio
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence

from starlette.websockets import WebSocket

from app.live.frames import event_frame
from app.live.protocol import WRITE_NOW, text_frame
from app.store.events import ROLE_AUDIENCES, Audience, LogEntry

log = logging.getLogger(__name__)
_OWN = Audience.OWN.value


class Connection:
    """One live websocket: frames written as they come, a bounded queue and a sender task only when one must wait."""

    # set once its workshop is deleted: the endpoint closes it with CloseCode.WORKSHOP_REMOVED, which is final
    removed = False

    # A frame is written at once by the server's plain write (most frames: an acknowledgement, a step change). One
    # that write declines (the socket is paused or closing, or the server offers no plain write) is queued, and a
    # sender task sends the queue the ASGI way, which waits or fails; later frames queue behind it until it is
    # empty, so a slow phone never holds up anyone else. Most connections never need the queue or the task, and
    # with 2,000 phones each one held for hours is memory (docs/performance.md).

    def __init__(
        self, websocket: WebSocket, *, workshop_id: int, role: str, participant_id: int | None, queue_size: int
    ) -> None:
        self.websocket = websocket
        self.workshop_id = workshop_id
        self.role = role
        self.audiences = ROLE_AUDIENCES[role]
        self.participant_id = participant_id
        self.queue_size = queue_size
        self.queue: asyncio.Queue[tuple[int, str]] | None = None
        # frames up to this seq were sent by replay or snapshot; live copies of them are skipped
        self.sent_seq = 0
        self.overflowed = False
        self.sender: asyncio.Task[None] | None = None
        # until the replay or snapshot is out (start), live frames wait behind it in the queue
        self._caught_up = False
        # the server's plain write (app/live/protocol.py), where it offers one: no coroutine per frame
        self._write_direct = websocket.scope.get("extensions", {}).get(WRITE_NOW)
        # resolves once the connection is to end, with the error that ended it, if one did
        self.ended: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()

    def start(self, first_frames: Sequence[str]) -> None:
        """Send the replay or snapshot, then what waited behind it; from then on frames go out as they come."""
        for index, frame in enumerate(first_frames):
            if self._write_direct is None or not self._write_direct(text_frame(frame)):
                self._start_sender(first_frames[index:])
                break
        else:
            if self.queue is not None and not self.queue.empty():
                self._start_sender(())
        self._caught_up = True

    def offer(self, seq: int, frame: str, wire: bytes | None = None) -> None:
        """Send or queue a frame without waiting; a connection too slow to keep up is dropped, to catch up later.

        wire is the frame as text_frame gives it, where the caller sends the same frame to many connections.
        """
        if self.overflowed:
            return
        if self._caught_up and self.sender is None:
            self._write_now(seq, frame, wire)
            return
        self._queue(seq, frame)

    def send_direct(self, frame: str) -> None:
        """Send a frame that is not an event (an acknowledgement, an error): written now, or queued as offer does."""
        self.offer(0, frame)

    def end(self, error: BaseException | None = None) -> None:
        """Have the endpoint close this connection (the first reason given counts)."""
        if not self.ended.done():
            self.ended.set_result(error)

    def end_removed(self) -> None:
        """Have the endpoint close this connection for good: its workshop is deleted."""
        self.removed = True
        self.end()

    def _write_now(self, seq: int, frame: str, wire: bytes | None) -> None:
        """Write on the caller's turn of the event loop where the server can take it; else queue for a sender."""
        if seq and seq <= self.sent_seq:
            return
        if self._write_direct is not None and self._write_direct(wire or text_frame(frame)):
            if seq:
                self.sent_seq = seq
            return
        self._queue(seq, frame)
        self._start_sender(())

    def _queue(self, seq: int, frame: str) -> None:
        if self.queue is None:
            self.queue = asyncio.Queue(maxsize=self.queue_size)
        try:
            self.queue.put_nowait((seq, frame))
        except asyncio.QueueFull:
            self.overflowed = True
            log.info("dropping slow %s connection of workshop %s", self.role, self.workshop_id)
            if self.sender is not None:
                self.sender.cancel()
            else:
                self.end()

    def _start_sender(self, first_frames: Sequence[str]) -> None:
        self.sender = asyncio.create_task(self._send(first_frames))
        self.sender.add_done_callback(self._sender_done)

    async def _send(self, first_frames: Sequence[str]) -> None:
        """Send frames the ASGI way, skipping what replay already sent, until nothing waits any more."""
        send = self.websocket.send_text
        for frame in first_frames:
            await send(frame)
        queue = self.queue
        while queue is not None and not queue.empty():
            seq, frame = queue.get_nowait()
            if seq and seq <= self.sent_seq:
                continue
            await send(frame)
            if seq:
                self.sent_seq = seq
        # all caught up: frames are written as they come again
        self.sender = None

    def _sender_done(self, sender: "asyncio.Task[None]") -> None:
        """A sender stopped by a full queue or by a failed send ends the connection; one that emptied it does not."""
        if sender.cancelled():
            self.end()
        elif (error := sender.exception()) is not None:
            self.end(error)


class LocalHub:
    """Fan-out within this process."""

    def __init__(self) -> None:
        self._rooms: dict[int, set[Connection]] = defaultdict(set)
        # per workshop and audience, the connections that see it: a staff event among 2,000 phones
        # reaches its two staff screens without looking at every phone
        self._audiences: dict[int, dict[str, set[Connection]]] = defaultdict(lambda: defaultdict(set))
        # per workshop and participant, the sockets their phone has open here: sockets_of counts them, and an event
        # for that participant alone (Audience.OWN) reaches them without looking at every phone
        self._phones: dict[tuple[int, int], set[Connection]] = defaultdict(set)
        # per workshop, how many projector screens it has open here (projectors_of)
        self._projectors: Counter[int] = Counter()

    async def start(self) -> None:
        """Nothing to start in-process."""

    async def stop(self) -> None:
        """Nothing to stop in-process."""

    def register(self, connection: Connection) -> None:
        """Start delivering a workshop's events to a connection."""
        self._rooms[connection.workshop_id].add(connection)
        for audience in connection.audiences:
            self._audiences[connection.workshop_id][audience].add(connection)
        if connection.participant_id is not None:
            self._phones[connection.workshop_id, connection.participant_id].add(connection)
        elif connection.role == "projector":
            self._projectors[connection.workshop_id] += 1

    def unregister(self, connection: Connection) -> None:
        """Stop delivering to a connection."""
        room = self._rooms.get(connection.workshop_id)
        if room is not None and connection in room:
            if connection.participant_id is not None:
                phone = (connection.workshop_id, connection.participant_id)
                self._phones[phone].discard(connection)
                if not self._phones[phone]:
                    del self._phones[phone]
            elif connection.role == "projector":
                self._projectors[connection.workshop_id] -= 1
                if not self._projectors[connection.workshop_id]:
                    del self._projectors[connection.workshop_id]
            room.discard(connection)
            for members in self._audiences[connection.workshop_id].values():
                members.discard(connection)
            if not room:
                del self._rooms[connection.workshop_id]
                del self._audiences[connection.workshop_id]

    async def remove_workshops(self, workshop_ids: Sequence[int]) -> None:
        """After a commit that deleted workshops: close every live connection of theirs."""
        for workshop_id in workshop_ids:
            self.close_workshop(workshop_id)

    def close_workshop(self, workshop_id: int) -> None:
        """Close this process's connections of a deleted workshop, each with the code that says it is gone."""
        for connection in list(self._rooms.get(workshop_id, ())):
            connection.end_removed()

    def sockets_of(self, workshop_id: int, participant_id: int) -> int:
        """How many sockets a participant's phone has open in this process."""
        return len(self._phones.get((workshop_id, participant_id), ()))

    def projectors_of(self, workshop_id: int) -> int:
        """How many projector screens a workshop has open in this process."""
        return self._projectors[workshop_id]

    def connections(self, workshop_id: int) -> int:
        """How many live connections a workshop has in this process."""
        return len(self._rooms.get(workshop_id, ()))

    async def publish(self, events: Sequence[LogEntry]) -> None:
        """Deliver committed events: each encoded once, queued on every connection whose role sees it."""
        self.deliver(events)

    def deliver(self, events: Sequence[LogEntry]) -> None:
        """Fan events out to this process's connections, in the order given."""
        for event in events:
            if event.audience == _OWN:
                receivers = self._phones.get((event.workshop_id, event.payload.get("participant", 0)))
            else:
                audiences = self._audiences.get(event.workshop_id)
                receivers = audiences.get(event.audience) if audiences else None
            if not receivers:
                continue
            frame = event_frame(event)
            # framed for the wire once, not once per receiver
            wire = text_frame(frame)
            for connection in list(receivers):
                connection.offer(event.seq, frame, wire)
