"""Engines, reads in worker threads, and the group-commit writer: the one place that commits."""

import asyncio
import contextlib
import contextvars
import fcntl
import logging
import os
import queue
import sqlite3
import threading
import weakref
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import anyio
from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import col

from app.config import ROOT
from app.errors import DomainError, gone_meanwhile, workspace_merged
from app.models import Workspace
from app.store.events import LoggedEvent, Tx, was_logged, write_log

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
T = TypeVar("T")
Publisher = Callable[[list[LoggedEvent]], Awaitable[None]]
# what closes the live screens of workshops a committed batch deleted (events.workshop_deleted)
Remover = Callable[[list[int]], Awaitable[None]]


class Reads(Protocol):
    """How a pass reads: Database.read on the server, a command's read_sync made awaitable (app/cli.py)."""

    def __call__(self, fn: Callable[[Session], T], /) -> Awaitable[T]: ...


class Writes(Protocol):
    """How a pass writes: Database.write on the server, a command's write_sync made awaitable (app/cli.py)."""

    def __call__(self, fn: Callable[[Tx], T], /) -> Awaitable[T]: ...


# a change that stores many items in one call: per item its result, or the DomainError that refused it
Many = Callable[[Tx, list[Any]], list[Any]]
# the newest migration (tests/test_migrations.py keeps it equal to alembic's head): a database already there is
# opened without loading alembic, which with mako and pygments would stay in a server's memory, 11 MB of it
SCHEMA_HEAD = "0030"
# threads for reads: anyio's default, which reads used before they had threads of their own
READ_THREADS = 40


def normalise_url(url: str) -> str:
    """Pick the psycopg 3 driver for plain postgresql:// URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _create_private(path: str | None) -> None:
    """Create a SQLite database file that is missing as readable by its owner alone (0600); SQLite gives its
    write-ahead log and shared-memory files the database file's mode."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    # a missing folder is left for SQLite's own error, as before
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for another database or an in-memory one."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def migrations_config() -> "Config":
    """Alembic's configuration: where the migrations are."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


def hold_shared(path: Path) -> int:
    """Hold a shared lock on a SQLite file while this process works on it; returns the descriptor that holds it.

    It is flock's, apart from the byte-range locks SQLite takes itself: any number of servers and commands hold it
    together, and a restore, which takes it alone (app/store/backup.py), can tell the file is in use.
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    fcntl.flock(descriptor, fcntl.LOCK_SH)
    return descriptor


# an error's message and its traceback leave out the values being stored: names, addresses and answers are personal
# data, and the server's log is kept longer than they may be
HIDE_PARAMETERS = True


def _first_line_only(context: ExceptionContext) -> None:
    """Cut a PostgreSQL error down to its first line, the rule broken and where: its DETAIL quotes the row's values
    ("Key (email)=(...) already exists", "Failing row contains (...)"), which hiding the parameters leaves in."""
    error = context.original_exception
    first = getattr(getattr(error, "diag", None), "message_primary", None)
    if not first or context.sqlalchemy_exception is None:
        return
    # the driver's own error too: a traceback prints it as the cause of SQLAlchemy's
    error.args = (first,)
    context.sqlalchemy_exception.args = (f"({type(error).__module__}.{type(error).__name__}) {first}",)


# a statement's error that broke a foreign key, and the workspaces the statement wrote rows into (_note_workspaces)
_WROTE_INTO: weakref.WeakKeyDictionary[BaseException, frozenset[int]] = weakref.WeakKeyDictionary()


def _note_workspaces(context: ExceptionContext) -> None:
    """Note the workspaces a statement that broke a foreign key wrote rows into, for the writer (_refusal)."""
    error, execution = context.sqlalchemy_exception, context.execution_context
    if not isinstance(error, IntegrityError) or not isinstance(execution, DefaultExecutionContext):
        return
    if _broke_a_foreign_key(error):
        # a column's new value is bound under the column's name, whatever the driver's parameter style
        written = {params.get("workspace_id") for params in execution.compiled_parameters}
        _WROTE_INTO[error] = frozenset(value for value in written if isinstance(value, int))


def _broke_a_foreign_key(error: IntegrityError) -> bool:
    """Whether a row referred to a row that is not there (PostgreSQL's SQLSTATE, SQLite's extended error code)."""
    driver_error = error.orig
    return (
        getattr(driver_error, "sqlstate", None) == "23503"
        or getattr(driver_error, "sqlite_errorcode", None) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
    )


def held_workspace(db: Session, *, workspace_id: int) -> Workspace:
    """The workspace a change adds a row to, held until the change commits (FOR KEY SHARE on PostgreSQL, as its
    foreign key would): a merge taking the workspace away meanwhile waits for the change, or has already gone, and
    then the change is refused (409). A change that writes other rows a merge moves first holds it before those,
    so the two take their locks in the same order (never a deadlock); any other is refused by the writer."""
    workspace = db.get(Workspace, workspace_id, with_for_update={"read": True, "key_share": True})
    if workspace is None:
        raise workspace_merged()
    return workspace


def make_engine(url: str, *, writer: bool, wait: bool = True) -> Engine:
    """An engine; readers see one consistent snapshot per transaction, SQLite writers lock at BEGIN.

    With wait=False a SQLite BEGIN that finds another process holding the write lock fails at once (SQLITE_BUSY)
    rather than waiting up to 30 s for it.
    """
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        isolation = "READ COMMITTED" if writer else "REPEATABLE READ"
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=20,
            isolation_level=isolation,
            hide_parameters=HIDE_PARAMETERS,
        )
        event.listen(engine, "handle_error", _first_line_only)
        event.listen(engine, "handle_error", _note_workspaces)
        return engine
    _create_private(make_url(url).database)
    busy_ms = 30_000 if wait else 0
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": busy_ms / 1000}, hide_parameters=HIDE_PARAMETERS
    )
    event.listen(engine, "handle_error", _note_workspaces)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy issue BEGIN itself so savepoints and snapshots behave
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # what retention and "vergeet mij" delete is overwritten in the file, not left in free pages: Debian's build
        # does so by default, others need asking
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        if writer:
            # the Database checkpoints from its writer thread instead (see Database._checkpoint_now): done by a
            # commit, a checkpoint's copying and its fsync would hold up the event loop the commit runs on
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # straight on the driver's connection: through exec_driver_sql it was 8% of a writer batch's fixed cost
        connection.connection.driver_connection.execute(begin)

    return engine


@dataclass
class _Job:
    fn: Callable[[Tx], Any]
    future: asyncio.Future[Any]
    # see Database.write: a job that only raises DomainError before its first write needs no savepoint
    savepoint: bool = True
    # see Database.write_item: the change this job is one item of, and the item
    many: Many | None = None
    item: Any = None


class _RedoWithSavepoints(Exception):
    """A job without a savepoint failed after it may have written: the batch is redone, each job in a savepoint."""


class _OutcomeUnknown(Exception):
    """A batch's connection was cut during its COMMIT and nothing tells whether PostgreSQL committed it: each of its
    changes fails with the cut's error, neither done again (it may be stored) nor reported done (it may not be)."""

    def __init__(self, error: OperationalError) -> None:
        super().__init__(str(error))
        self.error = error


class _WriteLockTaken(Exception):
    """Another process holds SQLite's write lock: the batch goes to the writer thread, which may wait for it."""


@dataclass
class _Outcome:
    value: Any = None
    error: BaseException | None = None
    events: list[LoggedEvent] = field(default_factory=list)
    # the workshops the change deleted (a list only for a change run as a job of its own: _run_job)
    removed: list[int] | tuple[()] = ()
    # committed after the rest of its batch (done again after a deadlock): its events are published after theirs
    late: bool = False


# PostgreSQL's code for a deadlock it broke by failing one transaction's statement; in a savepoint only that change
# is rolled back
DEADLOCK = "40P01"
# how often a change that lost a deadlock is done again on its own before its error stands
DEADLOCK_RETRIES = 3


def _lost_a_deadlock(error: BaseException) -> bool:
    """Whether a change failed only because PostgreSQL broke a deadlock with it: done again, it can succeed."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) == DEADLOCK


def _in_commit_order(outcomes: list[_Outcome]) -> list[LoggedEvent]:
    """The batch's events in the order they were committed: a change done again after the batch comes last."""
    events = [event for outcome in outcomes if not outcome.late for event in outcome.events]
    events.extend(event for outcome in outcomes if outcome.late for event in outcome.events)
    return events


class _ReadThreads:
    """Threads that run reads, each result handed back to its event loop with one call.

    The event loop's run_in_executor goes through concurrent.futures: a Future with its Condition and lock per call,
    then an asyncio future chained to it. A join storm's phone makes five reads, and with these plain threads a join
    costs the server about 0.1 ms (5%) less (docs/performance.md, "2026-12-05, fifth"). A thread starts when a read
    finds none idle, up to READ_THREADS; then reads wait their turn.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], asyncio.Future[Any]] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        # threads waiting for a job that no queued job has claimed yet (as concurrent.futures' idle semaphore)
        self._idle = 0
        self._counting = threading.Lock()

    def run(self, call: Callable[[], T]) -> "asyncio.Future[T]":
        """Queue a call for a thread; the future resolves on this event loop with its result or its exception."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        with self._counting:
            claimed = self._idle > 0
            if claimed:
                self._idle -= 1
        self._jobs.put((call, future))
        if not claimed and len(self._threads) < READ_THREADS:
            thread = threading.Thread(target=self._work, name=f"doorbraak-read-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()
        return future

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            call, future = job
            try:
                outcome = (True, call())
            except BaseException as exc:  # as concurrent.futures does: the caller gets whatever the read raised
                outcome = (False, exc)
            # counted idle before the caller can hear back: its next read then finds this thread, not a new one
            with self._counting:
                self._idle += 1
            with contextlib.suppress(RuntimeError):  # its event loop has closed: no one waits any more
                future.get_loop().call_soon_threadsafe(_settle, future, outcome)
            del job, call, future, outcome  # nothing of this read stays alive while the thread waits for the next

    def stop(self) -> None:
        """Let every thread finish the read it runs, then end."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()


def _settle(future: "asyncio.Future[Any]", outcome: tuple[bool, Any]) -> None:
    if future.cancelled():  # the reader stopped waiting (its request ended)
        return
    ok, value = outcome
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class Database:
    """Reads run in threads; writes queue for the writer, which commits them in batches and then publishes."""

    def __init__(
        self, url: str, *, max_batch: int = 512, commit_interval: float = 0.05, checkpoint_every: int = 10
    ) -> None:
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self.write_engine = make_engine(self.url, writer=True)
        self.read_engine = make_engine(self.url, writer=False)
        # SQLite's batches are committed on the event loop's own thread: a batch of a burst takes 2-3 ms of the
        # loop, where in a thread of its own every statement handed the GIL back and forth with the loop (which
        # cost the writer about a third more CPU). A batch whose BEGIN finds another process's write lock goes to
        # the writer thread instead, so the loop does not wait for that lock. Its retries can: a batch redone with
        # savepoints, or one by one after a failed commit, is redone where it ran, on the loop, with the engine
        # that waits for the lock (up to 30 s). PostgreSQL's writes wait for the network on every statement: they
        # stay in the thread.
        self._no_wait_engine = make_engine(self.url, writer=True, wait=False) if self.is_sqlite else None
        # SQLite's write-ahead log is copied back into the database every checkpoint_every commits, in the
        # writer thread, so it stays a few megabytes (SQLite's own automatic checkpoint is every 1,000 pages)
        self.checkpoint_every = checkpoint_every
        self._commits_since_checkpoint = 0
        self._checkpointing: asyncio.Future[tuple[int, int, int] | None] | None = None
        self.max_batch = max_batch
        self.commit_interval = commit_interval
        self._queue: asyncio.Queue[_Job] | None = None
        self._task: asyncio.Task[None] | None = None
        # one thread: SQLite allows one writer, and one writer keeps seq allocation simple
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="doorbraak-writer")
        # the reads' own threads (made on the first read after a start or a stop): a phone's websocket (two reads)
        # cost the server a tenth less with the event loop's executor than with anyio's to_thread (its checks of
        # which event loop runs, its capacity limiter), and a join 5% less again with _ReadThreads
        self._readers: _ReadThreads | None = None
        self._publish: Publisher | None = None
        self._remove: Remover | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # the shared lock on the SQLite file while the writer runs (see hold_shared)
        self._file_lock: int | None = None

    def migrate(self, revision: str = "head") -> None:
        """Migrate to a revision (default: newest); a database from before migrations is adopted at 0001."""
        if revision == "head" and self.schema_revision() == SCHEMA_HEAD:
            return
        from alembic import command

        config = migrations_config()
        with self.write_engine.connect() as connection:
            if self.is_sqlite:
                # SQLite changes constraints by copying tables, which foreign key checks would refuse midway
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            with connection.begin():
                if not self.is_sqlite:
                    # workers starting together migrate one after the other (SQLite's BEGIN IMMEDIATE does this)
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(748213)")
                config.attributes["connection"] = connection
                tables = inspect(connection)
                if tables.has_table("workshop") and not tables.has_table("alembic_version"):
                    command.stamp(config, "0001")
                command.upgrade(config, revision)
            if self.is_sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]

    def schema_revision(self) -> str | None:
        """The migration the database is at; None for a database alembic has not seen."""
        with self.write_engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()

    async def start(self, publish: Publisher, remove: Remover | None = None) -> None:
        """Start the writer; committed events go to publish, and the workshops a batch deleted to remove."""
        path = sqlite_file(self.url)
        if path is not None and path.exists():
            self._file_lock = hold_shared(path)
        self._publish = publish
        self._remove = remove
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name="doorbraak-writer")

    async def stop(self) -> None:
        """Finish queued writes, then stop the writer and close the engines."""
        if self._queue is not None and self._task is not None:
            await self._queue.join()
            self._task.cancel()
            with anyio.CancelScope(shield=True):
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
                if self._checkpointing is not None:
                    await self._checkpointing
        self._executor.shutdown(wait=True)
        if self._readers is not None:
            self._readers.stop()
            self._readers = None
        self.close()
        if self._file_lock is not None:
            os.close(self._file_lock)  # closing it lets the lock go
            self._file_lock = None

    def close(self) -> None:
        """Close every engine's connections: what stop does last, and all a command that never started needs."""
        self.write_engine.dispose()
        self.read_engine.dispose()
        if self._no_wait_engine is not None:
            self._no_wait_engine.dispose()

    async def read(self, fn: Callable[[Session], T]) -> T:
        """Run a read-only function with its own short-lived session in a reader thread, in the caller's context."""
        if self._readers is None:
            self._readers = _ReadThreads()
        return await self._readers.run(partial(contextvars.copy_context().run, self.read_sync, fn))

    def read_sync(self, fn: Callable[[Session], T]) -> T:
        """Run a read-only function now, on this thread; once more on a fresh connection if its own was cut."""
        try:
            return self._read_once(fn)
        except DBAPIError as exc:
            # a pooled connection checked a moment ago can still be cut mid-read (a failover, an operator, an idle
            # timeout on the way): a read changed nothing, so it is simply read again, which the pool's ping of a
            # fresh connection makes worth a try
            if not exc.connection_invalidated:
                raise
            log.warning("a read lost its database connection (%s); reading again", exc.orig)
            return self._read_once(fn)

    def _read_once(self, fn: Callable[[Session], T]) -> T:
        with Session(self.read_engine, expire_on_commit=False) as db, db.begin():
            return fn(db)

    def write(self, fn: Callable[[Tx], T], *, savepoint: bool = True) -> asyncio.Future[T]:
        """Queue a change now, in call order; the future resolves once its batch is committed.

        It resolves just before the batch's events are published: a caller awaiting it resumes after the
        in-process hub has handed them to its connections, but maybe before the Redis hub has (which reads them
        back from the log first).

        Each change runs in its own savepoint, so one that fails leaves the rest of its batch intact. A change
        that refuses bad input (DomainError) only before its first write may pass savepoint=False: two
        statements fewer per change on the hot path of a burst. Should it fail any other way, its batch is
        redone with savepoints, so a partial write is never committed.
        """
        return self._enqueue(fn, savepoint)

    def write_item(self, many: Many, item: Any) -> asyncio.Future[Any]:
        """Queue one item of a change that stores many at once; resolves once it is committed, or to its refusal.

        The writer hands a run of queued items of the same change to one call (a burst's answers share their
        reads and their statements). That change refuses an item only before writing it, by returning the
        DomainError in the item's place; should it raise instead, the items are redone one by one in savepoints.
        """
        return self._enqueue(partial(one_item, many, item), False, many, item)

    def _enqueue(
        self, fn: Callable[[Tx], Any], savepoint: bool, many: Many | None = None, item: Any = None
    ) -> asyncio.Future[Any]:
        """Queue a job for the writer; its future resolves once the job's batch is committed."""
        if self._queue is None or self._loop is None:
            raise RuntimeError("the writer has not started")
        # the loop the writer started on (asyncio.get_running_loop() costs a getpid system call on Python 3.11)
        future: asyncio.Future[Any] = self._loop.create_future()
        self._queue.put_nowait(_Job(fn, future, savepoint, many, item))
        return future

    def write_sync(self, fn: Callable[[Tx], T]) -> T:
        """Run a change in its own transaction on this thread, without publishing (CLI use)."""
        outcome = self._commit([_Job(fn, None)])[0]  # type: ignore[arg-type]
        if outcome.error is not None:
            raise outcome.error
        return outcome.value  # type: ignore[no-any-return]

    async def _run(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        last_commit = 0.0
        while True:
            batch = [await self._queue.get()]
            # under load, commits start at most every commit_interval: a transaction's fixed cost (begin, the log
            # end, commit) is shared by everything that queued meanwhile; after a quiet spell a change goes at once
            pause = last_commit + self.commit_interval - loop.time()
            if pause > 0:
                await asyncio.sleep(pause)
            last_commit = loop.time()
            # whatever queued while the last batch committed goes into this one: batching grows with load
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                try:
                    outcomes = await self._commit_batch(loop, batch)
                    for job, outcome in zip(batch, outcomes, strict=True):
                        if job.future.done():
                            continue
                        if outcome.error is not None:
                            job.future.set_exception(outcome.error)
                        else:
                            job.future.set_result(outcome.value)
                    self._checkpoint_now_and_then(loop)
                except Exception as exc:  # the writer must outlive any one batch
                    log.exception("writer batch failed")
                    for job in batch:
                        if not job.future.done():
                            job.future.set_exception(exc)
                    continue
                await self._deliver(outcomes)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _deliver(self, outcomes: list[_Outcome]) -> None:
        """Hand a committed batch to the hub: its events, then the workshops it deleted."""
        events = _in_commit_order(outcomes)
        removed = [workshop_id for outcome in outcomes for workshop_id in outcome.removed]
        try:
            try:
                # publish after commit, never before: a client that sees an event must find its row
                if events and self._publish is not None:
                    await self._publish(events)
            finally:
                # a deleted workshop's screens close even when its batch's events could not be handed over
                if removed and self._remove is not None:
                    await self._remove(removed)
        except Exception:  # the changes are stored: what the hub did not deliver now, the event log still holds
            log.exception(
                "a batch of %d changes is committed, but handing it to the live screens failed; "
                "they catch up from the event log",
                len(outcomes),
            )

    def _checkpoint_now_and_then(self, loop: asyncio.AbstractEventLoop) -> None:
        """Every checkpoint_every commits, start a checkpoint in the writer thread unless one is still running."""
        if not self.is_sqlite:
            return
        self._commits_since_checkpoint += 1
        if self._commits_since_checkpoint < self.checkpoint_every:
            return
        if self._checkpointing is not None and not self._checkpointing.done():
            return
        self._commits_since_checkpoint = 0
        self._checkpointing = loop.run_in_executor(self._executor, self._checkpoint_now)

    def _checkpoint_now(self) -> tuple[int, int, int] | None:
        """Copy the write-ahead log back into the database, without waiting for readers or the writer.

        Returns SQLite's (busy, pages in the log, pages copied), or None if it failed.
        """
        try:
            # on the driver's connection, outside any transaction: a BEGIN IMMEDIATE here would hold the write lock
            # for the whole copy and its fsync, and send the writer's batches to wait behind it
            connection = self.write_engine.raw_connection()
            try:
                return tuple(connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())  # type: ignore[union-attr]
            finally:
                connection.close()
        except Exception:  # the next one catches up; the log only grows meanwhile
            log.exception("checkpoint failed")
            return None

    async def _commit_batch(self, loop: asyncio.AbstractEventLoop, batch: list[_Job]) -> list[_Outcome]:
        """Commit on this thread when the write lock is free at once (SQLite), else in the writer thread."""
        if self._no_wait_engine is not None:
            try:
                return self._commit(batch, self._no_wait_engine)
            except _WriteLockTaken:
                log.info("the database's write lock is taken by another process; this batch waits in a thread")
        return await loop.run_in_executor(self._executor, self._commit, batch)

    def _commit(self, batch: list[_Job], engine: Engine | None = None) -> list[_Outcome]:
        """Run a batch in one transaction, each job in a savepoint; on a failed commit, retry one by one; a job that
        lost a deadlock is done again on its own afterwards.

        The engine is for the first attempt; redoing a batch that failed midway waits for the lock if it must.
        """
        outcomes = self._commit_or_retry(batch, engine)
        for index, outcome in enumerate(outcomes):
            tries = 1
            # each change takes its locks in one order, but a batch holds all its changes' locks until it commits:
            # two processes' batches can meet the other way round, and PostgreSQL then fails one statement of one
            while outcome.error is not None and _lost_a_deadlock(outcome.error) and tries <= DEADLOCK_RETRIES:
                log.info("a change lost a deadlock to another transaction; doing it again on its own (%d)", tries)
                # in a savepoint: losing again leaves its error, not a redo of a batch it no longer is in
                (outcome,) = self._commit_each(replace(batch[index], savepoint=True))
                outcome.late, outcomes[index] = True, outcome
                tries += 1
        return outcomes

    def _commit_or_retry(self, batch: list[_Job], engine: Engine | None = None) -> list[_Outcome]:
        """Run a batch in one transaction, each job in a savepoint; on a failed commit, retry one by one."""
        try:
            try:
                return self._commit_once(batch, engine)
            except _RedoWithSavepoints:
                log.warning("a change without a savepoint failed; redoing its batch of %d with savepoints", len(batch))
                return self._commit_once([replace(job, savepoint=True) for job in batch])
            except OperationalError:
                if len(batch) == 1:
                    raise
                log.warning("batch commit failed; retrying %d jobs one by one", len(batch))
                return [outcome for job in batch for outcome in self._commit_each(job)]
        except _OutcomeUnknown as unknown:
            return [_Outcome(error=unknown.error) for _ in batch]

    def _commit_each(self, job: _Job) -> list[_Outcome]:
        try:
            return self._commit_once([job])
        except _OutcomeUnknown as unknown:
            return [_Outcome(error=unknown.error)]
        except Exception as exc:
            return [_Outcome(error=exc)]

    def _commit_once(self, batch: list[_Job], engine: Engine | None = None) -> list[_Outcome]:
        outcomes: list[_Outcome] = []
        engine = engine or self.write_engine
        with Tx(engine, expire_on_commit=False) as db, db.begin():
            if engine is self._no_wait_engine:
                _lock_or_give_way(db)
            for jobs in _runs(batch):
                outcomes.extend(_run_items(db, jobs) if len(jobs) > 1 else [_run_job(db, jobs[0])])
            # the whole batch's events in one statement, in the same transaction as the changes they describe
            stamped = write_log(db, [event for outcome in outcomes for event in outcome.events])
            # committed here rather than by the block's end, which on a failed commit would roll the session back
            # and so expire what the changes return, committed after all or not
            try:
                db.commit()
            except OperationalError as exc:
                if not self._committed_after_all(exc, outcomes, stamped):
                    raise
        return outcomes

    def _committed_after_all(self, error: OperationalError, outcomes: list[_Outcome], stamped: datetime | None) -> bool:
        """Whether a batch whose COMMIT failed was committed all the same: PostgreSQL may have committed it before
        the connection was cut, and doing its changes again would move a step or cast a vote twice.

        Told by its logged events (events.was_logged); _OutcomeUnknown where nothing can tell. SQLite commits
        or fails in this process: a failed commit there did not commit.
        """
        if self.is_sqlite or not error.connection_invalidated:
            return False
        # a workshop the batch deleted took its events with it; of the others, each one's first event
        removed = {workshop_id for outcome in outcomes for workshop_id in outcome.removed}
        witnesses: dict[int, LoggedEvent] = {}
        for logged in (e for o in outcomes for e in o.events if e.workshop_id not in removed):
            witnesses.setdefault(logged.workshop_id, logged)
        if not witnesses or stamped is None:
            log.error(
                "the database connection was cut while a batch of %d changes committed, and it logged no event that "
                "tells whether it did: its changes fail as if the database could not be reached, none is done again",
                len(outcomes),
            )
            raise _OutcomeUnknown(error) from error
        try:
            # the writer's engine reads committed rows anew per statement: the log as it is once the lock is had
            with Session(self.write_engine) as db, db.begin():
                committed = was_logged(db, list(witnesses.values()), stamped=stamped)
        except DBAPIError as exc:
            log.error(
                "the database connection was cut while a batch of %d changes committed, and asking whether it did "
                "failed too: its changes fail as if the database could not be reached, none is done again",
                len(outcomes),
            )
            raise _OutcomeUnknown(error) from exc
        log.warning(
            "the database connection was cut while a batch of %d changes committed; it had %s",
            len(outcomes),
            "committed, so it is not done again" if committed else "not committed, so it is done again",
        )
        return committed


def unreachable(error: BaseException) -> bool:
    """Whether an error says the database cannot be used now (a cut connection, a server that takes none or is
    shutting down, a deadlock), not that the statement was wrong: the request may be made again in a moment."""
    if not isinstance(error, OperationalError):
        return False
    if error.connection_invalidated:
        return True
    # SQLite's OperationalError also says "no such table": a fault in the code, whereas its busy file is waited for
    if isinstance(error.orig, sqlite3.Error):
        return False
    # psycopg's says so too of a program limit (54) or an object in the wrong state (55), which fail again however
    # long one waits; a failure to connect has no SQLSTATE
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate is None or sqlstate[:2] in _UNREACHABLE_CLASSES


# SQLSTATE classes of a database that cannot be used now: connection exception, transaction rollback (a deadlock),
# insufficient resources (too many connections), operator intervention (shutting down, a cancelled statement)
_UNREACHABLE_CLASSES = frozenset({"08", "40", "53", "57"})


def _lock_or_give_way(db: Session) -> None:
    """Begin (BEGIN IMMEDIATE) before any job runs; _WriteLockTaken where another process holds the lock."""
    try:
        db.connection()
    except (sqlite3.OperationalError, OperationalError) as exc:
        # raised by the engine's begin event as the driver's own error, or wrapped by SQLAlchemy
        driver_error = getattr(exc, "orig", exc)
        if getattr(driver_error, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY:
            raise _WriteLockTaken from exc
        raise


def one_item(many: Many, item: Any, db: Tx) -> Any:
    """One item's change on its own, as a job: its value, or its refusal raised."""
    (result,) = many(db, [item])
    if isinstance(result, DomainError):
        raise result
    return result


def _runs(batch: list[_Job]) -> list[list[_Job]]:
    """The batch in order, consecutive items of the same change (without savepoints) taken together."""
    runs: list[list[_Job]] = []
    for job in batch:
        if runs and _together(runs[-1][0], job):
            runs[-1].append(job)
        else:
            runs.append([job])
    return runs


def _together(first: _Job, job: _Job) -> bool:
    return job.many is not None and job.many is first.many and not (job.savepoint or first.savepoint)


def _run_job(db: Tx, job: _Job) -> _Outcome:
    """One job, in a savepoint if it asks; a failed one gives back its sequence numbers, so the log has no holes."""
    seqs = db.seqs
    outbox: list[LoggedEvent] = []
    db.outbox = outbox
    removed: list[int] = []
    db.removed = removed
    outcome = _Outcome(events=outbox, removed=removed)
    before = dict(seqs)
    try:
        if job.savepoint:
            with db.begin_nested():
                outcome.value = job.fn(db)
        else:
            outcome.value = job.fn(db)
    except Exception as exc:
        if not job.savepoint and not isinstance(exc, DomainError):
            raise _RedoWithSavepoints from exc
        outcome.error, outcome.events, outcome.removed = _refusal(db, exc), [], ()
        seqs.clear()
        seqs.update(before)
    return outcome


def _refusal(db: Tx, error: Exception) -> Exception:
    """What a failed change answers, its savepoint rolled back: one that failed on a workspace a merge took away
    meanwhile (a row into it broke its foreign key, or the workspace's own row was gone when updated) is refused
    (409) as a change that held the workspace would be (held_workspace); one whose row another change removed
    meanwhile is refused as gone (409); anything else fails as the fault it is."""
    otherwise: Exception = error
    if isinstance(error, IntegrityError):
        written = _WROTE_INTO.get(error, frozenset())
    elif isinstance(error, StaleDataError):
        # the ORM does not say which row it missed: the workspaces this transaction has loaded
        loaded = db.identity_map.keys()
        written = frozenset(identity[0] for model, identity, _ in loaded if model is Workspace)
        # with no version column, an UPDATE or DELETE that found no row means another change removed it
        otherwise = gone_meanwhile()
    else:
        return error
    there = db.execute(select(col(Workspace.id)).where(col(Workspace.id).in_(written))).all() if written else []
    refused = otherwise if len(there) == len(written) else workspace_merged()
    if refused is not error:
        refused.__cause__ = error
    return refused


def _run_items(db: Tx, jobs: list[_Job]) -> list[_Outcome]:
    """A run of items of one change in one call; the run's events go with its first item."""
    outbox: list[LoggedEvent] = []
    db.outbox = outbox
    many = jobs[0].many
    assert many is not None
    try:
        results = many(db, [job.item for job in jobs])
    except Exception as exc:
        # it may have written part of the run: redo the batch with each item in its own savepoint
        raise _RedoWithSavepoints from exc
    outcomes = [
        _Outcome(error=result) if isinstance(result, DomainError) else _Outcome(value=result) for result in results
    ]
    outcomes[0].events = outbox
    return outcomes
