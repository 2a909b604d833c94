"""A whole doorbraak session in real browsers: facilitator, projector and phones on one live server."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import LAPTOP, PHONE, PROJECTOR

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

OBSTACLES_PROMPT = "Wat is hier het grootste obstakel?"
CONTRIBUTIONS_PROMPT = "Wat is jouw eigen bijdrage daarin?"


@dataclass
class Session:
    """A workshop as its facilitator's board shows it."""

    board: Any
    code: str
    projector_path: str
    dialogs: list[str]  # alerts the board raised


def start_session(
    new_context: Callable[..., Any],
    title: str = "Jeugdoverlast Noord",
    format_key: str = "doorbraak",
    opgave: str = "Samen zorgen dat jongeren in Noord een plek hebben en buren rust.",
) -> Session:
    """First-run setup, a new workshop, and its board open and live."""
    board = new_context(**LAPTOP).new_page()
    board.goto("/setup")
    board.get_by_label("Naam").fill("Fenna Facilitator")
    board.get_by_label("E-mailadres").fill("fenna@buurtalliantie.nl")
    board.get_by_label("Wachtwoord").fill(PASSWORD)
    board.get_by_role("button", name="Account maken").click()
    expect(board).to_have_url(re.compile(r"/f/workshops$"))

    board.get_by_label("Titel").fill(title)
    board.get_by_label("De opgave").fill(opgave)
    board.get_by_label("Datum").fill("2026-11-22")
    board.get_by_label("Werkvorm").select_option(format_key)
    board.get_by_role("button", name="Workshop maken").click()
    expect(board).to_have_url(re.compile(r"/f/workshops/\d+$"))
    expect(board.locator("#status")).to_have_attribute("data-state", "online")

    dialogs: list[str] = []
    board.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    code = board.locator(".code-chip").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z0-9]{6}", code), code
    projector_path = board.locator("#projector-link").get_attribute("href")
    assert projector_path and projector_path.startswith("/p/")
    return Session(board=board, code=code, projector_path=projector_path, dialogs=dialogs)


def current_step(board: Any) -> int:
    """The index of the step the board shows as current."""
    return int(board.locator(".step-button.current").get_attribute("data-index"))


def next_until(board: Any, title: str) -> None:
    """Press "Volgende" until the step with this title is current (a format may have steps in between)."""
    target = int(board.locator(".step-button", has_text=title).get_attribute("data-index"))
    assert target > current_step(board), f"{title} is not ahead"
    for index in range(current_step(board) + 1, target + 1):
        board.get_by_role("button", name="Volgende").click()
        expect(board.locator(".step-button.current")).to_have_attribute("data-index", str(index))


def open_projector(new_context: Callable[..., Any], session: Session) -> Any:
    """The projector in a context of its own: no sign-in, just the link."""
    projector = new_context(**PROJECTOR).new_page()
    projector.goto(session.projector_path)
    expect(projector.locator("#status")).to_have_attribute("data-state", "online")
    return projector


def join(new_context: Callable[..., Any], code: str, name: str, organisation: str, **options: Any) -> Any:
    """A phone scanning the code and filling in the join form."""
    return join_on(new_context(**PHONE, **options).new_page(), code, name, organisation)


def join_on(phone: Any, code: str, name: str, organisation: str) -> Any:
    """A page that opens the code's link and fills in the join form, as a phone does."""
    phone.goto(f"/j/{code}")
    form = phone.locator("#join-form")
    form.get_by_label("Je naam").fill(name)
    form.get_by_label("Je organisatie").fill(organisation)
    form.get_by_role("button", name="Meedoen").click()
    expect(phone.locator("#step")).to_be_visible()
    expect(phone.locator(".me")).to_contain_text(name)
    return phone


def send(phone: Any, text: str, obstacle: str | None = None) -> None:
    """Type an answer on a phone (picking its obstacle first in the contribution round) and send it."""
    step = phone.locator("#step")
    if obstacle is not None:
        step.locator("select").select_option(label=obstacle)
    step.locator("textarea").fill(text)
    step.get_by_role("button", name="Versturen").click()


def mine(phone: Any, text: str) -> Any:
    """A phone's own answer in its list."""
    return phone.locator("#my-answers li.answer").filter(
        has=phone.locator(".text", has_text=re.compile(f"^{re.escape(text)}$"))
    )


def note(projector: Any, text: str) -> Any:
    """A card on the projector wall, by its own text (not its pledges)."""
    return projector.locator("#round-answers article.note").filter(
        has=projector.locator(":scope > p.text", has_text=re.compile(f"^{re.escape(text)}$"))
    )


def board_row(board: Any, text: str) -> Any:
    """An answer on the facilitator's board."""
    return board.locator("#answers .board-answer").filter(
        has=board.locator(":scope > p.text", has_text=re.compile(f"^{re.escape(text)}$"))
    )


def test_a_whole_session_runs_live_across_board_projector_and_phones(new_context: Callable[..., Any]) -> None:
    # 1. the facilitator sets up, creates a workshop and opens the board
    session = start_session(new_context)
    board = session.board
    expect(board.locator(".step-button.current")).to_have_attribute("data-index", "0")

    # 2. the projector's lobby shows the way in
    projector = open_projector(new_context, session)
    expect(projector.locator("#lobby")).to_be_visible()
    expect(projector.locator("#join-code")).to_have_text(f"{session.code[:3]} {session.code[3:]}")
    expect(projector.locator("#lobby svg.qr")).to_be_visible()
    expect(projector.locator("#room-count")).to_have_text("0")

    # 3. three phones join; the room fills up on the projector and the board
    people = [("Ali", "Woonstichting Thuis"), ("Bea", "Wijkteam Noord"), ("Chris", "Politie")]
    phones = [join(new_context, session.code, name, organisation) for name, organisation in people]
    for phone in phones:
        expect(phone.locator("#status")).to_have_attribute("data-state", "online")
        expect(phone.locator("#step")).to_contain_text("Je bent binnen")
    expect(projector.locator("#room-count")).to_have_text("3")
    expect(projector.locator("#organisations li.chip")).to_have_text(sorted(org for _, org in people))
    expect(board.locator("#room-count")).to_have_text("3")

    # 4. the arrow key moves everyone to the obstacle round (and one too many back does nothing)
    expect(board.locator("#prev-step")).to_be_disabled()
    board.locator("body").press("ArrowLeft")
    board.locator("body").press("ArrowRight")
    expect(board.locator(".step-button.current")).to_have_attribute("data-index", "1")
    expect(projector.locator("#round")).to_be_visible()
    expect(projector.locator("#round-prompt")).to_have_text(OBSTACLES_PROMPT)
    for phone in phones:
        expect(phone.locator("#step h1")).to_have_text(OBSTACLES_PROMPT)
        expect(phone.locator("#step select")).to_have_count(0)

    # 5. every phone names an obstacle; it reaches the projector and the board, and the phone says so
    obstacles = ["Elk loket heeft een eigen intake.", "Geld zit in aparte potjes.", "Niemand ziet het hele plaatje."]
    for phone, text in zip(phones, obstacles, strict=True):
        send(phone, text)
    for phone, text in zip(phones, obstacles, strict=True):
        expect(mine(phone, text)).to_have_class(re.compile(r"\breceived\b"))
        expect(mine(phone, text).locator(".tick")).to_contain_text("ontvangen")
        expect(note(projector, text)).to_have_count(1)
        expect(board_row(board, text)).to_have_count(1)
    expect(projector.locator("#round-answers article.note")).to_have_count(3)

    # 6. a phone loses its connection, sends anyway, and the answer arrives once when it is back
    offline_phone, offline_text = phones[1], "Besluiten duren maanden."
    offline_phone.context.set_offline(True)
    expect(offline_phone.locator("#status")).to_have_attribute("data-state", "offline")
    send(offline_phone, offline_text)
    expect(mine(offline_phone, offline_text)).to_have_class(re.compile(r"\bpending\b"))
    expect(mine(offline_phone, offline_text).locator(".tick")).to_contain_text("⏳")
    # kept on the phone until acknowledged, each answer under a key of its own
    outbox = f"""Object.keys(localStorage).filter((key) => key.startsWith('doorbraak:outbox:{session.code}:'))
      .map((key) => JSON.parse(localStorage.getItem(key)).text)"""
    assert offline_phone.evaluate(outbox) == [offline_text]
    expect(note(projector, offline_text)).to_have_count(0)
    offline_phone.context.set_offline(False)
    expect(offline_phone.locator("#status")).to_have_attribute("data-state", "online")
    expect(mine(offline_phone, offline_text)).to_have_class(re.compile(r"\breceived\b"))
    expect(note(projector, offline_text)).to_have_count(1)
    expect(board_row(board, offline_text)).to_have_count(1)
    expect(offline_phone.locator("#my-answers li.answer")).to_have_count(2)
    assert offline_phone.evaluate(outbox) == []  # and no longer once it is

    # 7. the facilitator hides an answer from the projector, then shows it again
    hidden_text = obstacles[2]
    board_row(board, hidden_text).get_by_role("button", name="Verbergen").click()
    expect(note(projector, hidden_text)).to_have_count(0)
    expect(board_row(board, hidden_text)).to_have_class(re.compile(r"\bis-hidden\b"))
    expect(projector.locator("#round-answers article.note")).to_have_count(3)
    board_row(board, hidden_text).get_by_role("button", name="Tonen").click()
    expect(note(projector, hidden_text)).to_have_count(1)
    expect(board_row(board, hidden_text)).not_to_have_class(re.compile(r"\bis-hidden\b"))
    expect(projector.locator("#round-answers article.note")).to_have_count(4)
    expect(note(projector, offline_text)).to_have_count(1)  # still once, well after the resend

    # 8. "Volgende" opens the contribution round; a contribution lands under its obstacle
    next_until(board, "Bijdragen")
    expect(projector.locator("#round-prompt")).to_have_text(CONTRIBUTIONS_PROMPT)
    contributor, target, pledge = phones[2], obstacles[0], "Wij maken één intake voor alle loketten."
    expect(contributor.locator("#step h1")).to_have_text(CONTRIBUTIONS_PROMPT)
    expect(contributor.locator("#step select option")).to_have_count(1 + 4)  # "Kies een obstakel" and the 4 obstacles
    send(contributor, pledge, obstacle=target)
    expect(mine(contributor, pledge)).to_have_class(re.compile(r"\breceived\b"))
    expect(mine(contributor, pledge).locator(".link")).to_contain_text(target)
    expect(note(projector, target).locator("ul.pledges li")).to_have_count(1)
    expect(note(projector, target).locator("ul.pledges li")).to_contain_text(pledge)
    expect(projector.locator("ul.pledges li")).to_have_count(1)  # under that obstacle only
    expect(board_row(board, pledge).locator("p.link")).to_contain_text(target)

    # 9. closing thanks everyone
    next_until(board, "Afronding")
    last = current_step(board)
    expect(board.locator("#next-step")).to_be_disabled()
    board.locator("body").press("PageDown")  # a clicker pressed once too often
    expect(projector.locator("#closed")).to_be_visible()
    expect(projector.locator("#closed h1")).to_have_text("Dank je wel!")
    expect(projector.locator("#closed-summary")).to_contain_text("3 deelnemers")
    for phone in phones:
        expect(phone.locator("#step h1")).to_have_text("Dank je wel!")
        expect(phone.locator("#step form")).to_have_count(0)
    expect(board.locator(".step-button.current")).to_have_attribute("data-index", str(last))
    assert session.dialogs == [], "the board raised an alert"


def test_a_phone_without_javascript_still_joins_and_answers(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Zonder script")
    projector = open_projector(new_context, session)
    phone = join(new_context, session.code, "Dirk", "Bewonersraad", java_script_enabled=False)
    expect(projector.locator("#room-count")).to_have_text("1")
    expect(phone.locator("#step")).to_contain_text("Je bent binnen")

    session.board.locator("body").press("ArrowRight")
    expect(projector.locator("#round-prompt")).to_have_text(OBSTACLES_PROMPT)
    phone.reload()  # without a script the page does not follow by itself
    expect(phone.locator("#step h1")).to_have_text(OBSTACLES_PROMPT)

    text = "De bus rijdt 's avonds niet meer."
    phone.locator("#answer-form textarea").fill(text)
    phone.get_by_role("button", name="Versturen").click()
    expect(phone).to_have_url(re.compile(r"\?sent=1$"))
    expect(phone.locator(".notice")).to_contain_text("Ontvangen")
    expect(phone.locator("#my-answers li.answer .text")).to_have_text([text])
    expect(note(projector, text)).to_have_count(1)
    expect(board_row(session.board, text)).to_have_count(1)


def test_a_waking_phone_keeps_a_single_live_connection(new_context: Callable[..., Any]) -> None:
    """'online' and 'visibilitychange' arrive together when a phone wakes up: still one socket afterwards."""
    session = start_session(new_context, title="Wakker worden")
    context = new_context(**PHONE)
    context.add_init_script("""
        window.__sockets = [];
        const Native = window.WebSocket;
        window.WebSocket = class extends Native {
          constructor(...args) { super(...args); window.__sockets.push(this); }
        };
    """)
    phone = context.new_page()
    phone.goto(f"/j/{session.code}")
    phone.get_by_label("Je naam").fill("Eva")
    phone.get_by_label("Je organisatie").fill("GGD")
    phone.get_by_role("button", name="Meedoen").click()
    expect(phone.locator("#status")).to_have_attribute("data-state", "online")

    phone.evaluate("""() => {
        window.dispatchEvent(new Event("offline"));
        window.dispatchEvent(new Event("online"));
        document.dispatchEvent(new Event("visibilitychange"));
        window.dispatchEvent(new Event("online"));
    }""")
    expect(phone.locator("#status")).to_have_attribute("data-state", "online")
    phone.wait_for_function("window.__sockets.every((s) => s.readyState !== WebSocket.CONNECTING)")
    assert phone.evaluate("window.__sockets.filter((s) => s.readyState === WebSocket.OPEN).length") == 1

    # and the one that is left is the live one: the phone still follows the room
    session.board.locator("body").press("ArrowRight")
    expect(phone.locator("#step h1")).to_have_text(OBSTACLES_PROMPT)
