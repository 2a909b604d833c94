"""Two server processes on one PostgreSQL: forgetting a participant while the retention pass anonymises the same
workshop, in either order, both succeed; the names are gone and what was said stays."""

import asyncio
import threading
from datetime import date
from functools import partial
from typing import Any

import anyio
import pytest
from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.actions import service as actions
from app.answers import service as answers
from app.errors import DomainError
from app.models import Action, ActionChange, Answer, Event, OutboxMessage, Participant, Workshop, Workspace, utcnow
from app.privacy import service as privacy
from app.store.database import Database
from app.store.events import Tx
from tests.faults.conftest import until
from tests.rooms import room_in_obstacle_round
from tests.test_postgres import PG_URL, two_writers, waiting_for_a_lock

DAY = date(2026, 12, 7)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped"),
]


def room_past_its_retention(db: Tx) -> int:
    """A workshop held in January of a workspace that keeps names a month: Jan Smit (with an address, a link mail
    waiting for him, and the contact of an action) and two others, each with an obstacle. Returns Jan's id."""
    room = room_in_obstacle_round(db, participants=3)
    workshop = db.get(Workshop, room.workshop_id)
    assert workshop is not None
    workshop.held_on = date(2026, 1, 10)
    privacy.set_retention(db, workspace_id=workshop.workspace_id, months=1)
    jan = db.get(Participant, room.participant_ids[0])
    assert jan is not None
    # a confirmed address: only that makes Jan the action's contact, whom forgetting him takes off
    jan.name, jan.email, jan.email_confirmed_at = "Jan Smit", "jan@thuis.nl", utcnow()
    for person in room.participant_ids:
        answers.submit_answer(
            db,
            workshop_id=room.workshop_id,
            participant_id=person,
            step_id="obstacles",
            text=f"Wachtlijsten {person}",
            client_id=f"7d0c3c1e-6a39-4d5e-9a55-{person:012d}",
        )
    actions.save_action(
        db,
        workshop_id=room.workshop_id,
        title="Buurtkamer open",
        owner_organisation="Welzijn",
        contact_person="Jan Smit",
        contact_email="jan@thuis.nl",
    )
    db.add(
        OutboxMessage(
            workspace_id=workshop.workspace_id,
            kind="link",
            dedupe_key=f"link:{jan.id}",
            recipient="jan@thuis.nl",
            participant_id=jan.id,
            subject="Je eigen link",
            body_text="Hallo Jan Smit",
            message_id="<link-jan@doorbraak.test>",
        )
    )
    db.flush()
    return jan.id or 0


def forget(participant_id: int, db: Tx) -> None:
    """What "vergeet mij" runs: the participant as their link finds them, forgotten."""
    participant = db.get(Participant, participant_id)
    assert participant is not None
    privacy.forget_participant(db, participant=participant)


def pause_before(database: Database, statement: str) -> tuple[threading.Event, threading.Event]:
    """Hold the database's writer once, just before it sends a statement starting so; returns (paused, release)."""
    paused, release = threading.Event(), threading.Event()

    def hold(_conn: Any, _cursor: Any, sent: str, *_: Any) -> None:
        if sent.startswith(statement) and not paused.is_set():
            paused.set()
            release.wait(timeout=30)

    event.listen(database.write_engine, "before_cursor_execute", hold)
    return paused, release


def what_is_left(db: Session) -> dict[str, Any]:
    """Names, addresses, mails and the log's mentions of Jan, and how much of what was said and agreed is left."""
    logged = " ".join(str(payload) for payload in db.execute(select(col(Event.payload))).scalars())
    return {
        "names": sorted(name for name in db.execute(select(col(Participant.name))).scalars() if name),
        "addresses": [a for a in db.execute(select(col(Participant.email))).scalars() if a],
        "contacts": db.execute(select(col(Action.contact_person), col(Action.contact_email))).all(),
        "mails": db.execute(select(func.count()).select_from(OutboxMessage)).scalar_one(),
        "jan in the log": "Jan" in logged,
        "answers": db.execute(select(func.count()).select_from(Answer)).scalar_one(),
        "actions": db.execute(select(func.count()).select_from(Action)).scalar_one(),
        "history": sorted(db.execute(select(col(ActionChange.kind))).scalars()),
        "anonymised": db.execute(select(col(Workshop.anonymised_at).is_not(None))).scalar_one(),
        "workspaces": db.execute(select(func.count()).select_from(Workspace)).scalar_one(),
    }


@pytest.mark.parametrize("first_to_write", ["forgetting", "retention"])
async def test_forgetting_while_the_retention_pass_anonymises_the_workshop_both_succeed(first_to_write: str) -> None:
    forgetting, retaining = await two_writers([])
    try:
        jan = await forgetting.write(room_past_its_retention)
        # the one that writes first is held midway, holding what it wrote so far, until the other waits for it
        if first_to_write == "forgetting":
            # after taking the link mail, before the name (the narrow window: the pass takes the names first)
            paused, release = pause_before(forgetting, "UPDATE participant")
        else:
            paused, release = pause_before(retaining, "DELETE FROM event")
        try:
            if first_to_write == "forgetting":
                forgotten = forgetting.write(partial(forget, jan))
                assert await anyio.to_thread.run_sync(partial(paused.wait, timeout=30))
                passed = asyncio.ensure_future(privacy.retention_pass(retaining.read, retaining.write, today=DAY))
            else:
                passed = asyncio.ensure_future(privacy.retention_pass(retaining.read, retaining.write, today=DAY))
                assert await anyio.to_thread.run_sync(partial(paused.wait, timeout=30))
                forgotten = forgetting.write(partial(forget, jan))
            await until(lambda: forgetting.read_sync(waiting_for_a_lock), "the second one waiting for the first")
        finally:
            release.set()
        outcomes = await asyncio.gather(forgotten, passed, return_exceptions=True)
        assert outcomes[0] is None, outcomes
        assert not isinstance(outcomes[1], BaseException), outcomes
        (done,), _ = outcomes[1]
        assert done["names_removed"] == (3 if first_to_write == "retention" else 2)
        assert await forgetting.read(what_is_left) == {
            "names": [],
            "addresses": [],
            "contacts": [("", None)],
            "mails": 0,
            "jan in the log": False,
            "answers": 3,
            "actions": 1,
            # whichever came first took the contact away, and said so without naming it
            "history": ["contact_forgotten" if first_to_write == "forgetting" else "contact_expired", "created"],
            "anonymised": True,
            "workspaces": 1,
        }
    finally:
        await forgetting.stop()
        await retaining.stop()


def room_without_mail_past_its_retention(db: Tx) -> int:
    """As room_past_its_retention, without the link mail: deleting the workshop would wait for that mail first, before
    it holds anything, and hide the race. Returns Jan's id."""
    jan = room_past_its_retention(db)
    db.execute(delete(OutboxMessage))
    return jan


def delete_the_workshop(db: Tx) -> None:
    """What a member's "verwijderen" runs, with the title typed."""
    workshop = db.execute(select(Workshop)).scalar_one()
    privacy.delete_workshop(db, workshop=workshop, typed_title=workshop.title)


async def deleted_while(other: str, first_to_write: str) -> tuple[Any, Any, dict[str, Any]]:
    """Delete the workshop through one process while another forgets Jan or runs the retention pass, the first one
    held midway (holding what it wrote so far) until the other waits for it. Returns the deletion's and the other's
    outcomes, an error as it was raised, and what is left."""
    deleting, other_one = await two_writers([])
    try:
        jan = await deleting.write(room_without_mail_past_its_retention)

        def start_other() -> Any:
            if other == "forgetting":
                return other_one.write(partial(forget, jan))
            return asyncio.ensure_future(privacy.retention_pass(other_one.read, other_one.write, today=DAY))

        if first_to_write == "deleting":
            # holding the actions and the log, before the participants
            paused, release = pause_before(deleting, "DELETE FROM participant")
        else:
            # the pass holding the names, before the log; the forgetting its actions, before the name
            paused, release = pause_before(
                other_one, "DELETE FROM event" if other == "retention" else "UPDATE participant"
            )
        try:
            if first_to_write == "deleting":
                deleted = deleting.write(delete_the_workshop)
                assert await anyio.to_thread.run_sync(partial(paused.wait, timeout=30))
                done = start_other()
            else:
                done = start_other()
                assert await anyio.to_thread.run_sync(partial(paused.wait, timeout=30))
                deleted = deleting.write(delete_the_workshop)
            await until(lambda: deleting.read_sync(waiting_for_a_lock), "the second one waiting for the first")
        finally:
            release.set()
        outcomes = await asyncio.gather(deleted, done, return_exceptions=True)
        left = await deleting.read(
            lambda db: {
                model.__name__: db.execute(select(func.count()).select_from(model)).scalar_one()
                for model in (Workshop, Participant, Answer, Action, Event, Workspace)
            }
        )
        return outcomes[0], outcomes[1], left
    finally:
        await deleting.stop()
        await other_one.stop()


@pytest.mark.parametrize("first_to_write", ["deleting", "retention"])
async def test_deleting_a_workshop_while_the_retention_pass_anonymises_it_both_succeed(first_to_write: str) -> None:
    deleted, passed, left = await deleted_while("retention", first_to_write)
    # not a deadlock that PostgreSQL ends by failing one of them, nor a row the other removed under it
    assert deleted is None, deleted
    assert not isinstance(passed, BaseException), passed
    done, _ = passed
    # the pass that came second found nothing left to anonymise
    assert [row["names_removed"] for row in done] == ([] if first_to_write == "deleting" else [3])
    assert left == {"Workshop": 0, "Participant": 0, "Answer": 0, "Action": 0, "Event": 0, "Workspace": 1}


@pytest.mark.parametrize("first_to_write", ["deleting", "forgetting"])
async def test_deleting_a_workshop_while_a_participant_is_forgotten_deletes_it(first_to_write: str) -> None:
    deleted, forgotten, left = await deleted_while("forgetting", first_to_write)
    assert deleted is None, deleted
    if first_to_write == "deleting":
        # the participant went with the workshop while the forgetting waited: refused as gone, not a fault
        assert isinstance(forgotten, DomainError), forgotten
        assert (forgotten.code, forgotten.status) == ("gone_meanwhile", 409)
    else:
        assert forgotten is None, forgotten
    assert left == {"Workshop": 0, "Participant": 0, "Answer": 0, "Action": 0, "Event": 0, "Workspace": 1}
