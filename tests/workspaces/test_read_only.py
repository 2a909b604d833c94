"""A meekijker reads every page and download of the workspace, and every change they try is refused (403)."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from app.exports.formats import EXPORTS
from tests.conftest import Facilitator, Workshop
from tests.workspaces.conftest import Team, csrf

# changes any member may make: to their own browser's session, or a workspace of their own
ANY_MEMBER = {"/f/logout", "/f/login", "/f/werkruimte/wissel", "/f/werkruimten"}
# no own format exists in these tests: its download is a 404 for every role alike
NOT_HERE = {"/f/formats/eigen/{key}.yaml"}


def routes(app: FastAPI) -> Iterator[Any]:
    """Every HTTP route of the app, through the routers it includes."""

    def walk(items: list[Any]) -> Iterator[Any]:
        for route in items:
            if hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)
            elif getattr(route, "methods", None):
                yield route

    yield from walk(app.routes)


def staff_paths(app: FastAPI, method: str) -> list[str]:
    """The paths of the programme office's routes with this method."""
    return sorted(
        {
            route.path
            for route in routes(app)
            if method in route.methods and route.path.startswith(("/f/", "/api/")) and route.path not in NOT_HERE
        }
    )


def filled(path: str, workshop: Workshop) -> list[str]:
    """A path with real values for its parameters (each export by name); ids of things that need not exist are 1."""
    if "{name}" in path:
        return [filled(path.replace("{name}", name), workshop)[0] for name in EXPORTS]
    path = path.replace("{workshop_id}", str(workshop.id)).replace("{key}", "doorbraak")
    return [re.sub(r"\{[a-z_]+(:[a-z]+)?\}", "1", path)]


@pytest.fixture
def busy_workshop(team: Team, join: Any) -> Workshop:
    """A workshop of the team's workspace with a phone in it and an action agreed."""
    workshop = team.facilitator.create_workshop(title="Meekijken bij Noord")
    join(workshop, "Ali", "Woonstichting")
    response = team.facilitator.http.post(
        f"/f/workshops/{workshop.id}/actions",
        json={"title": "Buurtapp starten", "owner_organisation": "Woonstichting"},
        headers={"X-CSRF-Token": team.facilitator.csrf(), "Accept": "application/json"},
    )
    assert response.status_code in (200, 201), response.text
    return workshop


def test_a_meekijker_opens_every_page_and_download(app: FastAPI, team: Team, busy_workshop: Workshop) -> None:
    paths = [url for path in staff_paths(app, "GET") for url in filled(path, busy_workshop)]
    assert len(paths) > 15  # the walk found the routes
    for person in (team.meekijker, team.facilitator, team.beheerder):
        for url in paths:
            response = person.http.get(url, headers={"accept": "application/json"} if url.startswith("/api/") else {})
            assert response.status_code == 200, (person.email, url, response.status_code, response.text[:300])


def test_every_change_is_refused_to_a_meekijker(app: FastAPI, team: Team, busy_workshop: Workshop) -> None:
    mees: Facilitator = team.meekijker
    token = csrf(mees)
    paths = [url for path in staff_paths(app, "POST") if path not in ANY_MEMBER for url in filled(path, busy_workshop)]
    assert len(paths) > 25
    for url in paths:
        response = mees.http.post(url, data={"csrf": token}, headers={"X-CSRF-Token": token}, follow_redirects=False)
        assert response.status_code == 403, (url, response.status_code, response.text[:300])
    # and nothing moved: the workshop is still in its lobby, with its one action
    board = team.beheerder.http.get(
        f"/api/workshops/{busy_workshop.id}/actions", headers={"accept": "application/json"}
    )
    assert [action["title"] for action in board.json()] == ["Buurtapp starten"]
    assert team.beheerder.step(busy_workshop, "next").json()["step_index"] == 1


def test_the_board_tells_a_meekijker_they_look_on(team: Team, busy_workshop: Workshop) -> None:
    page = team.meekijker.http.get(f"/f/workshops/{busy_workshop.id}").text
    assert 'id="read-only-note"' in page and 'id="edit-steps-link"' not in page
    page = team.facilitator.http.get(f"/f/workshops/{busy_workshop.id}").text
    assert 'id="read-only-note"' not in page and 'id="edit-steps-link"' in page
