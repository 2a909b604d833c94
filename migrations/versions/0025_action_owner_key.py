"""action owner key: the register sorted by organisation pages along an index

The register sorted by owner (sort=organisation) ranked each matching action by a CASE over the workspace's
organisation names and sorted all of them before taking a page. Each action now keeps its owner's name as bytes
that sort as every list sorts names (organisations.owner_key: organisations.name_key, with an owner of no name
first), with an index beside the workspace, and the database pages along it as it does for the due date. This
makes the key of every action there is.

Revision ID: 0025
Revises: 0024
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000

_action = sa.table(
    "action",
    sa.column("id", sa.Integer),
    sa.column("owner_organisation", sa.String),
    sa.column("owner_key", sa.LargeBinary),
)


# the app's organisations.owner_key as it is at 0025, written out here: a migration stays fixed
def _owner_key(name: str) -> bytes:
    """An owner's name as bytes that sort as names do: its search words, numbers by their value; no name first."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.category(c).startswith("M"))
    parts = re.split(r"(\d+)", " ".join(re.findall(r"[^\W_]+", plain.lower())))
    key = bytearray(parts[0].encode() + b"\0")
    for digits, text in zip(parts[1::2], parts[2::2], strict=True):
        number = "".join(str(unicodedata.digit(c)) for c in digits).lstrip("0")
        key += len(number).to_bytes(2, "big") + number.encode() + text.encode() + b"\0"
    return bytes(key)


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_key", sa.LargeBinary(), nullable=False, server_default=sa.text("''")))
    connection = op.get_bind()
    rows = connection.execute(sa.select(_action.c.id, _action.c.owner_organisation)).all()
    update = sa.update(_action).where(_action.c.id == sa.bindparam("action")).values(owner_key=sa.bindparam("key"))
    for start in range(0, len(rows), BATCH):
        batch = [{"action": i, "key": _owner_key(name or "")} for i, name in rows[start : start + BATCH]]
        connection.execute(update, batch)
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.alter_column("owner_key", server_default=None)
        batch_op.create_index("ix_action_workspace_owner_key", ["workspace_id", "owner_key", "id"], unique=False)


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index("ix_action_workspace_owner_key")
        batch_op.drop_column("owner_key")
