"""Wrong passwords are slowed down with growing waits, without locking the rightful person out of a known browser."""

import asyncio
import os
import re
import time
from collections import Counter
from collections.abc import Callable

import anyio
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from app import security
from app.auth import SignInAttempt, password_refusal
from app.config import Settings
from app.demo.driver import csrf_of
from app.main import create_app
from app.throttle import Throttle
from tests.conftest import PASSWORD, Facilitator, LimitsClock
from tests.workspaces.test_http import invite

EMAIL = "fenna@buurtalliantie.nl"
REDIS_URL = os.environ.get("DOORBRAAK_TEST_REDIS_URL")


def sign_in(http: TestClient, password: str, email: str = EMAIL) -> tuple[int, str]:
    """Post the sign-in form; its status and page."""
    token = csrf_of(http.get("/f/login").text)
    response = http.post("/f/login", data={"csrf": token, "email": email, "password": password}, follow_redirects=False)
    return response.status_code, response.text


def wait_said(page: str) -> int:
    """How long the refusal says to wait, in seconds."""
    found = re.search(r"Wacht (\d+) (seconden|minuten)", page)
    assert found, page
    return int(found.group(1)) * (60 if found.group(2) == "minuten" else 1)


def known_browser(facilitator: Facilitator) -> TestClient:
    """The facilitator's own browser, signed out after signing in on it with the right password once."""
    http = facilitator.http
    http.post("/f/logout", data={"csrf": facilitator.csrf()})
    assert sign_in(http, PASSWORD)[0] == 303
    http.post("/f/logout", data={"csrf": facilitator.csrf()})
    return http


def test_the_right_password_from_a_known_browser_works_after_many_wrong_ones_from_its_address(
    frozen_clock: LimitsClock, facilitator: Facilitator, browser: Callable[[], TestClient]
) -> None:
    own = known_browser(facilitator)
    attacker = browser()  # the same address: the venue's wifi
    statuses = [sign_in(attacker, f"gok {n}")[0] for n in range(30)]
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    # the right password from an unknown browser waits with the attacker
    assert sign_in(browser(), PASSWORD)[0] == 429
    # from the browser the account signed in on before it works
    assert sign_in(own, PASSWORD)[0] == 303


def test_a_known_browser_has_an_allowance_of_its_own(
    frozen_clock: LimitsClock, facilitator: Facilitator, browser: Callable[[], TestClient]
) -> None:
    own = known_browser(facilitator)
    statuses = [sign_in(own, "verkeerd")[0] for _ in range(11)]
    assert statuses == [401] * 10 + [429]
    # others' allowance for the account is untouched by the known browser's mistakes
    assert sign_in(browser(), PASSWORD)[0] == 303


def test_a_guesser_waits_longer_the_more_it_guesses(
    frozen_clock: LimitsClock, facilitator: Facilitator, browser: Callable[[], TestClient]
) -> None:
    attacker = browser()
    waits = []
    for _ in range(2):
        statuses = [sign_in(attacker, "gok")[0] for _ in range(10)]
        assert statuses == [401] * 10
        status, page = sign_in(attacker, "gok")
        assert status == 429
        waits.append(wait_said(page))
        frozen_clock.advance(waits[-1] + 1)
    assert waits[0] <= 60
    # past 20 in the hour the wait is the rest of the hour
    assert waits[1] > 50 * 60
    assert sign_in(attacker, "gok")[0] == 401


def test_right_passwords_are_not_counted_though_each_is_counted_until_it_proves_right(
    frozen_clock: LimitsClock, facilitator: Facilitator, browser: Callable[[], TestClient]
) -> None:
    # a whole office behind one address, each on a browser new to their account (here: one account, many browsers)
    for _ in range(12):
        stranger = browser()
        assert sign_in(stranger, PASSWORD)[0] == 303
    # and the allowance for wrong ones is still whole
    attacker = browser()
    assert [sign_in(attacker, "gok")[0] for _ in range(11)] == [401] * 10 + [429]


def test_a_cookie_for_another_account_does_not_make_a_browser_known(
    frozen_clock: LimitsClock, facilitator: Facilitator, browser: Callable[[], TestClient]
) -> None:
    own = known_browser(facilitator)
    for _ in range(10):
        assert sign_in(browser(), "gok", email="otto@elders.nl")[0] == 401
    # the cookie names Fenna's account: for Otto's this browser is a stranger, and waits with the others
    assert sign_in(own, "gok", email="otto@elders.nl")[0] == 429


def test_the_invitation_sign_in_is_throttled_the_same_way(
    frozen_clock: LimitsClock, facilitator: Facilitator, browser: Callable[[], TestClient]
) -> None:
    path = invite(facilitator)
    attacker = browser()
    for _ in range(10):
        assert sign_in(attacker, "gok")[0] == 401
    token = csrf_of(attacker.get(path).text)
    data = {"csrf": token, "email": EMAIL, "password": PASSWORD}
    refused = attacker.post(f"{path}/inloggen", data=data, follow_redirects=False)
    assert refused.status_code == 429 and "Te veel pogingen" in refused.text
    # the wait in the words is the wait in the header
    assert f"Wacht {refused.headers['retry-after']} seconden" in refused.text
    # and a wrong password there counts as one on the sign-in page would
    frozen_clock.advance(61)
    for _ in range(10):
        data = {"csrf": token, "email": EMAIL, "password": "gok"}
        assert attacker.post(f"{path}/inloggen", data=data, follow_redirects=False).status_code == 401
    assert sign_in(attacker, "gok")[0] == 429


def test_the_browser_that_made_the_account_is_known_to_it(
    frozen_clock: LimitsClock, facilitator: Facilitator, browser: Callable[[], TestClient]
) -> None:
    attacker = browser()
    for _ in range(11):
        sign_in(attacker, "gok")
    facilitator.http.post("/f/logout", data={"csrf": facilitator.csrf()})
    # the facilitator fixture made the account on /setup in this browser, and never signed in on it since
    assert sign_in(facilitator.http, PASSWORD)[0] == 303


def test_guessing_the_current_password_on_the_account_page_counts_as_wrong_sign_ins(
    facilitator: Facilitator, frozen_clock: LimitsClock
) -> None:
    csrf = facilitator.csrf()

    def change(current: str) -> tuple[int, str]:
        form = {"csrf": csrf, "current": current, "new": "nieuw en lang genoeg"}
        response = facilitator.http.post("/f/account/wachtwoord", data=form, follow_redirects=False)
        return response.status_code, response.text

    statuses = [change(f"geraden {n}")[0] for n in range(10)]
    assert statuses == [422] * 10
    status, page = change(PASSWORD)  # even the right one waits now: a guesser cannot tell it apart
    assert status == 429 and 0 < wait_said(page) <= 60
    frozen_clock.advance(61)
    assert change(PASSWORD)[0] == 303


def test_every_sign_in_past_the_password_queue_says_when_to_retry(
    facilitator: Facilitator, browser: Callable[[], TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = invite(facilitator)
    stranger = browser()
    landing = csrf_of(stranger.get(path).text)
    # a queue of none: every password arrives to find it full, with no turns held by the test
    monkeypatch.setattr(security, "PASSWORD_QUEUE", 0)
    form = {"email": EMAIL, "password": PASSWORD}
    answers = [
        stranger.post("/f/login", data=form | {"csrf": landing}, follow_redirects=False),
        stranger.post(f"{path}/inloggen", data=form | {"csrf": landing}, follow_redirects=False),
        facilitator.http.post(
            "/f/account/wachtwoord",
            data={"csrf": facilitator.csrf(), "current": PASSWORD, "new": "nieuw en lang genoeg"},
            follow_redirects=False,
        ),
    ]
    for answer in answers:
        assert answer.status_code == 503 and "veel mensen tegelijk" in answer.text
        assert answer.headers["retry-after"] == str(security.PASSWORD_RETRY_AFTER)


def _sign_in_request(app: FastAPI) -> Request:
    """A sign-in form's request on app, from one address, without cookies."""

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "app": app, "method": "POST", "path": "/", "headers": [], "client": ("10.1.2.3", 5000)}
    return Request(scope, receive)


@pytest.mark.parametrize("shared", [False, True], ids=["one worker", "two workers on Redis"])
async def test_wrong_guesses_in_parallel_reach_the_password_check_no_more_often_than_the_limit(
    shared: bool, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis.asyncio import Redis

    if shared and not REDIS_URL:
        pytest.skip("DOORBRAAK_TEST_REDIS_URL is not set: the shared count is not tested")
    checked: list[str] = []

    def slow_check(password_hash: str | None, password: str) -> bool:
        checked.append(password)
        time.sleep(0.02)  # argon2's real parameters take a tenth of a second or more; the suite's own take nothing
        return False

    monkeypatch.setattr(security, "password_matches", slow_check)
    # as many turns as guesses: as though each had a worker of its own, every one of them in its turn at once
    monkeypatch.setattr(security, "password_turn", lambda: turns)
    turns = anyio.CapacityLimiter(40)
    workers = [create_app(settings) for _ in range(2 if shared else 1)]
    if shared:
        assert REDIS_URL is not None
        async with Redis.from_url(REDIS_URL) as redis:
            for key in await redis.keys("doorbraak-limits*"):
                await redis.delete(key)
        for worker in workers:
            worker.state.runtime.throttle = Throttle(REDIS_URL)
    try:
        attempt = SignInAttempt(account="account", address="10.1.2.3", browser=None)
        refusals = await asyncio.gather(
            *(
                password_refusal(_sign_in_request(workers[n % len(workers)]), attempt, None, f"gok {n}")
                for n in range(40)
            )
        )
    finally:
        for worker in workers:
            await worker.state.runtime.throttle.close()
    allowance = min(rule.amount for rule in workers[0].state.runtime.limits.sign_ins_per_account)
    statuses = Counter(refusal.status for refusal in refusals if refusal is not None)
    assert len(checked) == allowance and statuses == {401: allowance, 429: 40 - allowance}
