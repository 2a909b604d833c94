"""A member's calendar feeds end with their membership: removed (or gone another way), their links answer 404."""

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.orm import Session
from sqlmodel import col

from app.models import Membership
from tests.conftest import PASSWORD, Facilitator, csrf_of
from tests.workspaces.conftest import Team, post, workspaces_of
from tests.workspaces.test_http import invite


def make_feed(person: Facilitator, **data: str) -> str:
    """Make a calendar feed on the calendars page; the path of its link, shown this once."""
    made = post(person, "/f/agenda", **data)
    assert made.status_code == 201, made.text
    url = re.search(r'value="https?://[^/"]+(/agenda/[^"]+\.ics)"', made.text)
    assert url is not None, made.text
    return url.group(1)


def listed(page: str) -> list[str]:
    """The feed list's entries as text, newest first."""
    items = page.split('<ul class="feed-list">', 1)[1].split("</ul>", 1)[0].split("<li")[1:]
    return [" ".join(re.sub(r"<[^>]+>", " ", item.split(">", 1)[1]).split()) for item in items]


def an_organisation(team: Team) -> str:
    """The id of a new organisation of the workspace, as the calendars form offers it."""
    assert post(team.beheerder, "/f/organisaties", name="Woonstichting Zuid").status_code == 303
    option = re.search(r'<option value="(\d+)">Woonstichting Zuid</option>', team.beheerder.http.get("/f/agenda").text)
    assert option is not None
    return option.group(1)


def test_a_removed_members_feeds_stop_and_stay_stopped_when_they_come_back(
    team: Team, client: TestClient, browser: Callable[[], TestClient]
) -> None:
    floor = team.facilitator
    whole = make_feed(floor, scope="workspace")
    theirs = make_feed(floor, scope="organisation", organisation_id=an_organisation(team))
    own = make_feed(team.beheerder, scope="workspace")
    assert [client.get(path).status_code for path in (whole, theirs, own)] == [200, 200, 200]
    assert post(team.beheerder, f"/f/werkruimte/leden/{team.id_of(floor)}/verwijderen").status_code == 303
    assert [client.get(path).status_code for path in (whole, theirs, own)] == [404, 404, 200]
    entries = listed(team.beheerder.http.get("/f/agenda").text)
    assert len(entries) == 3
    assert all("Floor is geen lid meer" in entry and "ingetrokken op" in entry for entry in entries[1:]), entries
    assert "geen lid meer" not in entries[0] and "ingetrokken" not in entries[0]
    # invited back, Floor's old links stay stopped: the office saw them end and may have told their subscribers
    path = invite(team.beheerder, role="facilitator")
    laptop = browser()
    page = laptop.get(path)
    joined = laptop.post(
        f"{path}/inloggen",
        data={"csrf": csrf_of(page.text), "email": floor.email, "password": PASSWORD},
        follow_redirects=False,
    )
    assert joined.status_code == 303 and team.workspace_id in workspaces_of(team.app, floor.email)
    assert [client.get(path).status_code for path in (whole, theirs)] == [404, 404]
    assert all("ingetrokken op" in entry for entry in listed(team.beheerder.http.get("/f/agenda").text)[1:])


def test_a_feed_stops_with_its_makers_membership_however_that_ended(team: Team, client: TestClient) -> None:
    floor = team.facilitator
    whole = make_feed(floor, scope="workspace")
    gone = team.id_of(floor)

    # as deleting an account would: the membership goes without the workspace page's removal
    def leave(db: Session) -> None:
        db.execute(delete(Membership).where(col(Membership.account_id) == gone))

    team.app.state.runtime.db.write_sync(leave)
    assert client.get(whole).status_code == 404
    (entry,) = listed(team.beheerder.http.get("/f/agenda").text)
    assert "Floor is geen lid meer" in entry and "ingetrokken" not in entry
    # the beheerder can still end it for good
    assert "Intrekken" in team.beheerder.http.get("/f/agenda").text
