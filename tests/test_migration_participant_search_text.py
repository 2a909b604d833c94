"""Migration 0023 gives every participant the search words the participants page finds them by: the same as the app
writes at a join and when an address is given (organisations.search_text); on SQLite and PostgreSQL, up and down."""

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from app.organisations.service import search_text
from app.store.database import Database, migrations_config
from tests.test_migration_workspaces import fill_before_workspaces
from tests.test_postgres import emptied_postgres

PEOPLE = [
    ("ÖZLEM Yılmaz-de Wit", "o.yilmaz@wijkteam.nl"),
    ("İlker 007", None),
    ("سارة", "sara@straße.de"),
    ("", "alleen@adres.nl"),
    ("", None),
]


def _texts(db: Database) -> dict[int, tuple[str, str | None, str]]:
    with db.write_engine.connect() as c:
        rows = c.execute(sa.text("SELECT id, name, email, search_text FROM participant"))
        return {i: (name, email, text) for i, name, email, text in rows}


def check_up_and_down(db: Database) -> None:
    """Each participant's search text is the app's of their name and address, down and up again."""
    db.migrate("0005")
    fill_before_workspaces(db.url)
    db.migrate("0022")
    with db.write_engine.begin() as c:
        ids = list(c.execute(sa.text("SELECT id FROM participant ORDER BY id LIMIT 5")).scalars())
        for person, (name, email) in zip(ids, PEOPLE, strict=True):
            c.execute(
                sa.text("UPDATE participant SET name = :n, email = :e WHERE id = :p"),
                {"n": name, "e": email, "p": person},
            )
    db.migrate("0023")
    texts = _texts(db)
    assert [texts[i][2] for i in ids] == [
        " ozlem yılmaz de wit o yilmaz wijkteam nl",
        " ilker 007",
        " سارة sara straße de",
        " alleen adres nl",
        "",
    ]
    assert all(text == search_text(name, email) for name, email, text in texts.values())
    config = migrations_config()
    config.set_main_option("sqlalchemy.url", db.url)
    command.downgrade(config, "0022")
    with db.write_engine.connect() as c:
        assert "search_text" not in {col["name"] for col in sa.inspect(c).get_columns("participant")}
    db.migrate()
    assert _texts(db) == texts


def test_0023_writes_every_participants_search_words_on_sqlite(tmp_path: Path) -> None:
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
def test_0023_writes_every_participants_search_words_on_postgresql() -> None:
    with emptied_postgres() as db:
        check_up_and_down(db)
