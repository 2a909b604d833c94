"""The page where a beheerder of two workspaces merges one into the other."""

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.auth import CsrfChecked, Manager
from app.errors import DomainError
from app.i18n import N_
from app.models import Member, RowId
from app.runtime import Runtime, RuntimeDep
from app.security import whole_number
from app.web import render, see_other
from app.workspaces import merge

router = APIRouter()
PATH = "/f/werkruimte/samenvoegen"
# what the page says came over after a merge, read back from the redirect's query
OUTCOME = ("workshops", "acties", "organisaties", "leden", "namen")


async def _merge_page(
    request: Request, runtime: Runtime, member: Member, *, status: int = 200, **extra: Any
) -> Response:
    """The current workspace and the ones its beheerder may merge into it; after a merge, what came over."""

    def load(db: Session) -> tuple[merge.WorkspaceSize, list[merge.WorkspaceSize]]:
        current = merge.workspace_size(db, workspace_id=member.workspace_id)
        return current, merge.mergeable_workspaces(db, member=member)

    current, others = await runtime.db.read(load)
    query = request.query_params
    figures = {name: whole_number(query.get(name, ""), low=0, high=999_999_999) for name in OUTCOME}
    done = {name: figure for name, figure in figures.items() if figure is not None}
    context = {"current": current, "others": others, "done": done if query.get("klaar") else None, **extra}
    return render(request, "workspaces/merge.html", context, status=status)


@router.get(PATH)
async def merge_page(request: Request, runtime: RuntimeDep, member: Manager) -> Response:
    """The workspaces this beheerder may merge into the current one, with what is in each."""
    return await _merge_page(request, runtime, member)


@router.post(PATH, dependencies=[CsrfChecked])
async def merge_workspace(
    request: Request,
    runtime: RuntimeDep,
    member: Manager,
    source: Annotated[RowId, Form()],
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Merge another workspace (of which this member is beheerder too) into the current one."""
    if confirm != "ja":
        error = DomainError(
            "merge_not_confirmed", N_("Vink aan dat je weet dat samenvoegen niet terug kan."), status=422
        )
        return await _merge_page(request, runtime, member, status=422, error=error.text(), chosen=source)
    outcome = await runtime.db.write(partial(merge.merge_workspaces, member=member, source_id=source))
    figures = (
        outcome.workshops,
        outcome.actions,
        outcome.organisation_count,
        outcome.members,
        len(outcome.organisation_merge.names_dropped),
    )
    query = "&".join(f"{name}={value}" for name, value in zip(OUTCOME, figures, strict=True))
    return see_other(f"{PATH}?klaar=1&{query}")
