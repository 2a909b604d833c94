"""The scheduler's pass: reminders before due dates and follow-up meetings, one question after a due date passed
with the action not done, and members' weekly digests.

A pass is idempotent: every mail has a key (kind, recipient, action or meeting, date; a digest its week) and
the outbox takes a key once, so passes may run as often as wanted, from several workers at once. A pass reads
what is due (a reader thread), composes the mails (a worker thread: templates), and hands them to the writer.
"""

import traceback
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from app.actions import reporting
from app.actions import service as actions
from app.actions.register_filter import RegisterFilter
from app.addresses import address_key
from app.exports.ics import calendar_bytes, followup_event, new_calendar
from app.models import (
    LOCAL_TIMEZONE,
    ON_PROPOSAL,
    Action,
    ActionChange,
    Facilitator,
    MailSuppression,
    Membership,
    Participant,
    UnmadeMail,
    Volunteer,
    Workshop,
    Workspace,
    as_utc,
    day_start,
    local_day,
)
from app.notify import mails, outbox
from app.notify.mails import ActionFacts, DigestFacts, DigestSection, Links, MeetingFacts, Recipient
from app.notify.outbox import Draft
from app.organisations.service import organisation_key
from app.store.events import Tx
from app.workshops.service import link_token

REMINDER_DAYS = 3
# the question after a due date goes this many days after it (DOORBRAAK_OVERDUE_REMINDER_DAYS); a pass that did not
# run that day (the server down) still asks up to a week later, and never of a date longer past
OVERDUE_DAYS = 3
OVERDUE_CATCH_UP_DAYS = 7
# a digest's section lists this many actions, the most urgent first, and links to the register for the rest: with
# hundreds of actions it ran to hundreds of lines
DIGEST_ROWS = 10
# a pass on PostgreSQL holds this advisory lock while it writes, so two workers' passes never race on one key
PASS_LOCK = 748214


@dataclass(frozen=True)
class Unmade:
    """A reminder or digest a pass could not make: which kind, of which workspace, for which row, and what raised
    where (never the row's text: that may be personal)."""

    kind: str  # "action", "meeting" (its row a workshop) or "digest" (its row the workspace)
    workspace_id: int
    row_id: int
    error: str

    def row(self) -> str:
        """The row it is of, as the log names it: "action 12", "workshop 3", "workspace 2"."""
        table = {"action": "action", "meeting": "workshop", "digest": "workspace"}[self.kind]
        return f"{table} {self.row_id}"


@dataclass
class Due:
    """What a pass found to send: per action and per meeting its recipients (an action before its date, or after it
    passed: overdue), per workspace its digest readers; and what it could not make."""

    actions: list[tuple[ActionFacts, list[Recipient]]] = field(default_factory=list)
    overdue: list[tuple[ActionFacts, list[Recipient]]] = field(default_factory=list)
    meetings: list[tuple[MeetingFacts, list[Recipient]]] = field(default_factory=list)
    digests: list[tuple[DigestFacts, list[Recipient]]] = field(default_factory=list)
    unmade: list[Unmade] = field(default_factory=list)

    def count(self) -> int:
        """How many mails this would be."""
        return sum(len(people) for _, people in [*self.actions, *self.overdue, *self.meetings, *self.digests])


@contextmanager
def _alone(
    unmade: list[Unmade], kind: str, *, workspace_id: int, row_id: int, db: Session | None = None
) -> Iterator[None]:
    """Make one action's, meeting's or digest's mails on their own: one that raises is noted and skipped, so one bad
    row never keeps every workspace's reminders. Given the session it reads in, the row's reads run in a savepoint."""
    try:
        if db is None:
            yield
        else:
            # on PostgreSQL an error of the database aborts the whole transaction: rolled back to its savepoint,
            # the failed row leaves the rows after it a transaction they can still read in
            with db.begin_nested():
                yield
    except Exception as exc:  # any fault of one row: the pass goes on with the others
        place = traceback.extract_tb(exc.__traceback__)[-1]
        error = f"{type(exc).__name__} at {place.filename.rsplit('/', 1)[-1]}:{place.lineno}"
        unmade.append(Unmade(kind=kind, workspace_id=workspace_id, row_id=row_id, error=error))


def _person(participant: Participant, *, secret: str) -> Recipient:
    return Recipient(
        address=participant.email or "",
        lang=participant.email_lang,
        name=participant.name,
        participant_id=participant.id,
        link_token=link_token(participant, secret=secret),
    )


def _contact(action: Action) -> Recipient:
    return Recipient(address=action.contact_email or "", lang=action.contact_lang, name=action.contact_person)


def _unique(people: list[Recipient], suppressed: set[tuple[int, str]], workspace_id: int) -> list[Recipient]:
    """One mail per address (a participant before the same address as a bare contact), none to an unsubscribed one."""
    seen: dict[str, Recipient] = {}
    for person in people:
        key = address_key(person.address)
        if key and key not in seen and (workspace_id, key) not in suppressed:
            seen[key] = person
    return list(seen.values())


def _suppressed(db: Session) -> set[tuple[int, str]]:
    return {(w, a) for w, a in db.execute(select(col(MailSuppression.workspace_id), col(MailSuppression.address)))}


def due_mails(
    db: Session, *, today: date, now: datetime, secret: str, days: int = REMINDER_DAYS, overdue_days: int = OVERDUE_DAYS
) -> Due:
    """Everything a pass would send today that the outbox does not hold yet (the secret key derives the participants'
    personal links)."""
    due = Due()
    suppressed = _suppressed(db)
    names = {
        workspace_id or 0: name for workspace_id, name in db.execute(select(col(Workspace.id), col(Workspace.name)))
    }
    _action_reminders(
        db,
        due,
        today=today,
        days=days,
        overdue_days=overdue_days,
        names=names,
        suppressed=suppressed,
        secret=secret,
    )
    _meeting_reminders(db, due, today=today, now=now, days=days, names=names, suppressed=suppressed, secret=secret)
    _digests(db, due, today=today, names=names)
    return _not_yet_queued(db, due)


def _action_reminders(
    db: Session,
    due: Due,
    *,
    today: date,
    days: int,
    overdue_days: int,
    names: dict[int, str],
    suppressed: set[tuple[int, str]],
    secret: str,
) -> None:
    """The reminders of actions due within days, and the question of those whose date passed overdue_days ago: both
    to the same people, while the action is not done."""
    asked_of = today - timedelta(days=overdue_days)
    rows = db.execute(
        select(Action, col(Workshop.title))
        .join(Workshop, col(Workshop.id) == col(Action.workshop_id))
        .where(
            *outbox.still_to_remind(),
            or_(
                col(Action.due_on).between(today, today + timedelta(days=days)),
                col(Action.due_on).between(asked_of - timedelta(days=OVERDUE_CATCH_UP_DAYS), asked_of),
            ),
        )
        .order_by(col(Action.due_on), col(Action.id))
    ).all()
    rows = _unmissed_left_out(db, rows, today=today)
    if not rows:
        return
    # the owner organisation's people of every workshop of the workspace, as the rule (reporting.owns) names them
    # and Mijn afspraken lists the action to them; volunteers and a contact in the room are of its own workshop
    workspace_ids = {action.workspace_id for action, _ in rows}
    with_address = db.execute(
        select(Participant, col(Workshop.workspace_id))
        .join(Workshop, col(Workshop.id) == col(Participant.workshop_id))
        .where(
            col(Workshop.workspace_id).in_(workspace_ids),
            col(Workshop.anonymised_at).is_(None),
            # a typed address is anyone's: a reminder carries the participant's page and buttons that report as
            # them, so only an address its owner confirmed gets one (a mistyped one gets the confirmation only)
            col(Participant.email_confirmed_at).is_not(None),
        )
        .order_by(col(Participant.id))
    ).all()
    # who of each workspace is of which organisation, and has which address: looked up, not searched, per action
    of_organisation: defaultdict[tuple[int, int], list[Participant]] = defaultdict(list)
    of_name: defaultdict[tuple[int, str], list[Participant]] = defaultdict(list)
    by_address: dict[tuple[int, str], Participant] = {}
    by_id = {}
    for participant, workspace_id in with_address:
        if reporting.claims_organisation(participant):
            of_name[(workspace_id, organisation_key(participant.organisation))].append(participant)
            if participant.organisation_id is not None:
                of_organisation[(workspace_id, participant.organisation_id)].append(participant)
        # the contact's reminder carries their page and reports as them
        by_address.setdefault((participant.workshop_id, address_key(participant.email or "")), participant)
        by_id[participant.id] = participant
    hands: defaultdict[int, list[Participant]] = defaultdict(list)
    for action_id, participant_id in db.execute(
        select(col(Volunteer.action_id), col(Volunteer.participant_id))
        .join(Action, col(Action.id) == col(Volunteer.action_id))
        .where(col(Action.workspace_id).in_(workspace_ids))
    ):
        if participant_id in by_id:
            hands[action_id].append(by_id[participant_id])
    for action, workshop_title in rows:
        with _alone(due.unmade, "action", workspace_id=action.workspace_id, row_id=action.id or 0, db=db):
            # the rule's owners (reporting.owns): by the linked organisation, else by the typed names
            named = of_name[(action.workspace_id, organisation_key(action.owner_organisation))]
            if action.owner_organisation_id is not None:
                linked = of_organisation[(action.workspace_id, action.owner_organisation_id)]
                owners = [*linked, *(p for p in named if p.organisation_id is None)]
            else:
                owners = named
            people = [_person(p, secret=secret) for p in [*hands[action.id or 0], *owners]]
            if action.contact_email:
                # a contact who was in the room gets it as a participant: with their own page, their name on reports
                known = by_address.get((action.workshop_id, address_key(action.contact_email)))
                people.append(_person(known, secret=secret) if known else _contact(action))
            people = _unique(people, suppressed, action.workspace_id)
            if people and action.due_on is not None:
                facts = ActionFacts(
                    id=action.id or 0,
                    workspace_id=action.workspace_id,
                    workspace_name=names.get(action.workspace_id, ""),
                    title=action.title,
                    description=action.description,
                    owner=action.owner_organisation,
                    due_on=action.due_on,
                    status=action.status,
                    workshop_title=workshop_title,
                )
                (due.actions if action.due_on >= today else due.overdue).append((facts, people))


def _unmissed_left_out(db: Session, rows: Sequence[Any], *, today: date) -> list[Any]:
    """The rows without the actions whose date had passed already when it was set: agreed with a past date, or given
    one later (a thing done last week, written down today). Their date was never missed while the owner knew it, so
    "how did it go?" asks about nothing; a date set on its own day, or before, passed under the owner's watch and is
    asked about. The date was set when the action was agreed (its created_at: a history's "created" entry of before
    migration 0006 bears the migration's day) or by the latest change of its date; one the office took over from an
    owner's proposal was set when the owner proposed it, who knew it from then on however late the office agreed."""
    past = [action.id for action, _ in rows if action.due_on is not None and action.due_on < today]
    if not past:
        return list(rows)
    moved_at: dict[int, datetime] = {}
    proposed_at: dict[tuple[int, str], datetime] = {}
    for action_id, kind, after, via, at in db.execute(
        select(
            col(ActionChange.action_id),
            col(ActionChange.kind),
            col(ActionChange.after),
            col(ActionChange.via),
            col(ActionChange.at),
        )
        .where(col(ActionChange.action_id).in_(past), col(ActionChange.kind).in_(("due_on", "due_proposed")))
        .order_by(col(ActionChange.id))
    ).all():
        if kind == "due_proposed":
            proposed_at[(action_id, after)] = at
        else:
            moved_at[action_id] = proposed_at.get((action_id, after), at) if via == ON_PROPOSAL else at
    kept = []
    for action, title in rows:
        set_at = max(as_utc(action.created_at), as_utc(moved_at.get(action.id or 0, action.created_at)))
        if action.due_on is None or action.due_on >= today or local_day(set_at) <= action.due_on:
            kept.append((action, title))
    return kept


def _meeting_reminders(
    db: Session,
    due: Due,
    *,
    today: date,
    now: datetime,
    days: int,
    names: dict[int, str],
    suppressed: set[tuple[int, str]],
    secret: str,
) -> None:
    workshops = list(
        db.execute(
            select(Workshop)
            .where(
                col(Workshop.followup_at) > now,
                col(Workshop.followup_at) < day_start(today + timedelta(days=days + 1)),
                col(Workshop.anonymised_at).is_(None),
            )
            .order_by(col(Workshop.id))
        ).scalars()
    )
    for workshop in workshops:
        with _alone(due.unmade, "meeting", workspace_id=workshop.workspace_id, row_id=workshop.id or 0, db=db):
            assert workshop.followup_at is not None
            people = [
                _person(p, secret=secret)
                for p in db.execute(
                    select(Participant)
                    # only a confirmed address: the reminder carries the participant's page
                    .where(
                        col(Participant.workshop_id) == workshop.id,
                        col(Participant.email).is_not(None),
                        col(Participant.email_confirmed_at).is_not(None),
                    )
                    .order_by(col(Participant.id))
                ).scalars()
            ]
            people += [
                _contact(action)
                for action in db.execute(
                    select(Action).where(
                        col(Action.workshop_id) == workshop.id,
                        col(Action.deleted_at).is_(None),
                        col(Action.contact_email).is_not(None),
                    )
                ).scalars()
            ]
            people = _unique(people, suppressed, workshop.workspace_id)
            if not people:
                continue
            calendar = new_calendar(workshop.title)
            event = followup_event(workshop, stamp=now)
            assert event is not None
            calendar.add_component(event)
            meeting = MeetingFacts(
                workshop_id=workshop.id or 0,
                workspace_id=workshop.workspace_id,
                workspace_name=names.get(workshop.workspace_id, ""),
                workshop_title=workshop.title,
                at=workshop.followup_at.astimezone(LOCAL_TIMEZONE),
                place=workshop.followup_place,
                ics=calendar_bytes(calendar).decode(),
            )
            due.meetings.append((meeting, people))


def digest_week(day: date) -> str:
    """The ISO week a digest is for: one digest per member per week."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _digests(db: Session, due: Due, *, today: date, names: dict[int, str]) -> None:
    readers: defaultdict[int, list[Recipient]] = defaultdict(list)
    for membership, account in db.execute(
        select(Membership, Facilitator)
        .join(Facilitator, col(Facilitator.id) == col(Membership.account_id))
        .where(col(Membership.digest).is_(True))
        .order_by(col(Membership.id))
    ).all():
        readers[membership.workspace_id].append(
            Recipient(address=account.email, lang=membership.digest_lang, name=account.name, account_id=account.id)
        )
    # the week from the start of its first day on the Dutch clock, as the register's "since" filters count
    week_ago = today - timedelta(days=7)
    for workspace_id, people in readers.items():
        with _alone(due.unmade, "digest", workspace_id=workspace_id, row_id=workspace_id, db=db):
            section = partial(_section, db, workspace_id=workspace_id)
            digest = DigestFacts(
                workspace_id=workspace_id,
                workspace_name=names.get(workspace_id, ""),
                week=digest_week(today),
                overdue=section(actions.past_deadline_where(today), listed=RegisterFilter(due="overdue")),
                moved=section([actions.moved_since_where(week_ago)], listed=RegisterFilter(moved_since=week_ago)),
                stuck=section([col(Action.status) == "vastgelopen"], listed=RegisterFilter(statuses=("vastgelopen",))),
                new=section([actions.agreed_since_where(week_ago)], listed=RegisterFilter(agreed_since=week_ago)),
            )
            if not digest.empty():
                due.digests.append((digest, people))


def _section(db: Session, where: list[Any], *, workspace_id: int, listed: RegisterFilter) -> DigestSection:
    """The workspace's actions that meet these conditions: the first DIGEST_ROWS in the register's own order (the
    nearest deadline first, none last), and how many in all; the rest are in the register filtered as listed, whose
    address the register's own filter writes."""
    where = [col(Action.workspace_id) == workspace_id, col(Action.deleted_at).is_(None), *where]
    total = db.execute(select(func.count()).select_from(Action).where(*where)).scalar_one()
    first = db.execute(
        select(Action).where(*where).order_by(col(Action.due_on).asc().nulls_last(), col(Action.id)).limit(DIGEST_ROWS)
    ).scalars()
    rows = [{"title": a.title, "owner": a.owner_organisation, "due_on": a.due_on} for a in first]
    return DigestSection(rows=rows, total=int(total), register_query=listed.query())


def _not_yet_queued(db: Session, due: Due) -> Due:
    """Due without the mails the outbox already holds (keys as mails.py makes them)."""
    held = outbox.existing_keys(db, _keys(due))
    return Due(
        actions=[(a, [p for p in people if mails.action_key(a, p) not in held]) for a, people in due.actions],
        overdue=[(a, [p for p in people if mails.overdue_key(a, p) not in held]) for a, people in due.overdue],
        meetings=[(m, [p for p in people if mails.meeting_key(m, p) not in held]) for m, people in due.meetings],
        digests=[(d, [p for p in people if mails.digest_key(d, p) not in held]) for d, people in due.digests],
        unmade=due.unmade,
    )


def _keys(due: Due) -> list[str]:
    return [
        *(mails.action_key(a, p) for a, people in due.actions for p in people),
        *(mails.overdue_key(a, p) for a, people in due.overdue for p in people),
        *(mails.meeting_key(m, p) for m, people in due.meetings for p in people),
        *(mails.digest_key(d, p) for d, people in due.digests for p in people),
    ]


def compose(links: Links, due: Due, *, now: datetime) -> dict[int, list[Draft]]:
    """Every due mail composed, per workspace; an action, meeting or digest whose mails fail goes to due.unmade."""
    drafts: defaultdict[int, list[Draft]] = defaultdict(list)
    for action, people in due.actions:
        with _alone(due.unmade, "action", workspace_id=action.workspace_id, row_id=action.id):
            drafts[action.workspace_id] += [
                mails.action_reminder(links, recipient=p, action=action, now=now) for p in people
            ]
    for action, people in due.overdue:
        with _alone(due.unmade, "action", workspace_id=action.workspace_id, row_id=action.id):
            drafts[action.workspace_id] += [
                mails.overdue_reminder(links, recipient=p, action=action, now=now) for p in people
            ]
    for meeting, people in due.meetings:
        with _alone(due.unmade, "meeting", workspace_id=meeting.workspace_id, row_id=meeting.workshop_id):
            drafts[meeting.workspace_id] += [
                mails.followup_reminder(links, recipient=p, meeting=meeting, now=now) for p in people
            ]
    for digest, people in due.digests:
        with _alone(due.unmade, "digest", workspace_id=digest.workspace_id, row_id=digest.workspace_id):
            drafts[digest.workspace_id] += [
                mails.digest_mail(links, recipient=p, digest=digest, now=now) for p in people
            ]
    return dict(drafts)


def note_unmade(db: Tx, *, unmade: list[Unmade], now: datetime) -> list[Unmade]:
    """Keep what this pass could not make for every worker's outbox page, in place of what the last pass kept (a row
    made again leaves it); returns what the last pass had not found, for the log to say once."""
    if db.get_bind().dialect.name == "postgresql":
        # two workers' passes at once: the second waits and finds the first one's rows
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PASS_LOCK})
    kept = {
        (row.kind, row.row_id): row for row in db.execute(select(UnmadeMail).order_by(col(UnmadeMail.id))).scalars()
    }
    now_unmade = {(item.kind, item.row_id): item for item in unmade}
    gone = [row.id for key, row in kept.items() if key not in now_unmade]
    if gone:
        db.execute(delete(UnmadeMail).where(col(UnmadeMail.id).in_(gone)))
    new = [item for key, item in now_unmade.items() if key not in kept]
    for item in now_unmade.values():
        row = kept.get((item.kind, item.row_id))
        if row is None:
            row = UnmadeMail(kind=item.kind, row_id=item.row_id, workspace_id=item.workspace_id, error="")
            db.add(row)
        row.workspace_id, row.error, row.noted_at = item.workspace_id, item.error[:200], now
    db.flush()
    return new


def unmade_count(db: Session, *, workspace_id: int) -> int:
    """How many of the workspace's reminders and digests the latest pass could not make."""
    query = select(func.count()).select_from(UnmadeMail).where(col(UnmadeMail.workspace_id) == workspace_id)
    return int(db.execute(query).scalar_one())


def store(db: Tx, *, drafts: dict[int, list[Draft]], domain: str) -> int:
    """Queue composed mails, leaving out any key already held and any address unsubscribed meanwhile."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PASS_LOCK})
    suppressed = _suppressed(db)
    added = 0
    for workspace_id, some in drafts.items():
        wanted = [
            draft
            for draft in some
            if draft.kind == "digest" or (workspace_id, address_key(draft.recipient)) not in suppressed
        ]
        added += outbox.queue(db, workspace_id=workspace_id, drafts=wanted, domain=domain)
    return added
