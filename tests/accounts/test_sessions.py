"""Server-side sessions: signing out ends them, a new password ends the others, idle ones expire, CSRF rotates."""

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlmodel import col

from app.auth import CSRF_COOKIE, SESSION_COOKIE
from app.models import LoginSession, Membership, utcnow
from tests.conftest import PASSWORD, Facilitator, csrf_of


def _sign_in(http: Any, email: str, password: str = PASSWORD) -> Any:
    page = http.get("/f/login")
    return http.post(
        "/f/login", data={"csrf": csrf_of(page.text), "email": email, "password": password}, follow_redirects=False
    )


def _signed_in(http: Any) -> bool:
    response = http.get("/f/workshops", follow_redirects=False)
    assert response.status_code in (200, 303), response.status_code
    return response.status_code == 200


def _write(http: Any, fn: Any) -> Any:
    return http.app.state.runtime.db.write_sync(fn)


def test_a_cookie_kept_after_signing_out_opens_nothing(facilitator: Facilitator, browser: Any) -> None:
    cookie = facilitator.http.cookies[SESSION_COOKIE]
    facilitator.http.post("/f/logout", data={"csrf": facilitator.csrf()})
    replay = browser()
    replay.cookies.set(SESSION_COOKIE, cookie)
    assert not _signed_in(replay)
    assert replay.get("/f/workshops", follow_redirects=False).headers["location"].startswith("/f/login")


def test_two_sign_ins_in_the_same_second_get_different_sessions(facilitator: Facilitator, browser: Any) -> None:
    first, second = browser(), browser()
    assert _sign_in(first, facilitator.email).status_code == 303
    assert _sign_in(second, facilitator.email).status_code == 303
    assert first.cookies[SESSION_COOKIE] != second.cookies[SESSION_COOKIE]
    first.post("/f/logout", data={"csrf": csrf_of(first.get("/f/workshops").text)})
    assert not _signed_in(first) and _signed_in(second)


def test_signing_in_rotates_the_csrf_token(client: Any, facilitator: Facilitator, browser: Any) -> None:
    fresh = browser()
    before = fresh.get("/f/login").cookies.get(CSRF_COOKIE) or fresh.cookies[CSRF_COOKIE]
    _sign_in(fresh, facilitator.email)
    assert fresh.cookies[CSRF_COOKIE] != before
    # the rotated token is the one forms now need
    assert fresh.post("/f/logout", data={"csrf": before}).status_code == 403


def test_signing_out_everywhere_ends_every_session(facilitator: Facilitator, browser: Any) -> None:
    laptop = browser()
    _sign_in(laptop, facilitator.email)
    response = facilitator.http.post("/f/account/overal-uitloggen", data={"csrf": facilitator.csrf()})
    assert response.status_code == 200  # followed to the sign-in page
    assert not _signed_in(facilitator.http) and not _signed_in(laptop)


def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(facilitator: Facilitator, browser: Any) -> None:
    laptop = browser()
    _sign_in(laptop, facilitator.email)
    csrf = facilitator.csrf()
    wrong = facilitator.http.post(
        "/f/account/wachtwoord", data={"csrf": csrf, "current": "niet mijn wachtwoord", "new": "nieuw en lang genoeg"}
    )
    assert wrong.status_code == 422 and "huidige wachtwoord klopt niet" in wrong.text
    short = facilitator.http.post("/f/account/wachtwoord", data={"csrf": csrf, "current": PASSWORD, "new": "kort"})
    assert short.status_code == 422 and "minstens 12 tekens" in short.text
    assert _signed_in(laptop)  # a refused change ends nothing
    done = facilitator.http.post(
        "/f/account/wachtwoord", data={"csrf": csrf, "current": PASSWORD, "new": "nieuw en lang genoeg"}
    )
    assert done.status_code == 200 and "gewijzigd" in done.text
    assert _signed_in(facilitator.http) and not _signed_in(laptop)
    assert _sign_in(browser(), facilitator.email).status_code == 401
    assert _sign_in(browser(), facilitator.email, "nieuw en lang genoeg").status_code == 303


def test_a_session_unused_for_a_day_has_ended(facilitator: Facilitator) -> None:
    assert _signed_in(facilitator.http)
    _write(
        facilitator.http,
        lambda db: db.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(hours=25))),
    )
    assert not _signed_in(facilitator.http)


def test_using_a_session_keeps_it_alive(facilitator: Facilitator) -> None:
    stale = utcnow() - timedelta(hours=23)
    _write(facilitator.http, lambda db: db.execute(update(LoginSession).values(last_seen_at=stale)))
    assert _signed_in(facilitator.http)
    seen = facilitator.http.app.state.runtime.db.read_sync(
        lambda db: db.execute(select(col(LoginSession.last_seen_at))).scalar_one()
    )
    assert seen > stale + timedelta(hours=22)


def test_a_removed_member_is_signed_out_at_once(facilitator: Facilitator) -> None:
    assert _signed_in(facilitator.http)
    _write(facilitator.http, lambda db: db.execute(delete(Membership).where(col(Membership.role) == "beheerder")))
    assert not _signed_in(facilitator.http)
    # and signing in again finds no workspace to open
    response = _sign_in(facilitator.http, facilitator.email)
    assert response.status_code == 403 and "geen enkele werkruimte" in response.text


def test_every_way_of_signing_out_clears_the_browsers_cache_and_not_its_storage(facilitator: Facilitator) -> None:
    # not "storage": a phone in the same browser keeps there what it has not yet sent
    everywhere = facilitator.http.post(
        "/f/account/overal-uitloggen", data={"csrf": facilitator.csrf()}, follow_redirects=False
    )
    assert everywhere.status_code == 303 and everywhere.headers["clear-site-data"] == '"cache"'
    _sign_in(facilitator.http, facilitator.email)
    here = facilitator.http.post("/f/logout", data={"csrf": facilitator.csrf()}, follow_redirects=False)
    assert here.status_code == 303 and here.headers["clear-site-data"] == '"cache"'
