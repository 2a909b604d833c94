"""projector paused: the board holds the projector's turning pages on the page the room talks about

Only the projector's own keyboard (space or P) could pause its pages, and the facilitator is often not at it. The
pause is kept on the workshop, so a projector that reconnects or reloads stays on hold; a new step lifts it.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("projector_paused", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_column("projector_paused")
