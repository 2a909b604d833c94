"""The event log: append in the writer's transaction, read back for replay, encode once for the wire."""

import json
from typing import Any, Literal

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from app.models import Event, Workshop, utcnow

Audience = Literal["all", "staff"]
WORKSHOP: Table = Workshop.__table__  # type: ignore[attr-defined]
EVENT: Table = Event.__table__  # type: ignore[attr-defined]
ROLE_AUDIENCES: dict[str, tuple[str, ...]] = {
    "phone": ("all",),
    "projector": ("all", "staff"),
    "facilitator": ("all", "staff"),
}


# built once and run with parameters: a burst runs these thousands of times, and building a statement
# each time (its cache key, its parameters) cost more than running it
_NEXT_SEQ = (
    update(WORKSHOP)
    .where(WORKSHOP.c.id == bindparam("workshop"))
    .values(last_seq=WORKSHOP.c.last_seq + 1)
    .returning(WORKSHOP.c.last_seq)
)
_LOG = insert(EVENT)


def append_event(db: Session, *, workshop_id: int, kind: str, audience: Audience, data: dict[str, Any]) -> Event:
    """Log a change with the workshop's next sequence number, in the caller's transaction."""
    # the row lock this update takes on the workshop serialises writers per workshop, also across processes
    seq = db.execute(_NEXT_SEQ, {"workshop": workshop_id}).scalar_one()
    row = {"workshop_id": workshop_id, "seq": seq, "kind": kind, "audience": audience, "payload": data}
    db.execute(_LOG, {**row, "created_at": utcnow()})
    event = Event(**row)  # not added to the session: it is only what the hub publishes after the commit
    db.info["outbox"].append(event)
    return event


def last_seq(db: Session, workshop_id: int) -> int:
    """The newest sequence number of a workshop."""
    return db.execute(select(Workshop.last_seq).where(Workshop.id == workshop_id)).scalar_one()  # type: ignore[arg-type]


def events_between(db: Session, *, workshop_id: int, after: int, upto: int, role: str, limit: int) -> list[Event]:
    """The events a role sees with after < seq <= upto, oldest first, at most limit + 1 of them."""
    query = (
        select(Event)
        .where(Event.workshop_id == workshop_id, Event.seq > after, Event.seq <= upto)  # type: ignore[arg-type]
        .where(Event.audience.in_(ROLE_AUDIENCES[role]))  # type: ignore[attr-defined]
        .order_by(Event.seq)  # type: ignore[arg-type]
        .limit(limit + 1)
    )
    return list(db.execute(query).scalars())


def encode(frame: dict[str, Any]) -> str:
    """A frame as compact JSON text."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"), default=str)


def event_frame(event: Event) -> str:
    """The wire form of an event, the same live and on replay."""
    return encode({"type": "event", "seq": event.seq, "kind": event.kind, "data": event.payload})
