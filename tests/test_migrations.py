"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

from app.store.database import Database, normalise_url


def schema_drift(url: str) -> list[object]:
    engine = create_engine(normalise_url(url))
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        drift = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    return drift


def test_migrations_match_the_models_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    db.migrate()
    db.migrate()  # running again is harmless
    assert schema_drift(db.url) == []
    db.write_engine.dispose()
    db.read_engine.dispose()


def test_a_database_from_before_migrations_is_adopted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    db.migrate("0001")  # the first schema, as create_all made it before migrations existed
    with db.write_engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version")
    db.migrate()
    assert "alembic_version" in inspect(db.write_engine).get_table_names()
    assert schema_drift(url) == []
    db.write_engine.dispose()
    db.read_engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("DOORBRAAK_TEST_DATABASE_URL"),
    reason="DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped",
)
def test_migrations_match_the_models_on_postgresql() -> None:
    from tests.test_postgres import reset_schema

    url = os.environ["DOORBRAAK_TEST_DATABASE_URL"]
    reset_schema()
    db = Database(url)
    db.migrate()
    assert schema_drift(url) == []
    db.write_engine.dispose()
    db.read_engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("DOORBRAAK_TEST_DATABASE_URL"),
    reason="DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped",
)
def test_workers_starting_together_migrate_one_at_a_time() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tests.test_postgres import reset_schema

    url = os.environ["DOORBRAAK_TEST_DATABASE_URL"]
    reset_schema()
    workers = [Database(url) for _ in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda db: db.migrate(), workers))  # would raise "relation already exists" unserialised
    assert schema_drift(url) == []
    for db in workers:
        db.write_engine.dispose()
        db.read_engine.dispose()
