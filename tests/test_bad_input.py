"""Input an attacker sends on purpose gets a clear refusal, never a 500 (issue 16, point 4)."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.demo.driver import csrf_of
from app.models import Facilitator as FacilitatorRow
from app.models import Organisation, Participant, Workspace
from app.models import Workshop as WorkshopRow
from tests.conftest import Facilitator, Workshop, sign_up

# one past the largest id an INTEGER column holds on PostgreSQL, and one past SQLite's 64-bit integers
TOO_LARGE_IDS = [2**31, 2**63]


def test_a_number_of_dots_in_other_digits_is_refused_with_a_message(facilitator: Facilitator) -> None:
    # "²".isdigit() is true, and int("²") fails
    for dots in ("²", "٣", "1_0", "21"):
        response = facilitator.http.post(
            "/f/workshops",
            data={
                "csrf": facilitator.csrf(),
                "title": "Overlast",
                "opgave": "Samen minder overlast",
                "held_on": "2026-11-22",
                "format_key": "doorbraak",
                "dots": dots,
            },
        )
        assert response.status_code == 422, dots
        assert "Kies tussen 1 en 20 stippen" in response.text


@pytest.mark.parametrize("too_large", TOO_LARGE_IDS)
def test_an_id_too_large_for_the_database_in_a_path_is_a_clear_refusal(
    facilitator: Facilitator, workshop: Workshop, too_large: int
) -> None:
    for path in (
        f"/f/workshops/{too_large}",
        f"/f/workshops/{too_large}/steps",
        f"/f/workshops/{too_large}/besluitenlijst",
    ):
        response = facilitator.http.get(path, headers={"accept": "application/json"})
        assert response.status_code == 422, path
        assert response.json()["code"] == "invalid_input"
    answer = facilitator.http.post(
        f"/f/workshops/{workshop.id}/clusters/{too_large}",
        json={"name": "Te groot"},
        headers={"X-CSRF-Token": facilitator.csrf(), "accept": "application/json"},
    )
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_input"


@pytest.mark.parametrize("too_large", TOO_LARGE_IDS)
def test_an_id_too_large_for_the_database_on_an_action_or_organisation_page_is_a_clear_refusal(
    facilitator: Facilitator, too_large: int
) -> None:
    for path in (f"/f/acties/{too_large}", f"/f/organisaties/{too_large}", f"/f/organisaties/{too_large}/bewerken"):
        response = facilitator.http.get(path, headers={"accept": "application/json"})
        assert response.status_code == 422, path
        assert response.json()["code"] == "invalid_input"
    form = {"csrf": facilitator.csrf(), "title": "Te groot", "owner": "Woonstichting", "status": "open", "seen": ""}
    for path, data in (
        (f"/f/acties/{too_large}", form),
        (f"/f/acties/{too_large}/intrekken", {"csrf": facilitator.csrf()}),
        (f"/f/organisaties/{too_large}/eigen", {"csrf": facilitator.csrf(), "own": "true"}),
        (f"/f/organisaties/{too_large}/bewerken", {"csrf": facilitator.csrf(), "name": "Te groot"}),
        (f"/f/organisaties/{too_large}/bevestigen", {"csrf": facilitator.csrf()}),
        (f"/f/organisaties/{too_large}/samenvoegen", {"csrf": facilitator.csrf(), "into": "1"}),
        ("/f/organisaties/1/samenvoegen", {"csrf": facilitator.csrf(), "into": str(too_large)}),
    ):
        response = facilitator.http.post(path, data=data, headers={"accept": "application/json"})
        assert response.status_code == 422, path
        assert response.json()["code"] == "invalid_input"


@pytest.mark.parametrize("too_large", TOO_LARGE_IDS)
def test_an_id_too_large_for_the_database_in_a_cluster_request_is_a_clear_refusal(
    facilitator: Facilitator, workshop: Workshop, too_large: int
) -> None:
    headers = {"X-CSRF-Token": facilitator.csrf(), "accept": "application/json"}
    for path, body in (
        ("clusters/group", {"answer_ids": [too_large]}),
        ("clusters/group", {"answer_ids": [1], "into": too_large}),
        ("clusters/ungroup", {"answer_id": too_large}),
    ):
        response = facilitator.http.post(f"/f/workshops/{workshop.id}/{path}", json=body, headers=headers)
        assert response.status_code == 422, (path, body)
        assert response.json()["code"] == "invalid_input"


def nested(depth: int) -> str:
    """A JSON body with one value nested depth lists deep."""
    return '{"steps": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("depth", [50_000, 2_000])
def test_json_nested_deep_into_the_steps_editor_is_refused(
    facilitator: Facilitator, workshop: Workshop, depth: int
) -> None:
    response = facilitator.http.post(
        f"/f/workshops/{workshop.id}/steps",
        content=nested(depth),
        headers={"X-CSRF-Token": facilitator.csrf(), "content-type": "application/json", "accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_json"


def test_json_nested_deep_into_any_json_route_is_refused(facilitator: Facilitator, workshop: Workshop) -> None:
    response: Any = facilitator.http.post(
        f"/f/workshops/{workshop.id}/clusters/group",
        content='{"answer_ids": ' + "[" * 50_000 + "]" * 50_000 + "}",
        headers={"X-CSRF-Token": facilitator.csrf(), "content-type": "application/json", "accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Dit verzoek kunnen we niet lezen."


def test_numbers_in_other_digits_in_a_query_string_or_a_form_are_no_500(facilitator: Facilitator, join: Any) -> None:
    # the same "²" as the dots above, where a page shows a figure a redirect put in its address, and in a grade
    for path in ("/f/organisaties?opgeslagen=²&deelnemers=٣", "/f/werkruimte/samenvoegen?klaar=1&workshops=²"):
        response = facilitator.http.get(path)
        assert response.status_code == 200, path
    from tests.responses.test_forms import post_response

    workshop = facilitator.create_workshop(format_key="netwerkmozaiek")
    phone = join(workshop)
    facilitator.go(workshop, "opgave_cijfer")
    response = post_response(phone, workshop, "opgave_cijfer", "²")
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("too_large", TOO_LARGE_IDS)
def test_an_id_too_large_for_the_database_in_a_spotlight_is_a_clear_refusal(
    facilitator: Facilitator, workshop: Workshop, too_large: int
) -> None:
    response = facilitator.http.post(
        f"/f/workshops/{workshop.id}/spotlight",
        data={"answer_id": str(too_large)},
        headers={"X-CSRF-Token": facilitator.csrf(), "accept": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_a_nul_in_an_own_format_key_or_a_step_finds_nothing(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    # PostgreSQL answers a NUL in a query's text with an error: these ask about no key or step there is
    json_headers = {"X-CSRF-Token": facilitator.csrf(), "accept": "application/json"}
    for response in (
        facilitator.http.get("/f/formats/eigen/a%00b.yaml", headers=json_headers),
        facilitator.http.post("/f/formats/eigen/a%00b/delete", headers=json_headers),
    ):
        assert response.status_code == 404 and response.json()["code"] == "format_not_found"
    form = {"csrf": facilitator.csrf(), "title": "Overlast", "opgave": "Samen", "held_on": "2026-11-22"}
    created = facilitator.http.post("/f/workshops", data={**form, "format_key": "eigen:a\x00b"})
    assert created.status_code == 422 and "Kies een bestaande werkvorm" in created.text
    from tests.responses.test_forms import post_response

    response = post_response(join(workshop), workshop, "lobby\x00", "1")
    assert response.status_code == 409 and "Deze vraag is gesloten" in response.text


@pytest.mark.parametrize("held_on", ["9999-12-31", "0001-01-01"])
def test_a_session_day_no_follow_up_can_be_counted_from_is_refused(facilitator: Facilitator, held_on: str) -> None:
    # a workshop on 9999-12-31 was made, and its board (which offers a follow-up two weeks on) never opened
    form = {"csrf": facilitator.csrf(), "title": "Overlast", "opgave": "Samen", "held_on": held_on}
    response = facilitator.http.post("/f/workshops", data=form, follow_redirects=False)
    assert response.status_code == 422
    assert "Kies een datum tussen 2000 en 2099." in response.text
    assert 'min="2000-01-01" max="2099-12-31"' in response.text


def test_a_due_date_or_follow_up_no_calendar_can_count_past_is_refused(
    facilitator: Facilitator, workshop: Workshop
) -> None:
    # an action due 9999-12-31 was stored, and every calendar feed of the workspace answered a 500 from then on
    headers = {"X-CSRF-Token": facilitator.csrf(), "accept": "application/json"}
    action = {"title": "Buurtapp", "owner_organisation": "Woonstichting", "due_on": "9999-12-31"}
    for path, body in (("actions", action), ("followup", {"at": "9999-12-31T23:30"})):
        response = facilitator.http.post(f"/f/workshops/{workshop.id}/{path}", json=body, headers=headers)
        assert response.status_code == 422, path
        assert response.json() == {"detail": "Kies een datum tussen 2000 en 2099.", "code": "day_out_of_range"}
    # the board's fields offer only the days that are taken
    board = facilitator.http.get(f"/f/workshops/{workshop.id}").text
    assert '<input type="date" name="due_on" min="2000-01-01" max="2099-12-31">' in board
    assert 'min="2000-01-01T00:00" max="2099-12-31T23:59"' in board
    made = facilitator.http.post("/f/agenda", data={"csrf": facilitator.csrf(), "scope": "workspace"}).text
    feed = re.search(r"/agenda/[^/\"]+\.ics", made)
    assert feed is not None and facilitator.http.get(feed.group(0)).status_code == 200


def test_a_title_or_a_name_typed_with_line_breaks_is_stored_on_one_line(
    app: FastAPI, client: TestClient, browser: Callable[[], TestClient]
) -> None:
    # a pasted title or name kept its line breaks: every page, mail subject and calendar that shows it on one line
    # then had to cope (a calendar's name did not); the opgave keeps its lines
    boss = sign_up(client, email="fenna@buurtalliantie.nl", name="Fenna\nde\tVries")
    workshop = boss.create_workshop(title="Jeugd\r\noverlast\n\n\tNoord\n", opgave="Regel 1\nRegel 2")
    join_form = {"name": "Olga\nde Vries", "organisation": "Woon\r\nstichting"}
    phone = browser()
    page = phone.get(f"/j/{workshop.code}")
    joined = phone.post(f"/j/{workshop.code}/participant", data={"csrf": csrf_of(page.text), **join_form})
    assert joined.status_code == 200
    db = app.state.runtime.db
    assert db.read_sync(lambda tx: tx.execute(select(Workspace.name)).scalar_one()) == "Werkruimte van Fenna de Vries"
    renamed = boss.http.post("/f/werkruimte/naam", data={"csrf": boss.csrf(), "name": "Netwerk\u2028\nNoord"})
    assert renamed.status_code == 200
    added = boss.http.post("/f/organisaties", data={"csrf": boss.csrf(), "name": "Politie\nZuid", "short_name": "P\nZ"})
    assert added.status_code == 200

    def stored(db: Any) -> list[object]:
        shop = db.get(WorkshopRow, workshop.id)
        return [
            db.execute(select(FacilitatorRow.name)).scalar_one(),
            db.execute(select(Workspace.name)).scalar_one(),
            shop.title,
            shop.opgave,
            *db.execute(select(Participant.name, Participant.organisation)).one(),
            *db.execute(select(Organisation.name, Organisation.short_name).where(Organisation.short_name != "")).one(),
        ]

    assert db.read_sync(stored) == [
        "Fenna de Vries",
        "Netwerk Noord",
        "Jeugd overlast Noord",
        "Regel 1\nRegel 2",
        "Olga de Vries",
        "Woon stichting",
        "Politie Zuid",
        "P Z",
    ]
