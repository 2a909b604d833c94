"""A member forgets one participant of a full room at their request: found in the list, confirmed by the name."""

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, update
from sqlmodel import col

from app.config import Settings
from app.demo.driver import csrf_of
from app.models import Participant
from tests.conftest import PASSWORD
from tests.e2e.conftest import PROJECTOR
from tests.e2e.test_live_session import join, next_until, open_projector, send, start_session
from tests.e2e.test_office_fit import WORD, a_workshop_of_long_words
from tests.e2e.test_phone_actions import agree_many, row
from tests.e2e.test_register import sign_in
from tests.e2e.test_workspace_invitation import SMALL_PHONE, no_sideways_scroll

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

# the participant who asks: a long name as people type it, and an address with a long word in it
ASKER = "Anna-Maria van den Berg-Oosterhuis Verschuren"
PEOPLE = [(f"Deelnemer {n:02d} {'Oosterhuis-' * (n % 3)}Jansen", f"Stichting {WORD[: 10 + n]}") for n in range(33)]


def a_full_room(base_url: str, settings: Settings) -> int:
    """The workshop of long words with 34 participants, every fourth with an address; returns its id."""
    workshop_id = a_workshop_of_long_words(base_url)
    with httpx.Client(base_url=base_url) as office:
        login = office.get("/f/login")
        office.post("/f/login", data={"csrf": csrf_of(login.text), "email": "f@x.nl", "password": PASSWORD})
        board = office.get(f"/f/workshops/{workshop_id}").text
    code_chip = re.search(r'class="code-chip"[^>]*>([^<]+)<', board)
    assert code_chip is not None
    code = code_chip.group(1).replace(" ", "")
    with httpx.Client(base_url=base_url) as phone:
        for name, organisation in [(ASKER, "Woonstichting Parkstad"), *PEOPLE]:
            phone.cookies.clear()
            page = phone.get(f"/j/{code}")
            joined = phone.post(
                f"/j/{code}/participant", data={"csrf": csrf_of(page.text), "name": name, "organisation": organisation}
            )
            assert joined.status_code in (200, 303), joined.text
    # the addresses they gave on Mijn afspraken, written straight into the server's database
    engine = create_engine(settings.resolved_database_url())
    with engine.begin() as db:
        for participant_id in range(1, 35, 4):
            address = f"{WORD.lower()[:40]}.{participant_id}@example.org"
            db.execute(update(Participant).where(col(Participant.id) == participant_id).values(email=address))
    engine.dispose()
    return workshop_id


@pytest.mark.parametrize("screen", [SMALL_PHONE, PROJECTOR], ids=["360x800", "1920x1080"])
def test_a_member_finds_and_forgets_one_participant_of_a_full_room(
    new_context: Callable[..., Any], live_server: str, live_settings: Settings, screen: dict[str, Any], tmp_path: Path
) -> None:
    workshop_id = a_full_room(live_server, live_settings)
    shots = Path(os.environ.get("DOORBRAAK_SCREENSHOTS", tmp_path))
    size = "{width}x{height}".format(**screen["viewport"])
    page = sign_in(new_context, "f@x.nl", **screen)
    page.goto(f"/f/workshops/{workshop_id}/besluitenlijst")
    page.get_by_role("link", name="Deelnemers en hun gegevens").click()
    rows = page.locator(".participant-row")
    expect(rows).to_have_count(34)
    no_sideways_scroll(page)
    page.screenshot(path=shots / f"deelnemers-{size}.png", full_page=True)
    asker = rows.filter(has_text=ASKER)
    asker.get_by_role("link", name="Vergeten…").click()
    expect(page.get_by_role("heading", name=ASKER)).to_be_visible()
    page.get_by_label("Typ de naam om te bevestigen").fill("Anna-Maria")
    page.get_by_role("button", name="Naam en adres verwijderen").click()
    expect(page.get_by_role("alert")).to_contain_text("precies over")
    no_sideways_scroll(page)
    page.screenshot(path=shots / f"vergeten-fout-{size}.png", full_page=True)
    page.get_by_label("Typ de naam om te bevestigen").fill(ASKER.upper())
    page.get_by_role("button", name="Naam en adres verwijderen").click()
    expect(page.get_by_role("status")).to_contain_text("De naam en het e-mailadres zijn verwijderd")
    expect(rows).to_have_count(34)
    expect(page.locator(".participant-list")).not_to_contain_text(ASKER)
    expect(rows.last).to_contain_text("Naam verwijderd")
    no_sideways_scroll(page)
    page.screenshot(path=shots / f"deelnemers-na-{size}.png", full_page=True)


def test_open_screens_lose_a_forgotten_name_without_a_reload(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    board = session.board
    projector = open_projector(new_context, session)
    name = "Zora Quist-Verhoeven"
    zora = join(new_context, session.code, name, "Bibliotheek Noord")
    other = join(new_context, session.code, "Bea", "Wijkteam Noord")
    next_until(board, "Obstakels")
    send(zora, "Niemand weet wie de sleutel van het buurthuis heeft.")
    expect(board.locator("#answers")).to_contain_text(name)
    next_until(board, "Afspraken")
    agree_many(board, [{"title": "Sleutelplan buurthuis", "owner_organisation": "Welzijn"}])
    row(zora, "Sleutelplan buurthuis").get_by_role("button", name="Ik doe mee").click()
    for screen in (board, projector):
        expect(screen.locator("main")).to_contain_text(name)
    row(other, "Sleutelplan buurthuis").locator(".action-toggle").click()
    expect(row(other, "Sleutelplan buurthuis").locator(".action-details")).to_contain_text(name)

    # the member forgets her in another tab; the board, the projector and the other phone stay as they are
    office = board.context.new_page()
    office.goto(board.url + "/deelnemers")
    office.locator(".participant-row").filter(has_text=name).get_by_role("link", name="Vergeten…").click()
    office.get_by_label("Typ de naam om te bevestigen").fill(name)
    office.get_by_role("button", name="Naam en adres verwijderen").click()
    expect(office.get_by_role("status")).to_contain_text("De naam en het e-mailadres zijn verwijderd")
    for screen in (board, projector):
        expect(screen.locator("main")).not_to_contain_text("Zora")
    expect(board.locator("#answers")).to_contain_text("Niemand weet wie de sleutel")
    expect(projector.locator("main")).to_contain_text("Doen mee: Bibliotheek Noord")
    expect(row(other, "Sleutelplan buurthuis").locator(".action-details")).not_to_contain_text("Zora")
    expect(row(other, "Sleutelplan buurthuis").locator(".action-details")).to_contain_text("Bibliotheek Noord")
