"""contact language: the language a bare contact's reminders go out in

A contact who never joined as a participant has no page to choose a language on; their mails followed no choice
and went out in Dutch. The board now records the language it was used in when the address was typed. Existing
contacts keep Dutch.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contact_lang", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default="nl")
        )


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_column("contact_lang")
