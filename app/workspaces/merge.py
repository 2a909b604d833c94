"""Merging one workspace into another: its workshops, actions, formats, organisations and members move; it is gone."""

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, delete, func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from app.errors import DomainError, not_manager
from app.i18n import N_
from app.models import (
    Action,
    CalendarFeed,
    Invitation,
    LoginSession,
    MailSuppression,
    MailToken,
    Member,
    Membership,
    Organisation,
    OutboxMessage,
    SavedFormat,
    Workshop,
    Workspace,
)
from app.organisations import service as organisations
from app.store.events import Tx

# a member of both keeps the higher of their two roles
ROLE_RANK = {"meekijker": 0, "facilitator": 1, "beheerder": 2}
FORMAT_KEY_MAX = 40


@dataclass
class WorkspaceMerge:
    """What came over in a merge."""

    workshops: int = 0
    actions: int = 0
    formats: int = 0
    # saved formats whose key the other workspace had already: (old key, new key)
    renamed_formats: list[tuple[str, str]] = field(default_factory=list)
    organisation_count: int = 0
    members: int = 0
    invitations_moved: int = 0
    sessions: int = 0
    # what merging organisations with the same name moved, and the names that could not come along
    organisation_merge: organisations.Merged = field(default_factory=organisations.Merged)


@dataclass(frozen=True, slots=True)
class WorkspaceSize:
    """A workspace and how much is in it: what a beheerder sees before merging it."""

    workspace: Workspace
    workshops: int
    actions: int
    organisations: int
    members: int


def _count(db: Session, model: type[Workshop | Action | Organisation | Membership], workspace_id: int) -> int:
    """How many rows of a table a workspace has (actions: not withdrawn)."""
    query = select(func.count()).select_from(model).where(col(model.workspace_id) == workspace_id)
    if model is Action:
        query = query.where(col(Action.deleted_at).is_(None))
    return db.execute(query).scalar_one()


def workspace_size(db: Session, *, workspace_id: int) -> WorkspaceSize:
    """A workspace with its number of workshops, actions (not withdrawn), organisations and members."""
    workspace = db.get(Workspace, workspace_id)
    if workspace is None:
        raise DomainError("workspace_not_found", N_("Deze werkruimte bestaat niet."), status=404)
    return WorkspaceSize(
        workspace,
        _count(db, Workshop, workspace_id),
        _count(db, Action, workspace_id),
        _count(db, Organisation, workspace_id),
        _count(db, Membership, workspace_id),
    )


def mergeable_workspaces(db: Session, *, member: Member) -> list[WorkspaceSize]:
    """The other workspaces this member is a beheerder of: the ones they may merge into their current one."""
    ids = db.execute(
        select(col(Membership.workspace_id))
        .where(
            col(Membership.account_id) == member.account_id,
            col(Membership.role) == "beheerder",
            col(Membership.workspace_id) != member.workspace_id,
        )
        .order_by(col(Membership.workspace_id))
    ).scalars()
    return [workspace_size(db, workspace_id=workspace_id) for workspace_id in ids]


def _role_in(db: Session, *, account_id: int, workspace_id: int) -> str | None:
    """The account's role in the workspace, read in this transaction; None for no member."""
    query = select(col(Membership.role)).where(
        col(Membership.account_id) == account_id, col(Membership.workspace_id) == workspace_id
    )
    return db.execute(query).scalar_one_or_none()


def merge_workspaces(db: Tx, *, member: Member, source_id: int) -> WorkspaceMerge:
    """Merge workspace source_id into the member's current one; the member must be a beheerder of both.

    Workshops, actions and saved formats move (a format key the target has already gets "-2", "-3"...);
    organisations move, and one the target knows by name merges with it as on the organisations page; invitations
    of source move and keep source's name, so their links lead to the target and say why; its mail (outbox, links,
    unsubscribes) and calendar feeds move; its members move, and a member of both keeps the higher role; browsers
    signed in to source are signed in to the target; source's jargon list, word filter and keywords are used only
    where the target has none of its own. Source is deleted.
    """
    target_id = member.workspace_id
    if source_id == target_id:
        raise DomainError("merge_same_workspace", N_("Een werkruimte kan niet met zichzelf samengaan."), status=422)
    source, target = _locked(db, source_id=source_id, target_id=target_id)
    if _role_in(db, account_id=member.account_id, workspace_id=target_id) != "beheerder":
        raise not_manager()
    source_role = _role_in(db, account_id=member.account_id, workspace_id=source_id)
    if source is None or target is None or source_role is None:
        raise DomainError("workspace_not_found", N_("Deze werkruimte bestaat niet."), status=404)
    if source_role != "beheerder":
        raise DomainError(
            "not_manager_of_source",
            N_("Je kunt alleen een werkruimte samenvoegen waarvan je zelf beheerder bent."),
            status=403,
        )
    outcome = WorkspaceMerge()
    outcome.organisation_count = _count(db, Organisation, source_id)
    outcome.organisation_merge = organisations.move_organisations(
        db, from_workspace_id=source_id, to_workspace_id=target_id, account_id=member.account_id
    )
    outcome.workshops = _move(db, Workshop, source_id, target_id)
    outcome.actions = _move(db, Action, source_id, target_id)
    _move_formats(db, source_id=source_id, target_id=target_id, outcome=outcome)
    outcome.invitations_moved = _move_invitations(db, source=source, target_id=target_id)
    _move_members(db, source_id=source_id, target_id=target_id, outcome=outcome)
    outcome.sessions = _move(db, LoginSession, source_id, target_id)
    _move_mail(db, source_id=source_id, target_id=target_id)
    if target.jargon is None:
        target.jargon = source.jargon
    if target.blocked_words is None:
        target.blocked_words = source.blocked_words
    if target.tag_keywords is None:
        target.tag_keywords = source.tag_keywords
    db.delete(source)
    db.flush()
    return outcome


def _locked(db: Tx, *, source_id: int, target_id: int) -> tuple[Workspace | None, Workspace | None]:
    """Both workspaces (None for one that does not exist), locked until the merge commits (PostgreSQL; SQLite has
    one writer anyway), the lower id first: A into B and B into A at once wait for each other, never deadlock.

    A merge that waited on the lock for a workspace another merge then took away is refused, having moved nothing.
    """
    there = {workspace_id: db.get(Workspace, workspace_id) is not None for workspace_id in (source_id, target_id)}
    locked = {
        workspace_id: db.get(Workspace, workspace_id, with_for_update=True, populate_existing=True)
        for workspace_id in sorted(there)
    }
    if any(there[workspace_id] and workspace is None for workspace_id, workspace in locked.items()):
        raise DomainError(
            "merged_meanwhile",
            N_("Deze werkruimte is intussen al samengevoegd. Er is niets verplaatst: open Samenvoegen opnieuw."),
            status=409,
        )
    return locked[source_id], locked[target_id]


def _changed_rows(db: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE; returns how many rows it changed."""
    return cast(CursorResult[Any], db.execute(statement)).rowcount


def _move_invitations(db: Tx, *, source: Workspace, target_id: int) -> int:
    """Point source's invitations to the target, noting the name of the workspace each was made for (the first,
    where an invitation moves a second time); returns how many."""
    statement = (
        update(Invitation)
        .where(col(Invitation.workspace_id) == source.id)
        .values(workspace_id=target_id, merged_from=func.coalesce(col(Invitation.merged_from), source.name))
        .execution_options(synchronize_session=False)
    )
    return _changed_rows(db, statement)


def _move_mail(db: Tx, *, source_id: int, target_id: int) -> None:
    """Mail waiting or sent, its links and calendar feeds move; an unsubscribe the target has already stays one."""
    for model in (OutboxMessage, MailToken, CalendarFeed):
        _move(db, model, source_id, target_id)
    known = select(col(MailSuppression.address)).where(col(MailSuppression.workspace_id) == target_id)
    db.execute(
        delete(MailSuppression).where(
            col(MailSuppression.workspace_id) == source_id, col(MailSuppression.address).in_(known)
        )
    )
    _move(db, MailSuppression, source_id, target_id)


def _move(
    db: Tx,
    model: type[Workshop | Action | LoginSession | OutboxMessage | MailToken | CalendarFeed | MailSuppression],
    source_id: int,
    target_id: int,
) -> int:
    """Point every row of a table from one workspace to the other; returns how many."""
    statement = update(model).where(col(model.workspace_id) == source_id).values(workspace_id=target_id)
    return _changed_rows(db, statement)


def _move_formats(db: Tx, *, source_id: int, target_id: int, outcome: WorkspaceMerge) -> None:
    """Move the saved formats; one whose key the target has already gets the first free "-2", "-3"... suffix.

    A suffix that the source itself uses is not free either: source's own "avond-2" keeps its key.
    """
    target_keys = set(
        db.execute(select(col(SavedFormat.key)).where(col(SavedFormat.workspace_id) == target_id)).scalars()
    )
    moving = list(
        db.execute(
            select(SavedFormat).where(col(SavedFormat.workspace_id) == source_id).order_by(col(SavedFormat.key))
        ).scalars()
    )
    taken = target_keys | {row.key for row in moving}
    for row in moving:
        if row.key in target_keys:
            number = 2
            while (key := _suffixed(row.key, number)) in taken:
                number += 1
            outcome.renamed_formats.append((row.key, key))
            taken.add(key)
            row.key, row.spec = key, {**row.spec, "key": key}
        row.workspace_id = target_id
        outcome.formats += 1
    db.flush()


def _suffixed(key: str, number: int) -> str:
    """A format key with "-<number>" behind it, shortened where it would pass the longest key allowed."""
    suffix = f"-{number}"
    return key[: FORMAT_KEY_MAX - len(suffix)] + suffix


def _move_members(db: Tx, *, source_id: int, target_id: int, outcome: WorkspaceMerge) -> None:
    """Move source's members; a member of both keeps the higher of the two roles."""
    roles = dict(
        db.execute(
            select(col(Membership.account_id), col(Membership.role)).where(col(Membership.workspace_id) == target_id)
        ).all()
    )
    for membership in db.execute(select(Membership).where(col(Membership.workspace_id) == source_id)).scalars():
        kept = roles.get(membership.account_id)
        if kept is None:
            membership.workspace_id = target_id
            outcome.members += 1
            continue
        if ROLE_RANK[membership.role] > ROLE_RANK[kept]:
            db.execute(
                update(Membership)
                .where(col(Membership.workspace_id) == target_id, col(Membership.account_id) == membership.account_id)
                .values(role=membership.role)
            )
        db.delete(membership)
    db.flush()
