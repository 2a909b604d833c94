"""The people of a workspace: its beheerder, a facilitator, a meekijker, and a beheerder of another workspace."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.accounts import service as accounts
from app.models import Facilitator as Account
from app.models import Invitation, Membership
from tests.conftest import PASSWORD, Facilitator, csrf_of, sign_up


def account_id(app: FastAPI, email: str) -> int:
    """The id of the account with this email."""
    query = select(col(Account.id)).where(col(Account.email) == email)
    return app.state.runtime.db.read_sync(lambda db: db.execute(query).scalar_one())


def workspaces_of(app: FastAPI, email: str) -> dict[int, str]:
    """The workspaces an account is a member of, with its role in each."""
    query = (
        select(col(Membership.workspace_id), col(Membership.role))
        .join(Account, col(Account.id) == col(Membership.account_id))
        .where(col(Account.email) == email)
    )
    return dict(app.state.runtime.db.read_sync(lambda db: db.execute(query).all()))


def workspace_of(app: FastAPI, email: str) -> int:
    """The one workspace an account is a member of."""
    (workspace_id,) = workspaces_of(app, email)
    return workspace_id


def invitations(app: FastAPI) -> list[Invitation]:
    """Every invitation row, oldest first."""
    query = select(Invitation).order_by(col(Invitation.id))
    return app.state.runtime.db.read_sync(lambda db: list(db.execute(query).scalars()))


def sign_in(http: TestClient, email: str) -> Facilitator:
    """Sign a browser in with the sign-in form."""
    page = http.get("/f/login")
    response = http.post(
        "/f/login", data={"csrf": csrf_of(page.text), "email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return Facilitator(http=http, email=email)


def add_member(app: FastAPI, http: TestClient, *, workspace_id: int, role: str, email: str, name: str) -> Facilitator:
    """A new account that is a member of the workspace with this role, signed in on the given browser."""
    app.state.runtime.db.write_sync(
        lambda db: accounts.create_facilitator(
            db, email=email, name=name, password=PASSWORD, workspace_id=workspace_id, role=role
        )
    )
    return sign_in(http, email)


def csrf(person: Facilitator | TestClient) -> str:
    """The browser's CSRF token (the form field carries the cookie's value)."""
    http = person.http if isinstance(person, Facilitator) else person
    http.get("/")  # a first visit sets the cookie
    return http.cookies.get("dbk_csrf") or ""


def post(person: Facilitator | TestClient, url: str, **data: Any) -> Any:
    """A form posted as the page would, without following the redirect."""
    http = person.http if isinstance(person, Facilitator) else person
    return http.post(url, data={"csrf": csrf(person), **data}, follow_redirects=False)


@dataclass
class Team:
    """A workspace with one member of each role, and a beheerder of another workspace."""

    app: FastAPI
    workspace_id: int
    beheerder: Facilitator
    facilitator: Facilitator
    meekijker: Facilitator
    outsider: Facilitator

    def id_of(self, person: Facilitator) -> int:
        """The account id of one of the team."""
        return account_id(self.app, person.email)


@pytest.fixture
def team(app: FastAPI, facilitator: Facilitator, browser: Callable[[], TestClient]) -> Team:
    """Fenna (beheerder) with Floor (facilitator) and Mees (meekijker); Otto runs a workspace of his own."""
    workspace_id = workspace_of(app, facilitator.email)
    return Team(
        app=app,
        workspace_id=workspace_id,
        beheerder=facilitator,
        facilitator=add_member(
            app, browser(), workspace_id=workspace_id, role="facilitator", email="floor@buurt.nl", name="Floor"
        ),
        meekijker=add_member(
            app, browser(), workspace_id=workspace_id, role="meekijker", email="mees@buurt.nl", name="Mees"
        ),
        outsider=sign_up(browser(), email="otto@elders.nl", name="Otto"),
    )
