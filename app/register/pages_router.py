"""The pages of one action (its facts, history and edit form) and of one organisation of the network."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.auth import CsrfChecked, Manager, Runner, Viewer
from app.errors import DomainError
from app.exports import wording
from app.labels import STATUS_LABELS, label
from app.models import ACTION_STATUSES, Member, RowId, local_today
from app.register import actionpage, organisationpage
from app.register.actionpage import ActionForm
from app.runtime import Runtime, RuntimeDep
from app.web import render, see_other

router = APIRouter(tags=["facilitator"])
# room for well over what the checks allow, so a too-long field gets its own message with the form kept
FORM_SLACK = 10


async def _action_page(
    request: Request,
    runtime: Runtime,
    member: Member,
    action_id: RowId,
    *,
    form: ActionForm | None = None,
    status: int = 200,
) -> Response:
    page = await runtime.db.read(
        partial(actionpage.action_page, action_id=action_id, member=member, today=local_today())
    )
    context = {
        "page": page,
        "form": form or ActionForm.of(page),
        "member": member,
        "statuses": ACTION_STATUSES,
        "status_label": partial(label, STATUS_LABELS),
        "words": actionpage,
        "wording": wording,
        "notice": request.query_params.get("gedaan"),
    }
    return render(request, "register/action.html", context, status=status)


@router.get("/f/acties/{action_id:int}")
async def action(request: Request, runtime: RuntimeDep, member: Viewer, action_id: RowId) -> Response:
    """An action's page: what was agreed, by whom, its history, and (for who may) the form to change it."""
    return await _action_page(request, runtime, member, action_id)


@router.post("/f/acties/{action_id:int}", dependencies=[CsrfChecked])
async def save_action(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    action_id: RowId,
    title: Annotated[str, Form(max_length=actionpage.TITLE_MAX * FORM_SLACK)] = "",
    description: Annotated[str, Form(max_length=actionpage.DESCRIPTION_MAX * FORM_SLACK)] = "",
    owner: Annotated[str, Form(max_length=actionpage.OWNER_MAX * FORM_SLACK)] = "",
    partners: Annotated[str, Form(max_length=actionpage.MAX_PARTNERS * actionpage.PARTNER_MAX * FORM_SLACK)] = "",
    contact: Annotated[str, Form(max_length=actionpage.CONTACT_MAX * FORM_SLACK)] = "",
    due_on: Annotated[str, Form(max_length=40)] = "",
    status: Annotated[str, Form(max_length=40)] = "",
    seen: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Store the edit form; with bad input the form comes back, saying what is wrong, with everything typed kept."""
    form = ActionForm(
        title=title,
        description=description,
        owner=owner,
        partners=partners,
        contact=contact,
        due_on=due_on,
        status=status,
        seen=seen,
    )
    form.problems = actionpage.check_form(form)
    if not form.problems:
        try:
            await runtime.db.write(partial(actionpage.save_form, action_id=action_id, member=member, form=form))
        except DomainError as refused:
            if refused.status in (403, 404):
                raise
            form.problems = {"form": refused}
            if refused.code == "changed_meanwhile":
                # saving again now is a deliberate choice, made with the newer history in view
                form.seen = ""
    if form.problems:
        status_code = max(problem.status for problem in form.problems.values())
        return await _action_page(request, runtime, member, action_id, form=form, status=status_code)
    return see_other(f"/f/acties/{action_id}?gedaan=opgeslagen")


@router.post("/f/acties/{action_id:int}/intrekken", dependencies=[CsrfChecked])
async def withdraw_action(runtime: RuntimeDep, member: Runner, action_id: RowId) -> Response:
    """Withdraw the action; its page stays, with the withdrawal in its history."""
    await runtime.db.write(partial(actionpage.withdraw, action_id=action_id, member=member))
    return see_other(f"/f/acties/{action_id}?gedaan=ingetrokken")


@router.get("/f/organisaties/{organisation_id:int}")
async def organisation(request: Request, runtime: RuntimeDep, member: Viewer, organisation_id: RowId) -> Response:
    """An organisation's page: its actions as owner and partner, its volunteers, what is overdue, the partner share."""
    page = await runtime.db.read(
        partial(organisationpage.organisation_page, organisation_id=organisation_id, member=member, today=local_today())
    )
    context = {
        "page": page,
        "member": member,
        "status_label": partial(label, STATUS_LABELS),
        "words": organisationpage,
        "wording": wording,
        "notice": request.query_params.get("gedaan"),
    }
    return render(request, "register/organisation.html", context)


@router.post("/f/organisaties/{organisation_id:int}/eigen", dependencies=[CsrfChecked])
async def mark_own(
    runtime: RuntimeDep, member: Manager, organisation_id: RowId, own: Annotated[bool, Form()] = True
) -> Response:
    """Mark the organisation as the programme office's own (own=true), or no longer (own=false)."""
    await runtime.db.write(partial(organisationpage.mark_own, organisation_id=organisation_id, member=member, own=own))
    return see_other(f"/f/organisaties/{organisation_id}?gedaan={'eigen' if own else 'niet-eigen'}")
