"""Migration 0029 cleans the names 0022 and 0028 left where they were written down (an action's history, the event
log's payloads, an action's contact person) as clean_line does, a batch at a time; what a reconnecting screen is
replayed and what a calendar feed shows are then one line; on SQLite and PostgreSQL, down and up again."""

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.live.replay import catch_up
from app.notify.feeds import feed_calendar
from app.security import clean_line, token_digest
from app.store.database import Database
from tests.migrating import ON_EITHER, downgrade, empty_database
from tests.test_migration_workspaces import fill_before_workspaces

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
# a line break, a tab and a right-to-left override: what a name stored before cleaning may hold
HOSTILE = "Fenna\nde\tVries\u202e"
CLEAN = "Fenna de Vries"
ORGANISATION = "Woon\u00adstichting\r\nZuid\x07"
CLEAN_ORGANISATION = "Woonstichting Zuid"
# an action's title is text, not a name: it may keep its line break
TITLE = "Speelplek\nbij de school"
# more events than the migration reads at once (its BATCH, 1000), so its batches meet
ANSWERS = 2500
FEED_TOKEN = "feed-token-of-the-test"


def _action(**names: Any) -> dict[str, Any]:
    """An action as action.saved carries it, with these names."""
    return {
        "id": 1,
        "title": TITLE,
        "description": "Eerste regel\ntweede",
        "owner": ORGANISATION,
        "owner_id": None,
        "partners": [ORGANISATION, "Acme"],
        "partner_ids": [None, None],
        "contact": HOSTILE,
        "due_on": None,
        "status": "open",
        "obstacle_id": None,
        "obstacle": "Geen plek\nvoor jongeren",
        "contribution_id": None,
        "volunteers": [{"participant": 1, "name": HOSTILE, "organisation": ORGANISATION}],
        "seen": "x",
        **names,
    }


def _reviewed() -> dict[str, Any]:
    """An action as review.saved carries it."""
    return {**_action(), "before": "open", "note": "", "report_note": "", "reported": False, "moved": False,
            "workshop_id": 1, "workshop_title": "Jeugd\nNoord"}  # fmt: skip


def _answer(n: int) -> dict[str, Any]:
    """An answer.created payload; every 997th one by a hostile name, so some meet a batch's edge."""
    hostile = n % 997 == 0
    return {
        "id": n,
        "step": "obstakels",
        "text": "Te weinig\nlicht",
        "links_to": None,
        "theme": None,
        "author": HOSTILE if hostile else "Sara",
        "organisation": ORGANISATION if hostile else "",
        "hidden": False,
        "participant": 1,
        "client_id": f"c{n}",
    }


EVENTS: list[tuple[str, str, dict[str, Any]]] = [
    ("participant.joined", "staff", {"id": 1, "organisation": ORGANISATION, "count": 1}),
    ("action.saved", "all", _action()),
    ("review.saved", "all", _reviewed()),
    (
        "review.changed",
        "all",
        {
            "workshop": {"id": 1, "title": "Jeugd\nNoord", "held_on": "2026-02-01"},
            "source": "workshop",
            "workshops": 1,
            "items": [_reviewed()],
        },
    ),
    ("organisation.renamed", "all", {"renamed": [{"was_id": 1, "was": ORGANISATION, "id": 2, "name": HOSTILE}]}),
    # a pile's name is not cleaned as a name: it stays
    ("clusters.changed", "staff", {"clusters": [{"id": 1, "name": "Licht\nen donker", "answers": []}]}),
    *(("answer.created", "staff", _answer(n)) for n in range(1, ANSWERS + 1)),
]
# (kind, before, after) as an action's history wrote them, and as they read once cleaned
HISTORY = [
    ("owner", "Acme", ORGANISATION, "Acme", CLEAN_ORGANISATION),
    ("partners", f"Acme, {ORGANISATION}", "", f"Acme, {CLEAN_ORGANISATION}", ""),
    ("contact", f"{HOSTILE} <fenna@wijk.nl>", "Cor", f"{CLEAN} <fenna@wijk.nl>", "Cor"),
    ("title", TITLE, "Speelplek", TITLE, "Speelplek"),
    ("description", "a\nb", "", "a\nb", ""),
]


def _fill(db: Database) -> dict[str, Any]:
    """Events, history and a contact as stored before names were cleaned, and a workspace's calendar feed."""
    with db.write_engine.begin() as c:
        workshop_id, public_id, workspace_id, made_by = c.execute(
            sa.text("SELECT id, public_id, workspace_id, facilitator_id FROM workshop ORDER BY id")
        ).first()
        action_id = c.execute(sa.text("SELECT min(id) FROM action WHERE workshop_id = :w"), {"w": workshop_id})
        action_id = action_id.scalar_one()
        c.execute(
            sa.text("UPDATE action SET contact_person = :c, due_on = :d, owner_organisation = :o WHERE id = :a"),
            {"c": HOSTILE, "d": date(2026, 4, 1), "o": CLEAN_ORGANISATION, "a": action_id},
        )
        c.execute(
            sa.text("INSERT INTO event (workshop_id, seq, kind, audience, payload, created_at) "
                    "VALUES (:w, :s, :k, :a, :p, :now)"),
            [
                {"w": workshop_id, "s": seq, "k": kind, "a": audience, "p": json.dumps(payload), "now": NOW}
                for seq, (kind, audience, payload) in enumerate(EVENTS, start=1)
            ],
        )  # fmt: skip
        c.execute(sa.text("UPDATE workshop SET last_seq = :s WHERE id = :w"), {"s": len(EVENTS), "w": workshop_id})
        for kind, before, after, _, _ in HISTORY:
            c.execute(
                sa.text("INSERT INTO actionchange (action_id, kind, before, after, note, via, at) "
                        "VALUES (:a, :k, :b, :f, '', '', :now)"),
                {"a": action_id, "k": kind, "b": before, "f": after, "now": NOW},
            )  # fmt: skip
        c.execute(
            sa.text("INSERT INTO calendarfeed (token_hash, scope, workspace_id, created_by, created_at, lang) "
                    "VALUES (:t, 'workspace', :w, :m, :now, 'nl')"),
            {"t": token_digest(FEED_TOKEN), "w": workspace_id, "m": made_by, "now": NOW},
        )  # fmt: skip
    return {"workshop": workshop_id, "public_id": public_id, "action": action_id}


def _replayed(db: Database, ids: dict[str, Any]) -> list[dict[str, Any]]:
    """The event frames a board that saw nothing yet is replayed."""
    with Session(db.write_engine) as s, s.begin():
        frames, _ = catch_up(
            s,
            workshop_id=ids["workshop"],
            public_id=ids["public_id"],
            role="facilitator",
            participant_id=None,
            since=0,
            since_workshop=ids["public_id"],
            replay_limit=len(EVENTS),
            secret="s" * 32,
        )
    return [frame for frame in map(orjson.loads, frames) if frame["type"] == "event"]


def _stored(db: Database, ids: dict[str, Any]) -> tuple[object, ...]:
    """What the migration may change, read."""
    with db.write_engine.connect() as c:
        payloads = [
            p if isinstance(p, dict) else json.loads(p)
            for (p,) in c.execute(sa.text("SELECT payload FROM event ORDER BY seq"))
        ]
        history = [tuple(r) for r in c.execute(sa.text("SELECT kind, before, after FROM actionchange ORDER BY id"))]
        contacts = dict(c.execute(sa.text("SELECT id, contact_person FROM action")).all())
    return payloads, history, contacts


def _one_line_names(frame: dict[str, Any]) -> list[str]:
    """Every name in a replayed frame's data."""
    found: list[str] = []

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, item in value.items():
                walk(item, k)
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, str) and key in {"author", "organisation", "owner", "partners", "contact", "was",
                                                  "workshop_title"}:  # fmt: skip
            found.append(value)

    walk(frame["data"])
    return found


def check(db: Database) -> None:
    """Names in the log, the history and the contacts are one line after 0029, texts stay; replay and the calendar
    feed show them cleaned; down and up again changes nothing more."""
    db.migrate("0005")
    fill_before_workspaces(db.url)
    db.migrate("0028")
    ids = _fill(db)
    before = _replayed(db, ids)
    assert len(before) == len(EVENTS)
    assert HOSTILE in _one_line_names(before[1]) and ORGANISATION in _one_line_names(before[1])
    before_stored = _stored(db, ids)

    db.migrate("0029")
    payloads, history, contacts = after_stored = _stored(db, ids)
    assert payloads[0]["organisation"] == CLEAN_ORGANISATION
    action = payloads[1]
    assert (action["owner"], action["contact"], action["partners"]) == (
        CLEAN_ORGANISATION,
        CLEAN,
        [CLEAN_ORGANISATION, "Acme"],
    )
    assert action["volunteers"] == [{"participant": 1, "name": CLEAN, "organisation": CLEAN_ORGANISATION}]
    assert (action["title"], action["description"], action["obstacle"]) == (
        TITLE,
        "Eerste regel\ntweede",
        "Geen plek\nvoor jongeren",
    )
    assert payloads[2] == {**_reviewed(), **action, "workshop_title": "Jeugd Noord"}
    assert payloads[3]["workshop"]["title"] == "Jeugd Noord" and payloads[3]["items"] == [payloads[2]]
    assert payloads[4]["renamed"] == [{"was_id": 1, "was": CLEAN_ORGANISATION, "id": 2, "name": CLEAN}]
    assert payloads[5] == EVENTS[5][2]
    answers = payloads[6:]
    assert [a["author"] for a in answers] == [CLEAN if n % 997 == 0 else "Sara" for n in range(1, ANSWERS + 1)]
    assert all(a["text"] == "Te weinig\nlicht" for a in answers)
    assert history[-len(HISTORY) :] == [(kind, was, now) for kind, _, _, was, now in HISTORY]
    assert history[: -len(HISTORY)] == before_stored[1][: -len(HISTORY)]
    assert contacts[ids["action"]] == CLEAN
    assert {i: c for i, c in contacts.items() if i != ids["action"]} == {
        i: clean_line(c) or c for i, c in before_stored[2].items() if i != ids["action"]
    }

    replayed = _replayed(db, ids)
    assert [frame["seq"] for frame in replayed] == [frame["seq"] for frame in before]
    for frame in replayed:
        for name in _one_line_names(frame):
            assert name == clean_line(name), (frame["kind"], name)
    with Session(db.write_engine) as s:
        calendar = feed_calendar(s, token=FEED_TOKEN).decode()
    assert "\u202e" not in calendar and "\x07" not in calendar and "\t" not in calendar
    assert f"Eigenaar: {CLEAN_ORGANISATION}" in calendar

    downgrade(db, "0028")
    assert _stored(db, ids) == after_stored
    db.migrate()
    assert _stored(db, ids) == after_stored


@ON_EITHER
def test_names_in_log_history_and_contacts_on_one_line(where: str, tmp_path: Path) -> None:
    """On SQLite and on PostgreSQL."""
    with empty_database(where, tmp_path) as db:
        check(db)
