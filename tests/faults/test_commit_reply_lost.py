"""A connection to PostgreSQL cut while a batch commits: its changes are stored once and published once, never redone
when the server had committed them, and not reported done when it had not."""

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial
from select import select as readable
from typing import Any

import pytest
from sqlalchemy import func, make_url, select
from sqlalchemy.exc import OperationalError
from sqlmodel import col

from app.answers import service as answers
from app.catalog.service import formats
from app.models import Event, Invitation, Workshop
from app.privacy import service as privacy
from app.running import service as running
from app.store.database import Database, normalise_url, unreachable
from app.store.events import LoggedEvent
from app.workspaces import service as workspaces
from tests.rooms import room_in_obstacle_round, staff_of
from tests.servers import free_port
from tests.test_postgres import ON_POSTGRES, PG_URL, reset_schema

pytestmark = ON_POSTGRES

# PostgreSQL's reply once a transaction's COMMIT is done: ReadyForQuery, idle
_READY = b"Z\x00\x00\x00\x05I"


class CommitCutter:
    """A TCP proxy to PostgreSQL that, when told, cuts a connection at its next COMMIT: after passing the COMMIT on
    and hearing the server's reply (a commit the client never hears of), or before passing it on (no commit)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", free_port()))
        self.port: int = self.listener.getsockname()[1]
        self.cuts = 0
        self._armed: bool | None = None  # None: pass everything; else whether the next COMMIT reaches the server
        # what happens elsewhere once the server has committed, before the client hears of the cut
        self.meanwhile: Callable[[], None] | None = None
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_next_commit(self, *, server_commits: bool) -> None:
        """Cut the connection that sends the next COMMIT; with server_commits, only once the server has committed."""
        with self._lock:
            self._armed = server_commits

    def close(self) -> None:
        """Take no more connections."""
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            server = socket.create_connection(self.target)
            threading.Thread(target=self._pass, args=(client, server), daemon=True).start()

    def _pass(self, client: socket.socket, server: socket.socket) -> None:
        with client, server:
            while True:
                ready, _, _ = readable([client, server], [], [])
                if server in ready:
                    data = server.recv(65536)
                    if not data:
                        return
                    client.sendall(data)
                if client in ready:
                    data = client.recv(65536)
                    if not data:
                        return
                    # psycopg sends COMMIT as a simple query: "Q", its length, the text and a NUL
                    server_commits = self._take_cut() if b"COMMIT\x00" in data else None
                    if server_commits is None:
                        server.sendall(data)
                        continue
                    if server_commits:
                        server.sendall(data)
                        reply = b""
                        while _READY not in reply:
                            chunk = server.recv(65536)
                            if not chunk:
                                break
                            reply += chunk
                        if self.meanwhile is not None:
                            self.meanwhile()
                    # closing both ends: the client reads the end of its connection where the reply would be
                    return

    def _take_cut(self) -> bool | None:
        with self._lock:
            armed, self._armed = self._armed, None
            if armed is not None:
                self.cuts += 1
            return armed


@pytest.fixture
def cutter() -> Iterator[CommitCutter]:
    """A proxy in front of the emptied, migrated test PostgreSQL database."""
    reset_schema()
    setup = Database(PG_URL or "")
    setup.migrate()
    setup.close()
    url = make_url(normalise_url(PG_URL or ""))
    proxy = CommitCutter(url.host or "127.0.0.1", url.port or 5432)
    try:
        yield proxy
    finally:
        proxy.close()


def through(proxy: CommitCutter) -> str:
    """The test database's URL by way of the proxy."""
    url = make_url(normalise_url(PG_URL or "")).set(host="127.0.0.1", port=proxy.port)
    return url.render_as_string(hide_password=False)


async def started(proxy: CommitCutter, published: list[LoggedEvent]) -> Database:
    """A started writer whose connections go through the proxy, publishing into published."""
    db = Database(through(proxy))

    async def publish(events: list[LoggedEvent]) -> None:
        published.extend(events)

    await db.start(publish)
    return db


def step_and_moves(workshop_id: int, db: Any) -> tuple[int, int]:
    """The workshop's step, and how many step moves its log holds."""
    workshop = db.get(Workshop, workshop_id)
    moves = db.execute(
        select(func.count())
        .select_from(Event)
        .where(col(Event.workshop_id) == workshop_id, col(Event.kind) == "step.changed")
    ).scalar_one()
    return workshop.step_index, moves


def move_next(workshop_id: int, db: Any) -> dict[str, Any]:
    """The facilitator's "next step": done twice, it moves two steps."""
    return running.move_step(db, workshop_id=workshop_id, member=staff_of(db, workshop_id), to="next")


def an_answer(workshop_id: int, participant_id: int, db: Any) -> object:
    """One obstacle, safe to store again by its client id."""
    return answers.submit_answer(
        db,
        workshop_id=workshop_id,
        participant_id=participant_id,
        step_id="obstacles",
        text="De buurthuizen sluiten om vijf uur",
        client_id="00000000-0000-4000-8000-000000000001",
    )


@pytest.mark.parametrize("server_commits", [True, False], ids=["reply-lost", "commit-lost"])
async def test_a_batch_whose_connection_is_cut_at_its_commit_is_stored_and_published_exactly_once(
    cutter: CommitCutter, server_commits: bool
) -> None:
    published: list[LoggedEvent] = []
    db = await started(cutter, published)
    try:
        room = await db.write(partial(room_in_obstacle_round, participants=1))
        workshop_id, (person,) = room.workshop_id, room.participant_ids
        step, moves = await db.read(partial(step_and_moves, workshop_id))
        published.clear()
        cutter.cut_next_commit(server_commits=server_commits)
        # queued in the same moment: one batch, one transaction, one COMMIT
        ack, view = await asyncio.gather(
            db.write(partial(an_answer, workshop_id, person)), db.write(partial(move_next, workshop_id))
        )
        assert cutter.cuts == 1
        assert view["step_index"] == step + 1
        assert await db.read(partial(step_and_moves, workshop_id)) == (step + 1, moves + 1)
        assert [event.kind for event in published] == ["answer.created", "step.changed"]
        assert ack is not None
    finally:
        await db.stop()


async def test_a_single_change_whose_commit_reply_is_lost_is_reported_done_once(cutter: CommitCutter) -> None:
    published: list[LoggedEvent] = []
    db = await started(cutter, published)
    try:
        room = await db.write(partial(room_in_obstacle_round, participants=1))
        step, moves = await db.read(partial(step_and_moves, room.workshop_id))
        published.clear()

        def move_and_load(session: Any) -> Workshop:
            move_next(room.workshop_id, session)
            return session.get(Workshop, room.workshop_id)

        cutter.cut_next_commit(server_commits=True)
        workshop = await db.write(move_and_load)
        assert cutter.cuts == 1
        # what a change returns reads as after any commit, not expired by a rollback of the session
        assert workshop.step_index == step + 1
        assert await db.read(partial(step_and_moves, room.workshop_id)) == (step + 1, moves + 1)
        assert [(event.kind, event.payload["step_index"]) for event in published] == [("step.changed", step + 1)]
    finally:
        await db.stop()


async def test_a_batch_that_logs_no_event_and_loses_its_commit_reply_is_not_done_again(cutter: CommitCutter) -> None:
    # no event row tells whether it committed: each change hears the database could not be reached, as a change
    # would that ran into it a moment later, and none is done a second time
    published: list[LoggedEvent] = []
    db = await started(cutter, published)
    try:
        room = await db.write(partial(room_in_obstacle_round, participants=1))

        def invite(note: str, session: Any) -> str:
            member = staff_of(session, room.workshop_id)
            return workspaces.create_invitation(session, member=member, role="facilitator", note=note)

        cutter.cut_next_commit(server_commits=True)
        outcomes = await asyncio.gather(
            db.write(partial(invite, "Jan")), db.write(partial(invite, "Piet")), return_exceptions=True
        )
        assert cutter.cuts == 1
        for outcome in outcomes:
            assert isinstance(outcome, OperationalError) and unreachable(outcome), outcome
        notes = await db.read(lambda s: sorted(s.execute(select(Invitation.note)).scalars()))
        assert notes == ["Jan", "Piet"]
    finally:
        await db.stop()


async def test_a_batch_whose_first_workshop_is_deleted_after_it_committed_is_not_done_again(
    cutter: CommitCutter,
) -> None:
    # another worker deletes the workshop of the batch's first event between its COMMIT and the question whether it
    # committed: that workshop's events went with it, and the other workshop's still tell that it did
    published: list[LoggedEvent] = []
    db = await started(cutter, published)
    try:
        room = await db.write(partial(room_in_obstacle_round, participants=1))
        gone, (person,) = room.workshop_id, room.participant_ids

        def second_workshop(session: Any) -> int:
            workshop = running.create_workshop(
                session,
                facilitator_id=room.owner_id,
                title="Tweede",
                opgave="O",
                held_on=date.today(),
                spec=formats()["doorbraak"],
                allow_anonymous=False,
            )
            return workshop.id or 0

        kept = await db.write(second_workshop)
        step, moves = await db.read(partial(step_and_moves, kept))

        def delete_first() -> None:
            other_worker = Database(PG_URL or "")
            try:
                other_worker.write_sync(
                    lambda session: privacy.delete_workshop(
                        session, workshop=session.get(Workshop, gone), typed_title="T"
                    )
                )
            finally:
                other_worker.close()

        cutter.meanwhile = delete_first
        cutter.cut_next_commit(server_commits=True)
        await asyncio.gather(
            db.write(partial(an_answer, gone, person)), db.write(partial(move_next, kept)), return_exceptions=True
        )
        assert cutter.cuts == 1
        assert await db.read(partial(step_and_moves, kept)) == (step + 1, moves + 1)
    finally:
        await db.stop()
