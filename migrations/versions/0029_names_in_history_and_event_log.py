"""names in history and the event log on one line: what 0022 and 0028 cleaned, cleaned where it was written down

Migrations 0022 and 0028 made the stored names one line (security.clean_line) in the rows that hold them, but not
where those names were written down as they were then: an action's history (its owner, partners and contact before
and after a change), the event log's payloads (the names a reconnecting screen is sent again on replay), and an
action's contact person, which clean_line cleans as it is typed but neither migration did. Names stored before
they were cleaned may hold line breaks, tabs, control or direction-changing characters there; a replayed event then
shows a name the snapshot of the same room shows cleaned. This cleans them as clean_line does now. A name that
cleaning would leave empty is left as it is (as 0022 and 0028 leave one). Calendar feeds store no text: a feed is
made from the actions and workshops each time it is asked for, whose names 0022 and 0028 cleaned.

The event log and the history are read BATCH rows at a time (by id), so a big log never loads at once.

Revision ID: 0029
Revises: 0028
"""

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
CONTACT_MAX = 120
# the history entries whose before and after are names: one name, names joined by PARTNERS_JOINED, a contact
HISTORY_KINDS = ("owner", "partners", "contact")
PARTNERS_JOINED = ", "

_event = sa.table("event", sa.column("id", sa.Integer), sa.column("kind", sa.String), sa.column("payload", sa.JSON))
_change = sa.table(
    "actionchange",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("before", sa.String),
    sa.column("after", sa.String),
)
_action = sa.table("action", sa.column("id", sa.Integer), sa.column("contact_person", sa.String))

# the app's security.clean_line as it is at 0029, written out: a migration stays fixed
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


def _name(text: Any) -> Any:
    """A name cleaned to one line; anything else, or a name cleaning would leave empty, as it is."""
    if not isinstance(text, str):
        return text
    return _clean_line(text) or text


def _names(texts: Any) -> Any:
    """A list of names, each cleaned; anything else as it is."""
    return [_name(text) for text in texts] if isinstance(texts, list) else texts


def _with(data: Any, names: Sequence[str], **inner: Callable[[Any], Any]) -> Any:
    """A payload's object with the names under these keys cleaned and the keys of inner cleaned by their function."""
    if not isinstance(data, dict):
        return data
    cleaned = dict(data)
    for key in names:
        if key in cleaned:
            cleaned[key] = _name(cleaned[key])
    for key, clean in inner.items():
        if key in cleaned:
            cleaned[key] = clean(cleaned[key])
    return cleaned


def _each(clean: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A function that cleans every item of a list with clean."""
    return lambda items: [clean(item) for item in items] if isinstance(items, list) else items


def _keys(names: Sequence[str]) -> Callable[[Any], Any]:
    """A function that cleans the names under these keys of an object."""
    return lambda data: _with(data, names)


# the event payloads as they are at 0029 (docs/protocol.md), with the keys that hold a name: a participant's and
# an organisation's, an action's owner, partners, contact and volunteers, the title of a workshop
def _action_names(data: Any) -> Any:
    """An action as action.saved carries it, its names cleaned."""
    return _with(data, ("owner", "contact"), partners=_names, volunteers=_each(_keys(("name", "organisation"))))


def _reviewed_names(data: Any) -> Any:
    """An action as review.saved carries it, its names and its workshop's title cleaned."""
    return _with(_action_names(data), ("workshop_title",))


PAYLOADS: dict[str, Callable[[Any], Any]] = {
    "participant.joined": _keys(("organisation",)),
    "answer.created": _keys(("author", "organisation")),
    "answer.hidden": _keys(("author", "organisation")),
    "answer.shown": _keys(("author", "organisation")),
    "action.saved": _action_names,
    "review.saved": _reviewed_names,
    "review.changed": lambda data: _with(data, (), workshop=_keys(("title",)), items=_each(_reviewed_names)),
    "organisation.renamed": lambda data: _with(data, (), renamed=_each(_keys(("was", "name")))),
}


def _history(kind: str, text: str | None) -> str | None:
    """A history entry's before or after with its names cleaned."""
    if not text:
        return text
    if kind == "partners":
        return PARTNERS_JOINED.join(_name(name) for name in text.split(PARTNERS_JOINED))
    return _name(text)


def upgrade() -> None:
    """Apply this migration."""
    connection = op.get_bind()
    _clean_events(connection)
    _clean_history(connection)
    _clean_contacts(connection)


def downgrade() -> None:
    """Nothing to undo: the line breaks and invisible characters were never meant to be kept, and the names as they
    were stored are not kept anywhere to put back."""


def _batches(
    connection: sa.engine.Connection, table: sa.TableClause, columns: Sequence[str], where: sa.ColumnElement[bool]
) -> Any:
    """The rows (id first) that match, BATCH at a time in the order of their ids: never the whole table at once."""
    last = 0
    while True:
        rows = connection.execute(
            sa.select(table.c.id, *(table.c[name] for name in columns))
            .where(where, table.c.id > last)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _clean_events(connection: sa.engine.Connection) -> None:
    """Clean the names in the payloads of the logged events that carry them."""
    update = sa.update(_event).where(_event.c.id == sa.bindparam("row")).values(payload=sa.bindparam("data"))
    for rows in _batches(connection, _event, ["kind", "payload"], _event.c.kind.in_(list(PAYLOADS))):
        changed = []
        for row_id, kind, payload in rows:
            cleaned = PAYLOADS[kind](payload)
            if cleaned != payload:
                changed.append({"row": row_id, "data": cleaned})
        if changed:
            connection.execute(update, changed)


def _clean_history(connection: sa.engine.Connection) -> None:
    """Clean the names in the history entries of an action's owner, partners and contact."""
    update = (
        sa.update(_change)
        .where(_change.c.id == sa.bindparam("row"))
        .values(before=sa.bindparam("was"), after=sa.bindparam("now"))
    )
    for rows in _batches(connection, _change, ["kind", "before", "after"], _change.c.kind.in_(HISTORY_KINDS)):
        changed = []
        for row_id, kind, before, after in rows:
            was, now = _history(kind, before), _history(kind, after)
            if (was, now) != (before, after):
                changed.append({"row": row_id, "was": was, "now": now})
        if changed:
            connection.execute(update, changed)


def _clean_contacts(connection: sa.engine.Connection) -> None:
    """Clean each action's contact person."""
    update = sa.update(_action).where(_action.c.id == sa.bindparam("row")).values(contact_person=sa.bindparam("text"))
    for rows in _batches(connection, _action, ["contact_person"], _action.c.contact_person != ""):
        changed = [
            {"row": row_id, "text": cleaned[:CONTACT_MAX]}
            for row_id, contact in rows
            if (cleaned := _name(contact)) != contact
        ]
        if changed:
            connection.execute(update, changed)
