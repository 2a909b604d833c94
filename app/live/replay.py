"""What a live client gets when it (re)connects: the events it missed, or a full snapshot."""

from typing import Any

from sqlalchemy.orm import Session

from app.live.frames import ServerFrame, event_frame
from app.models import utcnow
from app.running.snapshots import phone_snapshot, staff_snapshot
from app.stage import service as stage
from app.store.events import encode, events_between, last_seq
from app.workshops import service as workshops


def snapshot(
    db: Session, *, workshop_id: int, role: str, participant_id: int | None, seq: int, secret: str
) -> dict[str, Any]:
    """The snapshot for a role, with the server's clock read last (the client sets its clock offset by it); the secret
    key derives a phone's personal link."""
    workshop, participant = workshops.workshop_and_participant(
        db, workshop_id=workshop_id, participant_id=participant_id if role == "phone" else None
    )
    if role == "phone":
        assert participant is not None
        view = phone_snapshot(db, workshop=workshop, participant=participant, secret=secret)
    else:
        view = staff_snapshot(db, workshop=workshop, role=role)
    frame = {"type": ServerFrame.SNAPSHOT, "seq": seq, **view}
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
    secret: str,
) -> tuple[list[str], int]:
    """Frames that bring a client up to date, and the seq they reach.

    A client that says where it was gets exactly the events it missed; one that is new, comes from
    another workshop, claims a future seq or missed too much gets a snapshot instead.
    """
    # read the newest seq first: later events reach the connection live, as it registered before this
    upto = last_seq(db, workshop_id)
    if since is not None and since_workshop == public_id and 0 <= since <= upto:
        missed = events_between(
            db,
            workshop_id=workshop_id,
            after=since,
            upto=upto,
            role=role,
            limit=replay_limit,
            participant_id=participant_id,
        )
        if len(missed) <= replay_limit:
            synced = {"type": ServerFrame.SYNCED, "seq": upto, "now": server_now()}
            return [*(event_frame(e) for e in missed), encode(synced)], upto
    frame = snapshot(db, workshop_id=workshop_id, role=role, participant_id=participant_id, seq=upto, secret=secret)
    return [encode(frame)], upto


def server_now() -> int:
    """The server's clock in epoch milliseconds, for clients to count down by (see app/stage/service.py)."""
    return stage.epoch_ms(utcnow())
