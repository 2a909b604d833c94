"""Grades and choices: store a participant's response, and tally a step for the screens and exports."""

import json
import statistics
from typing import Any

from sqlalchemy import Text, bindparam, cast, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app import security
from app import steps as step_types
from app.errors import DomainError
from app.i18n import N_
from app.models import Participant, Response, Workshop, table_of, utcnow
from app.store.events import Audience, EventKind, Tx, append_event
from app.store.prepared import Prepared

RESPONSE_TYPES = (step_types.Grade, step_types.Choice)


def _grade(step: step_types.Grade, value: Any) -> list[int]:
    """A grade as sent by a phone or a form: a whole number on the step's scale, else a clear error."""
    low, high = step.low, step.high
    if isinstance(value, str):
        value = security.whole_number(value, low=low, high=high)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(
            "bad_grade", N_("Een cijfer is een heel getal van {low} tot en met {high}."), status=422, low=low, high=high
        )
    return [value]


def _choice(step: step_types.Choice, value: Any) -> list[int]:
    """The chosen option numbers: known options, each once, exactly one in a single choice."""
    picked = value if isinstance(value, list) else [value]
    options = len(step.options)
    if not picked or any(isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < options for v in picked):
        raise DomainError("bad_choice", N_("Kies een van de mogelijkheden."), status=422)
    if len(set(picked)) != len(picked):
        raise DomainError("bad_choice", N_("Kies elke mogelijkheid maar één keer."), status=422)
    if not step.multiple and len(picked) != 1:
        raise DomainError("one_choice", N_("Bij deze vraag kies je er één."), status=422)
    return sorted(picked)


def _as_sent(value: Any) -> list[Any] | None:
    """A grade or choice as a phone sends it, in the form it is stored in (a number, or option numbers sorted)."""
    picked = value if isinstance(value, list) else [value]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in picked):
        return None
    return sorted(picked)


def _step_closed() -> DomainError:
    return DomainError(
        "step_closed", N_("Deze vraag is gesloten. Kijk op het scherm wat nu aan de beurt is."), status=409
    )


def submit_response(db: Tx, *, workshop_id: int, participant_id: int, step_id: str, value: Any) -> list[int]:
    """Store or replace a participant's grade or choice in the current step; returns what is stored."""
    workshop = db.get(Workshop, workshop_id)
    # the row lock makes two quick resends from one phone wait for each other instead of racing to insert
    participant = db.get(Participant, participant_id, with_for_update=True)
    if workshop is None or participant is None or participant.workshop_id != workshop_id:
        raise DomainError("not_a_participant", N_("Je doet niet mee aan deze workshop."), status=403)
    if not any(known["id"] == step_id for known in workshop.steps):
        # no step of this workshop: nothing to look up (PostgreSQL refuses a NUL in a query's text with an error)
        raise _step_closed()
    query = select(Response).where(
        col(Response.workshop_id) == workshop_id,
        col(Response.step_id) == step_id,
        col(Response.participant_id) == participant_id,
    )
    response = db.execute(query).scalar_one_or_none()
    step = step_types.read(workshop.steps[workshop.step_index])
    if workshop.closed_at is not None or step.id != step_id or not isinstance(step, RESPONSE_TYPES):
        # a phone resending what was stored before the step closed (its acknowledgement lost) hears it counted
        if response is not None and response.values == _as_sent(value):
            return response.values
        raise _step_closed()
    values = _grade(step, value) if isinstance(step, step_types.Grade) else _choice(step, value)
    if response is not None and response.values == values:
        return values  # a resend: nothing changed, no event
    if response is None:
        db.add(Response(workshop_id=workshop_id, participant_id=participant_id, step_id=step_id, values=values))
    else:
        response.values = values
        response.updated_at = utcnow()
    db.flush()
    append_event(
        db,
        workshop_id=workshop_id,
        kind=EventKind.RESPONSE_TALLY,
        audience=Audience.STAFF,
        data={"step": step_id, "tally": tally_step(step, _values_of(db, workshop_id=workshop_id, step_id=step_id))},
    )
    return values


def _values_of(db: Session, *, workshop_id: int, step_id: str) -> list[list[int]]:
    query = select(col(Response.values)).where(
        col(Response.workshop_id) == workshop_id,
        col(Response.step_id) == step_id,
    )
    return [row[0] for row in db.execute(query).all()]


def tally_step(step: step_types.Grade | step_types.Choice, responses: list[list[int]]) -> dict[str, Any]:
    """What the screens show of a step: a grade's distribution, mean, median and spread, or a choice's counts."""
    if isinstance(step, step_types.Grade):
        grades = [values[0] for values in responses]
        return {
            "count": len(grades),
            "distribution": {str(g): grades.count(g) for g in range(step.low, step.high + 1)},
            "mean": round(statistics.fmean(grades), 2) if grades else None,
            "median": statistics.median(grades) if grades else None,
            # the population spread: the room is the whole population asked, not a sample of it
            "spread": round(statistics.pstdev(grades), 2) if grades else None,
        }
    counts = [0] * len(step.options)
    for values in responses:
        for option in values:
            if option < len(counts):
                counts[option] += 1
    return {"count": len(responses), "counts": counts}


def tallies(db: Session, *, workshop: Workshop) -> dict[str, dict[str, Any]]:
    """The tally of every grade and choice step of a workshop, in one query."""
    steps = {step.id: step for step in map(step_types.read, workshop.steps) if isinstance(step, RESPONSE_TYPES)}
    found: dict[str, list[list[int]]] = {step_id: [] for step_id in steps}
    query = select(col(Response.step_id), col(Response.values)).where(col(Response.workshop_id) == workshop.id)
    for step_id, values in db.execute(query).all():
        if step_id in found:
            found[step_id].append(values)
    return {step_id: tally_step(steps[step_id], found[step_id]) for step_id in steps}


# a tile's colour on every screen and in every export: good from a 7.5 (the aim is an 8.5), poor below a 5.5
GOOD_FROM, FAIR_FROM = 7.5, 5.5


def grade_level(mean: float | None) -> str:
    """good, fair or poor by a mean grade; none while nobody graded."""
    if mean is None:
        return "none"
    return "good" if mean >= GOOD_FROM else "fair" if mean >= FAIR_FROM else "poor"


def mosaic(workshop: Workshop, step_tallies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The mosaic: per graded building block its mean, spread and count, and whether it is among the weakest."""
    tiles = [
        {
            "step": step.id,
            "tile": step.tile,
            "target": step.target,
            "mean": step_tallies[step.id]["mean"],
            "spread": step_tallies[step.id]["spread"],
            "count": step_tallies[step.id]["count"],
            "level": grade_level(step_tallies[step.id]["mean"]),
        }
        for step in map(step_types.read, workshop.steps)
        if isinstance(step, step_types.Grade) and step.tile and step.id in step_tallies
    ]
    weakest = weakest_blocks(tiles)
    for tile in tiles:
        tile["weakest"] = tile["step"] in weakest
    return {"tiles": tiles, "weakest": weakest[0] if len(weakest) == 1 else None}


def weakest_blocks(tiles: list[dict[str, Any]]) -> list[str]:
    """The graded blocks whose mean, as shown (one decimal), is the lowest: all that share it, and none when every
    graded block does, for then none asks for more attention than the others (the first one was marked)."""
    shown = {tile["step"]: round(tile["mean"], 1) for tile in tiles if tile["count"]}
    lowest = min(shown.values(), default=None)
    weakest = [step for step, mean in shown.items() if mean == lowest]
    return weakest if len(weakest) < len(shown) else []


_RESPONSE = table_of(Response)
# the values as their stored text, on either database (Prepared returns rows as the driver gives them)
_MY_RESPONSES = Prepared(
    select(_RESPONSE.c.step_id, cast(_RESPONSE.c["values"], Text)).where(
        _RESPONSE.c.workshop_id == bindparam("workshop"), _RESPONSE.c.participant_id == bindparam("participant")
    )
)


def my_responses(db: Session, *, workshop_id: int, participant_id: int) -> dict[str, list[int]]:
    """A participant's stored grades and choices by step (in every phone's snapshot: one prepared statement)."""
    rows = _MY_RESPONSES.all(db, {"workshop": workshop_id, "participant": participant_id})
    return {step_id: json.loads(values) for step_id, values in rows}
