"""The facilitator's clustering and focus controls (JSON, called from the board)."""

from functools import partial
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.auth import CsrfChecked, Runner
from app.clusters import service as clusters
from app.models import Member
from app.runtime import RuntimeDep
from app.workshops import service as workshops

router = APIRouter(prefix="/f/workshops/{workshop_id}", dependencies=[CsrfChecked], tags=["facilitator"])


class GroupIn(BaseModel):
    """Obstacles to put on one pile: an existing cluster, or a new one."""

    answer_ids: list[int] = Field(min_length=1, max_length=500)
    into: int | None = None
    name: str | None = Field(default=None, max_length=200)


class UngroupIn(BaseModel):
    """An obstacle to take off its pile."""

    answer_id: int


class ClusterIn(BaseModel):
    """Changes to one cluster; fields left out stay as they are, empty tags clear them."""

    name: str | None = Field(default=None, max_length=200)
    tension: str | None = Field(default=None, max_length=40)
    theme: str | None = Field(default=None, max_length=40)
    focus: bool | None = None


class SettingsIn(BaseModel):
    """Workshop settings the facilitator can change during the session."""

    focus_only: bool | None = None
    dots: int | None = Field(default=None, ge=1, le=20)


async def _run(runtime: Any, fn: Any, workshop_id: int, member: Member) -> Any:
    return await runtime.db.write(workshops.owned_job(fn, workshop_id=workshop_id, member=member))


@router.post("/clusters/group")
async def group(runtime: RuntimeDep, member: Runner, workshop_id: int, body: GroupIn) -> Any:
    """Merge obstacles (and their piles) into one cluster."""
    fn = partial(clusters.group, answer_ids=body.answer_ids, into=body.into, name=body.name)
    return {"clusters": await _run(runtime, fn, workshop_id, member)}


@router.post("/clusters/ungroup")
async def ungroup(runtime: RuntimeDep, member: Runner, workshop_id: int, body: UngroupIn) -> Any:
    """Split an obstacle off its cluster."""
    fn = partial(clusters.ungroup, answer_id=body.answer_id)
    return {"clusters": await _run(runtime, fn, workshop_id, member)}


@router.post("/clusters/{cluster_id}")
async def edit(runtime: RuntimeDep, member: Runner, workshop_id: int, cluster_id: int, body: ClusterIn) -> Any:
    """Rename, tag or focus a cluster."""
    fn = partial(clusters.edit_cluster, cluster_id=cluster_id, **body.model_dump(exclude_unset=True))
    return {"clusters": await _run(runtime, fn, workshop_id, member)}


@router.post("/settings")
async def settings(runtime: RuntimeDep, member: Runner, workshop_id: int, body: SettingsIn) -> Any:
    """Limit the contribution round to focus clusters, or change the number of dots."""
    fn = partial(clusters.change_settings, **body.model_dump(exclude_unset=True))
    return await _run(runtime, fn, workshop_id, member)
