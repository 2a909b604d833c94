"""outbox participant: which participant a mail was written for, for their data download

A participant's download listed none of the mails the outbox holds for them (their link, reminders, a confirmation
they asked for), and their address alone cannot find them: anyone who joined may type any address, and mails to it
written for someone else are not theirs. A mail now records the participant it was written for. Existing mails
record none: the outbox keeps a mail 30 days.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("participant_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outboxmessage_participant_id"), ["participant_id"], unique=False)
        batch_op.create_foreign_key("fk_outboxmessage_participant_id", "participant", ["participant_id"], ["id"])


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.drop_constraint("fk_outboxmessage_participant_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outboxmessage_participant_id"))
        batch_op.drop_column("participant_id")
