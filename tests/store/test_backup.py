"""Backup and restore of the SQLite database: a checked copy, put back only where it is safe to."""

import os
import shlex
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.config import Settings
from app.main import create_app
from app.models import Participant
from app.store.backup import BackupRefused, backup, restore
from app.store.database import Database
from tests.conftest import sqlite_file
from tests.rooms import room_in_obstacle_round

NOW = datetime(2026, 3, 14, 9, 30, 0)


def in_database(settings: Settings, fn: Callable[..., object], *, write: bool = False) -> object:
    """Run fn on the settings' database outside any server."""
    db = Database(settings.resolved_database_url())
    try:
        return db.write_sync(fn) if write else db.read_sync(fn)
    finally:
        db.close()


def count(model: type) -> Callable[..., object]:
    return lambda db: db.execute(select(func.count()).select_from(model)).scalar_one()


def fresh(tmp_path: Path, name: str) -> Settings:
    return Settings(data_dir=tmp_path / name, environment="test", secret_key="t" * 40)


@pytest.fixture
def filled(settings: Settings) -> Settings:
    """The test database with a room of three participants in it."""
    in_database(settings, lambda db: room_in_obstacle_round(db, participants=3), write=True)
    return settings


def test_a_backup_is_one_private_file_that_restores_into_an_empty_data_folder(filled: Settings, tmp_path: Path) -> None:
    target = tmp_path / "backups" / "doorbraak.backup"
    target.parent.mkdir()
    contents = backup(filled.resolved_database_url(), target)
    assert (contents.workshops, contents.answers) == (1, 0)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["doorbraak.backup"]  # no log or partial file beside it
    assert target.read_bytes()[18:20] == b"\x01\x01"  # a rollback-journal file: complete without a -wal beside it

    elsewhere = fresh(tmp_path, "elsewhere")
    restored = restore(elsewhere.resolved_database_url(), target, now=NOW)
    assert restored.kept_aside is None
    assert restored.database == sqlite_file(elsewhere)
    assert stat.S_IMODE(restored.database.stat().st_mode) == 0o600
    assert in_database(elsewhere, count(Participant)) == 3


def test_a_new_backup_replaces_an_older_one_but_never_the_database(filled: Settings, tmp_path: Path) -> None:
    target = tmp_path / "nightly.backup"
    target.write_bytes(b"yesterday")
    backup(filled.resolved_database_url(), target)
    assert target.read_bytes().startswith(b"SQLite format 3\x00")
    with pytest.raises(BackupRefused, match="is the database itself"):
        backup(filled.resolved_database_url(), sqlite_file(filled))
    with pytest.raises(BackupRefused, match="is not a folder"):
        backup(filled.resolved_database_url(), tmp_path / "no such folder" / "x.backup")


def test_a_restore_keeps_the_database_it_replaces_aside_with_its_log(filled: Settings, tmp_path: Path) -> None:
    target = tmp_path / "before.backup"
    backup(filled.resolved_database_url(), target)
    database = sqlite_file(filled)
    # a change after the backup, still only in the write-ahead log of the database the restore replaces
    with sqlite3.connect(database) as live:
        live.execute("PRAGMA wal_autocheckpoint=0")
        live.execute("UPDATE participant SET name = 'na de backup'")
        restored = restore(filled.resolved_database_url(), target, now=NOW)
    aside = database.with_name("doorbraak.db.before-restore-20260314-093000")
    assert restored.kept_aside == aside
    assert not Path(f"{database}-wal").exists()  # the old log never meets the restored file
    with sqlite3.connect(aside) as old:
        assert old.execute("SELECT DISTINCT name FROM participant").fetchall() == [("na de backup",)]
    names = in_database(filled, lambda db: sorted(db.execute(select(Participant.name)).scalars()))
    assert names == ["P0", "P1", "P2"]


def test_a_restore_is_refused_while_a_server_has_the_database_open(filled: Settings, tmp_path: Path) -> None:
    target = tmp_path / "a.backup"
    backup(filled.resolved_database_url(), target)
    database = sqlite_file(filled)
    with TestClient(create_app(filled)):
        with pytest.raises(BackupRefused, match="is using .*: stop it first"):
            restore(filled.resolved_database_url(), target, now=NOW)
        assert not list(database.parent.glob("*.before-restore-*"))
        assert not list(database.parent.glob(".*.partial"))
    assert restore(filled.resolved_database_url(), target, now=NOW).kept_aside is not None


def damaged_copy(source: Path, tmp_path: Path) -> Path:
    """A copy of a backup with one table's pages overwritten."""
    damaged = tmp_path / "damaged.backup"
    data = bytearray(source.read_bytes())
    with sqlite3.connect(source) as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'participant'").fetchone()[0]
    start = (root - 1) * page_size
    data[start + 8 : start + page_size] = b"\x07" * (page_size - 8)
    damaged.write_bytes(bytes(data))
    return damaged


def test_a_restore_refuses_what_is_not_an_intact_doorbraak_database_at_a_known_revision(
    filled: Settings, tmp_path: Path
) -> None:
    good = tmp_path / "good.backup"
    backup(filled.resolved_database_url(), good)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    newer = tmp_path / "newer.backup"
    newer.write_bytes(good.read_bytes())
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    text = tmp_path / "notes.txt"
    text.write_text("geen database\n" * 100)
    empty = tmp_path / "empty.backup"  # what a nightly job leaves when its disk is full
    empty.write_bytes(b"")
    url = filled.resolved_database_url()
    refusals = {
        text: "is not a readable SQLite database",
        empty: "is empty, so not a backup",
        damaged_copy(good, tmp_path): "is damaged; SQLite's integrity check says",
        other: "is a SQLite database, but not one of Doorbraak's",
        newer: "is at revision 9999, which this version of Doorbraak does not know",
        tmp_path / "missing.backup": "there is no file",
    }
    before = sqlite_file(filled).read_bytes()
    for file, reason in refusals.items():
        with pytest.raises(BackupRefused, match=reason):
            restore(url, file, now=NOW)
    assert sqlite_file(filled).read_bytes() == before
    assert sorted(p.name for p in sqlite_file(filled).parent.iterdir() if "doorbraak.db" in p.name) == ["doorbraak.db"]


@pytest.mark.parametrize(("doing", "tool"), [(backup, "pg_dump --format=custom"), (restore, "pg_restore --clean")])
def test_on_postgresql_the_commands_give_the_postgresql_way_without_the_password(
    doing: Callable[..., object], tool: str, tmp_path: Path
) -> None:
    url = "postgresql://doorbraak:geheim@db.example:5432/doorbraak"
    extra = {"now": NOW} if doing is restore else {}
    (tmp_path / "x").write_bytes(b"")
    with pytest.raises(BackupRefused) as refused:
        doing(url, tmp_path / "x", **extra)
    message = str(refused.value)
    # the address as the tool takes it, with the password where the tool looks for it rather than a mask to type over
    assert tool in message and "'postgresql://doorbraak@db.example:5432/doorbraak'" in message
    assert "PGPASSWORD" in message
    assert "geheim" not in message and "psycopg" not in message and "***" not in message


PG_URL = os.environ.get("DOORBRAAK_TEST_DATABASE_URL")


@pytest.mark.skipif(not PG_URL or not shutil.which("pg_dump"), reason="needs PostgreSQL and its pg_dump")
def test_on_postgresql_the_dump_the_backup_command_shows_is_readable_by_its_maker_alone(tmp_path: Path) -> None:
    assert PG_URL is not None
    db = Database(PG_URL)
    db.migrate()
    db.close()
    with pytest.raises(BackupRefused) as refused:
        backup(PG_URL, tmp_path / "x")
    (line,) = [line.strip() for line in str(refused.value).splitlines() if "--file=FILE" in line]
    dump = tmp_path / "doorbraak.dump"
    command = line.replace("FILE", shlex.quote(str(dump)))
    env = {**os.environ, "PGPASSWORD": make_url(PG_URL).password or ""}
    # as from an operator's shell or cron, whose files everyone may read unless told otherwise
    done = subprocess.run(["sh", "-c", f"umask 022; {command}"], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    listed = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=False)
    assert "TABLE public participant" in listed.stdout
