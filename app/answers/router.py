"""The plain-form way to send an answer, for a phone whose script has not loaded."""

from functools import partial
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.answers import service as answers
from app.auth import CsrfChecked
from app.runtime import PhoneKeys, RuntimeDep
from app.security import whole_number
from app.web import see_other
from app.workshops import service as workshops

router = APIRouter()


@router.post("/j/{code}/answers", dependencies=[CsrfChecked])
async def submit_answer(
    request: Request,
    runtime: RuntimeDep,
    code: str,
    client_id: Annotated[UUID, Form()],
    step: Annotated[str, Form(max_length=64)],
    text: Annotated[str, Form(max_length=4000)] = "",
    links_to: Annotated[str, Form(max_length=20)] = "",
    theme: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Store an answer sent by a plain form post; a resent form is stored once."""
    workshop, participant = await runtime.db.read(partial(workshops.find_phone, code=code, cookies=request.cookies))
    if workshop is None or participant is None:
        raise await runtime.phone_refused(request, code_known=workshop is not None)
    await runtime.check_answer_rate(PhoneKeys.of(request, workshop_id=workshop.id or 0, participant_id=participant.id))
    link = whole_number(links_to)
    submission = answers.Submission(
        workshop_id=workshop.id or 0,
        participant_id=participant.id or 0,
        step_id=step,
        text=text,
        client_id=str(client_id),
        links_to=link,
        theme=theme or None,
    )
    await runtime.db.write_item(answers.submit_answers, submission)
    return see_other(f"/j/{workshop.join_code}?sent=1")
