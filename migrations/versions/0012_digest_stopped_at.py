"""digest stopped by a link: what a digest's "subscribe again" may restore

A digest's unsubscribe link could switch the digest on again for anyone holding the mail, even for a member who had
switched it off themselves. The membership now records when a link switched it off; only then does a link switch
it on again. Existing memberships record nothing: a digest that is off stays off until its member chooses.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_stopped_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("digest_stopped_at")
