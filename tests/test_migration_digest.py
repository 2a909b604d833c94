"""Migration 0012 adds when a digest's link switched it off: memberships are kept, up and down, on SQLite and
PostgreSQL."""

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from app.store.database import Database, migrations_config
from tests.test_migration_workspaces import fill_before_workspaces
from tests.test_postgres import emptied_postgres


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

    config = migrations_config()
    config.set_main_option("sqlalchemy.url", db.url)
    command.downgrade(config, "0011")
    assert "digest_stopped_at" not in _columns(db) and _memberships(db) == before
    db.migrate()
    assert "digest_stopped_at" in _columns(db) and _memberships(db) == before


def test_0012_keeps_memberships_up_and_down_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        check_up_and_down(db)
    finally:
        db.close()


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("DOORBRAAK_TEST_DATABASE_URL"),
    reason="DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped",
)
def test_0012_keeps_memberships_up_and_down_on_postgresql() -> None:
    with emptied_postgres() as db:
        check_up_and_down(db)
