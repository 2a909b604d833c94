"""drop the workshop_id indexes of answer and event: their unique constraints lead with workshop_id

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    # uq_answer_client_id (workshop_id, client_id) and uq_event_seq (workshop_id, seq) serve every lookup by
    # workshop; the single-column indexes only cost each stored answer and event a second index entry
    op.drop_index("ix_answer_workshop_id", table_name="answer")
    op.drop_index("ix_event_workshop_id", table_name="event")


def downgrade() -> None:
    """Undo this migration."""
    op.create_index("ix_event_workshop_id", "event", ["workshop_id"], unique=False)
    op.create_index("ix_answer_workshop_id", "answer", ["workshop_id"], unique=False)
