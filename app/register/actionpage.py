"""An action's own page: everything known about it, its history in words people read, and the form that edits it."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from app.actions import service as actions
from app.errors import DomainError, day_out_of_range, read_only
from app.exports.data import local_time
from app.exports.wording import day
from app.i18n import N_, gettext
from app.labels import REPORT_CHANNEL_LABELS, STATUS_LABELS, label
from app.models import (
    ACTION_STATUSES,
    ON_PROPOSAL,
    Action,
    ActionChange,
    ActionPartner,
    Answer,
    Facilitator,
    Member,
    Participant,
    Volunteer,
    Workshop,
)
from app.security import clean_text, day_in_range
from app.store.database import held_workspace
from app.store.events import Tx

TITLE_MAX, OWNER_MAX, DESCRIPTION_MAX, CONTACT_MAX, PARTNER_MAX = 200, 120, 2000, 120, 120
# as many partners as the board's form takes
MAX_PARTNERS = 20


@dataclass(frozen=True)
class Named:
    """An organisation as the action names it, with the network's organisation it stands for (if known)."""

    name: str
    organisation_id: int | None


@dataclass(frozen=True)
class Helper:
    """A participant who raised a hand for the action."""

    name: str
    organisation: Named
    anonymous: bool


@dataclass(frozen=True)
class Change:
    """One entry of the history, with who made it and the session it was said in."""

    kind: str
    before: str
    after: str
    note: str
    at: datetime
    account_name: str | None
    participant_name: str | None
    participant_organisation: str | None
    participant_anonymous: bool
    workshop_title: str | None
    # a participant's: the workshop they joined, whether the office took their organisation back, and the channel
    # of a report between sessions (REPORT_CHANNELS): what the office needs to spot a false claim
    joined_title: str | None = None
    organisation_taken_back: bool = False
    via: str = ""


@dataclass(frozen=True)
class ActionPage:
    """An action with everything its page shows."""

    id: int
    title: str
    description: str
    owner: Named
    partners: tuple[Named, ...]
    contact: str
    due_on: date | None
    status: str
    overdue: bool
    deleted: bool
    volunteers: tuple[Helper, ...]
    obstacle: str
    contribution: str
    workshop_id: int
    workshop_title: str
    workshop_held_on: date
    # when it last changed, as the edit form hands it back: a save over someone else's newer change is refused
    seen: str
    history: tuple[Change, ...]


@dataclass
class ActionForm:
    """The edit form's fields as typed, so a refused form comes back with nothing lost."""

    title: str = ""
    description: str = ""
    owner: str = ""
    partners: str = ""
    contact: str = ""
    due_on: str = ""
    status: str = "open"
    seen: str = ""
    problems: dict[str, DomainError] = field(default_factory=dict)

    @classmethod
    def of(cls, page: ActionPage) -> "ActionForm":
        """The form filled with the action as it is."""
        return cls(
            title=page.title,
            description=page.description,
            owner=page.owner.name,
            partners="\n".join(partner.name for partner in page.partners),
            contact=page.contact,
            due_on=page.due_on.isoformat() if page.due_on else "",
            status=page.status,
            seen=page.seen,
        )

    def partner_names(self) -> list[str]:
        """The partners typed, one per line, blank lines left out."""
        return [name for name in (clean_text(line) for line in self.partners.splitlines()) if name]


def workspace_action(db: Session, *, action_id: int, member: Member, lock: bool = False) -> Action:
    """An action of the member's workspace, withdrawn ones too; any other is reported as not found.

    lock holds its row until the transaction ends (PostgreSQL), for a change that checks the action first; its
    workspace is held before it, as a workspace merge locks them.
    """
    if lock:
        held_workspace(db, workspace_id=member.workspace_id)
    action = db.get(Action, action_id, with_for_update=lock)
    if action is None or action.workspace_id != member.workspace_id:
        raise DomainError("action_not_found", N_("Deze actie bestaat niet."), status=404)
    return action


def action_page(db: Session, *, action_id: int, member: Member, today: date) -> ActionPage:
    """Everything the action's page shows, with its history newest first."""
    action = workspace_action(db, action_id=action_id, member=member)
    workshop = db.get(Workshop, action.workshop_id)
    assert workshop is not None
    partners = db.execute(
        select(col(ActionPartner.organisation), col(ActionPartner.organisation_id))
        .where(col(ActionPartner.action_id) == action.id)
        .order_by(col(ActionPartner.id))
    ).all()
    helpers = db.execute(
        select(
            col(Participant.name),
            col(Participant.organisation),
            col(Participant.organisation_id),
            col(Participant.anonymous),
        )
        .join(Volunteer, col(Volunteer.participant_id) == col(Participant.id))
        .where(col(Volunteer.action_id) == action.id)
        .order_by(col(Volunteer.id))
    ).all()
    texts = dict(
        db.execute(
            select(col(Answer.id), col(Answer.text)).where(
                col(Answer.id).in_([action.obstacle_id or 0, action.contribution_id or 0])
            )
        ).all()
    )
    return ActionPage(
        id=action.id or 0,
        title=action.title,
        description=action.description,
        owner=Named(action.owner_organisation, action.owner_organisation_id),
        partners=tuple(Named(name, organisation_id) for name, organisation_id in partners),
        contact=action.contact_person,
        due_on=action.due_on,
        status=action.status,
        overdue=is_overdue(action, today=today),
        deleted=action.deleted_at is not None,
        volunteers=tuple(
            Helper(name=name, organisation=Named(organisation, organisation_id), anonymous=anonymous)
            for name, organisation, organisation_id, anonymous in helpers
        ),
        obstacle=texts.get(action.obstacle_id, ""),
        contribution=texts.get(action.contribution_id, ""),
        workshop_id=workshop.id or 0,
        workshop_title=workshop.title,
        workshop_held_on=workshop.held_on,
        seen=actions.changed_stamp(action),
        history=history(db, action_id=action.id or 0),
    )


def is_overdue(action: Action, *, today: date) -> bool:
    """Due before today, not done and not withdrawn."""
    return actions.past_deadline(due_on=action.due_on, status=action.status, today=today) and action.deleted_at is None


def history(db: Session, *, action_id: int) -> tuple[Change, ...]:
    """Every recorded change of an action, newest first, with the names of who made it and where."""
    joined = aliased(Workshop)
    rows = db.execute(
        select(
            ActionChange,
            col(Facilitator.name),
            col(Participant.name),
            col(Participant.organisation),
            col(Participant.anonymous),
            col(Workshop.title),
            col(joined.title),
            col(Participant.organisation_revoked_at),
        )
        .outerjoin(Facilitator, col(Facilitator.id) == col(ActionChange.account_id))
        .outerjoin(Participant, col(Participant.id) == col(ActionChange.participant_id))
        .outerjoin(Workshop, col(Workshop.id) == col(ActionChange.workshop_id))
        .outerjoin(joined, col(joined.id) == col(Participant.workshop_id))
        .where(col(ActionChange.action_id) == action_id)
        .order_by(col(ActionChange.at).desc(), col(ActionChange.id).desc())
    ).all()
    return tuple(
        Change(
            kind=change.kind,
            before=change.before,
            after=change.after,
            note=change.note,
            at=change.at,
            account_name=account_name,
            participant_name=participant_name,
            participant_organisation=participant_organisation,
            participant_anonymous=bool(anonymous),
            workshop_title=workshop_title,
            joined_title=joined_title,
            organisation_taken_back=revoked_at is not None,
            via=change.via,
        )
        for (
            change,
            account_name,
            participant_name,
            participant_organisation,
            anonymous,
            workshop_title,
            joined_title,
            revoked_at,
        ) in rows
    )


def check_form(form: ActionForm) -> dict[str, DomainError]:
    """What is wrong with the typed form, by field; empty when save_action may have it."""
    problems: dict[str, DomainError] = {}
    if not clean_text(form.title):
        problems["title"] = DomainError("title_missing", N_("Geef de actie een titel."), status=422)
    if not clean_text(form.owner):
        problems["owner"] = DomainError(
            "owner_missing", N_("Welke organisatie is eigenaar van deze actie?"), status=422
        )
    for name, typed, limit in (
        ("title", form.title, TITLE_MAX),
        ("owner", form.owner, OWNER_MAX),
        ("description", form.description, DESCRIPTION_MAX),
        ("contact", form.contact, CONTACT_MAX),
    ):
        _check_length(problems, name, typed, limit)
    partners = form.partner_names()
    if len(partners) > MAX_PARTNERS:
        problems["partners"] = DomainError(
            "too_many_partners", N_("Hoogstens {limit} partners, één per regel."), status=422, limit=MAX_PARTNERS
        )
    elif longest := max(partners, key=len, default=""):
        _check_length(problems, "partners", longest, PARTNER_MAX)
    try:
        parsed_due_on(form)
    except DomainError as problem:
        problems["due_on"] = problem
    if form.status not in ACTION_STATUSES:
        problems["status"] = DomainError(
            "unknown_status", N_("Kies een status: open, bezig, klaar of vastgelopen."), status=422
        )
    return problems


def _check_length(problems: dict[str, DomainError], name: str, typed: str, limit: int) -> None:
    count = len(clean_text(typed))
    if count > limit:
        problems[name] = DomainError(
            "too_long", N_("Te lang: hoogstens {limit} tekens, nu {count}."), status=422, limit=limit, count=count
        )


def parsed_due_on(form: ActionForm) -> date | None:
    """The typed due date; anything but a real yyyy-mm-dd date (2026-02-30 is not one) is refused."""
    if not form.due_on.strip():
        return None
    try:
        day = date.fromisoformat(form.due_on.strip())
    except ValueError:
        raise DomainError(
            "bad_date", N_("Deze datum klopt niet: gebruik jjjj-mm-dd, bijvoorbeeld 2026-12-06."), status=422
        ) from None
    if not day_in_range(day):
        raise day_out_of_range()
    return day


def save_form(db: Tx, *, action_id: int, member: Member, form: ActionForm) -> None:
    """Store a checked edit form through save_action, unless someone else changed the action since it was opened."""
    # locked: a save of the same form on another worker waits for this one, then finds the action changed
    action = workspace_action(db, action_id=action_id, member=member, lock=True)
    if not member.can_run:
        raise read_only()
    if action.deleted_at is not None:
        raise DomainError("action_deleted", N_("Deze actie is ingetrokken: wijzigen kan niet meer."), status=409)
    actions.save_action(
        db,
        workshop_id=action.workshop_id,
        action_id=action.id,
        title=form.title,
        owner_organisation=form.owner,
        description=clean_text(form.description),
        partners=form.partner_names(),
        contact_person=clean_text(form.contact),
        due_on=parsed_due_on(form),
        # the form does not show these: they stay as they were
        obstacle_id=action.obstacle_id,
        contribution_id=action.contribution_id,
        status=form.status,
        account_id=member.account_id,
        # unless someone else changed the action since the form was opened
        seen=form.seen,
    )


def withdraw(db: Tx, *, action_id: int, member: Member) -> None:
    """Withdraw an action of the member's workspace; its page and history stay."""
    action = workspace_action(db, action_id=action_id, member=member, lock=True)
    if not member.can_run:
        raise read_only()
    actions.delete_action(db, workshop_id=action.workshop_id, action_id=action_id, account_id=member.account_id)


# how the history reads: each kind's label, and how its stored values are written
_KIND_LABELS = {
    "created": N_("Afgesproken"),
    "title": N_("Titel"),
    "description": N_("Beschrijving"),
    "owner": N_("Eigenaar"),
    "partners": N_("Partners"),
    "contact": N_("Contactpersoon"),
    "contact_forgotten": N_("Contactpersoon verwijderd op eigen verzoek"),
    "contact_expired": N_("Contactpersoon verwijderd na de bewaartermijn"),
    "due_on": N_("Deadline"),
    "status": N_("Status"),
    "deleted": N_("Ingetrokken"),
    "review": N_("Terugblik"),
    "due_proposed": N_("Nieuwe deadline voorgesteld"),
    "due_declined": N_("Voorgestelde deadline afgewezen"),
}


def change_label(change: Change) -> str:
    """What kind of change it was: "Status", "Deadline"; a review names its follow-up session."""
    if change.kind == "review" and change.workshop_title:
        return gettext(N_("Terugblik in “{workshop}”")).format(workshop=change.workshop_title)
    found = _KIND_LABELS.get(change.kind)
    return gettext(found) if found else change.kind


def change_values(change: Change) -> tuple[str, str] | None:
    """From what to what, as people read it (dates written out, statuses named); None where that says nothing."""
    # a declined proposal moved nothing: its two dates are what was asked and what stays (declined_text)
    if change.kind in ("deleted", "created", "description", "contact_forgotten", "contact_expired", "due_declined"):
        return None
    return _value(change.kind, change.before), _value(change.kind, change.after)


def declined_text(change: Change) -> str:
    """A declined proposal: the date asked for, and the due date that stays."""
    return gettext(N_("{proposed} gevraagd; de deadline blijft {due}")).format(
        proposed=_value(change.kind, change.after), due=_value(change.kind, change.before)
    )


def _value(kind: str, stored: str) -> str:
    if not stored:
        return gettext(N_("geen"))
    if kind in ("status", "review"):
        return status_name(stored)
    if kind in ("due_on", "due_proposed", "due_declined"):
        try:
            return day(date.fromisoformat(stored))
        except ValueError:
            return stored
    return stored


def status_name(key: str) -> str:
    """A status as it reads in running text: "open", "bezig"."""
    return label(STATUS_LABELS, key).lower()


def created_text(change: Change) -> str:
    """The first entry: agreed, with the status it started with."""
    return gettext(N_("met status {status}")).format(status=status_name(change.after or "open"))


def change_author(change: Change) -> str:
    """Who made a change: a member by name, a participant with organisation and session, or the system."""
    if change.account_name is not None:
        if change.via != ON_PROPOSAL:
            return change.account_name
        # the office moved (or kept) the date on the owner's proposal: whose, as a report names its author
        proposer = _participant(change) if change.participant_name is not None else gettext(N_("de contactpersoon"))
        return gettext(N_("{member}, op voorstel van {person}")).format(member=change.account_name, person=proposer)
    if change.participant_name is not None:
        person = _participant(change)
        if change.workshop_title:
            return gettext(N_("{person} via {workshop}")).format(person=person, workshop=change.workshop_title)
        # a report between sessions: the workshop the reporter joined, where they named their organisation
        where = label(REPORT_CHANNEL_LABELS, change.via) if change.via else ""
        if change.joined_title:
            person = gettext(N_("{person}, deelnemer van {workshop}")).format(
                person=person, workshop=change.joined_title
            )
        return gettext(N_("{person}, via {channel}")).format(person=person, channel=where) if where else person
    if change.via == "mail":
        # a report or a proposed date from a reminder's link without a participant: the action's contact, who has no
        # name on record (the office's decision on such a proposal names them so too)
        return gettext(N_("{person}, via {channel}")).format(
            person=gettext(N_("de contactpersoon")), channel=label(REPORT_CHANNEL_LABELS, change.via)
        )
    return gettext(N_("systeem"))


def _participant(change: Change) -> str:
    """The participant who made (or proposed) a change, with their organisation."""
    if change.participant_anonymous or not change.participant_name:
        return gettext(N_("Een anonieme deelnemer"))
    if change.organisation_taken_back:
        return gettext(N_("{name} ({organisation}, organisatie teruggenomen)")).format(
            name=change.participant_name, organisation=change.participant_organisation
        )
    return gettext(N_("{name} ({organisation})")).format(
        name=change.participant_name, organisation=change.participant_organisation
    )


def change_moment(change: Change) -> str:
    """When, on the Dutch wall clock: "22 november 2026 om 14:05"."""
    local = local_time(change.at)
    return gettext(N_("{day} om {time}")).format(day=day(local.date()), time=local.strftime("%H:%M"))


def change_datetime(change: Change) -> str:
    """When, as a machine-readable local time for the page's time element."""
    return local_time(change.at).isoformat(timespec="minutes")
