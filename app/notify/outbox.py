"""The outbox: mails written in the writer's transaction, claimed by one sender each, and the result recorded.

A claim marks rows "sending" and moves their next_attempt_at to when the claim lapses, so a sender that dies
leaves rows that any sender claims again once that moment has passed (due means: pending or sending, and
next_attempt_at has come). On PostgreSQL the claim locks its rows with FOR UPDATE SKIP LOCKED, so two senders
never claim the same row; on SQLite the writer's BEGIN IMMEDIATE makes every claim wait for the one before.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement
from sqlmodel import col

from app.addresses import address_key
from app.models import (
    Action,
    Facilitator,
    MailSuppression,
    MailToken,
    Membership,
    OutboxMessage,
    Participant,
    Workshop,
    Workspace,
    as_utc,
    day_start,
    local_day,
    utcnow,
)
from app.notify.smtp import UNBUILDABLE, Outgoing, header_text
from app.security import token_digest
from app.store.events import Tx

RETRY_FOR = timedelta(days=1)
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MOST = timedelta(hours=1)
# how long a claim holds: a sender that has not recorded a result by then is taken to have died
LEASE = timedelta(minutes=5)
# messages, sent or not, are removed after this long: they name their recipients
KEEP = timedelta(days=30)


@dataclass(frozen=True)
class Draft:
    """A mail as composed (app/notify/mails.py), with the links in it that work without signing in."""

    kind: str
    dedupe_key: str
    recipient: str
    # the participant it is written for or was asked by (OutboxMessage.participant_id)
    participant_id: int | None
    lang: str
    subject: str
    body_text: str
    body_html: str
    attachment: str = ""
    unsubscribe_url: str = ""
    # MailToken rows as column values (cheaper than model instances by the thousand)
    tokens: tuple[dict[str, Any], ...] = ()
    # a reminder's fact as it stood (OutboxMessage.action_id, workshop_id, about_at): checked again as it is sent
    action_id: int | None = None
    workshop_id: int | None = None
    about_at: datetime | None = None


@dataclass(frozen=True)
class Backoff:
    """When to try a refused or unsent message again, and for how long before it is given up on."""

    first: timedelta = BACKOFF_FIRST
    most: timedelta = BACKOFF_MOST
    retry_for: timedelta = RETRY_FOR

    def delay(self, attempts: int) -> timedelta:
        """The wait after the given number of attempts: doubling from the first, at most the most."""
        doubled: timedelta = self.first * 2 ** max(attempts - 1, 0)
        return min(doubled, self.most)


def dedupe_key(kind: str, *parts: object) -> str:
    """The key that makes a message once-only: its kind and what it is about; an address enters only as a hash."""
    return ":".join([kind, *(str(part) for part in parts)])[:200]


def address_hash(address: str) -> str:
    """A short stable stand-in for an address inside a key."""
    return hashlib.sha256(address.encode()).hexdigest()[:24]


def new_message_id(domain: str) -> str:
    """A Message-ID unique to this message, chosen before the first attempt."""
    return f"<{secrets.token_hex(16)}@{domain}>"


def existing_keys(db: Session, keys: list[str]) -> set[str]:
    """Which of these keys already have a message."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(
            db.execute(select(col(OutboxMessage.dedupe_key)).where(col(OutboxMessage.dedupe_key).in_(chunk))).scalars()
        )
    return found


def queue(db: Tx, *, workspace_id: int, drafts: list[Draft], domain: str) -> int:
    """Add the drafts whose key has no message yet, with their links; returns how many were added."""
    held = existing_keys(db, [draft.dedupe_key for draft in drafts])
    now = utcnow()
    messages: list[dict[str, Any]] = []
    tokens: list[dict[str, Any]] = []
    for draft in drafts:
        if draft.dedupe_key in held:
            continue
        held.add(draft.dedupe_key)
        messages.append(
            {
                "workspace_id": workspace_id,
                "kind": draft.kind,
                "dedupe_key": draft.dedupe_key,
                "recipient": draft.recipient,
                "participant_id": draft.participant_id,
                "lang": draft.lang,
                "subject": header_text(draft.subject),
                "body_text": draft.body_text,
                "body_html": draft.body_html,
                "attachment": draft.attachment,
                "unsubscribe_url": draft.unsubscribe_url,
                "action_id": draft.action_id,
                "workshop_id": draft.workshop_id,
                "about_at": draft.about_at,
                "message_id": new_message_id(domain),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "first_attempt_at": None,
                "last_error": "",
                "created_at": now,
                "sent_at": None,
            }
        )
        tokens += [{**token, "created_at": now, "used_at": None} for token in draft.tokens]
    # a statement for many rows at a time (insertmanyvalues): a pass may bring thousands; render_nulls keeps rows
    # with a None (a link without an action) in the same batch rather than one statement per row
    if messages:
        db.execute(insert(OutboxMessage).execution_options(render_nulls=True), messages)
    if tokens:
        db.execute(insert(MailToken).execution_options(render_nulls=True), tokens)
    return len(messages)


# mails that go to an address only while its owner wants them: a participant's carry their page and buttons that
# report as them (a confirmation, and a resubscribe mail, go to an address not confirmed or unsubscribed by design;
# a confirmation stays counted against the day's limit, whatever became of its address)
_WANTED_ONLY = ("action_reminder", "overdue_reminder", "followup_reminder", "link")


def _unwanted(db: Session, rows: list[OutboxMessage]) -> set[int]:
    """Which of these messages were queued for an address that has since unsubscribed from the workspace, or that is
    no longer on file for whom they were written: a participant's confirmed address (changed, removed, or
    forgotten), an action's contact (an action's reminder; a follow-up's goes to its workshop's actions' contacts),
    or a member's, while their digest is on."""
    keys = {row.id: address_key(row.recipient) for row in rows}
    suppressed = set(
        db.execute(
            select(col(MailSuppression.workspace_id), col(MailSuppression.address)).where(
                col(MailSuppression.workspace_id).in_({row.workspace_id for row in rows}),
                col(MailSuppression.address).in_(set(keys.values())),
            )
        ).all()
    )
    ids = {row.participant_id for row in rows if row.participant_id is not None and row.kind in _WANTED_ONLY}
    people = {
        participant_id: (address_key(email or ""), confirmed is not None)
        for participant_id, email, confirmed in db.execute(
            select(col(Participant.id), col(Participant.email), col(Participant.email_confirmed_at)).where(
                col(Participant.id).in_(ids)
            )
        ).all()
    }
    on_file = _addresses_on_file(db, [row for row in rows if row.participant_id is None])
    unwanted = set()
    for row in rows:
        key = keys[row.id]
        if row.kind in _WANTED_ONLY and (row.workspace_id, key) in suppressed:
            unwanted.add(row.id or 0)
        elif row.participant_id is not None and row.kind in _WANTED_ONLY:
            address, confirmed = people.get(row.participant_id, ("", False))
            if address != key or not confirmed:
                unwanted.add(row.id or 0)
        elif (about := _written_for(row)) is not None and key not in on_file.get(about, set()):
            unwanted.add(row.id or 0)
    return unwanted


def _written_for(row: OutboxMessage) -> tuple[str, int] | None:
    """Whose address a message without a participant went to, as _addresses_on_file keys it: an action's contact
    ("action", its id), a follow-up's contacts ("meeting", the workshop's id), a workspace's digest readers ("digest",
    its id); None for a mail not sent to an address on file, or one queued before reminders kept what they are of."""
    if row.kind in ("action_reminder", "overdue_reminder") and row.action_id is not None:
        return ("action", row.action_id)
    if row.kind == "followup_reminder" and row.workshop_id is not None:
        return ("meeting", row.workshop_id)
    if row.kind == "digest":
        return ("digest", row.workspace_id)
    return None


def _addresses_on_file(db: Session, rows: list[OutboxMessage]) -> dict[tuple[str, int], set[str]]:
    """The addresses on file now (folded) for whom these messages without a participant were written (_written_for):
    each action's contact, the contacts of each workshop's actions, each workspace's members who read its digest."""
    about = {found for row in rows if (found := _written_for(row)) is not None}
    action_ids = {row_id for kind, row_id in about if kind == "action"}
    workshop_ids = {row_id for kind, row_id in about if kind == "meeting"}
    workspace_ids = {row_id for kind, row_id in about if kind == "digest"}
    on_file: dict[tuple[str, int], set[str]] = {}
    if action_ids:
        for action_id, address in db.execute(
            select(col(Action.id), col(Action.contact_email)).where(col(Action.id).in_(action_ids))
        ).all():
            on_file.setdefault(("action", action_id or 0), set()).add(address_key(address or ""))
    if workshop_ids:
        for workshop_id, address in db.execute(
            select(col(Action.workshop_id), col(Action.contact_email)).where(
                col(Action.workshop_id).in_(workshop_ids), col(Action.deleted_at).is_(None)
            )
        ).all():
            on_file.setdefault(("meeting", workshop_id), set()).add(address_key(address or ""))
    if workspace_ids:
        for workspace_id, address in db.execute(
            select(col(Membership.workspace_id), col(Facilitator.email))
            .join(Facilitator, col(Facilitator.id) == col(Membership.account_id))
            .where(col(Membership.workspace_id).in_(workspace_ids), col(Membership.digest).is_(True))
        ).all():
            on_file.setdefault(("digest", workspace_id), set()).add(address_key(address))
    # an empty address is no one's
    for addresses in on_file.values():
        addresses.discard("")
    return on_file


def still_to_remind() -> list[ColumnElement[bool]]:
    """What a reminder of an action needs of it, as conditions on Action and its Workshop: not done, not withdrawn,
    and its workshop's names not removed; the pass that writes reminders and the claim that sends them ask the same."""
    return [col(Action.status) != "klaar", col(Action.deleted_at).is_(None), col(Workshop.anonymised_at).is_(None)]


def _outdated(db: Session, rows: list[OutboxMessage], *, now: datetime) -> set[int]:
    """Which of these reminders remind of what no longer holds: an action done, withdrawn, removed or due on another
    day, or a follow-up moved, cancelled or of a workshop whose names were removed (the next pass writes a reminder
    of the new date, under a key of its own); and a reminder of a due day that has passed on the Dutch clock."""
    action_ids = {row.action_id for row in rows if row.action_id is not None}
    workshop_ids = {row.workshop_id for row in rows if row.workshop_id is not None}
    # an action's due day while it is still to do; a workshop's follow-up while it has one
    action_days: dict[int, datetime] = {}
    if action_ids:
        for action_id, due_on in db.execute(
            select(col(Action.id), col(Action.due_on))
            .join(Workshop, col(Workshop.id) == col(Action.workshop_id))
            .where(col(Action.id).in_(action_ids), *still_to_remind())
        ).all():
            if action_id is not None and due_on is not None:
                action_days[action_id] = day_start(due_on)
    meetings: dict[int, datetime] = {}
    if workshop_ids:
        for workshop_id, followup_at in db.execute(
            select(col(Workshop.id), col(Workshop.followup_at)).where(
                col(Workshop.id).in_(workshop_ids), col(Workshop.anonymised_at).is_(None)
            )
        ).all():
            if workshop_id is not None and followup_at is not None:
                meetings[workshop_id] = as_utc(followup_at)
    outdated = set()
    for row in rows:
        # not a reminder, or one written before reminders kept their fact: sent as it was written
        if row.about_at is None:
            continue
        holds = action_days.get(row.action_id) if row.action_id is not None else meetings.get(row.workshop_id or 0)
        if holds != as_utc(row.about_at):
            outdated.add(row.id or 0)
        elif row.kind == "action_reminder" and local_day(now) > local_day(row.about_at):
            # its words hold on its day at the latest: "vandaag" written on the due day, and left for a retry, would
            # say so of yesterday. Dropped, not rendered again: the day after, the pass writes no reminder of a past
            # date, and the question after it (overdue_reminder) comes in its own time
            outdated.add(row.id or 0)
    return outdated


def _due(db: Tx, *, now: datetime, limit: int) -> list[OutboxMessage]:
    """Up to limit due messages still wanted and still true, locked; the others met on the way are removed."""
    while True:
        rows = list(
            db.execute(
                select(OutboxMessage)
                .where(col(OutboxMessage.status).in_(("pending", "sending")), col(OutboxMessage.next_attempt_at) <= now)
                .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
        unwanted = _unwanted(db, rows) | _outdated(db, rows, now=now) if rows else set()
        if not unwanted:
            return rows
        # checked as it is sent, not only as it is queued: a retry, or one a pass wrote before the change
        db.execute(delete(OutboxMessage).where(col(OutboxMessage.id).in_(unwanted)))
        db.flush()
        wanted = [row for row in rows if row.id not in unwanted]
        if wanted:
            return wanted


def claim(db: Tx, *, now: datetime, limit: int, lease: timedelta = LEASE) -> list[Outgoing]:
    """Take up to limit due messages for this sender: each counts an attempt and is held until the lease ends."""
    rows = _due(db, now=now, limit=limit)
    if not rows:
        return []
    names = dict(
        db.execute(
            select(col(Workspace.id), col(Workspace.name)).where(
                col(Workspace.id).in_({row.workspace_id for row in rows})
            )
        ).all()
    )
    claimed = []
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = "sending", row.attempts + 1, now + lease
        row.first_attempt_at = row.first_attempt_at or now
        claimed.append(
            Outgoing(
                id=row.id or 0,
                sender_name=names.get(row.workspace_id, "Doorbraak"),
                recipient=row.recipient,
                subject=row.subject,
                body_text=row.body_text,
                body_html=row.body_html,
                attachment=row.attachment,
                unsubscribe_url=row.unsubscribe_url,
                message_id=row.message_id,
            )
        )
    db.flush()
    return claimed


def record(db: Tx, *, sent: list[int], failed: dict[int, str], now: datetime, backoff: Backoff) -> None:
    """Store what the server said: accepted ones are done (their bodies, with personal links, go); others wait."""
    if sent:
        db.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(sent), col(OutboxMessage.status) == "sending")
            .values(status="sent", sent_at=now, body_text="", body_html="", attachment="", last_error="")
        )
    if failed:
        rows = db.execute(
            select(OutboxMessage).where(col(OutboxMessage.id).in_(failed), col(OutboxMessage.status) == "sending")
        ).scalars()
        for row in rows:
            row.last_error = header_text(failed[row.id or 0])[:500]
            # a message that cannot be built (an address no server takes) comes out the same on every try
            if row.last_error.startswith(UNBUILDABLE) or now - (row.first_attempt_at or now) >= backoff.retry_for:
                row.status = "failed"
            else:
                row.status, row.next_attempt_at = "pending", now + backoff.delay(row.attempts)
    db.flush()


def prune(db: Tx, *, now: datetime, keep: timedelta = KEEP) -> int:
    """Remove messages and mail links older than keep; returns how many messages went."""
    old = db.execute(delete(OutboxMessage).where(col(OutboxMessage.created_at) < now - keep))
    db.execute(delete(MailToken).where(col(MailToken.expires_at) < now))
    return int(getattr(old, "rowcount", 0) or 0)


def outstanding(db: Session) -> int:
    """How many messages of all workspaces wait or are being sent."""
    query = select(func.count()).where(col(OutboxMessage.status).in_(("pending", "sending")))
    return int(db.execute(query).scalar_one())


def recent(db: Session, *, workspace_id: int, limit: int = 100) -> list[OutboxMessage]:
    """The workspace's newest messages, for the outbox page."""
    return list(
        db.execute(
            select(OutboxMessage)
            .where(col(OutboxMessage.workspace_id) == workspace_id)
            .order_by(col(OutboxMessage.id).desc())
            .limit(limit)
        ).scalars()
    )


def counts(db: Session, *, workspace_id: int) -> dict[str, int]:
    """How many of the workspace's messages are in each state."""
    rows = db.execute(
        select(col(OutboxMessage.status), func.count())
        .where(col(OutboxMessage.workspace_id) == workspace_id)
        .group_by(col(OutboxMessage.status))
    ).all()
    found: dict[str, Any] = dict(rows)
    return {status: int(found.get(status, 0)) for status in ("pending", "sending", "sent", "failed")}


def new_token(
    *,
    purpose: str,
    workspace_id: int,
    address: str,
    expires_at: datetime,
    action_id: int | None = None,
    participant_id: int | None = None,
    account_id: int | None = None,
) -> tuple[str, dict[str, Any]]:
    """A link's token, and the MailToken row (as column values) that keeps only its hash."""
    token = secrets.token_urlsafe(24)
    return token, {
        "token_hash": token_digest(token),
        "purpose": purpose,
        "workspace_id": workspace_id,
        "address": address,
        "action_id": action_id,
        "participant_id": participant_id,
        "account_id": account_id,
        "expires_at": expires_at,
    }
