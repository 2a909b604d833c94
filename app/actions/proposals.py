"""An owner proposes a new due date between sessions; the programme office takes it over or declines it.

Only the office moves a due date: a proposal waits (one per action, a newer one replacing it) until a member who
runs workshops decides. Taking it over moves the date as the office's edit form does (service.save_action), marked
in the history as done on the owner's proposal; declining leaves the date. Every proposal and decision stays in the
action's history.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.actions import service as actions
from app.actions.reporting import may_propose
from app.addresses import address_key
from app.errors import DomainError, read_only
from app.i18n import N_
from app.models import ON_PROPOSAL, REPORT_CHANNELS, Action, ActionPartner, DueProposal, Member, Participant, utcnow
from app.security import clean_text
from app.store.database import held_workspace
from app.store.events import Tx

REASON_MAX = 280
# a date further ahead than this is a typing slip (2207 for 2027), not a plan the office could hold anyone to
FURTHEST_AHEAD = timedelta(days=2 * 365)


def proposed_day(raw: str, *, today: date) -> date:
    """The typed date of a proposal: a real yyyy-mm-dd date, today or later, within FURTHEST_AHEAD."""
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise DomainError(
            "bad_date", N_("Deze datum klopt niet: gebruik jjjj-mm-dd, bijvoorbeeld 2026-12-06."), status=422
        ) from None
    if day < today:
        raise DomainError("date_past", N_("Deze datum is al voorbij: kies vandaag of later."), status=422)
    if day > today + FURTHEST_AHEAD:
        raise DomainError(
            "date_too_far",
            N_("Zo ver vooruit kan niet: kies een datum binnen {years} jaar."),
            status=422,
            years=FURTHEST_AHEAD.days // 365,
        )
    return day


def _not_proposer() -> DomainError:
    return DomainError(
        "not_proposer",
        N_(
            "Een nieuwe datum voorstellen doet de eigenaar of de contactpersoon van de afspraak. "
            "Jij staat daar niet bij."
        ),
        status=403,
    )


def propose_due_date(
    db: Tx,
    *,
    action_id: int,
    proposed_on: date,
    reason: str,
    via: str,
    today: date,
    participant: Participant | None = None,
    contact_address: str | None = None,
) -> DueProposal:
    """Propose a new due date for an action, from its owner (a participant, by the reporting rule) or its contact
    (a reminder's link); it replaces an open proposal. The same proposal sent again changes nothing."""
    assert via in REPORT_CHANNELS
    action = db.get(Action, action_id, with_for_update=True)
    if action is None or action.deleted_at is not None:
        raise DomainError("action_not_found", N_("Deze afspraak bestaat niet (meer)."), status=404)
    if participant is not None:
        if not may_propose(db, action=action, participant=participant):
            raise _not_proposer()
    elif not (
        contact_address and action.contact_email and address_key(contact_address) == address_key(action.contact_email)
    ):
        raise _not_proposer()
    if action.status == "klaar":
        raise DomainError("action_done", N_("Deze afspraak is klaar: een nieuwe datum is niet nodig."), status=409)
    if proposed_on < today or proposed_on > today + FURTHEST_AHEAD:
        # the route checks the typed text; this holds for any caller
        raise DomainError("date_out_of_range", N_("Kies een datum van vandaag tot over twee jaar."), status=422)
    if proposed_on == action.due_on:
        raise DomainError("same_date", N_("Dat is al de deadline van deze afspraak."), status=422)
    reason = clean_text(reason)
    if len(reason) > REASON_MAX:
        raise DomainError(
            "too_long", N_("Je toelichting is te lang: maximaal {limit} tekens."), status=422, limit=REASON_MAX
        )
    proposer_id = participant.id if participant else None
    open_one = open_proposal(db, action_id=action_id)
    if open_one is not None and (open_one.proposed_on, open_one.reason, open_one.participant_id) == (
        proposed_on,
        reason,
        proposer_id,
    ):
        return open_one  # a double press, the back button: nothing new
    proposal = open_one or DueProposal(action_id=action_id, proposed_on=proposed_on)
    proposal.proposed_on, proposal.reason, proposal.participant_id, proposal.via = proposed_on, reason, proposer_id, via
    proposal.proposed_at = utcnow()
    db.add(proposal)
    actions.record_change(
        db,
        action,
        "due_proposed",
        before=action.due_on.isoformat() if action.due_on else "",
        after=proposed_on.isoformat(),
        note=reason,
        participant_id=proposer_id,
        via=via,
    )
    db.flush()
    return proposal


def open_proposal(db: Session, *, action_id: int) -> DueProposal | None:
    """The action's proposal still waiting for the office, if any."""
    return db.execute(select(DueProposal).where(col(DueProposal.action_id) == action_id)).scalar_one_or_none()


@dataclass(frozen=True)
class ProposalView:
    """An open proposal as the register shows it: the date, why, and who proposed it."""

    action_id: int
    proposed_on: date
    reason: str
    name: str
    organisation: str
    # the office took back the proposer's claim to the organisation since: they no longer answer for its actions
    taken_back: bool = False


def open_proposals(db: Session, *, action_ids: list[int]) -> dict[int, ProposalView]:
    """The open proposals of these actions, by action (one query for a page of the register)."""
    rows = db.execute(
        select(
            DueProposal,
            col(Participant.name),
            col(Participant.organisation),
            col(Participant.anonymous),
            col(Participant.organisation_revoked_at),
        )
        .outerjoin(Participant, col(Participant.id) == col(DueProposal.participant_id))
        .where(col(DueProposal.action_id).in_(action_ids))
    ).all()
    return {
        proposal.action_id: ProposalView(
            action_id=proposal.action_id,
            proposed_on=proposal.proposed_on,
            reason=proposal.reason,
            name="" if anonymous else name or "",
            organisation="" if anonymous else organisation or "",
            taken_back=not anonymous and revoked_at is not None,
        )
        for proposal, name, organisation, anonymous, revoked_at in rows
    }


def _decided(db: Tx, *, member: Member, action_id: int, proposed_on: date) -> tuple[Action, DueProposal]:
    """The action (of the member's workspace, locked) and its open proposal, of the date the member saw."""
    held_workspace(db, workspace_id=member.workspace_id)
    action = db.get(Action, action_id, with_for_update=True)
    if action is None or action.workspace_id != member.workspace_id:
        raise DomainError("action_not_found", N_("Deze actie bestaat niet."), status=404)
    if not member.can_run:
        raise read_only()
    if action.deleted_at is not None:
        raise DomainError("action_deleted", N_("Deze actie is ingetrokken: wijzigen kan niet meer."), status=409)
    proposal = open_proposal(db, action_id=action_id)
    if proposal is None:
        raise DomainError("proposal_gone", N_("Over dit voorstel is al besloten, of het is ingetrokken."), status=409)
    if proposal.proposed_on != proposed_on:
        raise DomainError(
            "proposal_replaced",
            N_("Intussen is er een nieuwere datum voorgesteld. Kijk die na en kies opnieuw."),
            status=409,
        )
    return action, proposal


def accept_proposal(db: Tx, *, member: Member, action_id: int, proposed_on: date) -> None:
    """Take the proposed date over: the due date moves as the office's edit form moves it, on the owner's proposal."""
    action, proposal = _decided(db, member=member, action_id=action_id, proposed_on=proposed_on)
    if action.status == "klaar":
        # reported done since it was proposed: the date is moot, and moving it would move a finished action's date in
        # calendars and the history; declining clears the proposal
        raise DomainError("action_done", N_("Deze afspraak is klaar: een nieuwe datum is niet nodig."), status=409)
    partners = db.execute(
        select(col(ActionPartner.organisation))
        .where(col(ActionPartner.action_id) == action.id)
        .order_by(col(ActionPartner.id))
    ).scalars()
    actions.save_action(
        db,
        workshop_id=action.workshop_id,
        action_id=action.id,
        title=action.title,
        owner_organisation=action.owner_organisation,
        description=action.description,
        partners=list(partners),
        contact_person=action.contact_person,
        due_on=proposal.proposed_on,
        obstacle_id=action.obstacle_id,
        contribution_id=action.contribution_id,
        status=action.status,
        account_id=member.account_id,
        via=ON_PROPOSAL,
        proposer_id=proposal.participant_id,
    )
    db.delete(proposal)
    db.flush()


def decline_proposal(db: Tx, *, member: Member, action_id: int, proposed_on: date) -> None:
    """Decline the proposed date: the due date stays; the history keeps what was proposed, and that it was declined."""
    action, proposal = _decided(db, member=member, action_id=action_id, proposed_on=proposed_on)
    actions.record_change(
        db,
        action,
        "due_declined",
        before=action.due_on.isoformat() if action.due_on else "",
        after=proposal.proposed_on.isoformat(),
        account_id=member.account_id,
        participant_id=proposal.participant_id,
        via=ON_PROPOSAL,
    )
    db.delete(proposal)
    db.flush()
