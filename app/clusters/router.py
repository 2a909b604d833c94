"""The facilitator's clustering and focus controls (JSON, called from the board), suggested piles, and the page
of the keywords that suggest their tags."""

import threading
from functools import partial
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from app.auth import CsrfChecked, Runner, Viewer
from app.clusters import keywords as tag_keywords
from app.clusters import model as sentence_model
from app.clusters import service as clusters
from app.models import MAX_ROW_ID, TENSIONS, THEMES, BodyRowId, Member, RowId, Workspace
from app.runtime import Runtime, RuntimeDep
from app.web import render, save_word_list
from app.workshops import service as workshops

router = APIRouter(prefix="/f/workshops/{workshop_id}", dependencies=[CsrfChecked], tags=["facilitator"])
pages = APIRouter(tags=["facilitator"])
# one suggestion run at a time per process: a second board waits its turn rather than halve the room's CPU
_suggesting = threading.Lock()
# room for the longest list that passes the checks, so a too-long list gets its own message rather than a 422
MAX_FORM_TEXT = len(tag_keywords.TAGS) * (tag_keywords.MAX_KEYWORDS + 1) * (tag_keywords.MAX_KEYWORD_LENGTH + 2) * 2


class GroupIn(BaseModel):
    """Obstacles to put on one pile: an existing cluster, or a new one."""

    answer_ids: list[BodyRowId] = Field(min_length=1, max_length=500)
    into: BodyRowId | None = None
    name: str | None = Field(default=None, max_length=clusters.MAX_NAME_TYPED)


class UngroupIn(BaseModel):
    """An obstacle to take off its pile."""

    answer_id: BodyRowId


class ClusterIn(BaseModel):
    """Changes to one cluster; fields left out stay as they are, empty tags clear them."""

    name: str | None = Field(default=None, max_length=clusters.MAX_NAME_TYPED)
    tension: str | None = Field(default=None, max_length=40)
    theme: str | None = Field(default=None, max_length=40)
    focus: bool | None = None


class PileTagsIn(BaseModel):
    """A pile's name and tags."""

    name: str | None = Field(default=None, max_length=clusters.MAX_NAME_TYPED)
    tension: str | None = Field(default=None, max_length=40)
    theme: str | None = Field(default=None, max_length=40)


class AcceptedPileIn(PileTagsIn):
    """One accepted suggestion as the board left it: trimmed, renamed, tags kept or changed."""

    key: str = Field(max_length=80)
    answer_ids: list[BodyRowId] = Field(min_length=1, max_length=clusters.MAX_SUGGESTED)
    into: BodyRowId | None = None


class AcceptIn(BaseModel):
    """The suggestions accepted at once: one, or all that are left."""

    piles: list[AcceptedPileIn] = Field(min_length=1, max_length=2000)


class LaidPileIn(BaseModel):
    """What accepting one suggestion did, as the accept answered it (in "undo")."""

    pile: BodyRowId
    answer_ids: list[BodyRowId] = Field(min_length=1, max_length=clusters.MAX_SUGGESTED)
    before: PileTagsIn | None = None


class TakeBackIn(BaseModel):
    """The last accept to undo, as it answered: what it laid down, and the number of the event that said so."""

    piles: list[LaidPileIn] = Field(min_length=1, max_length=2000)
    seq: int = Field(ge=0, le=MAX_ROW_ID)


class SettingsIn(BaseModel):
    """Workshop settings the facilitator can change during the session."""

    focus_only: bool | None = None
    dots: int | None = Field(default=None, ge=1, le=20)


async def _run(runtime: Any, fn: Any, workshop_id: RowId, member: Member) -> Any:
    return await runtime.db.write(workshops.owned_job(fn, workshop_id=workshop_id, member=member))


@router.post("/clusters/group")
async def group(runtime: RuntimeDep, member: Runner, workshop_id: RowId, body: GroupIn) -> Any:
    """Merge obstacles (and their piles) into one cluster."""
    fn = partial(clusters.group, answer_ids=body.answer_ids, into=body.into, name=body.name)
    return {"clusters": await _run(runtime, fn, workshop_id, member)}


@router.post("/clusters/ungroup")
async def ungroup(runtime: RuntimeDep, member: Runner, workshop_id: RowId, body: UngroupIn) -> Any:
    """Split an obstacle off its cluster."""
    fn = partial(clusters.ungroup, answer_id=body.answer_id)
    return {"clusters": await _run(runtime, fn, workshop_id, member)}


@router.post("/clusters/{cluster_id}/dissolve")
async def dissolve(runtime: RuntimeDep, member: Runner, workshop_id: RowId, cluster_id: RowId) -> Any:
    """Take every obstacle off a pile; the pile goes."""
    fn = partial(clusters.dissolve, cluster_id=cluster_id)
    return {"clusters": await _run(runtime, fn, workshop_id, member)}


@router.post("/clusters/{cluster_id}")
async def edit(runtime: RuntimeDep, member: Runner, workshop_id: RowId, cluster_id: RowId, body: ClusterIn) -> Any:
    """Rename, tag or focus a cluster."""
    fn = partial(clusters.edit_cluster, cluster_id=cluster_id, **body.model_dump(exclude_unset=True))
    return {"clusters": await _run(runtime, fn, workshop_id, member)}


def _suggest(obstacles: Any, keywords: Any, setting: str | None) -> dict[str, Any]:
    model = sentence_model.loaded(setting) if setting else None
    if model is not None:
        # what the model has not read ahead is read before this ask takes its turn: other boards' asks go on
        clusters.read_now(obstacles, model)
    with _suggesting:
        return clusters.suggest_piles(obstacles, keywords, model=model)


async def _suggestion_input(runtime: Runtime, member: Member, workshop_id: int) -> Any:
    """The obstacles and keyword list suggestions are made from, for a member who may change the workshop."""

    def load(db: Session) -> Any:
        return clusters.suggestion_input(
            db, workshop=workshops.changed_workshop(db, workshop_id=workshop_id, member=member)
        )

    return await runtime.db.read(load)


@router.post("/suggestions")
async def suggestions(runtime: RuntimeDep, member: Runner, workshop_id: RowId) -> Any:
    """Propose piles for the loose obstacles; changes nothing (a POST, so no other site can set a board to work)."""
    await runtime.check_suggestion_rate(member.account_id)
    obstacles, keywords = await _suggestion_input(runtime, member, workshop_id)
    # the matching is CPU work: off the event loop, so the room's frames keep flowing meanwhile
    return await anyio.to_thread.run_sync(_suggest, obstacles, keywords, runtime.settings.sentence_model)


@router.post("/suggestions/ahead")
async def read_ahead(runtime: RuntimeDep, member: Runner, workshop_id: RowId) -> Any:
    """Have the sentence model, if there is one, read the room's obstacles before the facilitator asks; changes
    nothing. Says how many are still to be read."""
    # the workshop is checked first, model or not: a route answers only those who may run it
    obstacles, _ = await _suggestion_input(runtime, member, workshop_id)
    if not runtime.settings.sentence_model:
        return {"reading": 0}
    return {"reading": clusters.read_ahead(obstacles, sentence_model.loaded(runtime.settings.sentence_model))}


@router.post("/suggestions/accept")
async def accept(runtime: RuntimeDep, member: Runner, workshop_id: RowId, body: AcceptIn) -> Any:
    """Lay accepted suggestions down as piles; says which obstacles were skipped because they changed meanwhile."""
    piles = [clusters.AcceptedPile(**pile.model_dump()) for pile in body.piles]
    return await _run(runtime, partial(clusters.accept_piles, piles=piles), workshop_id, member)


@router.post("/suggestions/undo")
async def take_back(runtime: RuntimeDep, member: Runner, workshop_id: RowId, body: TakeBackIn) -> Any:
    """Undo the last accept of suggestions while the piles are as it left them: its obstacles loose again."""
    laid = [
        clusters.LaidPile(
            pile=pile.pile, answer_ids=pile.answer_ids, before=pile.before.model_dump() if pile.before else None
        )
        for pile in body.piles
    ]
    return await _run(runtime, partial(clusters.take_back, laid=laid, seq=body.seq), workshop_id, member)


@router.post("/settings")
async def settings(runtime: RuntimeDep, member: Runner, workshop_id: RowId, body: SettingsIn) -> Any:
    """Limit the contribution round to focus clusters, or change the number of dots."""
    fn = partial(clusters.change_settings, **body.model_dump(exclude_unset=True))
    return await _run(runtime, fn, workshop_id, member)


# ---- the keywords that suggest tags


async def _keywords_page(
    request: Request, runtime: Runtime, member: Member, *, status: int = 200, **extra: Any
) -> Response:
    def load(db: Session) -> tuple[Workspace | None, tag_keywords.KeywordList]:
        return db.get(Workspace, member.workspace_id), tag_keywords.keywords_for(db, workspace_id=member.workspace_id)

    workspace, words = await runtime.db.read(load)
    context = {
        "own": workspace is not None and workspace.tag_keywords is not None,
        "text": tag_keywords.format_lines(words),
        "count": sum(map(len, words.values())),
        "can_edit": member.can_run,
        "max_words": tag_keywords.MAX_KEYWORDS,
        "tensions": TENSIONS,
        "themes": THEMES,
        **extra,
    }
    return render(request, "facilitator/tag_keywords.html", context, status=status)


@pages.get("/f/trefwoorden")
async def keywords_page(request: Request, runtime: RuntimeDep, member: Viewer) -> Response:
    """The workspace's keywords for suggested spanningsclusters and themes, and the form to change them."""
    return await _keywords_page(request, runtime, member, saved=request.query_params.get("saved"))


@pages.post("/f/trefwoorden", dependencies=[CsrfChecked])
async def save_keywords(
    request: Request,
    runtime: RuntimeDep,
    member: Runner,
    words: Annotated[str, Form(max_length=MAX_FORM_TEXT)] = "",
    action: Annotated[str, Form(max_length=10)] = "save",
) -> Response:
    """Keep the typed list, or go back to the shipped one."""
    return await save_word_list(
        runtime.db,
        typed=words,
        action=action,
        parse=tag_keywords.parse_lines,
        save=partial(tag_keywords.save_keywords, workspace_id=member.workspace_id),
        show=partial(_keywords_page, request, runtime, member),
        path="/f/trefwoorden",
    )
