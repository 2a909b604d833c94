"""Migration 0026 lets an outbox message keep what it reminds of (action or workshop, and the moment it names):
messages are kept, up and down, on SQLite and PostgreSQL, and one written before reminds of nothing."""

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from app.store.database import Database
from tests.migrating import ON_EITHER, columns_of, downgrade, empty_database, outbox_messages
from tests.test_migration_workspaces import fill_before_workspaces

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ADDED = {"action_id", "workshop_id", "about_at"}


def check_up_and_down(db: Database) -> None:
    """Fill at 0005, stand at 0025 with a reminder waiting, go to 0026, back to 0025 and up again: nothing lost."""
    db.migrate("0005")
    fill_before_workspaces(db.url)
    db.migrate("0025")
    with db.write_engine.begin() as c:
        workspace = c.execute(sa.text("SELECT min(id) FROM workspace")).scalar_one()
        c.execute(
            sa.text(
                "INSERT INTO outboxmessage (workspace_id, kind, dedupe_key, recipient, lang, subject, body_text, "
                "body_html, attachment, unsubscribe_url, message_id, status, attempts, next_attempt_at, last_error, "
                "created_at) VALUES (:w, 'action_reminder', 'action_reminder:1:2026-12-09:abc', 'a@b.nl', 'nl', "
                "'Herinnering', 'tekst', '<p>tekst</p>', '', '', '<1@b.nl>', 'pending', 1, :now, '', :now)"
            ),
            {"w": workspace, "now": NOW},
        )
    before = outbox_messages(db)
    assert len(before) == 1

    db.migrate("0026")
    assert db.schema_revision() == "0026" and outbox_messages(db) == before
    with db.write_engine.begin() as c:
        # a reminder from before keeps no fact: the sender sends it as it would have
        assert c.execute(sa.text("SELECT action_id, workshop_id, about_at FROM outboxmessage")).one() == (
            None,
            None,
            None,
        )
        c.execute(sa.text("UPDATE outboxmessage SET action_id = 1, about_at = :now"), {"now": NOW})

    downgrade(db, "0025")
    assert not ADDED & columns_of(db, "outboxmessage") and outbox_messages(db) == before
    db.migrate()
    assert columns_of(db, "outboxmessage") >= ADDED and outbox_messages(db) == before


@ON_EITHER
def test_0026_keeps_what_a_reminder_reminds_of(where: str, tmp_path: Path) -> None:
    with empty_database(where, tmp_path) as db:
        check_up_and_down(db)
