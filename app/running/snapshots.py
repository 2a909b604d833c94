"""What each screen shows of a workshop: the board's and projector's view, and a phone's."""

from typing import Any

from sqlalchemy.orm import Session

from app import steps as step_types
from app.actions import review
from app.actions import service as actions
from app.answers import service as answers
from app.clusters import service as clusters
from app.models import Participant, Workshop
from app.plain import service as plain
from app.responses import service as responses
from app.stage import service as stage
from app.workshops import service as workshops
from app.workshops.service import Phone, PhoneCard


def staff_snapshot(db: Session, *, workshop: Workshop, role: str) -> dict[str, Any]:
    """Everything the board (hidden answers too) or the projector (visible ones) shows."""
    return {
        "role": role,
        "workshop": workshops.workshop_view(workshop),
        "room": workshops.room(db, workshop_id=workshop.id or 0),
        "answers": answers.list_answers(db, workshop_id=workshop.id or 0, include_hidden=role == "facilitator"),
        "clusters": clusters.clusters_view(db, workshop_id=workshop.id or 0),
        "actions": actions.list_actions(db, workshop_id=workshop.id or 0),
        "bingo": plain.bingo_view(db, workshop=workshop),
        "timer": stage.timer_view(workshop),
        "stage": stage.stage_view(workshop),
        **step_data(db, workshop=workshop, staff=True),
    }


def step_data(db: Session, *, workshop: Workshop, staff: bool) -> dict[str, Any]:
    """What steps of some types show: grade and choice tallies (staff), actions under review, the mosaic."""
    types = [step["type"] for step in workshop.steps]
    data: dict[str, Any] = {}
    if "action_review" in types:
        data["review"] = review.review_items(db, workshop=workshop)
    # phones see the mosaic once the room has reached it, not the running grades before: no bandwagon
    show_mosaic = "mosaic" in types and (staff or types.index("mosaic") <= workshop.step_index)
    if staff or show_mosaic:
        tallies = responses.tallies(db, workshop=workshop)
        if staff:
            data["tallies"] = tallies
        if show_mosaic:
            data["mosaic"] = responses.mosaic(workshop, tallies)
    return data


def phone_page_state(db: Session, *, card: PhoneCard, phone: Phone) -> dict[str, Any]:
    """What the phone's page shows before its script takes over: who this is, their answers, what to link to, and
    the hints while typing (the list of the workshop's workspace).

    The rest of the phone's snapshot comes over its websocket; a join storm reads this once per phone.
    """
    workshop_id = card.workshop.id
    return {
        "me_parts": workshops.me_parts(phone.name, phone.organisation, taken_back=phone.organisation_taken_back),
        "answers": answers.own_answers(db, workshop_id=workshop_id, author=phone, include_hidden=True),
        "options": [
            {"id": a.id, "text": a.text}
            for a in answers.linkable(db, workshop_id=workshop_id, step=card.step, focus_only=card.focus_only)
        ],
        "jargon": plain.jargon_for(db, workspace_id=card.workshop.workspace_id),
    }


def phone_snapshot(db: Session, *, workshop: Workshop, participant: Participant, secret: str) -> dict[str, Any]:
    """What a phone needs: the step, its own answers and dots, what it can link to, vote on and join, and its personal
    link (derived with the secret key)."""
    step = step_types.read(workshops.current_step(workshop))
    options = [
        {"id": a.id, "text": a.text}
        for a in answers.linkable(db, workshop_id=workshop.id or 0, step=step, focus_only=workshop.focus_only)
    ]
    votable = []
    if step.type == "dot_vote":
        texts = {
            a["id"]: a["text"] for a in answers.list_answers(db, workshop_id=workshop.id or 0, include_hidden=False)
        }
        votable = [
            {"id": c["id"], "name": c["name"], "items": [texts[i] for i in c["answers"] if i in texts]}
            for c in sorted(clusters.clusters_view(db, workshop_id=workshop.id or 0), key=lambda c: c["id"])
        ]
    return {
        "role": "phone",
        "workshop": workshops.workshop_view(workshop),
        # the organisation a phone finds its own actions by: the network's, by id; an anonymous phone has none
        "me": {
            "name": participant.name,
            "organisation": "" if participant.anonymous else participant.organisation,
            "organisation_id": participant.organisation_id,
            # the office took the claim back: the phone marks none of the organisation's actions as its own
            "organisation_taken_back": participant.organisation_revoked_at is not None,
        },
        "answers": answers.own_answers(
            db, workshop_id=workshop.id or 0, author=workshops.phone_of(participant), include_hidden=True
        ),
        "options": options,
        # phones see the piles to vote on, not the running tally: no bandwagon
        "clusters": votable,
        "my_votes": clusters.my_votes(db, workshop_id=workshop.id or 0, participant_id=participant.id or 0),
        "actions": actions.list_actions(db, workshop_id=workshop.id or 0),
        "responses": responses.my_responses(db, workshop_id=workshop.id or 0, participant_id=participant.id or 0),
        **step_data(db, workshop=workshop, staff=False),
        "timer": stage.timer_view(workshop),
        "participant": participant.id,
        "link": f"/m/{workshops.link_token(participant, secret=secret)}",
    }
