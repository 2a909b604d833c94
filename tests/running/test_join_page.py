"""The join page a fresh phone gets: rendered once per few seconds, each phone's own CSRF token filled in."""

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import col

from app.auth import CSRF_COOKIE
from app.catalog.service import formats
from app.demo.driver import csrf_of
from app.models import Workshop as WorkshopRow
from tests.conftest import Facilitator


def token_free(page: str, token: str) -> str:
    """The page with this phone's token taken out, to compare two phones' pages."""
    assert page.count(token) == 2  # the page's meta tag and the join form's hidden field
    return page.replace(token, "TOKEN")


def test_each_fresh_phone_gets_the_same_page_with_its_own_token(
    facilitator: Facilitator, browser: Callable[[], TestClient]
) -> None:
    workshop = facilitator.create_workshop()
    pages = []
    for encoding in ("gzip", "identity", "gzip"):
        phone = browser()
        response = phone.get(f"/j/{workshop.code}", headers={"Accept-Encoding": encoding})
        assert response.status_code == 200
        assert response.headers.get("content-encoding") == ("gzip" if encoding == "gzip" else None)
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        token = phone.cookies[CSRF_COOKIE]
        assert csrf_of(response.text) == token
        pages.append(token_free(response.text, token))
        # the token is this phone's: its join goes through
        joined = phone.post(
            f"/j/{workshop.code}/participant",
            data={"csrf": token, "name": "Ilse", "organisation": "Buurtteam"},
            follow_redirects=False,
        )
        assert joined.status_code == 303, joined.text
    assert pages[0] == pages[1] == pages[2]


def test_a_token_from_another_phone_is_refused(facilitator: Facilitator, browser: Callable[[], TestClient]) -> None:
    workshop = facilitator.create_workshop()
    first, second = browser(), browser()
    first_page = first.get(f"/j/{workshop.code}").text
    second.get(f"/j/{workshop.code}")
    stolen = second.post(
        f"/j/{workshop.code}/participant",
        data={"csrf": csrf_of(first_page), "name": "Ilse", "organisation": "Buurtteam"},
        follow_redirects=False,
    )
    assert stolen.status_code == 403


def test_a_changed_workshop_is_shown_at_once(
    app: FastAPI, client: TestClient, facilitator: Facilitator, browser: Callable[[], TestClient]
) -> None:
    workshop = facilitator.create_workshop(title="Wijkavond Noord")
    assert "Wijkavond Noord" in browser().get(f"/j/{workshop.code}").text

    def rename(db: Any) -> None:
        db.execute(update(WorkshopRow).where(col(WorkshopRow.id) == workshop.id).values(title="Wijkavond Zuid"))

    client.portal.call(partial(app.state.runtime.db.write, rename))
    page = browser().get(f"/j/{workshop.code}").text
    assert "Wijkavond Zuid" in page
    assert "Wijkavond Noord" not in page


def test_a_closed_workshop_is_closed_at_once(facilitator: Facilitator, browser: Callable[[], TestClient]) -> None:
    workshop = facilitator.create_workshop()
    assert browser().get(f"/j/{workshop.code}").status_code == 200
    facilitator.go(workshop, formats()["doorbraak"].steps[-1].id)
    assert browser().get(f"/j/{workshop.code}").status_code == 410


def test_each_language_has_its_own_page(facilitator: Facilitator, browser: Callable[[], TestClient]) -> None:
    workshop = facilitator.create_workshop()
    dutch = browser().get(f"/j/{workshop.code}", headers={"Accept-Language": "nl"}).text
    english = browser().get(f"/j/{workshop.code}", headers={"Accept-Language": "en"}).text
    assert '<html lang="nl">' in dutch and "Wie ben je?" in dutch
    assert '<html lang="en">' in english and "Wie ben je?" not in english


def test_the_language_switch_links_back_to_the_address_as_typed(
    facilitator: Facilitator, browser: Callable[[], TestClient]
) -> None:
    workshop = facilitator.create_workshop()
    lower = browser().get(f"/j/{workshop.code.lower()}").text
    upper = browser().get(f"/j/{workshop.code}").text
    assert f"next=/j/{workshop.code.lower()}" in lower
    assert f"next=/j/{workshop.code}" in upper
    # an address with a query is rendered on its own, its query escaped in the link
    odd = browser().get(f"/j/{workshop.code}", params={"x": '"><script>'}).text
    assert "<script>" not in re.sub(r"<script type=\"module\"[^>]*></script>", "", odd)
    assert "next=/j/" in odd


def test_a_cookie_of_no_participant_gets_the_join_page(
    facilitator: Facilitator, browser: Callable[[], TestClient]
) -> None:
    workshop = facilitator.create_workshop()
    phone = browser()
    phone.cookies.set(f"dbk_p_{workshop.code}", "een-token-dat-niemand-heeft")
    page = phone.get(f"/j/{workshop.code}")
    assert page.status_code == 200 and 'id="join-form"' in page.text


def test_a_workshop_that_allows_anonymity_offers_it(
    facilitator: Facilitator, browser: Callable[[], TestClient]
) -> None:
    open_to_all = facilitator.create_workshop(allow_anonymous=True)
    named = facilitator.create_workshop()
    assert "Anoniem meedoen" in browser().get(f"/j/{open_to_all.code}").text
    assert "Anoniem meedoen" not in browser().get(f"/j/{named.code}").text


def test_a_code_with_a_control_character_finds_no_workshop(
    facilitator: Facilitator, browser: Callable[[], TestClient]
) -> None:
    # PostgreSQL refuses a NUL in text with an error: it must never reach the database, as a miss or a 500 would say
    workshop = facilitator.create_workshop()
    phone = browser()
    page = phone.get("/")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    for code in ("%00", f"{workshop.code[:3]}%00{workshop.code[3:]}", "AB%07C", "%C3%9F"):
        assert phone.get(f"/j/{code}").status_code == 404, code
        refused = phone.post(f"/j/{code}/participant", data={"csrf": csrf, "name": "Ali", "organisation": "GGD"})
        assert refused.status_code == 404, code
    typed = phone.post("/join", data={"csrf": csrf, "code": f"{workshop.code}\x00"}, follow_redirects=False)
    assert typed.status_code < 500
    assert phone.get(f"/j/{workshop.code.lower()}").status_code == 200
