"""The workspace page and invitation links over HTTP: who may do what, and what each person sees."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse

from app import security
from tests.conftest import PASSWORD, Facilitator, Workshop, csrf_of
from tests.workspaces.conftest import Team, add_member, invitations, post, sign_in, workspace_of, workspaces_of

ACTORS = ("beheerder", "facilitator", "meekijker", "removed", "outsider", "signed_out")


def invite(person: Facilitator, role: str = "facilitator", note: str = "") -> str:
    """Make an invitation on the workspace page; the path of its link, as the page shows it once."""
    response = post(person, "/f/werkruimte/uitnodigingen", role=role, note=note)
    assert response.status_code == 200, response.text
    link = re.search(r'id="new-link" value="([^"]+)"', response.text)
    assert link is not None
    return link.group(1).split("testserver", 1)[1]


def actor(team: Team, name: str, browser: Callable[[], TestClient]) -> Facilitator:
    """The person who tries a route: one of the team, a member just removed, a stranger, or nobody signed in."""
    if name == "removed":
        gone = add_member(
            team.app, browser(), workspace_id=team.workspace_id, role="facilitator", email="r@x.nl", name="R"
        )
        assert post(team.beheerder, f"/f/werkruimte/leden/{team.id_of(gone)}/verwijderen").status_code == 303
        return gone
    if name == "signed_out":
        return Facilitator(http=browser(), email="")
    return getattr(team, name)


def open_invitation_id(team: Team) -> int:
    invite(team.beheerder, note="open")
    return [row.id for row in invitations(team.app) if row.used_at is None][-1] or 0


# what each route answers each actor: a status, or "login" for a redirect to the sign-in page
ROUTES: dict[str, tuple[Callable[[Team], tuple[str, dict[str, str]]], dict[str, int | str]]] = {
    "rename": (
        lambda t: ("/f/werkruimte/naam", {"name": "Nieuwe naam"}),
        {"beheerder": 303, "facilitator": 403, "meekijker": 403, "outsider": 303},
    ),
    "switch": (
        lambda t: ("/f/werkruimte/wissel", {"workspace_id": str(t.workspace_id)}),
        {"beheerder": 303, "facilitator": 303, "meekijker": 303, "outsider": 404},
    ),
    "create": (
        lambda t: ("/f/werkruimten", {"name": "Eigen werkruimte"}),
        {"beheerder": 303, "facilitator": 303, "meekijker": 303, "outsider": 303},
    ),
    "role": (
        lambda t: (f"/f/werkruimte/leden/{t.id_of(t.facilitator)}/rol", {"role": "meekijker"}),
        {"beheerder": 303, "facilitator": 403, "meekijker": 403, "outsider": 404},
    ),
    "remove": (
        lambda t: (f"/f/werkruimte/leden/{t.id_of(t.meekijker)}/verwijderen", {}),
        {"beheerder": 303, "facilitator": 403, "meekijker": 403, "outsider": 404},
    ),
    "invite": (
        lambda t: ("/f/werkruimte/uitnodigingen", {"role": "meekijker", "note": "Sanne"}),
        {"beheerder": 200, "facilitator": 403, "meekijker": 403, "outsider": 200},
    ),
    "revoke": (
        lambda t: (f"/f/werkruimte/uitnodigingen/{open_invitation_id(t)}/intrekken", {}),
        {"beheerder": 303, "facilitator": 403, "meekijker": 403, "outsider": 404},
    ),
}


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("route", ROUTES)
def test_role_matrix_of_every_change(team: Team, browser: Callable[[], TestClient], route: str, who: str) -> None:
    target, expected = ROUTES[route]
    url, data = target(team)
    person = actor(team, who, browser)
    before = team.app.state.runtime.db.read_sync(lambda db: _state(db, team.workspace_id))
    response = post(person, url, **data)
    outcome = expected.get(who, "login")
    if outcome == "login":
        assert response.status_code == 303 and response.headers["location"].startswith("/f/login"), response.text
    else:
        assert response.status_code == outcome, response.text
    after = team.app.state.runtime.db.read_sync(lambda db: _state(db, team.workspace_id))
    # a change that goes through changes this workspace only if it was the actor's own
    if outcome not in (200, 303) or who == "outsider":
        assert after == before


def _state(db: Any, workspace_id: int) -> tuple[Any, ...]:
    """What a change could alter in a workspace: its name, members and roles, open invitations."""
    from sqlalchemy import select
    from sqlmodel import col

    from app.models import Invitation, Membership, Workspace

    workspace = db.get(Workspace, workspace_id)
    members = db.execute(
        select(col(Membership.account_id), col(Membership.role)).where(col(Membership.workspace_id) == workspace_id)
    ).all()
    open_ones = db.execute(select(col(Invitation.id)).where(col(Invitation.workspace_id) == workspace_id)).all()
    return workspace.name, sorted(map(tuple, members)), sorted(map(tuple, open_ones))


@pytest.mark.parametrize("who", ACTORS)
def test_who_sees_the_workspace_page(team: Team, browser: Callable[[], TestClient], who: str) -> None:
    person = actor(team, who, browser)
    response = person.http.get("/f/werkruimte", follow_redirects=False)
    if who in ("removed", "signed_out"):
        assert response.status_code == 303 and response.headers["location"].startswith("/f/login")
        return
    assert response.status_code == 200
    page = response.text
    if who == "outsider":
        assert "Floor" not in page and "Mees" not in page
        return
    for name in ("Fenna", "Floor", "Mees"):
        assert name in page
    # only a beheerder gets the forms that manage
    assert ('action="/f/werkruimte/uitnodigingen"' in page) == (who == "beheerder")
    assert ("/rol" in page) == (who == "beheerder")
    assert ('action="/f/werkruimte/naam"' in page) == (who == "beheerder")


def test_removing_a_member_stops_their_cookie_at_once(team: Team) -> None:
    floor = team.facilitator
    assert floor.http.get("/f/workshops").status_code == 200
    assert post(team.beheerder, f"/f/werkruimte/leden/{team.id_of(floor)}/verwijderen").headers["location"] == (
        "/f/werkruimte?gedaan=verwijderd"
    )
    response = floor.http.get("/f/workshops", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/f/login")
    assert floor.http.get("/f/werkruimte", headers={"accept": "application/json"}).status_code == 401
    page = team.beheerder.http.get("/f/werkruimte?gedaan=verwijderd").text
    assert "Floor" not in page and "uit de werkruimte gehaald" in page


def test_a_removed_member_cannot_sign_in_to_a_workspace_they_left(
    team: Team, browser: Callable[[], TestClient]
) -> None:
    post(team.beheerder, f"/f/werkruimte/leden/{team.id_of(team.meekijker)}/verwijderen")
    other = browser()
    page = other.get("/f/login")
    response = other.post("/f/login", data={"csrf": csrf_of(page.text), "email": "mees@buurt.nl", "password": PASSWORD})
    assert response.status_code == 403 and "geen enkele werkruimte" in response.text


def test_the_last_beheerder_is_sent_back_to_the_page_that_says_why(team: Team) -> None:
    me = team.id_of(team.beheerder)
    for url, data in (
        (f"/f/werkruimte/leden/{me}/rol", {"role": "facilitator"}),
        (f"/f/werkruimte/leden/{me}/verwijderen", {}),
    ):
        response = post(team.beheerder, url, **data)
        # a redirect, so reloading the page that says it does not post the refused change again
        assert response.status_code == 303 and response.headers["location"] == "/f/werkruimte?fout=laatste-beheerder"
        page = team.beheerder.http.get(response.headers["location"])
        assert page.status_code == 200 and "altijd een beheerder" in page.text
    assert "altijd een beheerder" not in team.beheerder.http.get("/f/werkruimte?fout=iets-anders").text
    assert workspaces_of(team.app, team.beheerder.email) == {team.workspace_id: "beheerder"}


def test_a_beheerder_leaves_once_another_is_beheerder(team: Team) -> None:
    assert (
        post(team.beheerder, f"/f/werkruimte/leden/{team.id_of(team.facilitator)}/rol", role="beheerder").status_code
        == 303
    )
    response = post(team.beheerder, f"/f/werkruimte/leden/{team.id_of(team.beheerder)}/verwijderen")
    assert response.status_code == 303 and response.headers["location"] == "/f/login"
    assert team.beheerder.http.get("/f/workshops", follow_redirects=False).status_code == 303
    assert workspaces_of(team.app, team.beheerder.email) == {}
    # the new beheerder manages now
    assert post(team.facilitator, "/f/werkruimte/naam", name="Floors werkruimte").status_code == 303


def test_a_role_change_applies_on_the_next_request(team: Team) -> None:
    mees = team.meekijker
    assert (
        mees.http.post(
            "/f/workshops", data={"csrf": mees.csrf(), "title": "x", "opgave": "y", "held_on": "2026-11-22"}
        ).status_code
        == 403
    )
    post(team.beheerder, f"/f/werkruimte/leden/{team.id_of(mees)}/rol", role="facilitator")
    mees.create_workshop(title="Nu mag het")
    post(team.beheerder, f"/f/werkruimte/leden/{team.id_of(mees)}/rol", role="meekijker")
    assert (
        mees.http.post(
            "/f/workshops", data={"csrf": mees.csrf(), "title": "x", "opgave": "y", "held_on": "2026-11-22"}
        ).status_code
        == 403
    )
    assert post(team.beheerder, f"/f/werkruimte/leden/{team.id_of(mees)}/rol", role="koning").status_code == 422


def test_renaming_shows_on_the_workshops_page_and_bad_names_get_their_message(team: Team) -> None:
    assert post(team.beheerder, "/f/werkruimte/naam", name="  Buurtalliantie\u200b Noord ").headers["location"] == (
        "/f/werkruimte?gedaan=naam"
    )
    for person in (team.beheerder, team.facilitator, team.meekijker):
        assert "Workshops · " in person.http.get("/f/workshops").text
        assert ">Buurtalliantie Noord</a>" in person.http.get("/f/workshops").text
    for name, message in (("", "Geef de werkruimte een naam"), ("x" * 121, "hoogstens 120 tekens")):
        response = post(team.beheerder, "/f/werkruimte/naam", name=name)
        assert response.status_code == 422 and message in response.text
    too_long = post(team.beheerder, "/f/werkruimte/naam", name="y" * 5000)
    assert too_long.status_code == 422


def test_switching_between_workspaces(team: Team) -> None:
    floor = team.facilitator
    mine = floor.create_workshop(title="Floors sessie")
    # Floor starts a workspace of her own, and is switched to it
    response = post(floor, "/f/werkruimten", name="Floors eigen ruimte")
    assert response.headers["location"] == "/f/werkruimte?gedaan=nieuw"
    page = floor.http.get(response.headers["location"]).text
    assert "Floors eigen ruimte" in page and "Je bent er beheerder" in page
    assert mine.code not in floor.http.get("/f/workshops").text
    assert floor.http.get(f"/f/workshops/{mine.id}").status_code == 404
    spaces = workspaces_of(team.app, floor.email)
    assert spaces[team.workspace_id] == "facilitator" and sorted(spaces.values()) == ["beheerder", "facilitator"]
    # and back
    assert (
        post(floor, "/f/werkruimte/wissel", workspace_id=str(team.workspace_id)).headers["location"] == "/f/workshops"
    )
    assert mine.code in floor.http.get("/f/workshops").text
    # a workspace she is no member of, or anything else, is not found
    outsider_space = workspace_of(team.app, team.outsider.email)
    for value in (str(outsider_space), "0", "abc", "-1", "9" * 30, ""):
        assert post(floor, "/f/werkruimte/wissel", workspace_id=value).status_code == 404
    assert mine.code in floor.http.get("/f/workshops").text


def test_switching_is_per_browser(team: Team, browser: Callable[[], TestClient]) -> None:
    post(team.facilitator, "/f/werkruimten", name="Tweede")
    laptop = sign_in(browser(), team.facilitator.email)
    # a new sign-in starts in the first workspace joined; the other browser stays where it switched to
    assert 'class="workspace-name">Werkruimte van Fenna<' in laptop.http.get("/f/werkruimte").text
    assert 'class="workspace-name">Tweede<' in team.facilitator.http.get("/f/werkruimte").text


def test_a_workspace_sees_none_of_anothers_workshops(team: Team, workshop: Workshop) -> None:
    otto = team.outsider
    assert workshop.code not in otto.http.get("/f/workshops").text
    assert otto.http.get(f"/f/workshops/{workshop.id}").status_code == 404
    assert otto.http.get(f"/f/workshops/{workshop.id}/besluitenlijst").status_code == 404
    assert (
        otto.http.get(f"/api/workshops/{workshop.id}/actions", headers={"accept": "application/json"}).status_code
        == 404
    )
    with pytest.raises(WebSocketDenialResponse) as refused, otto.http.websocket_connect(f"/ws/board/{workshop.id}"):
        pass
    assert refused.value.status_code == 404
    # every member of the workspace sees it, the meekijker included, board and socket alike
    for person in (team.facilitator, team.meekijker):
        assert workshop.code in person.http.get("/f/workshops").text
        assert person.http.get(f"/f/workshops/{workshop.id}").status_code == 200
        with person.http.websocket_connect(f"/ws/board/{workshop.id}") as board:
            assert '"type":"snapshot"' in board.receive_text().replace(" ", "")


def test_a_meekijker_gets_no_new_workshop_form(team: Team) -> None:
    page = team.meekijker.http.get("/f/workshops").text
    assert 'action="/f/workshops"' not in page and "Je kijkt mee" in page
    assert 'action="/f/workshops"' in team.facilitator.http.get("/f/workshops").text


def test_an_invitation_link_is_shown_once_and_listed_without_it(team: Team) -> None:
    path = invite(team.beheerder, role="meekijker", note="voor Sanne van Wonen Plus")
    token = path.rsplit("/", 1)[1]
    (row,) = invitations(team.app)
    assert row.token_hash == security.token_digest(token)
    for person in (team.beheerder, team.meekijker):
        page = person.http.get("/f/werkruimte").text
        assert "voor Sanne van Wonen Plus" in page and token not in page
    assert ("intrekken" in team.meekijker.http.get("/f/werkruimte").text) is False
    assert post(team.beheerder, f"/f/werkruimte/uitnodigingen/{row.id}/intrekken").status_code == 303
    assert "voor Sanne van Wonen Plus" not in team.beheerder.http.get("/f/werkruimte").text
    assert team.beheerder.http.get(path).status_code == 404


def test_bad_invitation_input_is_shown_with_its_message(team: Team) -> None:
    response = post(team.beheerder, "/f/werkruimte/uitnodigingen", role="meekijker", note="x" * 121)
    assert response.status_code == 422 and "hoogstens 120 tekens" in response.text and "x" * 121 in response.text
    assert post(team.beheerder, "/f/werkruimte/uitnodigingen", role="baas").status_code == 422
    assert invitations(team.app) == []


def test_a_signed_in_account_joins_and_lands_in_the_workspace(team: Team) -> None:
    path = invite(team.beheerder, role="facilitator")
    otto = team.outsider
    page = otto.http.get(path)
    assert page.status_code == 200
    assert "Word lid van \u2068Werkruimte van Fenna\u2069 als facilitator" in page.text
    assert "Ingelogd als" not in page.text
    assert "Je bent ingelogd als <bdi>Otto</bdi>" in page.text
    response = otto.http.post(path, data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert response.headers["location"] == "/f/workshops?welkom=1"
    assert (
        "Workshops · " in otto.http.get("/f/workshops").text
        and ">Werkruimte van Fenna</a>" in otto.http.get("/f/workshops").text
    )
    assert workspaces_of(team.app, otto.email)[team.workspace_id] == "facilitator"
    used = otto.http.get(path)
    assert used.status_code == 410 and "al gebruikt" in used.text


def test_the_inviters_name_is_isolated_and_escaped_on_the_invitation(
    team: Team, browser: Callable[[], TestClient]
) -> None:
    # a right-to-left name with markup in it: run into the sentence, it pulled "nodigt je uit." to its side
    sara = add_member(
        team.app, browser(), workspace_id=team.workspace_id, role="beheerder", email="s@x.nl", name="سارة <i>12</i>"
    )
    page = team.outsider.http.get(invite(sara)).text
    assert "<bdi>سارة &lt;i&gt;12&lt;/i&gt;</bdi> nodigt je uit." in page
    assert "Je bent ingelogd als <bdi>Otto</bdi> (otto@elders.nl)." in page


def test_the_invitation_says_the_hour_it_ends_not_through_the_whole_day(team: Team) -> None:
    """It ends seven days to the minute after it was made: "tot en met 14 januari" promised that day's evening."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from app.models import Invitation

    path = invite(team.beheerder)
    # 10:45 UTC is 11:45 on the Dutch clock in winter
    team.app.state.runtime.db.write_sync(
        lambda db: db.execute(update(Invitation).values(expires_at=datetime(2030, 1, 14, 10, 45, tzinfo=UTC)))
    )
    page = team.outsider.http.get(path).text
    assert "De link werkt één keer, tot 14 januari 2030 om 11:45." in page
    english = team.outsider.http.get(path, headers={"Accept-Language": "en"}).text
    assert "The link works once, until 14 January 2030 at 11:45." in english
    # and the workspace page's list of open invitations says the same minute
    listed = team.beheerder.http.get("/f/werkruimte").text
    assert "geldig tot 14 jan 2030 om 11:45" in listed


def test_a_member_already_is_told_their_role_stays(team: Team) -> None:
    path = invite(team.beheerder, role="beheerder")
    page = team.meekijker.http.get(path).text
    assert "Je bent al lid van deze werkruimte als meekijker" in page
    post(team.meekijker, path)
    assert workspaces_of(team.app, team.meekijker.email) == {team.workspace_id: "meekijker"}
    assert team.outsider.http.get(path).status_code == 200  # still open for whom it was meant


def test_signed_out_a_new_account_accepts_in_one_step(team: Team, browser: Callable[[], TestClient]) -> None:
    path = invite(team.beheerder, role="meekijker", note="Sanne")
    sanne = browser()
    page = sanne.get(path)
    assert page.status_code == 200 and "Maak je account" in page.text
    assert f'action="{path}/inloggen"' in page.text  # or sign in with an account one has
    short = sanne.post(
        f"{path}/account",
        data={"csrf": csrf_of(page.text), "name": "Sanne", "email": "s@gemeente.nl", "password": "kort"},
    )
    assert short.status_code == 422 and "minstens 12 tekens" in short.text
    assert 'value="Sanne"' in short.text and 'value="s@gemeente.nl"' in short.text
    for weak in ("aaaaaaaaaaaa", "wachtwoord12", "construction"):
        guessable = sanne.post(
            f"{path}/account",
            data={"csrf": csrf_of(page.text), "name": "Sanne", "email": "s@gemeente.nl", "password": weak},
        )
        assert guessable.status_code == 422 and "te makkelijk te raden" in guessable.text
    taken = sanne.post(
        f"{path}/account",
        data={"csrf": csrf_of(page.text), "name": "S", "email": "MEES@buurt.nl", "password": PASSWORD},
    )
    assert taken.status_code == 409 and "bestaat al een account" in taken.text
    response = sanne.post(
        f"{path}/account",
        data={"csrf": csrf_of(page.text), "name": "Sanne", "email": "s@gemeente.nl", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/f/workshops?welkom=1"
    assert "dbk_session=" in response.headers["set-cookie"]
    assert "Je kijkt mee" in sanne.get("/f/workshops").text
    assert workspaces_of(team.app, "s@gemeente.nl") == {team.workspace_id: "meekijker"}
    assert sanne.get(path).status_code == 410


def test_an_address_with_a_control_character_is_no_account_on_an_invitation(
    team: Team, browser: Callable[[], TestClient]
) -> None:
    path = invite(team.beheerder)
    laptop = browser()
    csrf = csrf_of(laptop.get(path).text)
    made = laptop.post(
        f"{path}/account", data={"csrf": csrf, "name": "Sanne", "email": "s\x00@gemeente.nl", "password": PASSWORD}
    )
    assert made.status_code == 422 and "Vul een geldig e-mailadres in." in made.text
    signed_in = laptop.post(
        f"{path}/inloggen", data={"csrf": csrf, "email": team.outsider.email + "\x00", "password": PASSWORD}
    )
    assert signed_in.status_code == 401 and "E-mailadres of wachtwoord klopt niet." in signed_in.text
    assert [invitation.used_at for invitation in invitations(team.app)] == [None]


def test_signing_in_first_comes_back_to_the_invitation(team: Team, browser: Callable[[], TestClient]) -> None:
    path = invite(team.beheerder)
    laptop = browser()
    login = laptop.get(f"/f/login?next={path}")
    assert f'value="{path}"' in login.text
    response = laptop.post(
        "/f/login",
        data={"csrf": csrf_of(login.text), "email": team.outsider.email, "password": PASSWORD, "next": path},
        follow_redirects=False,
    )
    assert response.headers["location"] == path
    # accepting while signed out also sends one to sign in, and back here
    anonymous = browser()
    page = anonymous.get(path)
    refused = anonymous.post(path, data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert refused.headers["location"] == f"/f/login?next={path}"
    assert post(laptop, path).headers["location"] == "/f/workshops?welkom=1"
    assert team.workspace_id in workspaces_of(team.app, team.outsider.email)


def test_an_account_in_no_workspace_signs_in_on_the_invitation_and_joins(
    team: Team, browser: Callable[[], TestClient]
) -> None:
    post(team.beheerder, f"/f/werkruimte/leden/{team.id_of(team.meekijker)}/verwijderen")
    path = invite(team.beheerder, role="meekijker")
    laptop = browser()
    page = laptop.get(path)
    assert 'id="sign-in-form"' in page.text
    wrong = laptop.post(
        f"{path}/inloggen", data={"csrf": csrf_of(page.text), "email": "mees@buurt.nl", "password": "niet goed genoeg"}
    )
    assert wrong.status_code == 401 and "klopt niet" in wrong.text
    assert team.workspace_id not in workspaces_of(team.app, "mees@buurt.nl")
    joined = laptop.post(
        f"{path}/inloggen",
        data={"csrf": csrf_of(page.text), "email": "mees@buurt.nl", "password": PASSWORD},
        follow_redirects=False,
    )
    assert joined.headers["location"] == "/f/workshops?welkom=1"
    assert workspaces_of(team.app, "mees@buurt.nl")[team.workspace_id] == "meekijker"
    assert laptop.get("/f/workshops").status_code == 200
    again = browser()
    used = again.post(
        f"{path}/inloggen",
        data={"csrf": csrf_of(again.get("/f/login").text), "email": "mees@buurt.nl", "password": PASSWORD},
    )
    assert used.status_code == 410


def test_expired_used_revoked_and_forged_links_get_a_clear_page(team: Team, browser: Callable[[], TestClient]) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from app.models import Invitation, utcnow

    expired = invite(team.beheerder, note="te laat")
    team.app.state.runtime.db.write_sync(
        lambda db: db.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
    )
    used = invite(team.beheerder)
    post(team.outsider, used)
    revoked = invite(team.beheerder)
    post(team.beheerder, f"/f/werkruimte/uitnodigingen/{invitations(team.app)[-1].id}/intrekken")
    visitor = browser()
    for path, status, text in (
        (expired, 410, "verlopen"),
        (used, 410, "al gebruikt"),
        (revoked, 404, "bestaat niet (meer)"),
        ("/uitnodiging/vervalst", 404, "bestaat niet (meer)"),
        ("/uitnodiging/" + "é" * 300, 404, "bestaat niet (meer)"),
        ("/uitnodiging/..%2F..%2Fetc", 404, ""),
    ):
        page = visitor.get(path)
        assert page.status_code == status, path
        assert text in page.text
        token = csrf_of(visitor.get("/").text)
        created = visitor.post(
            f"{path}/account", data={"csrf": token, "name": "N", "email": "n@x.nl", "password": PASSWORD}
        )
        assert created.status_code == status, path
        accepted = post(team.outsider, path)
        assert accepted.status_code == status or (accepted.status_code == 404 and status == 404), path
    assert workspaces_of(team.app, "n@x.nl") == {}


def test_wrong_invitation_links_are_rate_limited(
    frozen_clock: None, team: Team, browser: Callable[[], TestClient]
) -> None:
    path = invite(team.beheerder)
    prober = browser()
    allowed = team.app.state.runtime.limits.unknown_codes[0].amount
    statuses = [prober.get(f"/uitnodiging/gok{i}").status_code for i in range(allowed + 2)]
    assert statuses == [404] * allowed + [429, 429]
    refused = prober.get("/uitnodiging/gok")
    assert "Te veel onbekende links" in refused.text and int(refused.headers["retry-after"]) > 0
    # a real link still opens: only wrong ones count
    assert prober.get(path).status_code == 200


def test_a_password_is_judged_only_for_a_usable_invitation(
    team: Team, browser: Callable[[], TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    judged: list[str] = []
    guessable = security.password_is_guessable
    monkeypatch.setattr(security, "password_is_guessable", lambda p, **kw: judged.append(p) or guessable(p, **kw))
    visitor = browser()
    page = visitor.get(invite(team.beheerder))
    # zxcvbn takes seconds over some passwords: a made-up link gets its 404 before any of them is spent
    form = {"csrf": csrf_of(page.text), "name": "N", "email": "n@x.nl", "password": "!$%(+0123456789<@[{|" * 3}
    assert visitor.post("/uitnodiging/verzonnen/account", data=form).status_code == 404
    assert judged == []
    # nor is it judged for an address that is no address, or is taken: the invitation stays open, unpaid for
    path = invite(team.beheerder)
    assert visitor.post(f"{path}/account", data=form | {"email": "geen-adres"}).status_code == 422
    taken = visitor.post(f"{path}/account", data=form | {"email": team.beheerder.email})
    assert taken.status_code == 409 and "Er bestaat al een account" in taken.text
    assert judged == []
    assert visitor.post(f"{path}/account", data=form | {"password": PASSWORD}).status_code == 200
    assert judged == [PASSWORD]


def test_new_account_passwords_from_one_address_are_limited_like_wrong_ones(
    frozen_clock: None, team: Team, browser: Callable[[], TestClient]
) -> None:
    visitor = browser()
    path = invite(team.beheerder)
    form = {"csrf": csrf_of(visitor.get(path).text), "name": "N", "email": "n@x.nl", "password": "kort"}
    allowance = min(rule.amount for rule in team.app.state.runtime.limits.sign_ins_per_address)
    statuses = [visitor.post(f"{path}/account", data=form).status_code for _ in range(allowance + 1)]
    # each is judged by zxcvbn, seconds for some passwords: as many as wrong passwords may be tried
    assert statuses == [422] * allowance + [429]
    assert "Te veel pogingen" in visitor.post(f"{path}/account", data=form).text
    assert visitor.get(path).status_code == 200  # the invitation is still open


def test_invitation_forms_need_the_csrf_token(team: Team, browser: Callable[[], TestClient]) -> None:
    path = invite(team.beheerder)
    visitor = browser()
    visitor.get(path)
    response = visitor.post(f"{path}/account", data={"name": "N", "email": "n@x.nl", "password": PASSWORD})
    assert response.status_code == 403
    assert team.outsider.http.post(path, data={"csrf": "vervalst"}).status_code == 403
    assert team.beheerder.http.post("/f/werkruimte/naam", data={"name": "x"}).status_code == 403
    assert team.outsider.http.get(path).status_code == 200  # unused
