"""participant search text: the participants page searches in the database

A search on the participants page (/f/workshops/{id}/deelnemers?q=…) read every participant of the workshop and
matched the typed words in Python: each word typed starts a word of the name or the address, accents and case
aside (organisations.matches). Each participant now keeps the search words of both, each after a space
(organisations.search_text), and the database finds " " + word in them and pages the result. This writes them for
every participant there is; one without name and address keeps the empty text.

Revision ID: 0023
Revises: 0022
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000

_participant = sa.table(
    "participant",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("email", sa.String),
    sa.column("search_text", sa.Text),
)


# the app's organisations.search_text as it is at 0023, written out here: a migration stays fixed
def _search_text(*texts: str | None) -> str:
    """The search words of the texts, lower case and without accents, each after a space."""
    words = []
    for text in texts:
        plain = "".join(
            c for c in unicodedata.normalize("NFKD", text or "") if not unicodedata.category(c).startswith("M")
        )
        words += re.findall(r"[^\W_]+", plain.lower())
    return "".join(f" {word}" for word in words)


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=sa.text("''")))
    connection = op.get_bind()
    people = sa.select(_participant.c.id, _participant.c.name, _participant.c.email).where(
        sa.or_(_participant.c.name != "", _participant.c.email.is_not(None))
    )
    rows = connection.execute(people).all()
    update = (
        sa.update(_participant)
        .where(_participant.c.id == sa.bindparam("participant"))
        .values(search_text=sa.bindparam("text"))
    )
    for start in range(0, len(rows), BATCH):
        batch = [
            {"participant": i, "text": _search_text(name, email)} for i, name, email in rows[start : start + BATCH]
        ]
        connection.execute(update, batch)
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.alter_column("search_text", server_default=None)


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("search_text")
