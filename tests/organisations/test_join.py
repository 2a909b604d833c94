"""Joining with an organisation: the list a phone may pick from, and the join form with and without its script."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.catalog.service import formats
from app.demo.driver import csrf_of
from app.models import Participant
from app.runtime import ShortCache
from tests.conftest import Workshop
from tests.organisations.conftest import Office, form, organisations_of


def choices(http: TestClient, workshop: Workshop) -> list[dict[str, Any]]:
    """The list the join page's script fetches."""
    response = http.get(f"/j/{workshop.code}/organisaties", headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    return response.json()["organisations"]


def expire_join_lists(app: FastAPI) -> None:
    """Forget the cached join lists and the join pages made with them, as five seconds would."""
    app.state.runtime.join_lists = ShortCache(seconds=5)
    app.state.runtime.pages = ShortCache(seconds=5)


def participants(app: FastAPI) -> list[tuple[str, str, int | None]]:
    """Every participant's name, organisation as shown, and organisation id, in the order they joined."""
    return app.state.runtime.db.read_sync(
        lambda db: list(
            db.execute(
                select(col(Participant.name), col(Participant.organisation), col(Participant.organisation_id)).order_by(
                    col(Participant.id)
                )
            ).all()
        )
    )


@pytest.fixture
def network(office: Office) -> Office:
    """A workspace with three confirmed organisations, one with a short name and one with an alias."""
    for fields in (
        {"name": "Gemeente Heerlen", "aliases": "Gem. Heerlen"},
        {"name": "GGD Zuid-Limburg", "short_name": "GGD"},
        {"name": "Zuyderland", "aliases": "Zuyderland Medisch Centrum"},
    ):
        assert form(office.beheerder, "/f/organisaties", fields).status_code == 303
    return office


def test_the_list_holds_confirmed_organisations_and_names_used_in_the_workshop_only(
    app: FastAPI, network: Office, join: Callable[..., Any], browser: Callable[[], TestClient]
) -> None:
    workshop = network.beheerder.create_workshop()
    other = network.beheerder.create_workshop(title="Een andere avond")
    join(workshop, "Ali", "Buurtteam Noord")
    join(other, "Bea", "Wijkagenten")
    expire_join_lists(app)
    found = choices(browser(), workshop)
    assert found == [
        {"name": "Buurtteam Noord", "also": []},
        {"name": "Gemeente Heerlen", "also": ["Gem. Heerlen"]},
        {"name": "GGD Zuid-Limburg", "also": ["GGD"]},
        {"name": "Zuyderland", "also": ["Zuyderland Medisch Centrum"]},
    ]


def test_the_list_goes_gzipped_to_a_browser_that_takes_it(network: Office, browser: Callable[[], TestClient]) -> None:
    workshop = network.beheerder.create_workshop()
    phone = browser()
    packed = phone.get(f"/j/{workshop.code}/organisaties", headers={"Accept-Encoding": "gzip"})
    plain = phone.get(f"/j/{workshop.code}/organisaties", headers={"Accept-Encoding": "identity"})
    refused = phone.get(f"/j/{workshop.code}/organisaties", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert (packed.headers["content-encoding"], packed.headers["content-type"]) == ("gzip", "application/json")
    assert "content-encoding" not in plain.headers
    # a q of 0 refuses gzip, though the header names it
    assert "content-encoding" not in refused.headers and refused.json() == plain.json()
    assert packed.json() == plain.json()
    assert [choice["name"] for choice in plain.json()["organisations"]] == [
        "Gemeente Heerlen",
        "GGD Zuid-Limburg",
        "Zuyderland",
    ]


def test_the_list_is_read_once_for_a_few_seconds(
    app: FastAPI, network: Office, browser: Callable[[], TestClient]
) -> None:
    workshop = network.beheerder.create_workshop()
    phone = browser()
    assert len(choices(phone, workshop)) == 3
    form(network.beheerder, "/f/organisaties", {"name": "Politie Limburg"})
    assert len(choices(phone, workshop)) == 3  # the cached list, as every phone of a join storm gets it
    expire_join_lists(app)
    assert len(choices(phone, workshop)) == 4


def test_the_join_page_shows_new_organisations_once_the_list_is_read_again(
    app: FastAPI, office: Office, browser: Callable[[], TestClient]
) -> None:
    workshop = office.beheerder.create_workshop()
    assert form(office.beheerder, "/f/organisaties", {"name": "Gemeente Heerlen"}).status_code == 303
    assert "<option>Gemeente Heerlen</option>" in browser().get(f"/j/{workshop.code}").text
    assert form(office.beheerder, "/f/organisaties", {"name": "Politie Limburg"}).status_code == 303
    # within the few seconds the list is kept, as the script's list is
    assert "Politie Limburg" not in browser().get(f"/j/{workshop.code}").text
    expire_join_lists(app)
    assert "<option>Politie Limburg</option>" in browser().get(f"/j/{workshop.code}").text


def test_a_kept_join_page_follows_the_list_read_again_before_the_page_itself_expires(
    app: FastAPI, office: Office, browser: Callable[[], TestClient]
) -> None:
    workshop = office.beheerder.create_workshop()
    assert "Politie Limburg" not in browser().get(f"/j/{workshop.code}").text
    assert form(office.beheerder, "/f/organisaties", {"name": "Politie Limburg"}).status_code == 303
    # the two are kept for the same few seconds, from different moments: the list was read again while the page
    # made with the one before was still kept (a walk of the room met it as a 500 in the test environment)
    app.state.runtime.join_lists = ShortCache(seconds=5)
    page = browser().get(f"/j/{workshop.code}")
    assert page.status_code == 200
    assert "<option>Politie Limburg</option>" in page.text


def test_the_short_cache_forgets_after_its_period_and_keeps_a_bounded_number() -> None:
    now = [100.0]
    cache: ShortCache[int, str] = ShortCache(seconds=5, max_keys=2, clock=lambda: now[0])
    cache.put(1, "een")
    now[0] += 5
    assert cache.get(1) == "een"
    now[0] += 0.1
    assert cache.get(1) is None
    cache.put(1, "een")
    cache.put(2, "twee")
    cache.put(3, "drie")
    assert (cache.get(1), cache.get(2), cache.get(3)) == (None, "twee", "drie")


def test_an_unknown_code_is_a_404_counted_against_the_wrong_code_limit(
    app: FastAPI, frozen_clock: None, browser: Callable[[], TestClient]
) -> None:
    phone = browser()
    limit = app.state.runtime.limits.unknown_codes[0].amount
    statuses = [
        phone.get("/j/ZZZZZZ/organisaties", headers={"Accept": "application/json"}).status_code for _ in range(limit)
    ]
    assert statuses == [404] * limit
    # the join page's own wrong-code counter is the same one
    assert phone.get("/j/ZZZZZY").status_code == 429


def test_a_closed_workshop_offers_no_list(network: Office, browser: Callable[[], TestClient]) -> None:
    workshop = network.beheerder.create_workshop()
    network.beheerder.go(workshop, formats()["doorbraak"].steps[-1].id)
    assert browser().get(f"/j/{workshop.code}/organisaties").status_code == 410


def test_the_join_page_without_script_offers_a_list_and_a_field_for_any_other_name(
    network: Office, browser: Callable[[], TestClient]
) -> None:
    workshop = network.beheerder.create_workshop()
    page = browser().get(f"/j/{workshop.code}").text
    assert '<select name="organisation_choice">' in page
    for name in ("Gemeente Heerlen", "GGD Zuid-Limburg", "Zuyderland"):
        assert f"<option>{name}</option>" in page
    assert 'name="organisation"' in page
    assert "js/join.js" in page


def test_an_empty_list_leaves_the_plain_field(office: Office, browser: Callable[[], TestClient]) -> None:
    workshop = office.beheerder.create_workshop()
    page = browser().get(f"/j/{workshop.code}", headers={"Accept-Encoding": "gzip"})
    assert "organisation_choice" not in page.text
    assert "js/join.js" not in page.text
    assert 'name="organisation"' in page.text


def test_a_join_page_with_a_list_goes_gzipped(network: Office, browser: Callable[[], TestClient]) -> None:
    workshop = network.beheerder.create_workshop()
    packed = browser().get(f"/j/{workshop.code}", headers={"Accept-Encoding": "gzip"})
    plain = browser().get(f"/j/{workshop.code}", headers={"Accept-Encoding": "identity"})
    assert packed.headers["content-encoding"] == "gzip"
    assert int(packed.headers["content-length"]) < len(plain.content)
    assert "<option>Zuyderland</option>" in packed.text
    assert "content-encoding" not in plain.headers


def post_join(http: TestClient, workshop: Workshop, **fields: str) -> Any:
    """Send the join form without its script, as a phone without JavaScript does."""
    page = http.get(f"/j/{workshop.code}")
    return http.post(
        f"/j/{workshop.code}/participant", data={"csrf": csrf_of(page.text), **fields}, follow_redirects=False
    )


def test_joining_by_the_list_or_by_typing(app: FastAPI, network: Office, browser: Callable[[], TestClient]) -> None:
    workshop = network.beheerder.create_workshop()
    by_name = organisations_of(app, network.workspace_id)
    # picked from the list
    assert post_join(browser(), workshop, name="Ali", organisation_choice="GGD Zuid-Limburg").status_code == 303
    # "anders": typed, and the list left alone
    assert (
        post_join(browser(), workshop, name="Bea", organisation_choice="", organisation="Buurtteam Noord").status_code
        == 303
    )
    # typed an alias or another spelling: the network's name
    assert post_join(browser(), workshop, name="Cas", organisation="gem heerlen").status_code == 303
    # both: what was typed wins
    assert (
        post_join(browser(), workshop, name="Dirk", organisation_choice="Zuyderland", organisation="GGD").status_code
        == 303
    )
    new = organisations_of(app, network.workspace_id)["Buurtteam Noord"]
    assert participants(app) == [
        ("Ali", "GGD Zuid-Limburg", by_name["GGD Zuid-Limburg"].id),
        ("Bea", "Buurtteam Noord", new.id),
        ("Cas", "Gemeente Heerlen", by_name["Gemeente Heerlen"].id),
        ("Dirk", "GGD Zuid-Limburg", by_name["GGD Zuid-Limburg"].id),
    ]
    assert not new.confirmed


def test_joining_with_neither_keeps_what_was_typed(
    app: FastAPI, network: Office, browser: Callable[[], TestClient]
) -> None:
    workshop = network.beheerder.create_workshop()
    response = post_join(browser(), workshop, name="Ali", organisation_choice="", organisation="  ")
    assert response.status_code == 422
    assert "Vul je organisatie in." in response.text
    assert 'value="Ali"' in response.text
    assert '<select name="organisation_choice">' in response.text
    picked = post_join(browser(), workshop, name="", organisation_choice="Zuyderland")
    assert picked.status_code == 422
    assert "<option selected>Zuyderland</option>" in picked.text
    assert participants(app) == []


def test_a_name_typed_without_its_accents_joins_the_organisation_that_has_them(
    app: FastAPI, network: Office, browser: Callable[[], TestClient]
) -> None:
    assert form(network.beheerder, "/f/organisaties", {"name": "Südwest Wonen"}).status_code == 303
    workshop = network.beheerder.create_workshop()
    by_name = organisations_of(app, network.workspace_id)
    assert post_join(browser(), workshop, name="Ali", organisation="sudwest wonen").status_code == 303
    assert post_join(browser(), workshop, name="Bea", organisation="Zuyderländ").status_code == 303
    assert participants(app) == [
        ("Ali", "Südwest Wonen", by_name["Südwest Wonen"].id),
        ("Bea", "Zuyderland", by_name["Zuyderland"].id),
    ]
    assert organisations_of(app, network.workspace_id).keys() == by_name.keys()
