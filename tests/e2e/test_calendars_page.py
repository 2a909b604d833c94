"""The calendars page on a phone: a saved digest choice says so where it was made, a missing organisation is named."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import PHONE
from tests.e2e.test_workspace_invitation import set_up_beheerder

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect


def test_the_weekly_digest_confirms_its_save_beside_its_own_form(new_context: Callable[..., Any]) -> None:
    page = new_context(**PHONE).new_page()
    set_up_beheerder(page)
    page.goto("/f/agenda")
    digest = page.locator("#weekoverzicht")
    digest.get_by_label("Stuur mij het weekoverzicht").check()
    digest.get_by_role("button", name="Opslaan").click()
    # the page comes back scrolled to the digest: a confirmation at the page's top was out of sight on a phone
    expect(digest.get_by_role("status")).to_have_text("Opgeslagen: je krijgt het weekoverzicht elke maandag.")
    expect(digest.get_by_role("status")).to_be_in_viewport()
    expect(digest.get_by_label("Stuur mij het weekoverzicht")).to_be_checked()


def test_one_organisation_without_an_organisation_asks_for_one_and_keeps_the_choice(
    new_context: Callable[..., Any],
) -> None:
    page = new_context(**PHONE).new_page()
    set_up_beheerder(page)
    page.goto("/f/agenda")
    page.get_by_text("Eén organisatie", exact=True).click()
    page.get_by_role("button", name="Maak een agenda-link").click()
    # it said "Deze organisatie bestaat niet." (a 404) and fell back to the whole workspace
    expect(page.get_by_role("alert")).to_contain_text("Kies bij “Eén organisatie” een organisatie uit de lijst.")
    expect(page.get_by_role("radio", name="Eén organisatie")).to_be_checked()
    expect(page.locator(".feed-list")).to_contain_text("Nog geen agenda-links.")


def test_a_new_calendar_link_has_a_copy_button_as_an_invitation_has(new_context: Callable[..., Any]) -> None:
    """Shown once, with "kopieer hem nu", in a read-only field: a phone could hardly select all of it."""
    office = new_context(**PHONE)
    office.grant_permissions(["clipboard-read", "clipboard-write"])
    page = office.new_page()
    set_up_beheerder(page)
    page.goto("/f/agenda")
    page.get_by_role("button", name="Maak een agenda-link").click()
    shown = page.locator(".feed-new input").input_value()
    page.get_by_role("button", name="Kopieer link").click()
    expect(page.get_by_role("button", name="Gekopieerd")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == shown
    assert shown.endswith(".ics")
