"""For the action and organisation pages: members of one workspace in each role, actions agreed on the board, and
reading the pages."""

import html
import re
from collections.abc import Callable
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.accounts import service as accounts
from app.demo.driver import csrf_of
from app.models import Facilitator as Account
from app.models import Membership
from app.runtime import Runtime
from tests.conftest import PASSWORD, Facilitator, Workshop


def runtime_of(member: Facilitator) -> Runtime:
    """The app's runtime behind a member's browser."""
    runtime: Runtime = cast(FastAPI, member.http.app).state.runtime
    return runtime


def workspace_of(member: Facilitator) -> int:
    """The workspace a member's account belongs to (its first)."""

    def find(db: Session) -> int:
        account = db.execute(select(Account).where(col(Account.email) == member.email)).scalar_one()
        query = select(col(Membership.workspace_id)).where(col(Membership.account_id) == account.id)
        return db.execute(query.order_by(col(Membership.id)).limit(1)).scalar_one()

    return runtime_of(member).db.read_sync(find)


def join_workspace(owner: Facilitator, http: TestClient, *, email: str, name: str, role: str) -> Facilitator:
    """A new account in the owner's workspace with this role, signed in on its own browser."""
    workspace_id = workspace_of(owner)
    runtime_of(owner).db.write_sync(
        lambda db: accounts.create_facilitator(
            db, email=email, name=name, password=PASSWORD, workspace_id=workspace_id, role=role
        )
    )
    login = http.get("/f/login")
    response = http.post(
        "/f/login", data={"csrf": csrf_of(login.text), "email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return Facilitator(http=http, email=email)


@pytest.fixture
def colleague(facilitator: Facilitator, browser: Callable[[], TestClient]) -> Facilitator:
    """A facilitator (not beheerder) in the first facilitator's workspace."""
    return join_workspace(facilitator, browser(), email="carla@buurtalliantie.nl", name="Carla", role="facilitator")


@pytest.fixture
def onlooker(facilitator: Facilitator, browser: Callable[[], TestClient]) -> Facilitator:
    """A meekijker in the first facilitator's workspace: reads, changes nothing."""
    return join_workspace(facilitator, browser(), email="mees@buurtalliantie.nl", name="Mees", role="meekijker")


def agree(member: Facilitator, workshop: Workshop, **fields: Any) -> dict[str, Any]:
    """Agree an action from the board, as its action form does; returns the action as the board sees it."""
    body = {"title": "Terugbelbelofte", "owner_organisation": "Schuldhulp Noord", **fields}
    response = member.http.post(
        f"/f/workshops/{workshop.id}/actions",
        json=body,
        headers={"X-CSRF-Token": member.csrf(), "Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    action: dict[str, Any] = response.json()
    return action


def text_of(fragment: str) -> str:
    """An HTML fragment as the words a reader sees: tags out (blocks part words, inline ones not), spaces collapsed."""
    inline_out = re.sub(r"</?(?:a|span|strong|time|em|bdi)\b[^>]*>", "", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline_out)).split())


def section(page: str, element_id: str) -> str:
    """The HTML of the <section> with this id."""
    found = re.search(rf'<section[^>]*id="{element_id}"[^>]*>(.*?)</section>', page, re.S)
    assert found, f"no section #{element_id}"
    return found.group(1)


def history(page: str) -> list[str]:
    """The history entries of an action's page as read, newest first."""
    return [
        text_of(item) for item in re.findall(r'<li class="change[^"]*">(.*?)</li>', section(page, "geschiedenis"), re.S)
    ]


def history_kinds(page: str) -> list[str]:
    """The kinds of the history entries, newest first."""
    return re.findall(r'<li class="change kind-([a-z_]+)">', page)


def linked_actions(fragment: str) -> list[int]:
    """The ids of the actions a fragment links to, in order."""
    return [int(i) for i in re.findall(r'href="/f/acties/(\d+)"', fragment)]
