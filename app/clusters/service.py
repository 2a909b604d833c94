"""Clusters of obstacles, and the dots the room places on them."""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app import steps as step_types
from app.clusters import keywords as tag_keywords
from app.clusters import suggest
from app.clusters.model import SentenceModel
from app.errors import DomainError
from app.i18n import N_
from app.models import TENSIONS, THEMES, Answer, Cluster, Participant, Vote, Workshop, table_of
from app.security import clean_text
from app.store.events import Audience, EventKind, Tx, append_event, logged_last, logged_since
from app.store.prepared import Prepared
from app.workshops import service as workshops


def _step(workshop: Workshop, step_type: str) -> dict[str, Any] | None:
    """The workshop's first step of a type."""
    return next((step for step in workshop.steps if step["type"] == step_type), None)


def source_step_id(workshop: Workshop) -> str | None:
    """The open-text step whose answers are clustered and voted on (the obstacles)."""
    for step in map(step_types.read, workshop.steps):
        if isinstance(step, step_types.Cluster | step_types.DotVote):
            return step.source
    return None


def _vote_has_started(workshop: Workshop) -> bool:
    vote = _step(workshop, "dot_vote")
    return vote is not None and workshop.step_index >= workshop.steps.index(vote)


def _voting_open(workshop: Workshop) -> bool:
    return workshop.closed_at is None and workshop.steps[workshop.step_index]["type"] == "dot_vote"


def tally(db: Session, *, workshop_id: int) -> dict[int, int]:
    """Dots per cluster."""
    rows = db.execute(
        select(col(Vote.cluster_id), func.count())
        .where(col(Vote.workshop_id) == workshop_id)
        .group_by(col(Vote.cluster_id))
    ).all()
    return {cluster_id: n for cluster_id, n in rows}


def pile_rank(*, votes: int, pile_id: int) -> tuple[int, int]:
    """How piles are ranked on every screen and in every export: most votes first, then the older pile."""
    return (-votes, pile_id)


def clusters_view(db: Session, *, workshop_id: int) -> list[dict[str, Any]]:
    """Every cluster with its visible obstacles and dots, most dots first."""
    workshop = db.get(Workshop, workshop_id)
    assert workshop is not None
    votes = tally(db, workshop_id=workshop_id)
    # the query leaves out answers without a pile; the columns' types still allow None
    members: dict[int | None, list[int | None]] = {}
    for answer_id, cluster_id in db.execute(
        select(col(Answer.id), col(Answer.cluster_id))
        .where(
            col(Answer.workshop_id) == workshop_id, col(Answer.cluster_id).is_not(None), col(Answer.hidden).is_(False)
        )
        .order_by(col(Answer.id))
    ).all():
        members.setdefault(cluster_id, []).append(answer_id)
    clusters = db.execute(
        select(Cluster).where(col(Cluster.workshop_id) == workshop_id).order_by(col(Cluster.id))
    ).scalars()
    views = [
        {
            "id": c.id,
            "name": c.name,
            "tension": c.tension,
            "theme": c.theme,
            "focus": c.focus,
            "answers": members.get(c.id or 0, []),
            "votes": votes.get(c.id or 0, 0),
        }
        for c in clusters
    ]
    return sorted(views, key=lambda v: pile_rank(votes=v["votes"], pile_id=v["id"]))


def _publish_clusters(db: Tx, workshop: Workshop) -> list[dict[str, Any]]:
    """Log the new cluster state; phones get it too while they are voting."""
    views = clusters_view(db, workshop_id=workshop.id or 0)
    audience = Audience.ALL if _voting_open(workshop) else Audience.STAFF
    append_event(
        db, workshop_id=workshop.id or 0, kind=EventKind.CLUSTERS_CHANGED, audience=audience, data={"clusters": views}
    )
    return views


def _obstacles(db: Session, workshop: Workshop, answer_ids: list[int]) -> list[Answer]:
    source = source_step_id(workshop)
    found = list(
        db.execute(
            select(Answer)
            .where(col(Answer.id).in_(answer_ids), col(Answer.workshop_id) == workshop.id)
            # oldest first: a new pile is named after its first obstacle, whatever index the database reads by
            .order_by(col(Answer.id))
        ).scalars()
    )
    if len(found) != len(set(answer_ids)) or any(a.step_id != source for a in found):
        raise DomainError("not_an_obstacle", N_("Alleen obstakels van deze workshop kun je ordenen."), status=422)
    # a new pile is named after its first obstacle, and piles reach the projector and the phones
    if any(a.hidden for a in found):
        raise DomainError(
            "answer_not_visible",
            N_("Dit antwoord staat niet op het scherm (verborgen of wacht op goedkeuring)."),
            status=409,
        )
    return found


def _drop_empty_clusters(db: Tx, workshop_id: int, *, keep_votes_in: int | None) -> None:
    """Remove clusters left without obstacles; their dots move along, or the change is refused."""
    empty = [
        c.id
        for c in db.execute(select(Cluster).where(col(Cluster.workshop_id) == workshop_id)).scalars()
        if not db.execute(select(col(Answer.id)).where(col(Answer.cluster_id) == c.id).limit(1)).first()
    ]
    if not empty:
        return
    if keep_votes_in is not None:
        db.execute(update(Vote).where(col(Vote.cluster_id).in_(empty)).values(cluster_id=keep_votes_in))
    elif db.execute(select(col(Vote.id)).where(col(Vote.cluster_id).in_(empty)).limit(1)).first():
        raise DomainError(
            "cluster_has_votes",
            N_("Op dit cluster zijn al stippen gezet. Voeg het samen met een ander in plaats van het leeg te maken."),
            status=409,
        )
    db.execute(delete(Cluster).where(col(Cluster.id).in_(empty)))


# one limit for a name the room typed and one suggested
MAX_NAME = suggest.NAME_MOST
# how much a typed or pasted name may bring: longer than a name holds, so a pasted obstacle becomes a name that stops
# after a whole word (pile_name), as a suggested one does, rather than one cut mid-word by the board's field
MAX_NAME_TYPED = 2000


def pile_name(raw: str | None) -> str:
    """A name given to a pile, cleaned as every user text is (no bidi overrides, zero-width characters or escape
    codes), on one line and within the column, ending on a whole word; empty when nothing visible was given."""
    return suggest.whole_words(clean_text(raw or "").replace("\n", " ").strip())


def stands_alone(name: str, texts: Sequence[str]) -> bool:
    """Whether a pile is one loose obstacle that voting gave a pile of its own: one obstacle, named by its words."""
    return len(texts) == 1 and name == pile_name(texts[0])


def group(
    db: Tx, *, workshop: Workshop, answer_ids: list[int], into: int | None = None, name: str | None = None
) -> list[dict[str, Any]]:
    """Put obstacles (and everything clustered with them) on one pile: an existing cluster, or a new one."""
    if not answer_ids:
        raise DomainError("nothing_selected", N_("Kies eerst de obstakels die bij elkaar horen."), status=422)
    chosen = _obstacles(db, workshop, answer_ids)
    if into is not None:
        target = _cluster(db, workshop, into)
    else:
        _refuse_a_pile_of_one(db, chosen)
        target = Cluster(workshop_id=workshop.id or 0, name=pile_name(name) or pile_name(chosen[0].text))
        db.add(target)
        db.flush()
    # whole clusters move together: merging two piles keeps everything on them
    sources = {a.cluster_id for a in chosen if a.cluster_id is not None and a.cluster_id != target.id}
    if sources:
        db.execute(update(Answer).where(col(Answer.cluster_id).in_(sources)).values(cluster_id=target.id))
    for answer in chosen:
        answer.cluster_id = target.id
    db.flush()
    _drop_empty_clusters(db, workshop.id or 0, keep_votes_in=target.id)
    return _publish_clusters(db, workshop)


def _refuse_a_pile_of_one(db: Tx, chosen: Sequence[Answer]) -> None:
    """A new pile holds at least two obstacles (the chosen ones and whatever piles they are on): one on its own
    stays loose, where voting gives it a pile of its own anyway."""
    on_piles = {answer.cluster_id for answer in chosen if answer.cluster_id is not None}
    moving = {answer.id for answer in chosen}
    if on_piles:
        moving |= set(db.execute(select(col(Answer.id)).where(col(Answer.cluster_id).in_(on_piles))).scalars())
    if len(moving) < 2:
        raise DomainError(
            "pile_of_one",
            N_(
                "Een stapel heeft minstens twee obstakels. "
                "Kies er nog een, of zet dit obstakel op een bestaande stapel."
            ),
            status=400,
        )


def ungroup(db: Tx, *, workshop: Workshop, answer_id: int) -> list[dict[str, Any]]:
    """Take one obstacle off its pile again."""
    (answer,) = _obstacles(db, workshop, [answer_id])
    if answer.cluster_id is None:
        return clusters_view(db, workshop_id=workshop.id or 0)
    answer.cluster_id = None
    return _taken_off(db, workshop)


def dissolve(db: Tx, *, workshop: Workshop, cluster_id: int) -> list[dict[str, Any]]:
    """Take every obstacle off a pile at once, which then goes: a pile accepted by mistake is undone in one step."""
    _cluster(db, workshop, cluster_id)
    db.execute(update(Answer).where(col(Answer.cluster_id) == cluster_id).values(cluster_id=None))
    return _taken_off(db, workshop)


def _cluster(db: Tx, workshop: Workshop, cluster_id: int) -> Cluster:
    """A pile of this workshop; another workshop's, or none, is not found."""
    cluster = db.get(Cluster, cluster_id)
    if cluster is None or cluster.workshop_id != workshop.id:
        raise DomainError("cluster_not_found", N_("Dit cluster bestaat niet."), status=404)
    return cluster


def _taken_off(db: Tx, workshop: Workshop) -> list[dict[str, Any]]:
    """After obstacles left their piles: empty piles go (refused if they hold dots), and once voting has begun
    each loose obstacle is a pile of its own again."""
    db.flush()
    _drop_empty_clusters(db, workshop.id or 0, keep_votes_in=None)
    if (
        _voting_open(workshop)
        or (vote_step := _step(workshop, "dot_vote"))
        and workshop.step_index > workshop.steps.index(vote_step)
    ):
        ensure_clusters(db, workshop=workshop, publish=False)
    return _publish_clusters(db, workshop)


def edit_cluster(
    db: Tx,
    *,
    workshop: Workshop,
    cluster_id: int,
    name: str | None = None,
    tension: str | None = None,
    theme: str | None = None,
    focus: bool | None = None,
) -> list[dict[str, Any]]:
    """Rename a cluster, tag it, or mark it as a focus; empty tag text clears a tag."""
    cluster = _cluster(db, workshop, cluster_id)
    _retag(cluster, name=name, tension=tension, theme=theme)
    if focus is not None:
        cluster.focus = focus
    db.flush()
    return _publish_clusters(db, workshop)


def _retag(cluster: Cluster, *, name: str | None, tension: str | None, theme: str | None) -> None:
    """Rename or tag a pile, each checked; a field given as None stays, empty tag text clears a tag."""
    if name is not None:
        if not pile_name(name):
            raise DomainError("name_missing", N_("Geef het cluster een naam."), status=422)
        cluster.name = pile_name(name)
    _checked_tags(tension, theme)
    if tension is not None:
        cluster.tension = tension or None
    if theme is not None:
        cluster.theme = theme or None


def _checked_tags(tension: str | None, theme: str | None) -> None:
    """Refuse a tension or theme that is none of the shipped ones (empty or None: no tag)."""
    if tension and tension not in TENSIONS:
        raise DomainError("unknown_tension", N_("Kies een van de zeven spanningsclusters."), status=422)
    if theme and theme not in THEMES:
        raise DomainError("unknown_theme", N_("Kies een van de thema's."), status=422)


# ---- suggested piles

# past this many obstacles a suggestion run would keep the server busy for too long; ask the room to pile by hand
MAX_SUGGESTED = 4000
# and past this many characters in all: long answers cost time too (4,000 of 200 characters take some 8 s of CPU)
MAX_SUGGESTED_CHARACTERS = 400_000


def suggestion_input(db: Session, *, workshop: Workshop) -> tuple[list[suggest.Obstacle], tag_keywords.KeywordList]:
    """What suggestions are made from: the visible obstacles with the pile each is on, and the keyword list."""
    query = (
        select(col(Answer.id), col(Answer.text), col(Answer.cluster_id))
        .where(
            col(Answer.workshop_id) == workshop.id,
            col(Answer.step_id) == source_step_id(workshop),
            col(Answer.hidden).is_(False),
        )
        .order_by(col(Answer.id))
    )
    obstacles = [suggest.Obstacle(answer_id or 0, text, pile) for answer_id, text, pile in db.execute(query).all()]
    return obstacles, tag_keywords.keywords_for(db, workspace_id=workshop.workspace_id)


def suggest_piles(
    obstacles: Sequence[suggest.Obstacle],
    keywords: tag_keywords.KeywordList,
    *,
    model: SentenceModel | None = None,
) -> dict[str, Any]:
    """Proposed piles for the loose obstacles, as the board shows them (read by the sentence model too, if there is
    one); nothing is stored."""
    _suggestible(obstacles)
    return suggest.suggest(obstacles, keywords=keywords, tensions=TENSIONS, themes=THEMES, model=model).as_dict()


def read_ahead(obstacles: Sequence[suggest.Obstacle], model: SentenceModel) -> int:
    """Have the sentence model read the obstacles before the facilitator asks (as much as an ask would take); how
    many it is still to read."""
    _suggestible(obstacles)
    return model.read_ahead([obstacle.text for obstacle in obstacles])


def read_now(obstacles: Sequence[suggest.Obstacle], model: SentenceModel) -> None:
    """Have the sentence model read the obstacles an ask is about to match (as much as an ask would take)."""
    _suggestible(obstacles)
    model.read([obstacle.text for obstacle in obstacles])


def _suggestible(obstacles: Sequence[suggest.Obstacle]) -> None:
    """Refuse more obstacles, or more text, than one ask for suggestions takes."""
    if len(obstacles) > MAX_SUGGESTED:
        raise DomainError(
            "too_many_to_suggest",
            N_("Er zijn meer dan {max} obstakels: te veel om in één keer stapels voor te stellen."),
            status=422,
            max=MAX_SUGGESTED,
        )
    if sum(len(obstacle.text) for obstacle in obstacles) > MAX_SUGGESTED_CHARACTERS:
        raise DomainError(
            "too_much_to_suggest",
            N_("De obstakels zijn samen te lang om in één keer stapels voor te stellen: leg er eerst een deel op."),
            status=422,
        )


@dataclass(frozen=True)
class AcceptedPile:
    """A suggestion the facilitator accepted, as they left it: its obstacles, name and tags, and the pile it adds
    to (into) if any."""

    key: str
    answer_ids: Sequence[int]
    into: int | None = None
    name: str | None = None
    tension: str | None = None
    theme: str | None = None


def _checked_piles(piles: Sequence[AcceptedPile]) -> None:
    """Refuse accepted piles with more obstacles than a room may hold, or with a tag that is none."""
    _at_most_a_room(sum(len(pile.answer_ids) for pile in piles))
    for pile in piles:
        _checked_tags(pile.tension, pile.theme)


def _at_most_a_room(obstacles: int) -> None:
    if obstacles > MAX_SUGGESTED:
        raise DomainError(
            "too_many_accepted",
            N_("Er kunnen hoogstens {max} obstakels tegelijk op stapels."),
            status=422,
            max=MAX_SUGGESTED,
        )


def _not_loose(answer: Answer | None, target: Cluster | None) -> str | None:
    """Why an obstacle of a suggestion cannot be moved any more ("" if it is on the pile already), or None."""
    if answer is None:
        return "gone"
    if answer.hidden:
        return "hidden"
    if answer.cluster_id is None:
        return None
    return "" if target is not None and answer.cluster_id == target.id else "moved"


def accept_piles(db: Tx, *, workshop: Workshop, piles: Sequence[AcceptedPile]) -> dict[str, Any]:
    """Lay accepted suggestions down as piles, in one grouping event; what changed meanwhile is skipped and said.

    Only obstacles that are still loose and visible are moved: one hidden, deleted or put on a pile since the
    suggestion was made stays where it is. A new pile needs two obstacles left; an addition needs its pile.
    """
    _checked_piles(piles)
    # two boards accepting at once (on any worker) take turns here, and the second reads what the first did
    db.execute(select(col(Workshop.id)).where(col(Workshop.id) == workshop.id).with_for_update())
    source = source_step_id(workshop)
    wanted = {answer_id for pile in piles for answer_id in pile.answer_ids}
    found = {answer.id: answer for answer in db.execute(select(Answer).where(col(Answer.id).in_(wanted))).scalars()}
    # one deleted meanwhile is skipped below; one of another workshop, or no obstacle, was never suggested here
    if any(a.workshop_id != workshop.id or a.step_id != source for a in found.values()):
        raise DomainError("not_an_obstacle", N_("Alleen obstakels van deze workshop kun je ordenen."), status=422)
    targets = [pile.into for pile in piles if pile.into is not None]
    elsewhere = select(col(Cluster.id)).where(col(Cluster.id).in_(targets), col(Cluster.workshop_id) != workshop.id)
    if targets and db.execute(elsewhere).first():
        raise DomainError("cluster_not_found", N_("Dit cluster bestaat niet."), status=404)
    skipped: list[dict[str, Any]] = []
    made: list[str] = []
    laid: list[dict[str, Any]] = []
    for pile in piles:
        target = db.get(Cluster, pile.into) if pile.into is not None else None
        if pile.into is not None and (target is None or target.workshop_id != workshop.id):
            skipped.append({"key": pile.key, "reason": "pile_gone", "answer_ids": list(pile.answer_ids)})
            continue
        chosen = []
        for answer_id in dict.fromkeys(pile.answer_ids):
            answer = found.get(answer_id)
            reason = _not_loose(answer, target)
            if answer is not None and reason is None:
                chosen.append(answer)
            elif reason:
                skipped.append({"key": pile.key, "reason": reason, "answer_ids": [answer_id]})
        if not chosen or (target is None and len(chosen) < 2):
            if chosen:
                skipped.append({"key": pile.key, "reason": "too_few", "answer_ids": [a.id for a in chosen]})
            continue
        before = None if target is None else _tags(target)
        if target is None:
            target = Cluster(workshop_id=workshop.id or 0, name=pile_name(pile.name) or pile_name(chosen[0].text))
            db.add(target)
            db.flush()
        elif pile_name(pile.name):
            target.name = pile_name(pile.name)
        if pile.tension:
            target.tension = pile.tension
        if pile.theme:
            target.theme = pile.theme
        for answer in chosen:
            answer.cluster_id = target.id
        made.append(pile.key)
        laid.append({"pile": target.id, "answer_ids": [a.id for a in chosen], "before": before})
    if not made and skipped and all(s["reason"] == "pile_gone" for s in skipped):
        gone = N_("De stapel waar deze obstakels bij zouden komen, bestaat niet meer.")
        raise DomainError("pile_gone", gone, status=409)
    if not made:
        raise DomainError(
            "suggestions_outdated",
            N_("Er is niets veranderd: deze obstakels liggen al op een stapel of staan niet meer op het scherm."),
            status=409,
        )
    db.flush()
    views = _publish_clusters(db, workshop)
    # what was laid down, and the event that said so: the board keeps both for its "Ongedaan maken" (take_back)
    undo = {"piles": laid, "seq": logged_last(db, workshop_id=workshop.id or 0)}
    return {"clusters": views, "accepted": made, "skipped": skipped, "undo": undo}


def _tags(cluster: Cluster) -> dict[str, str | None]:
    return {"name": cluster.name, "tension": cluster.tension, "theme": cluster.theme}


@dataclass(frozen=True)
class LaidPile:
    """What accepting one suggestion did (accept_piles' "undo"): the obstacles it put on a pile and, for a pile that
    was there already, that pile's name and tags before."""

    pile: int
    answer_ids: Sequence[int]
    before: Mapping[str, str | None] | None = None


def take_back(db: Tx, *, workshop: Workshop, laid: Sequence[LaidPile], seq: int) -> dict[str, Any]:
    """Undo the last accept of suggestions (its clusters event was seq) in one grouping event: its obstacles loose
    again, the piles it made gone, a pile it added to named and tagged as before.

    Refused once the piles changed after it, by anyone (a pile's id may even have been given to a new pile since), or
    once the vote has begun: then the facilitator takes piles apart by hand.
    """
    _at_most_a_room(sum(len(pile.answer_ids) for pile in laid))
    db.execute(select(col(Workshop.id)).where(col(Workshop.id) == workshop.id).with_for_update())
    if _vote_has_started(workshop):
        raise DomainError(
            "vote_started", N_("Het stemmen is begonnen: haal een stapel nu met de hand uit elkaar."), status=409
        )
    if logged_since(db, workshop_id=workshop.id or 0, kind=EventKind.CLUSTERS_CHANGED, seq=seq):
        raise DomainError(
            "changed_since",
            N_("De stapels zijn sindsdien veranderd: haal een stapel nu met de hand uit elkaar (‘Stapel opheffen’)."),
            status=409,
        )
    ids = {pile.pile for pile in laid}
    found = {c.id: c for c in db.execute(select(Cluster).where(col(Cluster.id).in_(ids))).scalars()}
    if any(cluster.workshop_id != workshop.id for cluster in found.values()):
        raise DomainError("cluster_not_found", N_("Dit cluster bestaat niet."), status=404)
    wanted = {answer_id for pile in laid for answer_id in pile.answer_ids}
    on_pile = {
        (answer.id, answer.cluster_id): answer
        for answer in db.execute(
            select(Answer).where(
                col(Answer.id).in_(wanted), col(Answer.workshop_id) == workshop.id, col(Answer.cluster_id).in_(ids)
            )
        ).scalars()
    }
    loosened = 0
    for pile in laid:
        for answer_id in dict.fromkeys(pile.answer_ids):
            # one deleted since is gone; one hidden since goes loose with the rest, and stays hidden
            answer = on_pile.pop((answer_id, pile.pile), None)
            if answer is not None:
                answer.cluster_id = None
                loosened += 1
        cluster = found.get(pile.pile)
        if cluster is not None and pile.before is not None:
            before = pile.before
            _retag(
                cluster, name=before.get("name"), tension=before.get("tension") or "", theme=before.get("theme") or ""
            )
    if not loosened:
        raise DomainError(
            "nothing_to_take_back",
            N_("Er is niets terug te draaien: deze obstakels zijn intussen verwijderd."),
            status=409,
        )
    return {"clusters": _taken_off(db, workshop), "loosened": loosened}


def ensure_clusters(db: Tx, *, workshop: Workshop, publish: bool = True) -> None:
    """Give every loose visible obstacle a pile of its own, so everything can be voted on."""
    source = source_step_id(workshop)
    loose = (
        db.execute(
            select(Answer)
            .where(
                col(Answer.workshop_id) == workshop.id,
                col(Answer.step_id) == source,
                col(Answer.cluster_id).is_(None),
                col(Answer.hidden).is_(False),
            )  # noqa: E712
            .order_by(col(Answer.id))
        )
        .scalars()
        .all()
    )
    for answer in loose:
        cluster = Cluster(workshop_id=workshop.id or 0, name=pile_name(answer.text))
        db.add(cluster)
        db.flush()
        answer.cluster_id = cluster.id
    db.flush()
    if publish and loose:
        _publish_clusters(db, workshop)


_VOTE = table_of(Vote)
_MY_VOTES = Prepared(
    select(_VOTE.c.cluster_id).where(
        _VOTE.c.workshop_id == bindparam("workshop"), _VOTE.c.participant_id == bindparam("participant")
    )
)


def my_votes(db: Session, *, workshop_id: int, participant_id: int) -> dict[int, int]:
    """The dots one participant placed, per cluster (in every phone's snapshot: one prepared statement)."""
    rows = _MY_VOTES.all(db, {"workshop": workshop_id, "participant": participant_id})
    return dict(Counter(cluster_id for (cluster_id,) in rows))


def set_votes(db: Tx, *, workshop_id: int, participant_id: int, allocation: dict[int, int]) -> dict[int, int]:
    """Replace a participant's dots with this allocation: absolute, so a resent message changes nothing."""
    workshop = db.get(Workshop, workshop_id)
    assert workshop is not None
    if not _voting_open(workshop):
        # a phone resending the dots stored before the vote closed (its acknowledgement lost) hears them counted
        stored = my_votes(db, workshop_id=workshop_id, participant_id=participant_id)
        if {cluster: n for cluster, n in allocation.items() if n} == stored:
            return stored
        raise DomainError("vote_closed", N_("De stemming is gesloten."), status=409)
    # lock the voter's row: two messages of one phone through two servers cannot both pass the dot limit
    db.execute(select(col(Participant.id)).where(col(Participant.id) == participant_id).with_for_update())
    if any(n < 0 for n in allocation.values()):
        raise DomainError("bad_votes", N_("Een aantal stippen kan niet negatief zijn."), status=422)
    allocation = {cluster: n for cluster, n in allocation.items() if n}
    if sum(allocation.values()) > workshop.dots:
        raise DomainError("too_many_dots", N_("Je hebt maar {dots} stippen."), status=422, dots=workshop.dots)
    if allocation:
        known = set(
            db.execute(
                select(col(Cluster.id)).where(
                    col(Cluster.workshop_id) == workshop_id, col(Cluster.id).in_(list(allocation))
                )
            ).scalars()
        )
        if known != set(allocation):
            raise DomainError("cluster_not_found", N_("Dit cluster bestaat niet."), status=404)
    if my_votes(db, workshop_id=workshop_id, participant_id=participant_id) == allocation:
        return allocation
    db.execute(delete(Vote).where(col(Vote.workshop_id) == workshop_id, col(Vote.participant_id) == participant_id))
    db.add_all(
        Vote(workshop_id=workshop_id, participant_id=participant_id, cluster_id=cluster)
        for cluster, n in allocation.items()
        for _ in range(n)
    )
    db.flush()
    append_event(
        db,
        workshop_id=workshop_id,
        kind=EventKind.VOTES_CHANGED,
        audience=Audience.STAFF,
        data={"votes": {str(k): v for k, v in tally(db, workshop_id=workshop_id).items()}},
    )
    return allocation


def change_settings(
    db: Tx, *, workshop: Workshop, focus_only: bool | None = None, dots: int | None = None
) -> dict[str, Any]:
    """Change settings mid-session; the dots only before anyone voted."""
    if dots is not None and dots != workshop.dots:
        if tally(db, workshop_id=workshop.id or 0):
            raise DomainError("votes_cast", N_("Er is al gestemd: het aantal stippen ligt vast."), status=409)
        workshop.dots = dots
    if focus_only is not None:
        workshop.focus_only = focus_only
    db.flush()
    view = workshops.workshop_view(workshop)
    append_event(
        db,
        workshop_id=workshop.id or 0,
        kind=EventKind.WORKSHOP_CHANGED,
        audience=Audience.ALL,
        data={"dots": workshop.dots, "focus_only": workshop.focus_only},
    )
    return view
