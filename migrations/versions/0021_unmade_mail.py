"""unmade mail: what the reminder pass could not make is kept in the database, for every worker's outbox page

The outbox page's "could not be made" alert was kept in the memory of the worker whose pass found it, so with
several workers a beheerder saw it or not by which worker answered the page. The pass now keeps it in this table,
replaced by each pass: a row made again leaves it.

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "unmademail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("noted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "row_id", name="uq_unmade_mail"),
    )
    with op.batch_alter_table("unmademail", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unmademail_workspace_id"), ["workspace_id"], unique=False)


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("unmademail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unmademail_workspace_id"))
    op.drop_table("unmademail")
