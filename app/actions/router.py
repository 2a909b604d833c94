"""The facilitator agrees actions and sets the follow-up (JSON, called from the board)."""

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.actions import review
from app.actions import service as actions
from app.auth import CsrfChecked, Runner
from app.errors import DomainError, day_out_of_range
from app.i18n import N_, current_locale
from app.models import BodyRowId, RowId
from app.runtime import RuntimeDep
from app.security import day_in_range
from app.workshops import service as workshops

router = APIRouter(prefix="/f/workshops/{workshop_id}", dependencies=[CsrfChecked], tags=["facilitator"])


class ActionIn(BaseModel):
    """An action as the board's form sends it."""

    title: str = Field(max_length=400)
    owner_organisation: str = Field(max_length=300)
    description: str = Field(default="", max_length=4000)
    partners: list[str] = Field(default_factory=list, max_length=20)
    contact_person: str = Field(default="", max_length=300)
    # left out (None): the address stays as it is; "" removes it
    contact_email: str | None = Field(default=None, max_length=320)
    due_on: str | None = Field(default=None, max_length=40)
    obstacle_id: BodyRowId | None = None
    contribution_id: BodyRowId | None = None
    status: str = Field(default="open", max_length=20)
    # the action's "seen" when the form was filled: a change someone made since is not saved over (409)
    seen: str | None = Field(default=None, max_length=64)


class FollowupIn(BaseModel):
    """The follow-up meeting: local date and time, and where."""

    at: str = Field(max_length=40)
    place: str = Field(default="", max_length=400)


def _due_on(raw: str | None) -> date | None:
    """A due date from the form; anything but a real yyyy-mm-dd date gets a clear error."""
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise DomainError(
            "bad_date", N_("Deze datum klopt niet: gebruik jjjj-mm-dd, bijvoorbeeld 2026-12-06."), status=422
        ) from None
    if not day_in_range(day):
        raise day_out_of_range()
    return day


def _save(body: ActionIn, action_id: RowId | None, account_id: RowId) -> Any:
    # read now, in the request: the writer that runs the job has no language of its own
    lang = current_locale.get()

    def job(db: Any, *, workshop: Any) -> dict[str, Any]:
        return actions.save_action(
            db,
            workshop_id=workshop.id,
            action_id=action_id,
            title=body.title,
            owner_organisation=body.owner_organisation,
            description=body.description,
            partners=body.partners,
            contact_person=body.contact_person,
            due_on=_due_on(body.due_on),
            obstacle_id=body.obstacle_id,
            contribution_id=body.contribution_id,
            status=body.status,
            account_id=account_id,
            contact_email=body.contact_email,
            contact_lang=lang,
            seen=body.seen,
        )

    return job


@router.post("/actions")
async def create(runtime: RuntimeDep, member: Runner, workshop_id: RowId, body: ActionIn) -> Any:
    """Agree a new action."""
    _due_on(body.due_on)  # refuse a bad date before queueing the write
    return await runtime.db.write(
        workshops.owned_job(_save(body, None, member.account_id), workshop_id=workshop_id, member=member)
    )


@router.post("/actions/{action_id}")
async def update(runtime: RuntimeDep, member: Runner, workshop_id: RowId, action_id: RowId, body: ActionIn) -> Any:
    """Change an agreed action (its status, owner, date...)."""
    _due_on(body.due_on)
    return await runtime.db.write(
        workshops.owned_job(_save(body, action_id, member.account_id), workshop_id=workshop_id, member=member)
    )


@router.post("/actions/{action_id}/delete")
async def delete(runtime: RuntimeDep, member: Runner, workshop_id: RowId, action_id: RowId) -> Any:
    """Withdraw an action."""

    def job(db: Any, *, workshop: Any) -> None:
        actions.delete_action(db, workshop_id=workshop.id, action_id=action_id, account_id=member.account_id)

    await runtime.db.write(workshops.owned_job(job, workshop_id=workshop_id, member=member))
    return {"deleted": action_id}


@router.post("/followup")
async def followup(runtime: RuntimeDep, member: Runner, workshop_id: RowId, body: FollowupIn) -> Any:
    """Set the follow-up meeting."""
    try:
        at = datetime.fromisoformat(body.at.strip())
    except ValueError:
        raise DomainError(
            "bad_datetime", N_("Dit tijdstip klopt niet: gebruik jjjj-mm-dd uu:mm."), status=422
        ) from None
    if not day_in_range(at.date()):
        raise day_out_of_range()

    def job(db: Any, *, workshop: Any) -> dict[str, Any]:
        return actions.set_followup(db, workshop_id=workshop.id, at=at, place=body.place)

    return await runtime.db.write(workshops.owned_job(job, workshop_id=workshop_id, member=member))


class ReviewSourceIn(BaseModel):
    """The earlier workshop a follow-up looks back on; null for none."""

    review_of: int | None


class ReportIn(BaseModel):
    """A status and short update on an earlier action, entered by the facilitator for an absent owner."""

    status: str = Field(max_length=20)
    note: str = Field(default="", max_length=2000)


@router.post("/review/source")
async def review_source(runtime: RuntimeDep, member: Runner, workshop_id: RowId, body: ReviewSourceIn) -> Any:
    """Choose which earlier workshop's open actions this follow-up reviews."""

    def job(db: Any, *, workshop: Any) -> dict[str, Any]:
        return review.set_review_source(db, workshop=workshop, review_of=body.review_of)

    return await runtime.db.write(workshops.owned_job(job, workshop_id=workshop_id, member=member))


@router.post("/review/{action_id}")
async def review_report(
    runtime: RuntimeDep, member: Runner, workshop_id: RowId, action_id: RowId, body: ReportIn
) -> Any:
    """Record an owner's report from the board."""

    def job(db: Any, *, workshop: Any) -> dict[str, Any]:
        return review.report_progress(
            db,
            workshop_id=workshop.id,
            participant_id=None,
            action_id=action_id,
            status=body.status,
            note=body.note,
            account_id=member.account_id,
        )

    return await runtime.db.write(workshops.owned_job(job, workshop_id=workshop_id, member=member))
