"""The event log's contract: only the writer's transaction logs events, and every kind is stored as its text."""

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app.live.frames import event_frame
from app.models import Event
from app.store.database import Database
from app.store.events import Audience, EventKind, Tx, append_event
from tests.rooms import room_in_obstacle_round


@pytest.fixture
def db(tmp_path: Path) -> Database:
    """A migrated database, used without its writer task (write_sync)."""
    database = Database(f"sqlite:///{tmp_path / 'e.db'}")
    database.migrate()
    return database


def test_a_change_runs_in_the_writers_transaction(db: Database) -> None:
    assert db.write_sync(lambda tx: type(tx)) is Tx


def test_logging_an_event_outside_the_writer_says_what_is_wrong(db: Database) -> None:
    room = db.write_sync(lambda tx: room_in_obstacle_round(tx, participants=1))
    with pytest.raises(TypeError, match="writer's transaction"):
        db.read_sync(
            lambda s: append_event(
                s,  # type: ignore[arg-type]
                workshop_id=room.workshop_id,
                kind=EventKind.ANSWER_SHOWN,
                audience=Audience.STAFF,
                data={},
            )
        )


def test_an_event_kind_is_stored_and_framed_as_plain_text(db: Database) -> None:
    room = db.write_sync(lambda tx: room_in_obstacle_round(tx, participants=1))
    logged = db.write_sync(
        lambda tx: append_event(
            tx, workshop_id=room.workshop_id, kind=EventKind.TIMER_CHANGED, audience=Audience.ALL, data={"n": 1}
        )
    )
    assert type(logged.kind) is str and type(logged.audience) is str
    stored = db.read_sync(
        lambda s: s.execute(
            select(Event).where(Event.workshop_id == room.workshop_id, Event.seq == logged.seq)
        ).scalar_one()
    )
    assert (stored.kind, stored.audience) == ("timer.changed", "all")
    assert json.loads(event_frame(logged)) == {
        "type": "event",
        "seq": logged.seq,
        "kind": "timer.changed",
        "data": {"n": 1},
    }
    assert event_frame(logged) == event_frame(stored)
