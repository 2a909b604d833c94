"""What a phone keeps in its browser, and for how long: old workshops' typed text goes, what is still to be sent
stays, a closed session's leftovers go once shown, and a facilitator signing out in the same browser leaves it."""

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.test_follow_up import agree
from tests.e2e.test_live_session import current_step, join, join_on, mine, next_until, send, start_session
from tests.e2e.test_phone_offline import hand_row, offline, online

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

DAY_MS = 24 * 3600 * 1000
KEPT = """() => Object.fromEntries(Object.keys(localStorage).sort().map((key) => [key, localStorage.getItem(key)]))"""
PLANT = """(keys) => { for (const [key, value] of Object.entries(keys)) localStorage.setItem(key, value); }"""


def kept(phone: Any) -> dict[str, str]:
    """Everything the phone's browser keeps in localStorage, by key."""
    result: dict[str, str] = phone.evaluate(KEPT)
    return result


def of_workshop(phone: Any, code: str) -> list[str]:
    """The keys the phone keeps for one workshop code (doorbraak:<kind>:<code>, an answer's with its id after it)."""
    return [key for key in kept(phone) if key.split(":")[2:3] == [code]]


def drafts_kept(phone: Any, code: str) -> list[Any]:
    """What the phone keeps typed and not sent for one workshop, one entry per key (each tab has its own)."""
    return [json.loads(value) for key, value in kept(phone).items() if key.startswith(f"doorbraak:drafts:{code}:")]


def kinds(phone: Any, code: str) -> set[str]:
    """What kinds of thing the phone keeps for one workshop code: outbox, drafts, votes ..."""
    return {key.split(":")[1] for key in of_workshop(phone, code)}


def test_a_phone_forgets_old_workshops_but_keeps_what_it_still_has_to_send(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    phone = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    next_until(session.board, "Obstakels")
    now = phone.evaluate("Date.now()")

    def ago(days: int) -> str:
        return json.dumps(now - days * DAY_MS)

    draft = json.dumps({"q1": {"text": "Mijn buurman drinkt te veel", "link": None, "theme": None}})
    pending = json.dumps([{"client_id": "c1", "step": "q1", "text": "Nog te versturen", "state": "pending"}])
    refused = json.dumps([{"client_id": "c2", "step": "q1", "text": "Te laat", "state": "failed", "error": "dicht"}])
    # an answer as a page keeps it now: under a key of its own
    waiting = json.dumps({"client_id": "c3", "step": "q1", "text": "Ook nog te versturen", "state": "pending"})
    gone = json.dumps({"client_id": "c4", "step": "q1", "text": "Ook te laat", "state": "failed", "error": "dicht"})
    expect(phone.locator("#step h1")).to_have_text("Wat is hier het grootste obstakel?")
    step = phone.locator("#step").get_attribute("data-step")
    listed = [{"client_id": str(uuid.uuid4()), "step": step, "text": "Uit een lijst van eerder", "state": "pending"}]
    planted = {
        # ten days unused, only typed and refused text: gone
        "doorbraak:used:OLD111": ago(10),
        "doorbraak:drafts:OLD111": draft,
        "doorbraak:outbox:OLD111": refused,
        "doorbraak:outbox:OLD111:c4": gone,
        "doorbraak:drafts:OLD111:een-tab": draft,
        # ten days unused, but an answer, a hand, a grade and dots still to be sent: kept for when it is opened
        "doorbraak:used:WAIT22": ago(10),
        "doorbraak:drafts:WAIT22": draft,
        "doorbraak:outbox:WAIT22": pending,
        "doorbraak:used:KEYS99": ago(10),
        "doorbraak:outbox:KEYS99:c3": waiting,
        "doorbraak:used:HAND33": ago(10),
        "doorbraak:hands:HAND33": json.dumps({"7": True}),
        "doorbraak:used:GRAD44": ago(10),
        "doorbraak:responses:GRAD44": json.dumps({"g1": [7]}),
        "doorbraak:used:DOTS55": ago(10),
        "doorbraak:votes:DOTS55": json.dumps({}),
        # forty days unused: even what was never sent goes
        "doorbraak:used:LATE66": ago(40),
        "doorbraak:outbox:LATE66": pending,
        # a day unused: kept as it is
        "doorbraak:used:NEW777": ago(1),
        "doorbraak:drafts:NEW777": draft,
        # kept before the phone noted when (or with a damaged note): kept, and the days count from now
        "doorbraak:drafts:LEGACY": draft,
        "doorbraak:used:BROKEN": "{not json",
        "doorbraak:drafts:BROKEN": draft,
        # damaged beyond reading, and old: gone
        "doorbraak:used:JUNK88": ago(10),
        "doorbraak:outbox:JUNK88": "[{",
        "doorbraak:hands:JUNK88": "not json",
        # this workshop's own, however old its note: it is in use
        f"doorbraak:used:{session.code}": ago(100),
        # typed in one list by the page before this one, and in a tab of this page that was closed
        f"doorbraak:drafts:{session.code}": json.dumps({"x": {"text": "Half getypt", "link": None, "theme": None}}),
        f"doorbraak:drafts:{session.code}:een-tab": json.dumps({"y": {"text": "Ook getypt", "link": "3", "at": 1}}),
        # sent without a connection and kept in one list, by the page before this one: sent now
        f"doorbraak:outbox:{session.code}": json.dumps(listed),
        # not the phone's
        "doorbraak:suggestions:abc": "{}",
        "iets-anders": "blijft",
    }
    phone.evaluate(PLANT, planted)
    phone.reload()
    expect(phone.locator("#status")).to_have_attribute("data-state", "online")

    after = kept(phone)
    for code in ("OLD111", "LATE66", "JUNK88"):
        assert of_workshop(phone, code) == [], code
    for key in [k for k in planted if re.search(r":(WAIT22|KEYS99|HAND33|GRAD44|DOTS55|NEW777)(:c3)?$", k)]:
        assert after[key] == planted[key], key
    assert after["doorbraak:drafts:LEGACY"] == draft
    assert after["doorbraak:drafts:BROKEN"] == draft
    for code in ("LEGACY", "BROKEN"):
        assert now <= json.loads(after[f"doorbraak:used:{code}"]) <= time.time() * 1000 + DAY_MS
    # both now this tab's, under one key of its own, each noting where it came from
    legacy, tab = f"doorbraak:drafts:{session.code}", f"doorbraak:drafts:{session.code}:een-tab"
    assert drafts_kept(phone, session.code) == [
        {
            "x": {"text": "Half getypt", "link": None, "theme": None, "from": [legacy]},
            "y": {"text": "Ook getypt", "link": "3", "at": 1, "from": [tab]},
        }
    ]
    assert json.loads(after[f"doorbraak:used:{session.code}"]) >= now
    assert after["doorbraak:suggestions:abc"] == "{}"
    assert after["iets-anders"] == "blijft"
    expect(mine(phone, "Uit een lijst van eerder")).to_have_class(re.compile(r"\breceived\b"))
    assert "outbox" not in kinds(phone, session.code)
    # and the page works with all that around it
    send(phone, "Te weinig plekken voor jongeren")
    expect(mine(phone, "Te weinig plekken voor jongeren")).to_have_class(re.compile(r"\breceived\b"))


def test_a_closed_session_leaves_nothing_on_the_phone_once_shown(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    board = session.board
    ali = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    next_until(board, "Obstakels")
    send(ali, "Elk loket een eigen intake")
    expect(mine(ali, "Elk loket een eigen intake")).to_have_class(re.compile(r"\breceived\b"))

    # an answer sent without a connection and a second one typed; the room closes meanwhile
    offline(ali)
    send(ali, "Verstuurd zonder verbinding")
    ali.locator("#step textarea").fill("Half getypt, nog niet verstuurd")
    assert {"outbox", "drafts"} <= kinds(ali, session.code)
    next_until(board, "Afronding")
    online(ali)
    # what could no longer count is shown once, and the phone keeps none of it
    expect(mine(ali, "Verstuurd zonder verbinding")).to_have_class(re.compile(r"\bfailed\b"))
    expect(mine(ali, "Half getypt, nog niet verstuurd")).to_be_visible()
    expect(ali.locator("#step h1")).to_have_text("Dank je wel!")
    assert of_workshop(ali, session.code) == []
    ali.reload()
    expect(ali.locator("#status")).to_have_attribute("data-state", "online")
    expect(mine(ali, "Elk loket een eigen intake")).to_be_visible()
    expect(mine(ali, "Verstuurd zonder verbinding")).to_have_count(0)
    expect(mine(ali, "Half getypt, nog niet verstuurd")).to_have_count(0)
    assert of_workshop(ali, session.code) == []


# a browser whose storage is full (or, in an old private mode, has none), and one that refuses site data outright
FULL = "Storage.prototype.setItem = function () { throw new DOMException('vol', 'QuotaExceededError'); };"
REFUSED = """Object.defineProperty(window, "localStorage", {
  get() { throw new DOMException("geweigerd", "SecurityError"); },
});"""


@pytest.mark.parametrize("storage", [FULL, REFUSED], ids=["full", "refused"])
def test_a_phone_whose_browser_keeps_nothing_still_takes_part(new_context: Callable[..., Any], storage: str) -> None:
    session = start_session(new_context)
    phone = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    phone.context.add_init_script(storage)
    phone.reload()
    expect(phone.locator("#status")).to_have_attribute("data-state", "online")
    next_until(session.board, "Obstakels")
    phone.locator("#step textarea").fill("Getypt zonder opslag")
    send(phone, "Verstuurd zonder opslag")
    expect(mine(phone, "Verstuurd zonder opslag")).to_have_class(re.compile(r"\breceived\b"))
    next_until(session.board, "Afronding")
    expect(phone.locator("#step h1")).to_have_text("Dank je wel!")


def network(page: Any) -> Callable[[bool], None]:
    """Takes one page's network away and gives it back, not its browser's: Chromium's network emulation for a tab."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")

    def connected(on: bool) -> None:
        conditions = {"offline": not on, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
        cdp.send("Network.emulateNetworkConditions", conditions)
        expect(page.locator("#status")).to_have_attribute("data-state", "online" if on else "offline")

    return connected


def test_signing_out_leaves_a_phone_in_the_same_browser_what_it_has_not_sent(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    board = session.board
    # a facilitator trying the session on the laptop: the phone is a tab of the board's own browser
    phone = join_on(board.context.new_page(), session.code, "Fenna", "Buurtalliantie")
    next_until(board, "Obstakels")
    expect(phone.locator("#step h1")).to_have_text("Wat is hier het grootste obstakel?")
    connected = network(phone)
    connected(False)
    send(phone, "Verstuurd zonder verbinding")
    phone.locator("#step textarea").fill("Half getypt")
    assert {"outbox", "drafts"} <= kinds(phone, session.code)

    board.bring_to_front()
    board.get_by_role("button", name="Uitloggen").click()
    board.wait_for_url(re.compile(r"/$"))
    board.goto("/f/workshops")
    expect(board).to_have_url(re.compile(r"/f/login"))  # signed out indeed
    assert {"outbox", "drafts"} <= kinds(phone, session.code)

    # back online, and even after a reload: the answer arrives, the typed text is still there
    connected(True)
    expect(mine(phone, "Verstuurd zonder verbinding")).to_have_class(re.compile(r"\breceived\b"))
    phone.reload()
    expect(mine(phone, "Verstuurd zonder verbinding")).to_have_class(re.compile(r"\breceived\b"))
    expect(phone.locator("#step textarea")).to_have_value("Half getypt")


SUGGESTIONS = "() => Object.keys(sessionStorage).filter((key) => key.startsWith('doorbraak:suggestions:'))"


@pytest.mark.parametrize("ended", ["everywhere", "ran_out"])
def test_a_board_tab_signed_out_another_way_forgets_its_piles_at_the_sign_in_form(
    new_context: Callable[..., Any], ended: str
) -> None:
    session = start_session(new_context)
    board = session.board
    # what the board keeps in its tab while the room groups (board_suggest.js): the piles' names and words
    board.evaluate("sessionStorage.setItem('doorbraak:suggestions:w1', JSON.stringify({piles: [{name: 'Drugs'}]}))")
    if ended == "everywhere":
        # from the account page in another tab: this tab's form never ran
        other = board.context.new_page()
        other.goto("/f/account")
        other.get_by_role("button", name="Overal uitloggen").click()
        other.wait_for_url(re.compile(r"/f/login"))
    else:
        board.context.clear_cookies()  # the session ran out: the browser drops its cookie
    assert board.evaluate(SUGGESTIONS) == ["doorbraak:suggestions:w1"]

    # the board's next page is the sign-in form, and the next person to sign in here finds nothing of them
    board.goto(board.url)
    expect(board).to_have_url(re.compile(r"/f/login\?next="))
    expect(board.get_by_role("button", name="Inloggen")).to_be_visible()
    assert board.evaluate(SUGGESTIONS) == []


def test_two_tabs_of_one_phone_offline_lose_none_of_each_others_answers(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    first = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    # the same phone opens the workshop in a second tab: the same browser, the same participant
    second = first.context.new_page()
    second.goto(first.url)
    next_until(session.board, "Obstakels")
    expect(second.locator("#step h1")).to_have_text("Wat is hier het grootste obstakel?")

    # without a connection, answers sent in turn from both tabs: each tab's save came after the other's
    offline(first)
    texts = {first: ["Eerste tab, eerste antwoord", "Eerste tab, tweede antwoord"], second: ["Tweede tab, eerste"]}
    for phone, text in [(first, texts[first][0]), (second, texts[second][0]), (first, texts[first][1])]:
        send(phone, text)
        expect(mine(phone, text)).to_have_class(re.compile(r"\bpending\b"))
    second.locator("#step textarea").fill("Tweede tab, nog aan het typen")
    # the first tab is closed before the connection is back: what it sent lives on in the browser alone
    first.close()
    online(second)

    for text in [*texts[first], *texts[second]]:
        expect(mine(second, text)).to_have_class(re.compile(r"\breceived\b"))
    # a fresh tab shows what the server stored: every answer, each once, and nothing left to send
    third = second.context.new_page()
    third.goto(second.url)
    expect(third.locator("#status")).to_have_attribute("data-state", "online")
    for text in [*texts[first], *texts[second]]:
        expect(mine(third, text)).to_have_count(1)
        expect(mine(third, text)).to_have_class(re.compile(r"\breceived\b"))
    expect(third.locator("#my-answers li.answer")).to_have_count(3)
    expect(session.board.locator("#answers .board-answer")).to_have_count(3)
    assert "outbox" not in kinds(third, session.code)


def back_one(board: Any) -> None:
    """The facilitator steps back once, and the board shows the step it went back to."""
    index = current_step(board)
    board.get_by_role("button", name="Vorige").click()
    expect(board.locator(".step-button.current")).to_have_attribute("data-index", str(index - 1))


def test_a_session_opened_again_after_its_close_leaves_the_drafts_shown_at_the_close(
    new_context: Callable[..., Any],
) -> None:
    session = start_session(new_context)
    board = session.board
    ali = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    next_until(board, "Obstakels")
    ali.locator("#step textarea").fill("Half getypt toen de sessie sloot")
    next_until(board, "Afronding")
    # shown once at the close, as not sent; the phone keeps none of it
    expect(ali.locator("#step h1")).to_have_text("Dank je wel!")
    expect(mine(ali, "Half getypt toen de sessie sloot")).to_be_visible()
    assert of_workshop(ali, session.code) == []

    # the facilitator opens the session again: the phone shows what a reload would, without the old draft
    back_one(board)
    expect(ali.locator("#step h1")).not_to_have_text("Dank je wel!")
    expect(mine(ali, "Half getypt toen de sessie sloot")).to_have_count(0)
    while not re.search("Obstakels", board.locator(".step-button.current").inner_text()):
        back_one(board)
    expect(ali.locator("#step h1")).to_have_text("Wat is hier het grootste obstakel?")
    expect(ali.locator("#step textarea")).to_have_value("")
    ali.locator("#step textarea").fill("Nieuw")
    [drafts] = drafts_kept(ali, session.code)
    assert list(drafts) == [ali.locator("#step").get_attribute("data-step")]
    assert {key: value for key, value in next(iter(drafts.values())).items() if key != "at"} == {
        "text": "Nieuw",
        "link": None,
        "theme": None,
    }


def test_a_list_kept_by_an_older_page_is_sent_even_with_a_full_storage_and_leaves_no_damage(
    new_context: Callable[..., Any],
) -> None:
    session = start_session(new_context)
    phone = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    next_until(session.board, "Obstakels")
    expect(phone.locator("#step h1")).to_have_text("Wat is hier het grootste obstakel?")
    step = phone.locator("#step").get_attribute("data-step")
    listed = [{"client_id": str(uuid.uuid4()), "step": step, "text": "Uit een volle opslag", "state": "pending"}]
    phone.evaluate(PLANT, {f"doorbraak:outbox:{session.code}": json.dumps(listed)})
    # the storage is full by the time the new page opens: the list cannot become keys
    phone.context.add_init_script(FULL)
    phone.reload()
    expect(mine(phone, "Uit een volle opslag")).to_have_class(re.compile(r"\breceived\b"))

    # damaged entries of such a list (no text, no id, not an answer at all) become nothing the phone keeps waiting
    other = join(new_context, session.code, "Bo", "Buurtteam")
    damaged = [
        {"client_id": str(uuid.uuid4()), "step": step, "text": "Heel gebleven", "state": "pending"},
        {"client_id": "", "step": step, "text": "Zonder id", "state": "pending"},
        {"client_id": "zonder-tekst", "step": step, "state": "pending"},
        5,
        None,
        "los",
    ]
    other.evaluate(PLANT, {f"doorbraak:outbox:{session.code}": json.dumps(damaged)})
    other.reload()
    expect(mine(other, "Heel gebleven")).to_have_class(re.compile(r"\breceived\b"))
    expect(other.locator("#my-answers li.answer")).to_have_count(1)
    assert "outbox" not in kinds(other, session.code)
    # so the close leaves nothing behind: nothing seems still to be sent
    other.locator("#step textarea").fill("Half getypt")
    next_until(session.board, "Afronding")
    expect(other.locator("#step h1")).to_have_text("Dank je wel!")
    assert of_workshop(other, session.code) == []


def test_two_tabs_of_one_phone_keep_each_others_typed_text(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    first = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    second = first.context.new_page()
    second.goto(first.url)
    next_until(session.board, "Obstakels")
    for phone in (first, second):
        expect(phone.locator("#step h1")).to_have_text("Wat is hier het grootste obstakel?")

    # typed in one tab, then an answer sent from the other: the other tab's save took the first one's text out
    first.locator("#step textarea").fill("Half getypt in de eerste tab")
    send(second, "Verstuurd uit de tweede tab")
    expect(mine(second, "Verstuurd uit de tweede tab")).to_have_class(re.compile(r"\breceived\b"))
    second.locator("#step textarea").fill("Half getypt in de tweede tab")
    url = first.url
    first.close()
    second.close()

    # a tab opened later finds both tabs' typed text, each whole, and the phone keeps it once
    again = new_tab(second, url)
    box = again.locator("#step textarea")
    expect(box).to_have_value("Half getypt in de eerste tab\n\nHalf getypt in de tweede tab")
    assert [key.split(":")[1] for key in of_workshop(again, session.code)].count("drafts") == 1

    # a tab opened beside a living one shows its text too, and lets go of it once that tab sends it
    beside = new_tab(again, url)
    expect(beside.locator("#step textarea")).to_have_value(box.input_value())
    again.locator("#step").get_by_role("button", name="Versturen").click()
    expect(again.locator("#my-answers li.answer.received")).to_have_count(2)
    expect(beside.locator("#step textarea")).to_have_value("")
    beside.reload()
    expect(beside.locator("#status")).to_have_attribute("data-state", "online")
    expect(beside.locator("#step textarea")).to_have_value("")
    assert "drafts" not in kinds(beside, session.code)


def test_two_tabs_of_one_phone_offline_keep_each_others_raised_hands(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    board = session.board
    first = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    second = first.context.new_page()
    second.goto(first.url)
    next_until(board, "Afspraken")
    agree(board, "Huiskamer in de flat", "Welzijn Noord")
    agree(board, "Wijkagent op school", "Politie")
    for phone in (first, second):
        expect(hand_row(phone, "Wijkagent op school")).to_be_visible()

    # without a connection, a hand in each tab: the second tab's save of one key for all took the first one's out
    offline(first)
    hand_row(first, "Huiskamer in de flat").get_by_role("button", name="Ik doe mee").click()
    hand_row(second, "Wijkagent op school").get_by_role("button", name="Ik doe mee").click()
    for phone, title in [(first, "Huiskamer in de flat"), (second, "Wijkagent op school")]:
        expect(hand_row(phone, title).locator("button.hand")).to_contain_text("wacht op verbinding")
    url = first.url
    first.close()
    second.close()

    # the phone opens the workshop again with a connection: both hands are sent, each once, and none is left kept
    first.context.set_offline(False)
    again = new_tab(second, url)
    for title in ("Huiskamer in de flat", "Wijkagent op school"):
        expect(hand_row(again, title).get_by_role("button", name="Je doet mee ✓")).to_be_visible()
        board_item = board.locator("#action-list li.action-item", has_text=title)
        expect(board_item).to_contain_text("Doen mee: Ali · Woonstichting Thuis")
    expect(again.locator("#step button.hand.waiting")).to_have_count(0)
    assert "hands" not in kinds(again, session.code)


def new_tab(phone: Any, url: str) -> Any:
    """Another tab of the same phone's browser on the workshop's page, once it is live."""
    tab = phone.context.new_page()
    tab.goto(url)
    expect(tab.locator("#status")).to_have_attribute("data-state", "online")
    return tab


def test_a_sent_answer_does_not_come_back_from_a_tab_that_copied_it(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    first = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    next_until(session.board, "Obstakels")
    expect(first.locator("#step h1")).to_have_text("Wat is hier het grootste obstakel?")
    url = first.url

    # typed in one tab; a second tab opens and copies it, a third copies that copy; both close again
    first.locator("#step textarea").fill("Half getypt in de eerste tab")
    for _ in range(2):
        copy = new_tab(first, url)
        expect(copy.locator("#step textarea")).to_have_value("Half getypt in de eerste tab")
    for page in first.context.pages[1:]:
        page.close()

    # the first tab sends it: a tab opened now starts empty, where the closed tabs' copies came back as a draft
    first.locator("#step").get_by_role("button", name="Versturen").click()
    expect(mine(first, "Half getypt in de eerste tab")).to_have_class(re.compile(r"\breceived\b"))
    again = new_tab(first, url)
    expect(again.locator("#step textarea")).to_have_value("")
    assert not any(drafts_kept(again, session.code))


def test_a_tab_lets_go_of_its_text_once_the_tab_that_copied_it_sends_it(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    first = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    next_until(session.board, "Obstakels")
    expect(first.locator("#step h1")).to_have_text("Wat is hier het grootste obstakel?")
    first.locator("#step textarea").fill("Half getypt in de eerste tab")
    second = new_tab(first, first.url)

    # sent from the tab that copied it: the first tab's box empties, rather than offering it to send a second time
    second.locator("#step").get_by_role("button", name="Versturen").click()
    expect(mine(second, "Half getypt in de eerste tab")).to_have_class(re.compile(r"\breceived\b"))
    expect(first.locator("#step textarea")).to_have_value("")
    first.close()
    expect(new_tab(second, second.url).locator("#step textarea")).to_have_value("")


def test_a_tab_whose_hands_a_newer_tab_took_does_not_raise_them_again(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    board = session.board
    first = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    next_until(board, "Afspraken")
    agree(board, "Huiskamer in de flat", "Welzijn Noord")
    expect(hand_row(first, "Huiskamer in de flat")).to_be_visible()

    # the first tab loses its connection (this tab alone) and keeps a hand raised there
    first.evaluate("dispatchEvent(new Event('offline'))")
    expect(first.locator("#status")).to_have_attribute("data-state", "offline")
    hand_row(first, "Huiskamer in de flat").get_by_role("button", name="Ik doe mee").click()
    expect(hand_row(first, "Huiskamer in de flat").locator("button.hand")).to_contain_text("wacht op verbinding")

    # a second tab takes the hand over and sends it; the participant lowers it there again
    second = new_tab(first, first.url)
    board_item = board.locator("#action-list li.action-item", has_text="Huiskamer in de flat")
    expect(board_item).to_contain_text("Doen mee: Ali · Woonstichting Thuis")
    hand_row(second, "Huiskamer in de flat").get_by_role("button", name="Je doet mee ✓").click()
    expect(board_item).not_to_contain_text("Doen mee")
    expect(second.locator("#step button.hand.waiting")).to_have_count(0)

    # the first tab let go of it, and says that what it shows may be out of date
    expect(hand_row(first, "Huiskamer in de flat").locator("button.hand.waiting")).to_have_count(0)
    expect(first.locator(".phone-notice")).to_contain_text("ook open in een ander tabblad")
    # back online it sends nothing: the hand lowered in the second tab stays down
    first.evaluate("dispatchEvent(new Event('online'))")
    expect(first.locator("#status")).to_have_attribute("data-state", "online")
    expect(hand_row(first, "Huiskamer in de flat").get_by_role("button", name="Ik doe mee")).to_be_visible()
    fresh = new_tab(second, second.url)
    expect(hand_row(fresh, "Huiskamer in de flat").get_by_role("button", name="Ik doe mee")).to_be_visible()
    expect(board_item).not_to_contain_text("Doen mee")


def deaf_server(page: Any) -> None:
    """The page hears the server, but nothing it sends arrives (the network went as it sent)."""

    def route(socket: Any) -> None:
        socket.connect_to_server()
        socket.on_message(lambda message: None)

    page.route_web_socket(re.compile(r"/ws/phone/"), route)


def test_hands_a_newer_tab_took_come_back_to_the_older_tab_when_it_closes_unsent(
    new_context: Callable[..., Any],
) -> None:
    session = start_session(new_context)
    board = session.board
    first = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    next_until(board, "Afspraken")
    agree(board, "Huiskamer in de flat", "Welzijn Noord")
    expect(hand_row(first, "Huiskamer in de flat")).to_be_visible()
    first.evaluate("dispatchEvent(new Event('offline'))")
    expect(first.locator("#status")).to_have_attribute("data-state", "offline")
    hand_row(first, "Huiskamer in de flat").get_by_role("button", name="Ik doe mee").click()

    # a second tab takes the hand over, but what it sends never arrives, and it is closed
    second = first.context.new_page()
    deaf_server(second)
    second.goto(first.url)
    expect(hand_row(second, "Huiskamer in de flat").locator("button.hand.waiting")).to_have_count(1)
    expect(hand_row(first, "Huiskamer in de flat").locator("button.hand.waiting")).to_have_count(0)
    expect(first.locator(".phone-notice")).to_contain_text("ook open in een ander tabblad")
    second.close()

    # the first tab has it again: waiting, no longer saying the other tab sends it, and sent once it is online
    expect(hand_row(first, "Huiskamer in de flat").locator("button.hand")).to_contain_text("wacht op verbinding")
    expect(first.locator(".phone-notice")).to_be_hidden()
    first.evaluate("dispatchEvent(new Event('online'))")
    board_item = board.locator("#action-list li.action-item", has_text="Huiskamer in de flat")
    expect(board_item).to_contain_text("Doen mee: Ali · Woonstichting Thuis")
    expect(hand_row(first, "Huiskamer in de flat").get_by_role("button", name="Je doet mee ✓")).to_be_visible()
    expect(first.locator("#step button.hand.waiting")).to_have_count(0)
    assert "hands" not in kinds(first, session.code)
