"""Migration 0025 gives every action the key the register sorts owners by: the same as the app makes when an owner
is set (organisations.owner_key), an owner of no name first; on SQLite and PostgreSQL, up and down."""

from pathlib import Path

import sqlalchemy as sa

from app.organisations.service import owner_key
from app.store.database import Database
from tests.migrating import ON_EITHER, downgrade, empty_database
from tests.test_migration_workspaces import fill_before_workspaces

OWNERS = ["Woonstichting 10", "Zoë de Wit 003", "مؤسسة الإسكان", "???", ""]


def _keys(db: Database) -> dict[str, bytes]:
    with db.write_engine.connect() as c:
        return {
            name: bytes(key) for name, key in c.execute(sa.text("SELECT owner_organisation, owner_key FROM action"))
        }


def check_up_and_down(db: Database) -> None:
    """Each action's key is the app's key of its owner, down and up again, and the index serves the order."""
    db.migrate("0005")
    fill_before_workspaces(db.url)
    db.migrate("0024")
    with db.write_engine.begin() as c:
        first = c.execute(sa.text("SELECT id FROM action ORDER BY id LIMIT 1")).scalar_one()
        for owner in OWNERS:
            c.execute(
                sa.text(
                    "INSERT INTO action (workshop_id, workspace_id, title, description, owner_organisation,"
                    " contact_person, contact_lang, status, created_at, updated_at)"
                    " SELECT workshop_id, workspace_id, 'Nog een', '', :o, '', 'nl', 'open', created_at, updated_at"
                    " FROM action WHERE id = :a"
                ),
                {"o": owner, "a": first},
            )
    db.migrate("0025")
    keys = _keys(db)
    assert set(OWNERS) < set(keys) and len(keys) > len(OWNERS)
    assert all(key == owner_key(name) for name, key in keys.items())
    assert keys[""] == keys["???"] == b"\0" < min(key for name, key in keys.items() if name not in ("", "???"))
    with db.write_engine.connect() as c:
        indexes = {i["name"]: i["column_names"] for i in sa.inspect(c).get_indexes("action")}
    assert indexes["ix_action_workspace_owner_key"] == ["workspace_id", "owner_key", "id"]
    downgrade(db, "0024")
    with db.write_engine.connect() as c:
        assert "owner_key" not in {col["name"] for col in sa.inspect(c).get_columns("action")}
        assert "ix_action_workspace_owner_key" not in {i["name"] for i in sa.inspect(c).get_indexes("action")}
    db.migrate()
    assert _keys(db) == keys


@ON_EITHER
def test_0025_keys_every_actions_owner(where: str, tmp_path: Path) -> None:
    with empty_database(where, tmp_path) as db:
        check_up_and_down(db)
