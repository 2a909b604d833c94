"""Personal data kept no longer than needed: the retention period, forgetting one participant, deleting a workshop,
and everything stored about one participant for a data subject request."""

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, or_, select, update
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session
from sqlmodel import col

from app.actions import reporting, review
from app.actions import service as action_service
from app.addresses import address_key
from app.answers import service as answer_service
from app.errors import DomainError, gone_meanwhile, workspace_merged
from app.i18n import N_
from app.labels import MAIL_KIND_LABELS, label
from app.models import (
    Action,
    ActionChange,
    ActionPartner,
    ActionUpdate,
    Answer,
    CalendarFeed,
    Cluster,
    DueProposal,
    Event,
    Invitation,
    LoginSession,
    MailToken,
    OutboxMessage,
    Participant,
    Response,
    ReviewItem,
    Volunteer,
    Vote,
    Workshop,
    Workspace,
    session_ended,
    utcnow,
)
from app.organisations import service as organisations
from app.security import clean_line
from app.store.database import Reads, Writes
from app.store.events import Audience, EventKind, Tx, append_event, workshop_deleted

log = logging.getLogger("doorbraak.privacy")
RETENTION_MIN_MONTHS = 1
RETENTION_MAX_MONTHS = 120
# the keys under which event payloads carry a participant's name, beside their id under "participant" (an answer's
# author, a raised hand)
NAME_KEYS = ("name", "author")
# workshops anonymised in one transaction: a first run, or a shorter period, finds hundreds at once, and on SQLite
# the writer commits on the event loop (500 workshops with 1,000 events each held it 2.8 s in one transaction; ten
# take about 60 ms)
RETENTION_SLICE = 10
# and events deleted in one transaction: a big session leaves tens of thousands (50,000 took 164 ms), so a slice
# ends before it would pass this many, and a workshop with more has one to itself
RETENTION_SLICE_EVENTS = 10_000
# the events a follow-up workshop logs about another workshop's actions, with their volunteers
REVIEW_KINDS = (EventKind.REVIEW_CHANGED.value, EventKind.REVIEW_SAVED.value)
# the mails (labels.MAIL_KIND_LABELS) that name a participant or an action's contact and carry their links: a
# participant's address confirmation and own link, and the reminders the reminder pass writes; not a member's
# digest, nor the confirmation an unsubscribed address is sent (it names no one, and its limit counts it)
REMINDERS = ("action_reminder", "overdue_reminder", "followup_reminder")
MAILS_TO_PEOPLE = ("confirm_address", "link", *REMINDERS)
# participants on one page of a workshop's list: a room of 2,000 is twenty pages
PARTICIPANTS_PAGE = 100
# an invitation that expired or was used is kept this long, so its link still says which of the two it was
ENDED_INVITATIONS_KEPT = timedelta(days=7)


def months_after(day: date, months: int) -> date:
    """The same day so many months later (the month's last day where it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def set_retention(db: Tx, *, workspace_id: int, months: int) -> None:
    """Change how long a workspace keeps its participants' names and contact details."""
    if not RETENTION_MIN_MONTHS <= months <= RETENTION_MAX_MONTHS:
        raise DomainError(
            "bad_retention",
            N_("Kies een bewaartermijn van {low} tot {high} maanden."),
            status=422,
            low=RETENTION_MIN_MONTHS,
            high=RETENTION_MAX_MONTHS,
        )
    workspace = db.get(Workspace, workspace_id)
    if workspace is None:
        raise DomainError("workspace_not_found", N_("Deze werkruimte bestaat niet meer."), status=404)
    workspace.retention_months = months


def due_for_anonymising(db: Session, *, today: date, among: Sequence[int] | None = None) -> list[Workshop]:
    """Workshops (of among, if given) whose workspace's retention period has passed and that still hold names.

    Also those anonymised before that hold names or contact details again: the register and the personal links
    live on, so a member may give an old action a contact, or a participant their address, after the period. Not
    those that only logged events since: an owner's report logs one, and names none that these rows do not hold.
    """
    this_workshop = col(Workshop.id)
    names_again = or_(
        exists().where(
            col(Participant.workshop_id) == this_workshop,
            or_(col(Participant.name) != "", col(Participant.email).is_not(None)),
        ),
        exists().where(
            col(Action.workshop_id) == this_workshop,
            or_(col(Action.contact_person) != "", col(Action.contact_email).is_not(None)),
        ),
        # a contact named and taken away again: anonymising empties these, so any left is newer
        exists().where(
            col(ActionChange.action_id) == col(Action.id),
            col(Action.workshop_id) == this_workshop,
            col(ActionChange.kind) == "contact",
            or_(col(ActionChange.before) != "", col(ActionChange.after) != ""),
        ),
    )
    query = (
        select(Workshop, col(Workspace.retention_months))
        .join(Workspace, col(Workspace.id) == col(Workshop.workspace_id))
        .where(or_(col(Workshop.anonymised_at).is_(None), names_again), col(Workshop.held_on) < today)
        .order_by(col(Workshop.held_on), col(Workshop.id))
    )
    if among is not None:
        query = query.where(col(Workshop.id).in_(among))
    # fresh rows, not those this transaction loaded before it held their workspaces (run_retention)
    rows = db.execute(query.execution_options(populate_existing=True)).all()
    return [workshop for workshop, months in rows if months_after(workshop.held_on, months) <= today]


def due_in_slices(db: Session, *, today: date) -> list[list[int]]:
    """The ids of the workshops due for anonymising, in slices of at most RETENTION_SLICE workshops and
    RETENTION_SLICE_EVENTS events (or one workshop): each slice is one transaction."""
    due = [workshop.id or 0 for workshop in due_for_anonymising(db, today=today)]
    events: dict[int, int] = {}
    for start in range(0, len(due), 500):  # an IN list of a bounded length
        among = due[start : start + 500]
        counted = select(col(Event.workshop_id), func.count()).where(col(Event.workshop_id).in_(among))
        events.update(
            (workshop_id, count) for workshop_id, count in db.execute(counted.group_by(col(Event.workshop_id)))
        )
    slices: list[list[int]] = []
    load = 0
    for workshop_id in due:
        weight = events.get(workshop_id, 0)
        if not slices or len(slices[-1]) == RETENTION_SLICE or load + weight > RETENTION_SLICE_EVENTS:
            slices.append([])
            load = 0
        slices[-1].append(workshop_id)
        load += weight
    return slices


def anonymise_workshop(db: Tx, *, workshop: Workshop) -> int:
    """Remove participants' names and the actions' contact details; answers and actions stay, without names."""
    people = db.execute(
        update(Participant)
        .where(col(Participant.workshop_id) == workshop.id, col(Participant.name) != "")
        .values(**organisations.participant_named("", None), email_confirmed_at=None)
    )
    # e-mail addresses go with the names, and so do the links, feeds and unsent mails that were theirs
    participants = select(col(Participant.id)).where(col(Participant.workshop_id) == workshop.id)
    actions = select(col(Action.id)).where(col(Action.workshop_id) == workshop.id)
    _forget_mail(
        db,
        workspace_id=workshop.workspace_id,
        participants=participants,
        actions=actions,
        contacts=_contact_addresses(db, workshop_id=workshop.id or 0),
    )
    _forget_feeds(db, participants=participants)
    db.execute(
        update(Participant)
        .where(col(Participant.workshop_id) == workshop.id)
        .values(**organisations.participant_named("", None), email_confirmed_at=None)
    )
    db.execute(
        update(ActionChange)
        .where(col(ActionChange.action_id).in_(actions), col(ActionChange.kind) == "contact")
        .values(before="", after="")
    )
    with_contact = select(Action).where(
        col(Action.workshop_id) == workshop.id,
        or_(col(Action.contact_person) != "", col(Action.contact_email).is_not(None)),
    )
    for action in db.execute(with_contact.order_by(col(Action.id))).scalars():
        action.contact_person, action.contact_email = "", None
        # the history says the contact went, never who it was (as forgetting's own entry does); recording it marks
        # the action changed now, so a board's edit form that still holds the name is refused rather than saving it
        action_service.record_change(db, action, "contact_expired")
    # the event log only serves screens catching up during the session, and its payloads carry names
    db.execute(delete(Event).where(col(Event.workshop_id) == workshop.id))
    # the day the names first went, as the privacy page says it
    workshop.anonymised_at = workshop.anonymised_at or utcnow()
    db.flush()
    return int(getattr(people, "rowcount", 0) or 0)


def _contact_addresses(db: Session, *, workshop_id: int) -> list[str | None]:
    """The addresses a workshop's actions' contacts gave."""
    return list(db.execute(select(col(Action.contact_email)).where(col(Action.workshop_id) == workshop_id)).scalars())


def _forget_mail(
    db: Tx,
    *,
    workspace_id: int,
    participants: Select[int | None],
    actions: Select[int | None] | None = None,
    contacts: Iterable[str | None] = (),
) -> None:
    """Remove the links in mails of these participants and actions, and the workspace's mails to them not sent yet
    (app/notify): each names its recipient and carries their links. A participant's are found by whom they were
    written for, never by address; a reminder of these actions by the status link it carries, and one to a contact
    who is no participant by the contact's address (a reminder of something else to the same person goes too, and the
    next reminder pass writes it again).

    What the outbox keeps besides, it keeps its month, untied from the participants: the limits of confirmations
    count those."""
    theirs: ColumnElement[bool] = col(MailToken.participant_id).in_(participants)
    reminded: set[tuple[str, int | None]] = {(address_key(address), None) for address in contacts if address}
    if actions is not None:
        theirs = or_(theirs, col(MailToken.action_id).in_(actions))
        status_links = select(col(MailToken.address), col(MailToken.participant_id)).where(
            col(MailToken.action_id).in_(actions), col(MailToken.purpose) == "status"
        )
        reminded |= {(address_key(address), person) for address, person in db.execute(status_links).all()}
    people = set(db.execute(participants).scalars())
    waiting = db.execute(
        select(
            col(OutboxMessage.id),
            col(OutboxMessage.kind),
            col(OutboxMessage.recipient),
            col(OutboxMessage.participant_id),
        ).where(
            col(OutboxMessage.workspace_id) == workspace_id,
            col(OutboxMessage.status) != "sent",
            col(OutboxMessage.kind).in_(MAILS_TO_PEOPLE),
        )
    ).all()
    dropped = [
        message_id
        for message_id, kind, recipient, person in waiting
        if person in people or (kind in REMINDERS and (address_key(recipient), person) in reminded)
    ]
    if dropped:
        db.execute(delete(OutboxMessage).where(col(OutboxMessage.id).in_(dropped)))
    db.execute(
        update(OutboxMessage).where(col(OutboxMessage.participant_id).in_(participants)).values(participant_id=None)
    )
    db.execute(delete(MailToken).where(theirs))


def _forget_feeds(db: Tx, *, participants: Select[int | None]) -> None:
    """Remove the calendar feeds of these participants (app/notify)."""
    db.execute(delete(CalendarFeed).where(col(CalendarFeed.participant_id).in_(participants)))


def hold_personal_data(db: Tx, *, workspace_ids: Iterable[int]) -> set[int]:
    """Lock the workspaces whose people's data a change removes, the lowest id first, before it writes a row of theirs
    (FOR NO KEY UPDATE on PostgreSQL; SQLite has one writer anyway); returns those still there.

    Forgetting a participant, the retention pass anonymising their workshop and a member deleting it write the same
    rows (names, mails, contacts, the event log) in different orders: holding the workspace first makes the second
    wait for the first to commit, where on their own they deadlocked. A change that only adds rows to the workspace
    (held_workspace's FOR KEY SHARE, a foreign key's check) does not wait for this lock."""
    held = (
        select(col(Workspace.id))
        .where(col(Workspace.id).in_(sorted(set(workspace_ids))))
        .order_by(col(Workspace.id))
        .with_for_update(key_share=True)
    )
    return {workspace_id for workspace_id in db.execute(held).scalars() if workspace_id is not None}


def _refreshed(db: Session, row: Workshop | Participant) -> None:
    """Read the row anew, once its workspace is held; one another change deleted while this waited is refused (409)."""
    try:
        db.refresh(row)
    except InvalidRequestError:  # "could not refresh instance": its row is gone
        raise gone_meanwhile() from None


def run_retention(db: Tx, *, today: date, among: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Anonymise every workshop (of among, if given) past its workspace's retention period; logs and returns what it
    did. Those found are asked again once their workspaces are held: another worker's run may have done them since,
    or a participant been forgotten."""
    found = due_for_anonymising(db, today=today, among=among)
    held = hold_personal_data(db, workspace_ids={workshop.workspace_id for workshop in found})
    done = []
    for workshop in due_for_anonymising(db, today=today, among=[workshop.id or 0 for workshop in found]):
        if workshop.workspace_id not in held:
            continue  # its workspace merged into another meanwhile: the next pass finds it there
        people = anonymise_workshop(db, workshop=workshop)
        log.info("retention: workshop %s (%s) anonymised, %s names removed", workshop.id, workshop.held_on, people)
        done.append({"workshop_id": workshop.id, "held_on": workshop.held_on.isoformat(), "names_removed": people})
    return done


async def retention_pass(read: Reads, write: Writes, *, today: date) -> tuple[list[dict[str, Any]], tuple[int, int]]:
    """Anonymise the workshops past their retention period a slice at a time, so the live rooms' writes go between;
    then delete the sign-ins and invitations that have ended. Returns what run_retention and remove_ended_sign_ins
    did. The server's six-hourly pass and `doorbraak retention` both run it, each with its own read and write."""
    done: list[dict[str, Any]] = []
    for among in await read(partial(due_in_slices, today=today)):
        done += await write(partial(run_retention, today=today, among=among))
    removed = await write(partial(remove_ended_sign_ins, now=utcnow()))
    return done, removed


def remove_ended_sign_ins(db: Tx, *, now: datetime) -> tuple[int, int]:
    """Delete the sign-ins that have ended and the invitations used or expired a while ago; logs and returns how many
    of each went."""
    sessions = db.execute(delete(LoginSession).where(session_ended(now)))
    long_ago = now - ENDED_INVITATIONS_KEPT
    invitations = db.execute(
        delete(Invitation).where(or_(col(Invitation.expires_at) <= long_ago, col(Invitation.used_at) <= long_ago))
    )
    removed = int(getattr(sessions, "rowcount", 0) or 0), int(getattr(invitations, "rowcount", 0) or 0)
    if any(removed):
        log.info("retention: %s ended sign-ins and %s old invitations deleted", *removed)
    return removed


def _without_name(value: Any, participant_id: int, contact_of: set[int]) -> Any:
    """A payload with this participant's name emptied wherever it stands beside their id, and the contact of the
    actions (by id) that named them as it."""
    if isinstance(value, dict):
        theirs = value.get("participant") == participant_id
        contact = "contact" in value and value.get("id") in contact_of
        return {
            key: ""
            if (theirs and key in NAME_KEYS) or (contact and key == "contact")
            else _without_name(item, participant_id, contact_of)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_without_name(item, participant_id, contact_of) for item in value]
    return value


def _contact_actions(db: Session, *, participant: Participant, workspace_id: int) -> list[Action]:
    """The actions whose contact is this participant: by the address they gave, anywhere in the workspace (the rule
    of app/actions/reporting.py); or by their name, on an action of their own workshop made from their contribution
    or while no one else in the room is called so (the name alone never tells two people of one name apart), and
    that gives no address other than theirs."""
    found: list[Action] = []
    # an address its owner has not confirmed may be anyone's: forgetting its typist takes no one else off an action
    email = reporting.confirmed_email(participant)
    if email:
        key = address_key(email)
        addressed = select(Action).where(
            col(Action.workspace_id) == workspace_id, col(Action.contact_email).is_not(None)
        )
        found += [a for a in db.execute(addressed).scalars() if address_key(a.contact_email or "") == key]
    name = participant.name.casefold()
    if not name:
        return found
    named = select(Action).where(col(Action.workshop_id) == participant.workshop_id, col(Action.contact_person) != "")
    # an action whose contact has an address, where the participant gave another, names someone else of the name
    candidates = [
        a
        for a in db.execute(named).scalars()
        if a.contact_person.casefold() == name and a not in found and not (participant.email and a.contact_email)
    ]
    if candidates:
        others = select(col(Participant.name)).where(
            col(Participant.workshop_id) == participant.workshop_id, col(Participant.id) != participant.id
        )
        shared = any(other.casefold() == name for other in db.execute(others).scalars())
        theirs = set(db.execute(select(col(Answer.id)).where(col(Answer.participant_id) == participant.id)).scalars())
        found += [a for a in candidates if not shared or a.contribution_id in theirs]
    return found


def _forget_contact(db: Tx, *, actions: list[Action], participant: Participant) -> None:
    """Take the participant off the actions that name them as contact: the name and address, what the actions'
    history records of them, and the status links in mails to the address as a contact."""
    names = ({participant.name.casefold()} | {a.contact_person.casefold() for a in actions}) - {""}
    addresses = {address_key(a) for a in (participant.email, *(a.contact_email for a in actions)) if a}

    def theirs(recorded: str) -> bool:
        person, address = action_service.recorded_contact(recorded)
        return person.casefold() in names or (bool(address) and address_key(address) in addresses)

    ids = [a.id for a in actions]
    history = select(ActionChange).where(col(ActionChange.action_id).in_(ids), col(ActionChange.kind) == "contact")
    for change in db.execute(history).scalars():
        change.before = "" if theirs(change.before) else change.before
        change.after = "" if theirs(change.after) else change.after
    # a reminder's status link to a contact who is no participant carries their address (one of theirs went with
    # their mails, _forget_mail)
    links = select(MailToken).where(col(MailToken.action_id).in_(ids), col(MailToken.participant_id).is_(None))
    for link in db.execute(links).scalars():
        if address_key(link.address) in addresses:
            db.delete(link)
    for action in actions:
        action.contact_person, action.contact_email = "", None
        # the history says the contact went, never who it was; recording it marks the action changed now, so a
        # board's edit form that still holds the name is refused rather than saving it back
        action_service.record_change(db, action, "contact_forgotten")


def _announce_forgotten(db: Tx, *, participant: Participant, contact_of: list[Action]) -> None:
    """Send the open boards, projectors and phones what showed the participant's name, without it: their answers,
    the actions they raised a hand for or were the contact of, and the follow-ups reviewing those actions."""
    answers = select(Answer).where(col(Answer.participant_id) == participant.id).order_by(col(Answer.id))
    for answer in db.execute(answers).scalars():
        answer_service.announce_again(db, answer=answer, participant=participant)
    hands = select(col(Volunteer.action_id)).where(col(Volunteer.participant_id) == participant.id)
    shown = select(Action).where(
        or_(col(Action.id).in_(hands), col(Action.id).in_([a.id for a in contact_of])),
        col(Action.deleted_at).is_(None),
    )
    changed = list(db.execute(shown.order_by(col(Action.id))).scalars())
    for view, action in zip(action_service.action_views(db, changed), changed, strict=True):
        append_event(db, workshop_id=action.workshop_id, kind=EventKind.ACTION_SAVED, audience=Audience.ALL, data=view)
    review.announce_to_reviews(db, action_ids=[action.id or 0 for action in changed])


def forget_participant(db: Tx, *, participant: Participant) -> None:
    """Remove a participant's name and address at once: from the event log too, with their links in mails and the
    mails not sent to them yet, and from the actions that name them as contact. What they sent, voted and raised a
    hand for stays, without their name; the screens open on it hear so once this commits."""
    workshop = db.get(Workshop, participant.workshop_id)
    assert workshop is not None
    if not hold_personal_data(db, workspace_ids=[workshop.workspace_id]):
        raise workspace_merged()
    # as the retention pass may have left them while this waited for it, or a deleted workshop taken them along
    _refreshed(db, participant)
    this_one = select(col(Participant.id)).where(col(Participant.id) == participant.id)
    contact_of = _contact_actions(db, participant=participant, workspace_id=workshop.workspace_id)
    _forget_mail(
        db,
        workspace_id=workshop.workspace_id,
        participants=this_one,
        contacts=[action.contact_email for action in contact_of],
    )
    _forget_contact(db, actions=contact_of, participant=participant)
    participant.name, participant.email, participant.email_confirmed_at = "", None, None
    # by their id, never by the name: two people in a room may share it. A follow-up workshop's reviews list the
    # volunteers of this one's actions, and another workshop's log the actions it named them contact of
    same_workspace = select(col(Workshop.id)).where(col(Workshop.workspace_id) == workshop.workspace_id)
    contact_ids = {action.id or 0 for action in contact_of}
    elsewhere = {action.workshop_id for action in contact_of} - {workshop.id}
    events = select(Event).where(
        or_(
            col(Event.workshop_id) == workshop.id,
            and_(col(Event.workshop_id).in_(same_workspace), col(Event.kind).in_(REVIEW_KINDS)),
            and_(col(Event.workshop_id).in_(elsewhere), col(Event.kind) == EventKind.ACTION_SAVED.value),
        )
    )
    for event in db.execute(events).scalars():
        scrubbed = _without_name(event.payload, participant.id or 0, contact_ids)
        if scrubbed != event.payload:
            event.payload = scrubbed
    db.flush()
    _announce_forgotten(db, participant=participant, contact_of=contact_of)


@dataclass(frozen=True)
class ParticipantsPage:
    """One page of a workshop's participants, for a member answering a data subject request."""

    rows: list[Participant]
    # in the workshop, and of those the ones the search finds
    total: int
    found: int
    page: int
    pages: int


def participants_page(db: Session, *, workshop_id: int, search: str = "", page: int = 1) -> ParticipantsPage:
    """A workshop's participants whose name or address holds the search, by name (those without one last),
    PARTICIPANTS_PAGE to a page; a page past the last is refused, naming it."""
    of_workshop = col(Participant.workshop_id) == workshop_id
    # by the stored key of the name (organisations.name_key: names as every list sorts them, none last), then by
    # who came first: the database pages, along ix_participant_workshop_name_key
    in_order = (col(Participant.name_key), col(Participant.id))
    total = db.execute(select(func.count()).select_from(Participant).where(of_workshop)).scalar_one()
    # every word typed starts a word of the name or address, accents and case aside, as organisations are found
    # (organisations.matches): asked of the stored search words, so the database finds and pages them too
    typed = organisations.search_words(search)
    found_by = [col(Participant.search_text).contains(f" {word}", autoescape=True) for word in typed]
    count_found = select(func.count()).select_from(Participant).where(of_workshop, *found_by)
    found = db.execute(count_found).scalar_one() if found_by else total
    pages = max(1, math.ceil(found / PARTICIPANTS_PAGE))
    if page > pages:
        raise DomainError(
            "page_out_of_range",
            N_("Pagina {page} bestaat niet: de laatste is {pages}."),
            status=404,
            page=page,
            pages=pages,
        )
    start = (page - 1) * PARTICIPANTS_PAGE
    rows = select(Participant).where(of_workshop, *found_by).order_by(*in_order).offset(start).limit(PARTICIPANTS_PAGE)
    return ParticipantsPage(list(db.execute(rows).scalars()), total=total, found=found, page=page, pages=pages)


def forget_self(db: Tx, *, participant: Participant, confirmed: bool) -> None:
    """Forget a participant from their own link, once they confirmed on the page that says what goes and what
    stays."""
    if not confirmed:
        raise DomainError(
            "forget_not_confirmed",
            N_("Er is niets verwijderd: bevestig eerst op deze pagina dat je naam en e-mailadres weg mogen."),
            status=422,
        )
    forget_participant(db, participant=participant)


def forget_on_request(db: Tx, *, participant: Participant, typed: str) -> None:
    """Forget a participant for a member at a data subject's request, once their name (or, without one, their
    address) is typed to confirm; one with neither left needs no confirmation."""
    shown = participant.name or participant.email or ""
    # one line each: a name stored before names were one line may hold a break, and a form's field cannot
    if shown and clean_line(typed).casefold() != clean_line(shown).casefold():
        what = (
            N_("Typ de naam van de deelnemer precies over om te bevestigen.")
            if participant.name
            else N_("Typ het e-mailadres van de deelnemer precies over om te bevestigen.")
        )
        raise DomainError("confirmation_mismatch", what, status=422)
    forget_participant(db, participant=participant)
    log.info("participant %s forgotten at a member's request", participant.id)


def delete_workshop(db: Tx, *, workshop: Workshop, typed_title: str) -> None:
    """Delete a workshop and everything in it, once its title has been typed to confirm."""
    if clean_line(typed_title).casefold() != clean_line(workshop.title).casefold():
        raise DomainError(
            "title_mismatch", N_("Typ de titel van de workshop precies over om hem te verwijderen."), status=422
        )
    # the workspace first, as forgetting, the retention pass and a workspace merge take it: they write the same rows
    # (names, actions, the log) in other orders, and without it PostgreSQL failed one of the two as a deadlock
    if not hold_personal_data(db, workspace_ids=[workshop.workspace_id]):
        raise workspace_merged()
    _refreshed(db, workshop)
    workshop_id = workshop.id
    action_ids = select(col(Action.id)).where(col(Action.workshop_id) == workshop_id)
    participant_ids = select(col(Participant.id)).where(col(Participant.workshop_id) == workshop_id)
    # what other workshops hold of this one: their reviews of its actions, and the history's mention of it
    db.execute(
        delete(ReviewItem).where(
            or_(col(ReviewItem.action_id).in_(action_ids), col(ReviewItem.workshop_id) == workshop_id)
        )
    )
    db.execute(
        delete(ActionUpdate).where(
            or_(col(ActionUpdate.action_id).in_(action_ids), col(ActionUpdate.workshop_id) == workshop_id)
        )
    )
    db.execute(
        update(ActionUpdate).where(col(ActionUpdate.participant_id).in_(participant_ids)).values(participant_id=None)
    )
    db.execute(delete(ActionChange).where(col(ActionChange.action_id).in_(action_ids)))
    db.execute(
        delete(DueProposal).where(
            or_(col(DueProposal.action_id).in_(action_ids), col(DueProposal.participant_id).in_(participant_ids))
        )
    )
    db.execute(
        update(ActionChange)
        .where(or_(col(ActionChange.workshop_id) == workshop_id, col(ActionChange.participant_id).in_(participant_ids)))
        .values(workshop_id=None, participant_id=None)
    )
    db.execute(update(Workshop).where(col(Workshop.review_of) == workshop_id).values(review_of=None))
    _forget_mail(
        db,
        workspace_id=workshop.workspace_id,
        participants=participant_ids,
        actions=action_ids,
        contacts=_contact_addresses(db, workshop_id=workshop_id or 0),
    )
    _forget_feeds(db, participants=participant_ids)
    for model, column in (
        (Volunteer, col(Volunteer.action_id).in_(action_ids)),
        (ActionPartner, col(ActionPartner.action_id).in_(action_ids)),
        (Vote, col(Vote.workshop_id) == workshop_id),
        (Response, col(Response.workshop_id) == workshop_id),
        (Event, col(Event.workshop_id) == workshop_id),
    ):
        db.execute(delete(model).where(column))
    db.execute(delete(Action).where(col(Action.workshop_id) == workshop_id))
    # answers point to each other (a contribution to its obstacle) and to their piles: untie before deleting
    db.execute(update(Answer).where(col(Answer.workshop_id) == workshop_id).values(links_to=None, cluster_id=None))
    workshop.spotlight_answer_id = None
    db.execute(delete(Answer).where(col(Answer.workshop_id) == workshop_id))
    db.execute(delete(Cluster).where(col(Cluster.workshop_id) == workshop_id))
    db.execute(delete(Participant).where(col(Participant.workshop_id) == workshop_id))
    db.delete(workshop)
    db.flush()
    # its projector, boards and phones still show names and answers: they close once this commits
    workshop_deleted(db, workshop_id=workshop_id or 0)
    log.info("workshop %s deleted at a member's request", workshop_id)


def participant_record(db: Session, *, participant: Participant) -> dict[str, Any]:
    """Everything stored about one participant, for a data subject request (AVG article 15)."""
    workshop = db.get(Workshop, participant.workshop_id)
    assert workshop is not None

    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    answers = db.execute(
        select(Answer).where(col(Answer.participant_id) == participant.id).order_by(col(Answer.id))
    ).scalars()
    responses = db.execute(select(Response).where(col(Response.participant_id) == participant.id)).scalars()
    votes = db.execute(
        select(col(Cluster.name))
        .join(Vote, col(Vote.cluster_id) == col(Cluster.id))
        .where(col(Vote.participant_id) == participant.id)
    ).scalars()
    volunteered = db.execute(
        select(col(Action.title))
        .join(Volunteer, col(Volunteer.action_id) == col(Action.id))
        .where(col(Volunteer.participant_id) == participant.id)
    ).scalars()
    reports = db.execute(select(ActionUpdate).where(col(ActionUpdate.participant_id) == participant.id)).scalars()
    # what the actions' histories record as theirs: reports between sessions, proposed due dates and the office's
    # decisions on them (with the reason they gave)
    history = db.execute(
        select(ActionChange).where(col(ActionChange.participant_id) == participant.id).order_by(col(ActionChange.id))
    ).scalars()
    proposed = db.execute(
        select(DueProposal).where(col(DueProposal.participant_id) == participant.id).order_by(col(DueProposal.id))
    ).scalars()
    # whether the address's owner said yes is not the asker's to know: they may have typed someone else's address
    asked = db.execute(
        select(MailToken)
        .where(col(MailToken.participant_id) == participant.id, col(MailToken.purpose) == "resubscribe")
        .order_by(col(MailToken.id))
    ).scalars()
    # found by whom they were written for, never by address: anyone may type any address, and the outbox's mails to
    # it written for someone else (a contact's reminders, a member's digest) are not theirs
    mails = db.execute(
        select(
            col(OutboxMessage.kind),
            col(OutboxMessage.subject),
            col(OutboxMessage.recipient),
            col(OutboxMessage.created_at),
            col(OutboxMessage.status),
            col(OutboxMessage.sent_at),
        )
        .where(col(OutboxMessage.participant_id) == participant.id)
        .order_by(col(OutboxMessage.id))
    ).all()
    return {
        "participant": {
            "name": participant.name,
            "organisation": participant.organisation,
            "anonymous": participant.anonymous,
            "email": participant.email,
            "email_language": participant.email_lang if participant.email else None,
            "email_confirmed_at": when(participant.email_confirmed_at),
            "organisation_taken_back_at": when(participant.organisation_revoked_at),
            "joined_at": when(participant.joined_at),
        },
        "workshop": {"title": workshop.title, "held_on": workshop.held_on.isoformat()},
        "answers": [
            {"step": a.step_id, "text": a.text, "theme": a.theme, "hidden": a.hidden, "sent_at": when(a.created_at)}
            for a in answers
        ],
        "responses": [{"step": r.step_id, "values": r.values, "at": when(r.updated_at)} for r in responses],
        "votes": list(votes),
        "volunteered_for": list(volunteered),
        "reports": [
            {"action_id": r.action_id, "status": r.status, "note": r.note, "at": when(r.updated_at)} for r in reports
        ],
        "history": [
            {
                "action_id": c.action_id,
                "kind": c.kind,
                "before": c.before,
                "after": c.after,
                "note": c.note,
                "via": c.via,
                "at": when(c.at),
            }
            for c in history
        ],
        # a new due date they proposed that the programme office has not decided on yet
        "date_proposals": [
            {
                "action_id": p.action_id,
                "proposed_on": p.proposed_on.isoformat(),
                "reason": p.reason,
                "via": p.via,
                "at": when(p.proposed_at),
            }
            for p in proposed
        ],
        "confirmations_asked": [
            {"address": t.address, "asked_at": when(t.created_at), "works_until": when(t.expires_at)} for t in asked
        ],
        # waiting, or sent and kept the outbox's month (without their text): what, to where, when, how it went
        "mails": [
            {
                "kind": kind,
                "what": label(MAIL_KIND_LABELS, kind),
                "subject": subject,
                "to": recipient,
                "queued_at": when(queued_at),
                "status": status,
                "sent_at": when(sent_at),
            }
            for kind, subject, recipient, queued_at, status, sent_at in mails
        ],
    }
