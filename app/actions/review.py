"""The follow-up's look back: a selection of earlier actions (one workshop's open ones, or any from the register),
what moved since the room last looked at them, and what their owners report."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.actions.reporting import check_reporter
from app.actions.service import action_view, action_views, record_change
from app.addresses import address_key
from app.errors import DomainError
from app.i18n import N_
from app.models import (
    ACTION_STATUSES,
    LOCAL_TIMEZONE,
    REPORT_CHANNELS,
    Action,
    ActionChange,
    ActionUpdate,
    Event,
    Participant,
    ReviewItem,
    Workshop,
    as_utc,
    day_start,
    utcnow,
)
from app.security import clean_text
from app.store.events import Audience, EventKind, Tx, append_event

NOTE_MAX = 280
# the same status with the same note again within this long is the form sent again (a double press, the back
# button, a reload), not news; later it is an owner saying it still stands, which the history keeps
RESENT_WITHIN = timedelta(hours=1)
# the entries of an action's history that set its status: its agreement, a change on the board or in the register
# or reported between sessions, and a report in a follow-up
_STATUS_KINDS = ("created", "status", "review")


class _Change(NamedTuple):
    """An entry of an action's history that set its status, as the look back reads it."""

    kind: str
    before: str
    after: str
    note: str
    workshop_id: int | None
    at: datetime


def review_items(db: Session, *, workshop: Workshop) -> dict[str, Any]:
    """The actions under review here, each with the workshop it was agreed in, what it was when the room last looked
    at it, and what was reported on it."""
    earlier = db.get(Workshop, workshop.review_of) if workshop.review_of else None
    updates = {
        update.action_id: update
        for update in db.execute(select(ActionUpdate).where(col(ActionUpdate.workshop_id) == workshop.id)).scalars()
    }
    rows = db.execute(
        select(Action, col(Workshop.title))
        .join(ReviewItem, col(ReviewItem.action_id) == col(Action.id))
        .join(Workshop, col(Workshop.id) == col(Action.workshop_id))
        .where(col(ReviewItem.workshop_id) == workshop.id, col(Action.deleted_at).is_(None))
        .order_by(col(ReviewItem.id))
    ).all()
    titles = {action.id: title for action, title in rows}
    actions = [action for action, _ in rows]
    looked = statuses_since(db, workshop=workshop, actions=actions)
    agreed_in = {action.id: action.workshop_id for action in actions}
    return {
        "workshop": {"id": earlier.id, "title": earlier.title, "held_on": earlier.held_on.isoformat()}
        if earlier
        else None,
        # one earlier workshop's actions, or a selection from the register (which has no single title to show)
        "source": "workshop" if earlier else ("register" if rows else None),
        # how many earlier workshops the selection spans: a register selection may span several
        "workshops": len(set(titles.values())),
        "items": [
            {
                **_item(view, updates.get(view["id"]), looked[view["id"]]),
                "workshop_id": agreed_in[view["id"]],
                "workshop_title": titles[view["id"]],
            }
            for view in action_views(db, actions)
        ],
    }


def _item(view: dict[str, Any], update: ActionUpdate | None, looked: tuple[str, str, str]) -> dict[str, Any]:
    """An action under review: as it was when the room last looked at it, and as reported now."""
    before, now, said = looked
    # as reported in this session: a later session may move the action on, this one's record stays
    status = update.status if update else now
    return {
        **view,
        "before": before,
        "status": status,
        # said in the session, else what the owner wrote when reporting between the sessions
        "note": (update.note if update else "") or said,
        # what this session's report said, the note a new status picked here keeps: the note written between the
        # sessions is in the history already, and sent again it would read as said in the room
        "report_note": update.note if update else "",
        "reported": update is not None,
        # the one rule for "bewogen" on every screen and export: moved since the room last looked, whether
        # reported here or between the sessions (a mail's button, Mijn afspraken, the register)
        "moved": before != status,
    }


def _over_at(held_on: date, closed_at: datetime | None) -> datetime:
    """When a session was over: when it was closed, at the latest the end of the day it was held (a session never
    stepped to its close was over by then)."""
    day_over = datetime.combine(held_on + timedelta(days=1), time.min, LOCAL_TIMEZONE).astimezone(UTC)
    return min(as_utc(closed_at), day_over) if closed_at else day_over


# what only the room of a session does: its steps, phones, answers, piles, votes, timer, screen, and a follow-up's
# reports. Not an action saved or withdrawn, nor what the office or a phone's own page does later: a report between
# the sessions is logged in the workshop the action was agreed in, and would end that session at the report
_ROOM_KINDS = (
    EventKind.STEP_CHANGED,
    EventKind.PARTICIPANT_JOINED,
    EventKind.ANSWER_CREATED,
    EventKind.ANSWER_HIDDEN,
    EventKind.ANSWER_SHOWN,
    EventKind.CLUSTERS_CHANGED,
    EventKind.VOTES_CHANGED,
    EventKind.RESPONSE_TALLY,
    EventKind.TIMER_CHANGED,
    EventKind.PROJECTOR_CHANGED,
    EventKind.BINGO_CHANGED,
    EventKind.REVIEW_SAVED,
)


def _ended(
    db: Session, held: dict[int, tuple[date, datetime | None]], *, changed_at: list[datetime]
) -> dict[int, datetime]:
    """When each of these sessions (its day and closing) was over, as the look back counts from.

    A session never closed was over by the end of its day (_over_at); when a status changed on that day, outside it or
    not, the room's last own act (_ROOM_KINDS) tells the two apart: a win reported between a morning session and an
    afternoon follow-up moved since the room looked."""
    ended = {}
    for workshop_id, (held_on, closed_at) in held.items():
        over = _over_at(held_on, closed_at)
        if closed_at is None and any(day_start(held_on) <= at < over for at in changed_at):
            last = db.execute(
                select(col(Event.created_at))
                .where(col(Event.workshop_id) == workshop_id, col(Event.kind).in_(_ROOM_KINDS))
                .order_by(col(Event.seq).desc())
                .limit(1)
            ).scalar_one_or_none()
            if last is not None:
                over = min(over, as_utc(last))
        ended[workshop_id] = over
    return ended


def statuses_since(db: Session, *, workshop: Workshop, actions: Sequence[Action]) -> dict[int, tuple[str, str, str]]:
    """Each action's status when the room last looked at it before this follow-up, its status now (as this
    follow-up left it, once it is closed), and the last note reported since, read from the action's history.

    The room last looked at an action at the end of the session it was agreed in, or of a later follow-up that
    reviewed it and was held (closed, or reported in) before this one, whichever is later (_ended). Histories began
    with migration 0006, which recorded each action's status of that day as its start: a move before then is not
    known, and the look back shows the action as the first later entry found it.
    """
    ids = [action.id or 0 for action in actions]
    if not ids:
        return {}
    history: defaultdict[int, list[_Change]] = defaultdict(list)
    for action_id, kind, before, after, note, workshop_id, at in db.execute(
        select(
            col(ActionChange.action_id),
            col(ActionChange.kind),
            col(ActionChange.before),
            col(ActionChange.after),
            col(ActionChange.note),
            col(ActionChange.workshop_id),
            col(ActionChange.at),
        )
        .where(col(ActionChange.action_id).in_(ids), col(ActionChange.kind).in_(_STATUS_KINDS))
        .order_by(col(ActionChange.id))
    ).all():
        history[action_id].append(_Change(kind, before, after, note, workshop_id, as_utc(at)))
    # columns, not entities, here and below: a phone's snapshot of a follow-up asks, and an entity decodes its steps
    held: dict[int, tuple[date, datetime | None]] = {
        workshop_id or 0: (held_on, closed_at)
        for workshop_id, held_on, closed_at in db.execute(
            select(col(Workshop.id), col(Workshop.held_on), col(Workshop.closed_at)).where(
                col(Workshop.id).in_({action.workshop_id for action in actions})
            )
        ).all()
    }
    reported_in = exists().where(
        col(ActionUpdate.workshop_id) == col(ReviewItem.workshop_id),
        col(ActionUpdate.action_id) == col(ReviewItem.action_id),
    )
    reviewed: list[tuple[int, int]] = []
    for action_id, follow_up_id, held_on, closed_at in db.execute(
        select(col(ReviewItem.action_id), col(ReviewItem.workshop_id), col(Workshop.held_on), col(Workshop.closed_at))
        .join(Workshop, col(Workshop.id) == col(ReviewItem.workshop_id))
        .where(col(ReviewItem.action_id).in_(ids), col(ReviewItem.workshop_id) != workshop.id)
        .where(or_(col(Workshop.closed_at).is_not(None), reported_in))
    ).all():
        if (held_on, follow_up_id) < (workshop.held_on, workshop.id or 0):
            held[follow_up_id] = (held_on, closed_at)
            reviewed.append((action_id, follow_up_id))
    # a session's own agreeing ends nothing: only a later change of a status asks when it ended
    changed_at = [c.at for changes in history.values() for c in changes if c.kind != "created"]
    ended = _ended(db, held, changed_at=changed_at)
    looked_at = {action.id or 0: ended[action.workshop_id] for action in actions}
    for action_id, follow_up_id in reviewed:
        looked_at[action_id] = max(looked_at[action_id], ended[follow_up_id])
    over = _over_at(workshop.held_on, workshop.closed_at) if workshop.closed_at else None
    return {
        action.id or 0: (
            _status_at(history[action.id or 0], action.status, after=looked_at[action.id or 0], here=workshop.id),
            action.status if over is None else _status_at(history[action.id or 0], action.status, after=over),
            _said_since(history[action.id or 0], after=looked_at[action.id or 0], until=over),
        )
        for action in actions
    }


def _said_since(changes: list[_Change], *, after: datetime, until: datetime | None) -> str:
    """The note of the latest report between these moments that said something: what the room reads beside a move
    it did not hear in the session."""
    notes = [c.note for c in changes if c.note and c.at > after and (until is None or c.at <= until)]
    return notes[-1] if notes else ""


def _status_at(changes: list[_Change], current: str, *, after: datetime, here: int | None = None) -> str:
    """An action's status at a moment: what the first change of its status since then changed it from.

    here: a follow-up whose own reports count as since, whatever the clock says (a follow-up held before the day
    of the session it looks back on still looks from before its reports).
    """
    for change in changes:
        if change.at > after or (change.kind == "review" and here is not None and change.workshop_id == here):
            # an action agreed since had its first status then
            return change.after if change.kind == "created" else change.before
    return current


def candidates(db: Session, *, workshop: Workshop) -> list[Workshop]:
    """The workspace's other workshops that have actions, newest first: what a follow-up can look back on."""
    with_actions = select(col(Action.workshop_id)).where(col(Action.deleted_at).is_(None))
    query = (
        select(Workshop)
        .where(col(Workshop.workspace_id) == workshop.workspace_id, col(Workshop.id) != workshop.id)
        .where(col(Workshop.id).in_(with_actions))
        .order_by(col(Workshop.held_on).desc(), col(Workshop.id).desc())
    )
    return list(db.execute(query).scalars())


def take_into_review(db: Tx, *, workshop: Workshop, earlier_id: int) -> None:
    """Put an earlier workshop's actions under review here (besides any already selected): those still open, and
    those finished since the room last looked at them, the wins it should see."""
    workshop.review_of = earlier_id
    agreed = db.execute(
        select(Action)
        .where(col(Action.workshop_id) == earlier_id, col(Action.deleted_at).is_(None))
        .order_by(col(Action.id))
    ).scalars()
    actions = list(agreed)
    done = statuses_since(db, workshop=workshop, actions=[a for a in actions if a.status == "klaar"])
    _add_items(
        db,
        workshop=workshop,
        action_ids=[a.id for a in actions if a.id and (a.status != "klaar" or done[a.id][0] != "klaar")],
    )


def _add_items(db: Tx, *, workshop: Workshop, action_ids: list[int]) -> None:
    present = set(
        db.execute(select(col(ReviewItem.action_id)).where(col(ReviewItem.workshop_id) == workshop.id)).scalars()
    )
    db.add_all(
        ReviewItem(workshop_id=workshop.id or 0, action_id=action_id)
        for action_id in dict.fromkeys(action_ids)
        if action_id not in present
    )
    db.flush()


def _refuse_once_reported(db: Session, *, workshop: Workshop) -> None:
    reported = select(col(ActionUpdate.id)).where(col(ActionUpdate.workshop_id) == workshop.id).limit(1)
    if db.execute(reported).first():
        raise DomainError("review_started", N_("Er is al over afspraken verteld: de terugblik ligt vast."), status=409)


def set_review_source(db: Tx, *, workshop: Workshop, review_of: int | None) -> dict[str, Any]:
    """Choose the earlier workshop whose open actions this one reviews; fixed once someone has reported."""
    if review_of == workshop.review_of:
        return review_items(db, workshop=workshop)
    if review_of is not None and review_of not in {w.id for w in candidates(db, workshop=workshop)}:
        raise DomainError(
            "no_such_review", N_("Kies een eerdere workshop van deze werkruimte met afspraken."), status=422
        )
    _refuse_once_reported(db, workshop=workshop)
    db.execute(delete(ReviewItem).where(col(ReviewItem.workshop_id) == workshop.id))
    workshop.review_of = None
    if review_of is not None:
        take_into_review(db, workshop=workshop, earlier_id=review_of)
    db.flush()
    return _announce(db, workshop)


def select_for_review(db: Tx, *, workshop: Workshop, action_ids: list[int]) -> dict[str, Any]:
    """Review any actions of the workspace here (a selection from the register); fixed once someone has reported."""
    _refuse_once_reported(db, workshop=workshop)
    found = set(
        db.execute(
            select(col(Action.id)).where(
                col(Action.id).in_(action_ids),
                col(Action.workspace_id) == workshop.workspace_id,
                col(Action.workshop_id) != workshop.id,
                col(Action.deleted_at).is_(None),
            )
        ).scalars()
    )
    if len(found) != len(set(action_ids)):
        raise DomainError("action_not_found", N_("Een van deze afspraken bestaat niet (meer)."), status=404)
    db.execute(delete(ReviewItem).where(col(ReviewItem.workshop_id) == workshop.id))
    workshop.review_of = None
    _add_items(db, workshop=workshop, action_ids=action_ids)
    return _announce(db, workshop)


def _announce(db: Tx, workshop: Workshop) -> dict[str, Any]:
    review = review_items(db, workshop=workshop)
    append_event(db, workshop_id=workshop.id or 0, kind=EventKind.REVIEW_CHANGED, audience=Audience.ALL, data=review)
    return review


def report_progress(
    db: Tx,
    *,
    workshop_id: int,
    participant_id: int | None,
    action_id: int,
    status: str,
    note: str,
    account_id: int | None = None,
) -> dict[str, Any]:
    """An owner's report on an earlier action: its new status and what happened; sending again replaces it."""
    workshop = db.get(Workshop, workshop_id)
    assert workshop is not None
    step = workshop.steps[workshop.step_index]
    if participant_id is not None and (workshop.closed_at is not None or step["type"] != "action_review"):
        raise DomainError(
            "step_closed", N_("Deze vraag is gesloten. Kijk op het scherm wat nu aan de beurt is."), status=409
        )
    action = db.get(Action, action_id, with_for_update=True)
    under_review = select(col(ReviewItem.id)).where(
        col(ReviewItem.workshop_id) == workshop_id, col(ReviewItem.action_id) == action_id
    )
    if action is None or action.deleted_at is not None or db.execute(under_review).first() is None:
        raise DomainError("not_under_review", N_("Deze afspraak staat niet op de lijst van vandaag."), status=404)
    if participant_id is not None:
        # a phone reports only on what is its own: its organisation's, its raised hand's, its contact's
        participant = db.get(Participant, participant_id)
        if participant is None or participant.workshop_id != workshop_id:
            raise DomainError("not_a_participant", N_("Meld je eerst aan voor deze workshop."), status=403)
        check_reporter(db, action=action, participant=participant)
    status, note = _checked_report(status, note)
    update = db.execute(
        select(ActionUpdate).where(
            col(ActionUpdate.workshop_id) == workshop_id, col(ActionUpdate.action_id) == action_id
        )
    ).scalar_one_or_none()
    if update is None:
        update = ActionUpdate(workshop_id=workshop_id, action_id=action_id, status_before=action.status, status=status)
        db.add(update)
    elif (update.status, update.note) == (status, note):
        return _reported(db, action, update)  # a resend changes nothing
    if participant_id is not None:
        update.participant_id = participant_id
    update.status, update.note, update.updated_at = status, note, utcnow()
    record_change(
        db,
        action,
        "review",
        before=action.status,
        after=status,
        note=note,
        account_id=account_id,
        participant_id=update.participant_id,
        workshop_id=workshop_id,
    )
    # the action itself moves too: the programme office tracks it across sessions
    action.status = status
    db.flush()
    view = action_view(db, action)
    append_event(db, workshop_id=action.workshop_id, kind=EventKind.ACTION_SAVED, audience=Audience.ALL, data=view)
    item = _reported(db, action, update, view=view)
    append_event(db, workshop_id=workshop_id, kind=EventKind.REVIEW_SAVED, audience=Audience.ALL, data=item)
    return item


def _reported(
    db: Session, action: Action, update: ActionUpdate, *, view: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A reported item as review_items lists it, with the workshop it was agreed in: it replaces that entry."""
    agreed_in = db.get(Workshop, action.workshop_id)
    follow_up = db.get(Workshop, update.workshop_id)
    assert follow_up is not None
    looked = statuses_since(db, workshop=follow_up, actions=[action])[action.id or 0]
    return {
        **_item(view or action_view(db, action), update, looked),
        "workshop_id": action.workshop_id,
        "workshop_title": agreed_in.title if agreed_in else "",
    }


def _checked_report(status: str, note: str) -> tuple[str, str]:
    """A report's status and cleaned note; a clear refusal for an unknown status or a note over the limit."""
    if status not in ACTION_STATUSES:
        raise DomainError(
            "bad_status", N_("Kies een van de standen: {statuses}."), status=422, statuses=", ".join(ACTION_STATUSES)
        )
    note = clean_text(note)
    if len(note) > NOTE_MAX:
        raise DomainError(
            "too_long", N_("Je toelichting is te lang: maximaal {limit} tekens."), status=422, limit=NOTE_MAX
        )
    return status, note


def _last_status_note(db: Session, *, action_id: int, status: str) -> str | None:
    """The note of the action's latest change of status, if that change set this status within RESENT_WITHIN; else
    None."""
    latest = db.execute(
        select(col(ActionChange.after), col(ActionChange.note), col(ActionChange.at))
        .where(col(ActionChange.action_id) == action_id, col(ActionChange.kind) == "status")
        .order_by(col(ActionChange.id).desc())
        .limit(1)
    ).first()
    if latest is None or latest[0] != status or as_utc(latest[2]) < utcnow() - RESENT_WITHIN:
        return None
    return latest[1]


def report_between_sessions(
    db: Tx,
    *,
    action_id: int,
    status: str,
    note: str,
    via: str,
    participant: Participant | None = None,
    contact_address: str | None = None,
) -> dict[str, Any]:
    """A report outside any session, from a participant (checked against the rule) or the action's contact by mail.

    The action's history, its workshop's screens and every running follow-up that reviews it hear of it at once.
    """
    assert via in REPORT_CHANNELS
    action = db.get(Action, action_id, with_for_update=True)
    if action is None or action.deleted_at is not None:
        raise DomainError("action_not_found", N_("Deze afspraak bestaat niet (meer)."), status=404)
    if participant is not None:
        check_reporter(db, action=action, participant=participant)
    elif not (
        contact_address and action.contact_email and address_key(contact_address) == address_key(action.contact_email)
    ):
        # the mail went to an address that is no longer the action's contact
        raise DomainError("not_reporter", N_("Je bent niet meer de contactpersoon van deze afspraak."), status=403)
    status, note = _checked_report(status, note)
    if status == action.status and (not note or _last_status_note(db, action_id=action_id, status=status) == note):
        # nothing new to tell: a second press (or a form sent again) adds nothing to the history
        return action_view(db, action)
    record_change(
        db,
        action,
        "status",
        before=action.status,
        after=status,
        note=note,
        participant_id=participant.id if participant else None,
        via=via,
    )
    action.status = status
    db.flush()
    view = action_view(db, action)
    append_event(db, workshop_id=action.workshop_id, kind=EventKind.ACTION_SAVED, audience=Audience.ALL, data=view)
    announce_to_reviews(db, action_ids=[action_id])
    return view


def announce_to_reviews(db: Tx, *, action_ids: list[int]) -> None:
    """Tell every running follow-up that reviews one of these actions its review anew: its board and phones show
    the actions as they are now."""
    reviewing = db.execute(
        select(Workshop)
        .where(col(Workshop.closed_at).is_(None))
        .where(
            col(Workshop.id).in_(select(col(ReviewItem.workshop_id)).where(col(ReviewItem.action_id).in_(action_ids)))
        )
        .order_by(col(Workshop.id))
    ).scalars()
    for follow_up in reviewing:
        _announce(db, follow_up)
