"""names on one line: titles and names stored before security.clean_line keep no line breaks

Workshop titles and the names of workspaces, accounts, participants and organisations are made one line as they
are typed (security.clean_line) since that function was added; rows stored before it may hold line breaks, tabs or
invisible characters, which search, sorting and every one-line place (a calendar's name, a mail's subject) trip
over. This cleans them as clean_line does now, and gives a participant whose name changed its name key again. A text
that cleaning would leave empty (invisible characters only) is left as it is.

Revision ID: 0022
Revises: 0021
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
NAMELESS = b"\xff"
# (table, column, its length): what clean_line cleans as it is typed
ONE_LINE = [
    ("workshop", "title", 200),
    ("workspace", "name", 120),
    ("facilitator", "name", 120),
    ("organisation", "name", 120),
    ("participant", "name", 80),
]

# the app's security.clean_line and organisations.name_key as they are at 0021, written out: a migration stays fixed
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_CONTROL = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f]")
_SPACES = re.compile(r"[^\S\n]+")


def _clean_line(raw: str) -> str:
    """A text cleaned as clean_text, its line breaks and tabs one space each."""
    text = unicodedata.normalize("NFC", raw)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return " ".join(line for line in lines if line)


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
    connection = op.get_bind()
    for name, column, length in ONE_LINE:
        columns = [sa.column("id", sa.Integer), sa.column(column, sa.String)]
        if name == "participant":
            columns.append(sa.column("name_key", sa.LargeBinary))
        table = sa.table(name, *columns)
        changed = []
        for row_id, text in connection.execute(sa.select(table.c.id, table.c[column])).all():
            cleaned = _clean_line(text or "")[:length]
            # one of nothing but invisible characters stays as it was: every form refuses an empty title or name,
            # and an empty participant's name reads as forgotten
            if text is not None and cleaned and cleaned != text:
                values = {"row": row_id, "text": cleaned}
                if name == "participant":
                    values["key"] = _name_key(cleaned)
                changed.append(values)
        values = {column: sa.bindparam("text")}
        if name == "participant":
            values["name_key"] = sa.bindparam("key")
        update = sa.update(table).where(table.c.id == sa.bindparam("row")).values(values)
        for start in range(0, len(changed), BATCH):
            connection.execute(update, changed[start : start + BATCH])


def downgrade() -> None:
    """Nothing to undo: the line breaks and invisible characters were never meant to be kept."""
