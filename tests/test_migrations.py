"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

from app.store.database import SCHEMA_HEAD, Database, migrations_config, normalise_url


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
    db.close()


def test_the_schema_head_the_server_checks_is_alembics_newest_migration() -> None:
    assert ScriptDirectory.from_config(migrations_config()).get_current_head() == SCHEMA_HEAD


def test_a_database_at_the_newest_migration_opens_without_loading_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'current.db'}"
    Database(url).migrate()
    script = (
        "import sys\n"
        "from app.main import create_app\n"
        "from starlette.testclient import TestClient\n"
        "with TestClient(create_app()) as client:\n"
        "    assert client.get('/healthz').status_code == 200\n"
        "print(' '.join(m for m in ('alembic', 'mako', 'pygments') if m in sys.modules))\n"
    )
    env = {"DOORBRAAK_DATABASE_URL": url, "DOORBRAAK_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split() == []
    assert Database(url).schema_revision() == SCHEMA_HEAD


def test_serve_migrates_a_new_database_in_a_process_of_its_own(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from app.cli import _migrate_apart\n"
        "from app.config import Settings\n"
        "_migrate_apart(Settings())\n"
        "print(' '.join(m for m in ('alembic', 'mako', 'pygments') if m in sys.modules))\n"
    )
    env = {"DOORBRAAK_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split() == []
    db = Database(f"sqlite:///{tmp_path / 'doorbraak.db'}")
    assert db.schema_revision() == SCHEMA_HEAD
    assert schema_drift(db.url) == []


def test_a_database_from_before_migrations_is_adopted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    db.migrate("0001")  # the first schema, as create_all made it before migrations existed
    with db.write_engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version")
    db.migrate()
    assert "alembic_version" in inspect(db.write_engine).get_table_names()
    assert schema_drift(url) == []
    db.close()


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
    db.close()


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
        db.close()
