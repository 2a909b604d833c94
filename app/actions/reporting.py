"""Who may report on an action: the one rule that Mijn afspraken, a reminder's buttons and a follow-up's phones keep.

A participant of the owner organisation (in any workshop of the workspace, unless the programme office took their
claim to it back: anyone who joined may name any organisation), a volunteer (of the workshop that agreed
it) and the contact (a participant who gave the contact's e-mail address, once its owner confirmed it: anyone who
joined may type any address). A partner organisation's people see the
action but do not report on it: the owner answers for it. Nobody from another workspace.
"""

from datetime import date
from typing import Any

from sqlalchemy import and_, exists, false, or_, select, true
from sqlalchemy.orm import Session
from sqlmodel import col

from app.actions.service import action_views, past_deadline
from app.addresses import address_key
from app.errors import DomainError
from app.i18n import N_
from app.models import Action, ActionChange, DueProposal, Participant, Volunteer, Workshop, local_day, utcnow
from app.organisations.service import organisation_key
from app.store.events import Audience, EventKind, Tx, append_event
from app.workshops import service as workshops


def _workspace_of(db: Session, participant: Participant) -> int | None:
    return db.execute(select(col(Workshop.workspace_id)).where(col(Workshop.id) == participant.workshop_id)).scalar()


def owns(action: Action, participant: Participant) -> bool:
    """Whether the participant's organisation owns the action (by the linked organisation, else by its name); an
    organisation the programme office took back owns nothing for them."""
    if participant.anonymous or not claims_organisation(participant):
        return False
    if action.owner_organisation_id is not None and participant.organisation_id is not None:
        return action.owner_organisation_id == participant.organisation_id
    # a row from before organisations were linked (or made outside the services): the typed names decide
    return bool(organisation_key(action.owner_organisation)) and organisation_key(
        action.owner_organisation
    ) == organisation_key(participant.organisation)


def claims_organisation(participant: Participant) -> bool:
    """Whether the participant's organisation counts for the rule: named, and not taken back by the programme office."""
    return not participant.anonymous and participant.organisation_revoked_at is None


def take_back_organisation(db: Tx, *, participant: Participant, taken_back: bool) -> None:
    """The programme office says the participant does (not) belong to the organisation they named: so for each
    workshop of the workspace they joined naming it, the newest word holding for their next join too. Their reports
    made before stay in the history, under the name they gave; a phone of theirs still open is told at once."""
    if participant.anonymous:
        raise DomainError(
            "no_organisation", N_("Deze deelnemer deed anoniem mee en noemde geen organisatie."), status=409
        )
    workspace = select(col(Workshop.workspace_id)).where(col(Workshop.id) == participant.workshop_id)
    same = workshops.same_claims(db, workspace_id=db.execute(workspace).scalar_one(), participant=participant)
    now = utcnow()
    for person in db.execute(select(Participant).where(col(Participant.id).in_(same))).scalars():
        if taken_back == (person.organisation_revoked_at is not None):
            continue
        person.organisation_revoked_at = now if taken_back else None
        # to that participant's phones alone: the room need not know whose claim the office doubted
        append_event(
            db,
            workshop_id=person.workshop_id,
            kind=EventKind.ME_CHANGED,
            audience=Audience.OWN,
            data={"participant": person.id, "organisation_taken_back": taken_back},
        )
    db.flush()


def confirmed_email(participant: Participant) -> str | None:
    """The participant's address if its owner confirmed it (the mailed link), else None: only that names a contact."""
    return participant.email if participant.email and participant.email_confirmed_at is not None else None


def _reason(action: Action, participant: Participant, *, volunteer: bool) -> str | None:
    """The rule, for an action of the participant's workspace: whether they raised a hand for it."""
    if owns(action, participant):
        return "owner"
    if volunteer and participant.workshop_id == action.workshop_id:
        return "volunteer"
    if (
        action.contact_email
        and confirmed_email(participant)
        and address_key(action.contact_email) == address_key(participant.email or "")
    ):
        return "contact"
    return None


def reporter_reason(db: Session, *, action: Action, participant: Participant) -> str | None:
    """Why this participant may report on this action ("owner", "volunteer", "contact"), or None."""
    if action.deleted_at is not None or _workspace_of(db, participant) != action.workspace_id:
        return None
    volunteer = (
        db.execute(
            select(col(Volunteer.id)).where(
                col(Volunteer.action_id) == action.id, col(Volunteer.participant_id) == participant.id
            )
        ).first()
        is not None
    )
    return _reason(action, participant, volunteer=volunteer)


# who of those who may report on an action may also propose a new due date for it (app.actions.proposals): its owner
# and its contact, not a volunteer who helps
PROPOSERS = ("owner", "contact")


def may_propose(db: Session, *, action: Action, participant: Participant) -> bool:
    """Whether this participant may propose the action's due date: its owner organisation's, or its contact."""
    return reporter_reason(db, action=action, participant=participant) in PROPOSERS


def check_reporter(db: Session, *, action: Action, participant: Participant) -> str:
    """The reason this participant may report on the action; a clear refusal (403) when they may not."""
    reason = reporter_reason(db, action=action, participant=participant)
    if reason is None:
        raise DomainError(
            "not_reporter",
            N_(
                "Over deze afspraak melden de eigenaar, de vrijwilligers en de contactpersoon. Jij staat daar niet bij."
            ),
            status=403,
        )
    return reason


def reportable_actions(db: Session, *, participant: Participant, withdrawn: bool = False) -> list[Action]:
    """Every action of the workspace this participant may report on, soonest due first (those without a date last).

    withdrawn: also those that would be theirs had they not been withdrawn (a calendar cancels their dates).
    """
    workspace_id = _workspace_of(db, participant)
    owner = (
        col(Action.owner_organisation_id) == participant.organisation_id
        if participant.organisation_id is not None and claims_organisation(participant)
        else false()
    )
    here = col(Action.workshop_id) == participant.workshop_id
    volunteer = exists().where(
        col(Volunteer.action_id) == col(Action.id), col(Volunteer.participant_id) == participant.id
    )
    contact = (
        col(Action.contact_email).is_not(None) & (col(Action.contact_email) != "")
        if confirmed_email(participant)
        else false()
    )
    candidates = list(
        db.execute(
            select(Action)
            .where(col(Action.workspace_id) == workspace_id)
            .where(true() if withdrawn else col(Action.deleted_at).is_(None))
            .where(or_(owner, and_(here, volunteer), contact, col(Action.owner_organisation_id).is_(None)))
            .order_by(col(Action.due_on).is_(None), col(Action.due_on), col(Action.id))
        ).scalars()
    )
    joined = set(
        db.execute(select(col(Volunteer.action_id)).where(col(Volunteer.participant_id) == participant.id)).scalars()
    )
    # the query narrows by organisation and place; the rule itself (names of unlinked rows, folded addresses) decides
    return [action for action in candidates if _reason(action, participant, volunteer=action.id in joined)]


def report_list(db: Session, *, participant: Participant, today: date) -> list[dict[str, Any]]:
    """What Mijn afspraken offers to report on: each action as phones see it, with its day, whether that day has
    passed (counted from today) and its workshop."""
    found = reportable_actions(db, participant=participant)
    titles = dict(
        db.execute(
            select(col(Workshop.id), col(Workshop.title)).where(col(Workshop.id).in_({a.workshop_id for a in found}))
        ).all()
    )
    said = _last_said(db, [action.id or 0 for action in found])
    joined = set(
        db.execute(select(col(Volunteer.action_id)).where(col(Volunteer.participant_id) == participant.id)).scalars()
    )
    proposed = {
        proposal.action_id: proposal
        for proposal in db.execute(
            select(DueProposal).where(col(DueProposal.action_id).in_([action.id for action in found]))
        ).scalars()
    }
    return [
        {
            **view,
            "due_day": action.due_on,
            "overdue": past_deadline(due_on=action.due_on, status=action.status, today=today),
            "workshop_title": titles.get(action.workshop_id, ""),
            # agreed in another workshop of the workspace: the page says which
            "elsewhere": action.workshop_id != participant.workshop_id,
            "last_said": said.get(action.id or 0),
            "may_propose": _reason(action, participant, volunteer=action.id in joined) in PROPOSERS,
            # a date proposed and not decided yet, by whoever proposed it
            "proposal": proposed.get(action.id or 0),
        }
        for action, view in zip(found, action_views(db, found), strict=True)
    ]


def _last_said(db: Session, action_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each action's latest report with a note, whoever made it: the day and the note, so whoever reports next
    reads what was said last."""
    said: dict[int, dict[str, Any]] = {}
    for action_id, at, note in db.execute(
        select(col(ActionChange.action_id), col(ActionChange.at), col(ActionChange.note))
        .where(
            col(ActionChange.action_id).in_(action_ids),
            col(ActionChange.kind) == "status",
            col(ActionChange.note) != "",
        )
        .order_by(col(ActionChange.id))
    ).all():
        said[action_id] = {"day": local_day(at), "note": note}
    return said
