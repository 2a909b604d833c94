"""Migration 0030 adds the table of owners' proposed due dates: the actions and their history are kept, up and down,
on SQLite and PostgreSQL, and a proposal can be stored (and goes on the way down)."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.store.database import Database
from tests.migrating import ON_EITHER, downgrade, empty_database
from tests.test_migration_workspaces import fill_before_workspaces

NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def _actions(db: Database) -> list[tuple[object, ...]]:
    with db.write_engine.connect() as c:
        return [tuple(row) for row in c.execute(sa.text("SELECT id, title, due_on, status FROM action ORDER BY id"))]


def _tables(db: Database) -> set[str]:
    with db.write_engine.connect() as c:
        return set(sa.inspect(c).get_table_names())


def check_up_and_down(db: Database) -> None:
    """Fill at 0005, stand at 0029, go to 0030 and store a proposal, back to 0029 and up again: nothing else lost."""
    db.migrate("0005")
    fill_before_workspaces(db.url)
    db.migrate("0029")
    before = _actions(db)
    assert before and "dueproposal" not in _tables(db)
    db.migrate("0030")
    assert db.schema_revision() == "0030" and _actions(db) == before
    action = before[0][0]
    with db.write_engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO dueproposal (action_id, proposed_on, reason, participant_id, via, proposed_at)"
                " VALUES (:a, :day, 'later', NULL, 'mail', :now)"
            ),
            {"a": action, "day": date(2027, 1, 15), "now": NOW},
        )
        stored = c.execute(sa.text("SELECT action_id, proposed_on FROM dueproposal")).one()
    assert stored[0] == action and str(stored[1]) == "2027-01-15"
    with db.write_engine.connect() as c, pytest.raises(sa.exc.IntegrityError):
        # one open proposal per action: a newer one replaces it, it is not added beside it
        c.execute(
            sa.text(
                "INSERT INTO dueproposal (action_id, proposed_on, reason, via, proposed_at)"
                " VALUES (:a, :day, '', 'mail', :now)"
            ),
            {"a": action, "day": date(2027, 2, 1), "now": NOW},
        )
    downgrade(db, "0029")
    assert "dueproposal" not in _tables(db) and _actions(db) == before
    db.migrate()
    assert "dueproposal" in _tables(db) and _actions(db) == before


@ON_EITHER
def test_0030_adds_due_proposals_and_keeps_the_actions(where: str, tmp_path: Path) -> None:
    with empty_database(where, tmp_path) as db:
        check_up_and_down(db)
