"""participant name key: the participants page pages by name in the database

The participants page (/f/workshops/{id}/deelnemers) read every participant of a workshop and sorted them in Python
by the names' order (organisations.name_order) before taking a page of a hundred. Each participant now keeps that
order as bytes that sort byte by byte the same (organisations.name_key), with an index beside the workshop, and the
database pages. This makes the key of every participant there is; a participant without a name gets the key above
every other (0xff), so the nameless come last as before.

Revision ID: 0018
Revises: 0017
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAMELESS = b"\xff"
BATCH = 1000

_participant = sa.table(
    "participant", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("name_key", sa.LargeBinary)
)


# the app's organisations.name_key as it is at 0017, written out here: a migration stays fixed
def _name_key(name: str) -> bytes:
    """A name's order as bytes: its search words, numbers by their value; NAMELESS for no name."""
    if not name:
        return NAMELESS
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.category(c).startswith("M"))
    parts = re.split(r"(\d+)", " ".join(re.findall(r"[^\W_]+", plain.lower())))
    key = bytearray(parts[0].encode() + b"\0")
    for digits, text in zip(parts[1::2], parts[2::2], strict=True):
        number = "".join(str(unicodedata.digit(c)) for c in digits).lstrip("0")
        key += len(number).to_bytes(2, "big") + number.encode() + text.encode() + b"\0"
    return bytes(key)


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.LargeBinary(), nullable=False, server_default=sa.text("''")))
    connection = op.get_bind()
    rows = connection.execute(sa.select(_participant.c.id, _participant.c.name)).all()
    update = (
        sa.update(_participant)
        .where(_participant.c.id == sa.bindparam("participant"))
        .values(name_key=sa.bindparam("key"))
    )
    for start in range(0, len(rows), BATCH):
        batch = [{"participant": i, "key": _name_key(name or "")} for i, name in rows[start : start + BATCH]]
        connection.execute(update, batch)
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.alter_column("name_key", server_default=None)
        batch_op.create_index("ix_participant_workshop_name_key", ["workshop_id", "name_key"], unique=False)


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_index("ix_participant_workshop_name_key")
        batch_op.drop_column("name_key")
