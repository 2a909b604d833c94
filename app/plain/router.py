"""A facilitator's own jargon list, and the bingo card switch on the board."""

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from app.auth import CsrfChecked, Runner, Viewer
from app.models import Member, RowId, Workspace
from app.plain import service as plain
from app.runtime import Runtime, RuntimeDep
from app.web import render, save_word_list, see_other, wants_json
from app.workshops import service as workshops

router = APIRouter()
# room for the longest list that passes the checks, so a too-long list gets its own message rather than a 422
MAX_FORM_TEXT = plain.MAX_WORDS * 2 * (plain.MAX_WORD_LENGTH + plain.MAX_SUGGESTION_LENGTH)


async def _jargon_page(
    request: Request, runtime: Runtime, member: Member, *, status: int = 200, **extra: Any
) -> Response:
    def load(db: Any) -> tuple[Workspace | None, dict[str, str]]:
        return db.get(Workspace, member.workspace_id), plain.jargon_for(db, workspace_id=member.workspace_id)

    workspace, words = await runtime.db.read(load)
    context = {
        "words": words,
        "own": workspace is not None and workspace.jargon is not None,
        "text": plain.format_lines(words),
        "shipped_count": len(plain.shipped_jargon()),
        "max_words": plain.MAX_WORDS,
        **extra,
    }
    return render(request, "facilitator/jargon.html", context, status=status)


@router.get("/f/jargon")
async def jargon_page(request: Request, runtime: RuntimeDep, member: Viewer) -> Response:
    """The facilitator's jargon list and the form to change it."""
    return await _jargon_page(request, runtime, member, saved=request.query_params.get("saved"))


@router.post("/f/jargon", dependencies=[CsrfChecked])
async def save_jargon(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    words: Annotated[str, Form(max_length=MAX_FORM_TEXT)] = "",
    action: Annotated[str, Form(max_length=10)] = "save",
) -> Response:
    """Keep the typed list, or go back to the shipped one."""
    return await save_word_list(
        runtime.db,
        typed=words,
        action=action,
        parse=plain.parse_lines,
        save=partial(plain.save_jargon, workspace_id=member.workspace_id),
        show=partial(_jargon_page, request, runtime, member),
        path="/f/jargon",
    )


@router.post("/f/workshops/{workshop_id}/bingo", dependencies=[CsrfChecked])
async def set_bingo(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    workshop_id: RowId,
    on: Annotated[bool, Form()],
) -> Response:
    """Show or hide the bullshitbingo card on the projector."""
    job = workshops.owned_job(partial(plain.set_bingo, on=on), workshop_id=workshop_id, member=member)
    view = await runtime.db.write(job)
    if wants_json(request):
        return JSONResponse({"on": view["on"]})
    return see_other(f"/f/workshops/{workshop_id}")
