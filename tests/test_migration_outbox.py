"""Migration 0013 ties an outbox message to the participant it was written for: messages are kept, up and down, on
SQLite and PostgreSQL."""

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from app.store.database import Database
from tests.migrating import ON_EITHER, columns_of, downgrade, empty_database, outbox_messages
from tests.test_migration_workspaces import fill_before_workspaces

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def check_up_and_down(db: Database) -> None:
    """Fill at 0005, stand at 0012 with a message waiting, go to 0013, back to 0012 and up again: nothing lost."""
    db.migrate("0005")
    fill_before_workspaces(db.url)
    db.migrate("0012")
    with db.write_engine.begin() as c:
        workspace = c.execute(sa.text("SELECT min(id) FROM workspace")).scalar_one()
        c.execute(
            sa.text(
                "INSERT INTO outboxmessage (workspace_id, kind, dedupe_key, recipient, lang, subject, body_text, "
                "body_html, attachment, unsubscribe_url, message_id, status, attempts, next_attempt_at, last_error, "
                "created_at) VALUES (:w, 'link', 'link:1:abc', 'a@b.nl', 'nl', 'Je link', 'tekst', '<p>tekst</p>', "
                "'', '', '<1@b.nl>', 'pending', 0, :now, '', :now)"
            ),
            {"w": workspace, "now": NOW},
        )
    before = outbox_messages(db)
    assert len(before) == 1

    db.migrate("0013")
    assert db.schema_revision() == "0013" and outbox_messages(db) == before
    with db.write_engine.begin() as c:
        # a message from before records no one: it is not said to be anyone's
        assert c.execute(sa.text("SELECT participant_id FROM outboxmessage")).scalar() is None
        participant = c.execute(sa.text("SELECT min(id) FROM participant")).scalar_one()
        c.execute(sa.text("UPDATE outboxmessage SET participant_id = :p"), {"p": participant})

    downgrade(db, "0012")
    assert "participant_id" not in columns_of(db, "outboxmessage") and outbox_messages(db) == before
    db.migrate()
    assert "participant_id" in columns_of(db, "outboxmessage") and outbox_messages(db) == before


@ON_EITHER
def test_0013_keeps_outbox_messages_up_and_down(where: str, tmp_path: Path) -> None:
    with empty_database(where, tmp_path) as db:
        check_up_and_down(db)
