"""The group-commit writer: one commit per batch, publish after commit, idempotent answers."""

import asyncio
import json
import os
import sqlite3
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, PendingRollbackError

from app import i18n, security
from app.answers import service as answers
from app.errors import DomainError
from app.live.frames import event_frame
from app.models import Action, Answer, Event, Invitation, Participant, Workspace
from app.organisations import service as organisations
from app.store.database import Database
from app.store.events import Audience, EventKind, append_event, last_seq, workshop_deleted
from app.workshops import service as workshops
from tests.rooms import room_in_obstacle_round

PG_URL = os.environ.get("DOORBRAAK_TEST_DATABASE_URL")


class Recorder:
    """A publisher that checks each event's row is already committed when it is published."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.events: list[Event] = []
        self.batches = 0
        self.committed_when_published: list[bool] = []

    async def __call__(self, events: list[Event]) -> None:
        self.batches += 1
        for event in events:
            found = await self.db.read(
                lambda s, e=event: s.execute(
                    select(Event.id).where(Event.workshop_id == e.workshop_id, Event.seq == e.seq)
                ).first()
            )
            self.committed_when_published.append(found is not None)
        self.events.extend(events)


async def make_room(db: Database, participants: int = 1) -> tuple[int, list[int]]:
    """A workshop in its obstacle round with some participants."""
    room = await db.write(partial(room_in_obstacle_round, participants=participants))
    return room.workshop_id, room.participant_ids


@pytest.fixture
async def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A started database with a recording publisher."""
    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    database.migrate()
    recorder = Recorder(database)
    await database.start(recorder)
    database.recorder = recorder  # type: ignore[attr-defined]
    yield database
    await database.stop()


async def test_one_client_id_three_times_two_concurrently_stores_one_answer(db: Database) -> None:
    workshop_id, (person,) = await make_room(db)
    client_id = "5f0c3c1e-6a39-4d5e-9a55-111111111111"

    def submit(s):  # type: ignore[no-untyped-def]
        return answers.submit_answer(
            s,
            workshop_id=workshop_id,
            participant_id=person,
            step_id="obstacles",
            text="Te veel loketten",
            client_id=client_id,
        )

    first, second = await asyncio.gather(db.write(submit), db.write(submit))
    third = await db.write(submit)
    acks = [first, second, third]
    assert len({ack.answer_id for ack in acks}) == 1
    assert sorted(ack.duplicate for ack in acks) == [False, True, True]
    count = await db.read(lambda s: s.execute(select(func.count()).select_from(Answer)).scalar_one())
    assert count == 1
    created = [e for e in db.recorder.events if e.kind == "answer.created"]  # type: ignore[attr-defined]
    assert len(created) == 1


async def test_events_are_published_only_after_their_commit_and_in_seq_order(db: Database) -> None:
    workshop_id, people = await make_room(db, participants=5)
    jobs = [
        db.write(
            lambda s, p=p, i=i: answers.submit_answer(
                s,
                workshop_id=workshop_id,
                participant_id=p,
                step_id="obstacles",
                text=f"obstakel {i}",
                client_id=f"00000000-0000-4000-8000-{i:012d}",
            )
        )
        for i, p in enumerate(people * 20)
    ]
    await asyncio.gather(*jobs)
    recorder = db.recorder  # type: ignore[attr-defined]
    assert all(recorder.committed_when_published)
    seqs = [e.seq for e in recorder.events if e.workshop_id == workshop_id]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    assert seqs == list(range(1, len(seqs) + 1))  # no gaps: every change got the next number
    # 100 concurrent answers went through far fewer transactions than answers
    assert recorder.batches < 100


async def test_a_refused_change_does_not_undo_the_rest_of_its_batch(db: Database) -> None:
    workshop_id, (person,) = await make_room(db)

    def good(i: int):  # type: ignore[no-untyped-def]
        return lambda s: answers.submit_answer(
            s,
            workshop_id=workshop_id,
            participant_id=person,
            step_id="obstacles",
            text=f"goed {i}",
            client_id=f"00000000-0000-4000-8000-00000000000{i}",
        )

    def bad(s):  # type: ignore[no-untyped-def]
        append_event(s, workshop_id=workshop_id, kind="test", audience="staff", data={})
        raise DomainError("nope", "nee")

    results = await asyncio.gather(db.write(good(1)), db.write(bad), db.write(good(2)), return_exceptions=True)
    assert isinstance(results[1], DomainError)
    texts = await db.read(lambda s: sorted(a.text for a in s.execute(select(Answer)).scalars()))
    assert texts == ["goed 1", "goed 2"]
    kinds = [e.kind for e in db.recorder.events]  # type: ignore[attr-defined]
    assert "test" not in kinds  # the refused job's event was neither kept nor published


async def test_stop_finishes_queued_writes(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 's.db'}")
    database.migrate()
    published: list[Event] = []

    async def publish(events: list[Event]) -> None:
        published.extend(events)

    await database.start(publish)
    workshop_id, (person,) = await make_room(database)
    pending = [
        asyncio.ensure_future(
            database.write(
                lambda s, i=i: answers.submit_answer(
                    s,
                    workshop_id=workshop_id,
                    participant_id=person,
                    step_id="obstacles",
                    text=f"a{i}",
                    client_id=f"00000000-0000-4000-8000-{i:012d}",
                )
            )
        )
        for i in range(20)
    ]
    await asyncio.sleep(0)
    await database.stop()
    assert all(task.done() and not task.exception() for task in pending)


async def test_a_change_without_savepoint_that_fails_after_writing_leaves_nothing_half_done(db: Database) -> None:
    workshop_id, (ali, bea) = await make_room(db, participants=2)

    def answer(participant: int, text: str, number: int) -> object:
        return partial(
            answers.submit_answer,
            workshop_id=workshop_id,
            participant_id=participant,
            step_id="obstacles",
            text=text,
            client_id=f"5f0c3c1e-6a39-4d5e-9a55-{number:012d}",
        )

    def writes_then_breaks(session: object) -> None:
        answers.submit_answer(
            session,  # type: ignore[arg-type]
            workshop_id=workshop_id,
            participant_id=bea,
            step_id="obstacles",
            text="half",
            client_id="5f0c3c1e-6a39-4d5e-9a55-999999999999",
        )
        raise RuntimeError("the disk is full")

    # one batch: a good answer, one refused before writing, and one that breaks after it wrote
    good = asyncio.ensure_future(db.write(answer(ali, "De loketten", 1), savepoint=False))  # type: ignore[arg-type]
    refused = asyncio.ensure_future(db.write(answer(ali, "", 2), savepoint=False))  # type: ignore[arg-type]
    broken = asyncio.ensure_future(db.write(writes_then_breaks, savepoint=False))
    outcomes = await asyncio.gather(good, refused, broken, return_exceptions=True)
    assert not outcomes[0].duplicate  # type: ignore[union-attr]
    assert isinstance(outcomes[1], DomainError) and outcomes[1].code == "empty"
    assert isinstance(outcomes[2], RuntimeError)
    texts = await db.read(lambda s: list(s.execute(select(Answer.text).order_by(Answer.id)).scalars()))
    assert texts == ["De loketten"]  # the broken job's answer was rolled back with its savepoint
    # the writer publishes just after it resolves the batch's futures: let it, then look
    await asyncio.wait_for(db._queue.join(), timeout=5)  # type: ignore[union-attr]
    published = [e.payload["text"] for e in db.recorder.events if e.kind == "answer.created"]  # type: ignore[attr-defined]
    assert published == ["De loketten"]


async def test_a_failed_change_gives_its_sequence_numbers_back(db: Database) -> None:
    workshop_id, _ = await make_room(db)
    await asyncio.wait_for(db._queue.join(), timeout=5)  # type: ignore[union-attr]
    start = len(db.recorder.events)  # type: ignore[attr-defined]

    def note(kind: str, fail: bool = False) -> object:
        def job(session: object) -> None:
            append_event(session, workshop_id=workshop_id, kind=kind, audience="staff", data={})  # type: ignore[arg-type]
            if fail:
                raise DomainError("nope", "refused after logging")

        return job

    # one batch: the middle change logs an event and then fails; its number goes to the next change
    jobs = [db.write(note("a")), db.write(note("b", fail=True)), db.write(note("c"))]  # type: ignore[arg-type]
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    assert isinstance(outcomes[1], DomainError)
    await asyncio.wait_for(db._queue.join(), timeout=5)  # type: ignore[union-attr]
    published = [(e.kind, e.seq) for e in db.recorder.events[start:]]  # type: ignore[attr-defined]
    first = published[0][1]
    assert published == [("a", first), ("c", first + 1)]
    stored = await db.read(
        lambda s: list(s.execute(select(Event.kind, Event.seq).where(Event.seq >= first).order_by(Event.seq)).all())
    )
    assert [tuple(row) for row in stored] == published
    assert await db.read(lambda s: last_seq(s, workshop_id)) == first + 1


class CountingAnswers:
    """submit_answers, counting its calls and the items of each: how the writer grouped them."""

    def __init__(self, breaks_on: str | None = None) -> None:
        self.runs: list[int] = []
        self.breaks_on = breaks_on

    def __call__(self, session: object, submissions: list[answers.Submission]) -> list[object]:
        self.runs.append(len(submissions))
        results = answers.submit_answers(session, submissions)  # type: ignore[arg-type]
        if any(s.text == self.breaks_on for s in submissions):
            raise RuntimeError("broke after writing")
        return results  # type: ignore[return-value]


def submission(workshop_id: int, participant: int, number: int, text: str | None = None) -> answers.Submission:
    """An obstacle answer with a client id made from its number."""
    return answers.Submission(
        workshop_id=workshop_id,
        participant_id=participant,
        step_id="obstacles",
        text=f"obstakel {number}" if text is None else text,
        client_id=f"00000000-0000-4000-8000-{number:012d}",
    )


async def test_queued_answers_share_one_call_and_each_gets_its_own_outcome(db: Database) -> None:
    workshop_id, (ali, bea) = await make_room(db, participants=2)
    await asyncio.wait_for(db._queue.join(), timeout=5)  # type: ignore[union-attr]
    start = len(db.recorder.events)  # type: ignore[attr-defined]
    many = CountingAnswers()
    items = [submission(workshop_id, ali if i % 2 else bea, i) for i in range(30)]
    items[4] = submission(workshop_id, ali, 4, text="   ")  # refused: empty
    items[7] = submission(workshop_id, bea, 3)  # a resend of number 3 (ali's) by someone else
    items[9] = submission(workshop_id, ali, 1)  # a resend of ali's own number 1
    items[11] = submission(workshop_id, 999, 11)  # not in this workshop
    outcomes = await asyncio.gather(*(db.write_item(many, item) for item in items), return_exceptions=True)
    assert sum(many.runs) == 30 and len(many.runs) < 5  # runs of items, not one call each
    assert isinstance(outcomes[4], DomainError) and outcomes[4].code == "empty"
    assert isinstance(outcomes[7], DomainError) and outcomes[7].code == "client_id_taken"
    assert isinstance(outcomes[11], DomainError) and outcomes[11].code == "not_a_participant"
    assert outcomes[9].duplicate and outcomes[9].answer_id == outcomes[1].answer_id  # type: ignore[union-attr]
    stored = [i for i in range(30) if i not in (4, 7, 9, 11)]
    assert all(not outcomes[i].duplicate for i in stored)  # type: ignore[union-attr]
    texts = await db.read(lambda s: list(s.execute(select(Answer.text).order_by(Answer.id)).scalars()))
    assert texts == [f"obstakel {i}" for i in stored]  # stored once each, in the order they were sent
    await asyncio.wait_for(db._queue.join(), timeout=5)  # type: ignore[union-attr]
    published = db.recorder.events[start:]  # type: ignore[attr-defined]
    assert [e.payload["text"] for e in published] == texts
    assert [e.seq for e in published] == list(range(published[0].seq, published[0].seq + len(stored)))


async def test_a_run_that_breaks_after_writing_is_redone_item_by_item(db: Database) -> None:
    workshop_id, (ali,) = await make_room(db)
    many = CountingAnswers(breaks_on="kapot")
    items = [submission(workshop_id, ali, 1), submission(workshop_id, ali, 2, "kapot"), submission(workshop_id, ali, 3)]
    outcomes = await asyncio.gather(*(db.write_item(many, item) for item in items), return_exceptions=True)
    assert many.runs[0] == 3 and many.runs[1:] == [1, 1, 1]  # the run, then each item in its own savepoint
    assert isinstance(outcomes[1], RuntimeError)
    assert [o.duplicate for o in (outcomes[0], outcomes[2])] == [False, False]  # type: ignore[union-attr]
    texts = await db.read(lambda s: list(s.execute(select(Answer.text).order_by(Answer.id)).scalars()))
    assert texts == ["obstakel 1", "obstakel 3"]  # the broken item's answer went with its savepoint


async def test_other_changes_between_answers_keep_their_place(db: Database) -> None:
    workshop_id, (ali,) = await make_room(db)
    await asyncio.wait_for(db._queue.join(), timeout=5)  # type: ignore[union-attr]
    start = len(db.recorder.events)  # type: ignore[attr-defined]
    many = CountingAnswers()

    def note(session: object) -> None:
        append_event(session, workshop_id=workshop_id, kind="note", audience="staff", data={})  # type: ignore[arg-type]

    jobs = [
        db.write_item(many, submission(workshop_id, ali, 1)),
        db.write_item(many, submission(workshop_id, ali, 2)),
        db.write(note),
        db.write_item(many, submission(workshop_id, ali, 3)),
    ]
    await asyncio.gather(*jobs)
    await asyncio.wait_for(db._queue.join(), timeout=5)  # type: ignore[union-attr]
    kinds = [e.kind for e in db.recorder.events[start:]]  # type: ignore[attr-defined]
    assert kinds == ["answer.created", "answer.created", "note", "answer.created"]
    assert many.runs == [2, 1]


async def test_a_live_event_has_the_same_frame_as_its_stored_copy(db: Database) -> None:
    workshop_id, (ali,) = await make_room(db)
    text = 'Een "citaat", een \\ en één \u2013 streep'
    await db.write_item(answers.submit_answers, submission(workshop_id, ali, 1, text))
    await asyncio.wait_for(db._queue.join(), timeout=5)  # type: ignore[union-attr]
    live = db.recorder.events[-1]  # type: ignore[attr-defined]
    stored = await db.read(
        lambda s: s.execute(select(Event).where(Event.workshop_id == workshop_id, Event.seq == live.seq)).scalar_one()
    )
    assert event_frame(live) == event_frame(stored)
    assert json.loads(event_frame(live))["data"]["text"] == text


async def test_sqlite_batches_are_committed_on_the_event_loops_own_thread(db: Database) -> None:
    threads: list[int] = []
    await db.write(lambda s: threads.append(threading.get_ident()))
    assert threads == [threading.get_ident()]


async def test_a_write_lock_held_by_another_process_is_waited_for_in_a_thread_not_on_the_loop(
    tmp_path: Path, db: Database
) -> None:
    workshop_id, _ = await make_room(db)
    other = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's write transaction
    threads: list[int] = []

    def change(s: Any) -> None:
        threads.append(threading.get_ident())
        append_event(s, workshop_id=workshop_id, kind="x", audience="staff", data={})

    write = asyncio.ensure_future(db.write(change))
    # the loop keeps turning while the write waits for the lock: a blocked BEGIN on this thread would stall these
    for _ in range(5):
        await asyncio.sleep(0.01)
    assert not write.done()
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(write, 10)
    assert threads and threads[-1] != threading.get_ident()
    assert await db.read(lambda s: s.scalar(select(func.count()).select_from(Event).where(Event.kind == "x"))) == 1


async def test_checkpoints_run_in_the_writer_thread_and_keep_up_with_the_commits(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'c.db'}", commit_interval=0, checkpoint_every=3)
    db.migrate()
    await db.start(Recorder(db))
    workshop_id, _ = await make_room(db)
    threads: list[int] = []
    results: list[tuple[int, int, int] | None] = []
    plain = db._checkpoint_now

    def recording() -> tuple[int, int, int] | None:
        threads.append(threading.get_ident())
        results.append(plain())
        return results[-1]

    db._checkpoint_now = recording  # type: ignore[method-assign]
    for n in range(12):  # twelve commits: each write alone, awaited
        await db.write(lambda s, n=n: append_event(s, workshop_id=workshop_id, kind=f"k{n}", audience="staff", data={}))
    await db.stop()
    assert threads and threading.get_ident() not in threads
    # each one copied pages back without finding the log busy (it takes no lock the writer needs)
    assert all(result is not None and result[0] == 0 and result[2] > 0 for result in results), results
    # a commit never checkpoints by itself: that is the writer thread's job
    with sqlite3.connect(tmp_path / "c.db") as check:
        engine_setting = db.write_engine.connect()
        assert engine_setting.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        engine_setting.close()
        assert check.execute("SELECT count(*) FROM event WHERE kind LIKE 'k%'").fetchone() == (12,)


async def test_a_read_runs_in_its_own_thread_in_the_callers_context(db: Database) -> None:
    i18n.current_locale.set("en")

    def seen(_: Any) -> tuple[str, str]:
        return i18n.current_locale.get(), threading.current_thread().name

    language, thread = await db.read(seen)
    # a snapshot says its labels in the language of the page that asked for it
    assert language == "en"
    assert thread.startswith("doorbraak-read") and thread != threading.current_thread().name


async def test_reads_that_wait_for_each_other_each_get_a_thread(db: Database) -> None:
    # each read waits until all three run at once: with fewer threads than waiting reads this would never finish
    together = threading.Barrier(3, timeout=10)

    def meet(_: Any) -> str:
        together.wait()
        return threading.current_thread().name

    names = await asyncio.gather(*(db.read(meet) for _ in range(3)))
    assert len(set(names)) == 3


async def test_a_finished_reads_thread_takes_the_next_read(db: Database) -> None:
    first = await db.read(lambda _: threading.current_thread().name)
    later = {await db.read(lambda _: threading.current_thread().name) for _ in range(20)}
    assert later == {first}  # one read after another: no new thread for each


async def test_each_read_on_a_reader_thread_sees_what_was_committed_before_it(db: Database) -> None:
    # a reader thread keeps its SQLite connection and session between reads: neither a transaction nor a loaded
    # object may outlive the read that began it
    room = await db.write(partial(room_in_obstacle_round, participants=1))

    loaded: list[Participant] = []  # held, so the session's identity map would keep them were they not let go

    def named(s: Any) -> tuple[str, str, int]:
        participant = s.get(Participant, room.participant_ids[0])
        loaded.append(participant)
        count = s.scalar(select(func.count()).select_from(Participant))
        return participant.name, threading.current_thread().name, count

    def rename(to: str) -> Callable[[Any], None]:
        def change(s: Any) -> None:
            s.get(Participant, room.participant_ids[0]).name = to

        return change

    first = await db.read(named)
    names = [f"Naam {n}" for n in range(10)]
    threads = {first[1]}
    for n, to in enumerate(names):
        await db.write(rename(to))
        await db.write(
            partial(workshops.join_workshop, workshop_id=room.workshop_id, name=to, organisation="GGD", anonymous=False)
        )
        name, thread, count = await db.read(named)
        assert (name, count) == (to, first[2] + n + 1)  # a fresh object, a fresh snapshot
        threads.add(thread)
    assert len(threads) < len(names)  # threads read again: their kept sessions were used more than once


async def test_a_reader_whose_connection_broke_reads_again(db: Database) -> None:
    def break_it(s: Any) -> None:
        s.connection().invalidate()  # as SQLAlchemy does when the driver reports a lost connection

    for _ in range(3):  # on whichever threads: each read after it still works
        with pytest.raises(PendingRollbackError):
            await db.read(break_it)
        counts = await asyncio.gather(
            *(db.read(lambda s: s.scalar(select(func.count()).select_from(Answer))) for _ in range(5))
        )
        assert counts == [0] * 5


async def test_a_read_that_fails_raises_in_its_caller_and_the_threads_read_on(db: Database) -> None:
    def broken(_: Any) -> None:
        raise LookupError("no such row")

    with pytest.raises(LookupError, match="no such row"):
        await db.read(broken)
    waiting = asyncio.ensure_future(db.read(lambda _: time.sleep(0.2)))
    await asyncio.sleep(0.05)
    waiting.cancel()  # its caller stopped waiting: the read finishes unseen
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await db.read(lambda session: session.scalar(select(func.count()).select_from(Answer))) == 0


async def test_a_database_reads_again_after_a_stop_and_a_new_start(db: Database) -> None:
    await db.stop()
    await db.start(Recorder(db))
    assert await db.read(lambda session: session.scalar(select(func.count()).select_from(Answer))) == 0


async def test_a_join_whose_token_collides_is_redone_with_a_new_token(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = await db.write(partial(room_in_obstacle_round, participants=1))
    taken = await db.write(
        partial(workshops.join_workshop, workshop_id=room.workshop_id, name="Ilse", organisation="GGD", anonymous=False)
    )
    tokens = iter([taken, "a-fresh-token-" + "x" * 32])
    monkeypatch.setattr(security, "new_token", lambda: next(tokens))
    # as the join route writes it: no savepoint of its own, so the failed insert has the batch redone
    token = await db.write(
        partial(workshops.join_workshop, workshop_id=room.workshop_id, name="Bas", organisation="GGD", anonymous=False),
        savepoint=False,
    )
    assert token.startswith("a-fresh-token-")

    def names(s: Any) -> list[str]:
        return list(s.execute(select(Participant.name).order_by(Participant.id)).scalars())

    assert await db.read(names) == ["P0", "Ilse", "Bas"]


def _refusals_quote_no_value(database: Database) -> None:
    """A duplicate address and a missing name are refused without the row's values in the error or its traceback."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from app.models import Facilitator

    # named here, so the traceback's lines of code show the names, not the values
    address, name, other = "geheim@voorbeeld.nl", "Tweede Persoon", "derde@voorbeeld.nl"
    database.migrate()
    database.write_sync(lambda tx: tx.add(Facilitator(email=address, name="Eerste", password_hash="x")))
    with pytest.raises(IntegrityError) as duplicate:
        database.write_sync(lambda tx: tx.add(Facilitator(email=address, name=name, password_hash="x")))
    # a row without a name: PostgreSQL's refusal would list every value of it ("Failing row contains ...")
    missing = "INSERT INTO facilitator (email, name, password_hash, created_at) VALUES (:email, NULL, 'x', :at)"
    with pytest.raises(IntegrityError) as nameless:
        database.write_sync(lambda tx: tx.execute(text(missing), {"email": other, "at": datetime.now(UTC)}))
    for refused in (duplicate.value, nameless.value):
        assert "facilitator" in str(refused).splitlines()[0], refused  # which table and rule, for the log's reader
        # as log.exception writes it: the traceback, with the driver's own error as its cause
        said = "".join(traceback.format_exception(refused))
        assert not any(value in said for value in (address, name, other)), said


async def test_a_change_into_a_workspace_gone_meanwhile_is_refused_as_merged_a_fault_elsewhere_is_not(
    db: Database,
) -> None:
    # what a browser still in a workspace that a merge took away a moment ago sends: the writer answers for every
    # such change in one place (PostgreSQL's races, the workspace's own row among them:
    # tests/workspaces/test_postgres_races.py)
    workshop_id, _ = await make_room(db)
    gone = await db.write(_workspace_deleted_meanwhile)

    def invited(db: Any) -> None:
        at = datetime.now(UTC)
        db.add(Invitation(workspace_id=gone, token_hash="h", role="facilitator", created_by=1, expires_at=at))
        db.flush()

    refusals: list[Any] = []
    for change, savepoint in (
        (invited, True),
        # a change that asked for no savepoint is redone in one, and refused there
        (invited, False),
    ):
        refusals.append(await asyncio.gather(db.write(change, savepoint=savepoint), return_exceptions=True))
    assert [(r.code, r.status) for (r,) in refusals] == [("workspace_merged", 409)] * 2
    # a row that refers to a missing workshop in a workspace that is there stays the fault it is
    (fault,) = await asyncio.gather(
        db.write(
            lambda s: s.add(
                Action(
                    workshop_id=workshop_id + 1,
                    workspace_id=1,
                    title="x",
                    owner_organisation="y",
                    owner_key=organisations.owner_key("y"),
                )
            )
        ),
        return_exceptions=True,
    )
    assert isinstance(fault, IntegrityError), fault
    assert await db.read(lambda s: s.execute(select(func.count()).select_from(Invitation)).scalar_one()) == 0


def _workspace_deleted_meanwhile(db: Any) -> int:
    """A workspace made and deleted again, as a merge leaves the one it took in."""
    workspace = Workspace(name="Weg")
    db.add(workspace)
    db.flush()
    db.delete(workspace)
    db.flush()
    return workspace.id or 0


def test_a_failed_write_names_no_value_it_tried_to_store(tmp_path: Path) -> None:
    # an error's message lands in the server's log, kept longer than the names and addresses it would quote
    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        _refusals_quote_no_value(database)
        # what is deleted is overwritten in the file, not left readable in its free pages
        assert database.read_sync(lambda s: s.connection().exec_driver_sql("PRAGMA secure_delete").scalar()) == 1
    finally:
        database.close()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
def test_a_failed_write_on_postgresql_names_no_value_it_tried_to_store() -> None:
    # PostgreSQL's own message quotes the row in its DETAIL, which hiding the statement's parameters leaves in
    from tests.test_postgres import reset_schema

    reset_schema()
    database = Database(PG_URL or "")
    try:
        _refusals_quote_no_value(database)
    finally:
        database.close()
        reset_schema()


async def test_a_batch_stored_but_not_delivered_is_logged_as_stored_and_its_deletions_still_close(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # the Redis hub reads a batch's events back from the log to deliver them: a read that fails then is no failed
    # batch, every change of it is stored
    database = Database(f"sqlite:///{tmp_path / 'd.db'}")
    database.migrate()
    removed: list[list[int]] = []

    async def publish(events: list[Event]) -> None:
        raise ConnectionError("the database did not answer the read-back")

    async def remove(workshop_ids: list[int]) -> None:
        removed.append(workshop_ids)

    def deleting(db: Any, workshop_id: int) -> int:
        append_event(db, workshop_id=workshop_id, kind=EventKind.STEP_CHANGED, audience=Audience.ALL, data={})
        workshop_deleted(db, workshop_id=workshop_id)
        return workshop_id

    await database.start(publish, remove)
    try:
        workshop_id, _ = await make_room(database)
        assert await database.write(partial(deleting, workshop_id=workshop_id)) == workshop_id
        await database.write(lambda db: None)  # the batch before is delivered by now
    finally:
        await database.stop()
    assert "writer batch failed" not in caplog.text
    assert "is committed, but handing it to the live screens failed" in caplog.text
    assert removed == [[workshop_id]]


async def test_a_change_that_fails_after_noting_a_deleted_workshop_closes_no_screens(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'r.db'}")
    database.migrate()
    removed: list[int] = []

    async def publish(events: list[Event]) -> None:
        pass

    async def remove(workshop_ids: list[int]) -> None:
        removed.extend(workshop_ids)

    def failing(db: Any) -> None:
        workshop_deleted(db, workshop_id=41)
        raise DomainError("nope", "refused")

    await database.start(publish, remove)
    try:
        results = await asyncio.gather(
            database.write(failing),
            database.write(lambda db: workshop_deleted(db, workshop_id=42)),
            return_exceptions=True,
        )
    finally:
        await database.stop()
    assert isinstance(results[0], DomainError)
    assert removed == [42]
