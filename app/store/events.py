"""The event log: append in the writer's transaction, read back for replay; payloads encoded once as JSON text."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Text, and_, bindparam, cast, insert, or_, select, tuple_, type_coerce, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.models import Event, Workshop, table_of, utcnow
from app.store.prepared import Prepared


class EventKind(StrEnum):
    """Every kind of event the log holds and the live clients receive (docs/protocol.md: audience and fields)."""

    STEP_CHANGED = "step.changed"
    WORKSHOP_CHANGED = "workshop.changed"
    PARTICIPANT_JOINED = "participant.joined"
    ANSWER_CREATED = "answer.created"
    ANSWER_HIDDEN = "answer.hidden"
    ANSWER_SHOWN = "answer.shown"
    CLUSTERS_CHANGED = "clusters.changed"
    VOTES_CHANGED = "votes.changed"
    RESPONSE_TALLY = "response.tally"
    ACTION_SAVED = "action.saved"
    ACTION_DELETED = "action.deleted"
    FOLLOWUP_SET = "followup.set"
    REVIEW_CHANGED = "review.changed"
    REVIEW_SAVED = "review.saved"
    TIMER_CHANGED = "timer.changed"
    PROJECTOR_CHANGED = "projector.changed"
    BINGO_CHANGED = "bingo.changed"
    ORGANISATION_RENAMED = "organisation.renamed"
    ME_CHANGED = "me.changed"


class Audience(StrEnum):
    """Who receives an event: every screen, the staff's (board and projector), or the board alone."""

    ALL = "all"
    STAFF = "staff"
    # the facilitator alone: answers held back for approval go there first
    BOARD = "board"
    # the phones of the one participant the event names (its data's `participant`): what only they may know
    OWN = "own"


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event the writer logged in this batch, as the hub publishes it after the commit.

    A plain record rather than an Event model: building a model instance per answer was a measurable share
    of a burst, and the hub only reads these five fields.
    """

    workshop_id: int
    seq: int
    kind: str
    audience: str
    payload: dict[str, Any]
    # the payload as JSON text, encoded once: the log stores it and every receiver's frame carries it
    payload_json: str


# what the hub fans out: events just logged here, or read back from the log (the Redis hub, replay)
LogEntry = LoggedEvent | Event
WORKSHOP = table_of(Workshop)
EVENT = table_of(Event)
# kinds and audiences as the plain text the log stores, the frames carry and the hub keys its sets by: a driver
# binds an enum member about a microsecond slower than a str (sqlite3), and the JSON encoder takes longer too
_TEXT: dict[str, str] = {member: member.value for member in (*EventKind, *Audience)}
ROLE_AUDIENCES: dict[str, tuple[str, ...]] = {
    "phone": (Audience.ALL.value,),
    "projector": (Audience.ALL.value, Audience.STAFF.value),
    "facilitator": (Audience.ALL.value, Audience.STAFF.value, Audience.BOARD.value),
}


class Tx(Session):
    """The writer's transaction: a session that also carries the events its changes log.

    Only the writer (app/store/database.py) makes one, so a service that logs events takes `db: Tx` and says in
    its signature that it runs as a write; readers take a plain Session.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # per workshop, the last seq handed out in this transaction (append_event counts on from it)
        self.seqs: dict[int, int] = {}
        # the events of the change running now; the writer gives each change a list of its own
        self.outbox: list[LoggedEvent] = []
        # the workshops the change running now deleted (workshop_deleted); a list of its own per change, as outbox
        self.removed: list[int] = []


# a burst runs these for every batch the writer commits
_LOCK_SEQ = Prepared(
    update(WORKSHOP)
    .where(WORKSHOP.c.id == bindparam("workshop"))
    .values(last_seq=WORKSHOP.c.last_seq)
    .returning(WORKSHOP.c.last_seq)
)
_SET_SEQ = Prepared(update(WORKSHOP).where(WORKSHOP.c.id == bindparam("workshop")).values(last_seq=bindparam("seq")))
# the payload goes in as the text already encoded (LoggedEvent.payload_json); PostgreSQL is told it is JSON
_LOG = Prepared(
    {
        "postgresql": insert(EVENT).values(payload=cast(bindparam("payload_json", type_=Text), EVENT.c.payload.type)),
        "sqlite": insert(EVENT).values(payload=type_coerce(bindparam("payload_json"), Text)),
    },
    ["workshop_id", "seq", "kind", "audience", "created_at"],
)


def append_event(db: Tx, *, workshop_id: int, kind: EventKind, audience: Audience, data: dict[str, Any]) -> LoggedEvent:
    """Log a change with the workshop's next sequence number, in the writer's transaction.

    The first change of a workshop in a transaction takes the workshop's row lock (which serialises writers
    per workshop, also across processes) and reads where its log stands; the next ones count on from there.
    The writer stores the batch's events and the new end of each log in one go before it commits (write_log).
    """
    try:
        seqs = db.seqs
    except AttributeError:
        raise TypeError("append_event needs the writer's transaction (a Tx from Database.write)") from None
    if workshop_id not in seqs:
        locked = _LOCK_SEQ.one(db, {"workshop": workshop_id})
        if locked is None:
            raise LookupError(f"workshop {workshop_id} does not exist")
        seqs[workshop_id] = locked[0]
    seqs[workshop_id] += 1
    kind_text, audience_text = _TEXT.get(kind, kind), _TEXT.get(audience, audience)
    event = LoggedEvent(workshop_id, seqs[workshop_id], kind_text, audience_text, data, encode(data))
    db.outbox.append(event)
    return event


def workshop_deleted(db: Tx, *, workshop_id: int) -> None:
    """Have every live screen of a workshop this change deletes closed once it commits, on every worker.

    No event can say so: the workshop's log goes with it.
    """
    db.removed.append(workshop_id)


def logged_last(db: Tx, *, workshop_id: int) -> int:
    """The sequence number of the event this transaction logged last for the workshop."""
    return db.seqs[workshop_id]


def logged_since(db: Tx, *, workshop_id: int, kind: EventKind, seq: int) -> bool:
    """Whether the workshop logged an event of this kind after seq: stored by an earlier batch, or earlier in this
    one and still to be stored."""
    kind_text = _TEXT.get(kind, kind)
    if any(e.workshop_id == workshop_id and e.kind == kind_text and e.seq > seq for e in db.outbox):
        return True
    later = select(col(Event.id)).where(
        col(Event.workshop_id) == workshop_id, col(Event.seq) > seq, col(Event.kind) == kind_text
    )
    return db.execute(later.limit(1)).first() is not None


def write_log(db: Session, events: list[LoggedEvent]) -> datetime | None:
    """Store a batch's events with one statement, and move each workshop's log end to its last event; returns the
    time the rows are stamped with (None for no events), by which was_logged knows them."""
    if not events:
        return None
    now = utcnow()
    _LOG.many(
        db,
        [
            {
                "workshop_id": e.workshop_id,
                "seq": e.seq,
                "kind": e.kind,
                "audience": e.audience,
                "payload_json": e.payload_json,
                "created_at": now,
            }
            for e in events
        ],
    )
    ends: dict[int, int] = {}
    for event in events:
        ends[event.workshop_id] = max(event.seq, ends.get(event.workshop_id, 0))
    _SET_SEQ.many(db, [{"workshop": workshop, "seq": seq} for workshop, seq in ends.items()])
    return now


def was_logged(db: Session, events: list[LoggedEvent], *, stamped: datetime) -> bool:
    """Whether the log holds any of a batch's events as write_log stamped them: whether the batch committed.

    Asked on another connection once the batch's own was cut during its COMMIT. It waits first for the first event's
    workshop row, which that batch took (append_event) and holds until it has ended: a COMMIT the server is still
    carrying out, or a transaction it has yet to roll back, is over before the log is read (a row deleted since was
    deleted after the batch ended). One event per workshop is asked for: a workshop another process deleted after
    the batch committed took its events with it, and the others still tell. The stamp tells the batch's rows apart
    from another process's events that took the same numbers after the batch rolled back.
    """
    db.execute(select(WORKSHOP.c.id).where(WORKSHOP.c.id == events[0].workshop_id).with_for_update(read=True))
    found = select(EVENT.c.id).where(
        EVENT.c.created_at == stamped,
        tuple_(EVENT.c.workshop_id, EVENT.c.seq).in_([(e.workshop_id, e.seq) for e in events]),
    )
    return db.execute(found.limit(1)).first() is not None


_LAST_SEQ = Prepared(select(WORKSHOP.c.last_seq).where(WORKSHOP.c.id == bindparam("workshop")))


def last_seq(db: Session, workshop_id: int) -> int:
    """The newest sequence number of a workshop (every websocket that opens asks: one prepared statement)."""
    found = _LAST_SEQ.one(db, {"workshop": workshop_id})
    if found is None:
        raise LookupError(f"no workshop {workshop_id}")
    return int(found[0])


def events_between(
    db: Session, *, workshop_id: int, after: int, upto: int, role: str, limit: int, participant_id: int | None = None
) -> list[Event]:
    """The events a role (and a phone's participant) sees with after < seq <= upto, oldest first, at most limit + 1."""
    seen: ColumnElement[bool] = col(Event.audience).in_(ROLE_AUDIENCES[role])
    if role == "phone" and participant_id is not None:
        # filtered here, not after the read: the limit must count only what this phone is sent
        own = and_(
            col(Event.audience) == Audience.OWN.value,
            col(Event.payload)["participant"].as_integer() == participant_id,
        )
        seen = or_(seen, own)
    query = (
        select(Event)
        .where(col(Event.workshop_id) == workshop_id, col(Event.seq) > after, col(Event.seq) <= upto)
        .where(seen)
        .order_by(col(Event.seq))
        .limit(limit + 1)
    )
    return list(db.execute(query).scalars())


# json's output for these frames (text as UTF-8, integer keys as strings, anything else as str()), several times
# faster: three frames per answer in a burst
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def encode(frame: dict[str, Any]) -> str:
    """A frame as compact JSON text."""
    return orjson.dumps(frame, default=str, option=_OPTIONS).decode()
