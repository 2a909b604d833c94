"""What the server writes on a live websocket: events framed for the wire."""

import orjson

from app.store.events import LogEntry, LoggedEvent, encode


def event_frame(event: LogEntry) -> str:
    """The wire form of an event, the same live and on replay."""
    if isinstance(event, LoggedEvent):
        # the payload's text is spliced in as it is: the same JSON as encoding the whole frame would give
        kind = orjson.dumps(event.kind).decode()
        return f'{{"type":"event","seq":{event.seq},"kind":{kind},"data":{event.payload_json}}}'
    return encode({"type": "event", "seq": event.seq, "kind": event.kind, "data": event.payload})
