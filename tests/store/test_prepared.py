"""Prepared statements run on the driver's cursor but inside the session's transaction, like Session.execute."""

import gc
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Facilitator, utcnow
from app.store.database import Database
from app.store.prepared import Prepared

FACILITATOR = Facilitator.__table__  # type: ignore[attr-defined]
ADD = Prepared(insert(FACILITATOR), ["email", "name", "password_hash", "created_at"])
NAME_OF = Prepared(select(FACILITATOR.c.name).where(FACILITATOR.c.email == bindparam("email")))


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'p.db'}")
    database.migrate()
    return database


def person(email: str, name: str = "Fenna") -> dict[str, object]:
    return {"email": email, "name": name, "password_hash": "x", "created_at": utcnow()}


def names(db: Database) -> list[str]:
    return db.read_sync(lambda s: list(s.execute(select(Facilitator.name).order_by(Facilitator.name)).scalars()))  # type: ignore[arg-type]


def test_rows_written_in_a_savepoint_go_when_it_is_rolled_back(db: Database) -> None:
    def change(s: Session) -> None:
        ADD.many(s, [person("a@example.org", "Anna")])
        with pytest.raises(RuntimeError), s.begin_nested():
            ADD.one(s, person("b@example.org", "Bram"))
            raise RuntimeError("undo Bram")
        ADD.one(s, person("c@example.org", "Cor"))

    db.write_sync(change)
    assert names(db) == ["Anna", "Cor"]


def test_a_transaction_that_ran_a_prepared_statement_leaves_no_cycle(db: Database) -> None:
    # the server postpones the collector's full sweeps (app/main.py): a session held in a cycle after every
    # write or read kept its connection's objects and rows for minutes, and a churning server grew by a fifth
    def sessions() -> int:
        return sum(1 for o in gc.get_objects() if issubclass(type(o), Session))

    db.write_sync(lambda s: ADD.one(s, person("a@example.org")))
    gc.collect()
    gc.disable()  # with the collector off, a session still there afterwards is held by a cycle
    try:
        before = sessions()
        db.write_sync(lambda s: ADD.one(s, person("b@example.org")))
        assert db.read_sync(lambda s: NAME_OF.one(s, {"email": "b@example.org"})) == ("Fenna",)
        left = sessions() - before
    finally:
        gc.enable()
    assert left == 0


def test_a_driver_error_is_raised_as_sqlalchemys_own(db: Database) -> None:
    def twice(s: Session) -> None:
        ADD.one(s, person("a@example.org"))
        ADD.one(s, person("a@example.org"))

    with pytest.raises(IntegrityError):
        db.write_sync(twice)
    assert names(db) == []  # the whole transaction went, the first row too


def test_what_the_session_holds_is_flushed_before_a_read(db: Database) -> None:
    def change(s: Session) -> object:
        s.add(Facilitator(email="d@example.org", name="Dirk", password_hash="x"))
        return NAME_OF.one(s, {"email": "d@example.org"})

    assert db.write_sync(change) == ("Dirk",)


def test_rows_come_back_raw_while_values_going_in_are_converted(db: Database) -> None:
    made = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
    created = Prepared(select(FACILITATOR.c.created_at).where(FACILITATOR.c.email == bindparam("email")))

    def change(s: Session) -> tuple[object, object]:
        ADD.one(s, {**person("e@example.org"), "created_at": made})  # the datetime goes in as SQLite's text
        (raw,) = created.one(s, {"email": "e@example.org"}) or ()
        return raw, s.execute(select(Facilitator.created_at)).scalar_one()

    raw, converted = db.write_sync(change)
    assert raw == "2026-05-04 03:02:01.000000"  # as the driver gives it: no result conversion
    assert converted == made  # the same row through SQLAlchemy's own path


def test_converted_rows_come_back_as_sqlalchemys_own_result_gives_them(db: Database) -> None:
    made = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
    created = Prepared(
        select(FACILITATOR.c.created_at, FACILITATOR.c.name).where(FACILITATOR.c.email == bindparam("email")),
        converted=True,
    )

    def change(s: Session) -> list[object]:
        ADD.one(s, {**person("e@example.org"), "created_at": made})
        return [created.one(s, {"email": "e@example.org"}), created.all(s, {"email": "e@example.org"})]

    assert db.write_sync(change) == [(made, "Fenna"), [(made, "Fenna")]]


def test_a_detached_instance_can_be_read_before_the_orm_has_run_a_query(tmp_path: Path) -> None:
    # a fresh server's first snapshot may come before any query has configured the mappers
    script = (
        "from app.models import Workshop\n"
        "from app.store.prepared import detached\n"
        "print(detached(Workshop, [('title', 'Avond'), ('step_index', 2)]).title)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=Path.cwd())
    assert done.stdout.strip() == "Avond"


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        (select(FACILITATOR.c.id).where(FACILITATOR.c.id.in_([1, 2])), r"an IN list \(the value \[1, 2\]\)"),
        (
            select(FACILITATOR.c.id).where(FACILITATOR.c.id.in_(bindparam("ids", expanding=True))),
            r"an IN list \(the parameter 'ids'\)",
        ),
        (
            select(FACILITATOR.c.id).where(FACILITATOR.c.email == bindparam("email", literal_execute=True)),
            r"a literal_execute parameter \(the parameter 'email'\)",
        ),
        (select(FACILITATOR.c.id).where(FACILITATOR.c.name == "Fenna"), r"the value 'Fenna' is part of the statement"),
        (select(FACILITATOR.c.id).limit(1), "the value 1 is part of the statement"),
    ],
)
def test_what_a_plain_cursor_would_not_run_as_meant_is_refused_when_made(statement: object, refusal: str) -> None:
    with pytest.raises(ValueError, match=refusal):
        Prepared(statement)  # type: ignore[arg-type]


def test_an_in_list_in_one_dialects_statement_is_refused_too() -> None:
    by_dialect = {
        "sqlite": select(FACILITATOR.c.id).where(FACILITATOR.c.id.in_([3])),
        "postgresql": select(FACILITATOR.c.id),
    }
    with pytest.raises(ValueError, match="an IN list"):
        Prepared(by_dialect)  # type: ignore[arg-type]


def test_a_python_side_default_the_caller_does_not_give_is_refused_when_first_compiled(db: Database) -> None:
    note = Table(
        "note",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("text", String),
        Column("at", DateTime, default=utcnow),
    )
    add_note = Prepared(insert(note), ["text"])  # "at" would come from its Python-side default: never applied here

    def change(s: Session) -> None:
        note.create(s.connection())
        add_note.one(s, {"text": "hallo"})

    with pytest.raises(ValueError, match="the parameter 'at' is part of the statement"):
        db.write_sync(change)
