"""The sender: claims due outbox messages, sends them over a few SMTP connections, and records what happened;
and the scheduler's pass that writes the reminders, run now and then.

Both run in the app's lifespan (app/main.py) outside the test environment; tests and `doorbraak mail` start them
themselves. With several workers each runs both: the outbox's claim and the pass's keys make that safe.
"""

import asyncio
import contextlib
import html
import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import partial
from urllib.parse import urlsplit

import anyio

from app.config import Settings
from app.errors import DomainError
from app.i18n import N_, in_locale
from app.models import local_day, utcnow
from app.notify import outbox, reminders
from app.notify.mails import Links
from app.notify.outbox import Backoff
from app.notify.smtp import (
    UNBUILDABLE,
    Connection,
    Outgoing,
    SendError,
    SmtpConfig,
    SmtpUrlError,
    build_message,
    parse_smtp_url,
)
from app.passes import repeat
from app.store.database import Database

log = logging.getLogger("doorbraak.mail")
# where links in mails point when DOORBRAAK_PUBLIC_URL is not set: nothing is sent then, but the messages wait in
# the outbox, and the sender moves their links to the address set since (relinked) before they go
NO_PUBLIC_URL = "http://localhost:8000"
_HREF = re.compile(r'href="([^"]*)"')
PASS_FIRST_RUN_S = 60
PASS_EVERY_S = 3600
IDLE_WAIT_S = 5.0
# an address in a server's reply ("550 5.1.1 <jan@example.org>: Recipient address rejected")
_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")


@dataclass
class MailSetup:
    """What the settings say about mail: the server (if one can be used), why not, and where links point."""

    config: SmtpConfig | None
    problem: DomainError | None
    links: Links
    reminder_days: int
    overdue_days: int = reminders.OVERDUE_DAYS
    # the latest thing the sender learnt about the server ("reason: detail", see smtp.SEND_FAILURES), or None
    server_note: str | None = field(default=None)

    @property
    def sending(self) -> bool:
        """Whether mail goes out (else the outbox only shows what would have been sent)."""
        return self.config is not None and self.problem is None


def mail_setup(settings: Settings) -> MailSetup:
    """Read DOORBRAAK_SMTP_URL and DOORBRAAK_PUBLIC_URL; a URL that cannot be used is a problem, never a crash."""
    config: SmtpConfig | None = None
    problem: DomainError | None = None
    if settings.smtp_url:
        try:
            config = parse_smtp_url(settings.smtp_url)
        except SmtpUrlError as exc:
            problem = exc
    base_url = (settings.public_url or NO_PUBLIC_URL).rstrip("/")
    if config is not None and not settings.public_url:
        problem = DomainError(
            "no_public_url",
            N_("DOORBRAAK_PUBLIC_URL is niet ingesteld: de links in e-mails hebben het nodig, dus er gaat niets weg."),
            status=500,
        )
    domain = config.sender.rsplit("@", 1)[1] if config else (urlsplit(base_url).hostname or "doorbraak.invalid")
    return MailSetup(
        config=config,
        problem=problem,
        links=Links(base_url=base_url, domain=domain),
        reminder_days=settings.reminder_days,
        overdue_days=settings.overdue_reminder_days,
    )


def without_addresses(text: str) -> str:
    """A server's reply as the log may keep it: the log outlives the outbox, which keeps the address 30 days."""
    return _ADDRESS.sub("***", text)


def relinked(outgoing: Outgoing, base_url: str) -> Outgoing:
    """A message written while DOORBRAAK_PUBLIC_URL was not set, with its links on the address set since."""
    old, new = f"{NO_PUBLIC_URL}/", f"{base_url.rstrip('/')}/"
    # ours are the HTML part's links (a user's text there is escaped, so it never makes an href) and the unsubscribe
    # one: a user's words that name the old address (an action's description, a meeting's place) stay as typed
    ours = {html.unescape(link) for link in _HREF.findall(outgoing.body_html)} | {outgoing.unsubscribe_url}
    ours = {link for link in ours if link.startswith(old)}
    if old == new or not ours:
        return outgoing
    text, body_html = outgoing.body_text, outgoing.body_html
    # the longest first: a moved link no longer starts with the old address, so a shorter one cannot match inside it
    for link in sorted(ours, key=len, reverse=True):
        moved = new + link.removeprefix(old)
        text = text.replace(link, moved)
        body_html = body_html.replace(f'href="{html.escape(link)}"', f'href="{html.escape(moved)}"')
    unsubscribe_url = outgoing.unsubscribe_url
    if unsubscribe_url.startswith(old):
        unsubscribe_url = new + unsubscribe_url.removeprefix(old)
    return replace(outgoing, body_text=text, body_html=body_html, unsubscribe_url=unsubscribe_url)


def in_english(problem: DomainError) -> str:
    """A problem as the log says it: in English, from the catalogue."""
    with in_locale("en"):
        return problem.text()


class Sender:
    """Claims due messages in batches and sends each over one of a few SMTP connections (one per thread)."""

    def __init__(
        self,
        db: Database,
        config: SmtpConfig,
        *,
        connections: int = 4,
        batch: int = 100,
        lease: timedelta = outbox.LEASE,
        backoff: Backoff | None = None,
        timeout: float = 30,
        on_note: Callable[[str], None] | None = None,
        clock: Callable[[], datetime] = utcnow,
        base_url: str = NO_PUBLIC_URL,
    ) -> None:
        self.db = db
        self.base_url = base_url
        self.clock = clock
        self.config = config
        self.batch = batch
        self.lease = lease
        self.backoff = backoff or Backoff()
        self.timeout = timeout
        self.on_note = on_note
        self._pool = ThreadPoolExecutor(max_workers=connections, thread_name_prefix="doorbraak-smtp")
        self._local = threading.local()
        self._connections: list[Connection] = []
        self._lock = threading.Lock()
        self._stopping: asyncio.Event | None = None

    def _connection(self) -> Connection:
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = Connection(self.config, timeout=self.timeout)
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def _send(self, outgoing: Outgoing) -> str | None:
        """Send one message on this thread's connection; None when accepted, else why not."""
        try:
            message = build_message(relinked(outgoing, self.base_url), sender=self.config.sender, now=utcnow())
            self._connection().send(message, str(message["To"]))
        except SendError as exc:
            return str(exc)
        except (ValueError, TypeError) as exc:  # a header the email package refuses: try again changes nothing
            return f"{UNBUILDABLE}{exc}"
        return None

    async def run_once(self) -> int:
        """Claim one batch, send it, record the results; returns how many messages were claimed."""
        claimed = await self.db.write(partial(outbox.claim, now=self.clock(), limit=self.batch, lease=self.lease))
        if not claimed:
            return 0
        loop = asyncio.get_running_loop()
        results = await asyncio.gather(*(loop.run_in_executor(self._pool, self._send, item) for item in claimed))
        sent = [item.id for item, error in zip(claimed, results, strict=True) if error is None]
        failed = {item.id: error for item, error in zip(claimed, results, strict=True) if error is not None}
        await self.db.write(partial(outbox.record, sent=sent, failed=failed, now=self.clock(), backoff=self.backoff))
        if failed:
            reason = next(iter(failed.values()))
            log.warning(
                "mail: %d of %d messages not sent (%s); they are tried again later",
                len(failed),
                len(claimed),
                without_addresses(reason),
            )
            self._note(reason)
        elif sent:
            self._note(None)
        return len(claimed)

    def _note(self, reason: str | None) -> None:
        if self.on_note is not None:
            self.on_note(reason or "")

    async def drain(self) -> int:
        """Send until nothing is due now (a message waiting for its retry is not); returns how many were claimed."""
        total = 0
        while claimed := await self.run_once():
            total += claimed
        return total

    async def run_until_done(self, idle_wait: float = 0.2) -> int:
        """Send until no message waits or is being sent anywhere (a dead sender's claims lapse and are taken over)."""
        total = 0
        while await self.db.read(outbox.outstanding):
            claimed = await self.run_once()
            total += claimed
            if not claimed:
                await asyncio.sleep(idle_wait)
        return total

    async def run(self, idle_wait: float = IDLE_WAIT_S) -> None:
        """Send until stop(); a failed round is logged and the loop goes on."""
        self._stopping = asyncio.Event()
        while not self._stopping.is_set():
            try:
                claimed = await self.run_once()
            except Exception:  # the database may be away for a moment: the messages wait in the outbox
                log.exception("mail: a sending round failed")
                claimed = 0
            if not claimed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), idle_wait)

    def stop(self) -> None:
        """Let run() finish the round it is in (so what the server accepts is recorded) and return."""
        if self._stopping is not None:
            self._stopping.set()

    def check_login(self) -> str | None:
        """Connect and sign in once (blocking): None when the server takes us, else why not."""
        connection = Connection(self.config, timeout=self.timeout)
        try:
            connection.probe()
        except SendError as exc:
            return str(exc)
        finally:
            connection.close()
        return None

    def close(self) -> None:
        """Close every connection and stop the threads."""

        def close_all() -> None:
            with self._lock:
                for connection in self._connections:
                    connection.close()
                self._connections.clear()

        self._pool.shutdown(wait=True)
        close_all()


async def reminder_pass(db: Database, setup: MailSetup, *, secret: str, today: date, now: datetime) -> int:
    """Write every reminder and digest due today that the outbox does not hold yet; returns how many. The secret key
    derives the personal links in them."""
    due = await db.read(
        partial(
            reminders.due_mails,
            today=today,
            now=now,
            days=setup.reminder_days,
            overdue_days=setup.overdue_days,
            secret=secret,
        )
    )
    composed = (
        await anyio.to_thread.run_sync(partial(reminders.compose, setup.links, due, now=now)) if due.count() else {}
    )
    # kept in the database, where every worker's outbox page finds it (reminders.unmade_count)
    _log_unmade(await db.write(partial(reminders.note_unmade, unmade=due.unmade, now=now)))
    added = 0
    # in slices, so one pass of thousands never holds the writer long (on SQLite it commits on the event loop)
    for workspace_id, drafts in composed.items():
        for start in range(0, len(drafts), 500):
            added += await db.write(
                partial(
                    reminders.store,
                    drafts={workspace_id: drafts[start : start + 500]},
                    domain=setup.links.domain,
                )
            )
    return added


def _log_unmade(new: list[reminders.Unmade]) -> None:
    """Log what a pass could not make that the pass before had not found (ids only, no one's data)."""
    for item in new:
        log.error(
            "mail: the %s mails of %s (workspace %d) could not be made (%s); the other mails are queued",
            item.kind,
            item.row(),
            item.workspace_id,
            item.error,
        )


async def keep_reminders(db: Database, setup: MailSetup, *, secret: str) -> None:
    """Run the scheduler's pass shortly after start, then every hour (old messages go in a pass of their own:
    app/main.py start_passes)."""

    async def reminders() -> None:
        now = utcnow()
        added = await reminder_pass(db, setup, secret=secret, today=local_day(now), now=now)
        if added:
            log.info("mail: %d reminders and digests queued", added)

    # a failed pass is caught up by the next: every mail has its key
    await repeat(PASS_FIRST_RUN_S, PASS_EVERY_S, reminders, failed="mail: the reminder pass failed", log=log)


async def start_sending(db: Database, setup: MailSetup) -> Sender | None:
    """Say at start what mail will do; with a usable server, a sender to run (check_server asks the server)."""
    if setup.problem:
        log.error("mail: %s The outbox page shows what would have been sent.", in_english(setup.problem))
        return None
    if setup.config is None:
        log.info("mail: DOORBRAAK_SMTP_URL is not set; the outbox page shows what would have been sent")
        return None
    return Sender(
        db,
        setup.config,
        on_note=lambda note: setattr(setup, "server_note", note or None),
        base_url=setup.links.base_url,
    )


async def check_server(sender: Sender, setup: MailSetup) -> None:
    """Connect and sign in once and say how it went, in the log and on the outbox page.

    Run beside the app rather than before it: a server that does not answer holds a connection up to its
    timeout (30 s), and the app should take requests meanwhile.
    """
    assert setup.config is not None
    refused = await anyio.to_thread.run_sync(sender.check_login)
    if refused:
        setup.server_note = refused
        log.error("mail: %s (%s); messages wait in the outbox and are tried again", refused, setup.config.describe())
    else:
        log.info("mail: sending through %s", setup.config.describe())
