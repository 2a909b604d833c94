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
from app.store.database import Database
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, PROJECTOR
from tests.e2e.test_live_session import join, next_until, open_projector, send, start_session
from tests.e2e.test_office_fit import WORD, a_workshop_of_long_words
from tests.e2e.test_phone_actions import agree_many, row
from tests.e2e.test_register import sign_in
from tests.e2e.test_workspace_invitation import SMALL_PHONE, no_sideways_scroll
from tests.notify.conftest import join as join_as

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


def signed_in_on(new_context: Callable[..., Any], screen: dict[str, Any], tmp_path: Path) -> tuple[Any, Path, str]:
    """The member signed in on this screen; where its screenshots go, and the screen's size for their names."""
    shots = Path(os.environ.get("DOORBRAAK_SCREENSHOTS", tmp_path))
    return sign_in(new_context, "f@x.nl", **screen), shots, "{width}x{height}".format(**screen["viewport"])


@pytest.mark.parametrize("screen", [SMALL_PHONE, PROJECTOR], ids=["360x800", "1920x1080"])
def test_a_member_finds_and_forgets_one_participant_of_a_full_room(
    new_context: Callable[..., Any], live_server: str, live_settings: Settings, screen: dict[str, Any], tmp_path: Path
) -> None:
    workshop_id = a_full_room(live_server, live_settings)
    page, shots, size = signed_in_on(new_context, screen, tmp_path)
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


# hostile names as people type them: very long, a long word, markup, letters folded by search, right to left
HOSTILE = [
    WORD[:80],
    "<img src=x onerror=alert(1)> Piet",
    "İlker Öztürk-Yılmaz van der Plas tot Oostwaarde-Zuidbroek",
    "محمد العلي",
    "Anna-Maria van den Berg-Oosterhuis Verschuren",
]


def a_room_of_two_thousand(base_url: str, settings: Settings) -> int:
    """The workshop of long words with 2,000 participants joined through the service, hostile names among them."""
    workshop_id = a_workshop_of_long_words(base_url)
    db = Database(settings.resolved_database_url())

    def fill(tx: Any) -> None:
        for n in range(2000 - len(HOSTILE)):
            address = f"{WORD.lower()[:40]}.{n}@example.org" if n % 9 == 0 else None
            join_as(tx, workshop_id, f"Deelnemer {n:04d} {'Oosterhuis-' * (n % 3)}Jansen", f"Stichting {n}", address)
        for name in HOSTILE:
            join_as(tx, workshop_id, name, f"Stichting {WORD}", f"{WORD.lower()[:60]}@example.org")

    db.write_sync(fill)
    db.close()
    return workshop_id


@pytest.mark.parametrize("screen", [SMALL_PHONE, PROJECTOR], ids=["360x800", "1920x1080"])
def test_a_room_of_two_thousand_is_paged_and_searched(
    new_context: Callable[..., Any], live_server: str, live_settings: Settings, screen: dict[str, Any], tmp_path: Path
) -> None:
    workshop_id = a_room_of_two_thousand(live_server, live_settings)
    page, shots, size = signed_in_on(new_context, screen, tmp_path)
    page.on("dialog", lambda dialog: pytest.fail(f"a name ran as script: {dialog.message}"))
    page.goto(f"/f/workshops/{workshop_id}/deelnemers")
    rows = page.locator(".participant-row")
    expect(rows).to_have_count(100)
    expect(page.locator(".eyebrow")).to_have_text("Deelnemers · 2000")
    pager = page.get_by_role("navigation", name="Pagina’s")
    expect(pager.locator("[aria-current=page]")).to_have_text("1")
    no_sideways_scroll(page)
    page.screenshot(path=shots / f"deelnemers-2000-{size}.png", full_page=True)
    pager.get_by_role("link", name="20", exact=True).click()
    expect(rows).to_have_count(100)
    expect(pager.locator("[aria-current=page]")).to_have_text("20")
    no_sideways_scroll(page)
    page.screenshot(path=shots / f"deelnemers-2000-p20-{size}.png", full_page=True)
    # found by a word of the name, accents and case aside; the result said to a screen reader
    page.get_by_label("Zoek op naam of e-mailadres").fill("ilker oztu")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_role("status")).to_contain_text("1 deelnemer gevonden")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(HOSTILE[2])
    no_sideways_scroll(page)
    page.screenshot(path=shots / f"deelnemers-zoek-{size}.png", full_page=True)
    rows.first.get_by_role("link", name="Vergeten…").click()
    page.get_by_label("Typ de naam om te bevestigen").fill(HOSTILE[2])
    page.get_by_role("button", name="Naam en adres verwijderen").click()
    expect(page.get_by_role("status")).to_contain_text("De naam en het e-mailadres zijn verwijderd")
    expect(page.locator(".participant-list")).not_to_contain_text("İlker")
    page.get_by_label("Zoek op naam of e-mailadres").fill("<img")
    page.get_by_role("button", name="Zoeken").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(HOSTILE[1])
    page.goto(f"/taal/en?next=/f/workshops/{workshop_id}/deelnemers%3Fpage%3D7")
    expect(page.get_by_role("navigation", name="Pages").locator("[aria-current=page]")).to_have_text("7")
    expect(page.get_by_text("Page 7 of 20, 100 a page")).to_be_visible()
    no_sideways_scroll(page)
    page.screenshot(path=shots / f"participants-2000-p7-{size}.png", full_page=True)


@pytest.mark.parametrize("screen", [PHONE, PROJECTOR], ids=["390x844", "1920x1080"])
def test_the_way_back_stands_apart_from_the_red_button_and_quieter(
    new_context: Callable[..., Any], live_server: str, live_settings: Settings, screen: dict[str, Any], tmp_path: Path
) -> None:
    workshop_id = a_workshop_of_long_words(live_server)
    db = Database(live_settings.resolved_database_url())
    asker = db.write_sync(lambda tx: join_as(tx, workshop_id, ASKER, "Woonstichting Parkstad", "anna@example.org").id)
    db.close()
    page, shots, size = signed_in_on(new_context, screen, tmp_path)
    for language, back_to in (("nl", "Terug naar de deelnemers"), ("en", "Back to the participants")):
        page.goto(f"/taal/{language}?next=/f/workshops/{workshop_id}/deelnemers/{asker}/vergeten")
        remove = page.locator("form button.danger")
        back = page.get_by_role("link", name=back_to)
        button, link = remove.bounding_box(), back.bounding_box()
        # it sat right under the red button, a few pixels away: one slip of the thumb from removing for good
        below = link["y"] - (button["y"] + button["height"])
        beside = link["x"] - (button["x"] + button["width"])
        assert below >= 16 or (beside >= 16 and abs(link["y"] - button["y"]) < button["height"]), (button, link)
        look = """element => { const style = getComputedStyle(element);
          return [style.color, style.borderTopColor, Number(style.fontWeight)]; }"""
        danger, safe = remove.evaluate(look), back.evaluate(look)
        assert safe[0] != danger[0] and safe[1] != danger[1] and safe[2] < danger[2], (danger, safe)
        no_sideways_scroll(page)
        page.screenshot(path=shots / f"vergeten-knoppen-{language}-{size}.png", full_page=True)
