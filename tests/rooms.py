"""Rooms built straight through the services, for tests below the HTTP layer."""

from datetime import date
from typing import NamedTuple

from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.catalog.service import formats
from app.models import Member, Workshop
from app.running import service as running
from app.workshops import service as workshops


class Room(NamedTuple):
    """A workshop in its obstacle round, its facilitator, and the participants in it."""

    workshop_id: int
    owner_id: int
    participant_ids: list[int]


def room_in_obstacle_round(db: Session, *, participants: int) -> Room:
    """Create a facilitator, a doorbraak workshop and participants, and open the obstacle round."""
    owner = accounts.create_facilitator(db, email="f@x.nl", name="F", password="x" * 12)
    workshop = running.create_workshop(
        db,
        facilitator_id=owner.id or 0,
        title="T",
        opgave="O",
        held_on=date.today(),
        spec=formats()["doorbraak"],
        allow_anonymous=False,
    )
    ids = []
    for i in range(participants):
        token = workshops.join_workshop(
            db, workshop_id=workshop.id or 0, name=f"P{i}", organisation="O", anonymous=False
        )
        ids.append(workshops.participant_by_token(db, workshop_id=workshop.id or 0, token=token).id)  # type: ignore[union-attr]
    running.move_step(db, workshop_id=workshop.id or 0, member=staff_of(db, workshop.id or 0), to="next")
    return Room(workshop.id or 0, owner.id or 0, ids)  # type: ignore[arg-type]


def staff_of(db: Session, workshop_id: int) -> Member:
    """A beheerder of the workshop's workspace, as a route would hand it to a service."""
    workshop = db.get(Workshop, workshop_id)
    assert workshop is not None
    return Member(account_id=workshop.facilitator_id, workspace_id=workshop.workspace_id, role="beheerder")
