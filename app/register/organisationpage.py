"""An organisation's page: what it owns, shares and lends people to, what is overdue, and how much partners own."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.numbers import format_percent
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.actions import service as actions
from app.errors import DomainError, not_manager
from app.i18n import N_, current_locale, gettext, ngettext, number
from app.models import ACTION_STATUSES, Action, ActionPartner, Member, Organisation, Participant, Volunteer, Workshop
from app.organisations import service as organisations
from app.store.database import held_workspace
from app.store.events import Tx

SECTOR_LABELS = {
    "wonen": N_("Wonen"),
    "zorg en welzijn": N_("Zorg en welzijn"),
    "onderwijs": N_("Onderwijs"),
    "veiligheid": N_("Veiligheid"),
    "gemeente": N_("Gemeente"),
    "bewoners": N_("Bewoners"),
    "ondernemers": N_("Ondernemers"),
    "overig": N_("Overig"),
}


@dataclass(frozen=True)
class ActionLine:
    """An action in one of the page's lists."""

    id: int
    title: str
    status: str
    due_on: date | None
    overdue: bool
    owner: str
    owner_organisation_id: int | None
    workshop_title: str
    # in the list of where its people volunteered: who of this organisation raised a hand
    people: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatusCount:
    """How many of the organisation's actions are in one status, as owner and as partner."""

    status: str
    owned: int
    partnered: int


@dataclass(frozen=True)
class Share:
    """How many of the workspace's actions (withdrawn ones left out) partners own rather than the office itself."""

    total: int
    by_partners: int
    # "open" here is everything not klaar: open, bezig and vastgelopen
    open_total: int
    open_by_partners: int
    # the organisations marked as the programme office's own; without one there is no share to give
    own_names: tuple[str, ...]

    @property
    def known(self) -> bool:
        """Whether the share means anything: some organisation is marked own."""
        return bool(self.own_names)


@dataclass(frozen=True)
class OrganisationPage:
    """An organisation with everything its page shows."""

    id: int
    name: str
    short_name: str
    sector: str | None
    aliases: tuple[str, ...]
    confirmed: bool
    own: bool
    owned: tuple[ActionLine, ...]
    partnered: tuple[ActionLine, ...]
    volunteered: tuple[ActionLine, ...]
    overdue: tuple[ActionLine, ...]
    counts: tuple[StatusCount, ...]
    share: Share


def workspace_organisation(db: Session, *, organisation_id: int, member: Member) -> Organisation:
    """An organisation of the member's workspace; any other is reported as not found."""
    organisation = db.get(Organisation, organisation_id)
    if organisation is None or organisation.workspace_id != member.workspace_id:
        raise DomainError("organisation_not_found", N_("Deze organisatie bestaat niet."), status=404)
    return organisation


def organisation_page(db: Session, *, organisation_id: int, member: Member, today: date) -> OrganisationPage:
    """Everything an organisation's page shows; overdue means due before today, not klaar, not withdrawn."""
    organisation = workspace_organisation(db, organisation_id=organisation_id, member=member)
    in_workspace = (col(Action.workspace_id) == member.workspace_id, col(Action.deleted_at).is_(None))
    owned = _lines(db, today, *in_workspace, col(Action.owner_organisation_id) == organisation.id)
    shared = select(col(ActionPartner.action_id)).where(col(ActionPartner.organisation_id) == organisation.id)
    partnered = _lines(db, today, *in_workspace, col(Action.id).in_(shared))
    overdue = {line.id: line for line in (*owned, *partnered) if line.overdue}
    return OrganisationPage(
        id=organisation.id or 0,
        name=organisation.name,
        short_name=organisation.short_name,
        sector=organisation.sector,
        aliases=tuple(organisation.aliases),
        confirmed=organisation.confirmed,
        own=organisation.own,
        owned=owned,
        partnered=partnered,
        volunteered=_volunteered(db, today, organisation_id=organisation.id or 0, workspace_id=member.workspace_id),
        overdue=tuple(sorted(overdue.values(), key=lambda line: (line.due_on or today, line.id))),
        counts=tuple(
            StatusCount(
                status=status,
                owned=sum(line.status == status for line in owned),
                partnered=sum(line.status == status for line in partnered),
            )
            for status in ACTION_STATUSES
        ),
        share=partner_share(db, workspace_id=member.workspace_id),
    )


def _ordered(query: Any) -> Any:
    """Soonest due first, those without a date last, then in the order they were agreed."""
    return query.order_by(col(Action.due_on).is_(None), col(Action.due_on), col(Action.id))


def _line(action: Action, workshop_title: str, today: date, people: tuple[str, ...] = ()) -> ActionLine:
    return ActionLine(
        id=action.id or 0,
        title=action.title,
        status=action.status,
        due_on=action.due_on,
        overdue=actions.past_deadline(due_on=action.due_on, status=action.status, today=today),
        owner=action.owner_organisation,
        owner_organisation_id=action.owner_organisation_id,
        workshop_title=workshop_title,
        people=people,
    )


def _lines(db: Session, today: date, *where: Any) -> tuple[ActionLine, ...]:
    query = select(Action, col(Workshop.title)).join(Workshop, col(Workshop.id) == col(Action.workshop_id))
    rows: Sequence[Any] = db.execute(_ordered(query.where(*where))).all()
    return tuple(_line(action, title, today) for action, title in rows)


def _volunteered(db: Session, today: date, *, organisation_id: int, workspace_id: int) -> tuple[ActionLine, ...]:
    """The actions people of this organisation raised a hand for, each with their names."""
    query = (
        select(Action, col(Workshop.title), col(Participant.name))
        .join(Workshop, col(Workshop.id) == col(Action.workshop_id))
        .join(Volunteer, col(Volunteer.action_id) == col(Action.id))
        .join(Participant, col(Participant.id) == col(Volunteer.participant_id))
        .where(
            col(Participant.organisation_id) == organisation_id,
            col(Action.workspace_id) == workspace_id,
            col(Action.deleted_at).is_(None),
        )
    )
    found: dict[int, tuple[Action, str, list[str]]] = {}
    for action, title, name in db.execute(_ordered(query).order_by(col(Volunteer.id))).all():
        found.setdefault(action.id, (action, title, []))[2].append(name)
    return tuple(_line(action, title, today, tuple(people)) for action, title, people in found.values())


def partner_share(db: Session, *, workspace_id: int) -> Share:
    """How many of the workspace's actions are owned by partners rather than an organisation marked own.

    Withdrawn actions do not count; an action whose owner is no known organisation counts as a partner's.
    """
    counts = db.execute(
        select(col(Action.status), col(Organisation.own), func.count())
        .select_from(Action)
        .outerjoin(Organisation, col(Organisation.id) == col(Action.owner_organisation_id))
        .where(col(Action.workspace_id) == workspace_id, col(Action.deleted_at).is_(None))
        .group_by(col(Action.status), col(Organisation.own))
    ).all()
    own_names = sorted(
        db.execute(
            select(col(Organisation.name)).where(col(Organisation.workspace_id) == workspace_id, col(Organisation.own))
        ).scalars(),
        key=organisations.name_order,
    )
    total = by_partners = open_total = open_by_partners = 0
    for status, own, count in counts:
        total += count
        by_partners += 0 if own else count
        if status != "klaar":
            open_total += count
            open_by_partners += 0 if own else count
    return Share(
        total=total,
        by_partners=by_partners,
        open_total=open_total,
        open_by_partners=open_by_partners,
        own_names=tuple(own_names),
    )


def mark_own(db: Tx, *, organisation_id: int, member: Member, own: bool) -> None:
    """Mark an organisation as the programme office's own, or no longer; a beheerder's decision."""
    # before the organisation's row, as organisations.confirm_organisation does (why: there)
    held_workspace(db, workspace_id=member.workspace_id)
    organisation = workspace_organisation(db, organisation_id=organisation_id, member=member)
    if not member.can_manage:
        raise not_manager()
    organisation.own = own
    db.flush()


def sector_name(key: str | None) -> str:
    """A sector as a label; an unknown one reads as itself."""
    if key is None:
        return ""
    found = SECTOR_LABELS.get(key)
    return gettext(found) if found else key


def share_sentence(part: int, whole: int, *, open_only: bool) -> str:
    """The share as a sentence: "62% van de 140 open afspraken is in handen van partners."."""
    if whole == 0:
        return gettext(N_("Er zijn nog geen open afspraken.") if open_only else N_("Er zijn nog geen afspraken."))
    if open_only:
        sentence = ngettext(
            "{percent} van {count} open afspraak is in handen van partners.",
            "{percent} van de {count} open afspraken is in handen van partners.",
            whole,
        )
    else:
        sentence = ngettext(
            "{percent} van {count} afspraak is in handen van partners.",
            "{percent} van de {count} afspraken is in handen van partners.",
            whole,
        )
    return sentence.format(percent=format_percent(part / whole, locale=current_locale.get()), count=number(whole))
