"""Guessing join codes and flooding a workshop with phones: one limit on every route that takes a code, joins limited
per address and per workshop, and the answer allowance shared by the phones of one address."""

import json
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse

from app.config import Settings
from app.demo.driver import csrf_of
from app.main import create_app
from tests.conftest import Facilitator, LimitsClock, Workshop, migrated_copy, sign_up

UNKNOWN = "ZZZZZ"  # five letters: with a digit after it, never one of a real workshop's six


def ask(http: TestClient, route: str, code: str) -> int:
    """One request to a route that takes a join code, as a phone (or a guesser) sends it; its status."""
    csrf = csrf_of(http.get("/").text)
    if route == "page":
        return http.get(f"/j/{code}").status_code
    if route == "list":
        return http.get(f"/j/{code}/organisaties").status_code
    if route == "typed":
        return http.post("/join", data={"csrf": csrf, "code": code}).status_code
    if route == "join":
        data = {"csrf": csrf, "name": "Ali", "organisation": "Wijkteam"}
        return http.post(f"/j/{code}/participant", data=data, follow_redirects=False).status_code
    if route == "answer":
        data = {"csrf": csrf, "client_id": str(uuid.uuid4()), "step": "obstacles", "text": "gok"}
        return http.post(f"/j/{code}/answers", data=data, follow_redirects=False).status_code
    if route == "response":
        data = {"csrf": csrf, "step": "grade", "value": "7"}
        return http.post(f"/j/{code}/responses", data=data, follow_redirects=False).status_code
    assert route == "socket"
    try:
        with http.websocket_connect(f"/ws/phone/{code}"):
            return 101
    except WebSocketDenialResponse as refused:
        return refused.status_code


ROUTES = ["page", "list", "typed", "join", "answer", "response", "socket"]


def test_unknown_codes_on_every_route_count_against_one_limit(
    app: FastAPI, frozen_clock: LimitsClock, browser: Callable[[], TestClient]
) -> None:
    guesser = browser()
    allowed = app.state.runtime.limits.unknown_codes[0].amount
    # the routes take turns, so each one's guesses count towards the same limit
    statuses = [ask(guesser, ROUTES[n % len(ROUTES)], f"{UNKNOWN}{n % 10}") for n in range(allowed)]
    assert statuses == [404] * allowed
    assert [ask(guesser, route, f"{UNKNOWN}9") for route in ROUTES] == [429] * len(ROUTES)


def test_an_address_over_the_limit_learns_nothing_from_a_real_code_but_joined_phones_carry_on(
    app: FastAPI, frozen_clock: LimitsClock, workshop: Workshop, join: Any, browser: Callable[[], TestClient]
) -> None:
    phone = join(workshop)
    guesser = browser()
    for n in range(app.state.runtime.limits.unknown_codes[0].amount):
        assert ask(guesser, "socket", f"{UNKNOWN}{n % 10}") == 404
    # the real code now gets the same 429 as a wrong one, on every route
    assert [ask(guesser, route, workshop.code) for route in ROUTES] == [429] * len(ROUTES)
    # a phone that joined proves its code, and is not held back by the guesses of its address (the same here)
    assert phone.http.get(f"/j/{workshop.code}").status_code == 200
    with phone.connect() as ws:
        assert ws.receive_json()["type"] == "snapshot"


def test_the_429_says_when_to_try_again(app: FastAPI, frozen_clock: LimitsClock, client: TestClient) -> None:
    for n in range(app.state.runtime.limits.unknown_codes[0].amount):
        client.get(f"/j/{UNKNOWN}{n % 10}")
    refused = client.get(f"/j/{UNKNOWN}1")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 60
    frozen_clock.advance(61)
    assert client.get(f"/j/{UNKNOWN}1").status_code == 404


@pytest.fixture
def strict_app(tmp_path: Any, migrated_template: Any) -> FastAPI:
    """An app with small join and answer limits, so that a test reaches them with a few phones."""
    settings = Settings(
        data_dir=tmp_path,
        environment="test",
        secret_key="t" * 40,
        limit_joins_per_address="3/minute",
        limit_joins_per_workshop="5/minute",
        limit_answers_per_address="4/minute",
        limit_taps_per_address="3/minute",
    )
    return create_app(migrated_copy(migrated_template, settings))


def join_from(http: TestClient, workshop: Workshop) -> int:
    """Join a workshop through the form."""
    page = http.get(f"/j/{workshop.code}")
    data = {"csrf": csrf_of(page.text), "name": "Ali", "organisation": "Wijkteam"}
    return http.post(f"/j/{workshop.code}/participant", data=data, follow_redirects=False).status_code


def phone_at(app: FastAPI, client: TestClient, address: str) -> TestClient:
    """A phone coming from this address, served by the running app of client."""
    other = TestClient(app, client=(address, 50000))
    other.portal = client.portal
    return other


def test_joining_is_limited_per_address_and_per_workshop(strict_app: FastAPI, frozen_clock: LimitsClock) -> None:
    with TestClient(strict_app) as client:
        workshop = sign_up(client, email="fenna@buurtalliantie.nl").create_workshop()

        phone = partial(phone_at, strict_app, client)

        # one address: three phones, then a 429 that says to wait
        statuses = [join_from(phone("203.0.113.7"), workshop) for _ in range(4)]
        assert statuses == [303, 303, 303, 429]
        # other addresses go on until the workshop has taken in its five a minute
        assert [join_from(phone(f"198.51.100.{n}"), workshop) for n in range(3)] == [303, 303, 429]
        # a minute later the address may bring in phones again
        frozen_clock.advance(61)
        assert join_from(phone("203.0.113.7"), workshop) == 303


def test_an_ipv6_network_of_one_client_counts_as_one_address(strict_app: FastAPI, frozen_clock: LimitsClock) -> None:
    with TestClient(strict_app) as client:
        workshop = sign_up(client, email="fenna@buurtalliantie.nl").create_workshop()

        phone = partial(phone_at, strict_app, client)

        # a home or phone is given a whole /64: new addresses from it do not bring new allowances
        same_network = ["2001:db8:1:2::7", "2001:db8:1:2:ffff::1", "2001:db8:1:2:abcd:ef01:2345:6789"]
        assert [join_from(phone(address), workshop) for address in same_network] == [303, 303, 303]
        assert join_from(phone("2001:db8:1:2::8"), workshop) == 429
        # the next /64 is someone else
        assert join_from(phone("2001:db8:1:3::7"), workshop) == 303
        # an IPv4 address written as IPv6 is that IPv4 address (a minute on: the workshop took in its five)
        frozen_clock.advance(61)
        assert [join_from(phone("203.0.113.9"), workshop) for _ in range(3)] == [303, 303, 303]
        assert join_from(phone("::ffff:203.0.113.9"), workshop) == 429


def test_phones_of_one_address_share_an_answer_allowance(strict_app: FastAPI, frozen_clock: LimitsClock) -> None:
    with TestClient(strict_app) as client:
        boss: Facilitator = sign_up(client, email="fenna@buurtalliantie.nl")
        workshop = boss.create_workshop()
        boss.step(workshop, "next")
        phones = []
        for n in range(3):
            http = phone_at(strict_app, client, f"203.0.113.{n % 2}")
            assert join_from(http, workshop) == 303
            phones.append(http)

        def answer(http: TestClient) -> int:
            data = {
                "csrf": csrf_of(http.get("/").text),
                "client_id": str(uuid.uuid4()),
                "step": "obstacles",
                "text": "x",
            }
            return http.post(f"/j/{workshop.code}/answers", data=data, follow_redirects=False).status_code

        # phones 0 and 2 share 203.0.113.0: four answers between them, each phone far below its own allowance
        assert [answer(phones[0]), answer(phones[2]), answer(phones[0]), answer(phones[2])] == [303] * 4
        assert answer(phones[2]) == 429
        assert answer(phones[1]) == 303  # another address has its own
        # over the websocket the same allowance holds
        with phones[0].websocket_connect(f"/ws/phone/{workshop.code}") as ws:
            ws.receive_json()
            ws.send_text(
                json.dumps({"type": "answer", "client_id": str(uuid.uuid4()), "step": "obstacles", "text": "y"})
            )
            refused = ws.receive_json()
            assert (refused["type"], refused["code"]) == ("error", "rate_limited")
