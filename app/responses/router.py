"""The plain-form way to give a grade or a choice, for a phone whose script has not loaded."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.auth import CsrfChecked
from app.responses import service as responses
from app.runtime import PhoneKeys, RuntimeDep
from app.security import whole_number
from app.web import see_other
from app.workshops import service as workshops

router = APIRouter()


@router.post("/j/{code}/responses", dependencies=[CsrfChecked])
async def submit_response(
    request: Request,
    runtime: RuntimeDep,
    code: str,
    step: Annotated[str, Form(max_length=64)],
    value: Annotated[list[str] | None, Form(max_length=12)] = None,
) -> Response:
    """Store a grade or choice sent by a plain form post; sending again replaces it."""
    workshop, participant = await runtime.db.read(partial(workshops.find_phone, code=code, cookies=request.cookies))
    if workshop is None or participant is None:
        raise await runtime.phone_refused(request, code_known=workshop is not None)
    await runtime.check_tap_rate(PhoneKeys.of(request, workshop_id=workshop.id or 0, participant_id=participant.id))
    # a number read strictly ("²" stays text, which the checks refuse in words); anything else goes as it was sent
    picked = [number if (number := whole_number(v, low=0)) is not None else v for v in value or []]
    kind = workshops.current_step(workshop)["type"]
    await runtime.db.write(
        partial(
            responses.submit_response,
            workshop_id=workshop.id or 0,
            participant_id=participant.id or 0,
            step_id=step,
            # a grade is one number (its checks give the clear error for anything else); a choice a list
            value=(picked[0] if len(picked) == 1 else picked) if kind == "grade" else picked,
        )
    )
    return see_other(f"/j/{workshop.join_code}?sent=1")
