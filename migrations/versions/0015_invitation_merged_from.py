"""invitation merged from: an invitation of a workspace merged into another leads to the one that is left

A merge dropped the invitations of the workspace it took away, and their links said they did not exist (or, a link
used while the merge went on, that it was used already). Invitations now move with the rest, and remember the name
of the workspace they were made for, so the link says what happened and lets the invitee join the one that is left.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_from", sa.String(length=120), nullable=True))


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("merged_from")
