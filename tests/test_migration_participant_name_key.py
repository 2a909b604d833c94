"""Migration 0017 gives every participant the key the participants page pages by: the same as the app makes at a
join (organisations.name_key), the nameless last; on SQLite and PostgreSQL, up and down."""

from pathlib import Path

import sqlalchemy as sa

from app.organisations.service import name_key
from app.store.database import Database
from tests.migrating import ON_EITHER, downgrade, empty_database
from tests.test_migration_workspaces import fill_before_workspaces

NAMES = ["Huis 10", "Zoë de Wit 003", "سارة", "???", ""]


def _keys(db: Database) -> dict[str, bytes]:
    with db.write_engine.connect() as c:
        return {name: bytes(key) for name, key in c.execute(sa.text("SELECT name, name_key FROM participant"))}


def check_up_and_down(db: Database) -> None:
    """Each participant's key is the app's key of their name, down and up again."""
    db.migrate("0005")
    fill_before_workspaces(db.url)
    db.migrate("0017")
    with db.write_engine.begin() as c:
        people = list(c.execute(sa.text("SELECT id FROM participant ORDER BY id LIMIT 5")).scalars())
        for person, name in zip(people, NAMES, strict=True):
            c.execute(sa.text("UPDATE participant SET name = :n WHERE id = :p"), {"n": name, "p": person})
    db.migrate("0018")
    keys = _keys(db)
    assert all(keys[name] == name_key(name) for name in NAMES) and keys[""] == b"\xff"
    assert all(key == name_key(name) for name, key in keys.items())
    downgrade(db, "0017")
    with db.write_engine.connect() as c:
        assert "name_key" not in {col["name"] for col in sa.inspect(c).get_columns("participant")}
    db.migrate()
    assert _keys(db) == keys


@ON_EITHER
def test_0018_keys_every_participants_name(where: str, tmp_path: Path) -> None:
    with empty_database(where, tmp_path) as db:
        check_up_and_down(db)
