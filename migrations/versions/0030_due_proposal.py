"""due proposal: an action's owner proposes a new due date, for the programme office to take over or decline

Only the programme office moved a due date; an owner who knew theirs would slip could only say so in a report's
note. An owner (or the action's contact) now proposes a date, kept here until the office decides; one row per
action, a newer proposal replacing an open one. The history keeps every proposal and decision.

Revision ID: 0030
Revises: 0029
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "dueproposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=280), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("via", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("proposed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("action_id", name="uq_due_proposal_action"),
    )
    with op.batch_alter_table("dueproposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dueproposal_participant_id"), ["participant_id"], unique=False)


def downgrade() -> None:
    """Undo this migration: open proposals go (the history keeps that they were made)."""
    with op.batch_alter_table("dueproposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dueproposal_participant_id"))
    op.drop_table("dueproposal")
