"""Answers: submitted once per client id, moderated by the facilitator."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import DomainError
from app.i18n import N_
from app.live.events import append_event
from app.models import THEMES, Answer, Cluster, Participant, Workshop
from app.security import clean_text


@dataclass(frozen=True)
class Ack:
    """The server's word that an answer is stored."""

    client_id: str
    answer_id: int
    duplicate: bool


def answer_view(answer: Answer, participant: Participant) -> dict[str, Any]:
    """What the board and projector show of an answer."""
    return {
        "id": answer.id,
        "step": answer.step_id,
        "text": answer.text,
        "links_to": answer.links_to,
        "theme": answer.theme,
        "author": participant.name,
        "organisation": participant.organisation,
        "hidden": answer.hidden,
        "participant": participant.id,
        "client_id": answer.client_id,
    }


def _existing(db: Session, *, workshop_id: int, client_id: str) -> Answer | None:
    query = select(Answer).where(Answer.workshop_id == workshop_id, Answer.client_id == client_id)  # type: ignore[arg-type]
    return db.execute(query).scalar_one_or_none()


def _repeat(answer: Answer, *, participant_id: int, client_id: str) -> Ack:
    if answer.participant_id != participant_id:
        raise DomainError(
            "client_id_taken", N_("Dit antwoord-id is al gebruikt. Stuur je antwoord opnieuw."), status=409
        )
    return Ack(client_id=client_id, answer_id=answer.id or 0, duplicate=True)


def submit_answer(
    db: Session,
    *,
    workshop_id: int,
    participant_id: int,
    step_id: str,
    text: str,
    client_id: str,
    links_to: int | None = None,
    theme: str | None = None,
) -> Ack:
    """Store an answer once: a repeated client id is acknowledged again, not stored again."""
    existing = _existing(db, workshop_id=workshop_id, client_id=client_id)
    if existing is not None:
        return _repeat(existing, participant_id=participant_id, client_id=client_id)
    workshop = db.get(Workshop, workshop_id)
    participant = db.get(Participant, participant_id)
    if workshop is None or participant is None or participant.workshop_id != workshop_id:
        raise DomainError("not_a_participant", N_("Je doet niet mee aan deze sessie."), status=403)
    step = workshop.steps[workshop.step_index]
    if workshop.closed_at is not None or step["id"] != step_id or step["type"] != "open_text":
        raise DomainError(
            "step_closed", N_("Deze vraag is gesloten. Kijk op het scherm wat nu aan de beurt is."), status=409
        )
    text = clean_text(text)
    if not text:
        raise DomainError("empty", N_("Je antwoord is leeg."), status=422)
    limit = step.get("max_length", 200)
    if len(text) > limit:
        raise DomainError("too_long", N_("Je antwoord is te lang: maximaal {limit} tekens."), status=422, limit=limit)
    if step.get("links_to"):
        if not isinstance(links_to, int) or links_to not in {a.id for a in linkable(db, workshop=workshop)}:
            raise DomainError("pick_link", N_("Kies eerst het obstakel waar je bijdrage bij hoort."), status=422)
    elif links_to is not None:
        raise DomainError("no_link_here", N_("Bij deze vraag hoort geen obstakel."), status=422)
    theme = theme or None
    if theme is not None and (not step.get("themes") or theme not in THEMES):
        raise DomainError("bad_theme", N_("Kies een van de thema's: {themes}."), status=422, themes=", ".join(THEMES))
    if not step.get("multiple", True):
        query = select(Answer.id).where(
            Answer.workshop_id == workshop_id,
            Answer.participant_id == participant_id,  # type: ignore[arg-type]
            Answer.step_id == step_id,  # type: ignore[arg-type]
        )
        if db.execute(query).first():
            raise DomainError("already_answered", N_("Je hebt deze vraag al beantwoord."), status=409)
    answer = Answer(
        workshop_id=workshop_id,
        participant_id=participant_id,
        step_id=step_id,
        text=text,
        links_to=links_to if step.get("links_to") else None,
        client_id=client_id,
        theme=theme,
    )
    try:
        # add inside the savepoint: begin_nested() flushes pending rows first, outside the savepoint
        with db.begin_nested():
            db.add(answer)
            db.flush()
    except IntegrityError:
        # another process stored the same client id first; the savepoint's rollback took our row back out
        existing = _existing(db, workshop_id=workshop_id, client_id=client_id)
        if existing is None:
            raise
        return _repeat(existing, participant_id=participant_id, client_id=client_id)
    append_event(
        db, workshop_id=workshop_id, kind="answer.created", audience="staff", data=answer_view(answer, participant)
    )
    return Ack(client_id=client_id, answer_id=answer.id or 0, duplicate=False)


def linkable(db: Session, *, workshop: Workshop) -> list[Answer]:
    """The answers the current step's answers may belong to: visible ones, and only focus clusters' if so limited."""
    step = workshop.steps[workshop.step_index]
    if not step.get("links_to"):
        return []
    query = (
        select(Answer)
        .where(Answer.workshop_id == workshop.id, Answer.step_id == step["links_to"], Answer.hidden.is_(False))
        .order_by(Answer.id)
    )
    if workshop.focus_only:
        focus = select(Cluster.id).where(Cluster.workshop_id == workshop.id, Cluster.focus.is_(True))
        if db.execute(focus.limit(1)).first():
            query = query.where(Answer.cluster_id.in_(focus))  # type: ignore[union-attr]
    return list(db.execute(query).scalars())


def set_hidden(db: Session, *, workshop_id: int, answer_id: int, hidden: bool) -> dict[str, Any]:
    """Hide an answer from the projector, or show it again."""
    answer = db.get(Answer, answer_id)
    if answer is None or answer.workshop_id != workshop_id:
        raise DomainError("answer_not_found", N_("Dit antwoord bestaat niet."), status=404)
    participant = db.get(Participant, answer.participant_id)
    assert participant is not None
    if answer.hidden != hidden:
        answer.hidden = hidden
        db.flush()
        view = answer_view(answer, participant)
        append_event(
            db, workshop_id=workshop_id, kind="answer.hidden" if hidden else "answer.shown", audience="staff", data=view
        )
    return answer_view(answer, participant)


def list_answers(
    db: Session,
    *,
    workshop_id: int,
    include_hidden: bool,
    step_id: str | None = None,
    participant_id: int | None = None,
) -> list[dict[str, Any]]:
    """A workshop's answers, oldest first."""
    query = (
        select(Answer, Participant)
        .join(Participant, Participant.id == Answer.participant_id)  # type: ignore[arg-type]
        .where(Answer.workshop_id == workshop_id)  # type: ignore[arg-type]
        .order_by(Answer.id)  # type: ignore[arg-type]
    )
    if not include_hidden:
        query = query.where(Answer.hidden.is_(False))
    if step_id is not None:
        query = query.where(Answer.step_id == step_id)  # type: ignore[arg-type]
    if participant_id is not None:
        query = query.where(Answer.participant_id == participant_id)  # type: ignore[arg-type]
    return [answer_view(answer, participant) for answer, participant in db.execute(query).all()]
