"""The suite's own fixtures: each test's database is its own copy of a template migrated once per run."""

import sqlite3
from pathlib import Path

from app.config import Settings
from tests.conftest import sqlite_file
from tests.test_migrations import schema_drift


def test_each_test_starts_from_its_own_copy_of_the_migrated_template(
    settings: Settings, migrated_template: Path
) -> None:
    own = sqlite_file(settings)
    assert own != migrated_template
    assert schema_drift(settings.resolved_database_url()) == []
    with sqlite3.connect(own) as connection:
        connection.execute("CREATE TABLE scribble (x)")
    connection.close()
    with sqlite3.connect(migrated_template) as template:
        assert template.execute("SELECT count(*) FROM sqlite_master WHERE name = 'scribble'").fetchone() == (0,)
    template.close()
