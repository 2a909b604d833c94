"""A follow-up session and a residents' evening in real browsers: owners report on earlier actions, residents
tag answers with a theme and pick where to start."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.browser import PHONE
from tests.e2e.test_live_session import Session, join, join_on, next_until, open_projector, send, start_session
from tests.e2e.test_phone_actions import LISTEN, heard

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect


def agree(board: Any, title: str, owner: str) -> None:
    """Agree an action on the board's action form."""
    form = board.locator("#action-form")
    form.get_by_label("Wat gaan we doen?").fill(title)
    form.get_by_label("Eigenaar (organisatie)").fill(owner)
    form.get_by_role("button", name="Afspraak vastleggen").click()
    expect(board.locator("#action-list")).to_contain_text(title)


def new_workshop(board: Any, title: str, format_key: str) -> None:
    """A second workshop from the facilitator's list page."""
    board.goto("/f/workshops")
    board.get_by_label("Titel").fill(title)
    board.get_by_label("De opgave").fill("Kijken wat er sinds de vorige keer is gebeurd.")
    board.get_by_label("Datum").fill("2026-12-06")
    board.get_by_label("Werkvorm").select_option(format_key)
    board.get_by_role("button", name="Workshop maken").click()
    expect(board.locator("#status")).to_have_attribute("data-state", "online")


def follow_up_on(new_context: Callable[..., Any], place: str, actions: dict[str, str]) -> tuple[Any, str]:
    """A doorbraak that agreed these actions (title: owner) and a follow-up looking back on it: its board and code."""
    board = start_session(new_context, title=f"Doorbraak {place}").board
    next_until(board, "Afspraken")
    for title, owner in actions.items():
        agree(board, title, owner)
    new_workshop(board, f"Vervolg {place}", "vervolgsessie")
    return board, board.locator(".code-chip").inner_text().replace(" ", "")


def test_owners_report_on_earlier_actions_and_the_room_sees_what_moved(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Doorbraak Noord")
    board = session.board
    next_until(board, "Afspraken")
    agree(board, "Huiskamer in de flat", "Woonstichting Thuis")
    agree(board, "Wijkagent op school", "Politie")

    new_workshop(board, "Vervolg Noord", "vervolgsessie")
    # a new follow-up looks back on the latest session with actions unless the facilitator picks another
    expect(board.locator("#review-source select option:checked")).to_contain_text("Doorbraak Noord")
    code = board.locator(".code-chip").inner_text().replace(" ", "")
    projector_path = board.locator("#projector-link").get_attribute("href")
    projector = open_projector(new_context, Session(board=board, code=code, projector_path=projector_path, dialogs=[]))
    phone = join(new_context, code, "Ali", "Woonstichting Thuis")
    next_until(board, "Hoe staat het?")

    cards = phone.locator("#step .review-card")
    expect(cards).to_have_count(2)
    # the owner's own organisation comes first
    own = cards.first
    expect(own).to_contain_text("Huiskamer in de flat")
    own.locator(".review-head").click()
    own.get_by_text("Klaar", exact=True).click()
    own.get_by_label("Wat is er gebeurd? (één zin)").fill("Open sinds maandag, elke dag koffie")
    own.get_by_role("button", name="Doorgeven").click()
    expect(own).to_contain_text("Doorgegeven ✓")

    moved = projector.locator(".review-item.moved")
    expect(moved).to_have_count(1)
    expect(moved).to_contain_text("Open sinds maandag, elke dag koffie")
    expect(projector.locator("#round-prompt")).to_have_text("1 van 2 afspraken zijn in beweging gekomen.")
    expect(board.locator("#results-panel .review-item.moved")).to_contain_text("Huiskamer in de flat")


def test_residents_tag_answers_with_a_theme_and_choose_where_to_start(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Bewonersavond Oost", format_key="bewonersgesprek")
    board = session.board
    projector = open_projector(new_context, session)
    phone = join(new_context, session.code, "Dina", "Bewoner")
    next_until(board, "Trots")
    step = phone.locator("#step")
    step.get_by_text("Veiligheid", exact=True).click()
    send(phone, "De buurtpreventie-app")
    card = projector.locator("#round-answers article.note", has_text="De buurtpreventie-app")
    expect(card.locator(".tag")).to_have_text("Veiligheid")

    next_until(board, "Beginnen")
    step.get_by_text("Wonen", exact=True).click()
    expect(step.locator('[data-slot="sent"]')).to_contain_text("Doorgegeven")
    expect(projector.locator('.choice-row[data-option="0"] .choice-n')).to_have_text("1")
    # changing the choice moves the vote, it does not add one
    step.get_by_text("Gezondheid", exact=True).click()
    expect(projector.locator('.choice-row[data-option="4"] .choice-n')).to_have_text("1")
    expect(projector.locator('.choice-row[data-option="0"] .choice-n')).to_have_text("0")


LONG_WORD = "Samenwerkingsovereenkomstonderhandelingsproblematiek" * 2

AGREE_BY_POST = """async ([workshop, titles]) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  for (const title of titles) {
    const response = await fetch(`/f/workshops/${workshop}/actions`, { method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ title, owner_organisation: "Woonstichting Thuis" }) });
    if (!response.ok) throw new Error(await response.text());
  }
}"""

CARDS_FIT = """() => {
  const wall = document.getElementById("round-answers").getBoundingClientRect();
  return [...document.querySelectorAll("#round-answers .wall-page .review-item")].every((card) => {
    const box = card.getBoundingClientRect();
    return box.bottom <= wall.bottom + 1 && box.right <= wall.right + 1 && card.scrollWidth <= card.clientWidth + 1;
  });
}"""


def test_a_look_back_on_thirty_actions_pages_on_the_projector(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Doorbraak Zuid")
    board = session.board
    titles = [f"Afspraak {n} {LONG_WORD}" if n == 0 else f"Afspraak {n}: een huiskamer in de flat" for n in range(30)]
    board.evaluate(AGREE_BY_POST, [board.url.rsplit("/", 1)[1], titles])

    new_workshop(board, "Vervolg Zuid", "vervolgsessie")
    code = board.locator(".code-chip").inner_text().replace(" ", "")
    projector_path = f"{board.locator('#projector-link').get_attribute('href')}?dwell=600"
    projector = open_projector(new_context, Session(board=board, code=code, projector_path=projector_path, dialogs=[]))
    next_until(board, "Hoe staat het?")
    expect(projector.locator("#round-prompt")).to_have_text("0 van 30 afspraken zijn in beweging gekomen.")

    # what does not fit goes onto pages, as on the other walls; turning them shows every action once
    count = projector.locator("#wall-count")
    expect(count).to_have_text(re.compile(r"^blad 1 van \d+$"))
    pages = int(count.inner_text().rsplit(" ", 1)[1])
    seen: list[str] = []
    for page in range(1, pages + 1):
        expect(count).to_have_text(f"blad {page} van {pages}")
        assert projector.evaluate(CARDS_FIT), f"a card on page {page} runs off the wall"
        seen += projector.locator("#round-answers .wall-page .review-item .text").all_inner_texts()
        projector.keyboard.press("PageDown")
    assert sorted(seen) == sorted(titles)


FINISH_BY_POST = """async ([workshop, titles]) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const listed = await (await fetch(`/api/workshops/${workshop}/actions`)).json();
  for (const action of listed.filter((a) => titles.includes(a.title))) {
    const response = await fetch(`/f/workshops/${workshop}/actions/${action.id}`, { method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ title: action.title, owner_organisation: action.owner, status: "klaar" }) });
    if (!response.ok) throw new Error(await response.text());
  }
}"""


def test_actions_finished_between_the_sessions_are_wins_in_the_look_back(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Doorbraak West")
    board = session.board
    earlier = board.url.rsplit("/", 1)[1]
    titles = [f"Afspraak {n}: {LONG_WORD}" if n < 2 else f"Afspraak {n}: een huiskamer in de flat" for n in range(32)]
    board.evaluate(AGREE_BY_POST, [earlier, titles])
    next_until(board, "Afronding")
    # between the sessions the office marks three done: nobody has to report them again in the room
    board.evaluate(FINISH_BY_POST, [earlier, titles[:3]])

    new_workshop(board, "Vervolg West", "vervolgsessie")
    code = board.locator(".code-chip").inner_text().replace(" ", "")
    projector_path = f"{board.locator('#projector-link').get_attribute('href')}?dwell=600"
    projector = open_projector(new_context, Session(board=board, code=code, projector_path=projector_path, dialogs=[]))
    next_until(board, "Hoe staat het?")
    expect(projector.locator("#round-prompt")).to_have_text("3 van 32 afspraken zijn in beweging gekomen.")
    wins = board.locator("#results-panel .review-item.moved")
    expect(wins).to_have_count(3)
    expect(wins.first).to_contain_text("Bijgewerkt sinds de vorige keer")
    expect(wins.first.locator(".status-chip")).to_have_text(["Open", "Klaar"])
    phone = join(new_context, code, "Ali", "Woonstichting Thuis")
    expect(phone.locator("#step .review-card", has_text="Bijgewerkt sinds de vorige keer")).to_have_count(3)
    assert projector.evaluate(CARDS_FIT), "a card runs off the wall"


def test_the_look_back_marks_yours_only_what_the_server_takes_your_report_on(new_context: Callable[..., Any]) -> None:
    board, code = follow_up_on(
        new_context, "Súdwest", {"Wijkagent op school": "Politie", "Huiskamer in de flat": "Gemeente Súdwest-Fryslân"}
    )
    # the Gemeente's name typed past the suggestion in a spelling of its own: a new name in the network's list (the
    # office merges it later), so the server does not take this phone's report as the owner's
    typed = join(new_context, code, "Sjoerd", "gemeente sudwest-friesland")
    # typed without its accents it is the same organisation (case, accents and dashes do not count)
    own = join(new_context, code, "Hanneke", "gemeente sudwest fryslan")
    next_until(board, "Hoe staat het?")

    expect(own.locator("#step .review-card")).to_have_count(2)
    expect(own.locator("#step .review-card.own")).to_have_text(re.compile("^Huiskamer in de flat"))
    expect(own.locator("#step .review-card").first).to_contain_text("jouw organisatie")

    cards = typed.locator("#step .review-card")
    expect(cards).to_have_count(2)
    expect(typed.locator("#step .review-card.own")).to_have_count(0)
    expect(cards.first).to_contain_text("Wijkagent op school")  # not sorted first either
    gemeente = cards.filter(has_text="Huiskamer in de flat")
    expect(gemeente.locator(".review-head")).to_have_text(re.compile(r"Gemeente Súdwest-Fryslân\s*Open$"))


def test_a_phone_whose_claim_the_office_took_back_marks_none_of_its_organisations_actions_yours(
    new_context: Callable[..., Any],
) -> None:
    board, code = follow_up_on(
        new_context, "Oost", {"Huiskamer in de flat": "Woonstichting Thuis", "Wijkagent op school": "Politie"}
    )
    impostor = join(new_context, code, "Ali", "Woonstichting Thuis")
    colleague = join(new_context, code, "Bo", "Woonstichting Thuis")
    workshop_page = board.url
    board.goto(workshop_page + "/deelnemers")
    row = board.locator(".participant-row", has_text="Ali")
    row.get_by_role("button", name="Hoort niet bij deze organisatie").click()
    expect(row).to_contain_text("organisatie teruggenomen")
    board.goto(workshop_page)
    expect(board.locator("#status")).to_have_attribute("data-state", "online")
    next_until(board, "Hoe staat het?")

    # the colleague's phone marks the organisation's action as its own: the same names, the same network's list
    expect(colleague.locator("#step .review-card.own")).to_have_text(re.compile("^Huiskamer in de flat"))
    # the phone whose claim was taken back (snapshot field me.organisation_taken_back) marks none, as the server
    # takes no report from it as the owner's: neither as its own card nor in the words "jouw organisatie"
    cards = impostor.locator("#step .review-card")
    expect(cards).to_have_count(2)
    # the phone was open all along: it heard of the take-back at once (me.changed), no reload needed
    expect(impostor.locator("#step .review-card.own")).to_have_count(0)
    expect(cards.filter(has_text="Huiskamer in de flat")).not_to_contain_text("jouw organisatie")


def test_another_owners_report_is_not_read_out_again_on_a_listening_phone(new_context: Callable[..., Any]) -> None:
    board, code = follow_up_on(
        new_context, "Noord", {"Huiskamer in de flat": "Woonstichting Thuis", "Wijkagent op school": "Politie"}
    )
    ali = join(new_context, code, "Ali", "Woonstichting Thuis")
    bo = join(new_context, code, "Bo", "Politie")
    ali.evaluate(LISTEN)
    next_until(board, "Hoe staat het?")
    expect(ali.locator("#step .review-card")).to_have_count(2)
    assert "Hoe staat jouw afspraak ervoor?" in heard(ali)  # the room moved to the step: said once

    police = bo.locator("#step .review-card").first
    bo.evaluate(LISTEN)
    police.locator(".review-head").click()
    police.get_by_text("Klaar", exact=True).click()
    police.get_by_role("button", name="Doorgeven").click()
    expect(police).to_contain_text("Doorgegeven ✓")
    assert "Doorgegeven ✓" in heard(bo)  # the phone's own report arriving is still said
    # the police's report reached Ali's list, which it redrew whole: before, the step was read out again each time
    expect(ali.locator("#step .review-card", has_text="Wijkagent op school")).to_contain_text("Klaar")
    assert heard(ali) == ""


def test_a_phone_whose_organisation_is_merged_mid_session_keeps_finding_its_own_actions(
    new_context: Callable[..., Any],
) -> None:
    # the same organisation, typed two ways: the office's list has both until it merges them
    board, code = follow_up_on(
        new_context, "Noord", {"Huiskamer in de flat": "Woonst. Thuis", "Wijkagent op school": "Woonstichting Thuis"}
    )
    phone = join(new_context, code, "Ali", "Woonst. Thuis")
    next_until(board, "Hoe staat het?")
    cards = phone.locator("#step .review-card")
    expect(cards).to_have_count(2)
    yours = phone.locator("#step .review-card.own")
    expect(yours).to_have_count(1)
    expect(yours).to_contain_text("Huiskamer in de flat")
    expect(yours).to_contain_text("jouw organisatie")

    # the office merges the spelling into the organisation while the phone stays connected
    office = board.context.new_page()
    office.goto("/f/organisaties")
    office.get_by_role("link", name="Bewerken of samenvoegen: Woonst. Thuis").click()
    office.get_by_label("Samenvoegen met").select_option(label="Woonstichting Thuis · nieuw")
    office.get_by_role("button", name="Samenvoegen").click()
    expect(office.locator(".notice")).to_contain_text("Samengevoegd met Woonstichting Thuis")

    # the owner reports: the server takes it as the merged organisation's, and the phone goes on showing both of that
    # organisation's actions as its own (it had marked neither once the report came back naming the merged one)
    own = cards.filter(has_text="Huiskamer in de flat")
    own.locator(".review-head").click()
    own.get_by_text("Bezig", exact=True).click()
    own.get_by_role("button", name="Doorgeven").click()
    expect(own).to_contain_text("Doorgegeven ✓")
    expect(yours).to_have_count(2)
    for card in yours.all():
        expect(card).to_contain_text("Woonstichting Thuis · jouw organisatie")


NOTE = (
    "De huiskamer is sinds maandag elke ochtend open en er komen al vijftien bewoners koffie drinken. "
    "De woonstichting betaalt de huur tot de zomer. "
    "We zoeken nog twee vrijwilligers voor de middag. "
    "In juni kijken we samen met het wijkteam of het werkt."
)


def test_a_long_report_note_is_three_lines_on_the_projector_and_whole_on_the_board(
    new_context: Callable[..., Any],
) -> None:
    titles = [f"Afspraak {n}: een huiskamer in de flat" for n in range(6)]
    board, code = follow_up_on(new_context, "West", dict.fromkeys(titles, "Woonstichting Thuis"))
    projector_path = board.locator("#projector-link").get_attribute("href")
    projector = open_projector(new_context, Session(board=board, code=code, projector_path=projector_path, dialogs=[]))
    phone = join(new_context, code, "Ali", "Woonstichting Thuis")
    next_until(board, "Hoe staat het?")
    cards = phone.locator("#step .review-card")
    expect(cards).to_have_count(6)
    for n in range(6):
        card = cards.nth(n)
        card.locator(".review-head").click()
        card.get_by_text("Bezig", exact=True).click()
        card.get_by_label("Wat is er gebeurd? (één zin)").fill(NOTE)
        card.get_by_role("button", name="Doorgeven").click()
        expect(card).to_contain_text("Doorgegeven ✓")
    expect(projector.locator("#round-prompt")).to_have_text("6 van 6 afspraken zijn in beweging gekomen.")

    notes = projector.locator("#round-answers .wall-page .review-item .note-text")
    expect(notes.first).to_be_visible()
    lines = notes.evaluate_all(
        "ps => ps.map((p) => Math.round(p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight)))"
    )
    assert lines and max(lines) <= 3, lines
    # six such actions on one page of the wall, as six short ones are
    expect(projector.locator("#wall-count")).to_have_text("")
    expect(projector.locator("#round-answers .wall-page .review-item")).to_have_count(6)
    assert projector.evaluate(CARDS_FIT)
    expect(board.locator("#results-panel .review-item .note-text").first).to_have_text(NOTE)


def test_a_status_picked_on_the_board_does_not_say_the_owners_note_again(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Doorbraak Oost")
    board = session.board
    earlier = board.url.rsplit("/", 1)[1]
    ali = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    next_until(board, "Afspraken")
    agree(board, "Huiskamer in de flat", "Woonstichting Thuis")
    next_until(board, "Afronding")
    # between the sessions the owner reports on Mijn afspraken, with a note
    ali.locator("#step").get_by_role("link", name="Mijn afspraken").click()
    card = ali.locator("article.action-card", has_text="Huiskamer in de flat")
    card.get_by_text("Bezig", exact=True).click()
    card.get_by_label("Wat is er gebeurd? (hoeft niet, hooguit 280 tekens)").fill("Sleutel opgehaald bij de beheerder")
    card.get_by_role("button", name="Melden").click()
    expect(ali.get_by_role("status")).to_contain_text("Gemeld.")

    new_workshop(board, "Vervolg Oost", "vervolgsessie")
    code = board.locator(".code-chip").inner_text().replace(" ", "")
    next_until(board, "Hoe staat het?")
    item = board.locator("#results-panel .review-item", has_text="Huiskamer in de flat")
    expect(item).to_contain_text("Sleutel opgehaald bij de beheerder")
    # the owner, back in the room, finds an empty note to say what is new: the old one is heard already
    phone = join(new_context, code, "Ali", "Woonstichting Thuis")
    phone.locator("#step .review-card .review-head").click()
    expect(phone.locator("#step .review-card textarea")).to_have_value("")
    # the owner is not in the room: the facilitator notes that it is done now
    item.get_by_role("combobox").select_option("klaar")
    expect(item.locator(".status-chip")).to_have_text(["Open", "Klaar"])
    # the owner's words stay beside the move, and the history has them once: from between the sessions
    expect(item).to_contain_text("Sleutel opgehaald bij de beheerder")
    action_id = board.evaluate(
        "async (w) => (await (await fetch(`/api/workshops/${w}/actions`)).json())[0].id", earlier
    )
    board.goto(f"/f/acties/{action_id}")
    expect(board.locator(".change-note")).to_have_text(["Sleutel opgehaald bij de beheerder"])


LONG_NOTE = (
    "Open sinds maandag, elke dag koffie en een spreekuur met de wijkagent, de schuldhulpmaatje en de "
    "jongerenwerker; de Woningcorporatiebewonerscommissievergadering schuift vanaf januari aan en de gemeente "
    "betaalt de huur van de huiskamer tot de zomer, daarna zien we verder."
)


def test_a_long_report_note_is_three_lines_on_a_small_phone_and_opens_whole(new_context: Callable[..., Any]) -> None:
    board, code = follow_up_on(
        new_context, "Zuid", {"Huiskamer in de flat": "Woonstichting Thuis", "Wijkagent op school": "Politie"}
    )
    small = {**PHONE, "viewport": {"width": 360, "height": 800}}
    phone = join_on(new_context(**small).new_page(), code, "Ali", "Woonstichting Thuis")
    other = join_on(new_context(**small).new_page(), code, "Kees", "Politie")
    next_until(board, "Hoe staat het?")
    for who, note in ((phone, LONG_NOTE), (other, "Gaat door.")):
        card = who.locator("#step .review-card").first
        card.locator(".review-head").click()
        card.get_by_text("Bezig", exact=True).click()
        card.get_by_label("Wat is er gebeurd? (één zin)").fill(note)
        card.get_by_role("button", name="Doorgeven").click()
        expect(card).to_contain_text("Doorgegeven ✓")
    own = phone.locator("#step .review-card").first
    sent = own.locator(".report-note")
    # the note whole made the confirmation a screenful on a 360 px phone: now three lines, and a tap shows it whole
    expect(own.get_by_role("button", name="Lees verder")).to_be_visible()
    lines = sent.evaluate("(n) => n.getBoundingClientRect().height / parseFloat(getComputedStyle(n).lineHeight)")
    assert round(lines) <= 3, lines
    own.get_by_role("button", name="Lees verder").click()
    expect(own.get_by_role("button", name="Lees verder")).to_have_count(0)
    whole = sent.evaluate("(n) => n.scrollHeight <= n.clientHeight + 1 && n.getBoundingClientRect().height")
    assert whole and whole > 100, whole
    expect(sent).to_have_text(f"Doorgegeven ✓ {LONG_NOTE}")
    # a short note needs no tap
    short = other.locator("#step .review-card").first
    expect(short.locator(".report-note")).to_have_text("Doorgegeven ✓ Gaat door.")
    expect(short.get_by_role("button", name="Lees verder")).to_be_hidden()
