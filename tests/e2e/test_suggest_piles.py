"""Suggested piles in real browsers: 60 obstacles from phones, "Stel stapels voor", two piles accepted (one renamed
and trimmed), one rejected; the projector follows and the vote runs on those piles. And 200 obstacles' suggestions
fit a laptop and a phone-sized board."""

import asyncio
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from app.bench import grouping
from app.demo.driver import send_crowd
from tests.e2e.conftest import PHONE, PROJECTOR
from tests.e2e.test_agreed_actions import exactly, tap, wall_pile
from tests.e2e.test_live_session import board_row, join, next_until, open_projector, start_session
from tests.e2e.test_projector_wall import board_post, workshop_id

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

AKIN = "Achterstand bij de zorgverzekeraar en nu de wanbetalersregeling"
GROUPS = {
    "plek": ["Geen plek voor jongeren"] * 3
    + ["geen plek voor jongeren", "Geen plek voor jongeren!", "GEEN PLEK VOOR JONGEREN", "Geen plek voor jongeren 😞"]
    + ["geen plek voor jongeren.", "Er is geen plek voor jongeren"],
    "jeugdzorg": [
        "Wachtlijsten in de jeugdzorg",
        "Kinderen wachten maanden op jeugdhulp",
        "wachtlijsten jeugdzorg",
        "De wachtlijst voor jeugdzorg is te lang",
        "Jeugdhulp pas na maanden wachten",
        "Wachttijd jeugdzorg loopt op",
        "Gezinnen op de wachtlijst voor jeugdzorg",
        "wachtlijst jeugzorg",
    ],
    "wonen": [
        "Te weinig betaalbare woningen",
        "Woningtekort",
        "Starters vinden geen betaalbare woning",
        "Geen betaalbare huurwoningen",
        "Tekort aan woningen voor jonge gezinnen",
        "Betaalbare huurwoningen zijn er niet",
        "Er worden te weinig woningen gebouwd",
        "Woningnood in de wijk",
    ],
    "schulden": [
        "Mensen met schulden vragen geen hulp",
        "Schuldhulpverlening is te ingewikkeld",
        "Hulp bij schulden komt te laat",
        "Schulden stapelen zich op",
        "Problematische schulden bij jongeren",
        "Schulden worden te laat gezien",
        # shares no word with the rest: it belongs by what it means
        AKIN,
        "Niemand praat over schulden",
    ],
    "eenzaam": [
        "Ouderen zijn eenzaam",
        "Eenzaamheid onder ouderen",
        "Veel ouderen zitten alleen thuis",
        "Eenzaamheid bij ouderen neemt toe",
        "Senioren vereenzamen",
        "Eenzame ouderen in de flat",
        "Ouderen hebben geen sociaal netwerk",
        "eenzaamheid",
    ],
    "politie": [
        "De wijkagent is onzichtbaar",
        "Te weinig politie op straat",
        "We kennen onze wijkagent niet",
        "Geen vaste wijkagent meer",
        "Politie is niet zichtbaar in de buurt",
        "Wijkagent heeft drie wijken",
        "De politie komt te laat",
        "Wijkagent onbekend",
    ],
}
LOOSE = [
    "De bus rijdt 's avonds niet",
    "Hondenpoep op het gras",
    "Laadpalen altijd bezet",
    "Asbest in de schuurtjes",
    "🙈",
    "https://www.voorbeeld.nl/klacht",
    "De markt is verplaatst",
    "Kerken sluiten",
    "Vuurwerk rond oud en nieuw",
    "Te weinig bankjes",
    "Wifi in het buurthuis",
]
RENAMED = "Wachten op jeugdhulp"


def crowd(texts: list[str], per_phone: int = 10) -> list[tuple[tuple[str, str], str]]:
    """The texts, each sent by one of a row of simulated phones (a phone may send ten at once)."""
    return [((f"Deelnemer {i // per_phone}", "Buurtteam"), text) for i, text in enumerate(texts)]


def send_from_phones(base_url: str, code: str, texts: list[str]) -> None:
    """Phones over real websockets send the texts; the browser's own loop is this thread's, so they run beside it."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, send_crowd(base_url, code, crowd(texts))).result()


def asked_for_piles(
    new_context: Callable[..., Any], live_server: str, title: str, texts: list[str]
) -> tuple[Any, list[dict[str, Any]]]:
    """A session whose phones sent the texts, on its grouping step, the board showing the piles it asked for (G):
    the session and the piles proposed."""
    session = start_session(new_context, title=title)
    board = session.board
    next_until(board, "Obstakels")
    send_from_phones(live_server, session.code, texts)
    expect(board.locator("#answers .board-answer")).to_have_count(len(texts))
    next_until(board, "Ordenen")
    with board.expect_response(lambda response: response.url.endswith("/suggestions")) as asked:
        board.locator("body").press("g")
    piles: list[dict[str, Any]] = asked.value.json()["piles"]
    expect(board.locator("#suggest-list article.suggest-card")).to_have_count(len(piles))
    return session, piles


def card(board: Any, member: str) -> Any:
    """A suggested pile on the board, by one of its obstacles."""
    return board.locator("#suggest-list article.suggest-card").filter(
        has=board.locator(".suggest-member .text", has_text=exactly(member))
    )


def test_suggested_piles_are_accepted_renamed_trimmed_and_rejected_and_the_room_votes_on_them(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context, title="Stapels voorstellen")
    board = session.board
    projector = open_projector(new_context, session)
    phone = join(new_context, session.code, "Ali", "Woonstichting")
    next_until(board, "Obstakels")
    texts = [text for group in GROUPS.values() for text in group] + LOOSE
    assert len(texts) == 60
    send_from_phones(live_server, session.code, texts)
    expect(board.locator("#answers .board-answer")).to_have_count(60)

    next_until(board, "Ordenen")
    expect(board.locator("#suggest-panel")).to_be_hidden()
    board.locator("body").press("g")
    cards = board.locator("#suggest-list article.suggest-card")
    expect(cards.first).to_be_visible()
    # near-duplicates come first, named after themselves
    first = cards.first
    expect(first.locator(".cluster-name")).to_have_value("Geen plek voor jongeren")
    expect(first.locator(".badge", has_text="bijna gelijk")).to_have_count(1)
    # a long pile shows its first few obstacles, the rest one press away
    expect(first.locator(".suggest-member")).to_have_count(5)
    first.get_by_role("button", name=re.compile("Toon nog")).click()
    expect(first.locator(".suggest-member .text", has_text=re.compile("plek voor jongeren", re.I))).to_have_count(9)
    # every card says why: the shared words, marked in the obstacles too
    jeugd = card(board, "Wachtlijsten in de jeugdzorg")
    expect(jeugd.locator(".suggest-why mark").first).to_be_visible()
    expect(jeugd.locator(".suggest-member mark").first).to_be_visible()
    # a member that belongs by meaning alone has its word nearest in meaning underlined, and the card says why
    debts = card(board, "Schulden stapelen zich op")
    # while that member is behind "Toon nog", the card has no underline to explain
    expect(debts.locator(".suggest-member", has_text=AKIN)).to_have_count(0)
    expect(debts.locator(".akin-note")).to_be_hidden()
    debts.get_by_role("button", name=re.compile("Toon nog")).click()
    expect(debts.locator(".akin-note")).to_be_visible()
    akin = debts.locator(".suggest-member", has_text=AKIN).locator("mark")
    expect(akin).to_have_text(["wanbetalersregeling"])
    expect(akin).to_have_class("akin")
    expect(akin).to_have_attribute("title", re.compile("om wat het betekent"))
    expect(debts.locator(".akin-note")).to_contain_text("om wat het betekent")
    expect(jeugd.locator(".akin-note")).to_have_count(0)
    expect(board.locator("#cluster-list .cluster-card")).to_have_count(0)  # nothing changed for the room yet
    expect(projector.locator("#round-answers article.note.cluster")).to_have_count(0)

    # accept the near-duplicates as they are
    first.get_by_role("button", name="Overnemen").click()
    expect(wall_pile(projector, "Geen plek voor jongeren")).to_have_count(1)
    # rename and trim the youth-care pile, then accept it
    jeugd.get_by_role("button", name=re.compile("Toon nog")).click()
    jeugd.locator(".cluster-name").fill(RENAMED)
    jeugd.get_by_role("button", name="eruit: Wachttijd jeugdzorg loopt op").click()
    expect(card(board, "Wachttijd jeugdzorg loopt op")).to_have_count(0)
    members = [m for m in GROUPS["jeugdzorg"] if m != "Wachttijd jeugdzorg loopt op"]
    expect(card(board, members[0]).locator(".cluster-name")).to_have_value(RENAMED)
    # asking again, as one would when more obstacles came in, keeps what was done on the card
    board.evaluate("document.activeElement.blur()")  # in the name field G is a letter
    board.locator("body").press("g")
    expect(board.locator("#suggest-summary")).to_have_text(
        re.compile(r"stapels voorgesteld; \d+ obstakels? (blijven|blijft) los\.")
    )
    expect(card(board, members[0]).locator(".cluster-name")).to_have_value(RENAMED)
    expect(card(board, "Wachttijd jeugdzorg loopt op")).to_have_count(0)
    # the pile added to is captioned apart from what the suggestion adds: here no pile is added to
    expect(board.locator("#suggest-list .kept-head")).to_have_count(0)
    suggested = card(board, members[0]).locator(".suggest-member .text").all_inner_texts()
    card(board, members[0]).get_by_role("button", name="Overnemen").click()
    expect(board.locator("#suggest-note-text")).to_have_text(re.compile("1 stapel gemaakt"))
    # reject the debts pile: it goes, and nothing of it reaches the room
    debts.get_by_role("button", name="Afwijzen").click()
    expect(debts).to_have_count(0)

    # the board and the projector follow the accepted grouping, the left-out obstacle is still loose
    expect(board.locator("#cluster-list .cluster-card")).to_have_count(2)
    for still_loose in ("Wachttijd jeugdzorg loopt op", "Schulden stapelen zich op"):
        expect(board.locator("#loose li.obstacle-chip .text", has_text=exactly(still_loose))).to_have_count(1)
    renamed = board.locator("#cluster-list .cluster-card").filter(
        has=board.locator(".member-list .text", has_text=exactly(members[0]))
    )
    expect(renamed.locator(".member-list .text")).to_have_text(suggested)
    expect(wall_pile(projector, RENAMED).locator(".pile-count")).to_have_text(f"{len(suggested)} obstakels")
    expect(projector.locator("#round-answers article.note.cluster")).to_have_count(2)

    # the vote runs on those piles (every loose obstacle becomes a pile of its own)
    next_until(board, "Stemmen")
    vote_names = phone.locator("#step .vote-list li.vote-item strong")
    expect(vote_names.filter(has_text=exactly(RENAMED))).to_have_count(1)
    expect(vote_names.filter(has_text=exactly("Geen plek voor jongeren"))).to_have_count(1)
    tap(phone, "+", RENAMED, 2)
    tap(phone, "+", RENAMED, 1)
    rows = projector.locator("#round-answers article.rank")
    expect(rows.first.locator(".rank-name")).to_have_text(RENAMED)
    expect(rows.first.locator(".rank-votes")).to_have_text("2")
    assert session.dialogs == []


@pytest.mark.parametrize("screen", ["laptop", "phone"])
def test_the_suggestions_for_200_obstacles_fit_the_screen(
    new_context: Callable[..., Any], live_server: str, screen: str, tmp_path: Any
) -> None:
    session = start_session(new_context, title="Een grote zaal")
    board = session.board
    if screen == "phone":
        board.set_viewport_size(PHONE["viewport"])
    else:
        board.set_viewport_size(PROJECTOR["viewport"])
    next_until(board, "Obstakels")
    texts = [text for group in GROUPS.values() for text in group] + LOOSE
    # 200 obstacles: the 60 above, and as many again with a word more, as a big room would send
    texts = (texts + [f"{t} in Noord" for t in texts] + [f"Echt: {t.lower()}" for t in texts] + texts[:20])[:200]
    send_from_phones(live_server, session.code, texts)
    expect(board.locator("#answers .board-answer")).to_have_count(200)
    next_until(board, "Ordenen")
    board.get_by_role("button", name=re.compile("Stel stapels voor")).click()
    expect(board.locator("#suggest-list article.suggest-card").first).to_be_visible()
    board.locator("#suggest-panel").scroll_into_view_if_needed()
    board.screenshot(path=str(tmp_path / f"suggestions-{screen}.png"))
    # nothing sticks out sideways, however long the names and however many piles
    assert board.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert board.locator("#suggest-list").evaluate(
        "(list) => [...list.querySelectorAll('.suggest-card')].every((c) => c.scrollWidth <= c.clientWidth + 1)"
    )
    assert session.dialogs == []


def test_an_addition_keeps_the_piles_new_name_and_the_note_says_what_was_skipped(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context, title="Stapels aanvullen")
    board = session.board
    next_until(board, "Obstakels")
    # debts that each say "schuld": in a room of eleven, one that belongs by meaning alone would be too unsure
    debts = [text if text != AKIN else "Schuldhulp is onbekend" for text in GROUPS["schulden"]]
    others = LOOSE[:3]
    send_from_phones(live_server, session.code, [*debts, *others])
    expect(board.locator("#answers .board-answer")).to_have_count(len(debts) + len(others))
    ids = {text: int(board_row(board, text).get_attribute("data-id")) for text in [*debts, *others]}

    next_until(board, "Ordenen")
    # six of the debts on a pile of their own, with a name and a tension but no theme
    made = board_post(board, "/clusters/group", {"answer_ids": [ids[t] for t in debts[:6]], "name": "Oude naam"})
    pile = next(c["id"] for c in made["clusters"] if c["name"] == "Oude naam")
    board_post(board, f"/clusters/{pile}", {"tension": "besluitvorming"})
    board.locator("body").press("g")
    addition = board.locator("#suggest-list article.suggest-card").filter(
        has=board.locator(".badge", has_text="bestaande")
    )
    expect(addition).to_have_count(1)
    expect(addition.locator(".cluster-name")).to_have_value("Oude naam")
    expect(addition.locator(".kept-head")).to_have_text(["Al op ‘Oude naam’:", "Komt erbij:"])
    # each tag keeps its label in sight once it has a value
    expect(addition.locator(".tag-select .tag-label")).to_have_text(["Spanningscluster", "Thema"])
    # the card proposes the theme the pile lacks (the shipped keywords put debts under work)
    expect(addition.locator("select").nth(1)).to_have_value("werken")
    # a co-facilitator renames and re-tags the pile meanwhile
    board_post(board, f"/clusters/{pile}", {"name": "Schuldhulp", "tension": "financiering"})
    expect(board.locator("#cluster-list .cluster-card .cluster-name").first).to_have_value("Schuldhulp")

    # the board still believes the bus obstacle is loose and on the card; the server hid it meanwhile
    hidden = ids[others[0]]
    response = board.request.post(
        f"/f/workshops/{workshop_id(board)}/answers/{hidden}/hidden",
        form={"hidden": "true"},
        headers={"X-CSRF-Token": board.locator('meta[name="csrf-token"]').get_attribute("content")},
    )
    assert response.ok, response.text()

    def stale(route: Any) -> None:
        body = route.request.post_data_json
        body["piles"][0]["answer_ids"].append(hidden)
        route.continue_(post_data=json.dumps(body))

    board.route("**/suggestions/accept", stale)
    addition.get_by_role("button", name="Overnemen").click()
    expect(board.locator("#suggest-note-text")).to_have_text(
        "1 stapel gemaakt. Overgeslagen omdat het intussen veranderde: 1 verborgen."
    )
    # the pile took the two debts, kept the name and tension given it after the ask, and took the proposed theme
    renamed = board.locator("#cluster-list .cluster-card").filter(
        has=board.locator(".member-list .text", has_text=exactly(debts[7]))
    )
    expect(renamed.locator(".cluster-name")).to_have_value("Schuldhulp")
    expect(renamed.locator(".member-list .text")).to_have_count(len(debts))
    expect(renamed.locator("select").nth(0)).to_have_value("financiering")
    expect(renamed.locator("select").nth(1)).to_have_value("werken")
    # taken back in one press: every debt is loose again and the pile is gone
    renamed.get_by_role("button", name="Stapel opheffen: Schuldhulp").click()
    expect(board.locator("#cluster-list .cluster-card")).to_have_count(0)
    expect(board.locator("#loose li.obstacle-chip .text", has_text=exactly(debts[7]))).to_have_count(1)
    assert session.dialogs == []


def test_a_pile_whose_members_are_little_alike_is_marked_and_comes_last(
    new_context: Callable[..., Any], live_server: str
) -> None:
    # a room of one opgave: a third of a labelled set's obstacles, where the matcher marks a few piles as doubtful
    texts = grouping.load(grouping.DATA / "obstacles_nl_holdout18.yaml").texts[::3]
    session, piles = asked_for_piles(new_context, live_server, "Politie en vertrouwen", texts)
    board = session.board
    doubtful = [pile["doubtful"] for pile in piles]
    assert 0 < sum(doubtful) < len(piles)
    cards = board.locator("#suggest-list article.suggest-card")
    badges = board.locator("#suggest-list .badge.doubtful")
    expect(badges).to_have_count(sum(doubtful))
    expect(badges.first).to_have_text("minder samenhang")
    # before "Alles overnemen" the summary says how many the matcher is unsure of, and where they are
    n = sum(doubtful)
    unsure = "De stapel met minder samenhang staat" if n == 1 else f"De {n} met minder samenhang staan"
    expect(board.locator("#suggest-summary")).to_contain_text(f"{unsure} onderaan.")
    # what it means is on the card itself, for a phone has no pointer to hover with
    notes = board.locator("#suggest-list .doubt-note")
    expect(notes).to_have_count(sum(doubtful))
    expect(notes.first).to_have_text("Deze obstakels lijken weinig op elkaar: kijk na of ze bij elkaar horen")
    # the doubtful ones are the last cards, after every pile the matcher is surer of
    marked = [card.locator(".badge.doubtful").count() == 1 for card in cards.all()]
    assert marked == sorted(marked)
    assert session.dialogs == []


def test_an_ask_that_proposes_nothing_says_why_and_meta_g_is_left_to_the_browser(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context, title="Niets voor te stellen")
    board = session.board
    asks: list[str] = []
    board.on("request", lambda request: asks.append(request.url) if request.url.endswith("/suggestions") else None)
    next_until(board, "Obstakels")
    unlike = ["Hondenpoep op het gras", "Laadpalen altijd bezet"]
    send_from_phones(live_server, session.code, unlike)
    expect(board.locator("#answers .board-answer")).to_have_count(2)
    ids = [int(board_row(board, text).get_attribute("data-id")) for text in unlike]
    next_until(board, "Ordenen")
    # Cmd+G is the browser's "find next" on a Mac: it must not ask, nor use up an ask of the minute
    board.locator("body").press("Meta+g")
    # a press that asks posts at once; nothing posted in half a second is nothing posted
    board.wait_for_timeout(500)
    assert asks == []
    board.locator("body").press("g")
    expect(board.locator("#suggest-summary")).to_have_text(
        "Geen stapels om voor te stellen: van de 2 losse obstakels lijkt er geen genoeg op een ander."
    )
    assert len(asks) == 1

    def hide(answer_id: int) -> None:
        response = board.request.post(
            f"/f/workshops/{workshop_id(board)}/answers/{answer_id}/hidden",
            form={"hidden": "true"},
            headers={"X-CSRF-Token": board.locator('meta[name="csrf-token"]').get_attribute("content")},
        )
        assert response.ok, response.text()

    hide(ids[0])
    board.locator("body").press("g")
    expect(board.locator("#suggest-summary")).to_have_text(
        "Geen stapels om voor te stellen: er is maar één los obstakel."
    )
    hide(ids[1])
    board.locator("body").press("g")
    expect(board.locator("#suggest-summary")).to_have_text(
        "Geen stapels om voor te stellen: er zijn geen losse obstakels (verborgen obstakels tellen niet mee)."
    )
    assert len(asks) == 3
    assert session.dialogs == []


def test_alles_overnemen_is_undone_in_one_press_and_the_proposals_come_back(
    new_context: Callable[..., Any], live_server: str
) -> None:
    texts = [*GROUPS["wonen"], *GROUPS["politie"], *LOOSE[:3]]
    session, piles = asked_for_piles(new_context, live_server, "Alles terug", texts)
    proposed = len(piles)
    board = session.board
    assert proposed >= 2
    cards = board.locator("#suggest-list article.suggest-card")
    undo = board.get_by_role("button", name="Ongedaan maken")
    expect(undo).to_be_hidden()
    board.get_by_role("button", name=f"Alles overnemen ({proposed})").click()
    expect(board.locator("#cluster-list .cluster-card")).to_have_count(proposed)
    expect(cards).to_have_count(0)
    expect(board.locator("#suggest-note-text")).to_have_text(f"{proposed} stapels gemaakt.")
    undo.click()
    # the room is as it was, and every proposal is back to take one by one
    expect(board.locator("#cluster-list .cluster-card")).to_have_count(0)
    expect(board.locator("#loose li.obstacle-chip")).to_have_count(len(texts))
    expect(cards).to_have_count(proposed)
    expect(board.locator("#suggest-note-text")).to_have_text(
        re.compile(r"^Teruggedraaid: \d+ obstakels liggen weer los en staan weer bij de voorstellen\.$")
    )
    expect(board.locator("#suggest-summary")).to_have_text(f"{proposed} voorstellen staan open.")
    expect(undo).to_be_hidden()
    card(board, GROUPS["politie"][0]).get_by_role("button", name="Overnemen").click()
    expect(board.locator("#cluster-list .cluster-card")).to_have_count(1)
    expect(undo).to_be_visible()
    # once anyone changes the piles after it, the accept is no longer the last word: its undo goes
    loose = int(board_row(board, LOOSE[0]).get_attribute("data-id"))
    board_post(
        board, "/clusters/group", {"answer_ids": [loose, int(board_row(board, LOOSE[1]).get_attribute("data-id"))]}
    )
    expect(board.locator("#cluster-list .cluster-card")).to_have_count(2)
    expect(undo).to_be_hidden()
    assert session.dialogs == []


def test_the_proposals_survive_a_reload_of_the_board_as_they_were_left(
    new_context: Callable[..., Any], live_server: str
) -> None:
    texts = [*GROUPS["wonen"], *GROUPS["politie"], *GROUPS["jeugdzorg"], *LOOSE[:3]]
    session, piles = asked_for_piles(new_context, live_server, "Herladen", texts)
    proposed = len(piles)
    board = session.board
    assert proposed >= 3
    cards = board.locator("#suggest-list article.suggest-card")
    summary = board.locator("#suggest-summary").inner_text()
    # one renamed, one trimmed, one rejected
    jeugd = card(board, GROUPS["jeugdzorg"][0])
    jeugd.locator(".cluster-name").fill(RENAMED)
    wonen = card(board, GROUPS["wonen"][0])
    dropped = wonen.locator(".suggest-member .text").last.inner_text()
    wonen.get_by_role("button", name=f"eruit: {dropped}", exact=True).click()
    politie = card(board, GROUPS["politie"][0])
    politie.get_by_role("button", name="Afwijzen").click()
    expect(cards).to_have_count(proposed - 1)

    board.reload()
    expect(cards).to_have_count(proposed - 1)
    expect(board.locator("#suggest-summary")).to_have_text(summary)
    expect(card(board, GROUPS["jeugdzorg"][0]).locator(".cluster-name")).to_have_value(RENAMED)
    expect(card(board, GROUPS["politie"][0])).to_have_count(0)
    expect(board.locator("#suggest-list .suggest-member .text", has_text=exactly(dropped))).to_have_count(0)
    # and what was kept can be taken as it was left
    card(board, GROUPS["jeugdzorg"][0]).get_by_role("button", name="Overnemen").click()
    expect(board.locator("#cluster-list .cluster-name")).to_have_value(RENAMED)
    # signing out takes the piles' words out of the browser, for the next person at the laptop
    kept = "() => Object.keys(sessionStorage).filter((key) => key.startsWith('doorbraak:suggestions:'))"
    assert len(board.evaluate(kept)) == 1
    board.get_by_role("button", name="Uitloggen").click()
    board.wait_for_url(re.compile(r"/$"))
    assert board.evaluate(kept) == []
