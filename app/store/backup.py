"""A consistent copy of a running SQLite database (SQLite's online backup API), and putting such a copy back.

PostgreSQL has its own tools for both (pg_dump, pg_restore); for it these functions say how to use them.
"""

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url

from app.store.database import migrations_config, normalise_url, sqlite_file

# a WAL database is three files: these two beside the database file belong to it
SIDE_FILES = ("-wal", "-shm")


class BackupRefused(Exception):
    """Why a backup or a restore was not done, in words for the operator."""


@dataclass(frozen=True)
class Contents:
    """What a checked copy holds."""

    revision: str
    newest_revision: str
    workshops: int
    answers: int
    size_bytes: int

    def describe(self) -> str:
        """One line for the operator."""
        behind = "" if self.revision == self.newest_revision else f", migrated to {self.newest_revision} on start"
        return (
            f"{self.workshops} workshops, {self.answers} answers, revision {self.revision}{behind}, "
            f"{self.size_bytes / 1_000_000:.1f} MB"
        )


@dataclass(frozen=True)
class Restored:
    """A restore done: what was put back, and where the database it replaced was kept."""

    database: Path
    contents: Contents
    kept_aside: Path | None


def database_file(url: str, *, doing: str) -> Path:
    """The SQLite file of the configured database; refused, with the PostgreSQL way, for any other database."""
    path = sqlite_file(url)
    if path is not None:
        return path
    if make_url(normalise_url(url)).get_backend_name() == "postgresql":
        raise BackupRefused(_postgresql_way(url, doing=doing))
    raise BackupRefused(f"cannot {doing} {make_url(url).render_as_string(hide_password=True)}: not a SQLite file")


def _postgresql_way(url: str, *, doing: str) -> str:
    # pg_dump and pg_restore take libpq's URL, without SQLAlchemy's driver name; the password stays out of sight,
    # and out of the line too, so the line runs as shown (libpq reads the password from PGPASSWORD or ~/.pgpass)
    parsed = make_url(normalise_url(url)).set(drivername="postgresql")
    without_password = URL.create(
        "postgresql", parsed.username, None, parsed.host, parsed.port, parsed.database, parsed.query
    )
    shown = without_password.render_as_string(hide_password=False)
    if doing == "back up":
        # pg_dump creates its file as the shell's umask says, readable by everyone on most systems
        how = (
            "back it up with pg_dump, into a file readable by you alone:\n"
            f"  (umask 077 && pg_dump --format=custom --file=FILE '{shown}')"
        )
    else:
        how = f"stop every server, then:\n  pg_restore --clean --if-exists --no-owner --dbname='{shown}' FILE"
    password = "\n(the password from PGPASSWORD or ~/.pgpass)" if parsed.password else ""
    return f"the database is PostgreSQL: {how}{password}\n(README.md, Backup and restore)"


def backup(url: str, target: Path) -> Contents:
    """Copy the configured SQLite database to target, while servers keep writing to it; the copy is checked.

    The copy is one snapshot: SQLite's backup API copies every page within one read transaction, which in WAL
    mode never holds up the writer. It is written beside target first (created 0600: it holds everything the
    server does) and only replaces an older file of that name once it is complete and checked.
    """
    source = database_file(url, doing="back up")
    if not source.is_file():
        raise BackupRefused(f"there is no database at {source} to back up")
    target = target.absolute()
    if not target.parent.is_dir():
        raise BackupRefused(f"{target.parent} is not a folder")
    if target.exists() and target.samefile(source):
        raise BackupRefused(f"{target} is the database itself: choose another file for its backup")
    with _partial_file(target) as partial:
        with contextlib.closing(sqlite3.connect(source, timeout=30)) as live:
            _copy(live, partial)
        contents = _checked(partial)
        _put_in_place(partial, target)
    return contents


def restore(url: str, backup_file: Path, *, now: datetime) -> Restored:
    """Put a checked backup in the place of the configured SQLite database, keeping the one it replaces aside.

    Refused while a server (or a command) has the database open: what it wrote after the swap would be lost, and
    its open files would still point at the old database.
    """
    target = database_file(url, doing="restore")
    backup_file = backup_file.absolute()
    if not backup_file.is_file():
        raise BackupRefused(f"there is no file {backup_file} to restore")
    if backup_file.stat().st_size == 0:
        # SQLite reads an empty file as an empty database, which would be refused as someone else's
        raise BackupRefused(f"{backup_file} is empty, so not a backup: did the backup that wrote it fail?")
    if target.exists() and backup_file.samefile(target):
        raise BackupRefused(f"{backup_file} is the database itself, not a backup of it")
    target.parent.mkdir(parents=True, exist_ok=True)
    # copied first, then checked: the file put in place is exactly the one checked, and the backup is only read
    with _partial_file(target) as partial:
        try:
            readable = sqlite3.connect(f"{backup_file.as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise BackupRefused(f"{backup_file} cannot be opened: {exc}") from None
        with contextlib.closing(readable) as source:
            _copy(source, partial, what=backup_file)
        contents = _checked(partial, what=backup_file)
        with _alone_with(target):
            kept = _set_aside(target, now=now)
            _put_in_place(partial, target)
    return Restored(database=target, contents=contents, kept_aside=kept)


def _copy(source: sqlite3.Connection, partial: Path, *, what: Path | None = None) -> None:
    """The whole database in one step, so one snapshot; the copy is a single file (no write-ahead log beside it)."""
    with contextlib.closing(sqlite3.connect(partial)) as copy:
        try:
            source.backup(copy)
        except sqlite3.DatabaseError as exc:
            raise BackupRefused(f"{what or 'the database'} is not a readable SQLite database ({exc})") from None
        copy.execute("PRAGMA journal_mode=DELETE")


def _checked(path: Path, *, what: Path | None = None) -> Contents:
    """What a copy holds, once SQLite finds it intact and it is a Doorbraak database at a revision known here."""
    name = what or path
    with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
        try:
            problems = [row[0] for row in db.execute("PRAGMA integrity_check(20)")]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise BackupRefused(f"{name} is not a readable SQLite database ({exc})") from None
        if problems != ["ok"]:
            raise BackupRefused(f"{name} is damaged; SQLite's integrity check says:\n  " + "\n  ".join(problems))
        if not {"alembic_version", "workshop", "answer", "event"} <= tables:
            raise BackupRefused(f"{name} is a SQLite database, but not one of Doorbraak's")
        revisions = [row[0] for row in db.execute("SELECT version_num FROM alembic_version")]
        workshops = db.execute("SELECT count(*) FROM workshop").fetchone()[0]
        answers = db.execute("SELECT count(*) FROM answer").fetchone()[0]
    scripts = ScriptDirectory.from_config(migrations_config())
    newest = scripts.get_current_head() or ""
    known = {script.revision for script in scripts.walk_revisions()}
    if len(revisions) != 1 or revisions[0] not in known:
        raise BackupRefused(
            f"{name} is at revision {', '.join(revisions) or 'none'}, which this version of Doorbraak does not know "
            f"(its newest is {newest}): restore it with the version that made it, or a newer one"
        )
    return Contents(revisions[0], newest, workshops, answers, path.stat().st_size)


@contextlib.contextmanager
def _partial_file(beside: Path) -> Iterator[Path]:
    """A new private file beside the final one, removed unless it was put in place."""
    partial = beside.with_name(f".{beside.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        yield partial
    finally:
        partial.unlink(missing_ok=True)


def _put_in_place(partial: Path, target: Path) -> None:
    """Replace target by the complete partial file in one step, durably."""
    with open(partial, "rb") as done:
        os.fsync(done.fileno())
    os.replace(partial, target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


@contextlib.contextmanager
def _alone_with(database: Path) -> Iterator[None]:
    """Hold the database file's lock alone, or refuse: every server and command holds it shared while it runs."""
    if not database.exists():
        yield
        return
    descriptor = os.open(database, os.O_RDONLY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupRefused(
                f"a Doorbraak server or command is using {database}: stop it first, then restore "
                "(what it wrote after the restore would be lost)"
            ) from None
        yield
    finally:
        os.close(descriptor)


def _set_aside(database: Path, *, now: datetime) -> Path | None:
    """Move the current database (with its write-ahead log, if any) aside under a dated name; None if there is none."""
    if not database.exists():
        for suffix in SIDE_FILES:  # a log without its database belongs to nothing the backup could use
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        return None
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as old:
        # fold the log into the file, so what is kept aside is one complete file
        old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    aside = database.with_name(f"{database.name}.before-restore-{now:%Y%m%d-%H%M%S}")
    os.replace(database, aside)
    for suffix in SIDE_FILES:
        side = Path(f"{database}{suffix}")
        if side.exists():
            # never left for the restored file to pick up: SQLite would apply the old database's log to it
            os.replace(side, Path(f"{aside}{suffix}"))
    return aside
