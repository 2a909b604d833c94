"""Migration 0022 makes the titles and names stored before security.clean_line one line, as clean_line makes them
now, and gives a renamed participant its name key again; on SQLite and PostgreSQL."""

from pathlib import Path

import sqlalchemy as sa

from app.organisations.service import name_key
from app.security import clean_line
from app.store.database import Database
from tests.migrating import ON_EITHER, empty_database
from tests.test_migration_workspaces import fill_before_workspaces

# (table, column): what each was stored as, before clean_line
STORED = {
    ("workshop", "title"): "Jeugdoverlast\r\nNoord",
    ("workspace", "name"): "Buurt-\n\nalliantie\tZuid",
    ("facilitator", "name"): " Fenna\nde Vries ",
    ("organisation", "name"): "Gemeente\u200b\nHeerlen",
    ("participant", "name"): "سارة\nبن\u200bعلي",
}


def check(db: Database) -> None:
    """Each stored text is one line after the migration; untouched rows and everything else stay as they were."""
    db.migrate("0005")
    fill_before_workspaces(db.url)
    db.migrate("0021")
    first: dict[str, int] = {}
    with db.write_engine.begin() as c:
        for (table, column), text in STORED.items():
            first[table] = c.execute(sa.text(f"SELECT min(id) FROM {table}")).scalar_one()
            c.execute(sa.text(f"UPDATE {table} SET {column} = :t WHERE id = :i"), {"t": text, "i": first[table]})
        c.execute(
            sa.text("UPDATE participant SET name_key = :k WHERE id = :i"), {"k": b"old", "i": first["participant"]}
        )
        untouched = dict(
            c.execute(sa.text("SELECT id, name FROM participant WHERE id <> :i"), {"i": first["participant"]}).all()
        )
        untouched_keys = dict(
            c.execute(sa.text("SELECT id, name_key FROM participant WHERE id <> :i"), {"i": first["participant"]}).all()
        )
    db.migrate("0022")
    with db.write_engine.connect() as c:
        for (table, column), text in STORED.items():
            now = c.execute(sa.text(f"SELECT {column} FROM {table} WHERE id = :i"), {"i": first[table]}).scalar_one()
            assert now == clean_line(text) and "\n" not in now and "\t" not in now
        key = c.execute(sa.text("SELECT name_key FROM participant WHERE id = :i"), {"i": first["participant"]})
        assert bytes(key.scalar_one()) == name_key(clean_line(STORED[("participant", "name")]))
        assert (
            dict(
                c.execute(sa.text("SELECT id, name FROM participant WHERE id <> :i"), {"i": first["participant"]}).all()
            )
            == untouched
        )
        keys = dict(
            c.execute(sa.text("SELECT id, name_key FROM participant WHERE id <> :i"), {"i": first["participant"]}).all()
        )
        assert {i: bytes(k) for i, k in keys.items()} == {i: bytes(k) for i, k in untouched_keys.items()}
    assert db.schema_revision() == "0022"


@ON_EITHER
def test_0022_makes_stored_names_one_line(where: str, tmp_path: Path) -> None:
    with empty_database(where, tmp_path) as db:
        check(db)


def check_invisible_only(db: Database) -> None:
    """A text of nothing but invisible characters and line breaks is left as stored, not made empty: every form
    refuses an empty title or name, and an empty one would show as a forgotten participant or a blank workspace."""
    db.migrate("0005")
    fill_before_workspaces(db.url)
    db.migrate("0021")
    invisible = "\u200b\n\u00ad\t\ufeff"
    first: dict[str, int] = {}
    with db.write_engine.begin() as c:
        for table, column in STORED:
            first[table] = c.execute(sa.text(f"SELECT min(id) FROM {table}")).scalar_one()
            c.execute(sa.text(f"UPDATE {table} SET {column} = :t WHERE id = :i"), {"t": invisible, "i": first[table]})
        old_key = sa.text("UPDATE participant SET name_key = :k WHERE id = :i")
        c.execute(old_key, {"k": b"old", "i": first["participant"]})
    db.migrate("0022")
    with db.write_engine.connect() as c:
        for table, column in STORED:
            now = c.execute(sa.text(f"SELECT {column} FROM {table} WHERE id = :i"), {"i": first[table]}).scalar_one()
            assert now == invisible, (table, now)
        key = c.execute(sa.text("SELECT name_key FROM participant WHERE id = :i"), {"i": first["participant"]})
        assert bytes(key.scalar_one()) == b"old"


@ON_EITHER
def test_0022_leaves_a_name_of_invisible_characters_only_as_stored(where: str, tmp_path: Path) -> None:
    with empty_database(where, tmp_path) as db:
        check_invisible_only(db)
