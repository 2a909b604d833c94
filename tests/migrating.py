"""What the migration tests share: a database of either kind to migrate from nothing, and a step back."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from app.store.database import Database, migrations_config
from tests.test_postgres import ON_POSTGRES, emptied_postgres

# a migration test runs on SQLite and on the test PostgreSQL (skipped, with its reason, where that is not set)
ON_EITHER = pytest.mark.parametrize("where", ["sqlite", pytest.param("postgresql", marks=ON_POSTGRES)])


@contextmanager
def empty_database(where: str, tmp_path: Path) -> Iterator[Database]:
    """An empty database of the kind named ('sqlite' or 'postgresql'), closed (and PostgreSQL's emptied) after."""
    if where == "postgresql":
        with emptied_postgres() as db:
            yield db
        return
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        yield db
    finally:
        db.close()


def downgrade(db: Database, revision: str) -> None:
    """Take the database back to a revision, as `alembic downgrade` does."""
    config = migrations_config()
    config.set_main_option("sqlalchemy.url", db.url)
    command.downgrade(config, revision)


def outbox_messages(db: Database) -> list[tuple[object, ...]]:
    """Every outbox message as (workspace, kind, key, recipient, status), in order: what a migration must keep."""
    with db.write_engine.connect() as c:
        query = "SELECT workspace_id, kind, dedupe_key, recipient, status FROM outboxmessage ORDER BY id"
        return [tuple(row) for row in c.execute(sa.text(query)).all()]


def columns_of(db: Database, table: str) -> set[str]:
    """The names of a table's columns as the database has them now."""
    with db.write_engine.connect() as c:
        return {column["name"] for column in sa.inspect(c).get_columns(table)}
