"""organisation keys fold accents: "Sudwest" typed on a phone finds "Südwest"

An organisation's folded name (its key, and the key of each of its names) kept accents, so a phone typing "Sudwest"
made a new organisation beside "Südwest". Keys now leave accents off; this makes the stored ones again, in both
directions. Nothing is merged or dropped: a name whose new key another organisation of its workspace holds already
keeps its old key (both organisations stay, and the organisations page marks them as having the same name, for the
office to merge); the key a name has already is never taken from it.

Revision ID: 0014
Revises: 0013
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY_MAX = 120
Fold = Callable[[str], str]

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


# the app's organisation_key before and after, written out here: a migration stays fixed
def _with_accents(name: str) -> str:
    """A name folded as keys were until 0013: case, punctuation and spacing left off."""
    return " ".join(re.sub(r"[^\w\s]", " ", name.casefold()).split())[:KEY_MAX]


def _without_accents(name: str) -> str:
    """A name folded as keys are from 0014: accents and other marks left off as well."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in folded if not unicodedata.category(c).startswith("M")).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", plain).split())[:KEY_MAX]


def upgrade() -> None:
    """Apply this migration."""
    _refold(op.get_bind(), was=_with_accents, becomes=_without_accents)


def downgrade() -> None:
    """Undo this migration."""
    _refold(op.get_bind(), was=_without_accents, becomes=_with_accents)


def _refold(connection: sa.engine.Connection, *, was: Fold, becomes: Fold) -> None:
    """Make the keys of every workspace's organisations again with another fold, where the new key is free."""
    organisations: dict[int, list[tuple[int, str, list[str]]]] = defaultdict(list)
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
        names = [name, *([short_name] if short_name else []), *(aliases or [])]
        organisations[workspace_id].append((organisation_id, key, names))
    for workspace_id, of_workspace in organisations.items():
        names_of = {organisation_id: names for organisation_id, _, names in of_workspace}
        rows = connection.execute(
            sa.select(_name.c.id, _name.c.key, _name.c.organisation_id)
            .where(_name.c.workspace_id == workspace_id)
            .order_by(_name.c.organisation_id, _name.c.id)
        ).all()
        keys = _rekey(
            connection,
            _name,
            [(row_id, key, names_of.get(organisation_id, [])) for row_id, key, organisation_id in rows],
            was=was,
            becomes=becomes,
        )
        held: dict[int, set[str]] = defaultdict(set)
        for row_id, _, organisation_id in rows:
            held[organisation_id].add(keys[row_id])
        # an organisation's own key is its name's key: it follows only where its name's row did
        _rekey(
            connection,
            _organisation,
            [
                (organisation_id, key, [names[0]] if becomes(names[0]) in held[organisation_id] else [])
                for organisation_id, key, names in of_workspace
            ],
            was=was,
            becomes=becomes,
        )


def _rekey(
    connection: sa.engine.Connection,
    table: sa.TableClause,
    rows: list[tuple[int, str, list[str]]],
    *,
    was: Fold,
    becomes: Fold,
) -> dict[int, str]:
    """Give each row (of one workspace: its id, key and the names it may stand for) the new fold of the name its
    key was made from, unless another row holds that key: then it keeps its own. Returns each row's key."""
    taken = {key for _, key, _ in rows}
    keys = {row_id: key for row_id, key, _ in rows}
    moved = True
    # round again until none moves: a key a later row left ("acme" of "Acme ℅", which becomes "acme c o") is free for
    # an earlier one ("Acmé") then; each row moves once at most
    while moved:
        moved = False
        for row_id, _, named in rows:
            key = keys[row_id]
            if any(becomes(name) == key for name in named):
                continue  # right already
            wanted = next((becomes(name) for name in named if was(name) == key and becomes(name)), None)
            if wanted is None or wanted in taken:
                continue
            connection.execute(table.update().where(table.c.id == row_id).values(key=wanted))
            taken.discard(key)
            taken.add(wanted)
            keys[row_id] = wanted
            moved = True
    return keys
