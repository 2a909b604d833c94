"""Workspaces: their name, members and roles, invitations, and the workspace a signed-in browser works in."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from app import security
from app.accounts import service as accounts
from app.errors import DomainError, UnknownLink, not_manager, workspace_merged
from app.i18n import N_
from app.models import (
    LOCAL_TIMEZONE,
    ROLES,
    CalendarFeed,
    Facilitator,
    Invitation,
    LoginSession,
    Member,
    Membership,
    Workspace,
    as_utc,
    local_day,
    utcnow,
)
from app.organisations import service as organisations
from app.store.database import held_workspace
from app.store.events import Tx

INVITATION_DAYS = 7
MAX_NAME = 120
MAX_NOTE = 120
MAX_EMAIL = 254


@dataclass(frozen=True)
class MemberRow:
    """One member as the workspace page lists them."""

    account_id: int
    name: str
    email: str
    role: str
    since: date
    is_you: bool


@dataclass(frozen=True)
class InvitationRow:
    """An open invitation as the workspace page lists it (its link is shown only once, when it is made)."""

    id: int
    role: str
    note: str
    invited_by: str
    created_on: date
    # the minute it stops working, on the Dutch clock: it works seven days to the minute, not to the day's end
    expires_at: datetime
    # the workspace it was made for, when a merge brought it here: its link makes a member of this one now
    merged_from: str | None = None


@dataclass(frozen=True)
class WorkspaceChoice:
    """A workspace the signed-in account is a member of, to switch to."""

    id: int
    name: str
    role: str
    current: bool


@dataclass(frozen=True)
class WorkspaceView:
    """What the workspace page shows: the name, the members, the open invitations, the account's workspaces."""

    id: int
    name: str
    role: str
    members: list[MemberRow]
    invitations: list[InvitationRow]
    workspaces: list[WorkspaceChoice]
    # months participants' names are kept after a workshop (app/privacy)
    retention_months: int


@dataclass(frozen=True)
class InvitationLanding:
    """What the invitation's page tells whoever opens it; current_role is theirs if they are a member already."""

    workspace_name: str
    role: str
    note: str
    invited_by: str
    # on the Dutch clock: the link ends at this minute, not at the end of its day
    expires_at: datetime
    current_role: str | None
    # the workspace it was made for, when that merged into this one
    merged_from: str | None = None


@dataclass(frozen=True)
class Accepted:
    """The outcome of accepting: the workspace, the role there, and whether the account was a member already."""

    workspace_id: int
    role: str
    already_member: bool


def workspace_view(db: Session, *, member: Member) -> WorkspaceView:
    """The member's workspace with its members, open invitations, and every workspace the member may switch to."""
    workspace = db.get(Workspace, member.workspace_id)
    if workspace is None:
        raise _workspace_not_found()
    members = [
        MemberRow(
            account_id=account.id or 0,
            name=account.name,
            email=account.email,
            role=membership.role,
            since=local_day(membership.created_at),
            is_you=account.id == member.account_id,
        )
        for membership, account in sorted(
            db.execute(
                select(Membership, Facilitator)
                .join(Facilitator, col(Facilitator.id) == col(Membership.account_id))
                .where(col(Membership.workspace_id) == member.workspace_id)
            ).all(),
            key=lambda row: (row[0].role, organisations.name_order(row[1].name), row[1].id or 0),
        )
    ]
    invitations = [
        InvitationRow(
            id=invitation.id or 0,
            role=invitation.role,
            note=invitation.note,
            invited_by=invited_by,
            created_on=local_day(invitation.created_at),
            expires_at=as_utc(invitation.expires_at).astimezone(LOCAL_TIMEZONE),
            merged_from=invitation.merged_from,
        )
        for invitation, invited_by in db.execute(
            select(Invitation, col(Facilitator.name))
            .join(Facilitator, col(Facilitator.id) == col(Invitation.created_by))
            .where(
                col(Invitation.workspace_id) == member.workspace_id,
                col(Invitation.used_at).is_(None),
                col(Invitation.expires_at) > utcnow(),
            )
            .order_by(col(Invitation.created_at).desc(), col(Invitation.id).desc())
        )
    ]
    choices = [
        WorkspaceChoice(id=workspace_id or 0, name=name, role=role, current=workspace_id == member.workspace_id)
        for workspace_id, name, role in sorted(
            db.execute(
                select(col(Workspace.id), col(Workspace.name), col(Membership.role))
                .join(Membership, col(Membership.workspace_id) == col(Workspace.id))
                .where(col(Membership.account_id) == member.account_id)
            ).all(),
            key=lambda row: (organisations.name_order(row[1]), row[0] or 0),
        )
    ]
    return WorkspaceView(
        id=workspace.id or 0,
        name=workspace.name,
        role=member.role,
        members=members,
        invitations=invitations,
        workspaces=choices,
        retention_months=workspace.retention_months,
    )


def workspace_name(raw: str) -> str:
    """A workspace's name as typed, cleaned; refused when empty or longer than 120 characters."""
    name = security.clean_line(raw)
    if not name:
        raise DomainError("workspace_name_missing", N_("Geef de werkruimte een naam."), status=422)
    if len(name) > MAX_NAME:
        raise DomainError(
            "workspace_name_too_long", N_("Een naam is hoogstens {max} tekens lang."), status=422, max=MAX_NAME
        )
    return name


def rename_workspace(db: Tx, *, member: Member, name: str) -> str:
    """Give the member's workspace a new name (a beheerder's change); returns the name as stored."""
    _require_manager(member)
    workspace = _locked_workspace(db, member.workspace_id)
    workspace.name = workspace_name(name)
    db.flush()
    return workspace.name


def create_workspace(db: Tx, *, member: Member, name: str) -> int:
    """A new workspace with the member's account as its beheerder; this browser switches to it."""
    workspace = Workspace(name=workspace_name(name))
    db.add(workspace)
    db.flush()
    workspace_id = workspace.id or 0
    db.add(Membership(workspace_id=workspace_id, account_id=member.account_id, role="beheerder"))
    _switch_session(db, session_id=member.session_id, workspace_id=workspace_id)
    return workspace_id


def switch_workspace(db: Tx, *, member: Member, workspace_id: int) -> None:
    """Let this browser work in another workspace the account is a member of; any other is not found."""
    if accounts.first_workspace(db, account_id=member.account_id, workspace_id=workspace_id) is None:
        raise _workspace_not_found()
    _switch_session(db, session_id=member.session_id, workspace_id=workspace_id)


def change_role(db: Tx, *, member: Member, account_id: int, role: str) -> None:
    """Give a member another role (a beheerder's change); the last beheerder cannot step down."""
    _require_manager(member)
    role = _known_role(role)
    _locked_workspace(db, member.workspace_id)
    membership = _membership(db, workspace_id=member.workspace_id, account_id=account_id)
    if membership.role == "beheerder" and role != "beheerder":
        _keep_a_beheerder(db, workspace_id=member.workspace_id)
    membership.role = role
    db.flush()


def remove_member(db: Tx, *, member: Member, account_id: int) -> None:
    """Take a member out of the workspace (a beheerder's change): their browsers signed in to it and their calendar
    feeds stop at once.

    A beheerder may remove themselves, but not as the last beheerder.
    """
    _require_manager(member)
    _locked_workspace(db, member.workspace_id)
    membership = _membership(db, workspace_id=member.workspace_id, account_id=account_id)
    if membership.role == "beheerder":
        _keep_a_beheerder(db, workspace_id=member.workspace_id)
    db.delete(membership)
    db.execute(
        delete(LoginSession).where(
            col(LoginSession.account_id) == account_id, col(LoginSession.workspace_id) == member.workspace_id
        )
    )
    # their calendar feeds of the workspace and its organisations end for good, also should they be invited back
    # (app/notify/feeds.py refuses them at read time too)
    db.execute(
        update(CalendarFeed)
        .where(
            col(CalendarFeed.workspace_id) == member.workspace_id,
            col(CalendarFeed.created_by) == account_id,
            col(CalendarFeed.scope) != "participant",
            col(CalendarFeed.revoked_at).is_(None),
        )
        .values(revoked_at=utcnow())
    )
    db.flush()


def create_invitation(db: Tx, *, member: Member, role: str, note: str = "") -> str:
    """A single-use invitation into the member's workspace, valid for seven days; returns its token (shown once)."""
    _require_manager(member)
    role = _known_role(role)
    note = security.clean_text(note).replace("\n", " ")
    if len(note) > MAX_NOTE:
        raise DomainError("note_too_long", N_("Een notitie is hoogstens {max} tekens lang."), status=422, max=MAX_NOTE)
    token = security.new_token()
    db.add(
        Invitation(
            workspace_id=member.workspace_id,
            token_hash=security.token_digest(token),
            role=role,
            note=note,
            created_by=member.account_id,
            expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
        )
    )
    db.flush()
    return token


def revoke_invitation(db: Tx, *, member: Member, invitation_id: int) -> None:
    """Withdraw an unused invitation of the member's workspace: its link then leads nowhere."""
    _require_manager(member)
    invitation = db.get(Invitation, invitation_id)
    if invitation is None or invitation.workspace_id != member.workspace_id:
        raise DomainError("invitation_not_found", N_("Deze uitnodiging bestaat niet (meer)."), status=404)
    if invitation.used_at is not None:
        raise DomainError("invitation_used", N_("Deze uitnodiging is al gebruikt."), status=409)
    db.delete(invitation)
    db.flush()


def invitation_landing(db: Session, *, token: str, account_id: int | None) -> InvitationLanding:
    """What an invitation's link offers; refused when it is unknown (404), used or expired (410)."""
    invitation = usable_invitation(db, token)
    workspace = db.get(Workspace, invitation.workspace_id)
    inviter = db.get(Facilitator, invitation.created_by)
    current_role = None
    if account_id is not None:
        current_role = db.execute(
            select(col(Membership.role)).where(
                col(Membership.workspace_id) == invitation.workspace_id, col(Membership.account_id) == account_id
            )
        ).scalar()
    return InvitationLanding(
        workspace_name=workspace.name if workspace else "",
        role=invitation.role,
        note=invitation.note,
        invited_by=inviter.name if inviter else "",
        expires_at=as_utc(invitation.expires_at).astimezone(LOCAL_TIMEZONE),
        current_role=current_role,
        merged_from=invitation.merged_from,
    )


def accept_invitation(db: Tx, *, token: str, member: Member) -> Accepted:
    """The signed-in account joins the invitation's workspace with its role, and this browser switches to it.

    An account that is a member already keeps its role and leaves the invitation unused, for whom it was meant.
    """
    invitation = _invitation_held(db, token)
    current = db.execute(
        select(Membership).where(
            col(Membership.workspace_id) == invitation.workspace_id, col(Membership.account_id) == member.account_id
        )
    ).scalar_one_or_none()
    if current is None:
        _use_invitation(db, invitation, account_id=member.account_id)
        _add_membership(db, workspace_id=invitation.workspace_id, account_id=member.account_id, role=invitation.role)
    _switch_session(db, session_id=member.session_id, workspace_id=invitation.workspace_id)
    return Accepted(
        workspace_id=invitation.workspace_id,
        role=current.role if current else invitation.role,
        already_member=current is not None,
    )


def check_new_account(*, name: str, email: str) -> tuple[str, str]:
    """The name and email of an account about to be made, cleaned; refused with a message per problem."""
    name = security.clean_line(name)
    email = email.strip()
    if not name:
        raise DomainError("name_missing", N_("Vul je naam in."), status=422)
    if len(name) > MAX_NAME:
        raise DomainError("name_too_long", N_("Een naam is hoogstens {max} tekens lang."), status=422, max=MAX_NAME)
    # no space or control character (PostgreSQL refuses a NUL in text): none is part of an address
    if "@" not in email or len(email) > MAX_EMAIL or not email.isprintable() or " " in email:
        raise DomainError("email_invalid", N_("Vul een geldig e-mailadres in."), status=422)
    return name, email


def accept_with_new_account(db: Tx, *, token: str, name: str, email: str, password_hash: str) -> str:
    """A new account (its password checked and hashed outside: accounts.new_password_hash) that joins the
    invitation's workspace in the same write; returns its session token.

    The invitation is used up first, so two browsers racing for it cannot both get an account; should the account
    be refused (an email that is taken), the whole change is undone and the invitation stays open.
    """
    name, email = check_new_account(name=name, email=email)
    invitation = _invitation_held(db, token)
    account = accounts.create_facilitator(
        db,
        email=email,
        name=name,
        password_hash=password_hash,
        workspace_id=invitation.workspace_id,
        role=invitation.role,
    )
    _use_invitation(db, invitation, account_id=account.id or 0)
    return accounts.start_session(db, account_id=account.id or 0, workspace_id=invitation.workspace_id)


def accept_with_sign_in(db: Tx, *, token: str, account_id: int) -> str:
    """An existing account, whose password was just checked, joins the invitation's workspace and is signed in
    there; this also lets in an account that belongs to no workspace any more. Returns the session token."""
    invitation = _invitation_held(db, token)
    current = db.execute(
        select(Membership).where(
            col(Membership.workspace_id) == invitation.workspace_id, col(Membership.account_id) == account_id
        )
    ).scalar_one_or_none()
    if current is None:
        _use_invitation(db, invitation, account_id=account_id)
        _add_membership(db, workspace_id=invitation.workspace_id, account_id=account_id, role=invitation.role)
    return accounts.start_session(db, account_id=account_id, workspace_id=invitation.workspace_id)


def usable_invitation(db: Session, token: str) -> Invitation:
    """The invitation a token opens, if it is still usable: unknown is 404, used or expired is 410."""
    invitation = db.execute(
        select(Invitation).where(col(Invitation.token_hash) == security.token_digest(token))
    ).scalar_one_or_none()
    if invitation is None:
        raise UnknownLink("invitation_unknown", N_("Deze uitnodiging bestaat niet (meer)."))
    if invitation.used_at is not None:
        raise DomainError("invitation_used", N_("Deze uitnodiging is al gebruikt."), status=410)
    if invitation.expires_at <= utcnow():
        raise DomainError("invitation_expired", N_("Deze uitnodiging is verlopen."), status=410)
    return invitation


def _invitation_held(db: Tx, token: str) -> Invitation:
    """The usable invitation a token opens, its workspace held until the change commits (held_workspace): a merge
    taking that workspace away first moves the invitation into the one that is left, which is then the one joined.

    The workspace is held before the invitation is claimed, in the merge's own order (workspace, then invitation),
    so the two wait for each other and never deadlock.
    """
    for _ in range(3):
        invitation = usable_invitation(db, token)
        try:
            held_workspace(db, workspace_id=invitation.workspace_id)
        except DomainError:
            # merged meanwhile: read the invitation again where the merge put it
            db.expire(invitation)
            continue
        return invitation
    raise workspace_merged()


def _use_invitation(db: Tx, invitation: Invitation, *, account_id: int) -> None:
    """Mark the invitation used, only if no one else did first: a check-and-set that one statement makes safe."""
    now = utcnow()
    claimed = db.execute(
        update(Invitation)
        .where(
            col(Invitation.id) == invitation.id,
            col(Invitation.used_at).is_(None),
            col(Invitation.expires_at) > now,
        )
        .values(used_at=now, used_by=account_id)
        .returning(col(Invitation.id))
        .execution_options(synchronize_session=False)
    ).scalar()
    if claimed is None:
        raise DomainError("invitation_used", N_("Deze uitnodiging is al gebruikt."), status=410)


def _add_membership(db: Tx, *, workspace_id: int, account_id: int, role: str) -> None:
    """Make the account a member; one that became a member meanwhile (another worker) is a clear refusal."""
    try:
        with db.begin_nested():
            db.add(Membership(workspace_id=workspace_id, account_id=account_id, role=role))
            db.flush()
    except IntegrityError as exc:  # the same account joined through another worker at this very moment
        raise DomainError("already_member", N_("Je bent al lid van deze werkruimte."), status=409) from exc


def _switch_session(db: Tx, *, session_id: int, workspace_id: int) -> None:
    """Let one browser's session work in another workspace."""
    db.execute(
        update(LoginSession)
        .where(col(LoginSession.id) == session_id)
        .values(workspace_id=workspace_id)
        .execution_options(synchronize_session=False)
    )


def _locked_workspace(db: Tx, workspace_id: int) -> Workspace:
    """The workspace, locked for the rest of the change (on PostgreSQL): two beheerders stepping down at the same
    moment on two workers would otherwise each see the other one still there."""
    workspace = db.get(Workspace, workspace_id, with_for_update=True)
    if workspace is None:
        raise _workspace_not_found()
    return workspace


def _membership(db: Session, *, workspace_id: int, account_id: int) -> Membership:
    """An account's membership of the workspace; anyone else's is not found."""
    membership = db.execute(
        select(Membership).where(col(Membership.workspace_id) == workspace_id, col(Membership.account_id) == account_id)
    ).scalar_one_or_none()
    if membership is None:
        raise DomainError("member_not_found", N_("Deze persoon is geen lid van deze werkruimte."), status=404)
    return membership


def _keep_a_beheerder(db: Session, *, workspace_id: int) -> None:
    """Refuse a change that would leave the workspace without any beheerder."""
    beheerders = db.execute(
        select(func.count())
        .select_from(Membership)
        .where(col(Membership.workspace_id) == workspace_id, col(Membership.role) == "beheerder")
    ).scalar_one()
    if beheerders <= 1:
        raise last_beheerder()


def last_beheerder() -> DomainError:
    """The refusal of a change that would leave a workspace without a beheerder."""
    return DomainError(
        "last_beheerder",
        N_("Een werkruimte heeft altijd een beheerder. Maak eerst iemand anders beheerder."),
        status=409,
    )


def _known_role(role: str) -> str:
    """One of the three roles, or a refusal saying which there are."""
    if role not in ROLES:
        raise DomainError("unknown_role", N_("Kies een rol: beheerder, facilitator of meekijker."), status=422)
    return role


def _require_manager(member: Member) -> None:
    """The service's own check, whatever route calls it: only a beheerder manages the workspace."""
    if not member.can_manage:
        raise not_manager()


def _workspace_not_found() -> DomainError:
    """The refusal for a workspace that does not exist or is not the member's."""
    return DomainError("workspace_not_found", N_("Deze werkruimte bestaat niet."), status=404)
