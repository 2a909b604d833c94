"""participant email confirmed: a typed address makes no one an action's contact until its owner confirms it

Anyone who joined a workshop could type any address on Mijn afspraken, and the reporting rule then made them the
contact of every action of the workspace with that address. An address now counts for the rule once its owner
opened the confirmation link mailed to it (email_confirmed_at).

No address stored before counts as confirmed. Its link mail reached whoever owns the address, whoever typed it, so
a mail that went proves nothing of the typist; an impostor's address of last month would have kept its rights.
Mijn afspraken says the address waits for confirmation, and saving it again mails a link. Until then reminders
still reach it as before; only the contact's rights wait, and an owner or a volunteer reports as before.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_confirmed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("email_confirmed_at")
