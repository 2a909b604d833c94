"""The board by keyboard alone: grouping, suggested piles, the timer and the steps with Tab, Space, Enter and the
board's letters; focus stays on something sensible while obstacles stream in; no letter fires while one types."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import LAPTOP
from tests.e2e.test_live_session import current_step, next_until, open_projector, start_session
from tests.e2e.test_suggest_piles import GROUPS, asked_for_piles, send_from_phones

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

FEW = ["Geen plek voor jongeren", "Te weinig politie op straat", "Ouderen zijn eenzaam", "Woningtekort"]
MORE = ["De bus rijdt 's avonds niet", "Hondenpoep op het gras", "Te weinig bankjes"]


def focused(page: Any) -> dict[str, Any]:
    """What has the keyboard's focus: its tag, id, classes, text or label, and the item (data-id) it sits in."""
    return page.evaluate(
        """() => {
          const node = document.activeElement;
          const item = node.closest("[data-id]");
          const panel = node.closest("[id]");
          return { tag: node.tagName.toLowerCase(), id: node.getAttribute("id") || "", classes: [...node.classList],
                   text: (node.getAttribute("aria-label") || node.textContent || "").trim(),
                   item: item ? item.dataset.id : null, within: panel ? panel.getAttribute("id") : null,
                   type: node.type || null };
        }"""
    )


def tab_to(page: Any, wanted: Callable[[dict[str, Any]], bool], most: int = 120) -> dict[str, Any]:
    """Press Tab until the focused element is the wanted one; fails after `most` presses."""
    for _ in range(most):
        page.keyboard.press("Tab")
        now = focused(page)
        if wanted(now):
            return now
    raise AssertionError(f"Tab never reached it; focus ended on {focused(page)}")


def grouping_board(new_context: Callable[..., Any], live_server: str, texts: list[str]) -> Any:
    """A board on its grouping step with these obstacles sent from phones."""
    session = start_session(new_context, title="Toetsenbord Noord")
    board = session.board
    next_until(board, "Obstakels")
    send_from_phones(live_server, session.code, texts)
    expect(board.locator("#answers .board-answer")).to_have_count(len(texts))
    next_until(board, "Ordenen")
    expect(board.locator("#loose .obstacle-chip")).to_have_count(len(texts))
    board.locator("body").click(position={"x": 5, "y": 200})  # the keyboard starts from the page, not a button
    return board


def test_focus_stays_put_while_obstacles_stream_in_and_hiding_and_merging_work_by_keyboard(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context, title="Toetsenbord Noord")
    board = session.board
    next_until(board, "Obstakels")
    send_from_phones(live_server, session.code, FEW)
    expect(board.locator("#answers .board-answer")).to_have_count(len(FEW))
    board.locator("body").click(position={"x": 5, "y": 200})
    hide = tab_to(board, lambda f: f["text"].startswith("Verbergen") and f["within"] == "answers")

    # phones keep sending: the list is drawn again, and the focus must stay on the same answer's button
    send_from_phones(live_server, session.code, MORE)
    expect(board.locator("#answers .board-answer")).to_have_count(len(FEW) + len(MORE))
    now = focused(board)
    assert now["text"] == hide["text"] and now["item"] == hide["item"], now
    assert hide["text"].startswith("Verbergen: "), hide  # which answer, among forty

    # hiding it by keyboard: its button becomes "Tonen" and keeps the focus
    with board.expect_response(lambda r: r.url.endswith("/hidden")):
        board.keyboard.press("Enter")
    expect(board.locator(f'#answers [data-id="{hide["item"]}"]')).to_have_class(re.compile("is-hidden"))
    now = focused(board)
    assert now["text"].startswith("Tonen") and now["item"] == hide["item"], now

    # on to grouping with the arrow key (the focus is on a button, not in a field)
    board.keyboard.press("ArrowRight")
    expect(board.locator("#cluster-panel")).to_be_visible()
    expect(board.locator("#loose .obstacle-chip")).to_have_count(len(FEW) + len(MORE) - 1)
    board.locator("body").click(position={"x": 5, "y": 200})
    first = tab_to(board, lambda f: f["type"] == "checkbox" and f["within"] == "loose")
    board.keyboard.press("Space")
    board.keyboard.press("Tab")
    second = focused(board)
    assert second["type"] == "checkbox" and second["item"] != first["item"], second
    board.keyboard.press("Space")
    with board.expect_response(lambda r: r.url.endswith("/clusters/group")):
        board.keyboard.press("m")
    card = board.locator("#cluster-list .cluster-card")
    expect(card).to_have_count(1)
    expect(card.locator(".obstacle-chip")).to_have_count(2)
    # the merged pile's name has the focus, so the facilitator names it straight away (and "t" starts no timer)
    expect(card.locator(".cluster-name")).to_be_focused()
    with board.expect_response(lambda r: r.request.method == "POST" and "/clusters/" in r.url) as renamed:
        board.keyboard.type("Samen sterk")
        board.keyboard.press("Enter")
    assert renamed.value.ok
    assert renamed.value.request.post_data_json == {"name": "Samen sterk"}
    expect(board.locator("#board-timer")).to_be_hidden()


def test_suggested_piles_by_keyboard_focus_moves_into_the_panel_and_back(
    new_context: Callable[..., Any], live_server: str
) -> None:
    board = grouping_board(new_context, live_server, GROUPS["jeugdzorg"] + GROUPS["wonen"] + GROUPS["politie"])
    with board.expect_response(lambda r: r.url.endswith("/suggestions")):
        board.keyboard.press("g")
    panel = board.locator("#suggest-panel")
    expect(panel).to_be_visible()
    cards = panel.locator(".suggest-card")
    expect(cards).to_have_count(3)
    # the panel took the focus: the next Tab is inside it, not back at the top of the page
    expect(board.locator("#suggest-title")).to_be_focused()

    # accept the first pile: it leaves the panel, and the focus goes to the next pile's accept button
    tab_to(board, lambda f: f["text"].startswith("Overnemen"))
    with board.expect_response(lambda r: r.url.endswith("/suggestions/accept")):
        board.keyboard.press("Enter")
    expect(cards).to_have_count(2)
    expect(board.locator("#cluster-list .cluster-card")).to_have_count(1)
    expect(cards.first.get_by_role("button", name="Overnemen")).to_be_focused()

    # reject the next one from its own button: the focus goes on to the last pile
    board.keyboard.press("Tab")
    expect(cards.first.get_by_role("button", name="Afwijzen")).to_be_focused()
    board.keyboard.press("Enter")
    expect(cards).to_have_count(1)
    expect(cards.first.get_by_role("button", name="Afwijzen")).to_be_focused()

    # Escape closes the panel and gives the focus back to the button that opens it; nothing was rejected
    board.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(board.locator("#suggest")).to_be_focused()

    # asked again from that button: the focus is in the panel again; "Alles afwijzen" closes it and hands it back
    with board.expect_response(lambda r: r.url.endswith("/suggestions")):
        board.keyboard.press("Enter")
    expect(board.locator("#suggest-title")).to_be_focused()
    expect(cards.first).to_be_visible()
    tab_to(board, lambda f: f["id"] == "suggest-reject-all")
    board.keyboard.press("Enter")
    expect(panel).to_be_hidden()
    expect(board.locator("#suggest")).to_be_focused()


def test_trimming_accepting_all_and_undoing_suggested_piles_by_keyboard(
    new_context: Callable[..., Any], live_server: str
) -> None:
    board = grouping_board(new_context, live_server, GROUPS["wonen"] + GROUPS["eenzaam"])
    with board.expect_response(lambda r: r.url.endswith("/suggestions")):
        board.keyboard.press("g")
    cards = board.locator("#suggest-panel .suggest-card")
    expect(cards).to_have_count(2)

    # "eruit" takes an obstacle off the card; the focus goes to the "eruit" of the one that took its place
    dropped = tab_to(board, lambda f: f["text"].startswith("eruit: "))
    board.keyboard.press("Enter")
    expect(cards.first.get_by_role("button", name=dropped["text"], exact=True)).to_have_count(0)
    now = focused(board)
    assert now["text"].startswith("eruit: ") and now["text"] != dropped["text"], now

    # everything at once, then undone: the undo button has the focus, then the first pile brought back
    board.keyboard.press("Shift+Tab")
    for _ in range(200):
        if focused(board)["id"] == "suggest-accept-all":
            break
        board.keyboard.press("Shift+Tab")
    with board.expect_response(lambda r: r.url.endswith("/suggestions/accept")):
        board.keyboard.press("Enter")
    expect(board.locator("#cluster-list .cluster-card")).to_have_count(2)
    expect(board.locator("#suggest-undo")).to_be_focused()
    with board.expect_response(lambda r: r.url.endswith("/suggestions/undo")):
        board.keyboard.press("Enter")
    expect(board.locator("#cluster-list .cluster-card")).to_have_count(0)
    expect(cards).to_have_count(2)
    expect(cards.first.get_by_role("button", name="Overnemen")).to_be_focused()


def test_an_action_is_written_edited_and_moved_on_by_keyboard(new_context: Callable[..., Any]) -> None:
    board = start_session(new_context, title="Afspraken Noord").board
    next_until(board, "Afspraken")
    board.locator("body").click(position={"x": 5, "y": 200})
    tab_to(board, lambda f: f["tag"] == "input" and f["within"] == "action-form")
    expect(board.get_by_label("Wat gaan we doen?")).to_be_focused()
    board.keyboard.type("Jongerenwerk opent de gymzaal op vrijdag")
    tab_to(board, lambda f: f["tag"] == "input" and f["text"] == "" and f["within"] == "action-form", most=2)
    board.keyboard.type("Gemeente")
    with board.expect_response(lambda r: r.url.endswith("/actions")):
        board.keyboard.press("Enter")
    item = board.locator("#action-list .action-item")
    expect(item).to_have_count(1)

    # its own buttons say which action they change
    tab_to(board, lambda f: f["text"] == "Bewerken: Jongerenwerk opent de gymzaal op vrijdag")
    board.keyboard.press("Enter")
    expect(board.get_by_label("Wat gaan we doen?")).to_be_focused()
    expect(board.get_by_label("Wat gaan we doen?")).to_have_value("Jongerenwerk opent de gymzaal op vrijdag")

    # the status by arrow key: the list is drawn again, the focus stays on that action's status
    status = tab_to(board, lambda f: f["tag"] == "select" and f["within"] == "action-list")
    with board.expect_response(lambda r: "/actions/" in r.url):
        board.keyboard.press("ArrowDown")
    expect(item.locator("select")).to_have_value("bezig")
    expect(item.locator("select")).to_be_focused()
    assert focused(board)["text"] == status["text"]


def test_the_timer_and_step_buttons_hand_the_focus_on_when_they_go(new_context: Callable[..., Any]) -> None:
    board = start_session(new_context, title="Tijd Noord").board
    board.locator("body").click(position={"x": 5, "y": 200})
    tab_to(board, lambda f: f["id"] == "timer-minutes")
    board.keyboard.type("5")
    board.keyboard.press("Tab")
    expect(board.locator("#timer-start")).to_be_focused()
    board.keyboard.press("Enter")
    expect(board.locator("#board-timer")).to_be_visible()
    board.keyboard.press("Tab")
    expect(board.locator("#timer-pause")).to_be_focused()
    board.keyboard.press("Enter")
    # "Pauze" goes and "Verder" comes in its place: the focus with it
    expect(board.locator("#timer-resume")).to_be_focused()
    board.keyboard.press("Enter")
    expect(board.locator("#timer-pause")).to_be_focused()
    tab_to(board, lambda f: f["id"] == "timer-stop")
    board.keyboard.press("Enter")
    expect(board.locator("#board-timer")).to_be_hidden()
    expect(board.locator("#timer-start")).to_be_focused()

    # "Volgende" by keyboard to the last step: the button goes off there, and the focus moves to the current step
    tab_to(board, lambda f: f["id"] == "next-step")
    last = board.locator(".step-button").count() - 1
    for index in range(1, last + 1):
        board.keyboard.press("Enter")
        expect(board.locator(".step-button.current")).to_have_attribute("data-index", str(index))
    expect(board.locator("#next-step")).to_be_disabled()
    expect(board.locator(".step-button.current")).to_be_focused()


def test_the_board_letters_do_not_fire_while_typing_with_a_modifier_or_when_a_key_is_held(
    new_context: Callable[..., Any], live_server: str
) -> None:
    board = grouping_board(new_context, live_server, FEW)
    step = current_step(board)
    requests: list[str] = []
    board.on("request", lambda r: requests.append(r.url) if r.method == "POST" else None)

    # typing in the step's own fields: the dots and a pile's name (every board letter, and the arrows)
    board.locator("#dots").focus()
    board.keyboard.press("Control+a")
    board.keyboard.type("3")
    for key in ["g", "m", "t", "w", "a", "s", "0", "+", "ArrowRight", "PageDown", "Escape"]:
        board.keyboard.press(key)
    board.locator("#loose input[type=checkbox]").first.check()
    board.locator("#loose input[type=checkbox]").nth(1).check()

    # with Ctrl, Meta or Alt the letter is the browser's or the system's, not the board's
    board.locator("body").click(position={"x": 5, "y": 200})
    for key in ["Control+m", "Meta+m", "Alt+m", "Control+g", "Alt+t", "Control+ArrowRight", "Alt+ArrowRight"]:
        board.keyboard.press(key)
    # a letter that does reach the board sends its request when it is pressed: once this one's is seen, any the keys
    # above had made would have been seen before it
    with board.expect_request(lambda r: r.method == "POST" and r.url.endswith("/step")):
        board.keyboard.press("ArrowLeft")
    board_work = ("/clusters/group", "/suggestions", "/timer", "/step")
    assert [url for url in requests if url.endswith(board_work)] == [requests[-1]], requests
    assert requests[-1].endswith("/step")
    expect(board.locator(".step-button.current")).to_have_attribute("data-index", str(step - 1))
    expect(board.locator("#suggest-panel")).to_be_hidden()
    expect(board.locator("#cluster-list .cluster-card")).to_have_count(0)

    # a held arrow repeats: one step forward, not one per repeat (the step back after it is seen after any repeat)
    board.keyboard.down("ArrowRight")
    board.keyboard.down("ArrowRight")
    board.keyboard.down("ArrowRight")
    board.keyboard.up("ArrowRight")
    expect(board.locator(".step-button.current")).to_have_attribute("data-index", str(step))
    with board.expect_request(lambda r: r.method == "POST" and r.url.endswith("/step")):
        board.keyboard.press("ArrowLeft")
    expect(board.locator(".step-button.current")).to_have_attribute("data-index", str(step - 1))
    assert len([url for url in requests if url.endswith("/step")]) == 3, requests


def test_the_shortcuts_are_named_and_the_stream_of_answers_is_not_read_aloud(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Namen Noord")
    board = session.board
    shortcuts = {
        "#next-step": "ArrowRight PageDown",
        "#prev-step": "ArrowLeft PageUp",
        "#timer-start": "T",
        "#timer-add": "+",
        "#timer-stop": "0",
        "#view-toggle": "W",
        "#suggest": "G",
        "#merge": "M",
    }
    for selector, keys in shortcuts.items():
        expect(board.locator(selector)).to_have_attribute("aria-keyshortcuts", keys)
    # every answer from 80 phones would be read out: the lists are not live regions
    for selector in ["#answers", "#queue", "#loose", "#cluster-list", "#results-body"]:
        assert board.locator(selector).get_attribute("aria-live") in (None, "off"), selector
    expect(board.locator("#cluster-keys")).to_contain_text("druk M")
    expect(board.locator("#cluster-keys")).to_contain_text("G stelt stapels voor")
    expect(board.locator("#projector-keys")).to_contain_text("PageDown")

    # the projector's wall turns its pages by itself and its word cloud redraws every few seconds: not read aloud
    projector = open_projector(new_context, session)
    for selector in ["#round-answers", "#stage-cloud [data-slot=words]"]:
        assert projector.locator(selector).get_attribute("aria-live") in (None, "off"), selector


def test_the_top_bar_reads_right_before_the_live_connection_is_up(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Koptekst Noord")
    # venue wifi: the page as the server sends it, before (or without) its script and its live connection
    bare = new_context(**LAPTOP, storage_state=session.board.context.storage_state(), java_script_enabled=False)
    page = bare.new_page()
    page.goto(session.board.url)
    # the code is read out with what it is, not as a bare "727 M84"
    expect(page.locator(".board-links")).to_match_aria_snapshot(
        f'- paragraph: "Code om mee te doen: {session.code[:3]} {session.code[3:]}"'
    )
    expect(page.get_by_role("button", name="1. Welkom")).to_have_attribute("aria-current", "step")
    expect(page.locator("[aria-current=step]")).to_have_count(1)
    # "Start" and "Stop" of what: the timer's buttons sit in a form named after the clock
    timer = page.get_by_role("form", name="Tijd")
    expect(timer.get_by_role("button", name="Start", exact=True)).to_be_visible()
    expect(timer.get_by_role("button", name="Stop", exact=True)).to_be_visible()


def test_a_step_change_by_keyboard_is_heard_and_a_jump_keeps_the_focus(new_context: Callable[..., Any]) -> None:
    board = start_session(new_context, title="Stappen Noord").board
    now = board.locator("#step-now")
    expect(now).to_have_attribute("role", "status")
    expect(now).to_have_text("")  # the page says where the room is: nothing to announce on arrival

    # → from anywhere on the page moves the whole room: a listener hears where to
    board.locator("body").click(position={"x": 5, "y": 200})
    board.keyboard.press("ArrowRight")
    expect(now).to_have_text("Nu stap 2 van 7: Obstakels")

    # a jump from the list of steps: the focus stays on the step, now the current one
    tab_to(board, lambda f: f["text"] == "4. Stemmen")
    board.keyboard.press("Enter")
    step = board.get_by_role("button", name="4. Stemmen", exact=True)
    expect(step).to_have_attribute("aria-current", "step")
    expect(step).to_be_focused()
    expect(now).to_have_text("Nu stap 4 van 7: Stemmen")
    expect(board.locator("[aria-current=step]")).to_have_count(1)


def test_the_timer_by_keyboard_is_heard(new_context: Callable[..., Any]) -> None:
    board = start_session(new_context, title="Klok Noord").board
    heard = board.locator("#timer-now")
    expect(heard).to_have_attribute("role", "status")
    expect(heard).to_have_text("")
    board.locator("body").click(position={"x": 5, "y": 200})
    tab_to(board, lambda f: f["id"] == "timer-minutes")
    board.keyboard.type("2,5")
    board.keyboard.press("Tab")
    board.keyboard.press("Enter")
    expect(heard).to_have_text("De tijd loopt: 2,5 min.")
    # the letters from anywhere: the clock itself is no live region, so this is what a listener hears
    board.locator("body").click(position={"x": 5, "y": 200})
    for key, said in (
        ("t", "De tijd staat op pauze."),
        ("+", "Een minuut erbij."),
        ("t", "De tijd loopt weer."),
        ("0", "De tijd is gestopt."),
    ):
        with board.expect_response(lambda r: r.url.endswith("/timer")):
            board.keyboard.press(key)
        expect(heard).to_have_text(said)


def test_the_spotlight_buttons_say_what_pressing_them_does(new_context: Callable[..., Any], live_server: str) -> None:
    session = start_session(new_context, title="Uitlichten Noord")
    board = session.board
    next_until(board, "Obstakels")
    send_from_phones(live_server, session.code, FEW[:2])
    expect(board.locator("#answers .board-answer")).to_have_count(2)
    board.locator("body").click(position={"x": 5, "y": 200})
    tab_to(board, lambda f: f["text"] == f"Uitlichten: {FEW[1]}")
    row = board.locator("#answers .board-answer", has_text=FEW[1])
    view = board.locator("#view-toggle")

    # in the spotlight: the same button now stops it, by that name, seen and heard alike, with the focus kept
    with board.expect_response(lambda r: r.url.endswith("/spotlight")):
        board.keyboard.press("Enter")
    stop = row.get_by_role("button", name=f"Uitlichten stoppen: {FEW[1]}", exact=True)
    expect(stop).to_be_focused()
    expect(stop).to_have_text("Uitlichten stoppen")
    expect(stop).not_to_have_attribute("aria-pressed", re.compile(".*"))
    expect(board.get_by_role("button", name="Uitlichten stoppen", exact=True)).to_be_visible()  # the toolbar's
    expect(board.locator("#spotlight-now")).to_have_text(f"Op de projector uitgelicht: ‘{FEW[1]}’")

    # "Woordwolk tonen" shows the word cloud, also while an answer was in the spotlight: that ends
    with board.expect_response(lambda r: r.url.endswith("/projector-view")):
        board.keyboard.press("w")
    expect(view).to_have_text("Terug naar de wand")
    expect(view).not_to_have_attribute("aria-pressed", re.compile(".*"))
    expect(board.locator("#spotlight-off")).to_be_hidden()
    expect(row.get_by_role("button", name=f"Uitlichten: {FEW[1]}", exact=True)).to_be_focused()

    # over the cloud and stopped again from the same button: the cloud is back, the name says so
    board.keyboard.press("Enter")
    expect(stop).to_be_focused()
    board.keyboard.press("Enter")
    expect(row.get_by_role("button", name=f"Uitlichten: {FEW[1]}", exact=True)).to_be_focused()
    expect(view).to_have_text("Terug naar de wand")

    # and in English
    board.get_by_role("link", name="EN", exact=True).click()
    expect(board.locator("#status")).to_have_attribute("data-state", "online")
    row = board.locator("#answers .board-answer", has_text=FEW[1])
    row.get_by_role("button", name=f"Spotlight: {FEW[1]}", exact=True).click()
    expect(row.get_by_role("button", name=f"End the spotlight: {FEW[1]}", exact=True)).to_have_text("End the spotlight")
    expect(board.get_by_role("button", name="End the spotlight", exact=True)).to_be_visible()
    expect(board.locator("#view-toggle")).to_have_text("Back to the wall")


def test_merging_by_keyboard_is_found_from_the_tick_boxes_and_reaches_an_existing_pile(
    new_context: Callable[..., Any], live_server: str
) -> None:
    board = grouping_board(new_context, live_server, FEW)
    box = board.locator("#loose input[type=checkbox]")
    tab_to(board, lambda f: f["type"] == "checkbox" and f["within"] == "loose")
    expect(box.first).to_be_focused()
    # a listener on a box hears what ticking is for
    expect(box.first).to_have_accessible_description("M voegt de aangevinkte obstakels samen.")

    # M with nothing ticked says how it works, and the focus stays
    board.keyboard.press("m")
    expect(board.get_by_role("status").filter(has_text="Vink eerst obstakels aan")).to_be_visible()
    expect(box.first).to_be_focused()

    # two ticked and merged: one pile; the hint goes once a box is ticked
    board.keyboard.press("Space")
    expect(board.locator("#merge-note")).to_be_hidden()
    board.keyboard.press("Tab")
    board.keyboard.press("Space")
    with board.expect_response(lambda r: r.url.endswith("/clusters/group")):
        board.keyboard.press("m")
    pile = board.locator("#cluster-list .cluster-card")
    expect(pile.locator(".obstacle-chip")).to_have_count(2)
    expect(pile.locator(".cluster-name")).to_be_focused()

    # a loose obstacle onto that pile, without dragging: tick it and one of the pile's, then M
    board.keyboard.press("Enter")  # keeps the name
    board.locator("body").click(position={"x": 5, "y": 200})
    loose = tab_to(board, lambda f: f["type"] == "checkbox" and f["within"] == "loose")
    board.keyboard.press("Space")
    tab_to(board, lambda f: f["type"] == "checkbox" and f["text"].startswith("Selecteer") and f["within"] != "loose")
    board.keyboard.press("Space")
    with board.expect_response(lambda r: r.url.endswith("/clusters/group")) as merged:
        board.keyboard.press("m")
    assert merged.value.request.post_data_json["into"] is not None
    expect(pile).to_have_count(1)
    expect(pile.locator(".obstacle-chip")).to_have_count(3)
    expect(pile.locator(f'.obstacle-chip[data-id="{loose["item"]}"]')).to_have_count(1)
    expect(pile.locator(".cluster-name")).to_be_focused()


LONG = "Jongeren hangen elke avond rond bij het winkelcentrum omdat er nergens anders een plek voor ze is"


def test_answers_and_piles_have_short_names_and_the_projector_link_says_it_opens_a_window(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context, title="Namen Noord")
    board = session.board
    # a link that opens a window says so, to a listener as well as in its text
    expect(board.locator("#projector-link")).to_have_accessible_name("Open projector (opent in een nieuw venster)")
    expect(board.locator("#projector-link")).to_have_text(re.compile("^Open projector"))
    next_until(board, "Obstakels")
    send_from_phones(live_server, session.code, [*FEW[:2], LONG])
    rows = board.locator("#answers .board-answer")
    expect(rows).to_have_count(3)

    # a focused answer is named by its first words and who sent it, not read out whole
    expect(board.get_by_role("listitem", name=f"{FEW[0]} · Deelnemer 0 · Buurtteam", exact=True)).to_have_count(1)
    gist = "Jongeren hangen elke avond rond bij het winkelcentrum omdat…"
    long_row = board.get_by_role("listitem", name=f"{gist} · Deelnemer 0 · Buurtteam", exact=True)
    expect(long_row).to_have_attribute("tabindex", "0")
    long_row.focus()
    expect(long_row).to_be_focused()

    # a pile's card: its name, its size and its dots
    next_until(board, "Ordenen")
    for text in FEW[:2]:
        board.locator("#loose .obstacle-chip", has_text=text).locator("input[type=checkbox]").check()
    with board.expect_response(lambda r: r.url.endswith("/clusters/group")):
        board.locator("#merge").click()
    pile = board.get_by_role("article", name=f"Stapel {FEW[0]}: 2 obstakels, 0 stippen", exact=True)
    expect(pile).to_have_count(1)

    board.get_by_role("link", name="EN", exact=True).click()
    expect(board.locator("#status")).to_have_attribute("data-state", "online")
    expect(board.locator("#projector-link")).to_have_accessible_name("Open projector (opens in a new window)")
    expect(board.get_by_role("article", name=f"Pile {FEW[0]}: 2 obstacles, 0 dots", exact=True)).to_have_count(1)


def test_a_suggested_pile_is_named_by_its_name_and_size_as_it_is_renamed_and_trimmed(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session, piles = asked_for_piles(new_context, live_server, "Voorstel Noord", GROUPS["jeugdzorg"] + GROUPS["wonen"])
    board = session.board
    assert piles
    cards = board.locator("#suggest-list .suggest-card")
    for n, pile in enumerate(piles):
        name = f"Voorgestelde stapel {pile['name']}: {len(pile['answer_ids'])} obstakels"
        expect(cards.nth(n)).to_have_accessible_name(name)
    first = cards.first
    first.locator(".cluster-name").fill("Wachten op hulp")
    size = len(piles[0]["answer_ids"])
    expect(first).to_have_accessible_name(f"Voorgestelde stapel Wachten op hulp: {size} obstakels")
    first.locator(".suggest-member button").first.click()
    expect(cards.first).to_have_accessible_name(f"Voorgestelde stapel Wachten op hulp: {size - 1} obstakels")


def test_m_with_one_obstacle_ticked_says_two_are_needed_and_makes_no_pile(
    new_context: Callable[..., Any], live_server: str
) -> None:
    board = grouping_board(new_context, live_server, FEW)
    grouped: list[str] = []
    board.on("request", lambda request: grouped.append(request.url) if "/clusters/group" in request.url else None)
    tab_to(board, lambda f: f["type"] == "checkbox" and f["within"] == "loose")
    board.keyboard.press("Space")
    board.keyboard.press("m")
    note = board.get_by_role("status").filter(has_text="Eén obstakel is nog geen stapel: vink er minstens twee aan.")
    expect(note).to_be_visible()
    expect(board.locator("#loose input[type=checkbox]").first).to_be_focused()
    # pressed again, it is said again (the words are set anew in the status region)
    board.keyboard.press("m")
    expect(note).to_be_visible()
    expect(board.locator("#cluster-list .cluster-card")).to_have_count(0)
    expect(board.locator("#loose .obstacle-chip")).to_have_count(len(FEW))
    assert grouped == []

    # a second one ticked: now M merges them
    board.keyboard.press("Tab")
    board.keyboard.press("Space")
    expect(board.locator("#merge-note")).to_be_hidden()
    with board.expect_response(lambda r: r.url.endswith("/clusters/group")):
        board.keyboard.press("m")
    expect(board.locator("#cluster-list .cluster-card .obstacle-chip")).to_have_count(2)
