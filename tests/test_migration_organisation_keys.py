"""Migration 0014 folds accents out of the stored organisation keys: up, down and up again on SQLite and PostgreSQL,
nothing merged or lost, and where two organisations of a workspace would share a key, both stay."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from app.store.database import Database
from tests.migrating import ON_EITHER, downgrade, empty_database

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

# per workspace, (name, aliases) in the order they were made; keys as 0013 folded them: accents kept
BEFORE = {
    "Noord": [
        ("Südwest", []),
        ("Sudwest", []),
        ("Zuyderländ", ["Zuyderland Medisch Centrum"]),
        ("Café de Kroon", ["Cafe de Kroon"]),
        ("Zorggroep Élan", []),
        ("Zorggroep Elàn", []),
        # "acme", Acmé's new key, is held by Acme ℅ until Acme ℅ moves on to its own (℅ folds to "c/o")
        ("Acmé", []),
        ("Acme ℅", []),
        # its sign comes apart into capitals: folded to lower case as well
        ("Stichting № 5", []),
    ],
    "Zuid": [("Südwest", [])],
}
# after 0014: (organisation's key, its names' keys)
AFTER = {
    ("Noord", "Südwest"): ("südwest", ["südwest"]),  # "sudwest" is Sudwest's already: kept apart
    ("Noord", "Sudwest"): ("sudwest", ["sudwest"]),
    ("Noord", "Zuyderländ"): ("zuyderland", ["zuyderland", "zuyderland medisch centrum"]),
    ("Noord", "Café de Kroon"): ("cafe de kroon", ["cafe de kroon", "café de kroon"]),  # its alias had the key
    ("Noord", "Zorggroep Élan"): ("zorggroep elan", ["zorggroep elan"]),  # the first made takes the key
    ("Noord", "Zorggroep Elàn"): ("zorggroep elàn", ["zorggroep elàn"]),
    ("Noord", "Acmé"): ("acme", ["acme"]),
    ("Noord", "Acme ℅"): ("acme c o", ["acme c o"]),
    ("Noord", "Stichting № 5"): ("stichting no 5", ["stichting no 5"]),
    ("Zuid", "Südwest"): ("sudwest", ["sudwest"]),  # another workspace's is its own
}


def _old_key(name: str) -> str:
    """A name folded as the app did until 0013."""

    return " ".join(re.sub(r"[^\w\s]", " ", name.casefold()).split())


def _fill(db: Database) -> None:
    """The workspaces and organisations of BEFORE, keyed as 0013 left them."""
    with db.write_engine.begin() as c:
        for workspace, organisations in BEFORE.items():
            workspace_id = c.execute(
                sa.text(
                    "INSERT INTO workspace (name, retention_months, created_at) VALUES (:n, 18, :now) RETURNING id"
                ),
                {"n": workspace, "now": NOW},
            ).scalar_one()
            for name, aliases in organisations:
                organisation_id = c.execute(
                    sa.text(
                        "INSERT INTO organisation (workspace_id, name, key, short_name, aliases, confirmed, own, "
                        "created_at) VALUES (:w, :n, :k, '', :a, true, false, :now) RETURNING id"
                    ),
                    {"w": workspace_id, "n": name, "k": _old_key(name), "a": json.dumps(aliases), "now": NOW},
                ).scalar_one()
                for key in dict.fromkeys(_old_key(typed) for typed in [name, *aliases]):
                    c.execute(
                        sa.text(
                            "INSERT INTO organisationname (workspace_id, key, organisation_id) VALUES (:w, :k, :o)"
                        ),
                        {"w": workspace_id, "k": key, "o": organisation_id},
                    )


def _keys(db: Database) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """Each organisation's key and its names' keys, by (workspace, name)."""
    with db.write_engine.connect() as c:
        organisations = c.execute(
            sa.text(
                "SELECT workspace.name, organisation.name, organisation.key, organisation.id FROM organisation "
                "JOIN workspace ON workspace.id = organisation.workspace_id"
            )
        ).all()
        names: dict[int, list[str]] = {}
        for organisation_id, key in c.execute(sa.text("SELECT organisation_id, key FROM organisationname")).all():
            names.setdefault(organisation_id, []).append(key)
    return {(w, n): (key, sorted(names.get(i, []))) for w, n, key, i in organisations}


def _old_keys() -> dict[tuple[str, str], tuple[str, list[str]]]:
    """BEFORE's keys, as _keys reads them."""
    return {
        (workspace, name): (_old_key(name), sorted(dict.fromkeys(_old_key(typed) for typed in [name, *aliases])))
        for workspace, organisations in BEFORE.items()
        for name, aliases in organisations
    }


def check_up_down_up(db: Database) -> None:
    """Stand at 0013 with accented keys, go to 0014, back to 0013 and up again."""
    db.migrate("0013")
    _fill(db)
    assert _keys(db) == _old_keys()
    db.migrate("0014")
    assert _keys(db) == AFTER
    downgrade(db, "0013")
    assert _keys(db) == _old_keys()
    db.migrate("0014")
    assert db.schema_revision() == "0014" and _keys(db) == AFTER


@ON_EITHER
def test_0014_refolds_organisation_keys_up_and_down(where: str, tmp_path: Path) -> None:
    with empty_database(where, tmp_path) as db:
        check_up_down_up(db)
