"""Prepared statements run on the driver's cursor but inside the session's transaction, like Session.execute."""

from pathlib import Path

import pytest
from sqlalchemy import bindparam, insert, select
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
