"""All table models."""

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

# the seven "spanningsclusters": kinds of tension an obstacle can stem from
TENSIONS = (
    "besluitvorming",
    "besturing",
    "beleid",
    "operationele processen",
    "informatie/beeldvorming",
    "machtskwesties",
    "financiering",
)
THEMES = ("wonen", "werken", "leren", "veiligheid", "gezondheid")
ACTION_STATUSES = ("open", "bezig", "klaar", "vastgelopen")
# sessions happen in the Netherlands: times people type and read are on this clock
LOCAL_TIMEZONE = ZoneInfo("Europe/Amsterdam")


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


class Facilitator(SQLModel, table=True):
    """A programme-office account that prepares and runs workshops."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=120)
    password_hash: str
    # this facilitator's own jargon list ({word: plainer wording}); None means the shipped list
    jargon: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # words that hold an answer back for approval; None means the shipped starter list
    blocked_words: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
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
    starts_at: time | None = None
    # dots each phone may place in a vote step
    dots: int = 3
    # limit the contribution round to the obstacles in focus clusters
    focus_only: bool = False
    followup_at: datetime | None = None
    followup_place: str = Field(default="", max_length=200)
    # a follow-up session reviews the open actions of this earlier workshop of the same facilitator
    review_of: int | None = Field(default=None, foreign_key="workshop.id")
    # the bullshitbingo card with the room's jargon is on the projector
    bingo: bool = False
    # answers go to the board first and reach the projector only once approved ("eerst naar de regie")
    moderated: bool = False
    # the countdown: running until timer_ends_at, or paused with timer_left_ms to go; both None when stopped
    timer_ends_at: datetime | None = None
    timer_left_ms: int | None = None
    timer_total_ms: int | None = None
    # what the projector shows besides the wall: one answer alone, and "wall" or "cloud" (the word cloud)
    spotlight_answer_id: int | None = None
    projector_view: str = Field(default="wall", max_length=8)
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
    # opens the participant's own "Mijn afspraken" page, also later and from another device
    link_token: str = Field(max_length=64, unique=True, index=True)
    joined_at: datetime = Field(default_factory=utcnow)


class Answer(SQLModel, table=True):
    """One answer a participant sent in an open-text step."""

    __table_args__ = (UniqueConstraint("workshop_id", "client_id", name="uq_answer_client_id"),)

    id: int | None = Field(default=None, primary_key=True)
    # looked up by workshop through uq_answer_client_id, which leads with it
    workshop_id: int = Field(foreign_key="workshop.id")
    participant_id: int = Field(foreign_key="participant.id", index=True)
    step_id: str = Field(max_length=64)
    text: str = Field(max_length=2000)
    # the answer of an earlier step this one belongs to (a contribution's obstacle)
    links_to: int | None = Field(default=None, foreign_key="answer.id")
    client_id: str = Field(max_length=36)
    # the theme (see THEMES) the participant put it under, in steps that ask for one
    theme: str | None = Field(default=None, max_length=40)
    hidden: bool = False
    # held back for the facilitator's approval; a held answer is hidden too, so every visible list leaves it out
    held: bool = False
    # the group an obstacle was sorted into; None until the facilitator clusters it
    cluster_id: int | None = Field(default=None, foreign_key="cluster.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Response(SQLModel, table=True):
    """A participant's grade or choice in one step; sending again replaces it."""

    __table_args__ = (UniqueConstraint("workshop_id", "step_id", "participant_id", name="uq_response"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    step_id: str = Field(max_length=64)
    # a grade step: [grade]; a choice step: the chosen option numbers, in order
    values: list[int] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class Cluster(SQLModel, table=True):
    """Obstacles the facilitator grouped together; the room votes on clusters."""

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    name: str = Field(max_length=200)
    tension: str | None = Field(default=None, max_length=40)
    theme: str | None = Field(default=None, max_length=40)
    focus: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Vote(SQLModel, table=True):
    """One dot a participant placed on a cluster."""

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    cluster_id: int = Field(foreign_key="cluster.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Action(SQLModel, table=True):
    """An agreed action: what, who owns it, by when."""

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    owner_organisation: str = Field(max_length=120)
    contact_person: str = Field(default="", max_length=120)
    due_on: date | None = None
    obstacle_id: int | None = Field(default=None, foreign_key="answer.id")
    contribution_id: int | None = Field(default=None, foreign_key="answer.id")
    status: str = Field(default="open", max_length=20)
    deleted_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ActionPartner(SQLModel, table=True):
    """Another organisation that shares an action with its owner."""

    __table_args__ = (UniqueConstraint("action_id", "organisation", name="uq_action_partner"),)

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    organisation: str = Field(max_length=120)


class Volunteer(SQLModel, table=True):
    """A participant who raised a hand to join an action's project team."""

    __table_args__ = (UniqueConstraint("action_id", "participant_id", name="uq_volunteer"),)

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class ActionUpdate(SQLModel, table=True):
    """What a follow-up session heard about an earlier action: its status then and now, and what happened."""

    __table_args__ = (UniqueConstraint("workshop_id", "action_id", name="uq_action_update"),)

    id: int | None = Field(default=None, primary_key=True)
    # the follow-up workshop the update was given in
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    participant_id: int | None = Field(default=None, foreign_key="participant.id")
    status_before: str = Field(max_length=20)
    status: str = Field(max_length=20)
    note: str = Field(default="", max_length=500)
    updated_at: datetime = Field(default_factory=utcnow)


class SavedFormat(SQLModel, table=True):
    """A facilitator's own session format, stored as the same data a format file holds."""

    __table_args__ = (UniqueConstraint("facilitator_id", "key", name="uq_saved_format_key"),)

    id: int | None = Field(default=None, primary_key=True)
    facilitator_id: int = Field(foreign_key="facilitator.id", index=True)
    key: str = Field(max_length=40)
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class Event(SQLModel, table=True):
    """The event log: every change to a workshop, numbered per workshop."""

    __table_args__ = (UniqueConstraint("workshop_id", "seq", name="uq_event_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    # looked up by workshop through uq_event_seq, which leads with it
    workshop_id: int = Field(foreign_key="workshop.id")
    seq: int
    kind: str = Field(max_length=40)
    # "all": phones too; "staff": facilitator board and projector only; "board": the facilitator only
    audience: str = Field(max_length=8)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
