"""participant organisation revoked: the programme office takes back an organisation a participant claimed

Anyone who joined a workshop of a workspace may name any organisation, and the reporting rule then let them report
on every action that organisation owns. The office now says on the workshop's participants page that a participant
does not belong to the organisation they named (organisation_revoked_at); the rule then refuses their reports by
organisation. No claim from before is taken back.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("organisation_revoked_at")
