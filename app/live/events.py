"""The event log: append in the writer's transaction, read back for replay, encode once for the wire."""

import json
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Event, Workshop

Audience = Literal["all", "staff"]
ROLE_AUDIENCES: dict[str, tuple[str, ...]] = {
    "phone": ("all",),
    "projector": ("all", "staff"),
    "facilitator": ("all", "staff"),
}


def append_event(db: Session, *, workshop_id: int, kind: str, audience: Audience, data: dict[str, Any]) -> Event:
    """Log a change with the workshop's next sequence number, in the caller's transaction."""
    # the row lock on the workshop serialises writers per workshop, also across processes
    seq = db.execute(
        update(Workshop)
        .where(Workshop.id == workshop_id)  # type: ignore[arg-type]
        .values(last_seq=Workshop.last_seq + 1)
        .returning(Workshop.last_seq)
    ).scalar_one()
    event = Event(workshop_id=workshop_id, seq=seq, kind=kind, audience=audience, payload=data)
    db.add(event)
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
