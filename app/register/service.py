"""The register: every action of every workshop of a workspace, filtered, counted, sorted, paged and exported, and
a selection of it handed to a follow-up session to review."""

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import SQLColumnExpression, String, cast, func, join, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, FromClause, Select
from sqlmodel import col

from app.actions import review
from app.actions import service as actions
from app.actions.register_filter import RegisterFilter
from app.errors import DomainError
from app.exports.tables import Table
from app.i18n import N_, gettext, short_day
from app.labels import STATUS_LABELS, label
from app.models import (
    ACTION_STATUS_RANK,
    ACTION_STATUSES,
    LOCAL_TIMEZONE,
    Action,
    ActionPartner,
    ActionUpdate,
    Answer,
    Cluster,
    DueProposal,
    Member,
    Organisation,
    Volunteer,
    Workshop,
    day_start,
)
from app.organisations import service as organisations
from app.register.filters import PAGE_SIZE
from app.store.events import Tx
from app.workshops import service as workshops

# between the partners of an action as the database joins them: a control character, which clean_text keeps out
# of every name
PARTNER_SEPARATOR = "\x1f"
# how many actions one follow-up session can review: a morning's worth, and what the register offers in one go
REVIEW_MAX = 200


class RegisterRow(NamedTuple):
    """One action as a row of the register and its exports (a tuple: an export makes thousands)."""

    id: int
    title: str
    description: str
    owner: str
    owner_id: int | None
    partners: tuple[str, ...]
    contact: str
    due_on: date | None
    overdue: bool
    status: str
    volunteers: int
    workshop_id: int
    workshop_title: str
    held_on: date
    updated_at: datetime
    # a new due date its owner proposed, not decided on yet
    proposed_on: date | None


@dataclass(frozen=True)
class RegisterPage:
    """One page of the register: its rows, how many match, how they spread over the statuses, and where it is."""

    rows: tuple[RegisterRow, ...]
    total: int
    # per status, for the filter without its status part: what ticking a status would show
    counts: dict[str, int]
    page: int
    pages: int


@dataclass(frozen=True)
class Choices:
    """What the filter form offers: the workspace's organisations and workshops."""

    organisations: tuple[tuple[int, str], ...]
    # each with its date: "Doorbraak Noord (22-11-2026)"
    workshops: tuple[tuple[int, str], ...]


def _due_range(due: str, today: date) -> tuple[date, date]:
    """The first and last day of this week (Monday to Sunday) or this month."""
    if due == "week":
        monday = today - timedelta(days=today.weekday())
        return monday, monday + timedelta(days=6)
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _conditions(chosen: RegisterFilter, *, workspace_id: int, today: date, statuses: bool = True) -> list[Any]:
    """The filter as conditions on Action; those on the obstacle need _source's joins."""
    where: list[Any] = [col(Action.workspace_id) == workspace_id, col(Action.deleted_at).is_(None)]
    if chosen.organisations:
        as_partner = select(col(ActionPartner.action_id)).where(
            col(ActionPartner.organisation_id).in_(chosen.organisations)
        )
        where.append(col(Action.owner_organisation_id).in_(chosen.organisations) | col(Action.id).in_(as_partner))
    if statuses and chosen.statuses:
        where.append(col(Action.status).in_(chosen.statuses))
    if chosen.workshops:
        where.append(col(Action.workshop_id).in_(chosen.workshops))
    if chosen.text:
        in_workshop = select(col(Workshop.id)).where(
            col(Workshop.workspace_id) == workspace_id,
            col(Workshop.opgave).icontains(chosen.text, autoescape=True)
            | col(Workshop.title).icontains(chosen.text, autoescape=True),
        )
        where.append(
            col(Action.title).icontains(chosen.text, autoescape=True) | col(Action.workshop_id).in_(in_workshop)
        )
    if chosen.themes:
        where.append(col(Answer.theme).in_(chosen.themes) | col(Cluster.theme).in_(chosen.themes))
    if chosen.tensions:
        where.append(col(Cluster.tension).in_(chosen.tensions))
    if chosen.due == "overdue":
        where += actions.past_deadline_where(today)
    elif chosen.due in ("week", "month"):
        first, last = _due_range(chosen.due, today)
        where.append(col(Action.due_on).between(first, last))
    elif chosen.due == "none":
        where.append(col(Action.due_on).is_(None))
    if chosen.volunteers:
        with_hands = select(col(Volunteer.action_id))
        where.append(
            col(Action.id).in_(with_hands) if chosen.volunteers == "yes" else col(Action.id).not_in(with_hands)
        )
    if chosen.proposed:
        where.append(col(Action.id).in_(select(col(DueProposal.action_id))))
    if chosen.changed_since:
        where.append(col(Action.updated_at) >= day_start(chosen.changed_since))
    if chosen.agreed_since:
        where.append(actions.agreed_since_where(chosen.agreed_since))
    if chosen.moved_since:
        where.append(actions.moved_since_where(chosen.moved_since))
    return where


def _source(chosen: RegisterFilter) -> FromClause | type[Action]:
    """The actions, joined to their obstacle and its cluster when the filter asks for a theme or tension."""
    if not (chosen.themes or chosen.tensions):
        return Action
    return join(Action, Answer, col(Answer.id) == col(Action.obstacle_id), isouter=True).join(
        Cluster, col(Cluster.id) == col(Answer.cluster_id), isouter=True
    )


def _order(chosen: RegisterFilter) -> list[Any]:
    """The rows' order; actions without a date come last either way, and ties keep the order they were agreed in."""
    key: ColumnElement[Any] | SQLColumnExpression[Any]
    # status and owner by the keys the database keeps (ACTION_STATUS_RANK, organisations.owner_key): it pages along
    # their indexes as along the due date's, where a CASE over the statuses or names sorted every matching action
    key = {
        "due": col(Action.due_on),
        "changed": col(Action.updated_at),
        "organisation": col(Action.owner_key),
        "status": ACTION_STATUS_RANK,
    }[chosen.sort]
    direction, tie = (key.desc(), col(Action.id).desc()) if chosen.descending else (key.asc(), col(Action.id).asc())
    return [direction.nulls_last() if chosen.sort == "due" else direction, tie]


def unknown_choices(db: Session, *, workspace_id: int, chosen: RegisterFilter) -> list[DomainError]:
    """Organisations and workshops the filter names that this workspace does not have (or no longer has)."""
    problems = []
    if chosen.organisations:
        known = set(
            db.execute(
                select(col(Organisation.id)).where(
                    col(Organisation.id).in_(chosen.organisations), col(Organisation.workspace_id) == workspace_id
                )
            ).scalars()
        )
        problems += [
            DomainError(
                "unknown_organisation",
                N_("Organisatie {value} bestaat niet in deze werkruimte."),
                status=422,
                value=i,
            )
            for i in chosen.organisations
            if i not in known
        ]
    if chosen.workshops:
        known = set(
            db.execute(
                select(col(Workshop.id)).where(
                    col(Workshop.id).in_(chosen.workshops), col(Workshop.workspace_id) == workspace_id
                )
            ).scalars()
        )
        problems += [
            DomainError(
                "unknown_workshop", N_("Workshop {value} bestaat niet in deze werkruimte."), status=422, value=i
            )
            for i in chosen.workshops
            if i not in known
        ]
    return problems


def status_counts(db: Session, *, workspace_id: int, chosen: RegisterFilter, today: date) -> dict[str, int]:
    """How many actions the filter matches per status, leaving its own status part out."""
    query = (
        select(col(Action.status), func.count())
        .select_from(_source(chosen))
        .where(*_conditions(chosen, workspace_id=workspace_id, today=today, statuses=False))
        .group_by(col(Action.status))
    )
    found: dict[str, int] = {status: n for status, n in db.execute(query)}
    return {status: found.get(status, 0) for status in ACTION_STATUSES}


def _rows(db: Session, query: Select[Any], *, today: date) -> list[RegisterRow]:
    """Rows for the actions the query selects (the columns _select_rows names)."""
    # on the connection, not the ORM session: plain rows, no ORM loading (a third of an export's time)
    return [
        RegisterRow(
            i,
            title,
            description,
            owner,
            owner_id,
            tuple(partners.split(PARTNER_SEPARATOR)) if partners else (),
            contact,
            due_on,
            actions.past_deadline(due_on=due_on, status=status, today=today),
            status,
            hands,
            workshop_id,
            workshop_title,
            held_on,
            updated_at,
            proposed_on,
        )
        for (
            i,
            title,
            description,
            owner,
            owner_id,
            partners,
            contact,
            due_on,
            status,
            hands,
            workshop_id,
            workshop_title,
            held_on,
            updated_at,
            proposed_on,
        ) in db.connection().execute(query)
    ]


def _select_rows(db: Session, chosen: RegisterFilter, *, workspace_id: int, today: date) -> Select[Any]:
    """The columns of a register row, for the actions the filter matches, in its order."""
    hands = select(func.count()).where(col(Volunteer.action_id) == col(Action.id)).scalar_subquery()
    # the partners as one text per action, in the order they were added: one statement for an export of thousands
    in_order = (
        select(col(ActionPartner.organisation))
        .where(col(ActionPartner.action_id) == col(Action.id))
        .order_by(col(ActionPartner.id))
        .correlate(Action)
        .subquery()
    )
    partners = select(func.aggregate_strings(in_order.c.organisation, PARTNER_SEPARATOR)).scalar_subquery()
    proposed = select(col(DueProposal.proposed_on)).where(col(DueProposal.action_id) == col(Action.id))
    return (
        select(
            col(Action.id),
            col(Action.title),
            col(Action.description),
            col(Action.owner_organisation),
            col(Action.owner_organisation_id),
            partners,
            col(Action.contact_person),
            col(Action.due_on),
            col(Action.status),
            hands,
            col(Action.workshop_id),
            col(Workshop.title),
            col(Workshop.held_on),
            col(Action.updated_at),
            proposed.scalar_subquery(),
        )
        .select_from(_source(chosen))
        .join(Workshop, col(Workshop.id) == col(Action.workshop_id))
        .where(*_conditions(chosen, workspace_id=workspace_id, today=today))
        .order_by(*_order(chosen))
    )


def register_page(db: Session, *, workspace_id: int, chosen: RegisterFilter, today: date) -> RegisterPage:
    """The page of the register the filter asks for; a page past the last one is refused, naming how many there are."""
    counts = status_counts(db, workspace_id=workspace_id, chosen=chosen, today=today)
    total = sum(n for status, n in counts.items() if not chosen.statuses or status in chosen.statuses)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if chosen.page > pages:
        raise DomainError(
            "page_out_of_range",
            N_("Pagina {page} bestaat niet: de laatste pagina bij dit filter is {pages}."),
            status=422,
            page=chosen.page,
            pages=pages,
        )
    query = _select_rows(db, chosen, workspace_id=workspace_id, today=today)
    rows = _rows(db, query.offset((chosen.page - 1) * PAGE_SIZE).limit(PAGE_SIZE), today=today)
    return RegisterPage(rows=tuple(rows), total=total, counts=counts, page=chosen.page, pages=pages)


def register_rows(db: Session, *, workspace_id: int, chosen: RegisterFilter, today: date) -> list[RegisterRow]:
    """Every action the filter matches, in its order: what the exports write."""
    return _rows(db, _select_rows(db, chosen, workspace_id=workspace_id, today=today), today=today)


def matching_ids(db: Session, *, workspace_id: int, chosen: RegisterFilter, today: date, limit: int) -> list[int]:
    """The ids of the first `limit` actions the filter matches, in its order."""
    query = (
        select(col(Action.id))
        .select_from(_source(chosen))
        .where(*_conditions(chosen, workspace_id=workspace_id, today=today))
        .order_by(*_order(chosen))
        .limit(limit)
    )
    return [i for i in db.execute(query).scalars() if i is not None]


def choices(db: Session, *, workspace_id: int) -> Choices:
    """The organisations (by name) and workshops (newest first) the filter form offers."""
    named = db.execute(
        select(col(Organisation.id), col(Organisation.name)).where(col(Organisation.workspace_id) == workspace_id)
    ).all()
    held = db.execute(
        select(col(Workshop.id), col(Workshop.title), col(Workshop.held_on))
        .where(col(Workshop.workspace_id) == workspace_id)
        .order_by(col(Workshop.held_on).desc(), col(Workshop.id).desc())
    )
    return Choices(
        organisations=tuple(
            (i or 0, name) for i, name in sorted(named, key=lambda row: (organisations.name_order(row[1]), row[0] or 0))
        ),
        workshops=tuple((i or 0, f"{title} ({short_day(day)})") for i, title, day in held),
    )


def _reviews(workshop: Workshop) -> bool:
    """Whether a workshop has a look-back step (is a follow-up)."""
    return any(step.get("type") == "action_review" for step in workshop.steps)


def followups(db: Session, *, workspace_id: int) -> list[Workshop]:
    """The workspace's follow-up sessions that can still take a selection: a look-back step, open, nothing reported."""
    reported = select(col(ActionUpdate.workshop_id))
    query = (
        select(Workshop)
        .where(
            col(Workshop.workspace_id) == workspace_id,
            col(Workshop.closed_at).is_(None),
            col(Workshop.id).not_in(reported),
            # the steps are JSON: a cheap look at the text first, then the real check on the few it lets through
            cast(col(Workshop.steps), String).contains(literal('"action_review"')),
        )
        .order_by(col(Workshop.held_on).desc(), col(Workshop.id).desc())
    )
    return [workshop for workshop in db.execute(query).scalars() if _reviews(workshop)]


def discuss(db: Tx, *, member: Member, followup_id: int, action_ids: list[int]) -> Workshop:
    """Have a follow-up session of the member's workspace review these actions (instead of what it had)."""
    workshop = workshops.changed_workshop(db, workshop_id=followup_id, member=member)
    if not _reviews(workshop):
        raise DomainError(
            "not_a_followup",
            N_("'{title}' is geen vervolgworkshop: kies een workshop met een terugblik op afspraken."),
            status=422,
            title=workshop.title,
        )
    if workshop.closed_at is not None:
        raise DomainError("workshop_closed", N_("'{title}' is al afgerond."), status=409, title=workshop.title)
    if not action_ids:
        raise DomainError("nothing_selected", N_("Kies eerst een of meer afspraken om te bespreken."), status=422)
    if len(set(action_ids)) > REVIEW_MAX:
        raise DomainError(
            "too_many_actions",
            N_("Eén vervolgworkshop bespreekt hooguit {limit} afspraken; je koos er {count}. Maak het filter kleiner."),
            status=422,
            limit=REVIEW_MAX,
            count=len(set(action_ids)),
        )
    own = db.execute(
        select(col(Action.id)).where(col(Action.id).in_(action_ids), col(Action.workshop_id) == workshop.id).limit(1)
    ).first()
    if own is not None:
        raise DomainError(
            "own_actions",
            N_("Een vervolgworkshop bespreekt afspraken van eerdere workshops, niet zijn eigen."),
            status=422,
        )
    review.select_for_review(db, workshop=workshop, action_ids=action_ids)
    return workshop


def local_moment(moment: datetime) -> datetime:
    """A stored moment on the Dutch clock, without its zone (as a spreadsheet wants it)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(LOCAL_TIMEZONE).replace(tzinfo=None)


def register_table(rows: list[RegisterRow]) -> Table:
    """The register as a table for the CSV and XLSX writers: typed dates, one row per action."""
    yes = gettext(N_("ja"))
    statuses = {status: label(STATUS_LABELS, status) for status in ACTION_STATUSES}
    headers = (
        N_("Nr"),
        N_("Actie"),
        N_("Omschrijving"),
        N_("Eigenaar"),
        N_("Samen met"),
        N_("Contactpersoon"),
        N_("Deadline"),
        N_("Over tijd"),
        N_("Status"),
        N_("Vrijwilligers"),
        N_("Workshop"),
        N_("Datum workshop"),
        N_("Laatst gewijzigd"),
        N_("Voorgestelde deadline"),
    )
    return Table(
        name=gettext(N_("Register")),
        headers=tuple(gettext(h) for h in headers),
        rows=tuple(
            (
                row.id,
                row.title,
                row.description,
                row.owner,
                ", ".join(row.partners),
                row.contact,
                row.due_on,
                yes if row.overdue else "",
                statuses.get(row.status, row.status),
                row.volunteers,
                row.workshop_title,
                row.held_on,
                local_moment(row.updated_at),
                row.proposed_on,
            )
            for row in rows
        ),
        wrap=(1, 2, 4, 10),
    )


def export_name(today: date, extension: str) -> str:
    """The download's file name: the register and the day it was taken."""
    return f"register-{today.isoformat()}.{extension}"


def counts_view(counts: dict[str, int]) -> list[dict[str, Any]]:
    """The status counts with their labels, in the statuses' order, for the page."""
    return [{"status": s, "label": label(STATUS_LABELS, s), "count": counts[s]} for s in ACTION_STATUSES]
