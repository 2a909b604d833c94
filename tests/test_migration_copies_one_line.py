"""Migration 0028 cleans the copies of names 0022 left (short names, aliases, the organisation a participant named, an
action's owner and partners) as clean_line does, and makes their keys again; where another organisation holds a
cleaned name's key, both stay and the page marks them; on SQLite and PostgreSQL, down and up again."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.organisations.service import find_organisation, list_organisations, organisation_key, owner_key
from app.security import clean_line
from app.store.database import Database
from tests.migrating import ON_EITHER, downgrade, empty_database
from tests.test_migration_workspaces import fill_before_workspaces

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
# (name, short name, aliases) as stored before names were cleaned; keys made of them as typed
ORGANISATIONS = [
    ("BuurtHuis", "", []),
    # cleaned, its name's key is the one above's: it keeps its own
    ("Buurt\u200bHuis", "", []),
    ("Woon\u00adstichting\tZuid", "WS\nZuid", ["Woon\u2060stichting Z.", "\u200b\u00ad"]),
]
OWNER = "Gemeente\u00adHeerlen\r\n010"
PARTICIPANT_ORGANISATION = "Woon\u00adstichting\tZuid"
# the first cleans to the second, which the action names already: it stays as stored
PARTNERS = ["Acme\n", "Acme", "Buurt\u202eteam\x07"]


def _fill(db: Database) -> dict[str, int]:
    """The organisations, a participant, an action and its partners as stored before 0022."""
    with db.write_engine.begin() as c:
        workshop_id, workspace_id = c.execute(sa.text("SELECT id, workspace_id FROM workshop ORDER BY id")).first()
        ids = {"workspace": workspace_id}
        for n, (name, short_name, aliases) in enumerate(ORGANISATIONS):
            ids[f"o{n}"] = organisation = c.execute(
                sa.text(
                    "INSERT INTO organisation (workspace_id, name, key, short_name, aliases, confirmed, own, "
                    "created_at) VALUES (:w, :n, :k, :s, :a, true, false, :now) RETURNING id"
                ),
                {
                    "w": workspace_id,
                    "n": name,
                    "k": organisation_key(name),
                    "s": short_name,
                    "a": json.dumps(aliases),
                    "now": NOW,
                },
            ).scalar_one()
            for key in dict.fromkeys(organisation_key(typed) for typed in [name, short_name, *aliases]):
                if key:
                    c.execute(
                        sa.text(
                            "INSERT INTO organisationname (workspace_id, key, organisation_id) VALUES (:w, :k, :o)"
                        ),
                        {"w": workspace_id, "k": key, "o": organisation},
                    )
        ids["participant"] = c.execute(
            sa.text("SELECT min(id) FROM participant WHERE workshop_id = :w"), {"w": workshop_id}
        ).scalar_one()
        c.execute(
            sa.text("UPDATE participant SET organisation = :o WHERE id = :p"),
            {"o": PARTICIPANT_ORGANISATION, "p": ids["participant"]},
        )
        ids["action"] = c.execute(sa.text("SELECT min(id) FROM action")).scalar_one()
        c.execute(sa.text("UPDATE action SET owner_organisation = :o WHERE id = :a"), {"o": OWNER, "a": ids["action"]})
        c.execute(sa.text("DELETE FROM actionpartner WHERE action_id = :a"), {"a": ids["action"]})
        for partner in PARTNERS:
            c.execute(
                sa.text("INSERT INTO actionpartner (action_id, organisation) VALUES (:a, :o)"),
                {"a": ids["action"], "o": partner},
            )
    return ids


@dataclass
class State:
    """Everything the migration may change, as plain values."""

    organisations: dict[int, tuple[str, str, str, list[str]]]
    keys: dict[int, set[str]]
    participants: dict[int, str]
    actions: dict[int, tuple[str, bytes]]
    partners: list[tuple[int, str]]


def _state(db: Database) -> State:
    """What the migration may change, read."""
    with db.write_engine.connect() as c:
        organisations = {
            i: (name, key, short_name, aliases if isinstance(aliases, list) else json.loads(aliases))
            for i, name, key, short_name, aliases in c.execute(
                sa.text("SELECT id, name, key, short_name, aliases FROM organisation")
            )
        }
        keys: dict[int, set[str]] = {}
        for organisation, key in c.execute(sa.text("SELECT organisation_id, key FROM organisationname")):
            keys.setdefault(organisation, set()).add(key)
        owners = c.execute(sa.text("SELECT id, owner_organisation, owner_key FROM action"))
        return State(
            organisations,
            keys,
            {i: o for i, o in c.execute(sa.text("SELECT id, organisation FROM participant"))},
            {i: (o, bytes(k)) for i, o, k in owners},
            sorted((a, o) for a, o in c.execute(sa.text("SELECT action_id, organisation FROM actionpartner"))),
        )


def check_up_and_down(db: Database) -> None:
    """The copies are one line and their keys the app's; the contested key stays where it was; down and up again
    changes nothing more."""
    db.migrate("0005")
    fill_before_workspaces(db.url)
    db.migrate("0021")
    ids = _fill(db)
    db.migrate("0027")
    before = _state(db)
    db.migrate("0028")
    after = _state(db)
    organisations, keys = after.organisations, after.keys
    assert organisations[ids["o0"]] == ("BuurtHuis", "buurthuis", "", [])
    assert keys[ids["o0"]] == {"buurthuis"}
    # the contested key: both stay, the later one as it was
    assert organisations[ids["o1"]] == ("BuurtHuis", "buurt huis", "", [])
    assert keys[ids["o1"]] == {"buurt huis"}
    assert organisations[ids["o2"]] == ("Woonstichting Zuid", "woonstichting zuid", "WS Zuid", ["Woonstichting Z."])
    assert keys[ids["o2"]] == {organisation_key(n) for n in ["Woonstichting Zuid", "WS Zuid", "Woonstichting Z."]}
    assert after.participants[ids["participant"]] == "Woonstichting Zuid"
    assert after.actions[ids["action"]] == (clean_line(OWNER), owner_key("GemeenteHeerlen 010"))
    assert before.actions[ids["action"]][1] != owner_key("GemeenteHeerlen 010")
    assert [name for action, name in after.partners if action == ids["action"]] == ["Acme", "Acme\n", "Buurtteam"]
    # every other row as clean_line makes it: "gemeente  heerlen" was stored with two spaces
    assert after.participants == {i: clean_line(o) or o for i, o in before.participants.items()}
    assert after.actions == {i: (clean_line(o), owner_key(clean_line(o))) for i, (o, _) in before.actions.items()}
    with Session(db.write_engine) as s:
        workspace = ids["workspace"]
        for typed, organisation in [("woonstichting z", "o2"), ("WS-Zuid", "o2"), ("BuurtHuis", "o0")]:
            found = find_organisation(s, workspace_id=workspace, name=typed)
            assert found is not None and found.id == ids[organisation], typed
        same = {row.organisation.id: row.same_name_as for row in list_organisations(s, workspace_id=workspace)}
        assert same[ids["o0"]] == same[ids["o1"]] == ("BuurtHuis",)
    downgrade(db, "0027")
    assert _state(db) == after
    db.migrate("0028")
    assert _state(db) == after
    assert db.schema_revision() == "0028"


@ON_EITHER
def test_0028_cleans_the_copies_of_names_and_their_keys(where: str, tmp_path: Path) -> None:
    with empty_database(where, tmp_path) as db:
        check_up_and_down(db)
