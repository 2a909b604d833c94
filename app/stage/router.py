"""The board's stage controls (countdown, spotlight, projector view and pause, moderation), the projector's cloud."""

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from app.answers import moderation, words
from app.answers import service as answers
from app.auth import CsrfChecked, Runner, Viewer
from app.errors import DomainError, UnknownLink
from app.i18n import N_
from app.models import Member, RowId, Workspace
from app.runtime import Runtime, RuntimeDep
from app.stage import service as stage
from app.web import render, save_word_list, see_other, wants_json
from app.workshops import service as workshops

router = APIRouter()
# room for the longest list that passes the checks, so a too-long list gets its own message rather than a 422
MAX_FORM_TEXT = moderation.MAX_ENTRIES * 2 * (moderation.MAX_ENTRY_LENGTH + 2)
TimerAction = Literal["start", "pause", "resume", "add", "stop"]


async def _run(request: Request, runtime: Runtime, fn: Any, *, workshop_id: RowId, member: Member) -> Response:
    """Run a change on a workshop of this facilitator; JSON for the board's script, else back to the board."""
    view = await runtime.db.write(workshops.owned_job(fn, workshop_id=workshop_id, member=member))
    if wants_json(request):
        return JSONResponse(view)
    return see_other(f"/f/workshops/{workshop_id}")


@router.post("/f/workshops/{workshop_id}/timer", dependencies=[CsrfChecked])
async def timer(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    workshop_id: RowId,
    action: Annotated[TimerAction, Form()],
    minutes: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Start (with typed minutes or the step's default), pause, resume, add a minute to or stop the countdown."""
    fn: Any
    if action == "start":
        fn = partial(stage.start_timer, ms=stage.parse_minutes(minutes) if minutes.strip() else None)
    else:
        fn = {
            "pause": stage.pause_timer,
            "resume": stage.resume_timer,
            "add": stage.add_minute,
            "stop": stage.stop_timer,
        }[action]
    return await _run(request, runtime, fn, workshop_id=workshop_id, member=member)


@router.post("/f/workshops/{workshop_id}/spotlight", dependencies=[CsrfChecked])
async def spotlight(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    workshop_id: RowId,
    answer_id: Annotated[RowId | None, Form()] = None,
) -> Response:
    """Show one answer alone on the projector, or (no answer) go back to the wall."""
    fn = partial(stage.set_spotlight, answer_id=answer_id)
    return await _run(request, runtime, fn, workshop_id=workshop_id, member=member)


@router.post("/f/workshops/{workshop_id}/projector-view", dependencies=[CsrfChecked])
async def projector_view(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    workshop_id: RowId,
    view: Annotated[str, Form(max_length=8)],
) -> Response:
    """Switch the projector between the wall and the word cloud."""
    fn = partial(stage.set_view, view=view)
    return await _run(request, runtime, fn, workshop_id=workshop_id, member=member)


@router.post("/f/workshops/{workshop_id}/projector-pause", dependencies=[CsrfChecked])
async def projector_pause(
    request: Request, runtime: RuntimeDep, member: Runner, workshop_id: RowId, paused: Annotated[bool, Form()]
) -> Response:
    """Hold the projector's turning pages on the one it shows, or let them turn again."""
    fn = partial(stage.set_paused, paused=paused)
    return await _run(request, runtime, fn, workshop_id=workshop_id, member=member)


@router.post("/f/workshops/{workshop_id}/moderated", dependencies=[CsrfChecked])
async def moderated(
    request: Request, runtime: RuntimeDep, member: Runner, workshop_id: RowId, on: Annotated[bool, Form()]
) -> Response:
    """Turn "eerst naar de regie" on or off: answers wait for approval before they reach the projector."""
    fn = partial(workshops.set_moderated, on=on)
    return await _run(request, runtime, fn, workshop_id=workshop_id, member=member)


@router.post("/f/workshops/{workshop_id}/answers/approve-all", dependencies=[CsrfChecked])
async def approve_all(request: Request, runtime: RuntimeDep, member: Runner, workshop_id: RowId) -> Response:
    """Let every waiting answer onto the projector."""
    return await _run(request, runtime, answers.approve_all, workshop_id=workshop_id, member=member)


@router.post("/f/workshops/{workshop_id}/answers/{answer_id}/approve", dependencies=[CsrfChecked])
async def approve(
    request: Request, runtime: RuntimeDep, member: Runner, workshop_id: RowId, answer_id: RowId
) -> Response:
    """Let one waiting answer onto the projector."""
    fn = partial(answers.approve_answer, answer_id=answer_id)
    return await _run(request, runtime, fn, workshop_id=workshop_id, member=member)


@router.get("/p/{token}/words")
async def cloud_words(runtime: RuntimeDep, token: str, step: str = "") -> Response:
    """The word cloud of an open question, for the projector that has this link (JSON)."""

    def load(db: Any) -> list[tuple[str, int]]:
        workshop = workshops.workshop_by_projector_token(db, token, secret=runtime.secret_key)
        if workshop is None:
            raise UnknownLink("projector_not_found", N_("Deze projectorlink bestaat niet."))
        if not any(s["id"] == step and s["type"] == "open_text" for s in workshop.steps):
            raise DomainError("no_such_step", N_("Die stap bestaat niet in deze workshop."), status=404)
        return words.step_words(db, workshop_id=workshop.id or 0, step_id=step)

    counted = await runtime.db.read(load)
    return JSONResponse({"step": step, "words": [{"word": word, "count": n} for word, n in counted]})


async def _blocked_words_page(
    request: Request, runtime: Runtime, member: Member, *, status: int = 200, **extra: Any
) -> Response:
    def load(db: Any) -> tuple[Workspace | None, list[str]]:
        return db.get(Workspace, member.workspace_id), moderation.blocked_words_for(
            db, workspace_id=member.workspace_id
        )

    workspace, listed = await runtime.db.read(load)
    context = {
        "own": workspace is not None and workspace.blocked_words is not None,
        "count": len(listed),
        "text": "\n".join(listed),
        "max_words": moderation.MAX_ENTRIES,
        "max_length": moderation.MAX_ENTRY_LENGTH,
        **extra,
    }
    return render(request, "facilitator/blocked_words.html", context, status=status)


@router.get("/f/woordfilter")
async def blocked_words_page(request: Request, runtime: RuntimeDep, member: Viewer) -> Response:
    """The facilitator's blocked words and the form to change them."""
    return await _blocked_words_page(request, runtime, member, saved=request.query_params.get("saved"))


@router.post("/f/woordfilter", dependencies=[CsrfChecked])
async def save_blocked_words(
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
        parse=moderation.parse_lines,
        save=partial(moderation.save_blocked_words, workspace_id=member.workspace_id),
        show=partial(_blocked_words_page, request, runtime, member),
        path="/f/woordfilter",
    )
