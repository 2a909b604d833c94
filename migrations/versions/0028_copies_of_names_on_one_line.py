"""copies of names on one line: what 0022 cleaned, cleaned where it is copied, and the keys made again

Migration 0022 made the stored titles and names one line (security.clean_line) but not their copies: an
organisation's short name and aliases, the organisation a participant named, an action's owner and partners, and
the keys made from them (an organisation's and its names' keys, an action's owner key). Rows stored before names
were cleaned may still hold line breaks, tabs, control or direction-changing characters there. This cleans them as
clean_line does now and makes each key of a changed name again. A copy that cleaning would leave empty is left as
it is (as 0022 leaves a name), and so is a partner whose cleaned name the action has already (a row each, unique).

A key is made again where it is free. Where another organisation of the workspace holds the cleaned name's key
already, both organisations stay as they are and the one whose name changed keeps the key it has, as 0014 did when
keys began to fold accents: the organisations page marks the two as having the same name, for the office to merge.
A merge made here would decide for the office which organisation the people and actions of both belong to, and no
downgrade could part them again; a suffix would change a name someone typed, on every screen and export. Keeping the
key loses nothing: both are still found, each by a name it has, and one merge on the page makes them one.

Revision ID: 0028
Revises: 0027
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
KEY_MAX = 120
NAME_MAX = 120
SHORT_NAME_MAX = 40

_organisation = sa.table(
    "organisation",
    sa.column("id", sa.Integer),
    sa.column("workspace_id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("key", sa.String),
    sa.column("short_name", sa.String),
    sa.column("aliases", sa.JSON),
)
_name = sa.table(
    "organisationname",
    sa.column("id", sa.Integer),
    sa.column("workspace_id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("organisation_id", sa.Integer),
)
_participant = sa.table("participant", sa.column("id", sa.Integer), sa.column("organisation", sa.String))
_action = sa.table(
    "action",
    sa.column("id", sa.Integer),
    sa.column("owner_organisation", sa.String),
    sa.column("owner_key", sa.LargeBinary),
)
_partner = sa.table(
    "actionpartner",
    sa.column("id", sa.Integer),
    sa.column("action_id", sa.Integer),
    sa.column("organisation", sa.String),
)

# the app's security.clean_line, organisations.organisation_key and organisations.owner_key as they are at 0028,
# written out: a migration stays fixed
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


def _without_accents(text: str) -> str:
    """A text with its letters' accents and other marks left off."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.category(c).startswith("M"))


def _organisation_key(name: str) -> str:
    """A name folded for matching: case, accents, punctuation and spacing do not count."""
    return " ".join(re.sub(r"[^\w\s]", " ", _without_accents(name.casefold()).casefold()).split())[:KEY_MAX]


def _owner_key(name: str) -> bytes:
    """An owner's name as bytes that sort as names do: its search words, numbers by their value; no name first."""
    parts = re.split(r"(\d+)", " ".join(re.findall(r"[^\W_]+", _without_accents(name).lower())))
    key = bytearray(parts[0].encode() + b"\0")
    for digits, text in zip(parts[1::2], parts[2::2], strict=True):
        number = "".join(str(unicodedata.digit(c)) for c in digits).lstrip("0")
        key += len(number).to_bytes(2, "big") + number.encode() + text.encode() + b"\0"
    return bytes(key)


def _cleaned(text: str | None, length: int) -> str | None:
    """The text cleaned to one line, or None where it is clean already or cleaning would leave nothing."""
    cleaned = _clean_line(text or "")[:length]
    return cleaned if text is not None and cleaned and cleaned != text else None


def upgrade() -> None:
    """Apply this migration."""
    connection = op.get_bind()
    _clean_organisations(connection)
    _clean_copies(connection)


def downgrade() -> None:
    """Nothing to undo: the line breaks and invisible characters were never meant to be kept."""


def _run(connection: sa.engine.Connection, statement: sa.Update, changed: list[dict[str, object]]) -> None:
    """Run an update for each of the changed rows, BATCH at a time."""
    for start in range(0, len(changed), BATCH):
        connection.execute(statement, changed[start : start + BATCH])


def _clean_copies(connection: sa.engine.Connection) -> None:
    """Clean the organisation each participant named, each action's owner (with its key) and partners."""
    people = []
    for row_id, organisation in connection.execute(sa.select(_participant.c.id, _participant.c.organisation)):
        cleaned = _cleaned(organisation, NAME_MAX)
        if cleaned is not None:
            people.append({"row": row_id, "text": cleaned})
    _run(
        connection,
        sa.update(_participant)
        .where(_participant.c.id == sa.bindparam("row"))
        .values(organisation=sa.bindparam("text")),
        people,
    )
    owners = []
    for row_id, owner in connection.execute(sa.select(_action.c.id, _action.c.owner_organisation)):
        cleaned = _cleaned(owner, NAME_MAX)
        if cleaned is not None:
            owners.append({"row": row_id, "text": cleaned, "key": _owner_key(cleaned)})
    _run(
        connection,
        sa.update(_action)
        .where(_action.c.id == sa.bindparam("row"))
        .values(owner_organisation=sa.bindparam("text"), owner_key=sa.bindparam("key")),
        owners,
    )
    partners: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for row_id, action_id, organisation in connection.execute(
        sa.select(_partner.c.id, _partner.c.action_id, _partner.c.organisation).order_by(_partner.c.id)
    ):
        partners[action_id].append((row_id, organisation))
    renamed = []
    for of_action in partners.values():
        # an action names a partner once (uq_action_partner): a cleaned name it has already stays as stored
        names = {organisation for _, organisation in of_action}
        for row_id, organisation in of_action:
            cleaned = _cleaned(organisation, NAME_MAX)
            if cleaned is not None and cleaned not in names:
                names.add(cleaned)
                renamed.append({"row": row_id, "text": cleaned})
    _run(
        connection,
        sa.update(_partner).where(_partner.c.id == sa.bindparam("row")).values(organisation=sa.bindparam("text")),
        renamed,
    )


def _clean_organisations(connection: sa.engine.Connection) -> None:
    """Clean every organisation's short name and aliases, and make its keys again from its cleaned names."""
    organisations: dict[int, list[tuple[int, str, str, list[str]]]] = defaultdict(list)
    for organisation_id, workspace_id, name, key, short_name, aliases in connection.execute(
        sa.select(
            _organisation.c.id,
            _organisation.c.workspace_id,
            _organisation.c.name,
            _organisation.c.key,
            _organisation.c.short_name,
            _organisation.c.aliases,
        ).order_by(_organisation.c.id)
    ):
        short = _cleaned(short_name, SHORT_NAME_MAX)
        # an alias that cleans to nothing finds nothing: it goes (as the form leaves out an empty line)
        cleaned_aliases = [alias for alias in (_clean_line(a)[:NAME_MAX] for a in aliases or []) if alias]
        if short is not None or cleaned_aliases != (aliases or []):
            connection.execute(
                _organisation.update()
                .where(_organisation.c.id == organisation_id)
                .values(short_name=short if short is not None else short_name, aliases=cleaned_aliases)
            )
        names = [_clean_line(name) or name, *([short or short_name] if short_name else []), *cleaned_aliases]
        organisations[workspace_id].append((organisation_id, key, name, names))
    for workspace_id, of_workspace in organisations.items():
        _rekey(connection, workspace_id, of_workspace)


def _rekey(
    connection: sa.engine.Connection, workspace_id: int, of_workspace: list[tuple[int, str, str, list[str]]]
) -> None:
    """Give the workspace's organisations (id, key, name, cleaned names; oldest first) the keys of their names that
    no other holds: a key none of its names makes any more moves to a missing one, else a row is added."""
    rows: dict[int, list[list[object]]] = defaultdict(list)
    for row_id, key, organisation_id in connection.execute(
        sa.select(_name.c.id, _name.c.key, _name.c.organisation_id)
        .where(_name.c.workspace_id == workspace_id)
        .order_by(_name.c.id)
    ):
        rows[organisation_id].append([row_id, key])
    taken = {key for held in rows.values() for _, key in held}
    wanted = {
        organisation_id: [k for k in dict.fromkeys(_organisation_key(n) for n in names) if k]
        for organisation_id, _, _, names in of_workspace
    }
    moved = True
    # round again until none moves: a key one organisation left is free for an earlier one then
    while moved:
        moved = False
        for organisation_id, _, _, _ in of_workspace:
            held = rows[organisation_id]
            for missing in [k for k in wanted[organisation_id] if k not in taken]:
                stale = next((row for row in held if row[1] not in wanted[organisation_id]), None)
                if stale is not None:
                    connection.execute(_name.update().where(_name.c.id == stale[0]).values(key=missing))
                    taken.discard(stale[1])
                    stale[1] = missing
                else:
                    added = connection.execute(
                        _name.insert()
                        .values(workspace_id=workspace_id, key=missing, organisation_id=organisation_id)
                        .returning(_name.c.id)
                    ).scalar_one()
                    held.append([added, missing])
                taken.add(missing)
                moved = True
    own_keys = {key for _, key, _, _ in of_workspace}
    for organisation_id, key, name, _ in of_workspace:
        # an organisation's own key is its name's key: it follows where its name's row did
        name_key = _organisation_key(_clean_line(name) or name)
        held_keys = {k for _, k in rows[organisation_id]}
        if name_key and name_key != key and name_key in held_keys and name_key not in own_keys:
            connection.execute(_organisation.update().where(_organisation.c.id == organisation_id).values(key=name_key))
            own_keys.discard(key)
            own_keys.add(name_key)
