"""The board's stage controls (countdown, spotlight, projector view, moderation) and the projector's word cloud."""

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from app.answers import service as answers
from app.answers import words
from app.auth import CsrfChecked, FacilitatorId
from app.errors import DomainError
from app.i18n import N_
from app.runtime import Runtime, RuntimeDep
from app.stage import service as stage
from app.web import see_other, wants_json
from app.workshops import service as workshops

router = APIRouter()
TimerAction = Literal["start", "pause", "resume", "add", "stop"]


async def _run(request: Request, runtime: Runtime, fn: Any, *, workshop_id: int, facilitator_id: int) -> Response:
    """Run a change on a workshop of this facilitator; JSON for the board's script, else back to the board."""
    view = await runtime.db.write(workshops.owned_job(fn, workshop_id=workshop_id, facilitator_id=facilitator_id))
    if wants_json(request):
        return JSONResponse(view)
    return see_other(f"/f/workshops/{workshop_id}")


@router.post("/f/workshops/{workshop_id}/timer", dependencies=[CsrfChecked])
async def timer(
    request: Request,
    runtime: RuntimeDep,
    facilitator_id: FacilitatorId,
    workshop_id: int,
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
    return await _run(request, runtime, fn, workshop_id=workshop_id, facilitator_id=facilitator_id)


@router.post("/f/workshops/{workshop_id}/spotlight", dependencies=[CsrfChecked])
async def spotlight(
    request: Request,
    runtime: RuntimeDep,
    facilitator_id: FacilitatorId,
    workshop_id: int,
    answer_id: Annotated[int | None, Form()] = None,
) -> Response:
    """Show one answer alone on the projector, or (no answer) go back to the wall."""
    fn = partial(stage.set_spotlight, answer_id=answer_id)
    return await _run(request, runtime, fn, workshop_id=workshop_id, facilitator_id=facilitator_id)


@router.post("/f/workshops/{workshop_id}/projector-view", dependencies=[CsrfChecked])
async def projector_view(
    request: Request,
    runtime: RuntimeDep,
    facilitator_id: FacilitatorId,
    workshop_id: int,
    view: Annotated[str, Form(max_length=8)],
) -> Response:
    """Switch the projector between the wall and the word cloud."""
    fn = partial(stage.set_view, view=view)
    return await _run(request, runtime, fn, workshop_id=workshop_id, facilitator_id=facilitator_id)


@router.post("/f/workshops/{workshop_id}/moderated", dependencies=[CsrfChecked])
async def moderated(
    request: Request, runtime: RuntimeDep, facilitator_id: FacilitatorId, workshop_id: int, on: Annotated[bool, Form()]
) -> Response:
    """Turn "eerst naar de regie" on or off: answers wait for approval before they reach the projector."""
    fn = partial(workshops.set_moderated, on=on)
    return await _run(request, runtime, fn, workshop_id=workshop_id, facilitator_id=facilitator_id)


@router.post("/f/workshops/{workshop_id}/answers/approve-all", dependencies=[CsrfChecked])
async def approve_all(
    request: Request, runtime: RuntimeDep, facilitator_id: FacilitatorId, workshop_id: int
) -> Response:
    """Let every waiting answer onto the projector."""
    return await _run(request, runtime, answers.approve_all, workshop_id=workshop_id, facilitator_id=facilitator_id)


@router.post("/f/workshops/{workshop_id}/answers/{answer_id}/approve", dependencies=[CsrfChecked])
async def approve(
    request: Request, runtime: RuntimeDep, facilitator_id: FacilitatorId, workshop_id: int, answer_id: int
) -> Response:
    """Let one waiting answer onto the projector."""
    fn = partial(answers.approve_answer, answer_id=answer_id)
    return await _run(request, runtime, fn, workshop_id=workshop_id, facilitator_id=facilitator_id)


@router.get("/p/{token}/words")
async def cloud_words(runtime: RuntimeDep, token: str, step: str = "") -> Response:
    """The word cloud of an open question, for the projector that has this link (JSON)."""

    def load(db: Any) -> list[tuple[str, int]]:
        workshop = workshops.workshop_by_projector_token(db, token)
        if workshop is None:
            raise DomainError("projector_not_found", N_("Deze projectorlink bestaat niet."), status=404)
        if not any(s["id"] == step and s["type"] == "open_text" for s in workshop.steps):
            raise DomainError("no_such_step", N_("Die stap bestaat niet in deze workshop."), status=404)
        return words.step_words(db, workshop_id=workshop.id or 0, step_id=step)

    counted = await runtime.db.read(load)
    return JSONResponse({"step": step, "words": [{"word": word, "count": n} for word, n in counted]})
