"""The follow-up's look back: the open actions of an earlier workshop, and what their owners report."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.actions.service import action_view, action_views
from app.errors import DomainError
from app.i18n import N_
from app.models import ACTION_STATUSES, Action, ActionUpdate, Participant, Workshop, utcnow
from app.security import clean_text
from app.store.events import Audience, EventKind, Tx, append_event

NOTE_MAX = 280


def _earlier_workshop(db: Session, *, workshop: Workshop) -> Workshop | None:
    return db.get(Workshop, workshop.review_of) if workshop.review_of else None


def review_items(db: Session, *, workshop: Workshop) -> dict[str, Any]:
    """The earlier workshop and its actions under review: the ones still open, plus any reported on here."""
    earlier = _earlier_workshop(db, workshop=workshop)
    if earlier is None:
        return {"workshop": None, "items": []}
    updates = {
        update.action_id: update
        for update in db.execute(select(ActionUpdate).where(col(ActionUpdate.workshop_id) == workshop.id)).scalars()
    }
    actions = [
        action
        for action in db.execute(
            select(Action)
            .where(col(Action.workshop_id) == earlier.id, col(Action.deleted_at).is_(None))
            .order_by(col(Action.id))
        ).scalars()
        if action.status != "klaar" or action.id in updates
    ]
    return {
        "workshop": {"id": earlier.id, "title": earlier.title, "held_on": earlier.held_on.isoformat()},
        "items": [_item(view, updates.get(view["id"])) for view in action_views(db, actions)],
    }


def _item(view: dict[str, Any], update: ActionUpdate | None) -> dict[str, Any]:
    """An action under review: as it was when the session opened, and as reported now."""
    return {
        **view,
        "before": update.status_before if update else view["status"],
        # as reported in this session: a later session may move the action on, this one's record stays
        "status": update.status if update else view["status"],
        "note": update.note if update else "",
        "reported": update is not None,
    }


def candidates(db: Session, *, workshop: Workshop) -> list[Workshop]:
    """The facilitator's other workshops that have actions, newest first: what a follow-up can look back on."""
    with_actions = select(col(Action.workshop_id)).where(col(Action.deleted_at).is_(None))
    query = (
        select(Workshop)
        .where(col(Workshop.facilitator_id) == workshop.facilitator_id, col(Workshop.id) != workshop.id)
        .where(col(Workshop.id).in_(with_actions))
        .order_by(col(Workshop.held_on).desc(), col(Workshop.id).desc())
    )
    return list(db.execute(query).scalars())


def set_review_source(db: Tx, *, workshop: Workshop, review_of: int | None) -> dict[str, Any]:
    """Choose the earlier workshop whose actions this one reviews; fixed once someone has reported."""
    if review_of == workshop.review_of:
        return review_items(db, workshop=workshop)
    if review_of is not None and review_of not in {w.id for w in candidates(db, workshop=workshop)}:
        raise DomainError("no_such_review", N_("Kies een eerdere workshop van jezelf met afspraken."), status=422)
    reported = select(col(ActionUpdate.id)).where(col(ActionUpdate.workshop_id) == workshop.id).limit(1)
    if db.execute(reported).first():
        raise DomainError("review_started", N_("Er is al over afspraken verteld: de terugblik ligt vast."), status=409)
    workshop.review_of = review_of
    db.flush()
    review = review_items(db, workshop=workshop)
    append_event(db, workshop_id=workshop.id or 0, kind=EventKind.REVIEW_CHANGED, audience=Audience.ALL, data=review)
    return review


def report_progress(
    db: Tx, *, workshop_id: int, participant_id: int | None, action_id: int, status: str, note: str
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
    if action is None or action.deleted_at is not None or action.workshop_id != workshop.review_of:
        raise DomainError("not_under_review", N_("Deze afspraak staat niet op de lijst van vandaag."), status=404)
    if status not in ACTION_STATUSES:
        raise DomainError(
            "bad_status", N_("Kies een van de standen: {statuses}."), status=422, statuses=", ".join(ACTION_STATUSES)
        )
    note = clean_text(note)
    if len(note) > NOTE_MAX:
        raise DomainError(
            "too_long", N_("Je toelichting is te lang: maximaal {limit} tekens."), status=422, limit=NOTE_MAX
        )
    update = db.execute(
        select(ActionUpdate).where(
            col(ActionUpdate.workshop_id) == workshop_id, col(ActionUpdate.action_id) == action_id
        )
    ).scalar_one_or_none()
    if update is None:
        update = ActionUpdate(workshop_id=workshop_id, action_id=action_id, status_before=action.status, status=status)
        db.add(update)
    elif (update.status, update.note) == (status, note):
        return _item(action_view(db, action), update)  # a resend changes nothing
    if participant_id is not None:
        participant = db.get(Participant, participant_id)
        update.participant_id = participant.id if participant and participant.workshop_id == workshop_id else None
    update.status, update.note, update.updated_at = status, note, utcnow()
    # the action itself moves too: the programme office tracks it across sessions
    action.status = status
    db.flush()
    view = action_view(db, action)
    append_event(db, workshop_id=action.workshop_id, kind=EventKind.ACTION_SAVED, audience=Audience.ALL, data=view)
    item = _item(view, update)
    append_event(db, workshop_id=workshop_id, kind=EventKind.REVIEW_SAVED, audience=Audience.ALL, data=item)
    return item
