"""Running a workshop: creating it from a format, the facilitator's list, and moving through its steps."""

import uuid
from datetime import date, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app import security
from app.accounts import service as accounts
from app.actions import review
from app.catalog.service import FormatSpec
from app.clusters import service as clusters
from app.errors import DomainError
from app.i18n import N_
from app.models import Action, Member, Workshop, utcnow
from app.responses import service as responses
from app.stage import service as stage
from app.store.database import held_workspace
from app.store.events import Audience, EventKind, Tx, append_event
from app.workshops import service as workshops


def create_workshop(
    db: Tx,
    *,
    facilitator_id: int,
    workspace_id: int | None = None,
    title: str,
    opgave: str,
    held_on: date,
    spec: FormatSpec,
    allow_anonymous: bool,
    starts_at: time | None = None,
    dots: int = 3,
    moderated: bool = False,
) -> Workshop:
    """A new workshop in its lobby, with a fresh join code and projector link, in the creator's (first) workspace."""
    if workspace_id is None:
        workspace_id = accounts.first_workspace(db, account_id=facilitator_id)
        if workspace_id is None:
            raise DomainError("no_workspace", N_("Dit account hoort bij geen enkele werkruimte meer."), status=403)
    held_workspace(db, workspace_id=workspace_id)
    for _ in range(10):
        code = security.new_join_code()
        taken = db.execute(select(col(Workshop.id)).where(col(Workshop.join_code) == code)).first()
        if not taken:
            break
    else:  # pragma: no cover - 31^6 codes make this practically unreachable
        raise DomainError("no_code", N_("Er kon geen vrije code gemaakt worden. Probeer het opnieuw."), status=503)
    workshop = Workshop(
        public_id=uuid.uuid4().hex,
        workspace_id=workspace_id,
        facilitator_id=facilitator_id,
        title=security.clean_line(title),
        opgave=opgave,
        held_on=held_on,
        format_key=spec.key,
        steps=spec.step_dicts(),
        join_code=code,
        projector_salt=security.new_salt(),
        allow_anonymous=allow_anonymous,
        starts_at=starts_at,
        dots=dots,
        moderated=moderated,
    )
    db.add(workshop)
    db.flush()
    if any(step.type == "action_review" for step in spec.steps):
        earlier = _latest_with_actions(db, workspace_id=workspace_id, facilitator_id=facilitator_id)
        if earlier is not None:
            review.take_into_review(db, workshop=workshop, earlier_id=earlier)
    return workshop


def _latest_with_actions(db: Session, *, workspace_id: int, facilitator_id: int) -> int | None:
    """The facilitator's most recent workshop with actions: what a new follow-up looks back on unless changed."""
    query = (
        select(col(Workshop.id))
        .join(Action, col(Action.workshop_id) == col(Workshop.id))
        .where(
            col(Workshop.workspace_id) == workspace_id,
            col(Workshop.facilitator_id) == facilitator_id,
            col(Action.deleted_at).is_(None),
        )
        .order_by(col(Workshop.held_on).desc(), col(Workshop.id).desc())
        .limit(1)
    )
    return db.execute(query).scalar()


def list_workshops(db: Session, *, workspace_id: int) -> list[Workshop]:
    """A workspace's workshops, newest first."""
    query = (
        select(Workshop)
        .where(col(Workshop.workspace_id) == workspace_id)
        .order_by(col(Workshop.held_on).desc(), col(Workshop.id).desc())
    )
    return list(db.execute(query).scalars())


def move_step(db: Tx, *, workshop_id: int, member: Member, to: int | str) -> dict[str, Any]:
    """Move to step `to` (an index, "next" or "prev"); the close step closes the workshop, leaving it reopens."""
    workshop = workshops.changed_workshop(db, workshop_id=workshop_id, member=member)
    if to in ("next", "prev"):
        to = workshop.step_index + (1 if to == "next" else -1)
    elif not isinstance(to, int):
        raise DomainError("no_such_step", N_("Die stap bestaat niet in deze workshop."), status=422)
    if not 0 <= to < len(workshop.steps):
        raise DomainError("no_such_step", N_("Die stap bestaat niet in deze workshop."), status=422)
    if to == workshop.step_index:
        return workshops.workshop_view(workshop)
    workshop.step_index = to
    workshop.closed_at = utcnow() if workshop.steps[to]["type"] == "close" else None
    db.flush()
    if workshop.steps[to]["type"] == "dot_vote":
        clusters.ensure_clusters(db, workshop=workshop)
    view = workshops.workshop_view(workshop)
    # a countdown, a spotlight or a word cloud belonged to the step being left
    change: dict[str, Any] = {
        "step_index": to,
        "closed": view["closed"],
        "timer": stage.reset_for_step(db, workshop=workshop),
    }
    if workshop.steps[to]["type"] == "mosaic":
        # the grades are in: every screen, phones too, gets the mosaic with the step
        change["mosaic"] = responses.mosaic(workshop, responses.tallies(db, workshop=workshop))
    append_event(db, workshop_id=workshop_id, kind=EventKind.STEP_CHANGED, audience=Audience.ALL, data=change)
    return view
