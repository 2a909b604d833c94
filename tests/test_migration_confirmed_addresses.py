"""Migration 0016 adds whether a participant's address was confirmed: no address from before counts as confirmed,
not even one a mail reached (anyone may have typed it); on SQLite and PostgreSQL, up and down."""

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from app.store.database import Database
from tests.migrating import ON_EITHER, downgrade, empty_database
from tests.test_migration_workspaces import fill_before_workspaces

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _mail(c: sa.Connection, *, workspace: int, key: str, to: str, status: str, participant: int | None) -> None:
    c.execute(
        sa.text(
            "INSERT INTO outboxmessage (workspace_id, kind, dedupe_key, recipient, participant_id, lang, subject, "
            "body_text, body_html, attachment, unsubscribe_url, message_id, status, attempts, next_attempt_at, "
            "last_error, created_at) VALUES (:w, :kind, :key, :to, :p, 'nl', 'Je link', '', '', '', '', :mid, "
            ":status, 1, :now, '', :now)"
        ),
        {"w": workspace, "kind": key.split(":")[0], "key": key, "to": to, "p": participant, "mid": f"<{key}@b.nl>"}
        | {"status": status, "now": NOW},
    )


def _confirmed(db: Database) -> dict[str, bool]:
    with db.write_engine.connect() as c:
        rows = c.execute(sa.text("SELECT email, email_confirmed_at FROM participant WHERE email IS NOT NULL"))
        return {email: moment is not None for email, moment in rows}


def check_up_and_down(db: Database) -> None:
    """No address counts as confirmed: neither those a mail reached (before 0013 named by its key, since by its
    participant), nor one whose mail failed, one never mailed, or one whose mail went to another address."""
    db.migrate("0005")
    fill_before_workspaces(db.url)
    db.migrate("0015")
    with db.write_engine.begin() as c:
        workspace = c.execute(sa.text("SELECT min(id) FROM workspace")).scalar_one()
        people = list(c.execute(sa.text("SELECT id FROM participant ORDER BY id LIMIT 5")).scalars())
        addresses = ["oud@a.nl", "nieuw@a.nl", "faalt@a.nl", "nooit@a.nl", "anders@a.nl"]
        for person, address in zip(people, addresses, strict=True):
            c.execute(sa.text("UPDATE participant SET email = :e WHERE id = :p"), {"e": address, "p": person})
        _mail(c, workspace=workspace, key=f"link:{people[0]}:h1", to="Oud@A.nl", status="sent", participant=None)
        _mail(c, workspace=workspace, key="action_reminder:1:x", to="nieuw@a.nl", status="sent", participant=people[1])
        _mail(c, workspace=workspace, key=f"link:{people[2]}:h2", to="faalt@a.nl", status="sent", participant=None)
        _mail(
            c, workspace=workspace, key="action_reminder:2:y", to="faalt@a.nl", status="failed", participant=people[2]
        )
        _mail(c, workspace=workspace, key=f"link:{people[4]}:h3", to="vroeger@a.nl", status="sent", participant=None)
    db.migrate("0016")
    expected = dict.fromkeys(addresses, False)
    assert _confirmed(db) == expected
    downgrade(db, "0015")
    with db.write_engine.connect() as c:
        assert "email_confirmed_at" not in {col["name"] for col in sa.inspect(c).get_columns("participant")}
    db.migrate()
    assert _confirmed(db) == expected


@ON_EITHER
def test_0016_confirms_no_address_from_before(where: str, tmp_path: Path) -> None:
    with empty_database(where, tmp_path) as db:
        check_up_and_down(db)
