"""A participant's own page: their answers, the actions they joined and the follow-up, from a personal link."""

import dataclasses
from datetime import date
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.actions import reporting
from app.actions import service as actions
from app.answers import service as answers
from app.exports import wording
from app.exports.data import load_decision_list
from app.exports.ics import decision_list_ics
from app.models import local_today
from app.runtime import RuntimeDep
from app.web import render
from app.workshops import service as workshops

router = APIRouter(prefix="/m/{link_token}")


def my_agreements(db: Session, *, link_token: str, secret: str, today: date) -> dict[str, Any]:
    """What one participant said, joined and agreed to, in one workshop (the secret key checks the link); what is
    past its deadline is counted from today."""
    participant, workshop = workshops.participant_by_link(db, link_token, secret=secret)
    mine = answers.own_answers(
        db, workshop_id=workshop.id or 0, author=workshops.phone_of(participant), include_hidden=False
    )
    texts = {a["id"]: a["text"] for a in answers.list_answers(db, workshop_id=workshop.id or 0, include_hidden=False)}
    steps = {step["id"]: step for step in workshop.steps}
    joined = [
        {**action, "due_day": date.fromisoformat(action["due_on"]) if action["due_on"] else None}
        for action in actions.list_actions(db, workshop_id=workshop.id or 0)
        if any(v["participant"] == participant.id for v in action["volunteers"])
    ]
    return {
        "participant": participant,
        "workshop": workshop,
        "me_parts": workshops.me_parts(
            participant.name, participant.organisation, taken_back=participant.organisation_revoked_at is not None
        ),
        "answers": [
            {**a, "step_title": steps.get(a["step"], {}).get("title"), "linked": texts.get(a["links_to"])} for a in mine
        ],
        "joined": joined,
        "followup": workshops.followup_view(workshop),
        # what this participant may report on between sessions, here and in the workspace's other workshops
        "reportable": reporting.report_list(db, participant=participant, today=today),
        # the first day a new due date may be proposed for
        "today": today,
    }


@router.get("")
async def page(request: Request, runtime: RuntimeDep, link_token: str, vergeten: int = 0) -> Response:
    """The "Mijn afspraken" page."""
    data = await runtime.db.read(
        partial(my_agreements, link_token=link_token, secret=runtime.secret_key, today=local_today())
    )
    # dates and labels in the besluitenlijst's words, so this page reads the same as every other
    # said only when true: the query is anyone's to type, and a link opened with it must not claim a removal
    me = data["participant"]
    forgotten = bool(vergeten) and not me.name and not me.email
    context = {**data, "link": request.url.path, "wording": wording, "forgotten": forgotten}
    return render(request, "participant/mine.html", context)


@router.get("/vervolg.ics")
async def calendar(runtime: RuntimeDep, link_token: str) -> Response:
    """The follow-up meeting and the due dates of the actions this participant joined, for their calendar."""

    def build(db: Session) -> bytes:
        mine = my_agreements(db, link_token=link_token, secret=runtime.secret_key, today=local_today())
        joined_ids = {action["id"] for action in mine["joined"]}
        decisions = load_decision_list(db, workshop_id=mine["workshop"].id or 0)
        joined = tuple(action for action in decisions.actions if action.id in joined_ids)
        return decision_list_ics(dataclasses.replace(decisions, actions=joined))

    body = await runtime.db.read(build)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="doorbraak-vervolg.ics"'},
    )
