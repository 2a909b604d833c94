"""Who is signed in (server-side sessions, checked against the membership on every request), roles, and CSRF."""

import hmac
from datetime import timedelta
from functools import partial
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col
from starlette.requests import HTTPConnection

from app import security
from app.errors import DomainError, read_only
from app.i18n import N_, gettext
from app.models import LoginSession, Member, Membership, utcnow
from app.runtime import get_runtime, origin_allowed

SESSION_COOKIE = "dbk_session"
CSRF_COOKIE = "dbk_csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_MAX_AGE = 7 * 24 * 3600


def cookie_secure(connection: HTTPConnection) -> bool:
    """Whether cookies get the Secure flag: as configured, else when the site is served over https."""
    configured = get_runtime(connection).settings.cookie_secure
    return configured if configured is not None else connection.url.scheme in ("https", "wss")


def set_private_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int) -> None:
    """Set a cookie scripts cannot read, sent on same-site navigation only, Secure where the site is."""
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=cookie_secure(request), path="/"
    )


def sign_in(response: Response, request: Request, token: str) -> None:
    """Give the browser its session's token in an HttpOnly cookie."""
    set_private_cookie(response, request, SESSION_COOKIE, token, max_age=SESSION_MAX_AGE)


def sign_out(response: Response) -> None:
    """Remove the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/")


def session_token(connection: HTTPConnection) -> str | None:
    """The session token this browser sends, if any."""
    return connection.cookies.get(SESSION_COOKIE) or None


def member_for_token(db: Session, token: str) -> Member | None:
    """The member a session token signs in, or None: unknown, expired, or no longer a member of its workspace."""
    row = db.execute(
        select(col(LoginSession.id), col(LoginSession.account_id), col(LoginSession.workspace_id), col(Membership.role))
        .join(
            Membership,
            (col(Membership.account_id) == col(LoginSession.account_id))
            & (col(Membership.workspace_id) == col(LoginSession.workspace_id)),
        )
        .where(
            col(LoginSession.token_hash) == security.token_digest(token),
            col(LoginSession.created_at) > utcnow() - timedelta(seconds=SESSION_MAX_AGE),
        )
    ).first()
    if row is None:
        return None
    session_id, account_id, workspace_id, role = row
    return Member(account_id=account_id, workspace_id=workspace_id, role=role, session_id=session_id or 0)


async def signed_in_member(connection: HTTPConnection) -> Member | None:
    """The member this browser is signed in as, read from the database on every request, or None."""
    token = session_token(connection)
    if token is None:
        return None
    return await get_runtime(connection).db.read(partial(member_for_token, token=token))


class LoginRequired(Exception):
    """Raised for a page that needs a signed-in member; answered with a redirect to sign in."""


async def require_member(request: Request) -> Member:
    """The signed-in member, whatever their role; otherwise the browser is sent to the sign-in page."""
    member = await signed_in_member(request)
    if member is None:
        raise LoginRequired()
    return member


async def require_runner(request: Request) -> Member:
    """A signed-in beheerder or facilitator: who may run workshops and change actions."""
    member = await require_member(request)
    if not member.can_run:
        raise read_only()
    return member


async def require_manager(request: Request) -> Member:
    """A signed-in beheerder: who manages members, organisations and settings."""
    member = await require_member(request)
    if not member.can_manage:
        raise DomainError("not_manager", N_("Alleen een beheerder van deze werkruimte kan dit."), status=403)
    return member


# every route of the programme office names one of these: reading, changing, or managing
Viewer = Annotated[Member, Depends(require_member)]
Runner = Annotated[Member, Depends(require_runner)]
Manager = Annotated[Member, Depends(require_manager)]


async def verify_csrf(request: Request) -> None:
    """Refuse a state-changing request that lacks this browser's CSRF token or comes from another site."""
    expected = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    if (
        not origin_allowed(request, get_runtime(request).settings)
        or not expected
        or not sent
        or not hmac.compare_digest(expected, sent)
    ):
        message = N_("Dit formulier is verlopen. Laad de pagina opnieuw en probeer het nog eens.")
        raise HTTPException(403, gettext(message))


CsrfChecked = Depends(verify_csrf)
