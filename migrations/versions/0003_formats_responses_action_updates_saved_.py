"""formats: responses, action updates, saved formats, jargon, themes, review, bingo

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "savedformat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facilitator_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facilitator_id"],
            ["facilitator.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("facilitator_id", "key", name="uq_saved_format_key"),
    )
    with op.batch_alter_table("savedformat", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_savedformat_facilitator_id"), ["facilitator_id"], unique=False)

    op.create_table(
        "response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshop.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workshop_id", "step_id", "participant_id", name="uq_response"),
    )
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_response_participant_id"), ["participant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_response_workshop_id"), ["workshop_id"], unique=False)

    op.create_table(
        "actionupdate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("status_before", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["action.id"],
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshop.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workshop_id", "action_id", name="uq_action_update"),
    )
    with op.batch_alter_table("actionupdate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_actionupdate_action_id"), ["action_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_actionupdate_workshop_id"), ["workshop_id"], unique=False)

    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("theme", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))

    with op.batch_alter_table("facilitator", schema=None) as batch_op:
        batch_op.add_column(sa.Column("jargon", sa.JSON(), nullable=True))

    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_of", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("bingo", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_foreign_key("fk_workshop_review_of", "workshop", ["review_of"], ["id"])


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_constraint("fk_workshop_review_of", type_="foreignkey")
        batch_op.drop_column("bingo")
        batch_op.drop_column("review_of")

    with op.batch_alter_table("facilitator", schema=None) as batch_op:
        batch_op.drop_column("jargon")

    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_column("theme")

    with op.batch_alter_table("actionupdate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actionupdate_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_actionupdate_action_id"))

    op.drop_table("actionupdate")
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_response_participant_id"))

    op.drop_table("response")
    with op.batch_alter_table("savedformat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_savedformat_facilitator_id"))

    op.drop_table("savedformat")
