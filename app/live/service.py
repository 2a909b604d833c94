"""What a live client gets when it (re)connects: the events it missed, or a full snapshot."""

from typing import Any

from sqlalchemy.orm import Session

from app.actions import review
from app.actions import service as actions
from app.answers import service as answers
from app.clusters import service as clusters
from app.live.frames import event_frame
from app.models import Participant, Workshop, utcnow
from app.plain import service as plain
from app.responses import service as responses
from app.stage import service as stage
from app.store.events import encode, events_between, last_seq
from app.workshops import service as workshops


def staff_snapshot(db: Session, *, workshop: Workshop, role: str, seq: int) -> dict[str, Any]:
    """Everything the board (hidden answers too) or the projector (visible ones) shows."""
    return {
        "type": "snapshot",
        "seq": seq,
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


def phone_snapshot(db: Session, *, workshop: Workshop, participant: Participant, seq: int) -> dict[str, Any]:
    """What a phone needs: the step, its own answers and dots, what it can link to, vote on and join."""
    options = [{"id": a.id, "text": a.text} for a in answers.linkable(db, workshop=workshop)]
    votable = []
    if workshops.current_step(workshop)["type"] == "dot_vote":
        texts = {
            a["id"]: a["text"] for a in answers.list_answers(db, workshop_id=workshop.id or 0, include_hidden=False)
        }
        votable = [
            {"id": c["id"], "name": c["name"], "items": [texts[i] for i in c["answers"] if i in texts]}
            for c in sorted(clusters.clusters_view(db, workshop_id=workshop.id or 0), key=lambda c: c["id"])
        ]
    return {
        "type": "snapshot",
        "seq": seq,
        "role": "phone",
        "workshop": workshops.workshop_view(workshop),
        "me": {"name": participant.name, "organisation": participant.organisation},
        "answers": answers.list_answers(
            db, workshop_id=workshop.id or 0, include_hidden=True, participant_id=participant.id
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
        "link": f"/m/{participant.link_token}",
    }


def snapshot(db: Session, *, workshop_id: int, role: str, participant_id: int | None, seq: int) -> dict[str, Any]:
    """The snapshot for a role, with the server's clock read last (the client sets its clock offset by it)."""
    workshop = db.get(Workshop, workshop_id)
    assert workshop is not None
    if role == "phone":
        participant = db.get(Participant, participant_id)
        assert participant is not None
        frame = phone_snapshot(db, workshop=workshop, participant=participant, seq=seq)
    else:
        frame = staff_snapshot(db, workshop=workshop, role=role, seq=seq)
    frame["now"] = server_now()
    return frame


def catch_up(
    db: Session,
    *,
    workshop_id: int,
    public_id: str,
    role: str,
    participant_id: int | None,
    since: int | None,
    since_workshop: str | None,
    replay_limit: int,
) -> tuple[list[str], int]:
    """Frames that bring a client up to date, and the seq they reach.

    A client that says where it was gets exactly the events it missed; one that is new, comes from
    another workshop, claims a future seq or missed too much gets a snapshot instead.
    """
    # read the newest seq first: later events reach the connection live, as it registered before this
    upto = last_seq(db, workshop_id)
    if since is not None and since_workshop == public_id and 0 <= since <= upto:
        missed = events_between(db, workshop_id=workshop_id, after=since, upto=upto, role=role, limit=replay_limit)
        if len(missed) <= replay_limit:
            synced = {"type": "synced", "seq": upto, "now": server_now()}
            return [*(event_frame(e) for e in missed), encode(synced)], upto
    frame = snapshot(db, workshop_id=workshop_id, role=role, participant_id=participant_id, seq=upto)
    return [encode(frame)], upto


def server_now() -> int:
    """The server's clock in epoch milliseconds, for clients to count down by (see app/stage/service.py)."""
    return stage.epoch_ms(utcnow())
