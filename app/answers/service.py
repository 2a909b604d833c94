"""Answers: submitted once per client id, moderated by the facilitator."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import JSON, Integer, Text, any_, bindparam, cast, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from app import steps as step_types
from app.answers import moderation
from app.errors import DomainError
from app.i18n import N_
from app.models import THEMES, Answer, Cluster, Participant, Workshop, Workspace, table_of, utcnow
from app.security import clean_text
from app.store.database import one_item
from app.store.events import Audience, EventKind, Tx, append_event
from app.store.prepared import Bound, Prepared

ANSWER = table_of(Answer)


@dataclass(frozen=True)
class Ack:
    """The server's word that an answer is stored."""

    client_id: str
    answer_id: int
    duplicate: bool


def answer_view(answer: Answer, participant: Participant) -> dict[str, Any]:
    """What the board and projector show of an answer."""
    return _view(
        answer_id=answer.id or 0, row=answer.model_dump(), name=participant.name, organisation=participant.organisation
    )


def _view(*, answer_id: int, row: dict[str, Any], name: str, organisation: str) -> dict[str, Any]:
    view = {
        "id": answer_id,
        "step": row["step_id"],
        "text": row["text"],
        "links_to": row["links_to"],
        "theme": row["theme"],
        "author": name,
        "organisation": organisation,
        "hidden": row["hidden"],
        "participant": row["participant_id"],
        "client_id": row["client_id"],
    }
    # only a held answer says so: every other answer's event stays as it was before moderation existed
    if row.get("held"):
        view["held"] = True
    return view


def _existing(db: Session, *, workshop_id: int, client_id: str) -> tuple[int, int] | None:
    """The id and participant of the answer stored under this client id, if any."""
    query = select(ANSWER.c.id, ANSWER.c.participant_id).where(
        ANSWER.c.workshop_id == workshop_id, ANSWER.c.client_id == client_id
    )
    row = db.execute(query).first()
    return (row[0], row[1]) if row else None


def _repeat(existing: tuple[int, int], *, participant_id: int, client_id: str) -> Ack:
    answer_id, owner_id = existing
    if owner_id != participant_id:
        raise DomainError(
            "client_id_taken", N_("Dit antwoord-id is al gebruikt. Stuur je antwoord opnieuw."), status=409
        )
    return Ack(client_id=client_id, answer_id=answer_id, duplicate=True)


# the hot path of a burst: plain column reads and one insert, run on the driver's cursor (app/store/prepared.py)
_PARTICIPANT = table_of(Participant)
_WORKSHOP = table_of(Workshop)
_WORKSPACE = table_of(Workspace)
_ANSWER_COLUMNS = [
    "workshop_id",
    "participant_id",
    "step_id",
    "text",
    "links_to",
    "client_id",
    "theme",
    "hidden",
    "held",
    "created_at",
]
# the dialect's own insert knows ON CONFLICT
_ADD_ANSWER = Prepared(
    {
        "postgresql": postgresql.insert(ANSWER).on_conflict_do_nothing().returning(ANSWER.c.id),
        "sqlite": sqlite.insert(ANSWER).on_conflict_do_nothing().returning(ANSWER.c.id),
    },
    _ANSWER_COLUMNS,
)
# every stored answer logs one of these: bound once, as an enum member's lookup costs more on Python 3.11
_CREATED, _TO_STAFF, _TO_BOARD = EventKind.ANSWER_CREATED, Audience.STAFF, Audience.BOARD
# a run of answers reads its workshop's open step and moderation once, and its authors with one statement
_WORKSHOP_STATE = Prepared(
    select(
        # as text, decoded once per version of the steps (step_types.read_stored) rather than once per answer
        cast(_WORKSHOP.c.steps, Text),
        _WORKSHOP.c.step_index,
        _WORKSHOP.c.closed_at,
        _WORKSHOP.c.focus_only,
        _WORKSHOP.c.moderated,
        # as text too: the matcher is compiled once per distinct list (moderation.matcher)
        cast(_WORKSPACE.c.blocked_words, Text),
    )
    .select_from(_WORKSHOP.join(_WORKSPACE, _WORKSPACE.c.id == _WORKSHOP.c.workspace_id))
    .where(_WORKSHOP.c.id == bindparam("workshop"))
)
_AUTHORS_OF = select(_PARTICIPANT.c.id, _PARTICIPANT.c.name, _PARTICIPANT.c.organisation).where(
    _PARTICIPANT.c.workshop_id == bindparam("workshop")
)
# the ids as one parameter, so the statement is the same for any number of them
_AUTHORS = Prepared(
    {
        "postgresql": _AUTHORS_OF.where(_PARTICIPANT.c.id == any_(bindparam("ids", type_=postgresql.ARRAY(Integer)))),
        "sqlite": _AUTHORS_OF.where(
            _PARTICIPANT.c.id.in_(
                select(literal_column("value")).select_from(func.json_each(bindparam("ids", type_=JSON)))
            )
        ),
    }
)


class _Room(NamedTuple):
    """What an answer needs to know of its author and the workshop's open step."""

    name: str
    organisation: str
    steps: tuple[step_types.Step, ...]
    step_index: int
    closed_at: Any
    focus_only: bool
    # every answer waits for approval ("eerst naar de regie")
    moderated: bool
    # the facilitator's blocked words; an answer with one waits for approval too
    blocked: re.Pattern[str] | None


def _rooms(db: Session, submissions: list["Submission"]) -> dict[tuple[int, int], _Room]:
    """Per workshop and author, the room an answer is sent into; absent where the author is not in it."""
    wanted: dict[int, set[int]] = {}
    for submission in submissions:
        wanted.setdefault(submission.workshop_id, set()).add(submission.participant_id)
    rooms: dict[tuple[int, int], _Room] = {}
    for workshop_id, participant_ids in wanted.items():
        state = _WORKSHOP_STATE.one(db, {"workshop": workshop_id})
        if state is None:
            continue
        steps, step_index, closed_at, focus_only, moderated, blocked = state
        matcher = moderation.matcher(blocked)
        for participant_id, name, organisation in _AUTHORS.all(
            db, {"workshop": workshop_id, "ids": sorted(participant_ids)}
        ):
            rooms[workshop_id, participant_id] = _Room(
                name,
                organisation,
                step_types.read_stored(steps),
                step_index,
                closed_at,
                bool(focus_only),
                bool(moderated),
                matcher,
            )
    return rooms


@dataclass(frozen=True, slots=True)
class Submission:
    """An answer as a phone sends it."""

    workshop_id: int
    participant_id: int
    step_id: str
    text: str
    client_id: str
    links_to: int | None = None
    theme: str | None = None


def submit_answers(db: Tx, submissions: list[Submission]) -> list[Ack | DomainError]:
    """Store answers in order, each once; an answer the open step refuses gets its DomainError in its place.

    A run of answers (a burst, through Database.write_item) shares its reads and its prepared insert. Refuses
    an answer only before it writes it, so the writer may run it without savepoints.
    """
    rooms = _rooms(db, submissions)
    add = _ADD_ANSWER.on(db)
    now = utcnow()
    results: list[Ack | DomainError] = []
    for submission in submissions:
        room = rooms.get((submission.workshop_id, submission.participant_id))
        try:
            results.append(_submit(db, add, room, submission, now))
        except DomainError as exc:
            results.append(exc)
    return results


def submit_answer(
    db: Tx,
    *,
    workshop_id: int,
    participant_id: int,
    step_id: str,
    text: str,
    client_id: str,
    links_to: int | None = None,
    theme: str | None = None,
) -> Ack:
    """Store one answer once (see submit_answers); raises the DomainError that refuses it."""
    submission = Submission(workshop_id, participant_id, step_id, text, client_id, links_to, theme)
    return one_item(submit_answers, submission, db)  # type: ignore[no-any-return]


def _submit(db: Tx, add: Bound, found: _Room | None, submission: Submission, now: datetime) -> Ack:
    """One answer of a run: a repeated client id is acknowledged again, not stored again."""
    workshop_id, participant_id, client_id = submission.workshop_id, submission.participant_id, submission.client_id
    try:
        row = _checked_row(db, found, submission, now)
    except DomainError:
        # a phone resending what was stored before the step closed gets its acknowledgement, not an error
        existing = _existing(db, workshop_id=workshop_id, client_id=client_id)
        if existing is None:
            raise
        return _repeat(existing, participant_id=participant_id, client_id=client_id)
    # a repeated client id (a resend, or another worker first) inserts nothing: acknowledge the stored answer
    added = add.one(row)
    if added is None:
        existing = _existing(db, workshop_id=workshop_id, client_id=client_id)
        if existing is None:  # pragma: no cover - a conflict on another unique column; none exists
            raise DomainError("retry", N_("Probeer het nog eens."), status=503)
        return _repeat(existing, participant_id=participant_id, client_id=client_id)
    assert found is not None
    answer_id = added[0]
    view = _view(answer_id=answer_id, row=row, name=found.name, organisation=found.organisation)
    # a held answer reaches the board alone; the projector gets it as "answer.shown" once approved
    audience = _TO_BOARD if row["held"] else _TO_STAFF
    append_event(db, workshop_id=workshop_id, kind=_CREATED, audience=audience, data=view)
    return Ack(client_id=client_id, answer_id=answer_id, duplicate=False)


def _checked_row(db: Session, found: _Room | None, submission: Submission, now: datetime) -> dict[str, Any]:
    """The answer's row if the open step takes it, else the DomainError that says why not."""
    workshop_id, participant_id, step_id = submission.workshop_id, submission.participant_id, submission.step_id
    client_id, links_to, theme = submission.client_id, submission.links_to, submission.theme
    if found is None:
        raise DomainError("not_a_participant", N_("Je doet niet mee aan deze workshop."), status=403)
    step = found.steps[found.step_index]
    if found.closed_at is not None or step.id != step_id or not isinstance(step, step_types.OpenText):
        raise DomainError(
            "step_closed", N_("Deze vraag is gesloten. Kijk op het scherm wat nu aan de beurt is."), status=409
        )
    text = clean_text(submission.text)
    if not text:
        raise DomainError("empty", N_("Je antwoord is leeg."), status=422)
    limit = step.max_length
    if len(text) > limit:
        raise DomainError("too_long", N_("Je antwoord is te lang: maximaal {limit} tekens."), status=422, limit=limit)
    if step.links_to:
        query = _linkable_query(db, workshop_id=workshop_id, links_to=step.links_to, focus_only=found.focus_only)
        if not isinstance(links_to, int) or db.execute(query.where(col(Answer.id) == links_to)).first() is None:
            raise DomainError("pick_link", N_("Kies eerst het obstakel waar je bijdrage bij hoort."), status=422)
    elif links_to is not None:
        raise DomainError("no_link_here", N_("Bij deze vraag hoort geen obstakel."), status=422)
    theme = theme or None
    if theme is not None and (not step.themes or theme not in THEMES):
        raise DomainError("bad_theme", N_("Kies een van de thema's: {themes}."), status=422, themes=", ".join(THEMES))
    if not step.multiple:
        query = select(ANSWER.c.id).where(
            ANSWER.c.workshop_id == workshop_id,
            ANSWER.c.participant_id == participant_id,
            ANSWER.c.step_id == step_id,
            # a resend of this very answer is not a second one
            ANSWER.c.client_id != client_id,
        )
        if db.execute(query).first():
            raise DomainError("already_answered", N_("Je hebt deze vraag al beantwoord."), status=409)
    held = found.moderated or moderation.holds(found.blocked, text)
    return {
        "workshop_id": workshop_id,
        "participant_id": participant_id,
        "step_id": step_id,
        "text": text,
        "links_to": links_to if step.links_to else None,
        "client_id": client_id,
        "theme": theme,
        "hidden": held,
        "held": held,
        "created_at": now,
    }


def _linkable_query(db: Session, *, workshop_id: int, links_to: str, focus_only: bool) -> Any:
    """The answers a contribution may name: visible, of the step it answers, in a focus cluster if so limited."""
    query = (
        select(Answer)
        .where(col(Answer.workshop_id) == workshop_id, col(Answer.step_id) == links_to, col(Answer.hidden).is_(False))
        .order_by(col(Answer.id))
    )
    # with no cluster in focus yet, the limit has nothing to limit to
    if focus_only:
        focus = select(col(Cluster.id)).where(col(Cluster.workshop_id) == workshop_id, col(Cluster.focus).is_(True))
        if db.execute(focus.limit(1)).first():
            query = query.where(col(Answer.cluster_id).in_(focus))
    return query


def linkable(db: Session, *, workshop_id: int, step: step_types.Step, focus_only: bool) -> list[Answer]:
    """The answers a step's answers may belong to (its workshop's focus_only limits them to the focus)."""
    if not isinstance(step, step_types.OpenText) or not step.links_to:
        return []
    query = _linkable_query(db, workshop_id=workshop_id, links_to=step.links_to, focus_only=focus_only)
    return list(db.execute(query).scalars())


def _answer_of(db: Session, *, workshop_id: int, answer_id: int) -> tuple[Answer, Participant]:
    answer = db.get(Answer, answer_id)
    if answer is None or answer.workshop_id != workshop_id:
        raise DomainError("answer_not_found", N_("Dit antwoord bestaat niet."), status=404)
    participant = db.get(Participant, answer.participant_id)
    assert participant is not None
    return answer, participant


def set_hidden(db: Tx, *, workshop_id: int, answer_id: int, hidden: bool) -> dict[str, Any]:
    """Hide an answer from the projector, or show it again; for a held answer: turn it down, or approve it."""
    answer, participant = _answer_of(db, workshop_id=workshop_id, answer_id=answer_id)
    if not hidden and answer.held:
        return _approve(db, answer, participant)
    if hidden and answer.held:
        # turned down: out of the queue, still hidden; the projector never had it, so only the board hears of it
        answer.held = False
        db.flush()
        append_event(
            db,
            workshop_id=workshop_id,
            kind=EventKind.ANSWER_HIDDEN,
            audience=Audience.BOARD,
            data=answer_view(answer, participant),
        )
    elif answer.hidden != hidden:
        answer.hidden = hidden
        db.flush()
        view = answer_view(answer, participant)
        append_event(
            db,
            workshop_id=workshop_id,
            kind=EventKind.ANSWER_HIDDEN if hidden else EventKind.ANSWER_SHOWN,
            audience=Audience.STAFF,
            data=view,
        )
    return answer_view(answer, participant)


def announce_again(db: Tx, *, answer: Answer, participant: Participant) -> None:
    """Send an answer to the screens again as it stands (its author's name removed): to the board alone while it
    waits for approval, as when it came in; else to the board and projector, shown or hidden."""
    if answer.held:
        kind, audience = _CREATED, _TO_BOARD
    else:
        kind, audience = (EventKind.ANSWER_HIDDEN if answer.hidden else EventKind.ANSWER_SHOWN), _TO_STAFF
    append_event(
        db, workshop_id=answer.workshop_id, kind=kind, audience=audience, data=answer_view(answer, participant)
    )


def _approve(db: Tx, answer: Answer, participant: Participant) -> dict[str, Any]:
    answer.held = False
    answer.hidden = False
    db.flush()
    view = answer_view(answer, participant)
    append_event(db, workshop_id=answer.workshop_id, kind=EventKind.ANSWER_SHOWN, audience=Audience.STAFF, data=view)
    return view


def approve_answer(db: Tx, *, workshop: Workshop, answer_id: int) -> dict[str, Any]:
    """Let an answer that waits for approval onto the projector."""
    answer, participant = _answer_of(db, workshop_id=workshop.id or 0, answer_id=answer_id)
    if not answer.hidden:
        raise DomainError("already_shown", N_("Dit antwoord staat al op het scherm."), status=409)
    if not answer.held:
        raise DomainError(
            "not_held", N_("Dit antwoord wacht niet op goedkeuring: het is verborgen. Kies Tonen."), status=409
        )
    return _approve(db, answer, participant)


def approve_all(db: Tx, *, workshop: Workshop) -> dict[str, Any]:
    """Let every answer that waits for approval onto the projector, oldest first."""
    query = (
        select(Answer, Participant)
        .join(Participant, col(Participant.id) == col(Answer.participant_id))
        .where(col(Answer.workshop_id) == workshop.id, col(Answer.held).is_(True))
        .order_by(col(Answer.id))
    )
    approved = [_approve(db, answer, participant)["id"] for answer, participant in db.execute(query).all()]
    return {"approved": approved}


_OWN_ANSWERS = Prepared(
    select(
        ANSWER.c.id,
        ANSWER.c.step_id,
        ANSWER.c.text,
        ANSWER.c.links_to,
        ANSWER.c.theme,
        ANSWER.c.hidden,
        ANSWER.c.client_id,
        ANSWER.c.held,
    )
    .where(ANSWER.c.workshop_id == bindparam("workshop"), ANSWER.c.participant_id == bindparam("participant"))
    .order_by(ANSWER.c.id)
)


def own_answers(
    db: Session, *, workshop_id: int, author: tuple[int, str, str, bool], include_hidden: bool
) -> list[dict[str, Any]]:
    """One participant's answers, oldest first, as list_answers shows them; author is the participant's id, name
    and organisation, and whether that claim was taken back (workshops.Phone). On every phone page and snapshot, so
    one prepared statement."""
    participant_id, name, organisation, _ = author
    rows = _OWN_ANSWERS.all(db, {"workshop": workshop_id, "participant": participant_id})
    views = []
    for answer_id, step_id, text, links_to, theme, hidden, client_id, held in rows:
        if hidden and not include_hidden:
            continue
        # the driver's raw row: SQLite gives a flag as 0 or 1
        row = {
            "step_id": step_id,
            "text": text,
            "links_to": links_to,
            "theme": theme,
            "hidden": bool(hidden),
            "participant_id": participant_id,
            "client_id": client_id,
            "held": bool(held),
        }
        views.append(_view(answer_id=answer_id, row=row, name=name, organisation=organisation))
    return views


def list_answers(
    db: Session, *, workshop_id: int, include_hidden: bool, step_id: str | None = None
) -> list[dict[str, Any]]:
    """A workshop's answers, oldest first (one participant's: own_answers)."""
    query = (
        select(Answer, Participant)
        .join(Participant, col(Participant.id) == col(Answer.participant_id))
        .where(col(Answer.workshop_id) == workshop_id)
        .order_by(col(Answer.id))
    )
    if not include_hidden:
        query = query.where(col(Answer.hidden).is_(False))
    if step_id is not None:
        query = query.where(col(Answer.step_id) == step_id)
    return [answer_view(answer, participant) for answer, participant in db.execute(query).all()]
