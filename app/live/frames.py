"""The live protocol's messages (docs/protocol.md): what a phone may send, what the server writes back."""

from enum import IntEnum, StrEnum
from typing import Any

import orjson

from app.errors import DomainError
from app.store.events import LogEntry, LoggedEvent, encode


class ClientMessage(StrEnum):
    """Every type of message a live screen may send: all but `pause` come from phones; the board only listens."""

    PING = "ping"
    ANSWER = "answer"
    REFRESH = "refresh"
    VOTES = "votes"
    VOLUNTEER = "volunteer"
    RESPONSE = "response"
    REVIEW = "review"
    PAUSE = "pause"


class ServerFrame(StrEnum):
    """Every type of frame the server writes on a live websocket."""

    SNAPSHOT = "snapshot"
    EVENT = "event"
    SYNCED = "synced"
    ACK = "ack"
    ERROR = "error"
    PONG = "pong"
    VOTES_ACK = "votes_ack"
    VOLUNTEER_ACK = "volunteer_ack"
    RESPONSE_ACK = "response_ack"
    REVIEW_ACK = "review_ack"


class CloseCode(IntEnum):
    """Every code the server closes a live websocket with; a client tries again after all but the final ones."""

    DONE = 1000
    # too slow to keep up: come back, and catch up by replay
    TRY_AGAIN_LATER = 1013
    # final: the workshop was deleted (HTTP's 410 Gone, in the range kept for applications)
    WORKSHOP_REMOVED = 4410
    # final: the phone's workshop is there, but no participant of it is this browser's any more (its cookie gone, or
    # its participant removed); it may join again. Beside 4410: no refused handshake's 4000 plus status is 4411
    PARTICIPANT_REMOVED = 4411


def event_frame(event: LogEntry) -> str:
    """The wire form of an event, the same live and on replay."""
    if isinstance(event, LoggedEvent):
        # the payload's text is spliced in as it is: the same JSON as encoding the whole frame would give
        kind = orjson.dumps(event.kind).decode()
        return f'{{"type":"event","seq":{event.seq},"kind":{kind},"data":{event.payload_json}}}'
    return encode({"type": ServerFrame.EVENT, "seq": event.seq, "kind": event.kind, "data": event.payload})


def error_frame(error: DomainError, **extra: Any) -> dict[str, Any]:
    """A refused message as a frame: its code, its message in the current language, its parameters."""
    return {"type": ServerFrame.ERROR, "code": error.code, "message": error.text(), **error.params, **extra}
