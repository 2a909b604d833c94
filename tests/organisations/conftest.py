"""A programme office of three roles, a member of another workspace, and helpers that read its organisations."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts import service as accounts
from app.demo.driver import csrf_of
from app.models import Facilitator as Account
from app.models import Membership, Organisation
from tests.conftest import PASSWORD, Facilitator


def workspace_of(app: FastAPI, email: str) -> int:
    """The (first) workspace of the account with this email."""

    def read(db: Session) -> int:
        account_id = db.execute(select(col(Account.id)).where(col(Account.email) == email)).scalar_one()
        found = accounts.first_workspace(db, account_id=account_id)
        assert found is not None
        return found

    return app.state.runtime.db.read_sync(read)


def sign_in(http: TestClient, email: str) -> Facilitator:
    """Sign a browser in with an existing account."""
    login = http.get("/f/login")
    response = http.post(
        "/f/login", data={"csrf": csrf_of(login.text), "email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return Facilitator(http=http, email=email)


def add_member(
    app: FastAPI, browser: Callable[[], TestClient], *, email: str, workspace_id: int, role: str
) -> Facilitator:
    """A new account with this role in the workspace, signed in in a browser of its own."""
    app.state.runtime.db.write_sync(
        lambda db: accounts.create_facilitator(
            db, email=email, name=email.split("@")[0], password=PASSWORD, workspace_id=workspace_id, role=role
        )
    )
    return sign_in(browser(), email)


@dataclass
class Office:
    """A workspace with a beheerder, a facilitator and a meekijker, each signed in in their own browser."""

    workspace_id: int
    beheerder: Facilitator
    facilitator: Facilitator
    meekijker: Facilitator

    def by_role(self, role: str) -> Facilitator:
        """The member with this role."""
        return {"beheerder": self.beheerder, "facilitator": self.facilitator, "meekijker": self.meekijker}[role]


@pytest.fixture
def office(app: FastAPI, facilitator: Facilitator, browser: Callable[[], TestClient]) -> Office:
    """The first facilitator's workspace, with a colleague of each other role."""
    workspace_id = workspace_of(app, facilitator.email)
    return Office(
        workspace_id=workspace_id,
        beheerder=facilitator,
        facilitator=add_member(
            app, browser, email="fred@buurtalliantie.nl", workspace_id=workspace_id, role="facilitator"
        ),
        meekijker=add_member(app, browser, email="mia@buurtalliantie.nl", workspace_id=workspace_id, role="meekijker"),
    )


def organisations_of(app: FastAPI, workspace_id: int) -> dict[str, Organisation]:
    """A workspace's organisations by name."""

    def read(db: Session) -> dict[str, Organisation]:
        rows = db.execute(select(Organisation).where(col(Organisation.workspace_id) == workspace_id)).scalars()
        return {row.name: row for row in rows}

    return app.state.runtime.db.read_sync(read)


def form(member: Facilitator, path: str, data: dict[str, Any] | None = None) -> Any:
    """Post a form as the page does, with the browser's CSRF token."""
    return member.http.post(path, data={"csrf": member.csrf(), **(data or {})}, follow_redirects=False)


def add_action(
    member: Facilitator, workshop_id: int, owner: str, partners: list[str] | None = None, title: str = "Actie"
) -> dict[str, Any]:
    """Agree an action on the board, as its form does."""
    response = member.http.post(
        f"/f/workshops/{workshop_id}/actions",
        json={"title": title, "owner_organisation": owner, "partners": partners or []},
        headers={"X-CSRF-Token": member.csrf(), "Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def membership_role(app: FastAPI, email: str, workspace_id: int) -> str | None:
    """The role of an account in a workspace, or None."""

    def read(db: Session) -> str | None:
        return db.execute(
            select(col(Membership.role))
            .join(Account, col(Account.id) == col(Membership.account_id))
            .where(col(Account.email) == email, col(Membership.workspace_id) == workspace_id)
        ).scalar_one_or_none()

    return app.state.runtime.db.read_sync(read)
