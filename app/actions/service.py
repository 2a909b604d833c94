"""Agreed actions, the organisations that share them, volunteers, and the follow-up meeting."""

import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement
from sqlmodel import col

from app import addresses
from app.errors import DomainError
from app.i18n import N_, available_locales
from app.models import (
    ACTION_STATUSES,
    LOCAL_TIMEZONE,
    Action,
    ActionChange,
    ActionPartner,
    Answer,
    Participant,
    Volunteer,
    Workshop,
    as_utc,
    day_start,
    table_of,
    utcnow,
)
from app.organisations import service as organisations
from app.security import clean_line, clean_text
from app.store.database import held_workspace
from app.store.events import Audience, EventKind, Tx, append_event
from app.store.prepared import Prepared
from app.workshops import service as workshops

FOLLOWUP_AFTER = timedelta(days=14)


def past_deadline(*, due_on: date | None, status: str, today: date) -> bool:
    """The one rule for "over de deadline" on every page, export and mail: due before today and not done."""
    return due_on is not None and due_on < today and status != "klaar"


def past_deadline_where(today: date) -> list[ColumnElement[bool]]:
    """past_deadline as conditions on Action, for the register's "over de deadline" and the digest's section."""
    return [col(Action.due_on) < today, col(Action.status) != "klaar"]


def agreed_since_where(day: date) -> ColumnElement[bool]:
    """Agreed on or after this day (on the Dutch clock): the register's filter and the digest's "new"."""
    return col(Action.created_at) >= day_start(day)


def moved_since_where(day: date) -> ColumnElement[bool]:
    """Given another due date on or after this day: the register's filter and the digest's "moved"."""
    moved = select(col(ActionChange.action_id)).where(
        col(ActionChange.kind) == "due_on", col(ActionChange.at) >= day_start(day)
    )
    return col(Action.id).in_(moved)


def changed_stamp(action: Action) -> str:
    """When an action last changed, as an edit form hands it back (the same from either database): a save made
    from an older stamp would overwrite a change its author never saw, and is refused."""
    return as_utc(action.updated_at).isoformat()


def changed_meanwhile() -> DomainError:
    """The refusal of a save made from an edit form filled before someone else's change."""
    return DomainError(
        "changed_meanwhile",
        N_("Intussen heeft iemand anders deze actie gewijzigd. Kijk je wijzigingen na en sla opnieuw op."),
        status=409,
    )


def action_views(db: Session, actions: Sequence[Action]) -> list[dict[str, Any]]:
    """Actions as the board, projector and phones show them: one query per kind of detail, not per action."""
    if not actions:
        # every phone's snapshot asks, most of them before any action is agreed: three queries saved per join
        return []
    ids = [action.id for action in actions]
    partners: defaultdict[int, list[str]] = defaultdict(list)
    partner_ids: defaultdict[int, list[int | None]] = defaultdict(list)
    for action_id, organisation, organisation_id in db.execute(
        select(col(ActionPartner.action_id), col(ActionPartner.organisation), col(ActionPartner.organisation_id))
        .where(col(ActionPartner.action_id).in_(ids))
        .order_by(col(ActionPartner.id))
    ).all():
        partners[action_id].append(organisation)
        partner_ids[action_id].append(organisation_id)
    volunteers: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for action_id, participant_id, name, organisation in db.execute(
        select(col(Volunteer.action_id), col(Participant.id), col(Participant.name), col(Participant.organisation))
        .join(Participant, col(Volunteer.participant_id) == col(Participant.id))
        .where(col(Volunteer.action_id).in_(ids))
        .order_by(col(Volunteer.id))
    ).all():
        volunteers[action_id].append({"participant": participant_id, "name": name, "organisation": organisation})
    obstacle_ids = [action.obstacle_id for action in actions if action.obstacle_id]
    texts = dict(db.execute(select(col(Answer.id), col(Answer.text)).where(col(Answer.id).in_(obstacle_ids))).all())
    return [
        {
            "id": action.id,
            "title": action.title,
            "description": action.description,
            "owner": action.owner_organisation,
            # the organisations in the network's list, beside their names: a phone finds its own by them
            "owner_id": action.owner_organisation_id,
            "partners": partners[action.id or 0],
            "partner_ids": partner_ids[action.id or 0],
            "contact": action.contact_person,
            "due_on": action.due_on.isoformat() if action.due_on else None,
            "status": action.status,
            "obstacle_id": action.obstacle_id,
            "obstacle": texts.get(action.obstacle_id),
            "contribution_id": action.contribution_id,
            "volunteers": volunteers[action.id or 0],
            "seen": changed_stamp(action),
        }
        for action in actions
    ]


def action_view(db: Session, action: Action) -> dict[str, Any]:
    """One action as the board, projector and phones show it."""
    return action_views(db, [action])[0]


_ACTION = table_of(Action)
_LIVE_ACTIONS = Prepared(
    select(_ACTION.c.id).where(_ACTION.c.workshop_id == bindparam("workshop"), _ACTION.c.deleted_at.is_(None))
)


def list_actions(db: Session, *, workshop_id: int) -> list[dict[str, Any]]:
    """A workshop's agreed actions, in the order they were agreed."""
    # every phone's snapshot asks, most of them before any action is agreed: a prepared statement finds there are
    # none, where loading none through the ORM cost a join storm a third of a millisecond per phone
    if not _LIVE_ACTIONS.all(db, {"workshop": workshop_id}):
        return []
    actions = (
        db.execute(
            select(Action)
            .where(col(Action.workshop_id) == workshop_id, col(Action.deleted_at).is_(None))
            .order_by(col(Action.id))
        )
        .scalars()
        .all()
    )
    return action_views(db, actions)


def _answer_of(db: Session, workshop_id: int, answer_id: int | None) -> int | None:
    if answer_id is None:
        return None
    answer = db.get(Answer, answer_id)
    if answer is None or answer.workshop_id != workshop_id:
        raise DomainError("answer_not_found", N_("Dit antwoord bestaat niet in deze workshop."), status=422)
    return answer_id


def record_change(
    db: Tx,
    action: Action,
    kind: str,
    *,
    before: str = "",
    after: str = "",
    note: str = "",
    account_id: int | None = None,
    participant_id: int | None = None,
    workshop_id: int | None = None,
    via: str = "",
) -> None:
    """Add an entry to an action's history and mark the action changed now."""
    now = utcnow()
    db.add(
        ActionChange(
            action_id=action.id or 0,
            kind=kind,
            before=before[:2000],
            after=after[:2000],
            note=note[:500],
            account_id=account_id,
            participant_id=participant_id,
            workshop_id=workshop_id,
            via=via,
            at=now,
        )
    )
    action.updated_at = now


# an action's contact as its history records it: a name, an address in angle brackets, or both
_RECORDED_CONTACT = re.compile(r"^(.*?)\s*<([^<>]*)>$")


def recorded_contact(recorded: str) -> tuple[str, str]:
    """The name and the address in a contact as the history records it (_recorded): "Cor <cor@wijk.nl>"."""
    found = _RECORDED_CONTACT.match(recorded)
    return (found[1], found[2]) if found else (recorded, "")


def _recorded(action: Action, partners: list[str]) -> dict[str, str]:
    """An action's fields as its history writes them."""
    contact = action.contact_person
    if action.contact_email:
        contact = f"{contact} <{action.contact_email}>".strip()
    return {
        "title": action.title,
        "description": action.description,
        "owner": action.owner_organisation,
        "partners": ", ".join(partners),
        "contact": contact,
        "due_on": action.due_on.isoformat() if action.due_on else "",
        "status": action.status,
    }


def _partner_names(db: Session, action_id: int | None) -> list[str]:
    query = select(col(ActionPartner.organisation)).where(col(ActionPartner.action_id) == action_id)
    return list(db.execute(query.order_by(col(ActionPartner.id))).scalars())


def save_action(
    db: Tx,
    *,
    workshop_id: int,
    action_id: int | None = None,
    title: str,
    owner_organisation: str,
    description: str = "",
    partners: list[str] | None = None,
    contact_person: str = "",
    due_on: date | None = None,
    obstacle_id: int | None = None,
    contribution_id: int | None = None,
    status: str = "open",
    account_id: int | None = None,
    contact_email: str | None = None,
    contact_lang: str | None = None,
    seen: str | None = None,
    via: str = "",
    proposer_id: int | None = None,
) -> dict[str, Any]:
    """Agree a new action or change one, recording what changed in its history; phones and projector see it at once.

    seen, the action's changed_stamp when its edit form was filled: a change made since refuses the save (409).

    contact_email None keeps the contact's address as it is (the board does not show it); "" removes it. An address
    given (new or typed again) takes contact_lang, the language its mails go out in: the board's, as whoever typed
    it saw it.

    via ON_PROPOSAL, with the proposing participant (proposer_id, None for a contact by mail): the member makes the
    change on the owner's proposal, and the history says so.
    """
    title, owner = clean_text(title), clean_line(owner_organisation)
    if not title:
        raise DomainError("title_missing", N_("Geef de actie een titel."), status=422)
    if not owner:
        raise DomainError("owner_missing", N_("Welke organisatie is eigenaar van deze actie?"), status=422)
    for value, most, code, message in (
        (title, 200, "title_too_long", N_("De titel is te lang: hoogstens {most} tekens.")),
        (owner, 120, "owner_too_long", N_("De naam van de eigenaar is te lang: hoogstens {most} tekens.")),
        (description, 2000, "description_too_long", N_("De toelichting is te lang: hoogstens {most} tekens.")),
        (contact_person, 120, "contact_too_long", N_("De contactpersoon is te lang: hoogstens {most} tekens.")),
    ):
        if len(value) > most:
            raise DomainError(code, message, status=422, most=most)
    if status not in ACTION_STATUSES:
        raise DomainError("unknown_status", N_("Kies een status: open, bezig, klaar of vastgelopen."), status=422)
    if contact_email:
        contact_email = addresses.checked_address(contact_email)
    contribution_id = _answer_of(db, workshop_id, contribution_id)
    obstacle_id = _answer_of(db, workshop_id, obstacle_id)
    if obstacle_id is None and contribution_id is not None:
        obstacle_id = db.get(Answer, contribution_id).links_to  # type: ignore[union-attr]
    workshop = db.get(Workshop, workshop_id)
    assert workshop is not None
    # before the action's row and the organisations it names, as a workspace merge locks them
    held_workspace(db, workspace_id=workshop.workspace_id)
    owner_found = organisations.resolve_organisation(db, workspace_id=workshop.workspace_id, name=owner)
    if owner_found is not None:
        owner = owner_found.name
    if action_id is None:
        action = Action(
            workshop_id=workshop_id,
            workspace_id=workshop.workspace_id,
            title=title,
            owner_organisation=owner,
        )
        db.add(action)
        earlier = None
    else:
        # locked: a save from the same filled form on another worker waits for this one, then finds it changed
        found = db.get(Action, action_id, with_for_update=True)
        if found is None or found.workshop_id != workshop_id or found.deleted_at is not None:
            raise DomainError("action_not_found", N_("Deze actie bestaat niet (meer)."), status=404)
        if seen is not None and seen != changed_stamp(found):
            raise changed_meanwhile()
        action = found
        earlier = _recorded(action, _partner_names(db, action.id))
    action.title, action.owner_organisation = title, owner
    action.owner_organisation_id = owner_found.id if owner_found else None
    action.description = clean_text(description)
    action.contact_person = clean_line(contact_person)
    if contact_email is not None:
        action.contact_email = contact_email or None
    if contact_email and contact_lang in available_locales():
        action.contact_lang = contact_lang
    action.due_on, action.status = due_on, status
    action.obstacle_id, action.contribution_id = obstacle_id, contribution_id
    db.flush()
    wanted: dict[str, int | None] = {}
    for raw in partners or []:
        name = clean_line(raw)[:120]
        partner = organisations.resolve_organisation(db, workspace_id=workshop.workspace_id, name=name)
        name = partner.name if partner else name
        if name and name != owner and name not in wanted:
            wanted[name] = partner.id if partner else None
    db.execute(delete(ActionPartner).where(col(ActionPartner.action_id) == action.id))
    db.add_all(
        ActionPartner(action_id=action.id or 0, organisation=name, organisation_id=organisation_id)
        for name, organisation_id in wanted.items()
    )
    db.flush()
    now = _recorded(action, list(wanted))
    if earlier is None:
        record_change(db, action, "created", after=action.status, account_id=account_id, workshop_id=workshop_id)
    for kind, value in now.items():
        if earlier is not None and earlier[kind] != value:
            record_change(
                db,
                action,
                kind,
                before=earlier[kind],
                after=value,
                account_id=account_id,
                workshop_id=workshop_id,
                participant_id=proposer_id,
                via=via,
            )
    db.flush()
    view = action_view(db, action)
    append_event(db, workshop_id=workshop_id, kind=EventKind.ACTION_SAVED, audience=Audience.ALL, data=view)
    return view


def delete_action(db: Tx, *, workshop_id: int, action_id: int, account_id: int | None = None) -> None:
    """Withdraw an action; it stays in the database, marked deleted, with its volunteers and history."""
    action = db.get(Action, action_id)
    if action is None or action.workshop_id != workshop_id or action.deleted_at is not None:
        raise DomainError("action_not_found", N_("Deze actie bestaat niet (meer)."), status=404)
    action.deleted_at = utcnow()
    record_change(db, action, "deleted", before=action.title, account_id=account_id, workshop_id=workshop_id)
    db.flush()
    append_event(
        db, workshop_id=workshop_id, kind=EventKind.ACTION_DELETED, audience=Audience.ALL, data={"id": action_id}
    )


def volunteer(db: Tx, *, workshop_id: int, participant_id: int, action_id: int, joining: bool) -> dict[str, Any]:
    """Raise or lower a hand for an action's project team while the session runs; repeating it changes nothing.

    The project team is put together in the room: once the session is closed its hands stand as agreed (the
    besluitenlijst, the register and Mijn afspraken show them), and a phone that comes back late is told so.
    """
    action = db.get(Action, action_id)
    if action is None or action.workshop_id != workshop_id or action.deleted_at is not None:
        raise DomainError("action_gone", N_("Deze actie bestaat niet meer."), status=404)
    # lock the phone's row: its two tabs resending one kept hand through two servers cannot both insert it
    db.execute(select(col(Participant.id)).where(col(Participant.id) == participant_id).with_for_update())
    existing = db.execute(
        select(Volunteer).where(col(Volunteer.action_id) == action_id, col(Volunteer.participant_id) == participant_id)
    ).scalar_one_or_none()
    if (existing is not None) == joining:
        return action_view(db, action)  # already so: a resend after a lost acknowledgement, closed or not
    workshop = db.get(Workshop, workshop_id)
    if workshop is None or workshop.closed_at is not None:
        raise DomainError(
            "hands_closed",
            N_(
                "De workshop is afgesloten: meedoen of afmelden kan hier niet meer. "
                "Neem contact op met de eigenaar van de actie."
            ),
            status=409,
        )
    if joining:
        db.add(Volunteer(action_id=action_id, participant_id=participant_id))
    else:
        db.delete(existing)
    db.flush()
    view = action_view(db, action)
    append_event(db, workshop_id=workshop_id, kind=EventKind.ACTION_SAVED, audience=Audience.ALL, data=view)
    return view


def default_followup(workshop: Workshop) -> datetime:
    """Two weeks after the session, at the same time (or 10:00 when no time was set)."""
    day = workshop.held_on + FOLLOWUP_AFTER
    at = workshop.starts_at or datetime.min.time().replace(hour=10)
    return datetime.combine(day, at)


def set_followup(db: Tx, *, workshop_id: int, at: datetime, place: str) -> dict[str, Any]:
    """Set the follow-up meeting; phones can add it to their calendar."""
    workshop = db.get(Workshop, workshop_id)
    assert workshop is not None
    place = clean_text(place)
    if len(place) > 200:
        raise DomainError("too_long", N_("De plaats is te lang."), status=422)
    if at.date() < workshop.held_on:
        raise DomainError("followup_before", N_("Het vervolg kan niet vóór de workshop zelf liggen."), status=422)
    # people type the time on the room's clock; the database keeps the instant in UTC
    moved_to = at.replace(tzinfo=LOCAL_TIMEZONE).astimezone(UTC)
    if workshop.followup_at is not None and (workshop.followup_at, workshop.followup_place) != (moved_to, place):
        # a calendar that subscribed to the meeting replaces its copy only when this number goes up
        workshop.followup_sequence += 1
    workshop.followup_at = moved_to
    workshop.followup_place = place
    db.flush()
    view = workshops.followup_view(workshop)
    append_event(
        db, workshop_id=workshop_id, kind=EventKind.FOLLOWUP_SET, audience=Audience.ALL, data={"followup": view}
    )
    return view  # type: ignore[return-value]
