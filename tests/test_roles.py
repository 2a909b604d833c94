"""Every route of the programme office checks the member's workspace and role: the matrix, route by route.

The routes are read from the app itself, so a new route is covered (or fails here for want of a test value) the day
it is added: every /f/ and /api/ route names Viewer, Runner or Manager; a member of another workspace finds none of
this workspace's things and changes none; a meekijker changes nothing; a facilitator manages nothing; a signed-out
or removed member is sent to sign in. Every other route names what guards it (PUBLIC_ROUTES), and every route that
changes something refuses a request without this browser's CSRF token or from another site.
"""

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlmodel import col

from app.accounts import service as accounts
from app.answers import service as answers
from app.auth import require_manager, require_member, require_runner, verify_csrf
from app.catalog import saved
from app.catalog.service import formats
from app.clusters import service as clusters
from app.models import (
    Action,
    ActionChange,
    CalendarFeed,
    Facilitator,
    Invitation,
    Member,
    Membership,
    Organisation,
    Participant,
    SavedFormat,
    Workshop,
    Workspace,
)
from app.organisations import service as organisations
from app.workshops import service as workshops
from app.workspaces import service as workspaces
from tests.conftest import PASSWORD, csrf_of

# signing in and out, first run, and one's own account: for anyone, or for anyone signed in whatever their role
SELF_SERVICE = {"/f/login", "/f/logout", "/setup", "/f/account", "/f/account/wachtwoord", "/f/account/overal-uitloggen"}
# changes any member may make, whatever their role: their own place, not the workspace's things
VIEWER_CHANGES = {"/f/werkruimte/wissel", "/f/werkruimten", "/f/agenda/weekoverzicht"}
ROLE_CHECKS: dict[Callable[..., Any], str] = {
    require_member: "viewer",
    require_runner: "runner",
    require_manager: "manager",
}
# where one parameter name means another thing: the shipped formats are everyone's, "eigen" is A's own
PATH_VALUES = {"/f/formats/{key}.yaml": {"key": "doorbraak"}}
# pages that answer by the workshop's state, not the reader's role: the step editor is for workshops in their lobby
STATE_ANSWERS = {"/f/workshops/{workshop_id}/steps": 409}
PEOPLE = (
    ("beheerder", "beheer@a.nl"),
    ("facilitator", "fac@a.nl"),
    ("meekijker", "kijk@a.nl"),
    ("removed", "weg@a.nl"),
    ("other", "ander@b.nl"),
)


def _routes(app: FastAPI) -> Iterator[APIRoute]:
    def walk(items: list[Any]) -> Iterator[APIRoute]:
        for item in items:
            if isinstance(item, APIRoute):
                yield item
            elif hasattr(item, "original_router"):  # an included router
                yield from walk(item.original_router.routes)

    yield from walk(list(app.routes))


def staff_routes(app: FastAPI) -> list[tuple[str, str, str]]:
    """(method, path, role it needs) for every route of the programme office."""
    found = []
    for route in _routes(app):
        if not route.path.startswith(("/f/", "/api/")) or route.path in SELF_SERVICE:
            continue
        needed = {ROLE_CHECKS[dep.call] for dep in route.dependant.dependencies if dep.call in ROLE_CHECKS}
        assert len(needed) == 1, f"{route.path} must name exactly one of Viewer, Runner, Manager: {needed}"
        found += [(method, route.path, next(iter(needed))) for method in sorted(route.methods - {"HEAD"})]
    return found


@dataclass
class Office:
    """Workspace A with a beheerder, a facilitator, a meekijker and a removed member; B's beheerder elsewhere."""

    browsers: dict[str, TestClient]
    values: dict[str, str]
    workspace_id: int

    def url(self, path: str) -> str:
        """The path with A's things filled in; a parameter without a value fails the test."""

        def value(match: re.Match[str]) -> str:
            name = match.group(1).split(":")[0]
            values = {**self.values, **PATH_VALUES.get(path, {})}
            assert name in values, f"tests/test_roles.py needs a value of workspace A for {{{name}}} ({path})"
            return values[name]

        return re.sub(r"\{([^}]+)\}", value, path)


def _sign_in(http: TestClient, email: str) -> None:
    page = http.get("/f/login")
    response = http.post(
        "/f/login", data={"csrf": csrf_of(page.text), "email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def _people(tx: Any) -> int:
    """The accounts of both workspaces, and a saved format of A's; returns A's id."""
    boss = accounts.create_facilitator(tx, email="beheer@a.nl", name="Bea", password=PASSWORD)
    workspace_id = accounts.first_workspace(tx, account_id=boss.id or 0) or 0
    for email, role in (("fac@a.nl", "facilitator"), ("kijk@a.nl", "meekijker"), ("weg@a.nl", "facilitator")):
        accounts.create_facilitator(
            tx, email=email, name=email, password=PASSWORD, workspace_id=workspace_id, role=role
        )
    accounts.create_facilitator(tx, email="ander@b.nl", name="Otto", password=PASSWORD)
    spec = formats()["doorbraak"].model_copy(update={"key": "eigen"})
    saved.save_format(tx, workspace_id=workspace_id, facilitator_id=boss.id or 0, spec=spec)
    boss_member = Member(account_id=boss.id or 0, workspace_id=workspace_id, role="beheerder")
    workspaces.create_invitation(tx, member=boss_member, role="facilitator")
    return workspace_id


def _things(tx: Any, *, workshop_id: int) -> dict[str, int]:
    """An answer, a pile, an action and an organisation in A's workshop."""
    workshop = tx.get(Workshop, workshop_id)
    workshops.join_workshop(tx, workshop_id=workshop_id, name="Ali", organisation="Woonstichting", anonymous=False)
    participant = tx.execute(select(Participant).where(col(Participant.workshop_id) == workshop_id)).scalar_one()
    colleague = tx.execute(select(col(Facilitator.id)).where(col(Facilitator.email) == "fac@a.nl")).scalar_one()
    invitation = tx.execute(select(col(Invitation.id))).scalar_one()
    workshop.step_index = [step["id"] for step in workshop.steps].index("obstacles")
    tx.flush()
    acks = [
        answers.submit_answer(
            tx,
            workshop_id=workshop_id,
            participant_id=participant.id,
            step_id="obstacles",
            text=text,
            client_id=str(uuid.uuid4()),
        )
        for text in ("Te weinig tijd", "Geen tijd om af te stemmen")
    ]
    piles = clusters.group(tx, workshop=workshop, answer_ids=[ack.answer_id for ack in acks], name="Tijd")
    action = Action(
        workshop_id=workshop_id,
        workspace_id=workshop.workspace_id,
        title="Actie",
        owner_organisation="Woonstichting",
        owner_key=organisations.owner_key("Woonstichting"),
    )
    tx.add(action)
    tx.flush()
    feed = CalendarFeed(token_hash="f" * 64, scope="workspace", workspace_id=workshop.workspace_id)
    tx.add(feed)
    tx.flush()
    return {
        "feed_id": feed.id,
        "answer_id": acks[0].answer_id,
        "cluster_id": piles[0]["id"],
        "action_id": action.id,
        "organisation_id": participant.organisation_id,
        "participant_id": participant.id,
        "account_id": colleague,
        "invitation_id": invitation,
    }


@pytest.fixture
def office(client: TestClient, browser: Callable[[], TestClient]) -> Office:
    app: Any = client.app
    db = app.state.runtime.db
    workspace_id = db.write_sync(_people)
    browsers: dict[str, TestClient] = {}
    for role, email in PEOPLE:
        browsers[role] = client if role == "beheerder" else browser()
        _sign_in(browsers[role], email)
    browsers["signed_out"] = browser()
    browsers["signed_out"].get("/f/login")  # a CSRF cookie: a refusal is then about signing in, not the token
    boss = browsers["beheerder"]
    created = boss.post(
        "/f/workshops",
        data={
            "csrf": csrf_of(boss.get("/f/workshops").text),
            "title": "Wijk A",
            "opgave": "Samen verder",
            "held_on": "2026-12-04",
            "format_key": "doorbraak",
        },
        follow_redirects=False,
    )
    workshop_id = int(created.headers["location"].rsplit("/", 1)[1])
    ids = db.write_sync(lambda tx: _things(tx, workshop_id=workshop_id))
    removed = select(col(Facilitator.id)).where(col(Facilitator.email) == "weg@a.nl")
    db.write_sync(lambda tx: tx.execute(delete(Membership).where(col(Membership.account_id).in_(removed))))
    values = {
        "workshop_id": str(workshop_id),
        "key": "eigen",
        "name": "actions.csv",
        **{name: str(v) for name, v in ids.items()},
    }
    return Office(browsers=browsers, values=values, workspace_id=workspace_id)


def fingerprint(db: Any, workspace_id: int) -> tuple[Any, ...]:
    """What a refused request must leave as it was: workspace A's workshops, actions, lists, members and more."""

    def read(tx: Any) -> tuple[Any, ...]:
        def count(model: Any, *where: Any) -> int:
            return int(tx.execute(select(func.count()).select_from(model).where(*where)).scalar_one())

        workspace = tx.get(Workspace, workspace_id)
        seqs = tx.execute(
            select(func.coalesce(func.sum(col(Workshop.last_seq)), 0), func.count()).where(
                col(Workshop.workspace_id) == workspace_id
            )
        ).one()
        return (
            tuple(seqs),
            workspace.name,
            workspace.jargon,
            workspace.blocked_words,
            count(Action, col(Action.workspace_id) == workspace_id, col(Action.deleted_at).is_(None)),
            count(ActionChange),
            count(Organisation, col(Organisation.workspace_id) == workspace_id),
            count(Membership, col(Membership.workspace_id) == workspace_id),
            count(Invitation, col(Invitation.workspace_id) == workspace_id),
            count(SavedFormat, col(SavedFormat.workspace_id) == workspace_id),
            count(CalendarFeed, col(CalendarFeed.workspace_id) == workspace_id, col(CalendarFeed.revoked_at).is_(None)),
        )

    found: tuple[Any, ...] = db.read_sync(read)
    return found


def _send(http: TestClient, method: str, url: str) -> Any:
    if method == "GET":
        return http.get(url, follow_redirects=False)
    csrf = http.cookies.get("dbk_csrf") or csrf_of(http.get("/f/login").text)
    return http.request(method, url, data={"csrf": csrf}, headers={"x-csrf-token": csrf}, follow_redirects=False)


def _signed_in_refusal(response: Any, url: str) -> bool:
    """Sent to sign in (a page) or told to (JSON)."""
    if url.startswith("/api/"):
        return response.status_code == 401
    return response.status_code in (303, 401) and (
        response.status_code == 401 or response.headers["location"].startswith("/f/login")
    )


def test_every_staff_route_names_a_role(app: FastAPI) -> None:
    found = staff_routes(app)
    assert len(found) > 40
    assert {role for _, _, role in found} >= {"viewer", "runner"}
    for method, path, role in found:
        if method != "GET":
            assert role != "viewer" or path in VIEWER_CHANGES, f"{method} {path} changes things: Runner or Manager"


def test_signed_out_and_removed_members_are_sent_to_sign_in(app: FastAPI, office: Office) -> None:
    for method, path, _ in staff_routes(app):
        url = office.url(path)
        for who in ("signed_out", "removed"):
            response = _send(office.browsers[who], method, url)
            assert _signed_in_refusal(response, url), (who, method, url, response.status_code)


def test_a_member_of_another_workspace_finds_and_changes_nothing(app: FastAPI, office: Office) -> None:
    db = app.state.runtime.db
    before = fingerprint(db, office.workspace_id)
    for method, path, _ in staff_routes(app):
        if "{" not in path or path in PATH_VALUES:
            continue  # their own lists and forms (checked below to show none of A's things), or what is everyone's
        url = office.url(path)
        response = _send(office.browsers["other"], method, url)
        # a body the route cannot read may be refused before the workspace is looked at; never is it allowed
        allowed = (404,) if method == "GET" else (403, 404, 422)
        assert response.status_code in allowed, (method, url, response.status_code, response.text[:200])
    assert fingerprint(db, office.workspace_id) == before
    for method, path, _ in staff_routes(app):
        if method == "GET" and "{" not in path:
            page = office.browsers["other"].get(path, follow_redirects=False)
            assert page.status_code == 200, path
            assert "Wijk A" not in page.text and "Te weinig tijd" not in page.text, path


def test_a_meekijker_reads_everything_and_changes_nothing(app: FastAPI, office: Office) -> None:
    db = app.state.runtime.db
    before = fingerprint(db, office.workspace_id)
    for method, path, role in staff_routes(app):
        url = office.url(path)
        response = _send(office.browsers["meekijker"], method, url)
        if role == "viewer" and method == "GET":
            assert response.status_code == STATE_ANSWERS.get(path, 200), (url, response.status_code)
        elif role in ("runner", "manager"):
            assert response.status_code == 403, (method, url, response.status_code)
    assert fingerprint(db, office.workspace_id) == before


def test_a_facilitator_runs_but_does_not_manage(app: FastAPI, office: Office) -> None:
    db = app.state.runtime.db
    before = fingerprint(db, office.workspace_id)
    for method, path, role in staff_routes(app):
        if role == "manager":
            response = _send(office.browsers["facilitator"], method, office.url(path))
            assert response.status_code == 403, (method, path, response.status_code)
    assert fingerprint(db, office.workspace_id) == before
    for method, path, role in staff_routes(app):
        if method == "GET" and role == "viewer":
            response = _send(office.browsers["facilitator"], method, office.url(path))
            assert response.status_code == STATE_ANSWERS.get(path, 200), path


def test_the_board_socket_refuses_another_workspace_and_the_removed(office: Office) -> None:
    url = f"/ws/board/{office.values['workshop_id']}"
    with office.browsers["meekijker"].websocket_connect(url) as board:
        assert board.receive_json()["type"] == "snapshot"
    for who in ("other", "removed", "signed_out"):
        with (
            pytest.raises(Exception) as refused,  # noqa: PT011 - the test client raises its own denial type
            office.browsers[who].websocket_connect(url) as board,
        ):
            board.receive_json()
        assert getattr(refused.value, "status_code", None) in (401, 404), (who, refused.value)


# every route outside the programme office, and what guards it: a new one fails the test below until it is named here
# (and so looked at). "token": a secret link checked against the database or the secret key; "code": a join code and,
# past joining, the phone's own cookie for that workshop; "invitation": a single-use invitation link; "open": no one's
# data (pages anyone may see, sign-in and first run); "member": a signed-in member of the workshop's workspace
PUBLIC_ROUTES = {
    "/": "open",
    "/healthz": "open",
    "/privacy": "open",
    "/taal/{lang}": "open",
    "/setup": "open",
    "/join": "code",
    "/j/{code}": "code",
    "/j/{code}/organisaties": "code",
    "/j/{code}/participant": "code",
    "/j/{code}/answers": "code",
    "/j/{code}/responses": "code",
    "/ws/phone/{code}": "code",
    "/p/{token}": "token",
    "/p/{token}/words": "token",
    "/ws/projector/{token}": "token",
    "/m/{link_token}": "token",
    "/m/{link_token}/vervolg.ics": "token",
    "/m/{link_token}/gegevens.json": "token",
    "/m/{link_token}/vergeet-mij": "token",
    "/m/{link_token}/e-mail": "token",
    "/m/{link_token}/e-mail/bevestigen": "token",
    "/m/{link_token}/acties/{action_id}/status": "token",
    "/m/{link_token}/acties/{action_id}/datum": "token",
    "/m/{link_token}/agenda": "token",
    "/status/{token}": "token",
    "/status/{token}/datum": "token",
    "/afmelden/{token}": "token",
    "/afmelden/{token}/weer-aanmelden": "token",
    "/weer-aanmelden/{token}": "token",
    "/e-mail-bevestigen/{token}": "token",
    "/agenda/{token}.ics": "token",
    "/uitnodiging/{token}": "invitation",
    "/uitnodiging/{token}/account": "invitation",
    "/uitnodiging/{token}/inloggen": "invitation",
    # a member's, checked like the office's routes: test_the_board_socket_refuses_another_workspace_and_the_removed
    "/ws/board/{workshop_id}": "member",
}
# the one state-changing route without the CSRF token: a mail program's one-click unsubscribe (RFC 8058) has no cookies
WITHOUT_CSRF = {("POST", "/afmelden/{token}")}


def _every_route(app: FastAPI) -> Iterator[Any]:
    """Every route of the app, websockets and mounts too, with included routers walked into."""

    def walk(items: list[Any]) -> Iterator[Any]:
        for item in items:
            if hasattr(item, "original_router"):
                yield from walk(item.original_router.routes)
            elif hasattr(item, "routes") and not hasattr(item, "path"):
                yield from walk(item.routes)
            else:
                yield item

    yield from walk(list(app.routes))


def test_every_route_outside_the_office_is_named_with_what_guards_it(app: FastAPI) -> None:
    served = set()
    for route in _every_route(app):
        path = re.sub(r":[a-z]+\}", "}", route.path)
        # the office's routes name their role (test_every_staff_route_names_a_role); the schema and files are public
        if path.startswith(("/f/", "/api/")) or path in ("/openapi.json", "/static/{path}"):
            continue
        served.add(path)
        assert path in PUBLIC_ROUTES, f"{path}: a route outside /f/ and /api/; name what guards it in PUBLIC_ROUTES"
    assert served == set(PUBLIC_ROUTES), set(PUBLIC_ROUTES) - served


def _changing(app: FastAPI) -> list[tuple[str, APIRoute]]:
    return [
        (method, route)
        for route in _routes(app)
        for method in sorted(route.methods - {"GET", "HEAD"})
        if (method, route.path) not in WITHOUT_CSRF
    ]


def test_every_state_changing_route_checks_the_csrf_token(app: FastAPI) -> None:
    changing = _changing(app)
    assert len(changing) > 70
    for method, route in changing:
        calls = {dep.call for dep in route.dependant.dependencies}
        assert verify_csrf in calls, f"{method} {route.path} changes things: add dependencies=[CsrfChecked]"


def test_a_change_without_this_browsers_token_or_from_another_site_is_refused(app: FastAPI, office: Office) -> None:
    db = app.state.runtime.db
    before = fingerprint(db, office.workspace_id)
    boss, other = office.browsers["beheerder"], office.browsers["other"]
    own, others = boss.cookies["dbk_csrf"], other.cookies["dbk_csrf"]
    values = {**office.values, "code": "QQQQQQ", "token": "1." + "A" * 32, "link_token": "1." + "A" * 32}
    for method, route in _changing(app):
        url = re.sub(r"\{([^}:]+)(:[a-z]+)?\}", lambda m: values.get(m.group(1), "1"), route.path)
        tries = {
            "no token": ({}, {}),
            "another session's token": ({"csrf": others}, {"x-csrf-token": others}),
            "another site": ({"csrf": own}, {"x-csrf-token": own, "origin": "https://evil.example"}),
        }
        for name, (form, headers) in tries.items():
            response = boss.request(method, url, data=form, headers=headers, follow_redirects=False)
            assert response.status_code == 403, (name, method, url, response.status_code, response.text[:200])
    assert fingerprint(db, office.workspace_id) == before
