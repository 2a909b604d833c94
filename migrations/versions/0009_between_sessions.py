"""between sessions: the mail outbox, links in mails, unsubscribed addresses, calendar feeds, e-mail addresses

Participants may give an e-mail address (and the language of their mails), an action may name its contact's
address, a member may ask for the weekly digest; a report between sessions says where it came from; a follow-up
meeting counts its moves for the calendars that subscribe to it.

Revision ID: 0009
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "mailsuppression",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "address", name="uq_mail_suppression"),
    )
    op.create_table(
        "outboxmessage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("dedupe_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("lang", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("attachment", sa.Text(), nullable=False),
        sa.Column("unsubscribe_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("first_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
        sa.UniqueConstraint("message_id"),
    )
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outboxmessage_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "calendarfeed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["facilitator.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("calendarfeed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendarfeed_participant_id"), ["participant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calendarfeed_token_hash"), ["token_hash"], unique=True)
        batch_op.create_index(batch_op.f("ix_calendarfeed_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "mailtoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["facilitator.id"]),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mailtoken", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mailtoken_action_id"), ["action_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mailtoken_participant_id"), ["participant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mailtoken_token_hash"), ["token_hash"], unique=True)

    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))

    with op.batch_alter_table("actionchange", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("via", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="")
        )

    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column("digest_lang", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default="nl")
        )

    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))
        batch_op.add_column(
            sa.Column("email_lang", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default="nl")
        )

    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("followup_sequence", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Undo this migration: addresses, mails waiting to go, links in mails and calendar feeds are dropped."""
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("followup_sequence")

    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("email_lang")
        batch_op.drop_column("email")

    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("digest_lang")
        batch_op.drop_column("digest")

    with op.batch_alter_table("actionchange", schema=None) as batch_op:
        batch_op.drop_column("via")

    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_column("contact_email")

    with op.batch_alter_table("mailtoken", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mailtoken_token_hash"))
        batch_op.drop_index(batch_op.f("ix_mailtoken_participant_id"))
        batch_op.drop_index(batch_op.f("ix_mailtoken_action_id"))
    op.drop_table("mailtoken")

    with op.batch_alter_table("calendarfeed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendarfeed_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_calendarfeed_token_hash"))
        batch_op.drop_index(batch_op.f("ix_calendarfeed_participant_id"))
    op.drop_table("calendarfeed")

    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outboxmessage_workspace_id"))
        batch_op.drop_index("ix_outbox_due")
    op.drop_table("outboxmessage")
    op.drop_table("mailsuppression")
