"""Ended sign-ins and old invitations are deleted by the retention run, and /privacy says when."""

from datetime import date, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlmodel import col

from app.auth import SESSION_COOKIE
from app.models import Invitation, LoginSession, utcnow
from app.privacy import service as privacy
from tests.conftest import Facilitator
from tests.workspaces.conftest import sign_in
from tests.workspaces.test_http import invite


def _db(facilitator: Facilitator) -> Any:
    app: Any = facilitator.http.app
    return app.state.runtime.db


def _signed_in(http: Any) -> bool:
    return http.get("/f/workshops", follow_redirects=False).status_code == 200


def _session_of(facilitator: Facilitator, http: Any) -> int:
    """The id of the sign-in a browser holds."""
    from app.security import token_digest

    query = select(col(LoginSession.id)).where(
        col(LoginSession.token_hash) == token_digest(http.cookies[SESSION_COOKIE])
    )
    return int(_db(facilitator).read_sync(lambda db: db.execute(query).scalar_one()))


def _retention(facilitator: Facilitator) -> None:
    """The server's six-hourly retention run, on the app's loop."""
    db = _db(facilitator)
    facilitator.http.portal.call(partial(privacy.retention_pass, db.read, db.write, today=date.today()))


def test_the_retention_run_deletes_ended_sign_ins_and_keeps_live_ones(facilitator: Facilitator, browser: Any) -> None:
    idle, old = sign_in(browser(), facilitator.email), sign_in(browser(), facilitator.email)
    idle_id, old_id = _session_of(facilitator, idle.http), _session_of(facilitator, old.http)
    now = utcnow()

    def age(db: Any) -> None:
        # unused for a day and an hour; begun eight days ago, though used a minute ago
        db.execute(
            update(LoginSession).where(col(LoginSession.id) == idle_id).values(last_seen_at=now - timedelta(hours=25))
        )
        db.execute(
            update(LoginSession).where(col(LoginSession.id) == old_id).values(created_at=now - timedelta(days=8))
        )

    _db(facilitator).write_sync(age)
    assert not _signed_in(idle.http) and not _signed_in(old.http)
    live = _session_of(facilitator, facilitator.http)
    _retention(facilitator)
    left = _db(facilitator).read_sync(lambda db: list(db.execute(select(col(LoginSession.id))).scalars()))
    assert left == [live]
    assert _signed_in(facilitator.http)


def test_the_retention_run_deletes_invitations_a_week_after_they_ended(facilitator: Facilitator) -> None:
    for note in ("open", "just expired", "long expired", "just used", "long used"):
        invite(facilitator, note=note)
    now = utcnow()
    ended = {
        "just expired": {"expires_at": now - timedelta(days=6)},
        "long expired": {"expires_at": now - timedelta(days=8)},
        "just used": {"used_at": now - timedelta(days=6)},
        "long used": {"used_at": now - timedelta(days=8)},
    }

    def end(db: Any) -> None:
        for note, values in ended.items():
            db.execute(update(Invitation).where(col(Invitation.note) == note).values(**values))

    _db(facilitator).write_sync(end)
    _retention(facilitator)
    notes = select(col(Invitation.note)).order_by(col(Invitation.id))
    assert _db(facilitator).read_sync(lambda db: list(db.execute(notes).scalars())) == [
        "open",
        "just expired",
        "just used",
    ]


def test_the_privacy_page_says_how_long_sign_ins_and_invitations_are_kept(client: Any) -> None:
    dutch = client.get("/privacy").text
    assert "na 24 uur zonder gebruik en uiterlijk na 7 dagen" in dutch
    assert "Een uitnodiging werkt 7 dagen; 7 dagen nadat hij verlopen of gebruikt is" in dutch
    english = client.get("/privacy", headers={"accept-language": "en"}).text
    assert "after 24 hours unused and after 7 days at the latest" in english
    assert "An invitation works for 7 days; 7 days after it expired or was used" in english
