"""A phone with no way on: its participant gone, its workshop deleted before it first connected, its organisation
taken back. Each gets a final answer, or says what is true, instead of trying again and again."""

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.demo.driver import csrf_of
from tests.e2e.browser import PHONE
from tests.e2e.test_live_session import join_on, next_until, start_session
from tests.e2e.test_workspace_invitation import SMALL_PHONE, no_sideways_scroll

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect
# long enough for a client that reconnects in a loop to try several times (its first tries come within a second)
WATCHED_MS = 4000
# names as people type them: long, with a long word, on the narrowest phones
NAME = "Anna-Maria van den Berg-Oosterhuis Verschuren"
ORGANISATION = "Stichting Maatschappelijke Dienstverlening Zuidoost-Drechtsteden"
TITLE = "Jeugdoverlast Noord en de Gezamenlijke Buurtaanpak Ondersteuningsstructuur"
SCREENS = {"360x800": SMALL_PHONE, "390x844": PHONE}


def shoot(phone: Any, name: str) -> None:
    """A screenshot to look at by hand, when DOORBRAAK_SCREENSHOTS names a folder."""
    shots = os.environ.get("DOORBRAAK_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=f"{shots}/{name}.png", full_page=True)


def count_sockets(page: Any) -> dict[str, int]:
    """How many websockets the page opens from now on."""
    opened = {"n": 0}
    page.on("websocket", lambda _: opened.__setitem__("n", opened["n"] + 1))
    return opened


def kept_of(phone: Any, code: str) -> list[str]:
    """What the phone keeps in its storage of this workshop."""
    keys = phone.evaluate("Object.keys(localStorage).filter((key) => key.startsWith('doorbraak:'))")
    return [key for key in keys if code in key]


def in_language(phone: Any, lang: str, code: str) -> None:
    """Switch the phone's page to a language, back on its own page."""
    phone.goto(f"/taal/{lang}?next=/j/{code}")
    expect(phone.locator("#status")).to_have_attribute("data-state", "online")


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("screen", SCREENS.values(), ids=SCREENS.keys())
def test_a_phone_whose_participant_is_gone_says_so_forgets_what_it_kept_and_offers_to_join_again(
    new_context: Callable[..., Any], screen: dict[str, Any], lang: str
) -> None:
    session = start_session(new_context, title=TITLE)
    phone = join_on(new_context(**screen).new_page(), session.code, NAME, ORGANISATION)
    in_language(phone, lang, session.code)
    next_until(session.board, "Obstakels")
    # typed, not sent: the phone keeps it, as it keeps what waits to be sent
    phone.locator("#step textarea").fill("Niemand weet wie de sleutel van het buurthuis heeft")
    phone.wait_for_function(
        "(code) => Object.keys(localStorage).some((key) => key.startsWith('doorbraak:') && key.includes(code))",
        arg=session.code,
    )
    # the browser no longer has the cookie that made it this participant (it ran out, or was cleared); the
    # connection drops, and every handshake from now on finds no participant of the workshop
    phone.context.clear_cookies()
    opened = count_sockets(phone)
    phone.context.set_offline(True)
    expect(phone.locator("#status")).to_have_attribute("data-state", "offline")
    phone.context.set_offline(False)

    said = {
        "nl": ("Deze telefoon doet niet meer mee aan deze workshop.", "Opnieuw meedoen"),
        "en": ("This phone is no longer taking part in this workshop.", "Join again"),
    }[lang]
    expect(phone.get_by_role("alert")).to_contain_text(said[0])
    for shown in (NAME, ORGANISATION, "Niemand weet wie"):
        expect(phone.locator("body")).not_to_contain_text(shown)
    no_sideways_scroll(phone)
    shoot(phone, f"participant-removed-{lang}-{screen['viewport']['width']}")
    # one final answer: no try after it, and what the phone kept of its participant went
    tried = opened["n"]
    phone.wait_for_timeout(WATCHED_MS)
    assert opened["n"] == tried == 1
    assert kept_of(phone, session.code) == []
    # the room is still open: joining again is one tap away
    phone.get_by_role("link", name=said[1]).click()
    expect(phone.locator("#join-form")).to_be_visible()


def test_a_closed_workshops_phone_whose_participant_is_gone_offers_no_join(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title=TITLE)
    phone = join_on(new_context(**SMALL_PHONE).new_page(), session.code, NAME, ORGANISATION)
    next_until(session.board, "Afronding")
    expect(phone.locator("#step h1")).to_have_text("Dank je wel!")
    phone.context.clear_cookies()
    phone.context.set_offline(True)
    phone.context.set_offline(False)
    expect(phone.get_by_role("alert")).to_have_text("Deze telefoon doet niet meer mee aan deze workshop.")
    expect(phone.get_by_role("link")).to_have_count(0)


def delete_over_http(base_url: str, board: Any, title: str) -> None:
    """Delete the board's workshop as its facilitator, from outside the browser (a colleague's other screen)."""
    workshop_path = re.sub(r"^https?://[^/]+", "", board.url)
    cookies = {cookie["name"]: cookie["value"] for cookie in board.context.cookies()}
    with httpx.Client(base_url=base_url, cookies=cookies) as office:
        asked = office.get(f"{workshop_path}/verwijderen")
        done = office.post(f"{workshop_path}/verwijderen", data={"csrf": csrf_of(asked.text), "title": title})
        assert done.status_code == 303, done.text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_phone_whose_workshop_went_before_its_first_connection_says_so_and_stops(
    new_context: Callable[..., Any], live_server: str, lang: str
) -> None:
    session = start_session(new_context, title=TITLE)
    phone = join_on(new_context(**SMALL_PHONE).new_page(), session.code, NAME, ORGANISATION)
    in_language(phone, lang, session.code)
    next_until(session.board, "Obstakels")
    # typed, not sent: kept on the phone, and taken in by the page loaded next
    phone.locator("#step textarea").fill("Niemand weet wie de sleutel van het buurthuis heeft")

    # the page is loaded again and drawn; the workshop is deleted while its script is still on the way, so no
    # socket of it was open to be closed, and the phone has seen no snapshot
    def deleted_first(route: Any) -> None:
        delete_over_http(live_server, session.board, TITLE)
        route.continue_()

    phone.route(lambda url: url.endswith("/phone.js"), deleted_first)
    opened = count_sockets(phone)
    phone.reload()
    removed = {"nl": "Deze workshop is verwijderd.", "en": "This workshop has been removed."}[lang]
    expect(phone.get_by_role("alert")).to_have_text(re.compile(f"^{re.escape(removed)}"))
    expect(phone.locator("body")).not_to_contain_text(NAME)
    no_sideways_scroll(phone)
    shoot(phone, f"workshop-removed-first-{lang}-360")
    tried = opened["n"]
    phone.wait_for_timeout(WATCHED_MS)
    assert opened["n"] == tried == 1
    assert kept_of(phone, session.code) == []


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("screen", SCREENS.values(), ids=SCREENS.keys())
def test_a_phones_header_stops_presenting_an_organisation_taken_back_as_theirs(
    new_context: Callable[..., Any], screen: dict[str, Any], lang: str
) -> None:
    session = start_session(new_context, title=TITLE)
    phone = join_on(new_context(**screen).new_page(), session.code, NAME, ORGANISATION)
    in_language(phone, lang, session.code)
    me = phone.locator("p.me")
    unconfirmed = {"nl": "niet bevestigd: ", "en": "not confirmed: "}[lang]
    expect(me).to_have_text(f"{NAME} · {ORGANISATION}")

    # the office, in another tab of the board's browser, says she does not belong to it
    office = session.board.context.new_page()
    office.goto(session.board.url + "/deelnemers")
    person = office.locator(".participant-row", has_text=NAME)
    person.get_by_role("button", name="Hoort niet bij deze organisatie").click()
    expect(person).to_contain_text("organisatie teruggenomen")
    # the open phone follows without a reload, and so does its page when it is loaded again
    expect(me).to_have_text(f"{NAME} · {unconfirmed}{ORGANISATION}")
    assert unconfirmed in (me.get_attribute("title") or "")
    no_sideways_scroll(phone)
    shoot(phone, f"claim-taken-back-{lang}-{screen['viewport']['width']}")
    phone.reload()
    expect(me).to_have_text(f"{NAME} · {unconfirmed}{ORGANISATION}")
    expect(phone.locator("#status")).to_have_attribute("data-state", "online")
    expect(me).to_have_text(f"{NAME} · {unconfirmed}{ORGANISATION}")

    # given back: theirs again, here and after a reload
    person.get_by_role("button", name="Hoort toch bij deze organisatie").click()
    expect(me).to_have_text(f"{NAME} · {ORGANISATION}")
    phone.reload()
    expect(me).to_have_text(f"{NAME} · {ORGANISATION}")
