"""register indexes: a workspace's actions by due date and by last change

The register filters and sorts a workspace's actions by due date (overdue, this week, this month) and by their last
change (changed since, newest first). Both indexes lead with the workspace, so they replace the index on it alone.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.create_index("ix_action_workspace_due_on", ["workspace_id", "due_on"], unique=False)
        batch_op.create_index("ix_action_workspace_updated_at", ["workspace_id", "updated_at"], unique=False)
        batch_op.drop_index("ix_action_workspace_id")


def downgrade() -> None:
    """Undo: the index on the workspace alone comes back."""
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.create_index("ix_action_workspace_id", ["workspace_id"], unique=False)
        batch_op.drop_index("ix_action_workspace_updated_at")
        batch_op.drop_index("ix_action_workspace_due_on")
