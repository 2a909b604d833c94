"""Migration 0023 gives every participant the search words the participants page finds them by: the same as the app
writes at a join and when an address is given (organisations.search_text); on SQLite and PostgreSQL, up and down."""

from pathlib import Path

import sqlalchemy as sa

from app.organisations.service import search_text
from app.store.database import Database
from tests.migrating import ON_EITHER, downgrade, empty_database
from tests.test_migration_workspaces import fill_before_workspaces

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
    downgrade(db, "0022")
    with db.write_engine.connect() as c:
        assert "search_text" not in {col["name"] for col in sa.inspect(c).get_columns("participant")}
    db.migrate()
    assert _texts(db) == texts


@ON_EITHER
def test_0023_writes_every_participants_search_words(where: str, tmp_path: Path) -> None:
    with empty_database(where, tmp_path) as db:
        check_up_and_down(db)
