"""The same live session on PostgreSQL, and what only shows with several writers on one database."""

import asyncio
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from app.answers import service as answers
from app.catalog.service import formats
from app.config import Settings
from app.models import Answer, Event, Workspace
from app.privacy import service as privacy
from app.running import service as running
from app.store.database import Database, normalise_url
from app.store.events import Audience, EventKind, Tx, append_event
from tests.actions.test_actions import (  # noqa: F401
    test_a_contribution_becomes_an_action_that_phones_and_projector_see,
    test_raising_and_lowering_a_hand,
)
from tests.answers.test_moderation import (  # noqa: F401
    test_a_facilitators_own_list_replaces_the_starter_list,
    test_a_listed_word_holds_an_answer_with_approval_off,
    test_with_approval_on_the_projector_gets_an_answer_only_once_approved,
)
from tests.clusters.test_clusters import (  # noqa: F401
    test_group_merge_rename_tag_and_split,
    test_vote_step_makes_every_obstacle_votable_and_counts_dots,
)

# the key HTTP and websocket tests, collected again here so they run against PostgreSQL too
from tests.live.test_websockets import (  # noqa: F401
    test_a_repeated_client_id_is_acknowledged_again_and_stored_once,
    test_answer_is_acknowledged_and_reaches_projector_and_board,
    test_contributions_must_name_a_visible_obstacle_of_this_workshop,
    test_hidden_answers_leave_the_projector_and_its_snapshot,
    test_participant_of_one_workshop_cannot_use_another,
    test_reconnect_with_last_seq_replays_exactly_the_missed_events,
)
from tests.plain.test_jargon import test_the_phone_gets_the_list_of_its_workshops_facilitator  # noqa: F401
from tests.privacy.test_ended_sign_ins import (  # noqa: F401
    test_the_retention_run_deletes_ended_sign_ins_and_keeps_live_ones,
    test_the_retention_run_deletes_invitations_a_week_after_they_ended,
)
from tests.privacy.test_forget import (  # noqa: F401
    test_a_member_forgets_a_participant_who_lost_their_link,
    test_forgetting_oneself_removes_only_ones_own_name_where_two_share_it,
    test_forgetting_takes_them_off_the_actions_named_after_them_and_no_one_else,
)
from tests.privacy.test_privacy import (  # noqa: F401
    test_an_owners_report_on_an_anonymised_workshop_leaves_it_done_and_a_new_name_makes_it_due,
)
from tests.responses.test_formats_live import test_phones_do_not_see_the_running_grades_before_the_mosaic  # noqa: F401
from tests.rooms import room_in_obstacle_round, staff_of
from tests.running.test_join_page import test_a_code_with_a_control_character_finds_no_workshop  # noqa: F401
from tests.running.test_phone_page import (  # noqa: F401
    test_a_phone_gets_its_own_answers_as_the_board_shows_them_a_hidden_one_included,
    test_a_snapshot_reads_the_workshop_and_the_phone_as_the_orm_loads_them,
)
from tests.running.test_workshops import (  # noqa: F401
    test_closed_workshop_refuses_new_phones_but_keeps_joined_ones,
    test_room_count_and_organisations_reach_the_projector,
)
from tests.stage.test_stage import (  # noqa: F401
    test_phones_hear_the_timer_and_a_step_change_stops_it,
    test_spotlight_shows_one_answer_and_hiding_it_ends_it,
    test_start_pause_add_resume_stop,
)
from tests.test_bad_input import (  # noqa: F401
    test_a_nul_in_an_own_format_key_or_a_step_finds_nothing,
    test_an_id_too_large_for_the_database_in_a_spotlight_is_a_clear_refusal,
)

PG_URL = os.environ.get("DOORBRAAK_TEST_DATABASE_URL")
# the marks of a module whose tests run on PostgreSQL: skipped, saying why, where it is not given
ON_POSTGRES = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped"),
]
pytestmark = ON_POSTGRES


def reset_schema() -> None:
    """Start each test from empty tables."""
    engine = create_engine(normalise_url(PG_URL or ""))
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    engine.dispose()


@contextmanager
def emptied_postgres() -> Iterator[Database]:
    """A database on the test PostgreSQL, empty, and emptied again after: a migration test leaves its own schema."""
    reset_schema()
    db = Database(PG_URL or "")
    try:
        yield db
    finally:
        db.close()
        reset_schema()


def postgres_settings(tmp_path: Path) -> Settings:
    """Settings pointing at the test PostgreSQL database, emptied first: a module's `settings` fixture, so the tests
    it collects from elsewhere run there."""
    reset_schema()
    return Settings(data_dir=tmp_path, environment="test", secret_key="p" * 40, database_url=PG_URL)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at the test PostgreSQL database, emptied first."""
    return postgres_settings(tmp_path)


async def two_writers(publish_to: list[Event]) -> tuple[Database, Database]:
    """Two databases on the same PostgreSQL, as two server processes would have."""
    reset_schema()
    first, second = Database(PG_URL or ""), Database(PG_URL or "")
    first.migrate()

    async def publish(events: list[Event]) -> None:
        publish_to.extend(events)

    await first.start(publish)
    await second.start(publish)
    return first, second


def waiting_for_a_lock(db: Session) -> bool:
    """Whether a connection to this database waits for a row another transaction holds."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    return bool(db.connection().exec_driver_sql(query).scalar())


async def make_room(db: Database, people: int) -> tuple[int, list[int]]:
    room = await db.write(partial(room_in_obstacle_round, participants=people))
    return room.workshop_id, room.participant_ids


async def test_same_client_id_through_two_processes_is_stored_once() -> None:
    events: list[Event] = []
    first, second = await two_writers(events)
    try:
        workshop_id, (person,) = await make_room(first, 1)
        client_id = "7d0c3c1e-6a39-4d5e-9a55-222222222222"

        def submit(s):  # type: ignore[no-untyped-def]
            return answers.submit_answer(
                s,
                workshop_id=workshop_id,
                participant_id=person,
                step_id="obstacles",
                text="Zelfde antwoord",
                client_id=client_id,
            )

        acks = await asyncio.gather(
            first.write(submit), second.write(submit), first.write(submit), second.write(submit)
        )
        assert len({ack.answer_id for ack in acks}) == 1
        assert [ack.duplicate for ack in acks].count(False) == 1
        count = await first.read(lambda s: s.execute(select(func.count()).select_from(Answer)).scalar_one())
        assert count == 1
    finally:
        await first.stop()
        await second.stop()


async def test_sequence_numbers_stay_gapless_with_two_processes_writing() -> None:
    events: list[Event] = []
    first, second = await two_writers(events)
    try:
        workshop_id, people = await make_room(first, 4)
        jobs = []
        for i in range(60):
            db = first if i % 2 else second
            jobs.append(
                db.write(
                    lambda s, i=i: answers.submit_answer(
                        s,
                        workshop_id=workshop_id,
                        participant_id=people[i % 4],
                        step_id="obstacles",
                        text=f"a{i}",
                        client_id=f"00000000-0000-4000-8000-{i:012d}",
                    )
                )
            )
        await asyncio.gather(*jobs)
        seqs = await first.read(
            lambda s: [
                e
                for (e,) in s.execute(
                    select(Event.seq).where(Event.workshop_id == workshop_id).order_by(Event.seq)
                ).all()
            ]
        )
        assert seqs == list(range(1, len(seqs) + 1))
        assert len(seqs) == 4 + 1 + 60  # joins, the step change, the answers
    finally:
        await first.stop()
        await second.stop()


def two_workspaces_and_two_workshops(db: Session) -> tuple[int, int, int, int]:
    """Two workspaces, as two networks' offices on one server, and two workshops (of a third) to log events in."""
    room = room_in_obstacle_round(db, participants=1)
    other = running.create_workshop(
        db,
        facilitator_id=room.owner_id,
        title="T2",
        opgave="O",
        held_on=date.today(),
        spec=formats()["doorbraak"],
        allow_anonymous=False,
    )
    north, south = Workspace(name="Noord"), Workspace(name="Zuid")
    db.add_all([north, south])
    db.flush()
    return north.id or 0, south.id or 0, room.workshop_id, other.id or 0


def logged(workshop_id: int, db: Tx) -> None:
    """A change that logs one event in a workshop."""
    append_event(db, workshop_id=workshop_id, kind=EventKind.WORKSHOP_CHANGED, audience=Audience.STAFF, data={})


def hold_then_meet(workspace_id: int, met: threading.Barrier, db: Tx) -> None:
    """Hold a workspace's personal data, then wait until the other process holds its own."""
    privacy.hold_personal_data(db, workspace_ids=[workspace_id])
    met.wait(timeout=30)


def hold_and_log(workspace_id: int, workshop_id: int, db: Tx) -> str:
    """Hold a workspace's personal data, as forgetting or the retention pass does first, and log an event."""
    privacy.hold_personal_data(db, workspace_ids=[workspace_id])
    logged(workshop_id, db)
    return f"held {workspace_id}"


async def test_a_change_that_loses_a_deadlock_to_another_processs_batch_is_done_again_on_its_own() -> None:
    # Each change takes its workspaces lowest first, but a batch holds every lock of its changes until it commits:
    # two processes whose batches take two workspaces in turn, each the other's way round, deadlock, and PostgreSQL
    # fails one change's statement. That change is done again once its batch has let go, and nobody sees a 500.
    published: tuple[list[Event], list[Event]] = ([], [])
    first, second = await two_writers(published[0])
    await second.stop()
    second = Database(PG_URL or "")

    async def publish(events: list[Event]) -> None:
        published[1].extend(events)

    await second.start(publish)
    try:
        north, south, first_room, second_room = await first.write(two_workspaces_and_two_workshops)
        published[0].clear()
        met = threading.Barrier(2)
        # queued in the same moment, each process's three changes go into one batch: the one done again after it
        # logs its event after the third's, and is published after it too
        outcomes = await asyncio.gather(
            first.write(partial(hold_then_meet, north, met)),
            first.write(partial(hold_and_log, south, first_room)),
            first.write(partial(logged, first_room)),
            second.write(partial(hold_then_meet, south, met)),
            second.write(partial(hold_and_log, north, second_room)),
            second.write(partial(logged, second_room)),
            return_exceptions=True,
        )
        assert outcomes == [None, f"held {south}", None, None, f"held {north}", None]
        for events in published:
            seqs = [event.seq for event in events]
            assert len(seqs) == 2 and seqs == sorted(seqs), seqs
    finally:
        await first.stop()
        await second.stop()


async def test_dot_limit_holds_when_two_processes_take_one_phones_votes() -> None:
    from app.clusters import service as clusters
    from app.errors import DomainError
    from app.models import Vote

    events: list[Event] = []
    first, second = await two_writers(events)
    try:
        workshop_id, (person,) = await make_room(first, 1)

        def prepare(s):  # type: ignore[no-untyped-def]
            for i in range(3):
                answers.submit_answer(
                    s,
                    workshop_id=workshop_id,
                    participant_id=person,
                    step_id="obstacles",
                    text=f"o{i}",
                    client_id=f"00000000-0000-4000-8000-00000000010{i}",
                )
            running.move_step(s, workshop_id=workshop_id, member=staff_of(s, workshop_id), to=3)
            return [c["id"] for c in clusters.clusters_view(s, workshop_id=workshop_id)]

        piles = await first.write(prepare)
        jobs = []
        for round_ in range(10):
            for db, pile in ((first, piles[round_ % 3]), (second, piles[(round_ + 1) % 3])):
                jobs.append(
                    db.write(
                        lambda s, pile=pile: clusters.set_votes(
                            s, workshop_id=workshop_id, participant_id=person, allocation={pile: 3}
                        )
                    )
                )
        results = await asyncio.gather(*jobs, return_exceptions=True)
        assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, DomainError)]
        count = await first.read(lambda s: s.execute(select(func.count()).select_from(Vote)).scalar_one())
        assert count == 3
    finally:
        await first.stop()
        await second.stop()


async def test_one_hand_resent_by_two_tabs_through_two_processes_is_one_volunteer() -> None:
    from app.actions import service as actions
    from app.models import Volunteer

    events: list[Event] = []
    first, second = await two_writers(events)
    try:
        workshop_id, (person,) = await make_room(first, 1)
        for round_ in range(40):
            action = await first.write(
                partial(actions.save_action, workshop_id=workshop_id, title=f"A{round_}", owner_organisation="O")
            )
            # a phone's two tabs come back online together and both resend the hand they kept
            jobs = [
                db.write(
                    partial(
                        actions.volunteer,
                        workshop_id=workshop_id,
                        participant_id=person,
                        action_id=action["id"],
                        joining=True,
                    )
                )
                for db in (first, second)
            ]
            results = await asyncio.gather(*jobs, return_exceptions=True)
            assert not [r for r in results if isinstance(r, Exception)], results
        count = await first.read(lambda s: s.execute(select(func.count()).select_from(Volunteer)).scalar_one())
        assert count == 40
    finally:
        await first.stop()
        await second.stop()
