"""What the JSON API returns, as documented in the OpenAPI schema."""

from datetime import date, datetime
from typing import Literal

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
    theme: str | None = Field(description="wonen, werken, leren, veiligheid or gezondheid; null if none was picked.")


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


class GradeCountPublic(_Out):
    """How often one grade was given."""

    grade: int
    count: int


class GradePublic(_Out):
    """A grade step's result."""

    step_id: str
    title: str
    prompt: str
    tile: str = Field(description="The mosaic building block the step feeds; empty if none.")
    low: int
    high: int
    target: float | None = Field(description="The grade the network aims for.")
    count: int = Field(description="How many participants gave a grade.")
    mean: float | None
    median: float | None
    spread: float | None = Field(description="The population standard deviation of the grades.")
    distribution: list[GradeCountPublic] = Field(description="Every grade of the scale, from low to high.")


class ChoiceOptionPublic(_Out):
    """One option of a choice step."""

    number: int = Field(description="The option's position, from 0, as stored in a response.")
    label: str
    count: int = Field(description="How many participants picked it.")


class ChoicePublic(_Out):
    """A choice step's result."""

    step_id: str
    title: str
    prompt: str
    multiple: bool = Field(description="Whether a participant could pick more than one option.")
    count: int = Field(description="How many participants chose.")
    options: list[ChoiceOptionPublic]


class MosaicTilePublic(_Out):
    """A building block of the network mosaic."""

    step_id: str
    tile: str
    target: float | None
    mean: float | None
    spread: float | None
    count: int
    weakest: bool


class MosaicPublic(_Out):
    """The network mosaic: a tile per graded building block."""

    tiles: list[MosaicTilePublic]
    weakest: str | None = Field(
        description="The step id of the one tile with the lowest mean; null while none graded or when several share it "
        "(each tile's own weakest says whether it is among them)."
    )


class ReviewItemPublic(_Out):
    """An earlier action as reported in a follow-up."""

    action_id: int
    title: str
    owner: str
    contact: str
    due_on: date | None
    workshop_id: int = Field(description="The workshop the action was agreed in.")
    workshop_title: str
    before: str = Field(
        description="The action's status when the room last looked at it: at the end of the workshop it was agreed "
        "in, or of the latest earlier follow-up that reviewed it."
    )
    status: str = Field(description="Its status as reported in the follow-up; else as it is now.")
    note: str = Field(description="What its owner said happened.")
    reported: bool = Field(description="Whether anyone reported on it in the follow-up.")
    moved: bool = Field(
        description="Whether its status differs from before: reported in the follow-up, or between the sessions."
    )


class ReviewPublic(_Out):
    """A follow-up's look back on earlier actions: one earlier workshop's, or a selection from the register."""

    source: Literal["workshop", "register"] | None = Field(
        description="Where the actions come from: one earlier workshop, a selection from the register; null while "
        "none is chosen."
    )
    workshop_id: int | None = Field(
        description="The earlier workshop; null for a selection from the register and while none is chosen."
    )
    title: str = Field(description="The earlier workshop's title; empty for a selection from the register.")
    held_on: date | None
    workshops: int = Field(description="How many workshops the actions were agreed in.")
    moved: int = Field(description="How many of the items moved.")
    items: list[ReviewItemPublic]


class ResultsPublic(_Out):
    """The grades, choices and mosaic of a workshop."""

    grades: list[GradePublic]
    choices: list[ChoicePublic]
    mosaic: MosaicPublic | None = Field(description="Only for a format with grade steps that feed mosaic tiles.")


class DecisionListPublic(_Out):
    """The besluitenlijst: opgave, obstacles by votes, contributions by organisation, actions and the follow-up."""

    workshop: WorkshopPublic
    clusters: list[ClusterPublic]
    obstacles: list[ObstaclePublic]
    contributions: list[OrganisationContributionsPublic]
    actions: list[ActionPublic]
    grades: list[GradePublic]
    choices: list[ChoicePublic]
    mosaic: MosaicPublic | None = Field(description="Only for a format with grade steps that feed mosaic tiles.")
    review: ReviewPublic | None = Field(description="Only for a follow-up session.")
    generated_at: datetime
