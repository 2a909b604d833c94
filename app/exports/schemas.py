"""What the JSON API returns, as documented in the OpenAPI schema."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


class VolunteerPublic(_Out):
    """Someone who joined an action's project team."""

    name: str = Field(description="Empty for an anonymous participant.")
    organisation: str


class ActionPublic(_Out):
    """An agreed action."""

    id: int
    title: str
    description: str
    owner: str = Field(description="The organisation that owns the action.")
    partners: list[str] = Field(description="Other organisations sharing the action.")
    contact: str = Field(description="The contact person.")
    due_on: date | None
    status: str = Field(description="open, bezig, klaar or vastgelopen.")
    obstacle: str = Field(description="The text of the obstacle the action tackles; empty if none.")
    volunteers: list[VolunteerPublic]


class AnswerPublic(_Out):
    """An answer the room sent (hidden answers are left out)."""

    id: int
    step_id: str
    step_title: str
    text: str
    author: str = Field(description="Empty for an anonymous participant.")
    organisation: str
    obstacle: str = Field(description="For a contribution: the obstacle it belongs to.")
    created_at: datetime


class ClusterPublic(_Out):
    """A group of obstacles and its votes."""

    id: int
    name: str
    tension: str | None
    theme: str | None
    focus: bool
    votes: int


class ObstaclePublic(_Out):
    """An obstacle with its cluster's tags and votes."""

    id: int
    text: str
    author: str
    organisation: str
    cluster: str | None
    tension: str | None
    theme: str | None
    votes: int
    focus: bool


class ContributionPublic(_Out):
    """A contribution to an obstacle."""

    id: int
    text: str
    author: str
    organisation: str
    obstacle: str


class OrganisationContributionsPublic(_Out):
    """One organisation's contributions."""

    organisation: str
    contributions: list[ContributionPublic]


class WorkshopPublic(_Out):
    """The workshop the besluitenlijst is about."""

    id: int
    title: str
    opgave: str
    held_on: date
    followup_at: datetime | None = Field(description="The follow-up meeting, in UTC.")
    followup_place: str
    closed: bool


class DecisionListPublic(_Out):
    """The besluitenlijst: opgave, obstacles by votes, contributions by organisation, actions and the follow-up."""

    workshop: WorkshopPublic
    clusters: list[ClusterPublic]
    obstacles: list[ObstaclePublic]
    contributions: list[OrganisationContributionsPublic]
    actions: list[ActionPublic]
    generated_at: datetime


class ErrorPublic(BaseModel):
    """A refused request."""

    detail: str
    code: str
