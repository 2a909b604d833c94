"""All table models."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


class Facilitator(SQLModel, table=True):
    """A programme-office account that prepares and runs workshops."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=120)
    password_hash: str
    created_at: datetime = Field(default_factory=utcnow)


class Workshop(SQLModel, table=True):
    """One live session: an opgave, its steps and the room that answers."""

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=32, unique=True, index=True)
    facilitator_id: int = Field(foreign_key="facilitator.id", index=True)
    title: str = Field(max_length=200)
    opgave: str = Field(max_length=2000)
    held_on: date
    format_key: str = Field(max_length=64)
    steps: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    step_index: int = 0
    join_code: str = Field(max_length=12, unique=True, index=True)
    projector_token: str = Field(max_length=64, unique=True, index=True)
    allow_anonymous: bool = False
    # the newest event's sequence number; bumped in the same transaction as each change
    last_seq: int = 0
    closed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Participant(SQLModel, table=True):
    """A phone in the room, known by the token in its cookie."""

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=80)
    organisation: str = Field(max_length=120)
    anonymous: bool = False
    joined_at: datetime = Field(default_factory=utcnow)


class Answer(SQLModel, table=True):
    """One answer a participant sent in an open-text step."""

    __table_args__ = (UniqueConstraint("workshop_id", "client_id", name="uq_answer_client_id"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    step_id: str = Field(max_length=64)
    text: str = Field(max_length=2000)
    # the answer of an earlier step this one belongs to (a contribution's obstacle)
    links_to: int | None = Field(default=None, foreign_key="answer.id")
    client_id: str = Field(max_length=36)
    hidden: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Event(SQLModel, table=True):
    """The event log: every change to a workshop, numbered per workshop."""

    __table_args__ = (UniqueConstraint("workshop_id", "seq", name="uq_event_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    seq: int
    kind: str = Field(max_length=40)
    # "all": phones too; "staff": facilitator board and projector only
    audience: str = Field(max_length=8)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
