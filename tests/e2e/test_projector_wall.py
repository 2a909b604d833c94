"""The projector wall in a busy room: readable sizes, pages instead of hidden cards, piles and the ranked pledges."""

import asyncio
import re
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from app.demo.content import crowd
from app.demo.driver import Phone, send_crowd
from tests.e2e.conftest import PROJECTOR
from tests.e2e.test_live_session import board_row, next_until, start_session

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

HIDDEN = "Dit hoort niet op de muur: een naam en een telefoonnummer."
LONG_WORD = "x" * 120
LONG_NAME_WORD = "Gemeentelijkeschuldhulpverleningsaanvraagformulieren"
LONG_OBSTACLE = "De wachtlijst voor schuldhulpverlening is zo lang dat gezinnen maanden wachten."

# every card on the current page: its answer id, whether it lies whole inside the wall, and its type sizes
CARDS_ON_SCREEN = """() => {
  const wall = document.getElementById("round-answers").getBoundingClientRect();
  return [...document.querySelectorAll("#round-answers .wall-page > article")].map((card) => {
    const box = card.getBoundingClientRect();
    const px = (selector) => [...card.querySelectorAll(selector)].map((n) => parseFloat(getComputedStyle(n).fontSize));
    return {
      id: card.dataset.id, text: card.querySelector(":scope > .text").textContent,
      inside: box.top >= wall.top - 0.5 && box.bottom <= wall.bottom + 0.5 && box.left >= wall.left - 0.5
        && box.right <= wall.right + 0.5 && card.scrollWidth <= card.clientWidth,
      texts: px(".text, .pledges .pledge, .members li"), names: px(".who, .tag"),
    };
  });
}"""


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run simulated phones on a loop of their own: Playwright's sync API owns this thread's loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def position(projector: Any) -> tuple[int, int]:
    """The page the wall shows and how many there are, from "… · blad 2 van 3"."""
    found = re.search(r"blad (\d+) van (\d+)", projector.locator("#wall-count").inner_text())
    assert found, projector.locator("#wall-count").inner_text()
    return int(found.group(1)), int(found.group(2))


def turn_to(projector: Any, page: int, pages: int) -> None:
    """Press → on the projector and wait for the page to be up."""
    projector.locator("body").press("ArrowRight")
    expect(projector.locator("#wall-count")).to_contain_text(f"blad {page} van {pages}")
    expect(projector.locator("#round-answers")).not_to_have_class(re.compile(r"\bis-turning\b"))


def workshop_id(board: Any) -> int:
    """The board's workshop id, from its address."""
    return int(re.search(r"/f/workshops/(\d+)", board.url).group(1))  # type: ignore[union-attr]


def board_post(board: Any, path: str, body: dict[str, Any]) -> Any:
    """Call one of the board's JSON endpoints with the board's own cookies and CSRF token."""
    csrf = board.locator('meta[name="csrf-token"]').get_attribute("content")
    response = board.request.post(
        f"/f/workshops/{workshop_id(board)}{path}",
        data=body,
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
    )
    assert response.ok, response.text()
    return response.json()


def turning_wall(new_context: Callable[..., Any], live_server: str, title: str) -> tuple[Any, Any]:
    """A board and its projector, whose wall of 60 obstacles turns a page a second and shows its second page."""
    session = start_session(new_context, title=title)
    board = session.board
    projector = new_context(**PROJECTOR).new_page()
    projector.goto(f"{session.projector_path}?dwell=1")
    expect(projector.locator("#status")).to_have_attribute("data-state", "online")
    next_until(board, "Obstakels")
    run(send_crowd(live_server, session.code, crowd(60)))
    expect(projector.locator("#wall-count")).to_contain_text("60 obstakels · blad 2 van", timeout=5_000)
    return board, projector


def test_a_busy_wall_pages_through_every_answer_at_a_readable_size(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context, title="Netwerkdag Noord")
    board = session.board
    projector = new_context(**PROJECTOR).new_page()
    projector.goto(f"{session.projector_path}?dwell=600")  # the test turns the pages itself
    expect(projector.locator("#status")).to_have_attribute("data-state", "online")
    board.locator("body").press("ArrowRight")
    expect(projector.locator("#round")).to_be_visible()

    # 42 obstacles from 30 phones, one of them a single 120-letter word, and one more that the facilitator hides
    sent = crowd(41) + [(("Dirk", "Bewonersraad"), LONG_WORD), (("Ali", "Jongerenwerk"), HIDDEN)]
    ids = run(send_crowd(live_server, session.code, sent))
    board_row(board, HIDDEN).get_by_role("button", name="Verbergen").click()
    hidden_id = str(ids[-1])
    expect(projector.locator("#wall-count")).to_contain_text("42 obstakels · blad 1 van")
    page, pages = position(projector)
    assert page == 1 and pages >= 2, "42 obstacles at a readable size do not fit on one screen"

    seen: dict[str, str] = {}
    for page in range(1, pages + 1):
        if page > 1:
            turn_to(projector, page, pages)
        cards = projector.evaluate(CARDS_ON_SCREEN)
        assert cards, f"page {page} is empty"
        for card in cards:
            assert card["inside"], f"cut off or running out of its card on page {page}: {card['text'][:60]}"
            assert min(card["texts"]) >= 24, card  # read from the back of a room at 1920x1080
            assert min(card["names"]) >= 18, card
            assert card["id"] not in seen, f"on two pages: {card['text']}"
            seen[card["id"]] = card["text"]
    assert set(seen) == {str(i) for i in ids[:-1]}, "an answer was never on screen"
    assert hidden_id not in seen
    # newest first: the last one sent opens page 1
    turn_to(projector, 1, pages)
    assert projector.evaluate(CARDS_ON_SCREEN)[0]["text"] == LONG_WORD

    # answers arriving while page 2 is up wait for page 1, behind a calm sign; the page itself stays still
    turn_to(projector, 2, pages)
    before = [card["id"] for card in projector.evaluate(CARDS_ON_SCREEN)]
    late = run(
        send_crowd(live_server, session.code, [(("Els", "Bibliotheek Noord"), f"Laat obstakel {n}.") for n in range(3)])
    )
    expect(projector.locator("#wall-new")).to_have_text("+3 nieuw")
    # the count may gain a page for the three (one CI run under a load of 15 gave 4 for 3): the page shown stays
    expect(projector.locator("#wall-count")).to_contain_text(
        re.compile(f"45 obstakels · blad 2 van ({pages}|{pages + 1})")
    )
    assert [card["id"] for card in projector.evaluate(CARDS_ON_SCREEN)] == before
    projector.locator("body").press("ArrowRight")  # the next turn goes back to page 1, with the newcomers on top
    expect(projector.locator("#wall-count")).to_contain_text("45 obstakels · blad 1 van")
    expect(projector.locator("#wall-new")).to_be_hidden()
    first = {card["id"] for card in projector.evaluate(CARDS_ON_SCREEN)[:3]}
    assert first == {str(i) for i in late}

    # left alone the wall turns by itself (here every second), and still never shows the hidden answer
    projector.goto(f"{session.projector_path}?dwell=1")
    expect(projector.locator("#wall-count")).to_contain_text("blad 1 van")
    expect(projector.locator("#wall-count")).to_contain_text("blad 2 van", timeout=5_000)
    expect(projector.locator("#wall-count")).to_contain_text("blad 3 van", timeout=5_000)
    expect(projector.locator(f'#round-answers [data-id="{hidden_id}"]')).to_have_count(0)


async def vote(base_url: str, code: str, allocations: list[dict[int, int]]) -> None:
    """One new phone per allocation joins and places its dots."""
    phones = [Phone(base_url, code, f"Stemmer {n}", "Bewonersraad") for n in range(len(allocations))]
    try:
        for phone, allocation in zip(phones, allocations, strict=True):
            await phone.join()
            reply = await phone.vote(allocation)
            assert reply["type"] == "votes_ack", reply
    finally:
        await asyncio.gather(*(phone.close() for phone in phones), return_exceptions=True)


def test_piles_on_the_wall_and_the_contribution_round_in_focus_then_vote_order(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context, title="Stapels en bijdragen")
    board = session.board
    projector = new_context(**PROJECTOR).new_page()
    projector.goto(session.projector_path)
    expect(projector.locator("#status")).to_have_attribute("data-state", "online")
    next_until(board, "Obstakels")
    texts = [text for _, text in crowd(12)]
    ids = dict(zip(texts, run(send_crowd(live_server, session.code, crowd(12))), strict=True))
    expect(projector.locator("#wall-count")).to_contain_text("12 obstakels")

    # three piles: a big one, a small one that will be the focus, one in between; two obstacles stay loose
    next_until(board, "Ordenen")
    piles = {"Versnippering": texts[0:5], "Regels": texts[5:7], "Geld": texts[7:10]}
    cluster_ids = {}
    for name, members in piles.items():
        views = board_post(board, "/clusters/group", {"answer_ids": [ids[t] for t in members], "name": name})
        cluster_ids[name] = next(c["id"] for c in views["clusters"] if c["name"] == name)
    big = projector.locator("#round-answers article.note.cluster", has_text="Versnippering")
    expect(big.locator(".pile-count")).to_have_text("5 obstakels")
    expect(big.locator(".members li")).to_have_text(texts[0:3])  # a few examples, then how many more
    expect(big.locator(".more")).to_have_text("+2 meer")
    expect(projector.locator("#round-answers article.note.cluster")).to_have_count(3)
    expect(projector.locator("#round-answers article.note:not(.cluster)")).to_have_count(2)
    expect(projector.locator("#wall-count")).to_have_text("12 obstakels · 3 stapels")

    # the vote: Geld 4 dots, Versnippering 2, Regels 1; then Regels becomes the focus
    next_until(board, "Stemmen")
    geld, versnippering, regels = cluster_ids["Geld"], cluster_ids["Versnippering"], cluster_ids["Regels"]
    run(vote(live_server, session.code, [{geld: 3}, {geld: 1, versnippering: 2}, {regels: 1}]))
    # (the vote made each loose obstacle a pile of its own, without dots)
    expect(projector.locator("#round-answers article.rank .rank-name")).to_have_text(
        ["Geld", "Versnippering", "Regels", *texts[10:12]]
    )
    widths = projector.evaluate(
        "() => [...document.querySelectorAll('#round-answers article.rank')].map((row) => row.offsetWidth)"
        " .concat(document.getElementById('round-answers').clientWidth)"
    )
    # a ranking that fits a page: every row across the wall, loose obstacles too (short rows are for long ones)
    assert set(widths) == {widths[-1]}, "a ranking row is not as wide as the wall"
    board_post(board, f"/clusters/{regels}", {"focus": True})

    # contributions: under the pile they answer, the focus pile first, then by dots; then what nobody took up
    next_until(board, "Bijdragen")
    pledges = [
        ("Wij nemen de regels door met de jurist.", texts[5]),
        ("Wij leggen geld bij elkaar.", texts[8]),
        ("Wij openen het buurthuis ook 's avonds.", texts[11]),
    ]
    run(
        send_crowd(
            live_server,
            session.code,
            [(("Noor", "GGD"), text) for text, _ in pledges],
            step="contributions",
            links_to=[ids[obstacle] for _, obstacle in pledges],
        )
    )
    expect(projector.locator("#wall-count")).to_have_text("12 obstakels · 3 bijdragen")
    groups = projector.locator("#round-answers article.pledge-group")
    expect(groups.locator(":scope > p.text")).to_have_text(["Regels", "Geld", texts[11]])
    expect(groups.nth(0)).to_have_class(re.compile(r"\bis-focus\b"))
    expect(groups.nth(0).locator(":scope > .who")).to_have_text("2 obstakels")
    expect(groups.nth(2).locator(":scope > .who")).to_have_count(0)  # a loose obstacle is its own title
    for n, (text, _) in enumerate(pledges):
        expect(groups.nth(n).locator(".pledges li")).to_have_text(f"{text} GGD")
    still_open = projector.locator("#round-answers article.still-open")
    # what nobody took up, in the piles' order: a pile by its name and size (listing its obstacles one by one named
    # 27 of 151 in a big room), a loose obstacle by its first words, enough to pick it on the phone
    expect(still_open.locator(":scope > p.text")).to_have_text("Nog zonder bijdrage (6)")
    gist = texts[10] if len(texts[10]) <= 60 else f"{texts[10][:59].rstrip()}…"
    expect(still_open.locator(".open-list li > span[dir]")).to_have_text(["Versnippering", gist])
    expect(still_open.locator(".open-list li.is-pile .open-size")).to_have_text(["5"])


def test_a_big_contribution_round_is_a_few_pages_that_turn_and_pause(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context, title="Netwerkdag Groot")
    board = session.board
    projector = new_context(**PROJECTOR).new_page()
    projector.goto(f"{session.projector_path}?dwell=600")
    expect(projector.locator("#status")).to_have_attribute("data-state", "online")
    next_until(board, "Obstakels")
    ids = run(send_crowd(live_server, session.code, crowd(151)))
    expect(projector.locator("#wall-count")).to_contain_text("151 obstakels")

    # 60 contributions to 60 different obstacles: one card each, the other 91 obstacles named on one card
    next_until(board, "Bijdragen")
    linked = [ids[(n * 13) % len(ids)] for n in range(60)]
    promises = [
        ((f"Deelnemer {n}", "Wijkteam Noord"), f"Wij bellen de buurtcoach en plannen een gesprek ({n}).")
        for n in range(60)
    ]
    run(send_crowd(live_server, session.code, promises, step="contributions", links_to=linked))
    expect(projector.locator("#wall-count")).to_contain_text("151 obstakels · 60 bijdragen · blad 1 van")
    page, pages = position(projector)
    # each obstacle a card of its own, most saying "no contributions yet", made this 29 pages
    assert pages <= 8, pages

    seen: list[str] = []
    for page in range(1, pages + 1):
        if page > 1:
            turn_to(projector, page, pages)
        for card in projector.evaluate(CARDS_ON_SCREEN):
            assert card["inside"], f"cut off on page {page}: {card['text'][:60]}"
            assert min(card["texts"]) >= 24, card
        seen += projector.locator("#round-answers .pledges .pledge").all_inner_texts()
    assert sorted(seen) == sorted(text for _, text in promises), "a contribution was never on screen, or twice"
    still_open = projector.locator("#round-answers article.still-open")
    expect(still_open.locator(":scope > p.text")).to_have_text("Nog zonder bijdrage (91)")

    # left alone the pages turn by themselves, with a line that fills up until the next one
    projector.goto(f"{session.projector_path}?dwell=1")
    expect(projector.locator("#wall-count")).to_contain_text(f"blad 2 van {pages}", timeout=5_000)
    expect(projector.locator("#wall-progress")).to_have_class(re.compile(r"\bis-running\b"))
    # the space bar holds the page while the room talks about it
    projector.locator("body").press("Space")
    expect(projector.locator("#wall-paused")).to_have_text("Gepauzeerd")
    expect(projector.locator("#wall-progress")).not_to_have_class(re.compile(r"\bis-running\b"))
    held = position(projector)[0]
    projector.wait_for_timeout(2_500)  # two and a half turns' time: a page that stays is what is tested
    assert position(projector)[0] == held
    turn_to(projector, held % pages + 1, pages)  # by hand it still turns, and stays paused
    expect(projector.locator("#wall-paused")).to_be_visible()
    projector.locator("body").press("Space")
    expect(projector.locator("#wall-paused")).to_be_hidden()
    expect(projector.locator("#wall-count")).to_contain_text(
        f"blad {(held + 1) % pages + 1} van {pages}", timeout=5_000
    )


def test_a_pause_holds_one_step_and_the_next_step_turns_again(
    new_context: Callable[..., Any], live_server: str
) -> None:
    board, projector = turning_wall(new_context, live_server, "Netwerkdag Pauze")

    # paused while the room talks about the obstacles; then the facilitator moves on from the board
    projector.locator("body").press("Space")
    expect(projector.locator("#wall-paused")).to_be_visible()
    next_until(board, "Ordenen")
    # the piles' wall turns by itself: the pause was for that page
    expect(projector.locator("#round-prompt")).to_have_text("Welke obstakels horen bij elkaar?")
    expect(projector.locator("#wall-count")).to_contain_text("blad 2 van", timeout=5_000)
    expect(projector.locator("#wall-paused")).to_be_hidden()


def test_the_board_pauses_the_projectors_pages_from_afar(new_context: Callable[..., Any], live_server: str) -> None:
    board, projector = turning_wall(new_context, live_server, "Netwerkdag Regie")

    # the facilitator at the board, not at the projector's keyboard, holds the page the room talks about
    pause = board.locator("#pages-pause")
    expect(pause).to_have_text("Bladeren stilzetten")
    board.locator("body").press("p")
    expect(pause).to_have_text("Verder bladeren")
    expect(board.locator("#pages-now")).to_have_text(re.compile("blijft op deze pagina"))
    expect(projector.locator("#wall-paused")).to_be_visible()
    expect(projector.locator("#wall-progress")).not_to_have_class(re.compile(r"\bis-running\b"))
    held, pages = position(projector)
    projector.wait_for_timeout(2_500)  # two and a half turns' time: a page that stays is what is tested
    assert position(projector)[0] == held
    if held == 1:  # the room talks about a later page, turned to by hand: the hold stays
        turn_to(projector, 2, pages)
        held = 2
    # a projector that reloads stays on hold, on the page the room talks about (not the first)
    projector.reload()
    expect(projector.locator("#wall-paused")).to_be_visible()
    expect(projector.locator("#wall-count")).to_contain_text(f"blad {held} van {pages}")
    projector.wait_for_timeout(2_500)
    assert position(projector)[0] == held

    # and the board lets it turn again, by the button this time
    pause.click()
    expect(pause).to_have_text("Bladeren stilzetten")
    expect(projector.locator("#wall-paused")).to_be_hidden()
    expect(projector.locator("#wall-count")).to_contain_text("blad 2 van", timeout=5_000)


def test_the_projectors_space_bar_is_the_boards_pause(new_context: Callable[..., Any], live_server: str) -> None:
    board, projector = turning_wall(new_context, live_server, "Netwerkdag Spatie")

    # someone at the projector's keyboard holds the page: the board says so, and can let it turn again
    pause = board.locator("#pages-pause")
    projector.locator("body").press("Space")
    expect(projector.locator("#wall-paused")).to_be_visible()
    expect(pause).to_have_text("Verder bladeren")
    expect(board.locator("#pages-now")).to_have_text(re.compile("blijft op deze pagina"))
    pause.click()
    expect(pause).to_have_text("Bladeren stilzetten")
    expect(projector.locator("#wall-paused")).to_be_hidden()
    expect(projector.locator("#wall-progress")).to_have_class(re.compile(r"\bis-running\b"))
    # the board holds it, the projector's space bar lets it go
    board.locator("body").press("p")
    expect(projector.locator("#wall-paused")).to_be_visible()
    projector.locator("body").press("Space")
    expect(projector.locator("#wall-paused")).to_be_hidden()
    expect(pause).to_have_text("Bladeren stilzetten")


# how much of the wall the cards of the current page cover, and how wide the widest card is against the wall
PAGE_FILL = """() => {
  const wall = document.getElementById("round-answers").getBoundingClientRect();
  const cards = [...document.querySelectorAll("#round-answers .wall-page > article")]
    .map((card) => card.getBoundingClientRect());
  const area = cards.reduce((sum, box) => sum + box.width * box.height, 0);
  const widest = Math.max(...cards.map((box) => box.width));
  return { covered: area / (wall.width * wall.height), widest: widest / wall.width };
}"""


def test_forty_piles_with_long_names_fill_the_pages_in_columns(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context, title="Veertig stapels")
    board = session.board
    projector = new_context(**PROJECTOR).new_page()
    projector.goto(f"{session.projector_path}?dwell=600")
    expect(projector.locator("#status")).to_have_attribute("data-state", "online")
    next_until(board, "Obstakels")
    sent = [(person, f"{LONG_NAME_WORD} {text}" if n % 5 == 0 else text) for n, (person, text) in enumerate(crowd(192))]
    ids = run(send_crowd(live_server, session.code, sent))
    next_until(board, "Ordenen")
    at = 0
    for n in range(40):
        size = [2, 3, 7, 2, 12, 2, 5, 4, 9, 2][n % 10]
        name = f"Stapel {n} over de {LONG_NAME_WORD} die niemand begrijpt en elk jaar opnieuw moet invullen"
        board_post(
            board, "/clusters/group", {"answer_ids": ids[at : at + size], "name": name if n % 2 else f"Stapel {n}"}
        )
        at += size
    expect(projector.locator("#wall-count")).to_contain_text("192 obstakels · 40 stapels · blad 1 van")
    page, pages = position(projector)
    # a pile with a long name spanned the whole wall and cut page 1 in two: two piles on it, half the wall empty;
    # with four columns of piles two high, forty piles are six pages, not fourteen
    for page in range(1, pages + 1):
        if page > 1:
            turn_to(projector, page, pages)
        fill = projector.evaluate(PAGE_FILL)
        assert fill["widest"] < 0.3, f"a pile spans the wall on page {page}"
        if page < pages:
            assert fill["covered"] > 0.7, f"page {page} is {fill['covered']:.0%} covered"
        for card in projector.evaluate(CARDS_ON_SCREEN):
            assert card["inside"], f"cut off on page {page}: {card['text'][:60]}"
    assert pages <= 7, pages


# every ranking row on the current page: whether it lies whole inside the wall, and its name's type size
RANKS_ON_SCREEN = """() => {
  const wall = document.getElementById("round-answers").getBoundingClientRect();
  return [...document.querySelectorAll("#round-answers .wall-page > article.rank")].map((row) => {
    const box = row.getBoundingClientRect();
    const name = row.querySelector(".rank-name");
    return { inside: box.top >= wall.top - 0.5 && box.bottom <= wall.bottom + 0.5 && box.left >= wall.left - 0.5
      && box.right <= wall.right + 0.5,
      size: parseFloat(getComputedStyle(name).fontSize), text: name.textContent,
      whole: name.scrollWidth <= name.clientWidth + 1 && name.scrollHeight <= name.clientHeight + 1 };
  });
}"""


def test_a_vote_over_many_loose_obstacles_is_a_few_pages_of_short_rows(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context, title="Stemmen zonder stapels")
    board = session.board
    projector = new_context(**PROJECTOR).new_page()
    projector.goto(f"{session.projector_path}?dwell=600")
    expect(projector.locator("#status")).to_have_attribute("data-state", "online")
    next_until(board, "Obstakels")
    run(send_crowd(live_server, session.code, [*crowd(150), (("Noor", "Huurdersvereniging"), LONG_OBSTACLE)]))
    next_until(board, "Stemmen")  # nothing grouped: each obstacle is a pile of its own
    expect(projector.locator("#wall-count")).to_contain_text("151 stapels · blad 1 van")
    page, pages = position(projector)
    # a full row each made this 17 pages; one line each 7, but cut at thirty letters; two lines where needed, 9
    # (10 in one run of the whole suite, not traced)
    assert pages <= 10, pages
    places: list[int] = []
    for page in range(1, pages + 1):
        if page > 1:
            turn_to(projector, page, pages)
        rows = projector.evaluate(RANKS_ON_SCREEN)
        assert rows, f"page {page} is empty"
        for row in rows:
            assert row["inside"] and row["size"] >= 24, (page, row)
            # a short row's obstacle is there to be told apart: cut at thirty letters, three of these began the same
            if row["text"] == LONG_OBSTACLE:
                assert row["whole"], row
        places += [int(p) for p in projector.locator("#round-answers article.rank .place").all_inner_texts()]
    # every pile once, in the ranking's order (two side by side, read left to right)
    assert places == list(range(1, 152))


def test_the_ninth_pile_keeps_the_page_the_room_is_on(new_context: Callable[..., Any], live_server: str) -> None:
    session = start_session(new_context, title="Negen stapels")
    board = session.board
    projector = new_context(**PROJECTOR).new_page()
    projector.goto(f"{session.projector_path}?dwell=600")
    expect(projector.locator("#status")).to_have_attribute("data-state", "online")
    next_until(board, "Obstakels")
    ids = run(send_crowd(live_server, session.code, crowd(60)))
    next_until(board, "Ordenen")
    for n in range(8):
        board_post(board, "/clusters/group", {"answer_ids": ids[2 * n : 2 * n + 2], "name": f"Stapel {n}"})
    expect(projector.locator("#wall-count")).to_contain_text("8 stapels · blad 1 van")
    _, pages = position(projector)
    turn_to(projector, 2, pages)
    projector.locator("body").press("Space")  # the room talks about this page
    expect(projector.locator("#wall-paused")).to_be_visible()

    # a ninth pile makes the wall crowded (smaller pile cards); the room stays on its page, and on hold
    board_post(board, "/clusters/group", {"answer_ids": ids[16:18], "name": "Stapel 8"})
    expect(projector.locator("#round-answers")).to_have_class(re.compile(r"\bcrowded\b"))
    expect(projector.locator("#wall-count")).to_contain_text("9 stapels · blad 2 van")
    expect(projector.locator("#wall-paused")).to_be_visible()


# every ranking row of a pile the room made on the current page: whether it lies inside the wall, and its name's lines
ROOM_PILE_ROWS = """() => {
  const wall = document.getElementById("round-answers").getBoundingClientRect();
  return [...document.querySelectorAll("#round-answers .wall-page > article.rank:not(.is-single)")].map((row) => {
    const box = row.getBoundingClientRect();
    const name = row.querySelector(".rank-name");
    return { inside: box.top >= wall.top - 0.5 && box.bottom <= wall.bottom + 0.5,
      lines: Math.round(name.getBoundingClientRect().height / parseFloat(getComputedStyle(name).lineHeight)) };
  });
}"""


def test_a_crowded_vote_keeps_long_pile_names_to_two_lines(new_context: Callable[..., Any], live_server: str) -> None:
    session = start_session(new_context, title="Lange stapelnamen")
    board = session.board
    projector = new_context(**PROJECTOR).new_page()
    projector.goto(f"{session.projector_path}?dwell=600")
    expect(projector.locator("#status")).to_have_attribute("data-state", "online")
    next_until(board, "Obstakels")
    ids = run(send_crowd(live_server, session.code, crowd(60)))
    next_until(board, "Ordenen")
    # twenty piles named as long as a name may be (200 letters), the way a pile named after a long obstacle is
    for n in range(20):
        name = f"Stapel {n}: " + " ".join(["jeugdhulpverleningsinstellingsoverleg"] * 5)
        board_post(board, "/clusters/group", {"answer_ids": ids[2 * n : 2 * n + 2], "name": name})
    next_until(board, "Stemmen")
    expect(projector.locator("#wall-count")).to_contain_text("40 stapels · blad 1 van")
    page, pages = position(projector)
    # whole names (five lines of 200 letters) made this 8 pages; two lines each, 5
    assert pages <= 5, pages
    seen = 0
    for page in range(1, pages + 1):
        if page > 1:
            turn_to(projector, page, pages)
        for row in projector.evaluate(ROOM_PILE_ROWS):
            assert row["inside"] and row["lines"] <= 2, (page, row)
            seen += 1
    assert seen == 20


# the cards of the current page by column (their left edge), top to bottom, and how much of the wall they cover
COLUMNS_ON_PAGE = """() => {
  const wall = document.getElementById("round-answers").getBoundingClientRect();
  const cards = [...document.querySelectorAll("#round-answers .wall-page > article")]
    .map((card) => card.getBoundingClientRect());
  const columns = {};
  for (const box of cards) (columns[Math.round(box.left)] ??= []).push(Math.round(box.height));
  const area = cards.reduce((sum, box) => sum + box.width * box.height, 0);
  return { columns: Object.values(columns), covered: area / (wall.width * wall.height), cards: cards.length };
}"""


def test_a_crowded_english_grouping_wall_stands_its_piles_two_high(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context, title="Crowded piles")
    board = session.board
    projectors = {}
    for width, height in ((1920, 1080), (1280, 720)):
        projector = new_context(viewport={"width": width, "height": height}).new_page()
        projector.goto(f"/taal/en?next={session.projector_path}?dwell=600")
        expect(projector.locator("#status")).to_have_attribute("data-state", "online")
        projectors[width] = projector
    next_until(board, "Obstakels")
    sent = [(person, f"{LONG_NAME_WORD} {text}" if n % 5 == 0 else text) for n, (person, text) in enumerate(crowd(96))]
    ids = run(send_crowd(live_server, session.code, sent))
    next_until(board, "Ordenen")
    # 24 piles with both tags (the English tension names are longer) and every other one with a long name
    tensions = ["informatie/beeldvorming", "operationele processen", "besluitvorming", "machtskwesties"]
    themes = ["gezondheid", "veiligheid", "wonen", None]
    at = 0
    for n in range(24):
        size = [2, 3, 7, 2, 5, 4][n % 6]
        name = f"Pile {n} about the {LONG_NAME_WORD} nobody understands" if n % 2 else f"Pile {n}"
        views = board_post(board, "/clusters/group", {"answer_ids": ids[at : at + size], "name": name})
        pile = next(c["id"] for c in views["clusters"] if c["name"] == name)
        board_post(board, f"/clusters/{pile}", {"tension": tensions[n % 4], "theme": themes[n % 4]})
        at += size
    for width, projector in projectors.items():
        expect(projector.locator("#wall-count")).to_contain_text("96 obstacles · 24 piles · page 1 of")
        found = re.search(r"page 1 of (\d+)", projector.locator("#wall-count").inner_text())
        assert found
        pages = int(found.group(1))
        for page in range(1, pages + 1):
            if page > 1:
                projector.locator("body").press("ArrowRight")
                expect(projector.locator("#wall-count")).to_contain_text(f"page {page} of {pages}")
                expect(projector.locator("#round-answers")).not_to_have_class(re.compile(r"\bis-turning\b"))
            layout = projector.evaluate(COLUMNS_ON_PAGE)
            # a pile card taller than half the wall stood alone in its column: half of three columns empty
            if page < pages:
                assert all(len(column) >= 2 for column in layout["columns"]), (width, page, layout)
            for card in projector.evaluate(CARDS_ON_SCREEN):
                assert card["inside"], f"cut off at {width} on page {page}: {card['text'][:60]}"


def test_the_focus_pile_shares_page_one_of_the_contribution_wall(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context, title="Focus en bijdragen")
    board = session.board
    projector = new_context(**PROJECTOR).new_page()
    projector.goto(f"{session.projector_path}?dwell=600")
    expect(projector.locator("#status")).to_have_attribute("data-state", "online")
    next_until(board, "Obstakels")
    ids = run(send_crowd(live_server, session.code, crowd(45)))
    next_until(board, "Ordenen")
    piles = []
    for n in range(6):
        views = board_post(board, "/clusters/group", {"answer_ids": ids[5 * n : 5 * n + 5], "name": f"Stapel {n}"})
        piles.append(next(c["id"] for c in views["clusters"] if c["name"] == f"Stapel {n}"))
    board_post(board, f"/clusters/{piles[2]}", {"focus": True})
    next_until(board, "Bijdragen")
    # twelve contributions to the focus pile make its card taller than the wall in one column
    promises = [
        ((f"Deelnemer {n}", "Wijkteam Noord"), f"Wij bellen de buurtcoach en plannen een gesprek ({n}).")
        for n in range(40)
    ]
    linked = [ids[10 + n % 5] if n < 12 else ids[(n * 3) % 45] for n in range(40)]
    run(send_crowd(live_server, session.code, promises, step="contributions", links_to=linked))
    expect(projector.locator("#wall-count")).to_contain_text("45 obstakels · 40 bijdragen · blad 1 van")
    page, pages = position(projector)
    layout = projector.evaluate(COLUMNS_ON_PAGE)
    # spread across the whole wall it was all of page 1, a third of the wall empty under it
    assert layout["cards"] > 1 and layout["covered"] > 0.8, layout
    expect(projector.locator("#round-answers .wall-page > article").first).to_have_class(re.compile(r"\bis-focus\b"))
    seen: list[str] = []
    for page in range(1, pages + 1):
        if page > 1:
            turn_to(projector, page, pages)
        for card in projector.evaluate(CARDS_ON_SCREEN):
            assert card["inside"], f"cut off on page {page}: {card['text'][:60]}"
        seen += projector.locator("#round-answers .pledges .pledge").all_inner_texts()
        if page < pages:  # (the contributions arrive in any order, so the cards' heights vary from run to run)
            assert projector.evaluate(COLUMNS_ON_PAGE)["covered"] > 0.6, page
    assert sorted(seen) == sorted(text for _, text in promises), "a contribution was never on screen, or twice"
    assert pages <= 3, pages

    # a late contribution while page 2 is up waits for page 1: the page shown does not move
    turn_to(projector, 1, pages)
    turn_to(projector, 2, pages)
    before = projector.locator("#round-answers .wall-page > article").all_inner_texts()
    run(
        send_crowd(
            live_server, session.code, [(("Els", "GGD"), "Wij doen ook mee.")], step="contributions", links_to=[ids[11]]
        )
    )
    expect(projector.locator("#wall-new")).to_have_text("+1 nieuw")
    expect(projector.locator("#wall-count")).to_contain_text("41 bijdragen · blad 2 van")
    assert projector.locator("#round-answers .wall-page > article").all_inner_texts() == before
