"""The outbox under faults: a server down and up again, two workers on PostgreSQL, a worker killed mid-run."""

import asyncio
import logging
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from app import main
from app.accounts import service as accounts
from app.config import Settings
from app.models import OutboxMessage, utcnow
from app.notify import outbox, sender
from app.notify.outbox import Draft
from app.notify.sender import Sender
from app.notify.smtp import parse_smtp_url
from app.store.database import Database
from tests.notify.conftest import Inbox, SmtpServer, free_smtp_port, messages

PG_URL = os.environ.get("DOORBRAAK_TEST_DATABASE_URL")
DOORBRAAK = Path(sys.executable).parent / "doorbraak"


class Clock:
    """A clock the test moves on, so a retry's wait passes without the test waiting."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        """Move on."""
        self.now += by


def drafts(count: int) -> list[Draft]:
    """Plain messages for the outbox."""
    return [
        Draft(
            kind="link",
            dedupe_key=f"test:{n}",
            recipient=f"deelnemer{n}@example.org",
            participant_id=None,
            lang="nl",
            subject=f"Bericht {n}",
            body_text=f"Tekst {n}",
            body_html=f"<p>Tekst {n}</p>",
            unsubscribe_url=f"http://testserver/afmelden/{n}",
        )
        for n in range(count)
    ]


def fill(tx: Any, count: int) -> None:
    """A workspace and count messages from it."""
    account = accounts.create_facilitator(tx, email="bea@a.nl", name="Bea", password="x" * 12)
    workspace_id = accounts.first_workspace(tx, account_id=account.id or 0) or 0
    outbox.queue(tx, workspace_id=workspace_id, drafts=drafts(count), domain="example.org")


async def no_events(events: Any) -> None:
    """The writer's publisher, for a database without screens."""


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> Any:
    """A migrated SQLite database with its writer running."""
    db = Database(f"sqlite:///{tmp_path / 'mail.db'}")
    db.migrate()
    await db.start(no_events)
    yield db
    await db.stop()


@pytest.fixture
def down_server() -> Iterator[SmtpServer]:
    """An SMTP server on a free port that is not listening yet."""
    server = SmtpServer(inbox=Inbox(), port=free_smtp_port())
    yield server
    server.stop()


async def test_a_server_down_then_up_gets_each_message_once(sqlite_db: Database, down_server: SmtpServer) -> None:
    await sqlite_db.write(partial(fill, count=3))
    clock = Clock()
    sender = Sender(sqlite_db, parse_smtp_url(down_server.url), clock=clock, timeout=5)
    try:
        assert await sender.run_once() == 3
        rows = messages(sqlite_db)
        assert {(r.status, r.attempts) for r in rows} == {("pending", 1)}
        assert all("unreachable" in r.last_error for r in rows)
        assert await sender.run_once() == 0, "nothing is due before the wait is over"
        clock.advance(timedelta(minutes=1))
        assert await sender.run_once() == 3
        assert {r.attempts for r in messages(sqlite_db)} == {2}
        # the wait doubles: a minute after the second attempt is too soon
        clock.advance(timedelta(minutes=1))
        assert await sender.run_once() == 0
        down_server.start()
        clock.advance(timedelta(minutes=1))
        assert await sender.run_once() == 3
        received = down_server.inbox.wait_for(3)
        clock.advance(timedelta(days=2))
        assert await sender.run_once() == 0
    finally:
        sender.close()
    rows = messages(sqlite_db)
    assert {(r.status, r.attempts, r.last_error) for r in rows} == {("sent", 3, "")}
    assert sorted(str(m["Message-ID"]) for m in received) == sorted(r.message_id for r in rows)
    assert len(down_server.inbox.messages) == 3


class RefusingOne(Inbox):
    """An inbox whose server refuses one address, naming it in its reply as Postfix does."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        """aiosmtpd's hook: refuse the one address, take the others."""
        if address == self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
        envelope.rcpt_tos.append(address)
        return "250 OK"


async def test_a_refused_address_is_kept_with_its_message_but_not_written_in_the_log(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await sqlite_db.write(partial(fill, count=3))
    refused = drafts(3)[1].recipient
    server = SmtpServer(inbox=RefusingOne(refused), port=free_smtp_port())
    server.start()
    sender = Sender(sqlite_db, parse_smtp_url(server.url), timeout=5)
    caplog.set_level(logging.INFO, logger="doorbraak.mail")
    try:
        assert await sender.run_once() == 3
        server.inbox.wait_for(2)
    finally:
        sender.close()
        server.stop()
    (row,) = [row for row in messages(sqlite_db) if row.status != "sent"]
    # the outbox page shows the server's own words, address and all, for as long as the message is kept
    assert row.recipient == refused and f"<{refused}>" in row.last_error
    # the log, which an operator keeps for as long as they like, says what happened without whose address it was
    assert "1 of 3 messages not sent (recipient_refused: 550 5.1.1 <***>: Recipient address rejected" in caplog.text
    assert refused not in caplog.text


async def test_after_a_day_of_refusals_a_message_is_failed_with_its_reason(
    sqlite_db: Database, down_server: SmtpServer
) -> None:
    await sqlite_db.write(partial(fill, count=1))
    clock = Clock()
    sender = Sender(sqlite_db, parse_smtp_url(down_server.url), clock=clock, timeout=5)
    try:
        attempts = 0
        while await sender.run_once():
            attempts += 1
            clock.advance(outbox.BACKOFF_MOST)
        assert await sender.run_once() == 0
    finally:
        sender.close()
    (row,) = messages(sqlite_db)
    assert row.status == "failed" and "unreachable" in row.last_error
    # a day of waits that double up to an hour: 1, 2, 4 ... 32 minutes, then hourly
    assert attempts == row.attempts and 20 <= attempts <= 30
    assert await sqlite_db.read(partial(outbox.counts, workspace_id=row.workspace_id)) == {
        "pending": 0,
        "sending": 0,
        "sent": 0,
        "failed": 1,
    }


def sender_process(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """`doorbraak mail send` in a process of its own."""
    return subprocess.Popen(
        [str(DOORBRAAK), "mail", "send", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def worker_env(tmp_path: Path, database_url: str, smtp: SmtpServer) -> dict[str, str]:
    """The environment a sender process runs in."""
    return {
        "PATH": "/usr/bin:/bin",
        "DOORBRAAK_DATA_DIR": str(tmp_path),
        "DOORBRAAK_DATABASE_URL": database_url,
        "DOORBRAAK_SMTP_URL": smtp.url,
        "DOORBRAAK_PUBLIC_URL": "http://testserver",
        "DOORBRAAK_SECRET_KEY": "w" * 40,
        "DOORBRAAK_ENVIRONMENT": "test",
    }


def claimed(done: subprocess.Popen[str]) -> int:
    """How many messages a finished sender process says it claimed."""
    out, err = done.communicate(timeout=180)
    assert done.returncode == 0, err
    return int(out.strip().splitlines()[-1].split()[0])


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
def test_two_workers_on_postgresql_send_each_of_1000_messages_once(tmp_path: Path, smtp_server: SmtpServer) -> None:
    from tests.test_postgres import reset_schema

    reset_schema()
    db = Database(PG_URL or "")
    db.migrate()
    db.write_sync(partial(fill, count=1000))
    env = worker_env(tmp_path, PG_URL or "", smtp_server)
    workers = [sender_process(env, "--until-done", "--batch", "50") for _ in range(2)]
    counts = [claimed(worker) for worker in workers]
    received = Counter(smtp_server.inbox.wait_for(1000) and smtp_server.inbox.ids())
    rows = messages(db)
    db.close()
    # both took part (SKIP LOCKED let each claim what the other had not), and each message went exactly once
    assert sum(counts) == 1000 and min(counts) > 0, counts
    assert set(received) == {r.message_id for r in rows}
    assert set(received.values()) == {1}
    assert {r.status for r in rows} == {"sent"}


def test_a_worker_killed_mid_run_loses_no_message(tmp_path: Path, smtp_server: SmtpServer) -> None:
    url = f"sqlite:///{tmp_path / 'mail.db'}"
    db = Database(url)
    db.migrate()
    db.write_sync(partial(fill, count=300))
    smtp_server.inbox.delay = 0.01  # a server slow enough that the kill lands mid-run
    env = worker_env(tmp_path, url, smtp_server)
    first = sender_process(env, "--until-done", "--lease", "2", "--batch", "20")
    smtp_server.inbox.wait_for(40, timeout=60)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL
    killed_at = len(smtp_server.inbox.messages)
    assert killed_at < 300, "the kill came after the run: nothing was tested"
    second = sender_process(env, "--until-done", "--lease", "2", "--batch", "20")
    claimed(second)
    rows = messages(db)
    db.close()
    received = Counter(smtp_server.inbox.ids())
    assert {r.status for r in rows} == {"sent"}
    assert set(received) == {r.message_id for r in rows}, "every message arrived"
    # what the server took but the killed worker had not recorded goes once more, with its own Message-ID
    assert max(received.values()) <= 2


def test_the_hourly_pass_counts_days_by_the_dutch_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # half past midnight on 1 July in the Netherlands, still 30 June in UTC (and on a server that keeps UTC)
    now = datetime(2030, 6, 30, 22, 30, tzinfo=UTC)
    seen: list[date] = []

    async def one_pass(db: Any, setup: Any, *, secret: str, today: date, now: datetime) -> int:
        seen.append(today)
        raise asyncio.CancelledError  # one pass is enough

    monkeypatch.setattr(sender, "PASS_FIRST_RUN_S", 0)
    monkeypatch.setattr(sender, "utcnow", lambda: now)
    monkeypatch.setattr(sender, "reminder_pass", one_pass)
    with pytest.raises(asyncio.CancelledError):
        # the pass is replaced, so neither the database nor the mail set-up is used
        unused: Any = None
        asyncio.run(sender.keep_reminders(unused, unused, secret="s"))
    assert seen == [date(2030, 7, 1)]


async def test_old_messages_go_when_the_reminder_pass_fails(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sqlite_db.write(partial(fill, count=2))

    def age(tx: Any) -> None:
        # one sent well over the outbox's month ago, one today
        old = tx.execute(select(OutboxMessage).order_by(col(OutboxMessage.id))).scalars().first()
        old.created_at = utcnow() - outbox.KEEP - timedelta(days=1)

    await sqlite_db.write(age)
    failed, cleaned = asyncio.Event(), asyncio.Event()

    async def failing_pass(*args: Any, **kwargs: Any) -> int:
        failed.set()
        raise RuntimeError("the reminders' query failed")

    clean_once = main.outbox_pass

    async def watched_clean(db: Database, *, now: datetime) -> int:
        removed = await clean_once(db, now=now)
        cleaned.set()
        return removed

    monkeypatch.setattr(sender, "reminder_pass", failing_pass)
    monkeypatch.setattr(main, "outbox_pass", watched_clean)
    monkeypatch.setattr(sender, "PASS_FIRST_RUN_S", 0)
    monkeypatch.setattr(main, "OUTBOX_FIRST_RUN_S", 0)
    setup = sender.mail_setup(Settings(data_dir=tmp_path, environment="test"))
    passes = main.start_passes(sqlite_db, setup, secret="s")
    try:
        await asyncio.wait_for(asyncio.gather(failed.wait(), cleaned.wait()), timeout=10)
    finally:
        for task in passes:
            task.cancel()
        await asyncio.gather(*passes, return_exceptions=True)
    assert [row.subject for row in messages(sqlite_db)] == ["Bericht 1"]
