"""Grades, choices, the mosaic and a follow-up's look back, as plain data for the exports."""

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from app import steps as step_types
from app.i18n import pick


@dataclass(frozen=True)
class GradeCount:
    """How often one grade was given."""

    grade: int
    count: int


@dataclass(frozen=True)
class GradeResult:
    """A grade step: how many graded, the mean, median and spread, and how often each grade was given."""

    kind: ClassVar[str] = "grade"
    step_id: str
    title: str
    prompt: str
    # the mosaic tile the step feeds; empty when it feeds none
    tile: str
    low: int
    high: int
    target: float | None
    count: int
    mean: float | None
    median: float | None
    spread: float | None
    distribution: tuple[GradeCount, ...]

    @property
    def most(self) -> int:
        """The largest count of one grade (at least 1), the height a chart scales to."""
        return max([1, *(g.count for g in self.distribution)])


@dataclass(frozen=True)
class ChoiceOption:
    """One option of a choice step and how often it was picked."""

    number: int
    label: str
    count: int


@dataclass(frozen=True)
class ChoiceResult:
    """A choice step: how many people chose, and how often each option was picked."""

    kind: ClassVar[str] = "choice"
    step_id: str
    title: str
    prompt: str
    multiple: bool
    count: int
    options: tuple[ChoiceOption, ...]

    @property
    def most(self) -> int:
        """The largest count of one option (at least 1), the length a chart scales to."""
        return max([1, *(o.count for o in self.options)])


@dataclass(frozen=True)
class MosaicTile:
    """A building block of the network: its mean grade, spread and number of grades."""

    step_id: str
    tile: str
    target: float | None
    mean: float | None
    spread: float | None
    count: int
    weakest: bool
    # good, fair, poor or none (app.responses.service.grade_level): the same colour as on the projector
    level: str


@dataclass(frozen=True)
class Mosaic:
    """The network's health: a tile per graded building block, the weakest marked."""

    tiles: tuple[MosaicTile, ...]
    # the step id of the one weakest tile; None while nothing is graded or when several share the lowest mean
    weakest: str | None


@dataclass(frozen=True)
class ReviewRow:
    """An earlier action under review: its status when the room last looked at it and now, and what its owner said."""

    action_id: int
    title: str
    owner: str
    contact: str
    due_on: date | None
    # the workshop it was agreed in
    workshop_id: int
    workshop_title: str
    before: str
    status: str
    note: str
    # reported on in this follow-up
    reported: bool
    # its status differs from before: reported here, or between the sessions (app.actions.review._item)
    moved: bool


@dataclass(frozen=True)
class Review:
    """A follow-up's look back: the earlier workshop and its actions with what was reported."""

    # "workshop": one earlier workshop's actions; "register": a selection from the register; None: nothing chosen
    source: str | None
    # the earlier workshop; None for a selection from the register, or while nothing is chosen
    workshop_id: int | None
    title: str
    held_on: date | None
    # how many workshops the actions were agreed in
    workshops: int
    items: tuple[ReviewRow, ...]

    @property
    def moved(self) -> int:
        """How many actions moved."""
        return sum(1 for item in self.items if item.moved)


def grade_result(step: step_types.Grade, tally: dict[str, Any]) -> GradeResult:
    """A grade step's tally (app.responses.service.tally_step) as a result."""
    return GradeResult(
        step_id=step.id,
        title=pick(step.title) or step.id,
        prompt=pick(step.prompt),
        tile=pick(step.tile),
        low=int(step.low),
        high=int(step.high),
        target=step.target,
        count=tally["count"],
        mean=tally["mean"],
        median=tally["median"],
        spread=tally["spread"],
        distribution=tuple(GradeCount(int(grade), n) for grade, n in tally["distribution"].items()),
    )


def choice_result(step: step_types.Choice, tally: dict[str, Any]) -> ChoiceResult:
    """A choice step's tally as a result, the options in the current language."""
    return ChoiceResult(
        step_id=step.id,
        title=pick(step.title) or step.id,
        prompt=pick(step.prompt),
        multiple=bool(step.multiple),
        count=tally["count"],
        options=tuple(
            ChoiceOption(number=number, label=pick(option), count=count)
            for number, (option, count) in enumerate(zip(step.options, tally["counts"], strict=True))
        ),
    )


def mosaic_of(mosaic: dict[str, Any]) -> Mosaic | None:
    """The mosaic (app.responses.service.mosaic) as data; None for a workshop without tiles."""
    if not mosaic["tiles"]:
        return None
    return Mosaic(
        tiles=tuple(
            MosaicTile(
                step_id=tile["step"],
                tile=pick(tile["tile"]),
                target=tile["target"],
                mean=tile["mean"],
                spread=tile["spread"],
                count=tile["count"],
                weakest=tile["weakest"],
                level=tile["level"],
            )
            for tile in mosaic["tiles"]
        ),
        weakest=mosaic["weakest"],
    )


def review_of(review: dict[str, Any]) -> Review:
    """A follow-up's review items (app.actions.review.review_items) as data."""
    earlier = review["workshop"]
    return Review(
        source=review["source"],
        workshop_id=earlier["id"] if earlier else None,
        title=earlier["title"] if earlier else "",
        held_on=date.fromisoformat(earlier["held_on"]) if earlier else None,
        workshops=review["workshops"],
        items=tuple(
            ReviewRow(
                action_id=item["id"],
                title=item["title"],
                owner=item["owner"],
                contact=item["contact"],
                due_on=date.fromisoformat(item["due_on"]) if item["due_on"] else None,
                workshop_id=item["workshop_id"],
                workshop_title=item["workshop_title"],
                before=item["before"],
                status=item["status"],
                note=item["note"],
                reported=item["reported"],
                moved=item["moved"],
            )
            for item in review["items"]
        ),
    )
