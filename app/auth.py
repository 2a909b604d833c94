"""Who is signed in (server-side sessions, checked against the membership on every request), roles, and CSRF."""

import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from math import ceil
from typing import Annotated

import anyio
from fastapi import Depends, HTTPException, Request, Response, params
from fastapi.routing import APIRoute
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import not_, select, update
from sqlalchemy.orm import Session
from sqlmodel import col
from starlette.requests import HTTPConnection

from app import security
from app.errors import not_manager, read_only
from app.i18n import N_, gettext
from app.models import SESSION_LONGEST, Facilitator, LoginSession, Member, Membership, session_ended, utcnow
from app.runtime import client_address, get_runtime, origin_allowed

SESSION_COOKIE = "dbk_session"
CSRF_COOKIE = "dbk_csrf"
CSRF_HEADER = "x-csrf-token"
# the cookie lasts as long as the longest sign-in; the database ends it sooner when it goes unused (models.SESSION_IDLE)
SESSION_MAX_AGE = int(SESSION_LONGEST.total_seconds())
# a browser an account signed in on keeps its own allowance of wrong passwords for a year (README: "Signing in")
KNOWN_BROWSER_COOKIE = "dbk_browser"
KNOWN_BROWSER_MAX_AGE = 365 * 24 * 3600
# how stale a session's last use may get before a request records it again (one write per member per interval)
SESSION_TOUCH_EVERY = timedelta(minutes=5)


def cookie_secure(connection: HTTPConnection) -> bool:
    """Whether cookies get the Secure flag: as configured, else when the site is served over https or its public
    address is https."""
    settings = get_runtime(connection).settings
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    # behind a TLS proxy that DOORBRAAK_TRUSTED_PROXIES does not name the request reads as http, yet the browser
    # is on the https address phones are sent to
    public_https = (settings.public_url or "").lower().startswith("https://")
    return public_https or connection.scope.get("scheme") in ("https", "wss")


def site_is_https(connection: HTTPConnection) -> bool:
    """Whether the browser is on https, for Strict-Transport-Security: the request is, or the cookies' rule says so."""
    # a request that is https keeps its header even where DOORBRAAK_COOKIE_SECURE forces Secure off: a browser
    # applies HSTS only to the name it reached over https, never to a plain-http address of the same server
    return connection.scope.get("scheme") in ("https", "wss") or cookie_secure(connection)


def set_private_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int) -> None:
    """Set a cookie scripts cannot read, sent on same-site navigation only, Secure where the site is."""
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=cookie_secure(request), path="/"
    )


def sign_in(response: Response, request: Request, token: str) -> None:
    """Give the browser its session's token in an HttpOnly cookie, and a fresh CSRF token with it."""
    set_private_cookie(response, request, SESSION_COOKIE, token, max_age=SESSION_MAX_AGE)
    # a token someone planted before the sign-in (on a shared computer, say) is worth nothing after it
    response.set_cookie(
        CSRF_COOKIE, secrets.token_urlsafe(32), httponly=True, samesite="lax", secure=cookie_secure(request), path="/"
    )


def sign_out(response: Response) -> None:
    """Remove the session cookie, and what a cache or the back button might still show."""
    response.delete_cookie(SESSION_COOKIE, path="/")
    # For the next person at a shared laptop: the session has ended and its cookie goes; the office's pages are kept
    # by no cache (app/web.py: no-store), and "cache" takes what a cache or the back button might still show; what
    # the board kept in the tab (its suggested piles, in sessionStorage) the page clears as the sign-out form is sent
    # (static/js/sign_out.js) and the sign-in page again. Not "storage": that also emptied the site's localStorage,
    # where a phone in the same browser (a facilitator trying a session, a shared tablet) keeps the answers, hands
    # and typed text it has not yet sent; the board keeps nothing there. Nor "cookies": they hold such a phone's
    # place in its workshop.
    response.headers["clear-site-data"] = '"cache"'


def session_token(connection: HTTPConnection) -> str | None:
    """The session token this browser sends, if any."""
    return connection.cookies.get(SESSION_COOKIE) or None


def member_for_token(db: Session, token: str) -> tuple[Member, datetime] | None:
    """The member a session token signs in and when it was last used; None when unknown, expired, idle too long, or
    no longer a member of its workspace."""
    now = utcnow()
    row = db.execute(
        select(
            col(LoginSession.id),
            col(LoginSession.account_id),
            col(LoginSession.workspace_id),
            col(Membership.role),
            col(LoginSession.last_seen_at),
        )
        .join(
            Membership,
            (col(Membership.account_id) == col(LoginSession.account_id))
            & (col(Membership.workspace_id) == col(LoginSession.workspace_id)),
        )
        .where(
            col(LoginSession.token_hash) == security.token_digest(token),
            not_(session_ended(now)),
        )
    ).first()
    if row is None:
        return None
    session_id, account_id, workspace_id, role, last_seen_at = row
    return Member(account_id=account_id, workspace_id=workspace_id, role=role, session_id=session_id or 0), last_seen_at


def _touch(db: Session, *, session_id: int) -> None:
    db.execute(update(LoginSession).where(col(LoginSession.id) == session_id).values(last_seen_at=utcnow()))


async def signed_in_member(connection: HTTPConnection) -> Member | None:
    """The member this browser is signed in as, read from the database on every request, or None."""
    token = session_token(connection)
    if token is None:
        return None
    runtime = get_runtime(connection)
    found = await runtime.db.read(partial(member_for_token, token=token))
    if found is None:
        return None
    member, last_seen_at = found
    if last_seen_at < utcnow() - SESSION_TOUCH_EVERY:
        await runtime.db.write(partial(_touch, session_id=member.session_id))
    return member


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
        raise not_manager()
    return member


# every route of the programme office names one of these: reading, changing, or managing
Viewer = Annotated[Member, Depends(require_member)]
Runner = Annotated[Member, Depends(require_runner)]
Manager = Annotated[Member, Depends(require_manager)]


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def sent_a_form(request: Request) -> bool:
    """Whether the request's body is a form (or there is no body at all, which reads as an empty form)."""
    content_type = request.headers.get("content-type", "").strip().lower()
    if content_type:
        return content_type.startswith(FORM_TYPES)
    return request.headers.get("content-length", "0").strip() == "0" and "transfer-encoding" not in request.headers


def _reads_a_form(request: Request) -> bool:
    """Whether the route that answers the request takes its fields from a form (FastAPI's Form parameters)."""
    route = request.scope.get("route")
    return (
        isinstance(route, APIRoute)
        and route.body_field is not None
        and isinstance(route.body_field.field_info, params.Form)
    )


async def verify_csrf(request: Request) -> None:
    """Refuse a state-changing request that lacks this browser's CSRF token or comes from another site; and one to a
    form route whose body is no form (JSON, say), which would otherwise be read as an empty form and save blanks."""
    expected = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").lower().startswith(FORM_TYPES):
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
    if _reads_a_form(request) and not sent_a_form(request):
        raise not_a_form()


def not_a_form() -> HTTPException:
    """The refusal for a body that is no form where only a form is read (Starlette would read it as an empty one)."""
    message = N_(
        "Hier kan alleen een formulier heen (application/x-www-form-urlencoded of multipart/form-data). "
        "Er is niets opgeslagen."
    )
    return HTTPException(415, gettext(message))


CsrfChecked = Depends(verify_csrf)


@dataclass(frozen=True, slots=True)
class SignInAttempt:
    """Who a sign-in counts against: the account's shared allowance and the address's, or this browser's own."""

    account: str
    address: str
    # set when this browser signed in to this account before: its wrong passwords count only against itself
    browser: str | None

    @classmethod
    def of(cls, request: Request, email: str) -> "SignInAttempt":
        """The attempt a sign-in form makes for this email address, from this browser."""
        account = security.token_digest(email.strip().casefold())
        browser = None
        try:
            remembered = _browser_cookies(request).loads(request.cookies.get(KNOWN_BROWSER_COOKIE, ""))
        except BadSignature:
            remembered = None
        if isinstance(remembered, dict) and remembered.get("account") == account:
            browser = str(remembered.get("browser"))
        return cls(account=account, address=client_address(request), browser=browser)


def _browser_cookies(connection: HTTPConnection) -> URLSafeSerializer:
    return URLSafeSerializer(get_runtime(connection).secret_key, salt="known-browser")


@dataclass(frozen=True, slots=True)
class Refusal:
    """A password not let through: the status and message to answer with, and the seconds to wait before trying
    again where that is known (a Retry-After header)."""

    status: int
    message: str
    retry_after: int | None = None

    def told(self, response: Response) -> Response:
        """The page that answers this refusal, with its Retry-After header where it has one."""
        if self.retry_after is not None:
            response.headers["retry-after"] = str(self.retry_after)
        return response


async def sign_in_counted(request: Request, attempt: SignInAttempt) -> Refusal | None:
    """Count this attempt as a wrong password before its password is checked: the 429 when that is one too many
    (too many wrong passwords before it), or None to go ahead (then sign_in_uncounted once it proves right)."""
    runtime = get_runtime(request)
    throttle, limits = runtime.throttle, runtime.limits
    if attempt.browser is not None:
        wait = await throttle.hit(limits.sign_ins_per_browser, "browser", attempt.browser)
    else:
        wait = await throttle.hit(limits.sign_ins_per_account, "account", attempt.account)
        if not wait:
            wait = await throttle.hit(limits.sign_ins_per_address, "sign-in", attempt.address)
            if wait:  # the account's count is given back: this attempt's password is not checked
                await throttle.give_back(limits.sign_ins_per_account, "account", attempt.account)
    if not wait:
        return None
    if wait <= 90:
        message = gettext(N_("Te veel pogingen. Wacht {seconds} seconden en probeer het opnieuw.")).format(
            seconds=ceil(wait)
        )
    else:
        message = gettext(N_("Te veel pogingen. Wacht {minutes} minuten en probeer het opnieuw.")).format(
            minutes=ceil(wait / 60)
        )
    return Refusal(429, message, retry_after=ceil(wait))


async def sign_in_uncounted(request: Request, attempt: SignInAttempt) -> None:
    """Give back what sign_in_counted counted, for a password that proved right: right passwords are not limited."""
    runtime = get_runtime(request)
    throttle, limits = runtime.throttle, runtime.limits
    if attempt.browser is not None:
        await throttle.give_back(limits.sign_ins_per_browser, "browser", attempt.browser)
    else:
        await throttle.give_back(limits.sign_ins_per_account, "account", attempt.account)
        await throttle.give_back(limits.sign_ins_per_address, "sign-in", attempt.address)


async def password_refusal(
    request: Request, attempt: SignInAttempt, password_hash: str | None, password: str
) -> Refusal | None:
    """Check a password in its turn (security.password_turn): None when it is right; else 429 and how long to wait
    after too many wrong ones, 503 when too many wait for a turn already, or 401 and "" for a wrong one (counted) or
    for a browser that left while it waited (not checked, not counted)."""
    turn = security.password_turn()
    if turn.statistics().tasks_waiting >= security.PASSWORD_QUEUE:
        # right passwords are not limited: anyone with an account could otherwise keep everyone else waiting
        message = N_("Er melden zich nu veel mensen tegelijk aan. Probeer het over een paar seconden opnieuw.")
        return Refusal(503, gettext(message), retry_after=security.PASSWORD_RETRY_AFTER)
    async with turn:
        if await request.is_disconnected():
            return Refusal(401, "")  # the browser gave up while it waited: its password is not worth a check
        # counted before the check, in one step (in Redis where the workers share the count): guesses in parallel,
        # on one worker or several, each take one of the allowance, and no more of them reach argon2 than it holds
        if (waiting := await sign_in_counted(request, attempt)) is not None:
            return waiting
        if await anyio.to_thread.run_sync(security.password_matches, password_hash, password):
            await sign_in_uncounted(request, attempt)
            return None
        return Refusal(401, "")


async def account_signing_in(
    request: Request, attempt: SignInAttempt, account: Facilitator | None, password: str
) -> Facilitator | Refusal:
    """The account a sign-in form names (None for an unknown address) when its password is right; else the refusal
    to answer with, a wrong password and an unknown address in the same words."""
    refused = await password_refusal(request, attempt, account.password_hash if account else None, password)
    # without an account no password matches: the second test is for the type checker
    if refused is None and account is not None:
        return account
    refused = refused or Refusal(401, "")
    return (
        refused if refused.message else replace(refused, message=gettext(N_("E-mailadres of wachtwoord klopt niet.")))
    )


async def sign_in_succeeded(response: Response, request: Request, attempt: SignInAttempt) -> None:
    """Remember this browser for this account (a signed cookie), and forget its own wrong passwords."""
    runtime = get_runtime(request)
    if attempt.browser is not None:
        await runtime.throttle.clear(runtime.limits.sign_ins_per_browser, "browser", attempt.browser)
    value = {"account": attempt.account, "browser": attempt.browser or security.new_token()}
    set_private_cookie(
        response, request, KNOWN_BROWSER_COOKIE, _browser_cookies(request).dumps(value), max_age=KNOWN_BROWSER_MAX_AGE
    )
