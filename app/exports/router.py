"""The besluitenlijst page, file downloads and the JSON API; all for the workshop's own facilitator."""

from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.auth import Viewer
from app.errors import DomainError
from app.exports import wording
from app.exports.data import DecisionList, load_decision_list
from app.exports.formats import EXPORTS
from app.exports.schemas import (
    ActionPublic,
    AnswerPublic,
    DecisionListPublic,
    ResultsPublic,
    ReviewPublic,
)
from app.i18n import N_
from app.models import Member, RowId
from app.runtime import Runtime, RuntimeDep
from app.web import ErrorOut, render
from app.workshops import service as workshops

router = APIRouter()
API_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not signed in."},
    404: {"model": ErrorOut, "description": "No such workshop, or not yours."},
}


async def _decision_list(runtime: Runtime, *, member: Member, workshop_id: RowId) -> DecisionList:
    def load(db: Session) -> DecisionList:
        workshops.owned_workshop(db, workshop_id=workshop_id, member=member)
        return load_decision_list(db, workshop_id=workshop_id)

    return await runtime.db.read(load)


@router.get("/f/workshops/{workshop_id}/besluitenlijst")
async def decision_list_page(request: Request, runtime: RuntimeDep, member: Viewer, workshop_id: RowId) -> Response:
    """The besluitenlijst as a page that prints on A4, with a download button for every file."""
    decisions = await _decision_list(runtime, member=member, workshop_id=workshop_id)
    return render(
        request,
        "facilitator/decisions.html",
        {
            "decisions": decisions,
            "workshop": decisions.workshop,
            "exports": [(f, f.filename(decisions.workshop)) for f in EXPORTS.values()],
            "wording": wording,
        },
    )


@router.get(
    "/f/workshops/{workshop_id}/export/{name}",
    summary="Download the besluitenlijst as a file",
    responses={200: {"content": {f.media_type.split(";")[0]: {} for f in EXPORTS.values()}}},
)
async def download(runtime: RuntimeDep, member: Viewer, workshop_id: RowId, name: str) -> Response:
    """One of actions.csv, answers.csv, besluitenlijst.xlsx, agenda.ics, besluitenlijst.md, besluitenlijst.pdf."""
    await runtime.check_export_rate(member.account_id)
    decisions = await _decision_list(runtime, member=member, workshop_id=workshop_id)
    export = EXPORTS.get(name)
    if export is None:
        raise DomainError("export_not_found", N_("Dit bestand bestaat niet."), status=404)
    # writing a PDF or workbook takes CPU time: keep it off the event loop
    body = await anyio.to_thread.run_sync(export.render, decisions)
    return Response(
        body,
        media_type=export.media_type,
        headers={
            "content-disposition": f'attachment; filename="{export.filename(decisions.workshop)}"',
            # names and answers of participants: no copies in shared caches
            "cache-control": "private, no-store",
        },
    )


@router.get("/api/workshops/{workshop_id}/actions", tags=["export"], responses=API_ERRORS)
async def api_actions(runtime: RuntimeDep, member: Viewer, workshop_id: RowId) -> list[ActionPublic]:
    """The agreed actions (deleted ones left out), with partners and volunteers."""
    decisions = await _decision_list(runtime, member=member, workshop_id=workshop_id)
    return [ActionPublic.model_validate(action) for action in decisions.actions]


@router.get("/api/workshops/{workshop_id}/answers", tags=["export"], responses=API_ERRORS)
async def api_answers(runtime: RuntimeDep, member: Viewer, workshop_id: RowId) -> list[AnswerPublic]:
    """Every answer of the session except hidden ones, oldest first."""
    decisions = await _decision_list(runtime, member=member, workshop_id=workshop_id)
    return [AnswerPublic.model_validate(answer) for answer in decisions.answers]


@router.get("/api/workshops/{workshop_id}/decisions", tags=["export"], responses=API_ERRORS)
async def api_decisions(runtime: RuntimeDep, member: Viewer, workshop_id: RowId) -> DecisionListPublic:
    """The besluitenlijst: opgave, obstacles by votes, contributions by organisation, actions and the follow-up."""
    decisions = await _decision_list(runtime, member=member, workshop_id=workshop_id)
    return DecisionListPublic.model_validate(decisions)


@router.get("/api/workshops/{workshop_id}/results", tags=["export"], responses=API_ERRORS)
async def api_results(runtime: RuntimeDep, member: Viewer, workshop_id: RowId) -> ResultsPublic:
    """The grade and choice steps' results and, for a format with mosaic tiles, the mosaic."""
    decisions = await _decision_list(runtime, member=member, workshop_id=workshop_id)
    return ResultsPublic.model_validate(decisions)


@router.get("/api/workshops/{workshop_id}/review", tags=["export"], responses=API_ERRORS)
async def api_review(runtime: RuntimeDep, member: Viewer, workshop_id: RowId) -> ReviewPublic | None:
    """A follow-up's look back: the earlier actions, their status before and now, and the owners' notes; else null."""
    decisions = await _decision_list(runtime, member=member, workshop_id=workshop_id)
    return None if decisions.review is None else ReviewPublic.model_validate(decisions.review)
