"""stage: the timer, the spotlight and word cloud on the projector, answers held for approval, blocked words

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moderated", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("timer_ends_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("timer_left_ms", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("timer_total_ms", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("spotlight_answer_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "projector_view", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default="wall"
            )
        )

    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("facilitator", schema=None) as batch_op:
        batch_op.add_column(sa.Column("blocked_words", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("facilitator", schema=None) as batch_op:
        batch_op.drop_column("blocked_words")

    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_column("held")

    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("projector_view")
        batch_op.drop_column("spotlight_answer_id")
        batch_op.drop_column("timer_total_ms")
        batch_op.drop_column("timer_left_ms")
        batch_op.drop_column("timer_ends_at")
        batch_op.drop_column("moderated")
