"""Facilitator accounts: first-run setup, sign-in, cookies and CSRF."""

from typing import Any

import pytest

from app.config import Settings
from tests.conftest import PASSWORD, Facilitator, csrf_of, sign_up


def test_fresh_install_sends_sign_in_to_setup(client: Any) -> None:
    response = client.get("/f/login", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/setup"


def test_setup_creates_the_first_account_once(client: Any, browser: Any) -> None:
    facilitator = sign_up(client, email="eerste@x.nl")
    assert "Workshops" in facilitator.http.get("/f/workshops").text
    late = browser()
    assert late.get("/setup", follow_redirects=False).headers["location"] == "/f/login"
    page = late.get("/f/login")
    response = late.post(
        "/setup",
        data={"csrf": csrf_of(page.text), "name": "X", "email": "x@x.nl", "password": "lang genoeg wachtwoord"},
    )
    assert response.status_code == 409
    assert "Er is al een account" in response.text


def test_setup_names_the_first_workspace_in_the_language_it_was_filled_in(client: Any) -> None:
    client.get("/taal/en")
    page = client.get("/setup")
    response = client.post(
        "/setup",
        data={"csrf": csrf_of(page.text), "name": "Pim", "email": "pim@x.nl", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    # the name is stored, and shows on every page and in every mail: it is in the language of whoever set up
    assert 'class="workspace-name">Pim&#39;s workspace<' in client.get("/f/werkruimte").text


def test_setup_rejects_short_passwords_with_a_message(client: Any) -> None:
    page = client.get("/setup")
    response = client.post(
        "/setup", data={"csrf": csrf_of(page.text), "name": "A", "email": "a@b.nl", "password": "kort"}
    )
    assert response.status_code == 422
    assert "minstens 12 tekens" in response.text


# a repeat, a common password with digits, an English dictionary word, the account's own name: all 12 long
WEAK_PASSWORDS = ["aaaaaaaaaaaa", "wachtwoord12", "construction", "annabuurtman"]


@pytest.mark.parametrize("password", WEAK_PASSWORDS)
def test_setup_refuses_a_password_that_is_easy_to_guess(client: Any, password: str) -> None:
    page = client.get("/setup")
    response = client.post(
        "/setup",
        data={"csrf": csrf_of(page.text), "name": "Anna Buurtman", "email": "anna@b.nl", "password": password},
    )
    assert response.status_code == 422
    assert "te makkelijk te raden" in response.text
    assert client.get("/f/login", follow_redirects=False).headers["location"] == "/setup"  # no account was made


def test_a_weak_password_is_refused_in_english_too(client: Any) -> None:
    page = client.get("/setup")
    response = client.post(
        "/setup",
        data={"csrf": csrf_of(page.text), "name": "A", "email": "a@b.nl", "password": "wachtwoord12"},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422 and "too easy to guess" in response.text


@pytest.mark.parametrize("password", WEAK_PASSWORDS[:3])
def test_a_new_password_on_the_account_page_must_be_hard_to_guess(facilitator: Facilitator, password: str) -> None:
    response = facilitator.http.post(
        "/f/account/wachtwoord", data={"csrf": facilitator.csrf(), "current": PASSWORD, "new": password}
    )
    assert response.status_code == 422 and "te makkelijk te raden" in response.text


def test_session_cookie_is_httponly_and_samesite(client: Any) -> None:
    page = client.get("/setup")
    response = client.post(
        "/setup",
        data={"csrf": csrf_of(page.text), "name": "A", "email": "a@b.nl", "password": PASSWORD},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert "dbk_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_session_cookie_is_secure_over_https(app: Any) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://doorbraak.example") as secure:
        page = secure.get("/setup")
        assert "Secure" in page.headers["set-cookie"]  # the CSRF cookie
        response = secure.post(
            "/setup",
            data={"csrf": csrf_of(page.text), "name": "A", "email": "a@b.nl", "password": PASSWORD},
            follow_redirects=False,
        )
        assert "Secure" in response.headers["set-cookie"]


def _cookies_set(settings: Settings) -> list[str]:
    """Every cookie the first visit and the setup of an app with these settings set, reached over plain http."""
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(settings)) as http:
        page = http.get("/setup")
        # the test client keeps a Secure cookie from going back over http, as a browser would: handed back here
        http.cookies.set("dbk_csrf", csrf_of(page.text))
        response = http.post(
            "/setup",
            data={"csrf": csrf_of(page.text), "name": "A", "email": "a@b.nl", "password": PASSWORD},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return [*page.headers.get_list("set-cookie"), *response.headers.get_list("set-cookie")]


@pytest.mark.parametrize(
    "secure_by",
    [{"cookie_secure": True}, {"public_url": "https://doorbraak.example"}],
    ids=["DOORBRAAK_COOKIE_SECURE", "an https DOORBRAAK_PUBLIC_URL"],
)
def test_every_cookie_is_secure_where_the_site_is_https_though_the_proxy_is_not_believed(
    settings: Settings, secure_by: dict[str, Any]
) -> None:
    # behind a TLS proxy that DOORBRAAK_TRUSTED_PROXIES does not name, the request reads as plain http: the site's
    # public address (or the setting) says the browser is on https, and a cookie without Secure would also go out
    # over any plain-http request a network on the way can provoke
    cookies = _cookies_set(settings.model_copy(update=secure_by))
    assert {cookie.split("=", 1)[0] for cookie in cookies} >= {"dbk_csrf", "dbk_session", "dbk_browser"}
    assert all(cookie.lower().endswith("; secure") or "; secure;" in cookie.lower() for cookie in cookies), cookies


@pytest.mark.parametrize(
    "plain",
    [
        {},
        {"public_url": "http://192.168.1.20:8000"},
        {"public_url": "https://doorbraak.example", "cookie_secure": False},
    ],
    ids=["by default", "an http DOORBRAAK_PUBLIC_URL", "forced off over an https address"],
)
def test_cookies_are_not_secure_on_a_plain_http_site(settings: Settings, plain: dict[str, Any]) -> None:
    # a browser keeps no Secure cookie from plain http (localhost aside): signing in would fail without a word
    cookies = _cookies_set(settings.model_copy(update=plain))
    assert not any("secure" in cookie.lower() for cookie in cookies), cookies


def test_wrong_password_is_refused_without_saying_which_part(facilitator: Facilitator, browser: Any) -> None:
    other = browser()
    page = other.get("/f/login")
    for email in (facilitator.email, "onbekend@x.nl"):
        response = other.post("/f/login", data={"csrf": csrf_of(page.text), "email": email, "password": "fout"})
        assert response.status_code == 401
        assert "E-mailadres of wachtwoord klopt niet" in response.text


def test_sign_in_attempts_are_rate_limited(frozen_clock: None, facilitator: Facilitator, browser: Any) -> None:
    other = browser()
    token = csrf_of(other.get("/f/login").text)
    statuses = [
        other.post("/f/login", data={"csrf": token, "email": "a@b.nl", "password": "x"}).status_code for _ in range(12)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def test_sign_in_does_not_redirect_off_site(facilitator: Facilitator, browser: Any) -> None:
    other = browser()
    for target, expected in (
        ("//evil.example/x", "/f/workshops"),
        ("https://evil.example", "/f/workshops"),
        # a browser drops a raw tab or line break inside an address ("//evil.example"); Starlette percent-encodes
        # them in the Location, but the rule does not lean on that: it is the language switch's (web.local_path)
        ("/\t/evil.example", "/f/workshops"),
        ("/\n/evil.example", "/f/workshops"),
        ("/f/workshops/1", "/f/workshops/1"),
    ):
        # a sign-in rotates the CSRF token: each attempt takes the form's current one
        token = csrf_of(other.get("/f/login").text)
        response = other.post(
            "/f/login",
            data={"csrf": token, "email": facilitator.email, "password": PASSWORD, "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == expected, target


def test_forms_without_the_csrf_token_are_refused(facilitator: Facilitator) -> None:
    response = facilitator.http.post("/f/workshops", data={"title": "x", "opgave": "y", "held_on": "2026-11-22"})
    assert response.status_code == 403
    assert "formulier is verlopen" in response.text
    response = facilitator.http.post(
        "/f/workshops", data={"csrf": "vervalst", "title": "x", "opgave": "y", "held_on": "2026-11-22"}
    )
    assert response.status_code == 403


def test_forms_from_another_site_are_refused_even_with_a_token(facilitator: Facilitator) -> None:
    response = facilitator.http.post(
        "/f/workshops",
        headers={"origin": "https://evil.example"},
        data={"csrf": facilitator.csrf(), "title": "x", "opgave": "y", "held_on": "2026-11-22"},
    )
    assert response.status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client: Any, facilitator: Facilitator, browser: Any) -> None:
    anonymous = browser()
    response = anonymous.get("/f/workshops", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/f/login")
    assert anonymous.get("/f/workshops", headers={"accept": "application/json"}).status_code == 401
    facilitator.http.post("/f/logout", data={"csrf": facilitator.csrf()})
    assert facilitator.http.get("/f/workshops", follow_redirects=False).status_code == 303


def test_forged_session_cookie_is_ignored(facilitator: Facilitator, browser: Any) -> None:
    other = browser()
    other.cookies.set("dbk_session", "1.forged.signature")
    assert other.get("/f/workshops", follow_redirects=False).status_code == 303
