"""The besluitenlijst as plain data: everything every export format draws from, read in one go."""

import sys
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app import steps as step_types
from app.actions import review as action_review
from app.clusters import service as clusters_service
from app.exports.results import (
    ChoiceResult,
    GradeResult,
    Mosaic,
    Review,
    choice_result,
    grade_result,
    mosaic_of,
    review_of,
)
from app.i18n import pick
from app.models import (
    LOCAL_TIMEZONE,
    THEMES,
    Action,
    ActionPartner,
    Answer,
    Cluster,
    Participant,
    Volunteer,
    Workshop,
    as_utc,
    utcnow,
)
from app.organisations import service as organisations
from app.responses import service as responses
from app.workshops.service import ANONYMOUS_ORGANISATION


@dataclass(frozen=True)
class WorkshopInfo:
    """The session the list is about."""

    id: int
    public_id: str
    title: str
    opgave: str
    held_on: date
    starts_at: time | None
    join_code: str
    followup_at: datetime | None
    followup_place: str
    # how often the follow-up moved: its calendar event's SEQUENCE
    followup_sequence: int
    closed: bool


@dataclass(frozen=True)
class ClusterRow:
    """A group of obstacles and the dots the room gave it."""

    id: int
    name: str
    tension: str | None
    theme: str | None
    focus: bool
    votes: int


@dataclass(frozen=True)
class ObstacleRow:
    """An obstacle with its cluster's tags and votes (0 while unclustered)."""

    id: int
    text: str
    author: str
    organisation: str
    cluster: str | None
    tension: str | None
    theme: str | None
    votes: int  # the pile's, the same on every obstacle in it
    focus: bool
    cluster_id: int | None = None
    first_of_pile: bool = True  # the pile's first row; an obstacle on no pile is its own

    @property
    def shown_votes(self) -> int | None:
        """The pile's votes on its first row only, so a column of them adds up to the dots cast."""
        return self.votes if self.first_of_pile else None


@dataclass(frozen=True)
class ContributionRow:
    """What a participant will contribute, and to which obstacle."""

    id: int
    text: str
    author: str
    organisation: str
    obstacle: str


@dataclass(frozen=True)
class OrganisationContributions:
    """One organisation's contributions."""

    organisation: str
    contributions: tuple[ContributionRow, ...]


@dataclass(frozen=True)
class VolunteerRow:
    """Someone who raised a hand to join an action."""

    name: str
    organisation: str

    @property
    def label(self) -> str:
        """Name and organisation as one text; an anonymous participant is only "Anoniem"."""
        return f"{self.name} ({self.organisation})" if self.name else self.organisation


@dataclass(frozen=True)
class ActionRow:
    """An agreed action with the people and organisations behind it."""

    id: int
    title: str
    description: str
    owner: str
    partners: tuple[str, ...]
    contact: str
    due_on: date | None
    status: str
    obstacle: str
    volunteers: tuple[VolunteerRow, ...]


@dataclass(frozen=True)
class AnswerRow:
    """Any answer in the session, as the room sent it."""

    id: int
    step_id: str
    step_title: str
    text: str
    author: str
    organisation: str
    obstacle: str
    created_at: datetime
    # one of app.models.THEMES, in steps where the participant picks one
    theme: str | None = None

    @property
    def label(self) -> str:
        """Who sent it: name and organisation, or only "Anoniem"."""
        return f"{self.author} ({self.organisation})" if self.author else self.organisation


@dataclass(frozen=True)
class ThemeGroup:
    """The answers to a question under one theme; theme None holds those without one."""

    theme: str | None
    answers: tuple[AnswerRow, ...]


@dataclass(frozen=True)
class QuestionResult:
    """An open question that is neither an obstacle nor a contribution, with its answers."""

    kind: ClassVar[str] = "question"
    step_id: str
    title: str
    prompt: str
    themes: bool
    answers: tuple[AnswerRow, ...]

    @property
    def by_theme(self) -> tuple[ThemeGroup, ...]:
        """The answers per theme in the usual order of the themes, those without a theme last."""
        # a theme no longer in THEMES (an older workshop) counts as none rather than getting lost
        known = [(a.theme if a.theme in THEMES else None, a) for a in self.answers]
        groups = {theme: tuple(a for t, a in known if t == theme) for theme in (*THEMES, None)}
        return tuple(ThemeGroup(theme, answers) for theme, answers in groups.items() if answers)


Result = GradeResult | ChoiceResult | QuestionResult


@dataclass(frozen=True)
class ResultGroup:
    """Results of neighbouring steps under one title (a mosaic block's grade and its open question)."""

    title: str
    results: tuple[Result, ...]


# the parts of the besluitenlijst that depend on the steps a format has
OBSTACLES, CONTRIBUTIONS, ACTIONS = "obstacles", "contributions", "actions"


@dataclass(frozen=True)
class DecisionList:
    """The besluitenlijst: opgave, obstacles by votes, contributions, actions and the follow-up."""

    workshop: WorkshopInfo
    clusters: tuple[ClusterRow, ...]
    obstacles: tuple[ObstacleRow, ...]
    contributions: tuple[OrganisationContributions, ...]
    actions: tuple[ActionRow, ...]
    answers: tuple[AnswerRow, ...]
    generated_at: datetime
    # grades, choices and other open questions, in the order of the steps
    results: tuple[Result, ...] = ()
    mosaic: Mosaic | None = None
    # a follow-up's look back; None for a workshop without an action_review step
    review: Review | None = None
    # which of OBSTACLES, CONTRIBUTIONS and ACTIONS this workshop's format has (or has data for)
    sections: frozenset[str] = frozenset({OBSTACLES, CONTRIBUTIONS, ACTIONS})

    @property
    def grades(self) -> tuple[GradeResult, ...]:
        """The grade steps' results."""
        return tuple(r for r in self.results if isinstance(r, GradeResult))

    @property
    def choices(self) -> tuple[ChoiceResult, ...]:
        """The choice steps' results."""
        return tuple(r for r in self.results if isinstance(r, ChoiceResult))

    @property
    def questions(self) -> tuple[QuestionResult, ...]:
        """The other open questions with their answers."""
        return tuple(r for r in self.results if isinstance(r, QuestionResult))

    @property
    def result_groups(self) -> tuple[ResultGroup, ...]:
        """The results with the ones that belong together (see _belongs_with) under one title."""
        groups: list[ResultGroup] = []
        for result in self.results:
            if groups and _belongs_with(groups[-1], result):
                groups[-1] = ResultGroup(groups[-1].title, (*groups[-1].results, result))
            else:
                groups.append(ResultGroup(result.title, (result,)))
        return tuple(groups)


def _belongs_with(group: ResultGroup, result: Result) -> bool:
    """Whether a result goes under the group before it: the same title, or an open question explaining a grade."""
    if result.title == group.title:
        return True
    # a mosaic block asks a grade and then "Opgave: toelichting": the question belongs with its grade
    last = group.results[-1]
    return isinstance(last, GradeResult) and isinstance(result, QuestionResult) and result.title.startswith(last.title)


def _by_pile(obstacles: list[ObstacleRow]) -> list[ObstacleRow]:
    """Obstacles pile by pile, ranked as the projector and the board rank them; loose ones last, as sent."""
    loose = (0, sys.maxsize)  # after every pile, even one without votes

    def rank(o: ObstacleRow) -> tuple[int, int]:
        return loose if o.cluster_id is None else clusters_service.pile_rank(votes=o.votes, pile_id=o.cluster_id)

    ordered = sorted(obstacles, key=rank)  # stable: within a pile, the order they were sent in
    seen: set[int] = set()
    rows = []
    for o in ordered:
        first = o.cluster_id is None or o.cluster_id not in seen
        if o.cluster_id is not None:
            seen.add(o.cluster_id)
        rows.append(replace(o, first_of_pile=first))
    return rows


def local_time(moment: datetime) -> datetime:
    """A stored moment on the room's wall clock."""
    return as_utc(moment).astimezone(LOCAL_TIMEZONE)


def _step_kinds(workshop: Workshop) -> tuple[set[str], set[str], dict[str, str]]:
    """The ids of the obstacle steps and the contribution steps, and every step's title."""
    # an obstacle step is one the room clusters, votes on or answers with contributions; any other open
    # question (a residents' "what are you proud of") is shown as itself, not as obstacles
    steps = [step_types.read(step) for step in workshop.steps]
    open_steps = {step.id: step for step in steps if isinstance(step, step_types.OpenText)}
    worked_on: set[str | None] = {
        step.source for step in steps if isinstance(step, step_types.Cluster | step_types.DotVote)
    }
    worked_on |= {step.links_to for step in open_steps.values()}
    contribution_steps = {step.id for step in open_steps.values() if step.links_to}
    obstacle_steps = (set(open_steps) & worked_on) - contribution_steps
    titles = {step.id: pick(step.title) or step.id for step in steps}
    return obstacle_steps, contribution_steps, titles


def _results(
    workshop: Workshop, tallies: dict[str, dict[str, Any]], answers: list[AnswerRow], skip: set[str]
) -> tuple[Result, ...]:
    """The grade, choice and open-question steps in order; skip holds the obstacle and contribution steps."""
    by_step: defaultdict[str, list[AnswerRow]] = defaultdict(list)
    for answer in answers:
        by_step[answer.step_id].append(answer)
    results: list[Result] = []
    for step in map(step_types.read, workshop.steps):
        if isinstance(step, step_types.Grade):
            results.append(grade_result(step, tallies[step.id]))
        elif isinstance(step, step_types.Choice):
            results.append(choice_result(step, tallies[step.id]))
        elif isinstance(step, step_types.OpenText) and step.id not in skip:
            results.append(
                QuestionResult(
                    step_id=step.id,
                    title=pick(step.title) or step.id,
                    prompt=pick(step.prompt),
                    themes=step.themes,
                    answers=tuple(by_step[step.id]),
                )
            )
    return tuple(results)


def load_decision_list(db: Session, *, workshop_id: int) -> DecisionList:
    """Everything the exports show of a workshop, without hidden answers or deleted actions."""
    workshop = db.get(Workshop, workshop_id)
    if workshop is None:
        raise LookupError(f"no workshop {workshop_id}")
    obstacle_steps, contribution_steps, step_titles = _step_kinds(workshop)

    rows = db.execute(
        select(Answer, Participant)
        .join(Participant, col(Participant.id) == col(Answer.participant_id))
        .where(col(Answer.workshop_id) == workshop_id, col(Answer.hidden) == False)  # noqa: E712
        .order_by(col(Answer.id))
    ).all()
    texts = {answer.id: answer.text for answer, _ in rows}
    links = {answer.id: answer.links_to for answer, _ in rows}

    votes = clusters_service.tally(db, workshop_id=workshop_id)
    cluster_models = db.execute(select(Cluster).where(col(Cluster.workshop_id) == workshop_id)).scalars().all()
    clusters = {
        c.id: ClusterRow(
            id=c.id or 0, name=c.name, tension=c.tension, theme=c.theme, focus=c.focus, votes=votes.get(c.id or 0, 0)
        )
        for c in cluster_models
    }

    # what each pile holds here: a loose obstacle that voting gave a pile of its own is named by its own words, which
    # a cluster column would only repeat
    members: defaultdict[int, list[str]] = defaultdict(list)
    for answer, _ in rows:
        if answer.step_id in obstacle_steps and answer.cluster_id is not None:
            members[answer.cluster_id].append(answer.text)

    obstacles, answers = [], []
    by_organisation: defaultdict[str, list[ContributionRow]] = defaultdict(list)
    for answer, participant in rows:
        linked = texts.get(answer.links_to, "") if answer.links_to is not None else ""
        answers.append(
            AnswerRow(
                id=answer.id or 0,
                step_id=answer.step_id,
                step_title=step_titles.get(answer.step_id, answer.step_id),
                text=answer.text,
                author=participant.name,
                organisation=participant.organisation,
                obstacle=linked,
                created_at=as_utc(answer.created_at),
                theme=answer.theme,
            )
        )
        if answer.step_id in obstacle_steps:
            cluster = clusters.get(answer.cluster_id) if answer.cluster_id is not None else None
            obstacles.append(
                ObstacleRow(
                    id=answer.id or 0,
                    text=answer.text,
                    author=participant.name,
                    organisation=participant.organisation,
                    cluster=None
                    if cluster is None or clusters_service.stands_alone(cluster.name, members[cluster.id])
                    else cluster.name,
                    tension=cluster.tension if cluster else None,
                    theme=cluster.theme if cluster else None,
                    votes=cluster.votes if cluster else 0,
                    focus=cluster.focus if cluster else False,
                    cluster_id=cluster.id if cluster else None,
                )
            )
        elif answer.step_id in contribution_steps:
            by_organisation[participant.organisation].append(
                ContributionRow(
                    id=answer.id or 0,
                    text=answer.text,
                    author=participant.name,
                    organisation=participant.organisation,
                    obstacle=linked,
                )
            )
    obstacles = _by_pile(obstacles)

    actions = _actions(db, workshop_id=workshop_id, texts=texts, links=links)
    followup_at = as_utc(workshop.followup_at) if workshop.followup_at else None
    kinds = {step["type"] for step in workshop.steps}
    tallies = responses.tallies(db, workshop=workshop)
    sections = {
        name
        for name, present in (
            (OBSTACLES, bool(obstacle_steps)),
            (CONTRIBUTIONS, bool(contribution_steps)),
            (ACTIONS, "actions" in kinds or bool(actions)),
        )
        if present
    }
    return DecisionList(
        workshop=WorkshopInfo(
            id=workshop.id or 0,
            public_id=workshop.public_id,
            title=workshop.title,
            opgave=workshop.opgave,
            held_on=workshop.held_on,
            starts_at=workshop.starts_at,
            join_code=workshop.join_code,
            followup_at=followup_at,
            followup_place=workshop.followup_place,
            followup_sequence=workshop.followup_sequence,
            closed=workshop.closed_at is not None,
        ),
        clusters=tuple(
            sorted(clusters.values(), key=lambda c: clusters_service.pile_rank(votes=c.votes, pile_id=c.id))
        ),
        obstacles=tuple(obstacles),
        contributions=tuple(
            OrganisationContributions(organisation=org, contributions=tuple(items))
            for org, items in sorted(by_organisation.items(), key=_organisation_order)
        ),
        actions=actions,
        answers=tuple(answers),
        generated_at=utcnow(),
        results=_results(workshop, tallies, answers, obstacle_steps | contribution_steps),
        mosaic=mosaic_of(responses.mosaic(workshop, tallies)),
        review=review_of(action_review.review_items(db, workshop=workshop)) if "action_review" in kinds else None,
        sections=frozenset(sections),
    )


def _organisation_order(item: tuple[str, list[ContributionRow]]) -> tuple[bool, organisations.NameOrder]:
    # anonymous contributions last, the organisations by name before them
    return item[0] == ANONYMOUS_ORGANISATION, organisations.name_order(item[0])


def _actions(
    db: Session, *, workshop_id: int, texts: dict[int | None, str], links: dict[int | None, int | None]
) -> tuple[ActionRow, ...]:
    actions = (
        db.execute(
            select(Action)
            .where(col(Action.workshop_id) == workshop_id, col(Action.deleted_at) == None)  # noqa: E711
            .order_by(col(Action.id))
        )
        .scalars()
        .all()
    )
    ids = [a.id for a in actions]
    partners: defaultdict[int, list[str]] = defaultdict(list)
    for action_id, organisation in db.execute(
        select(col(ActionPartner.action_id), col(ActionPartner.organisation))
        .where(col(ActionPartner.action_id).in_(ids))
        .order_by(col(ActionPartner.id))
    ).all():
        partners[action_id].append(organisation)
    volunteers: defaultdict[int, list[VolunteerRow]] = defaultdict(list)
    for action_id, name, organisation in db.execute(
        select(col(Volunteer.action_id), col(Participant.name), col(Participant.organisation))
        .join(Participant, col(Participant.id) == col(Volunteer.participant_id))
        .where(col(Volunteer.action_id).in_(ids))
        .order_by(col(Volunteer.id))
    ).all():
        volunteers[action_id].append(VolunteerRow(name=name, organisation=organisation))
    return tuple(
        ActionRow(
            id=a.id or 0,
            title=a.title,
            description=a.description,
            owner=a.owner_organisation,
            partners=tuple(partners[a.id or 0]),
            contact=a.contact_person,
            due_on=a.due_on,
            status=a.status,
            obstacle=_obstacle_of(a, texts=texts, links=links),
            volunteers=tuple(volunteers[a.id or 0]),
        )
        for a in actions
    )


def _obstacle_of(action: Action, *, texts: dict[int | None, str], links: dict[int | None, int | None]) -> str:
    """The obstacle an action tackles: its own link, else its contribution's; hidden answers are not in texts."""
    obstacle_id = action.obstacle_id
    if obstacle_id is None and action.contribution_id is not None:
        obstacle_id = links.get(action.contribution_id)
    return texts.get(obstacle_id, "") if obstacle_id is not None else ""
