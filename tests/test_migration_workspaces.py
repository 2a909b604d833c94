"""Migration 0006 moves an existing install into workspaces with every row accounted for, on SQLite and PostgreSQL."""

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.store.database import Database
from tests.migrating import ON_EITHER, empty_database

NOW = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
STEPS = json.dumps([{"id": "lobby", "type": "lobby"}])
# the tables a facilitator's work lives in before 0006; each keeps every row
KEPT = (
    "facilitator",
    "workshop",
    "participant",
    "answer",
    "action",
    "actionpartner",
    "volunteer",
    "actionupdate",
    "savedformat",
)


def _insert(connection: sa.Connection, table: str, **values: Any) -> int:
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    result = connection.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id"), values)
    return int(result.scalar_one())


def _workshop(connection: sa.Connection, facilitator_id: int, n: int, review_of: int | None = None) -> int:
    return _insert(
        connection,
        "workshop",
        public_id=f"pub{facilitator_id}x{n}",
        facilitator_id=facilitator_id,
        title=f"Sessie {n}",
        opgave="Samen de buurt vooruit",
        held_on=date(2026, 10, n),
        format_key="doorbraak",
        steps=STEPS,
        step_index=0,
        join_code=f"C{facilitator_id}X{n}",
        projector_token=f"proj{facilitator_id}x{n}",
        allow_anonymous=True,
        last_seq=0,
        created_at=NOW,
        dots=3,
        focus_only=False,
        followup_place="",
        review_of=review_of,
        bingo=False,
        moderated=False,
        projector_view="wall",
    )


def _participant(
    connection: sa.Connection, workshop_id: int, n: int, organisation: str, anonymous: bool = False
) -> int:
    return _insert(
        connection,
        "participant",
        workshop_id=workshop_id,
        token_hash=f"t{workshop_id}x{n}",
        name="" if anonymous else f"Persoon {n}",
        organisation=organisation,
        anonymous=anonymous,
        joined_at=NOW,
        link_token=f"l{workshop_id}x{n}",
    )


def _action(connection: sa.Connection, workshop_id: int, title: str, owner: str, status: str = "open") -> int:
    return _insert(
        connection,
        "action",
        workshop_id=workshop_id,
        title=title,
        description="",
        owner_organisation=owner,
        contact_person="",
        status=status,
        created_at=NOW,
    )


def fill_before_workspaces(url: str) -> dict[str, int]:
    """Two facilitators' work as it was stored at revision 0005; returns the ids the test looks up."""
    engine = sa.create_engine(url)
    ids: dict[str, int] = {}
    with engine.begin() as c:
        for n, name in ((1, "Fenna"), (2, "Joris")):
            ids[f"f{n}"] = _insert(
                c, "facilitator", email=f"{name.lower()}@buurt.nl", name=name, password_hash="x", created_at=NOW
            )
        c.execute(
            sa.text("UPDATE facilitator SET jargon = :jargon WHERE id = :id"),
            {"jargon": json.dumps({"ketenpartner": "organisatie die meedoet"}), "id": ids["f1"]},
        )
        first = ids["w1"] = _workshop(c, ids["f1"], 1)
        people = [
            _participant(c, first, 1, "Gemeente Heerlen"),
            _participant(c, first, 2, "gemeente  heerlen"),
            _participant(c, first, 3, "Gem. Heerlen"),
            _participant(c, first, 4, "Anoniem", anonymous=True),
        ]
        obstacle = _insert(
            c,
            "answer",
            workshop_id=first,
            participant_id=people[0],
            step_id="obstakels",
            text="Geen plek voor jongeren",
            client_id="a1",
            hidden=False,
            held=False,
            created_at=NOW,
        )
        huiskamer = ids["a_open"] = _action(c, first, "Huiskamer in de flat", "Woonstichting Thuis")
        ids["a_done"] = _action(c, first, "Al klaar", "Gemeente Heerlen", status="klaar")
        c.execute(sa.text("UPDATE action SET obstacle_id = :o WHERE id = :a"), {"o": obstacle, "a": huiskamer})
        _insert(c, "actionpartner", action_id=huiskamer, organisation="gemeente heerlen")
        _insert(c, "volunteer", action_id=huiskamer, participant_id=people[1], created_at=NOW)
        followup = ids["w1_followup"] = _workshop(c, ids["f1"], 2, review_of=first)
        _insert(
            c,
            "actionupdate",
            workshop_id=followup,
            action_id=huiskamer,
            status_before="open",
            status="bezig",
            note="Eerste gesprek",
            updated_at=NOW,
        )
        c.execute(sa.text("UPDATE action SET status = 'bezig' WHERE id = :a"), {"a": huiskamer})
        # the other facilitator uses the same organisation name: it stays theirs, in their own workspace
        second = ids["w2"] = _workshop(c, ids["f2"], 3)
        _participant(c, second, 1, "Gemeente Heerlen")
        _action(c, second, "Buurtschouw", "Politie")
        for facilitator in (ids["f1"], ids["f2"]):
            _insert(c, "savedformat", facilitator_id=facilitator, key="eigen", spec="{}", updated_at=NOW)
    engine.dispose()
    return ids


def counts(url: str) -> dict[str, int]:
    """How many rows each kept table holds."""
    engine = sa.create_engine(url)
    with engine.connect() as c:
        found = {table: c.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() for table in KEPT}
    engine.dispose()
    return found


def check_upgrade(db: Database) -> None:
    """Fill at 0005, migrate to the newest revision, and account for every row."""
    db.migrate("0005")
    ids = fill_before_workspaces(db.url)
    before = counts(db.url)
    db.migrate()
    assert counts(db.url) == before
    engine = db.write_engine
    with engine.connect() as c:

        def rows(query: str, **params: Any) -> list[Any]:
            return list(c.execute(sa.text(query), params).all())

        memberships = rows("SELECT account_id, workspace_id, role FROM membership ORDER BY account_id")
        assert [(account, role) for account, _, role in memberships] == [
            (ids["f1"], "beheerder"),
            (ids["f2"], "beheerder"),
        ]
        workspace_of = {account: workspace for account, workspace, _ in memberships}
        assert workspace_of[ids["f1"]] != workspace_of[ids["f2"]]
        for workshop_id, facilitator_id, workspace_id in rows("SELECT id, facilitator_id, workspace_id FROM workshop"):
            assert workspace_id == workspace_of[facilitator_id], workshop_id
        for facilitator_id, workspace_id in rows("SELECT facilitator_id, workspace_id FROM savedformat"):
            assert workspace_id == workspace_of[facilitator_id]
        jargon = dict(rows("SELECT id, jargon FROM workspace"))
        stored = jargon[workspace_of[ids["f1"]]]
        assert (json.loads(stored) if isinstance(stored, str) else stored) == {
            "ketenpartner": "organisatie die meedoet"
        }
        assert jargon[workspace_of[ids["f2"]]] is None

        # case and spacing fold together; "Gem. Heerlen" is another spelling a person merges later
        organisations = rows("SELECT workspace_id, key, confirmed FROM organisation ORDER BY workspace_id, key")
        mine = sorted(key for workspace, key, _ in organisations if workspace == workspace_of[ids["f1"]])
        theirs = sorted(key for workspace, key, _ in organisations if workspace == workspace_of[ids["f2"]])
        assert mine == ["gem heerlen", "gemeente heerlen", "woonstichting thuis"]
        assert theirs == ["gemeente heerlen", "politie"]
        assert not any(confirmed for _, _, confirmed in organisations)
        assert rows("SELECT count(*) FROM participant WHERE organisation_id IS NULL") == [(1,)]  # the anonymous one
        assert rows("SELECT count(*) FROM action WHERE owner_organisation_id IS NULL OR workspace_id IS NULL") == [(0,)]
        assert rows("SELECT count(*) FROM actionpartner WHERE organisation_id IS NULL") == [(0,)]
        same = rows(
            "SELECT count(DISTINCT organisation_id) FROM participant WHERE workshop_id = :w AND anonymous = :no",
            w=ids["w1"],
            no=False,
        )
        assert same == [(2,)]

        # history: every action's agreement and the review, and the follow-up keeps looking at what it looked at
        kinds = rows("SELECT action_id, kind, before, after, note FROM actionchange ORDER BY id")
        assert sorted(kind for _, kind, *_ in kinds) == ["created", "created", "created", "review"]
        assert (ids["a_open"], "review", "open", "bezig", "Eerste gesprek") in kinds
        under_review = rows("SELECT action_id FROM reviewitem WHERE workshop_id = :w", w=ids["w1_followup"])
        assert under_review == [(ids["a_open"],)]


@ON_EITHER
def test_an_install_at_0005_upgrades_with_every_row_accounted_for(where: str, tmp_path: Path) -> None:
    with empty_database(where, tmp_path) as db:
        check_upgrade(db)
