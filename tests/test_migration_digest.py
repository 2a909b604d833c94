"""Migration 0012 adds when a digest's link switched it off: memberships are kept, up and down, on SQLite and
PostgreSQL."""

from pathlib import Path

import sqlalchemy as sa

from app.store.database import Database
from tests.migrating import ON_EITHER, downgrade, empty_database
from tests.test_migration_workspaces import fill_before_workspaces


def _memberships(db: Database) -> list[tuple[object, ...]]:
    """Every membership as (workspace, account, role, digest, language), in order."""
    with db.write_engine.connect() as c:
        query = "SELECT workspace_id, account_id, role, digest, digest_lang FROM membership ORDER BY id"
        return [tuple(row) for row in c.execute(sa.text(query)).all()]


def _columns(db: Database) -> set[str]:
    with db.write_engine.connect() as c:
        return {column["name"] for column in sa.inspect(c).get_columns("membership")}


def check_up_and_down(db: Database) -> None:
    """Fill at 0005, stand at 0011 with a digest on, go to 0012, back to 0011 and up again: nothing lost."""
    db.migrate("0005")
    fill_before_workspaces(db.url)
    db.migrate("0011")
    with db.write_engine.begin() as c:
        c.execute(
            sa.text(
                "UPDATE membership SET digest = :on, digest_lang = 'en' WHERE id = (SELECT min(id) FROM membership)"
            ),
            {"on": True},
        )
    before = _memberships(db)
    assert before and any(digest for *_, digest, _ in before)

    db.migrate("0012")
    assert db.schema_revision() == "0012"
    assert _memberships(db) == before
    with db.write_engine.begin() as c:
        # an existing digest that is off stays off until its member chooses: nothing recorded as stopped by a link
        assert c.execute(sa.text("SELECT count(*) FROM membership WHERE digest_stopped_at IS NOT NULL")).scalar() == 0
        c.execute(sa.text("UPDATE membership SET digest_stopped_at = CURRENT_TIMESTAMP"))

    downgrade(db, "0011")
    assert "digest_stopped_at" not in _columns(db) and _memberships(db) == before
    db.migrate()
    assert "digest_stopped_at" in _columns(db) and _memberships(db) == before


@ON_EITHER
def test_0012_keeps_memberships_up_and_down(where: str, tmp_path: Path) -> None:
    with empty_database(where, tmp_path) as db:
        check_up_and_down(db)
