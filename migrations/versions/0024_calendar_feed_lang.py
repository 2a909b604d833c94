"""calendar feed lang: a feed speaks the language of the page that made its link

A calendar program asks for a feed without a language, so every feed came in Dutch, also to a participant whose
Mijn afspraken page, and whose mails, are in English. The feed keeps the page's language when its link is made;
links made before keep Dutch, as they were.

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("calendarfeed", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lang", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False, server_default="nl")
        )


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("calendarfeed", schema=None) as batch_op:
        batch_op.drop_column("lang")
