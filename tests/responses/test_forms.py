"""Grades and choices from a phone whose script has not loaded: a plain form, the same rules."""

from typing import Any

from app.demo.driver import csrf_of
from tests.conftest import Facilitator, Phone, Workshop


def post_response(phone: Phone, workshop: Workshop, step: str, *values: str) -> Any:
    page = phone.http.get(f"/j/{workshop.code}")
    return phone.http.post(
        f"/j/{workshop.code}/responses",
        data={"csrf": csrf_of(page.text), "step": step, "value": list(values)},
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )


def my_responses(phone: Phone) -> dict[str, list[int]]:
    with phone.connect() as ws:
        return ws.receive_json()["responses"]  # type: ignore[no-any-return]


def test_the_phone_page_offers_the_grades_as_a_plain_form(facilitator: Facilitator, join: Any) -> None:
    workshop = facilitator.create_workshop(format_key="netwerkmozaiek")
    phone = join(workshop)
    facilitator.go(workshop, "opgave_cijfer")
    page = phone.http.get(f"/j/{workshop.code}").text
    assert 'action="/j/' in page and 'id="response-form"' in page
    assert page.count('name="value"') == 10
    response = post_response(phone, workshop, "opgave_cijfer", "7")
    assert response.status_code == 303
    assert "Doorgegeven" in phone.http.get(response.headers["location"]).text
    assert post_response(phone, workshop, "opgave_cijfer", "9").status_code == 303
    assert my_responses(phone) == {"opgave_cijfer": [9]}


def test_a_bad_grade_from_the_form_gets_the_same_clear_error(facilitator: Facilitator, join: Any) -> None:
    workshop = facilitator.create_workshop(format_key="netwerkmozaiek")
    phone = join(workshop)
    facilitator.go(workshop, "opgave_cijfer")
    for bad in (("zeven",), ("0",), ("11",), ("6", "7"), ()):
        response = post_response(phone, workshop, "opgave_cijfer", *bad)
        assert response.status_code == 422, bad
        assert "Een cijfer is een heel getal van 1 tot en met 10." in response.text
    assert my_responses(phone) == {}


def test_a_choice_from_the_form(facilitator: Facilitator, join: Any) -> None:
    workshop = facilitator.create_workshop(format_key="bewonersgesprek")
    phone = join(workshop)
    facilitator.go(workshop, "beginnen")
    assert post_response(phone, workshop, "beginnen", "0", "3").status_code == 422  # one choice only
    assert post_response(phone, workshop, "beginnen", "3").status_code == 303
    assert my_responses(phone) == {"beginnen": [3]}
