"""The countdown, the spotlight and the projector's view: state on the workshop, announced as events.

Times go out as epoch milliseconds of the server's clock; every client learns its offset to that clock from
the `now` of its snapshot or replay, so a phone and the projector count down to the same instant.
"""

import re
from datetime import datetime, timedelta
from typing import Any

from app import steps as step_types
from app.answers import service as answers
from app.errors import DomainError
from app.i18n import N_
from app.models import Answer, Workshop, utcnow
from app.store.events import Audience, EventKind, Tx, append_event

MINUTE_MS = 60_000
TIMER_MIN_MS = 1_000
TIMER_MAX_MS = 2 * 60 * MINUTE_MS
VIEWS = ("wall", "cloud")


def epoch_ms(moment: datetime) -> int:
    """A moment as milliseconds since the epoch, as browsers count."""
    return int(moment.timestamp() * 1000)


def timer_view(workshop: Workshop) -> dict[str, Any]:
    """The countdown as every screen needs it: running to ends_at, paused with left_ms to go, or stopped."""
    if workshop.timer_ends_at is not None:
        state, ends_at, left = "running", epoch_ms(workshop.timer_ends_at), None
    elif workshop.timer_left_ms is not None:
        state, ends_at, left = "paused", None, workshop.timer_left_ms
    else:
        state, ends_at, left = "stopped", None, None
    return {"state": state, "ends_at": ends_at, "left_ms": left, "total_ms": workshop.timer_total_ms}


def stage_view(workshop: Workshop) -> dict[str, Any]:
    """What the projector shows besides the wall: the view ("wall" or "cloud"), the spotlight, whether pages hold."""
    return {
        "view": workshop.projector_view,
        "spotlight": workshop.spotlight_answer_id,
        "paused": workshop.projector_paused,
    }


def parse_minutes(raw: str) -> int:
    """A duration typed on the board (minutes, "1,5" or "1.5" too) in milliseconds, or the error that says why not."""
    text = raw.strip().replace(",", ".")
    if not re.fullmatch(r"-?\d{1,6}(\.\d{1,3})?", text):
        raise DomainError("timer_not_a_number", N_("Typ het aantal minuten als getal, bijvoorbeeld 5."), status=422)
    return checked_duration(round(float(text) * MINUTE_MS))


def checked_duration(ms: int) -> int:
    """A countdown's length if it is one a session can use."""
    if ms < TIMER_MIN_MS:
        raise DomainError("timer_too_short", N_("Kies een tijd van meer dan 0 minuten."), status=422)
    if ms > TIMER_MAX_MS:
        raise DomainError(
            "timer_too_long", N_("Kies hoogstens {max} minuten."), status=422, max=TIMER_MAX_MS // MINUTE_MS
        )
    return ms


def _announce_timer(db: Tx, workshop: Workshop) -> dict[str, Any]:
    db.flush()
    view = timer_view(workshop)
    append_event(db, workshop_id=workshop.id or 0, kind=EventKind.TIMER_CHANGED, audience=Audience.ALL, data=view)
    return view


def start_timer(db: Tx, *, workshop: Workshop, ms: int | None) -> dict[str, Any]:
    """Start (or restart) the countdown: ms, else the current step's default from its format."""
    if ms is None:
        default = step_types.read(workshop.steps[workshop.step_index]).timer
        if default is None:
            raise DomainError(
                "timer_no_default", N_("Deze stap heeft geen standaardtijd. Typ het aantal minuten."), status=422
            )
        ms = int(default) * 1000
    ms = checked_duration(ms)
    workshop.timer_ends_at = utcnow() + timedelta(milliseconds=ms)
    workshop.timer_left_ms = None
    workshop.timer_total_ms = ms
    return _announce_timer(db, workshop)


def pause_timer(db: Tx, *, workshop: Workshop) -> dict[str, Any]:
    """Hold the countdown where it is."""
    if workshop.timer_ends_at is None:
        raise DomainError("timer_not_running", N_("De tijd loopt nu niet."), status=409)
    left = epoch_ms(workshop.timer_ends_at) - epoch_ms(utcnow())
    workshop.timer_ends_at = None
    workshop.timer_left_ms = max(0, left)
    return _announce_timer(db, workshop)


def resume_timer(db: Tx, *, workshop: Workshop) -> dict[str, Any]:
    """Let a paused countdown run on."""
    if workshop.timer_left_ms is None:
        raise DomainError("timer_not_paused", N_("De tijd staat niet op pauze."), status=409)
    workshop.timer_ends_at = utcnow() + timedelta(milliseconds=workshop.timer_left_ms)
    workshop.timer_left_ms = None
    return _announce_timer(db, workshop)


def add_minute(db: Tx, *, workshop: Workshop) -> dict[str, Any]:
    """One minute more, running or paused; a countdown that ran out starts again from one minute."""
    now = utcnow()
    if workshop.timer_ends_at is not None:
        # time that is already up does not count: "+1 minute" after zero means one minute from now
        left = checked_duration(max(0, epoch_ms(workshop.timer_ends_at) - epoch_ms(now)) + MINUTE_MS)
        workshop.timer_ends_at = now + timedelta(milliseconds=left)
    elif workshop.timer_left_ms is not None:
        workshop.timer_left_ms = checked_duration(workshop.timer_left_ms + MINUTE_MS)
    else:
        raise DomainError("timer_not_running", N_("De tijd loopt nu niet."), status=409)
    workshop.timer_total_ms = (workshop.timer_total_ms or 0) + MINUTE_MS
    return _announce_timer(db, workshop)


def stop_timer(db: Tx, *, workshop: Workshop) -> dict[str, Any]:
    """Take the countdown away; stopping a stopped one changes nothing."""
    if workshop.timer_ends_at is None and workshop.timer_left_ms is None:
        return timer_view(workshop)
    clear_timer(workshop)
    return _announce_timer(db, workshop)


def clear_timer(workshop: Workshop) -> bool:
    """Stop the countdown without announcing it (a step change says so itself); whether one was on."""
    was_on = workshop.timer_ends_at is not None or workshop.timer_left_ms is not None
    workshop.timer_ends_at = workshop.timer_left_ms = workshop.timer_total_ms = None
    return was_on


def _announce_stage(db: Tx, workshop: Workshop) -> dict[str, Any]:
    db.flush()
    view = stage_view(workshop)
    append_event(db, workshop_id=workshop.id or 0, kind=EventKind.PROJECTOR_CHANGED, audience=Audience.STAFF, data=view)
    return view


def set_spotlight(db: Tx, *, workshop: Workshop, answer_id: int | None) -> dict[str, Any]:
    """Show one visible answer alone on the projector, or (None) end that: the view beneath (wall or cloud) is back."""
    if answer_id is not None:
        answer = db.get(Answer, answer_id)
        if answer is None or answer.workshop_id != workshop.id:
            raise DomainError("answer_not_found", N_("Dit antwoord bestaat niet."), status=404)
        if answer.hidden:
            raise DomainError(
                "answer_not_visible",
                N_("Dit antwoord staat niet op het scherm (verborgen of wacht op goedkeuring)."),
                status=409,
            )
    if workshop.spotlight_answer_id == answer_id:
        return stage_view(workshop)
    workshop.spotlight_answer_id = answer_id
    return _announce_stage(db, workshop)


def set_answer_hidden(db: Tx, *, workshop: Workshop, answer_id: int, hidden: bool) -> dict[str, Any]:
    """Hide an answer from the projector or show it again (answers.set_hidden); one hidden leaves the spotlight."""
    view = answers.set_hidden(db, workshop_id=workshop.id or 0, answer_id=answer_id, hidden=hidden)
    if hidden:
        end_spotlight_on(db, workshop=workshop, answer_id=answer_id)
    return view


def end_spotlight_on(db: Tx, *, workshop: Workshop, answer_id: int) -> None:
    """An answer that leaves the wall leaves the spotlight too."""
    if workshop.spotlight_answer_id == answer_id:
        workshop.spotlight_answer_id = None
        _announce_stage(db, workshop)


def set_view(db: Tx, *, workshop: Workshop, view: str) -> dict[str, Any]:
    """Show the wall or the word cloud of an open question on the projector, ending a spotlight that would hide it."""
    if view not in VIEWS:
        raise DomainError("no_such_view", N_("Kies de wand of de woordwolk."), status=422)
    if view == "cloud" and workshop.steps[workshop.step_index]["type"] != "open_text":
        raise DomainError("cloud_needs_question", N_("Een woordwolk kan alleen bij een open vraag."), status=409)
    if workshop.projector_view == view and workshop.spotlight_answer_id is None:
        return stage_view(workshop)
    workshop.projector_view = view
    workshop.spotlight_answer_id = None
    return _announce_stage(db, workshop)


def set_paused(db: Tx, *, workshop: Workshop, paused: bool) -> dict[str, Any]:
    """Hold the projector's pages on the one it shows (the room talks about it), or let them turn again."""
    if workshop.projector_paused == paused:
        return stage_view(workshop)
    workshop.projector_paused = paused
    return _announce_stage(db, workshop)


def reset_for_step(db: Tx, *, workshop: Workshop) -> dict[str, Any]:
    """A new step starts on a clean stage: no countdown, spotlight or pause; returns the timer for step.changed."""
    clear_timer(workshop)
    if workshop.spotlight_answer_id is not None or workshop.projector_view != "wall" or workshop.projector_paused:
        workshop.spotlight_answer_id = None
        workshop.projector_view = "wall"
        workshop.projector_paused = False
        _announce_stage(db, workshop)
    return timer_view(workshop)
