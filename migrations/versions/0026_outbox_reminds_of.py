"""outbox reminds of: a reminder keeps which action or follow-up it is about, and the date it names

A reminder waiting in the outbox for a retry (up to a day) went out after its action was done, withdrawn, or moved
to another date, or its follow-up moved or was cancelled: the owner was reminded of a date that no longer held.
The sender now checks, as it claims a reminder, that what it reminds of still holds. Messages written before keep
no such fact and go as they would have.

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("action_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("workshop_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("about_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.drop_column("about_at")
        batch_op.drop_column("workshop_id")
        batch_op.drop_column("action_id")
