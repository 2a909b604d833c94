"""From obstacles to agreed actions in real browsers: grouping, dot voting, contributions, actions and the export."""

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.e2e.test_live_session import current_step, join, mine, next_until, open_projector, send, start_session

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

# five obstacles: two piles (one dragged together, one merged with the keyboard) and one left loose
INTAKE, GEGEVENS = "Elk loket heeft een eigen intake.", "Iedereen vraagt opnieuw dezelfde gegevens."
POTJES, KALENDER = "Geld zit in aparte potjes.", "Budgetten lopen per kalenderjaar."
PLAATJE = "Niemand ziet het hele plaatje."
PILE_X, PILE_Y = "Intake en gegevens", "Geld en budget"
TENSION = "operationele processen"
TENSION_LABEL = "Operationele processen"  # how the stored key reads on screen
# the contributions, each with its obstacle (all in the focus pile)
PLEDGE_A = ("Wij delen onze intakegegevens met het wijkteam.", INTAKE)
PLEDGE_B = ("Wij voeren één keukentafelgesprek per gezin.", GEGEVENS)
PLEDGE_C = ("Wij schuiven aan bij dat gesprek.", GEGEVENS)
SECOND_ACTION = "Eén gezamenlijk intakeformulier voor Noord"


def exactly(text: str) -> re.Pattern[str]:
    """A pattern matching this whole text and nothing more."""
    return re.compile(f"^{re.escape(text)}$")


def loose_chip(board: Any, text: str) -> Any:
    """An obstacle still loose on the board's grouping panel."""
    return board.locator("#loose li.obstacle-chip").filter(has=board.locator(".text", has_text=exactly(text)))


def pile(board: Any, member: str) -> Any:
    """The cluster card on the board that holds this obstacle."""
    return board.locator("#cluster-list article.cluster-card").filter(
        has=board.locator(".member-list .text", has_text=exactly(member))
    )


def wall_pile(projector: Any, name: str) -> Any:
    """A cluster on the projector wall, by its name."""
    return projector.locator("#round-answers article.note.cluster").filter(
        has=projector.locator(":scope > p.text", has_text=exactly(name))
    )


def tap(phone: Any, sign: str, name: str, left: int) -> None:
    """Put a dot on a pile ("+") or take one off ("−"), and see what is left to spend."""
    label = "Stip erbij" if sign == "+" else "Stip eraf"
    phone.get_by_role("button", name=f"{label}: {name}", exact=True).click()
    expect(phone.locator("#step .dots-left")).to_have_text(f"Nog {left} van 3 stippen te verdelen")


def expect_ranking(projector: Any, expected: list[tuple[str, int]]) -> None:
    """The projector's live ranking, top first."""
    rows = projector.locator("#round-answers article.rank")
    expect(rows.locator(".rank-name")).to_have_text([name for name, _ in expected])
    expect(rows.locator(".rank-votes")).to_have_text([str(votes) for _, votes in expected])


def phone_action(phone: Any, title: str) -> Any:
    """An agreed action on a phone."""
    return phone.locator(".action-list li.action-card").filter(has=phone.locator("strong", has_text=exactly(title)))


def test_the_room_groups_votes_and_agrees_actions_that_reach_the_export(
    new_context: Callable[..., Any], tmp_path: Path
) -> None:
    # 1. the facilitator sets up and opens board and projector; three phones join
    session = start_session(new_context, title="Samen sterk in Noord")
    board = session.board
    projector = open_projector(new_context, session)
    people = [("Ali", "Woonstichting Thuis"), ("Bea", "Wijkteam Noord"), ("Chris", "Politie")]
    ali, bea, chris = phones = [join(new_context, session.code, name, organisation) for name, organisation in people]
    for phone in phones:
        expect(phone.locator("#status")).to_have_attribute("data-state", "online")
    expect(board.locator("#room-count")).to_have_text("3")

    # 2. the obstacle round: five obstacles from three phones
    next_until(board, "Obstakels")
    sent = [(ali, INTAKE), (bea, GEGEVENS), (chris, POTJES), (ali, KALENDER), (bea, PLAATJE)]
    for phone, text in sent:
        send(phone, text)
        expect(mine(phone, text)).to_have_class(re.compile(r"\breceived\b"))
    expect(projector.locator("#round-answers article.note")).to_have_count(5)

    # 3. grouping: nothing is grouped yet; everything waits loose on the board, and as notes on the wall
    next_until(board, "Ordenen")
    expect(board.locator("#cluster-panel")).to_be_visible()
    expect(board.locator("#loose li.obstacle-chip")).to_have_count(5)
    expect(projector.locator("#round-answers article.note")).to_have_count(5)
    expect(projector.locator("#round-answers article.note.cluster")).to_have_count(0)
    for phone in phones:
        expect(phone.locator("#step h1")).to_have_text("Kijk even mee op het scherm")

    # ... dragging one obstacle onto another makes a pile of the two
    loose_chip(board, GEGEVENS).drag_to(loose_chip(board, INTAKE))
    expect(board.locator("#cluster-list article.cluster-card")).to_have_count(1)
    expect(pile(board, INTAKE).locator(".member-list .text")).to_have_text([INTAKE, GEGEVENS])
    expect(board.locator("#loose li.obstacle-chip .text")).to_have_text([POTJES, KALENDER, PLAATJE])
    expect(projector.locator("#round-answers article.note.cluster")).to_have_count(1)

    # ... the keyboard way: tick two with the space bar, then M merges them
    first = board.get_by_role("checkbox", name=f"Selecteer: {POTJES}")
    first.focus()
    board.keyboard.press("Space")
    expect(first).to_be_checked()
    board.keyboard.press("Tab")
    second = board.get_by_role("checkbox", name=f"Selecteer: {KALENDER}")
    expect(second).to_be_focused()
    board.keyboard.press("Space")
    expect(second).to_be_checked()
    board.keyboard.press("m")
    expect(board.locator("#cluster-list article.cluster-card")).to_have_count(2)
    expect(pile(board, POTJES).locator(".member-list .text")).to_have_text([POTJES, KALENDER])
    expect(board.locator("#loose li.obstacle-chip .text")).to_have_text([PLAATJE])
    expect(board.locator(".step-button.current")).to_have_text(re.compile("Ordenen"))  # "m" moved no step

    # ... the piles get names (Enter or Tab confirms) and one a tension; the wall follows
    pile(board, INTAKE).locator(".cluster-name").fill(PILE_X)
    pile(board, INTAKE).locator(".cluster-name").press("Tab")
    expect(wall_pile(projector, PILE_X)).to_have_count(1)
    pile(board, POTJES).locator(".cluster-name").fill(PILE_Y)
    pile(board, POTJES).locator(".cluster-name").press("Enter")
    expect(wall_pile(projector, PILE_Y)).to_have_count(1)
    pile(board, INTAKE).get_by_label("Spanningscluster").select_option(TENSION)
    expect(wall_pile(projector, PILE_X).locator(".tags .tag")).to_have_text([TENSION_LABEL])
    expect(wall_pile(projector, PILE_X).locator(".members li")).to_have_text([INTAKE, GEGEVENS])
    expect(wall_pile(projector, PILE_Y).locator(".members li")).to_have_text([POTJES, KALENDER])
    expect(projector.locator("#round-answers article.note.cluster")).to_have_count(2)
    expect(projector.locator("#round-answers article.note")).to_have_count(3)  # and the loose one
    board.locator("#cluster-panel h2").click()  # the name field lets go: the board redraws
    expect(pile(board, INTAKE).locator(".cluster-name")).to_have_value(PILE_X)
    expect(pile(board, POTJES).locator(".cluster-name")).to_have_value(PILE_Y)
    expect(pile(board, INTAKE).get_by_label("Spanningscluster")).to_have_value(TENSION)

    # 4. the vote: the loose obstacle becomes a pile of its own; three dots each
    next_until(board, "Stemmen")
    expect_ranking(projector, [(PILE_X, 0), (PILE_Y, 0), (PLAATJE, 0)])
    for phone in phones:
        expect(phone.locator("#step .vote-list li.vote-item strong")).to_have_text([PILE_X, PILE_Y, PLAATJE])
        expect(phone.locator("#step .dots-left")).to_have_text("Nog 3 van 3 stippen te verdelen")

    # ... Ali spends all three dots; a fourth is not to be had
    tap(ali, "+", PILE_X, 2)
    tap(ali, "+", PILE_X, 1)
    tap(ali, "+", PILE_Y, 0)
    expect(ali.locator("#step .vote-list .dot-button", has_text="+")).to_have_count(3)
    for plus in ali.locator("#step .vote-list .dot-button", has_text="+").all():
        expect(plus).to_be_disabled()
    ali.get_by_role("button", name=f"Stip erbij: {PLAATJE}").click(force=True)  # a tap on a disabled button
    expect(ali.locator("#step .dots-left")).to_have_text("Nog 0 van 3 stippen te verdelen")
    expect_ranking(projector, [(PILE_X, 2), (PILE_Y, 1), (PLAATJE, 0)])

    # ... Bea puts two on Y, which overtakes X on the wall
    tap(bea, "+", PILE_Y, 2)
    tap(bea, "+", PILE_Y, 1)
    tap(bea, "+", PLAATJE, 0)
    expect_ranking(projector, [(PILE_Y, 3), (PILE_X, 2), (PLAATJE, 1)])

    # ... then takes one back from Y and moves it to X: X leads again
    tap(bea, "−", PILE_Y, 1)
    expect(bea.get_by_role("button", name=f"Stip erbij: {PILE_X}")).to_be_enabled()
    tap(bea, "+", PILE_X, 0)
    expect_ranking(projector, [(PILE_X, 3), (PILE_Y, 2), (PLAATJE, 1)])

    # ... Chris votes last; the board's badges agree with the wall
    tap(chris, "+", PILE_X, 2)
    tap(chris, "+", PLAATJE, 1)
    tap(chris, "+", PLAATJE, 0)
    expect_ranking(projector, [(PILE_X, 4), (PLAATJE, 3), (PILE_Y, 2)])
    expect(board.locator("#cluster-list article.cluster-card .badge.live")).to_have_text(
        ["4 stippen", "3 stippen", "2 stippen"]
    )

    # ... the facilitator makes the winner the focus and limits the contribution round to it
    pile(board, INTAKE).get_by_label(re.compile(r"^focus: ")).check()
    expect(pile(board, INTAKE)).to_have_class(re.compile(r"\bis-focus\b"))
    expect(projector.locator("#round-answers article.rank").first).to_have_class(re.compile(r"\bis-focus\b"))
    expect(projector.locator("#round-answers article.rank.is-focus")).to_have_count(1)
    with board.expect_response(lambda response: response.url.endswith("/settings")) as settings:
        board.locator("#focus-only").check()
    assert settings.value.ok, settings.value.status
    expect(board.locator("#focus-only")).to_be_checked()

    # 5. the contribution round only offers the focus pile's obstacles
    next_until(board, "Bijdragen")
    for phone in phones:
        expect(phone.locator("#step select option")).to_have_text(["Kies een obstakel", INTAKE, GEGEVENS])
    # the wall names the focus pile and its size; the phones offer its obstacles
    still_open = projector.locator("#round-answers article.still-open")
    expect(still_open.locator(".open-list li > span[dir]")).to_have_text([PILE_X])
    expect(still_open.locator(".open-list .open-size")).to_have_text(["2"])
    for phone, (text, obstacle) in zip(phones, [PLEDGE_A, PLEDGE_B, PLEDGE_C], strict=True):
        send(phone, text, obstacle=obstacle)
        expect(mine(phone, text)).to_have_class(re.compile(r"\breceived\b"))
    expect(projector.locator("#round-answers ul.pledges li")).to_have_count(3)
    expect(board.locator("#pledge-list li.board-answer")).to_have_count(3)

    # 6. agreed actions: the first from Bea's contribution, completed on the board
    next_until(board, "Afspraken")
    expect(board.locator("#actions-panel")).to_be_visible()
    for phone in phones:
        expect(phone.locator("#step h1")).to_have_text("Dit spreken we af")
    form = board.locator("#action-form")
    board.locator("#pledge-list li").filter(has_text=PLEDGE_B[0]).get_by_role(
        "button", name="Maak er een afspraak van"
    ).click()
    expect(form.locator("[name=title]")).to_have_value(PLEDGE_B[0])
    expect(form.locator("[name=title]")).to_be_focused()
    expect(form.locator("[name=owner_organisation]")).to_have_value("Wijkteam Noord")
    expect(form.locator("[name=contact_person]")).to_have_value("Bea")
    expect(form.locator("[name=obstacle_id] option:checked")).to_have_text(GEGEVENS)
    form.locator("[name=description]").fill("Wijkteam en woonstichting aan één tafel met het gezin.")
    form.locator("[name=partners]").fill("Woonstichting Thuis, Politie")
    form.locator("[name=due_on]").fill("2027-01-31")
    form.get_by_role("button", name="Afspraak vastleggen").click()
    board_actions = board.locator("#action-list li.action-item")
    expect(board_actions.locator(":scope > p.text")).to_have_text([PLEDGE_B[0]])
    expect(form.locator("[name=title]")).to_have_value("")  # ready for the next one
    expect(board.locator("#action-error")).to_be_hidden()

    # ... the second written from scratch
    form.locator("[name=title]").fill(SECOND_ACTION)
    form.locator("[name=owner_organisation]").fill("Woonstichting Thuis")
    form.locator("[name=contact_person]").fill("Ali")
    form.locator("[name=due_on]").fill("2027-03-01")
    form.locator("[name=status]").select_option("bezig")
    form.locator("[name=obstacle_id]").select_option(label=INTAKE)
    form.get_by_role("button", name="Afspraak vastleggen").click()
    expect(board_actions.locator(":scope > p.text")).to_have_text([PLEDGE_B[0], SECOND_ACTION])

    # ... both reach the wall and every phone
    wall_actions = projector.locator("#round-answers article.note.action")
    expect(wall_actions.locator(":scope > p.text")).to_have_text([PLEDGE_B[0], SECOND_ACTION])
    expect(wall_actions.first.locator(".who")).to_contain_text("Wijkteam Noord + Woonstichting Thuis + Politie")
    expect(wall_actions.locator(".hands")).to_have_text([re.compile("Wie doet mee?")] * 2)
    for phone in phones:
        expect(phone.locator(".action-list li.action-card strong")).to_have_text([PLEDGE_B[0], SECOND_ACTION])
    # a row shows its owner; the partners and the date are one tap further
    phone_action(bea, PLEDGE_B[0]).locator(".action-toggle").click()
    expect(phone_action(bea, PLEDGE_B[0]).locator(".action-details")).to_contain_text(
        "samen met Woonstichting Thuis, Politie"
    )

    # ... Ali and Chris raise their hands for the first
    for phone in (ali, chris):
        phone_action(phone, PLEDGE_B[0]).get_by_role("button", name="Ik doe mee").click()
        joined = phone_action(phone, PLEDGE_B[0]).get_by_role("button", name="Je doet mee ✓")
        expect(joined).to_have_attribute("aria-pressed", "true")
        expect(phone_action(phone, SECOND_ACTION).locator("button.hand")).to_have_attribute("aria-pressed", "false")
    expect(wall_actions.first.locator(".hands")).to_have_text("Doen mee: Ali, Chris")
    expect(board_actions.first).to_contain_text("Doen mee: Ali · Woonstichting Thuis, Chris · Politie")
    expect(board_actions.first.locator("p.meta").first).to_have_text(
        "Eigenaar: Wijkteam Noord · samen met Woonstichting Thuis, Politie · klaar op 31 januari 2027"
    )
    expect(phone_action(bea, PLEDGE_B[0])).to_contain_text("2 doen mee")
    expect(phone_action(bea, PLEDGE_B[0]).locator("button.hand")).to_have_text("Ik doe mee")
    # the room's hands redrew Bea's list: the details she opened are still open
    expect(phone_action(bea, PLEDGE_B[0]).locator(".action-details")).to_contain_text("Doen mee: Ali, Chris")

    # 7. the close, and the follow-up set there (not while actions are agreed): phones say thank you, with the
    # follow-up and their own page
    expect(board.locator("#followup-panel")).to_be_hidden()
    next_until(board, "Afronding")
    assert current_step(board) == board.locator(".step-button").count() - 1
    followup = board.locator("#followup-form")
    followup.locator("[name=at]").fill("2026-12-08T19:30")
    followup.locator("[name=place]").fill("Buurthuis De Schakel")
    followup.get_by_role("button", name="Vastleggen").click()
    # in words, as every other page writes a date, not "2026-12-08 19:30"
    expect(board.locator("#followup-current")).to_have_text(
        "Vastgelegd: dinsdag 8 december 2026 om 19:30, Buurthuis De Schakel"
    )
    expect(projector.locator("#closed")).to_be_visible()
    expect(projector.locator("#closed-followup")).to_contain_text("Buurthuis De Schakel")
    for phone in phones:
        expect(phone.locator("#step h1")).to_have_text("Dank je wel!")
        expect(phone.locator("#step .followup")).to_contain_text(re.compile(r"8 december.*19:30.*Buurthuis De Schakel"))
        expect(phone.locator("#step").get_by_role("link", name="Mijn afspraken")).to_have_attribute(
            "href", re.compile(r"^/m/[^/]+$")
        )
    chris.locator("#step").get_by_role("link", name="Mijn afspraken").click()
    expect(chris).to_have_url(re.compile(r"/m/[^/]+$"))
    expect(chris.locator("article.action-card.joined strong")).to_have_text([PLEDGE_B[0]])
    # the owner and the partners apart, as the besluitenlijst has them; dates in words
    facts = chris.locator("article.action-card.joined dl.action-facts")
    expect(facts.locator("dt")).to_have_text(["Eigenaar", "Samen met", "Klaar op", "Status"])
    expect(facts.locator("dd")).to_have_text(
        ["Wijkteam Noord", "Woonstichting Thuis, Politie", "31 januari 2027", "Open"]
    )
    expect(chris.get_by_text("dinsdag 8 december 2026 om 19:30")).to_be_visible()
    expect(chris.get_by_text("2026-12-08")).to_have_count(0)
    expect(chris.locator(".answer-list li.answer .text")).to_have_text([POTJES, PLEDGE_C[0]])

    # 8. the besluitenlijst's Excel download holds both actions and both volunteers
    board.get_by_role("link", name="Besluitenlijst en downloads").click()
    expect(board).to_have_url(re.compile(r"/f/workshops/\d+/besluitenlijst$"))
    with board.expect_download() as download_info:
        board.get_by_role("link", name="Excel", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == "besluitenlijst-samen-sterk-in-noord-2026-11-22.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    workbook = load_workbook(saved)
    assert workbook.sheetnames == ["Acties", "Vrijwilligers", "Obstakels", "Bijdragen"]
    header, *rows = workbook["Acties"].iter_rows(values_only=True)
    assert header[:10] == (
        "Nr",
        "Actie",
        "Omschrijving",
        "Eigenaar",
        "Samen met",
        "Contactpersoon",
        "Deadline",
        "Status",
        "Obstakel",
        "Vrijwilligers",
    )
    assert [row[:10] for row in rows] == [
        (
            1,
            PLEDGE_B[0],
            "Wijkteam en woonstichting aan één tafel met het gezin.",
            "Wijkteam Noord",
            "Woonstichting Thuis, Politie",
            "Bea",
            datetime(2027, 1, 31),
            "Open",
            GEGEVENS,
            "Ali (Woonstichting Thuis), Chris (Politie)",
        ),
        (2, SECOND_ACTION, None, "Woonstichting Thuis", None, "Ali", datetime(2027, 3, 1), "Bezig", INTAKE, None),
    ]
    header, *rows = workbook["Vrijwilligers"].iter_rows(values_only=True)
    assert header == ("Actie nr", "Actie", "Naam", "Organisatie")
    assert rows == [(1, PLEDGE_B[0], "Ali", "Woonstichting Thuis"), (1, PLEDGE_B[0], "Chris", "Politie")]
    obstacles = {row[0]: row for row in workbook["Obstakels"].iter_rows(min_row=2, values_only=True)}
    assert obstacles[INTAKE][3:] == (PILE_X, TENSION_LABEL, None, 4, "ja")
    # a loose obstacle the vote gave a pile of its own: no cluster but its own words, so the cell is empty
    assert obstacles[PLAATJE][3:] == (None, None, None, 3, None)
    assert session.dialogs == [], "the board raised an alert"


def test_editing_an_action_changes_it_instead_of_adding_another(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Afspraak bijstellen")
    board = session.board
    next_until(board, "Afspraken")
    form = board.locator("#action-form")
    form.locator("[name=title]").fill("Eerste versie")
    form.locator("[name=owner_organisation]").fill("Wijkteam Noord")
    form.get_by_role("button", name="Afspraak vastleggen").click()
    titles = board.locator("#action-list li.action-item > p.text")
    expect(titles).to_have_text(["Eerste versie"])

    board.locator("#action-list li.action-item").get_by_role("button", name="Bewerken").click()
    expect(form.locator("[name=title]")).to_have_value("Eerste versie")
    form.locator("[name=title]").fill("Tweede versie")
    form.get_by_role("button", name="Afspraak vastleggen").click()
    expect(titles.filter(has_text="Tweede versie")).to_have_count(1)  # the save has landed, either way
    assert titles.all_inner_texts() == ["Tweede versie"]
