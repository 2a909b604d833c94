"""The register's page, its CSV and XLSX downloads, and handing a selection to a follow-up session."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Annotated
from urllib.parse import parse_qsl

import anyio
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.actions import proposals
from app.actions.register_filter import DUE_CHOICES, RegisterFilter
from app.auth import CsrfChecked, Runner, Viewer
from app.errors import DomainError
from app.exports import csvfile
from app.i18n import N_
from app.labels import STATUS_LABELS, TENSION_LABELS, THEME_LABELS, translated
from app.models import Member, RowId, Workshop, local_today
from app.register import service as register
from app.register.filters import PAGE_SIZE, parse_date, parse_filter
from app.runtime import Runtime, RuntimeDep
from app.store.events import Tx
from app.web import Pager, render, see_other

router = APIRouter(tags=["register"])
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Shown:
    """What the register page needs from the database, or why it shows no rows."""

    choices: register.Choices
    followups: list[Workshop]
    page: register.RegisterPage | None
    errors: list[DomainError]
    # the open proposals of a new due date on this page's rows, by action
    proposals: dict[int, proposals.ProposalView]


def _load(db: Session, *, member: Member, chosen: RegisterFilter, problems: list[DomainError], today: date) -> Shown:
    """The register's page, the form's choices and the follow-ups on offer; a filter with problems reads no rows."""
    problems = problems + register.unknown_choices(db, workspace_id=member.workspace_id, chosen=chosen)
    page = None
    if not problems:
        try:
            page = register.register_page(db, workspace_id=member.workspace_id, chosen=chosen, today=today)
        except DomainError as refused:
            problems.append(refused)
    return Shown(
        choices=register.choices(db, workspace_id=member.workspace_id),
        followups=register.followups(db, workspace_id=member.workspace_id) if member.can_run else [],
        page=page,
        errors=problems,
        proposals=proposals.open_proposals(db, action_ids=[row.id for row in page.rows if row.proposed_on])
        if page
        else {},
    )


async def _show(
    request: Request,
    runtime: Runtime,
    member: Member,
    params: Iterable[tuple[str, str]],
    *,
    refused: DomainError | None = None,
) -> Response:
    """The register page for these query parameters; bad ones (or a refused selection) are named, with status 4xx."""
    chosen, problems = parse_filter(params)
    today = local_today()
    shown = await runtime.db.read(partial(_load, member=member, chosen=chosen, problems=problems, today=today))
    errors = [*shown.errors, *([refused] if refused else [])]
    status = refused.status if refused else 422 if errors else 200
    return render(
        request,
        "register/register.html",
        {
            "member": member,
            # a member who runs workshops ticks actions for a follow-up, when there is one to take them
            "selectable": bool(member.can_run and shown.followups and shown.page and shown.page.rows),
            "chosen": chosen,
            "shown": shown,
            "errors": [error.text() for error in errors],
            "today": today,
            "pager": Pager(shown.page.page, shown.page.pages, lambda n: f"/f/register?{chosen.query(page=n)}")
            if shown.page
            else None,
            "page_size": PAGE_SIZE,
            "review_max": register.REVIEW_MAX,
            "counts": register.counts_view(shown.page.counts) if shown.page else [],
            "statuses": translated(STATUS_LABELS),
            "themes": translated(THEME_LABELS),
            "tensions": translated(TENSION_LABELS),
            "due_choices": DUE_CHOICES,
            "local_moment": register.local_moment,
            "notice": request.query_params.get("gedaan"),
        },
        status=status,
    )


@router.get("/f/register")
async def register_page(request: Request, runtime: RuntimeDep, member: Viewer) -> Response:
    """Every action of the workspace's workshops, filtered by the query string, 50 to a page."""
    return await _show(request, runtime, member, request.query_params.multi_items())


async def _export_rows(request: Request, runtime: Runtime, member: Member) -> tuple[list[register.RegisterRow], date]:
    """Every row the query string's filter matches, and the day it was counted on; a bad filter is refused (422), and
    a member who downloads too often just now waits (429)."""
    chosen, problems = parse_filter(request.query_params.multi_items())
    await runtime.check_export_rate(member.account_id)
    today = local_today()

    def load(db: Session) -> list[register.RegisterRow]:
        found = problems + register.unknown_choices(db, workspace_id=member.workspace_id, chosen=chosen)
        if found:
            raise found[0]
        return register.register_rows(db, workspace_id=member.workspace_id, chosen=chosen, today=today)

    return await runtime.db.read(load), today


def _download(body: bytes, media_type: str, name: str) -> Response:
    """A file to save, kept out of shared caches."""
    return Response(
        body,
        media_type=media_type,
        # names of people and organisations: no copies in shared caches
        headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "private, no-store"},
    )


@router.get("/f/register.csv")
async def register_csv(request: Request, runtime: RuntimeDep, member: Viewer) -> Response:
    """Every action the filter matches (not only one page) as CSV for Dutch Excel."""
    rows, today = await _export_rows(request, runtime, member)
    body = csvfile.table_csv(register.register_table(rows))
    return _download(body, "text/csv; charset=utf-8", register.export_name(today, "csv"))


@router.get("/f/register.xlsx")
async def register_xlsx(request: Request, runtime: RuntimeDep, member: Viewer) -> Response:
    """Every action the filter matches as an Excel workbook: typed dates, a frozen bold header."""
    from app.exports import xlsx  # openpyxl is loaded with the first workbook, not at start-up

    rows, today = await _export_rows(request, runtime, member)
    # writing a workbook takes CPU time: keep it off the event loop
    body = await anyio.to_thread.run_sync(
        lambda: xlsx.tables_xlsx([register.register_table(rows)], title=register.export_name(today, "xlsx"))
    )
    return _download(body, XLSX_TYPE, register.export_name(today, "xlsx"))


@router.post("/f/register/bespreken", dependencies=[CsrfChecked])
async def discuss(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    followup: Annotated[RowId, Form()],
    action: Annotated[list[RowId], Form()] = [],  # noqa: B006 - FastAPI copies its defaults
    scope: Annotated[str, Form(max_length=10)] = "selected",
    filter_query: Annotated[str, Form(alias="filter", max_length=20_000)] = "",
) -> Response:
    """Have a follow-up session review the ticked actions, or all the filter matches (at most 200); then its board."""
    # the page's filter comes along, to select "all of this filter" and to show the page again after a refusal
    params = parse_qsl(filter_query, keep_blank_values=True)
    try:
        if scope == "all":
            chosen, problems = parse_filter(params)
            if problems:
                raise problems[0]
            action = await runtime.db.read(
                partial(
                    register.matching_ids,
                    workspace_id=member.workspace_id,
                    chosen=chosen,
                    today=local_today(),
                    limit=register.REVIEW_MAX + 1,
                )
            )

        def job(db: Tx) -> int:
            workshop = register.discuss(db, member=member, followup_id=followup, action_ids=action)
            return workshop.id or 0

        workshop_id = await runtime.db.write(job)
    except DomainError as refused:
        return await _show(request, runtime, member, params, refused=refused)
    return see_other(f"/f/workshops/{workshop_id}")


async def _decide(
    request: Request,
    runtime: Runtime,
    member: Member,
    action_id: int,
    decide: Callable[..., None],
    proposed_on: str,
    filter_query: str,
    done: str,
) -> Response:
    """Take over or decline the proposal of the date the member saw; then the register again, with the same filter."""
    params = parse_qsl(filter_query, keep_blank_values=True)
    seen = parse_date(proposed_on.strip())
    try:
        if seen is None:
            raise DomainError("bad_date", N_("Welke voorgestelde datum? Open het register opnieuw."), status=422)
        await runtime.db.write(partial(decide, member=member, action_id=action_id, proposed_on=seen))
    except DomainError as refused:
        if refused.status in (403, 404):
            raise
        return await _show(request, runtime, member, params, refused=refused)
    chosen, _ = parse_filter(params)
    return see_other(f"/f/register?{chosen.query()}&gedaan={done}#actie-{action_id}")


@router.post("/f/register/voorstel/{action_id:int}/overnemen", dependencies=[CsrfChecked])
async def accept_proposal(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    action_id: RowId,
    proposed_on: Annotated[str, Form(max_length=40)] = "",
    filter_query: Annotated[str, Form(alias="filter", max_length=20_000)] = "",
) -> Response:
    """Take over the due date an owner proposed: the action's date moves, on the owner's proposal."""
    return await _decide(
        request, runtime, member, action_id, proposals.accept_proposal, proposed_on, filter_query, "overgenomen"
    )


@router.post("/f/register/voorstel/{action_id:int}/afwijzen", dependencies=[CsrfChecked])
async def decline_proposal(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    action_id: RowId,
    proposed_on: Annotated[str, Form(max_length=40)] = "",
    filter_query: Annotated[str, Form(alias="filter", max_length=20_000)] = "",
) -> Response:
    """Decline the due date an owner proposed: the date stays, the history keeps the proposal."""
    return await _decide(
        request, runtime, member, action_id, proposals.decline_proposal, proposed_on, filter_query, "afgewezen"
    )
