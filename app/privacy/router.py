"""The privacy statement, the retention setting, deleting a workshop, and a participant's data and name: their own,
or a member's for a data subject request."""

from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.actions import reporting
from app.auth import CsrfChecked, Manager, Runner, Viewer
from app.errors import DomainError
from app.i18n import N_
from app.models import (
    LOCAL_TIMEZONE,
    SESSION_IDLE,
    SESSION_LONGEST,
    Member,
    Participant,
    RowId,
    Workshop,
    Workspace,
    as_utc,
    local_day,
)
from app.privacy import service as privacy
from app.runtime import Runtime, RuntimeDep
from app.security import whole_number
from app.store.events import Tx
from app.web import Pager, render, see_other
from app.workshops import service as workshops
from app.workspaces.service import INVITATION_DAYS

router = APIRouter()


@router.get("/privacy")
async def statement(request: Request) -> Response:
    """What Doorbraak stores, why and for how long."""
    periods = {
        "idle_hours": int(SESSION_IDLE.total_seconds()) // 3600,
        "session_days": SESSION_LONGEST.days,
        "invitation_days": INVITATION_DAYS,
        "invitation_kept_days": privacy.ENDED_INVITATIONS_KEPT.days,
    }
    return render(request, "privacy/statement.html", periods)


async def _settings_page(
    request: Request, runtime: Runtime, member: Member, *, status: int = 200, **extra: Any
) -> Response:
    def load(db: Session) -> tuple[Workspace | None, list[Workshop]]:
        done = select(Workshop).where(
            col(Workshop.workspace_id) == member.workspace_id, col(Workshop.anonymised_at).is_not(None)
        )
        return db.get(Workspace, member.workspace_id), list(db.execute(done.order_by(col(Workshop.held_on))).scalars())

    workspace, anonymised = await runtime.db.read(load)
    # the day the names went, on the Dutch clock (stored in UTC: past midnight here it is still yesterday there)
    removed_on = {workshop.id: local_day(workshop.anonymised_at) for workshop in anonymised if workshop.anonymised_at}
    context = {
        "workspace": workspace,
        "anonymised": anonymised,
        "removed_on": removed_on,
        "can_manage": member.can_manage,
        **extra,
    }
    return render(request, "privacy/settings.html", context, status=status)


@router.get("/f/privacy")
async def settings(request: Request, runtime: RuntimeDep, member: Viewer, bewaard: int = 0) -> Response:
    """The workspace's retention period, and the workshops whose names it has already removed."""
    return await _settings_page(request, runtime, member, saved=bool(bewaard))


@router.post("/f/privacy", dependencies=[CsrfChecked])
async def save_settings(
    request: Request, runtime: RuntimeDep, member: Manager, months: Annotated[str, Form(max_length=10)] = ""
) -> Response:
    """Change the retention period (beheerder)."""
    try:
        number = whole_number(months, low=0, high=10**9)
        # anything not a number gets the rule's own message, as a number out of its range does
        number = -1 if number is None else number
        await runtime.db.write(partial(privacy.set_retention, workspace_id=member.workspace_id, months=number))
    except DomainError as exc:
        return await _settings_page(request, runtime, member, errors=[exc.text()], status=exc.status)
    return see_other("/f/privacy?bewaard=1")


@router.get("/f/workshops/{workshop_id}/verwijderen")
async def delete_page(request: Request, runtime: RuntimeDep, member: Runner, workshop_id: RowId) -> Response:
    """Ask for the workshop's title before deleting it."""
    workshop = await runtime.db.read(partial(workshops.owned_workshop, workshop_id=workshop_id, member=member))
    return render(request, "privacy/delete_workshop.html", {"workshop": workshop})


@router.post("/f/workshops/{workshop_id}/verwijderen", dependencies=[CsrfChecked])
async def delete(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    workshop_id: RowId,
    title: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """Delete the workshop and everything in it, once its title is typed."""

    def job(db: Tx, *, workshop: Workshop) -> None:
        privacy.delete_workshop(db, workshop=workshop, typed_title=title)

    try:
        await runtime.db.write(workshops.owned_job(job, workshop_id=workshop_id, member=member))
    except DomainError as exc:
        if exc.code != "title_mismatch":
            raise
        workshop = await runtime.db.read(partial(workshops.owned_workshop, workshop_id=workshop_id, member=member))
        context = {"workshop": workshop, "errors": [exc.text()], "typed": title}
        return render(request, "privacy/delete_workshop.html", context, status=exc.status)
    return see_other("/f/workshops?verwijderd=1")


@router.get("/m/{link_token}/gegevens.json")
async def my_data(runtime: RuntimeDep, link_token: str) -> Response:
    """Everything stored about the participant this personal link belongs to."""

    def read(db: Session) -> dict[str, Any]:
        participant, _ = workshops.participant_by_link(db, link_token, secret=runtime.secret_key)
        return privacy.participant_record(db, participant=participant)

    record = await runtime.db.read(read)
    headers = {"content-disposition": 'attachment; filename="mijn-gegevens.json"', "cache-control": "no-store"}
    return JSONResponse(record, headers=headers)


async def _forget_me_page(
    request: Request, runtime: Runtime, link_token: str, *, status: int = 200, **extra: Any
) -> Response:
    def read(db: Session) -> tuple[Participant, Workshop]:
        return workshops.participant_by_link(db, link_token, secret=runtime.secret_key)

    participant, workshop = await runtime.db.read(read)
    context = {"participant": participant, "workshop": workshop, "link": f"/m/{link_token}", **extra}
    return render(request, "participant/forget_me.html", context, status=status)


@router.get("/m/{link_token}/vergeet-mij")
async def forget_me_page(request: Request, runtime: RuntimeDep, link_token: str) -> Response:
    """Say what "vergeet mij" removes and what stays, and ask to confirm; this changes nothing."""
    return await _forget_me_page(request, runtime, link_token)


@router.post("/m/{link_token}/vergeet-mij", dependencies=[CsrfChecked])
async def forget_me(
    request: Request, runtime: RuntimeDep, link_token: str, confirm: Annotated[str, Form(max_length=5)] = ""
) -> Response:
    """Remove the participant's name once they confirm; their answers stay, without it."""

    def job(db: Tx) -> None:
        participant, _ = workshops.participant_by_link(db, link_token, secret=runtime.secret_key)
        # the link goes on working: the page it opens says the name is gone, and its actions can still be reported
        privacy.forget_self(db, participant=participant, confirmed=confirm == "ja")

    try:
        await runtime.db.write(job)
    except DomainError as exc:
        if exc.code != "forget_not_confirmed":
            raise
        return await _forget_me_page(request, runtime, link_token, errors=[exc.text()], status=exc.status)
    return see_other(f"/m/{link_token}?vergeten=1")


def _participant_of(db: Session, *, workshop_id: int, participant_id: int, member: Member) -> Participant:
    """A participant of a workshop of the member's workspace; any other is reported as not found."""
    workshop = workshops.owned_workshop(db, workshop_id=workshop_id, member=member)
    participant = db.get(Participant, participant_id)
    if participant is None or participant.workshop_id != workshop.id:
        raise DomainError("participant_not_found", N_("Deze deelnemer bestaat niet in deze workshop."), status=404)
    return participant


@router.get("/f/workshops/{workshop_id}/deelnemers")
async def participants(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    workshop_id: RowId,
    q: Annotated[str, Query(max_length=254)] = "",
    page: Annotated[str, Query(max_length=20)] = "1",
    vergeten: int = 0,
) -> Response:
    """A workshop's participants, found by name or address, a hundred to a page, each with their data to download
    or their name and address to remove."""
    number = whole_number(page, low=1, high=10**6)

    def read(db: Session) -> tuple[Workshop, privacy.ParticipantsPage]:
        workshop = workshops.owned_workshop(db, workshop_id=workshop_id, member=member)
        if number is None:
            raise DomainError("bad_page", N_("Een paginanummer is een heel getal vanaf 1."), status=422)
        return workshop, privacy.participants_page(db, workshop_id=workshop_id, search=q, page=number)

    workshop, shown = await runtime.db.read(read)
    # when each joined, on the Dutch clock: two people of one name and organisation are told apart by it
    joined = {p.id: as_utc(p.joined_at).astimezone(LOCAL_TIMEZONE).strftime("%H:%M") for p in shown.rows}
    base = f"/f/workshops/{workshop_id}/deelnemers"

    def link(number: int) -> str:
        query = urlencode([*([("q", q)] if q else []), *([("page", str(number))] if number > 1 else [])])
        return f"{base}?{query}" if query else base

    context = {
        "workshop": workshop,
        "shown": shown,
        "search": q,
        "pager": Pager(shown.page, shown.pages, link),
        "page_size": privacy.PARTICIPANTS_PAGE,
        "joined": joined,
        "forgotten": bool(vergeten),
    }
    return render(request, "privacy/participants.html", context)


@router.get("/f/workshops/{workshop_id}/deelnemers/{participant_id}/vergeten")
async def forget_page(
    request: Request, runtime: RuntimeDep, member: Runner, workshop_id: RowId, participant_id: RowId
) -> Response:
    """Ask for the participant's name (or address) before removing both."""
    participant = await runtime.db.read(
        partial(_participant_of, workshop_id=workshop_id, participant_id=participant_id, member=member)
    )
    return render(request, "privacy/forget_participant.html", {"participant": participant, "workshop_id": workshop_id})


@router.post("/f/workshops/{workshop_id}/deelnemers/{participant_id}/vergeten", dependencies=[CsrfChecked])
async def forget_participant(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    workshop_id: RowId,
    participant_id: RowId,
    typed: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """Remove a participant's name and address, as their own "vergeet mij" does, once the name is typed."""

    def job(db: Tx) -> None:
        participant = _participant_of(db, workshop_id=workshop_id, participant_id=participant_id, member=member)
        privacy.forget_on_request(db, participant=participant, typed=typed)

    try:
        await runtime.db.write(job)
    except DomainError as exc:
        if exc.code != "confirmation_mismatch":
            raise
        participant = await runtime.db.read(
            partial(_participant_of, workshop_id=workshop_id, participant_id=participant_id, member=member)
        )
        context = {"participant": participant, "workshop_id": workshop_id, "errors": [exc.text()], "typed": typed}
        return render(request, "privacy/forget_participant.html", context, status=exc.status)
    return see_other(f"/f/workshops/{workshop_id}/deelnemers?vergeten=1")


@router.post("/f/workshops/{workshop_id}/deelnemers/{participant_id}/organisatie", dependencies=[CsrfChecked])
async def organisation_claim(
    runtime: RuntimeDep,
    member: Runner,
    workshop_id: RowId,
    participant_id: RowId,
    belongs: Annotated[str, Form(max_length=5)] = "",
    q: Annotated[str, Form(max_length=254)] = "",
    page: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Take back the organisation a participant named ("hoort niet bij deze organisatie"), or give it back: the
    reporting rule follows at once."""

    def job(db: Tx) -> None:
        participant = _participant_of(db, workshop_id=workshop_id, participant_id=participant_id, member=member)
        reporting.take_back_organisation(db, participant=participant, taken_back=belongs != "ja")

    await runtime.db.write(job)
    query = urlencode([*([("q", q)] if q else []), *([("page", page)] if page not in ("", "1") else [])])
    back = f"/f/workshops/{workshop_id}/deelnemers" + (f"?{query}" if query else "")
    return see_other(f"{back}#deelnemer-{participant_id}")


@router.get("/f/workshops/{workshop_id}/deelnemers/{participant_id}/gegevens.json")
async def participant_data(runtime: RuntimeDep, member: Runner, workshop_id: RowId, participant_id: RowId) -> Response:
    """Everything stored about one participant of a workshop, for a data subject request."""

    def read(db: Session) -> dict[str, Any]:
        participant = _participant_of(db, workshop_id=workshop_id, participant_id=participant_id, member=member)
        return privacy.participant_record(db, participant=participant)

    record = await runtime.db.read(read)
    headers = {"content-disposition": f'attachment; filename="deelnemer-{participant_id}.json"'}
    return JSONResponse(record, headers={**headers, "cache-control": "no-store"})
