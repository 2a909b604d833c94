"""Calendar feeds: a participant's, an organisation's or the workspace's due dates and follow-ups, subscribable.

A feed's link carries a token the database keeps only as a hash: it is shown once, when made, and stops working
when revoked. A workspace's or organisation's feed is its maker's: it works only while they are a member of the
workspace (removing them revokes it; a membership ended any other way stops it too). Events keep the UIDs the
downloads use; SEQUENCE counts an action's changes after it was agreed (its history) and a meeting's moves, so a
subscribed calendar replaces its copy when a date moves; a withdrawn action's date stays in the feed as a cancelled
event, so calendars remove it.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app import security
from app.actions.reporting import reportable_actions
from app.errors import DomainError, UnknownLink
from app.exports import wording
from app.exports.ics import calendar_bytes, deadline_event, followup_event, new_calendar
from app.i18n import DEFAULT_LOCALE, N_, gettext, in_locale
from app.models import (
    Action,
    ActionChange,
    ActionPartner,
    CalendarFeed,
    Facilitator,
    Membership,
    Organisation,
    Participant,
    Workshop,
    Workspace,
    utcnow,
)
from app.organisations import service as organisations
from app.store.events import Tx

REFRESH = timedelta(hours=1)


def _gone() -> DomainError:
    return DomainError("feed_not_found", N_("Deze agenda-link werkt niet (meer)."), status=404)


def create_feed(
    db: Tx,
    *,
    workspace_id: int,
    scope: str,
    organisation_id: int | None = None,
    participant_id: int | None = None,
    created_by: int | None = None,
    lang: str = DEFAULT_LOCALE,
) -> str:
    """A new feed; returns its token, which nobody can read back later. A participant's earlier feed stops."""
    if scope == "organisation":
        if organisation_id is None:
            raise DomainError(
                "organisation_missing", N_("Kies bij “Eén organisatie” een organisatie uit de lijst."), status=422
            )
        organisation = db.get(Organisation, organisation_id)
        if organisation is None or organisation.workspace_id != workspace_id:
            raise DomainError("organisation_not_found", N_("Deze organisatie bestaat niet."), status=404)
    elif scope == "participant":
        assert participant_id is not None
        db.execute(
            update(CalendarFeed)
            .where(col(CalendarFeed.participant_id) == participant_id, col(CalendarFeed.revoked_at).is_(None))
            .values(revoked_at=utcnow())
        )
    elif scope != "workspace":
        raise DomainError("bad_scope", N_("Kies een agenda: de hele werkruimte of een organisatie."), status=422)
    token = security.new_token()
    db.add(
        CalendarFeed(
            token_hash=security.token_digest(token),
            scope=scope,
            workspace_id=workspace_id,
            organisation_id=organisation_id if scope == "organisation" else None,
            participant_id=participant_id if scope == "participant" else None,
            created_by=created_by,
            lang=lang,
        )
    )
    db.flush()
    return token


def revoke_feed(db: Tx, *, workspace_id: int, feed_id: int) -> None:
    """Stop a workspace's or organisation's feed at once; its link then finds nothing."""
    feed = db.get(CalendarFeed, feed_id)
    if feed is None or feed.workspace_id != workspace_id or feed.scope == "participant":
        raise DomainError("feed_not_found", N_("Deze agenda-link bestaat niet."), status=404)
    if feed.revoked_at is None:
        feed.revoked_at = utcnow()


def feeds_of(db: Session, *, workspace_id: int) -> list[dict[str, Any]]:
    """The workspace's and its organisations' feeds, newest first, with what they show, who made them and whether
    that maker is still a member (a feed whose maker left works no more)."""
    rows = db.execute(
        select(CalendarFeed, col(Organisation.name), col(Facilitator.name), col(Membership.id))
        .outerjoin(Organisation, col(Organisation.id) == col(CalendarFeed.organisation_id))
        .outerjoin(Facilitator, col(Facilitator.id) == col(CalendarFeed.created_by))
        .outerjoin(Membership, _makers_membership())
        .where(col(CalendarFeed.workspace_id) == workspace_id, col(CalendarFeed.scope) != "participant")
        .order_by(col(CalendarFeed.id).desc())
    ).all()
    return [
        {"feed": feed, "organisation": organisation, "made_by": made_by, "maker_left": membership is None}
        for feed, organisation, made_by, membership in rows
    ]


def _makers_membership() -> ColumnElement[bool]:
    """Joins a feed to its maker's membership of the feed's workspace: none once they left it."""
    return and_(
        col(Membership.workspace_id) == col(CalendarFeed.workspace_id),
        col(Membership.account_id) == col(CalendarFeed.created_by),
    )


def _maker_left(db: Session, feed: CalendarFeed) -> bool:
    """Whether a workspace's or organisation's feed has lost its maker: removed, or their account gone."""
    query = select(col(Membership.id)).join(CalendarFeed, _makers_membership()).where(col(CalendarFeed.id) == feed.id)
    return db.execute(query).first() is None


def organisations_of(db: Session, *, workspace_id: int) -> list[Organisation]:
    """The workspace's organisations by name, for choosing one's feed."""
    query = select(Organisation).where(col(Organisation.workspace_id) == workspace_id)
    return sorted(db.execute(query).scalars(), key=lambda o: (organisations.name_order(o.name), o.id or 0))


def feed_calendar(db: Session, *, token: str) -> bytes:
    """The calendar a feed's token opens; a DomainError (404) for an unknown or revoked one."""
    feed = db.execute(
        select(CalendarFeed).where(col(CalendarFeed.token_hash) == security.token_digest(token))
    ).scalar_one_or_none()
    if feed is None:
        # a link that never was counts against its caller; a revoked one is polled on by calendars that subscribed
        raise UnknownLink("feed_not_found", N_("Deze agenda-link werkt niet (meer)."))
    if feed.revoked_at is not None:
        raise _gone()
    # checked here as well as revoked at removal: a membership may end by other ways than the workspace page
    if feed.scope != "participant" and _maker_left(db, feed):
        raise _gone()
    with in_locale(feed.lang):
        return _feed_body(db, feed)


def _feed_body(db: Session, feed: CalendarFeed) -> bytes:
    """The calendar of a feed that still works, in the language its link was made in."""
    workspace = db.get(Workspace, feed.workspace_id)
    assert workspace is not None
    if feed.scope == "participant":
        participant = db.get(Participant, feed.participant_id) if feed.participant_id else None
        workshop = db.get(Workshop, participant.workshop_id) if participant else None
        if participant is None or workshop is None:
            raise _gone()
        name = f"{gettext(N_('Mijn afspraken'))} · {workshop.title}"
        actions = reportable_actions(db, participant=participant, withdrawn=True)
        meetings = [workshop]
    elif feed.scope == "organisation":
        organisation = db.get(Organisation, feed.organisation_id) if feed.organisation_id else None
        if organisation is None or organisation.workspace_id != feed.workspace_id:
            raise _gone()  # merged into another, or removed
        name = f"{organisation.name} · {workspace.name}"
        partnered = select(col(ActionPartner.action_id)).where(col(ActionPartner.organisation_id) == organisation.id)
        actions = list(
            db.execute(
                select(Action).where(
                    col(Action.workspace_id) == feed.workspace_id,
                    or_(col(Action.owner_organisation_id) == organisation.id, col(Action.id).in_(partnered)),
                )
            ).scalars()
        )
        present = select(col(Participant.workshop_id)).where(col(Participant.organisation_id) == organisation.id)
        meetings = list(
            db.execute(
                select(Workshop).where(
                    col(Workshop.workspace_id) == feed.workspace_id,
                    or_(col(Workshop.id).in_({a.workshop_id for a in actions}), col(Workshop.id).in_(present)),
                )
            ).scalars()
        )
    else:
        name = workspace.name
        actions = list(db.execute(select(Action).where(col(Action.workspace_id) == feed.workspace_id)).scalars())
        meetings = list(db.execute(select(Workshop).where(col(Workshop.workspace_id) == feed.workspace_id)).scalars())
    return _calendar(db, name=name, actions=actions, meetings=meetings, stamp=utcnow())


def _calendar(db: Session, *, name: str, actions: list[Action], meetings: list[Workshop], stamp: datetime) -> bytes:
    calendar = new_calendar(name, prodid="-//Doorbraak//Agenda//NL")
    # how often a subscribed calendar should look again (RFC 7986; Outlook reads the older X- name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    dated = [action for action in actions if action.due_on is not None]
    workshops = {w.id: w for w in meetings}
    missing = {a.workshop_id for a in dated} - set(workshops)
    if missing:
        workshops.update({w.id: w for w in db.execute(select(Workshop).where(col(Workshop.id).in_(missing))).scalars()})
    changes = dict(
        db.execute(
            select(col(ActionChange.action_id), func.count())
            .where(col(ActionChange.action_id).in_([a.id for a in dated]), col(ActionChange.kind) != "created")
            .group_by(col(ActionChange.action_id))
        ).all()
    )
    for workshop in sorted(meetings, key=lambda w: w.id or 0):
        meeting = followup_event(workshop, stamp=stamp)
        if meeting is not None:
            calendar.add_component(meeting)
    for action in sorted(dated, key=lambda a: a.id or 0):
        workshop = workshops[action.workshop_id]
        assert action.due_on is not None
        calendar.add_component(
            deadline_event(
                public_id=workshop.public_id,
                action_id=action.id or 0,
                title=action.title,
                description=_description(action, workshop),
                due_on=action.due_on,
                stamp=stamp,
                sequence=int(changes.get(action.id or 0, 0)),
                done=action.status == "klaar",
                cancelled=action.deleted_at is not None,
            )
        )
    return calendar_bytes(calendar)


def _description(action: Action, workshop: Workshop) -> str:
    lines = [
        action.description,
        f"{gettext(N_('Eigenaar'))}: {action.owner_organisation}",
        f"{gettext(N_('Status'))}: {wording.status_name(action.status)}",
        f"{gettext(N_('Workshop'))}: {workshop.title}",
    ]
    return "\n".join(line for line in lines if line)


def webcal(url: str) -> str:
    """A feed's https:// (or http://) address as the webcal:// link calendars subscribe to."""
    return "webcal://" + url.split("://", 1)[1]
