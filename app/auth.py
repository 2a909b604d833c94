"""Facilitator sign-in cookies and CSRF protection for forms."""

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import HTTPConnection

from app.i18n import N_, gettext
from app.runtime import get_runtime, origin_allowed

SESSION_COOKIE = "dbk_session"
CSRF_COOKIE = "dbk_csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_MAX_AGE = 7 * 24 * 3600


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="facilitator-session")


def cookie_secure(connection: HTTPConnection) -> bool:
    """Whether cookies get the Secure flag: as configured, else when the site is served over https."""
    configured = get_runtime(connection).settings.cookie_secure
    return configured if configured is not None else connection.url.scheme in ("https", "wss")


def set_private_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int) -> None:
    """Set a cookie scripts cannot read, sent on same-site navigation only, Secure where the site is."""
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=cookie_secure(request), path="/"
    )


def sign_in(response: Response, request: Request, facilitator_id: int) -> None:
    """Give the browser a signed, HttpOnly session cookie."""
    value = _serializer(get_runtime(request).secret_key).dumps(facilitator_id)
    set_private_cookie(response, request, SESSION_COOKIE, value, max_age=SESSION_MAX_AGE)


def sign_out(response: Response) -> None:
    """Remove the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/")


def facilitator_id_from_cookie(connection: HTTPConnection, secret_key: str) -> int | None:
    """The signed-in facilitator's id, or None for a missing, forged or expired cookie."""
    value = connection.cookies.get(SESSION_COOKIE)
    if not value:
        return None
    try:
        facilitator_id = _serializer(secret_key).loads(value, max_age=SESSION_MAX_AGE)
    except BadSignature:
        return None
    return facilitator_id if isinstance(facilitator_id, int) else None


class LoginRequired(Exception):
    """Raised for a page that needs a signed-in facilitator; answered with a redirect to sign in."""


def require_facilitator(request: Request) -> int:
    """The signed-in facilitator's id; otherwise the browser is sent to the sign-in page."""
    facilitator_id = facilitator_id_from_cookie(request, get_runtime(request).secret_key)
    if facilitator_id is None:
        raise LoginRequired()
    return facilitator_id


FacilitatorId = Annotated[int, Depends(require_facilitator)]


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
