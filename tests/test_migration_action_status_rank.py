"""Migration 0027 gives every action its status's place in the register's order, computed by the database from the
status (old rows and new, and after a change), with an index; on SQLite and PostgreSQL, up and down."""

from pathlib import Path

import sqlalchemy as sa

from app.models import ACTION_STATUSES
from app.store.database import Database
from tests.migrating import ON_EITHER, downgrade, empty_database
from tests.test_migration_workspaces import fill_before_workspaces


def _ranks(db: Database) -> dict[str, set[int | None]]:
    with db.write_engine.connect() as c:
        found: dict[str, set[int | None]] = {}
        for status, rank in c.execute(sa.text("SELECT status, status_rank FROM action")):
            found.setdefault(status, set()).add(rank)
        return found


def check_up_and_down(db: Database) -> None:
    """Each action's rank is its status's place in ACTION_STATUSES, down and up again, and the index is there."""
    db.migrate("0005")
    fill_before_workspaces(db.url)
    db.migrate("0026")
    with db.write_engine.begin() as c:
        first = c.execute(sa.text("SELECT id FROM action ORDER BY id LIMIT 1")).scalar_one()
        for status in ACTION_STATUSES:
            c.execute(
                sa.text(
                    "INSERT INTO action (workshop_id, workspace_id, title, description, owner_organisation, owner_key,"
                    " contact_person, contact_lang, status, created_at, updated_at)"
                    " SELECT workshop_id, workspace_id, 'Nog een', '', owner_organisation, owner_key, '', 'nl', :s,"
                    " created_at, updated_at FROM action WHERE id = :a"
                ),
                {"s": status, "a": first},
            )
    db.migrate("0027")
    expected = {status: {rank} for rank, status in enumerate(ACTION_STATUSES)}
    assert _ranks(db) == expected
    with db.write_engine.begin() as c:
        c.execute(sa.text("UPDATE action SET status = 'vastgelopen' WHERE id = :a"), {"a": first})
        assert c.execute(sa.text("SELECT status_rank FROM action WHERE id = :a"), {"a": first}).scalar_one() == 3
        indexes = {i["name"]: i["column_names"] for i in sa.inspect(c).get_indexes("action")}
    assert indexes["ix_action_workspace_status_rank"] == ["workspace_id", "status_rank", "id"]
    downgrade(db, "0026")
    with db.write_engine.connect() as c:
        assert "status_rank" not in {col["name"] for col in sa.inspect(c).get_columns("action")}
        assert "ix_action_workspace_status_rank" not in {i["name"] for i in sa.inspect(c).get_indexes("action")}
    db.migrate()
    assert _ranks(db) == expected


@ON_EITHER
def test_0027_ranks_every_actions_status(where: str, tmp_path: Path) -> None:
    with empty_database(where, tmp_path) as db:
        check_up_and_down(db)
