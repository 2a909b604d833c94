"""A busy room's agreed actions on a phone: the participant's own first, the rest folded and searchable, a hand
raised without scrolling past thirty others, and what is open stays open while the room's updates redraw the list."""

import asyncio
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from app.demo.driver import Phone
from tests.e2e.test_live_session import join, next_until, start_session
from tests.e2e.test_phone_weight import add_the_network

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

GEMEENTE = "Gemeente Súdwest-Fryslân afdeling Maatschappelijke Ontwikkeling"
OTHERS = ["Woonstichting Thuis", "Politie Noord-Nederland", "GGD Fryslân", "Wijkteam Noord"]
LONG_WORD = "Onderwijszorgarrangementsverantwoordelijkheidscoördinatiestructuur"[:60]
SCRIPT = "<script>alert(1)</script> in de titel"
SHOTS = os.environ.get("DOORBRAAK_PHONE_SHOTS")


def titles(n: int) -> list[dict[str, Any]]:
    """Thirty-odd actions as a room agrees them: every fifth the Gemeente's, one long word, one script."""
    made = []
    for i in range(n):
        title = f"Actie {i + 1}: een huiskamer in de flat aan de Schepenenstraat, elke woensdag open"
        if i == 7:
            title = LONG_WORD
        elif i == 11:
            title = SCRIPT
        owner = GEMEENTE if i % 5 == 0 else OTHERS[i % len(OTHERS)]
        partners = [GEMEENTE] if i == 13 else [OTHERS[(i + 1) % len(OTHERS)]]
        made.append(
            {
                "title": title,
                "owner_organisation": owner,
                "partners": partners,
                "due_on": "2027-01-15",
                "description": "Wie, wat en wanneer: een toelichting van een paar zinnen.",
            }
        )
    return made


def agree_many(board: Any, actions: list[dict[str, Any]]) -> None:
    """Agree these actions through the board's own JSON route, one after the other."""
    board.evaluate(
        """async (actions) => {
          const csrf = document.querySelector('meta[name="csrf-token"]').content;
          for (const body of actions) {
            const response = await fetch(location.pathname + "/actions", { method: "POST", body: JSON.stringify(body),
              headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf } });
            if (!response.ok) throw new Error(await response.text());
          }
        }""",
        actions,
    )


def kept_keys(phone: Any, kind: str, code: str) -> list[str]:
    """The keys the phone keeps of one kind for one workshop: the old one key and each tab's (phone_store.js)."""
    keys: list[str] = phone.evaluate("() => Object.keys(localStorage)")
    return [key for key in keys if key.split(":")[1:3] == [kind, code]]


def row(phone: Any, title: str) -> Any:
    """An action's row on the phone, by its whole title."""
    return phone.locator("#step li.hand-row").filter(
        has=phone.locator(".action-title", has_text=re.compile(f"^{re.escape(title)}$"))
    )


def shoot(phone: Any, name: str) -> None:
    """A screenshot to look at by hand, when DOORBRAAK_PHONE_SHOTS names a folder."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=f"{SHOTS}/{name}.png")
        phone.screenshot(path=f"{SHOTS}/{name}-full.png", full_page=True)


def test_thirty_actions_on_a_phone_own_first_the_rest_folded(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Doorbraak Súdwest-Fryslân")
    board = session.board
    mine = join(new_context, session.code, "Sjoerd", GEMEENTE)
    small = join(new_context, session.code, "Bea", "Wijkteam Noord")
    small.set_viewport_size({"width": 360, "height": 800})
    next_until(board, "Afspraken")
    actions = titles(32)
    agree_many(board, actions)
    expect(mine.locator("#step li.hand-row")).to_have_count(32)
    expect(mine.locator("#step .action-summary")).to_have_text("32 afspraken")

    # the Gemeente's own seven (owner of every fifth, partner of one) come first, in full
    own = [a["title"] for i, a in enumerate(actions) if i % 5 == 0 or i == 13]
    groups = mine.locator("#step .action-group")
    expect(groups).to_have_text([f"Voor jou · {len(own)}", f"Andere afspraken · {32 - len(own)}"])
    first_list = mine.locator("#step .action-groups > ul.action-list").first
    expect(first_list.locator(".action-title")).to_have_text(own)
    # the others: five shown, the rest behind "+n meer"
    more = mine.locator("#step details.action-more")
    expect(more.locator("summary")).to_have_text(f"+{32 - len(own) - 5} meer")
    expect(mine.locator("#step li.hand-row:visible")).to_have_count(len(own) + 5)
    height = mine.evaluate("document.documentElement.scrollHeight")
    print(f"\nphone page at 390x844 with 32 actions: {height} px")
    shoot(mine, "actions-390")
    shoot(small, "actions-360")

    # the script in a title is text; the long word stays on the screen
    expect(row(mine, SCRIPT)).to_have_count(1)
    for phone in (mine, small):
        width = phone.viewport_size["width"]
        assert phone.evaluate("document.documentElement.scrollWidth") <= width

    # open the fold and one row's details; another phone's hand redraws the list, and both stay open
    more.locator("summary").click()
    late = actions[29]["title"]
    expect(row(mine, late)).to_be_visible()
    row(mine, late).locator(".action-toggle").click()
    expect(row(mine, late).locator(".action-details")).to_contain_text("Klaar op 15 januari 2027")
    small.get_by_role("searchbox", name="Zoek een afspraak").fill("actie 30:")
    expect(small.locator("#step li.hand-row")).to_have_count(1)
    row(small, late).get_by_role("button", name="Ik doe mee").click()
    expect(row(mine, late).locator(".action-toggle")).to_contain_text("1 doet mee")
    expect(row(mine, late).locator(".action-details")).to_contain_text("Doen mee: Bea")
    expect(more).to_have_attribute("open", "")
    row(mine, late).scroll_into_view_if_needed()
    shoot(mine, "actions-390-open")

    # a hand raised among the others stays where it was tapped, and the count says so
    other = actions[1]["title"]
    row(mine, other).get_by_role("button", name="Ik doe mee").click()
    expect(row(mine, other).get_by_role("button", name="Je doet mee ✓")).to_have_attribute("aria-pressed", "true")
    expect(mine.locator("#step .action-summary")).to_have_text("32 afspraken · je doet mee aan 1")
    expect(first_list.locator(".action-title")).to_have_text(own)

    # searching finds an action by a word of its owner, accents or not, and shows every match unfolded
    search = mine.get_by_role("searchbox", name="Zoek een afspraak")
    search.fill("politie")
    police = [a for a in actions if any("Politie" in name for name in (a["owner_organisation"], *a["partners"]))]
    expect(mine.locator("#step li.hand-row")).to_have_count(len(police))
    expect(mine.locator("#step details.action-more")).to_have_count(0)
    search.fill("sudwest fryslan")
    expect(mine.locator("#step li.hand-row")).to_have_count(len(own))
    search.fill("geen-zo'n-actie")
    expect(mine.locator("#step .action-groups")).to_contain_text("Geen afspraak gevonden")
    search.fill("")
    expect(mine.locator("#step li.hand-row")).to_have_count(32)
    # spaces alone are no search: the rest stays in its fold
    search.fill("   ")
    expect(mine.locator("#step details.action-more")).to_have_count(1)

    # after a reload the hand it raised counts as its own: first, the ninth of them behind its own "+n meer"
    mine.reload()
    for_me = sorted([other, *own], key=[a["title"] for a in actions].index)
    first_list = mine.locator("#step .action-groups > ul.action-list").first
    expect(first_list.locator(".action-title")).to_have_text(for_me[:8])
    expect(mine.locator('#step details.action-more[data-group="mine"] .action-title')).to_have_text(for_me[8:])
    row(mine, other).get_by_role("button", name="Je doet mee ✓").click()
    expect(row(mine, other).get_by_role("button", name="Ik doe mee")).to_be_visible()
    # the phone forgets the hand once the server has it, not when the tap is drawn
    expect(row(mine, other).locator(".hand-wait")).to_have_count(0)
    assert kept_keys(mine, "hands", session.code) == []
    assert session.dialogs == []


def test_a_long_owner_name_takes_two_lines_beside_the_hand_and_shows_whole_when_opened(
    new_context: Callable[..., Any],
) -> None:
    session = start_session(new_context, title="Doorbraak Parkstad")
    owner = "Stichting Maatschappelijke Dienstverlening en Welzijnsondersteuning Parkstad-Oost en Omliggende Kernen"
    phone = join(new_context, session.code, "Bea", "Wijkteam Noord")
    phone.set_viewport_size({"width": 360, "height": 800})
    next_until(session.board, "Afspraken")
    agree_many(session.board, [{"title": "Eén intakeformulier", "owner_organisation": owner, "partners": []}])
    meta = row(phone, "Eén intakeformulier").locator(".action-meta")
    expect(meta).to_have_text(owner)
    lines = "(e) => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)"
    assert meta.evaluate(lines) <= 2.1
    # who joined keeps a line of its own, whatever the owner's length
    row(phone, "Eén intakeformulier").get_by_role("button", name="Ik doe mee").click()
    expect(meta).to_have_text(f"{owner} · 1 doet mee")
    expect(meta.locator("> span").last).to_be_visible()
    assert meta.evaluate(lines) <= 3.1
    row(phone, "Eén intakeformulier").locator(".action-toggle").click()
    expect(row(phone, "Eén intakeformulier").locator(".action-details")).to_contain_text(owner)
    assert meta.evaluate(lines) > 3.1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert session.dialogs == []


def post_json(board: Any, path: str, body: dict[str, Any]) -> None:
    """A facilitator's change through the board's own JSON route (path after the workshop's)."""
    board.evaluate(
        """async ([path, body]) => {
          const csrf = document.querySelector('meta[name="csrf-token"]').content;
          const response = await fetch(location.pathname + path, { method: "POST", body: JSON.stringify(body),
            headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf } });
          if (!response.ok) throw new Error(await response.text());
        }""",
        [path, body],
    )


def test_typing_on_a_phone_survives_the_room_redrawing_the_step(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Doorbraak Súdwest-Fryslân")
    board = session.board
    phone = join(new_context, session.code, "Sjoerd", GEMEENTE)
    next_until(board, "Obstakels")

    # an answer half typed, the caret inside it; the facilitator changes a setting, which redraws the step
    text = phone.locator('#step textarea[data-slot="text"]')
    text.click()
    phone.keyboard.type("Te weinig plekken voor jongeren")
    text.evaluate("(node) => node.setSelectionRange(3, 10)")
    phone.evaluate("document.querySelector('#step form').dataset.before = 'yes'")
    post_json(board, "/settings", {"focus_only": True})
    expect(phone.locator("#step form[data-before]")).to_have_count(0)
    expect(text).to_be_focused()
    assert text.evaluate("(node) => [node.selectionStart, node.selectionEnd]") == [3, 10]
    phone.keyboard.type("!")
    expect(text).to_have_value("Te !plekken voor jongeren")

    # the search box among the agreed actions: the follow-up set meanwhile does not close the phone's keyboard
    next_until(board, "Afspraken")
    agree_many(board, titles(12))
    search = phone.get_by_role("searchbox", name="Zoek een afspraak")
    search.click()
    phone.keyboard.type("actie 1")
    search.evaluate("(node) => node.setSelectionRange(2, 2)")
    post_json(board, "/followup", {"at": "2027-03-01T19:30", "place": "Buurthuis De Schakel"})
    expect(phone.locator("#step")).to_contain_text("Buurthuis De Schakel")
    expect(search).to_be_focused()
    phone.keyboard.type("x")
    expect(search).to_have_value("acxtie 1")
    assert session.dialogs == []


POLITIE = "Politie"
ACADEMIE = "Politie Academie"


def police_room(n: int) -> list[dict[str, Any]]:
    """A room where the police own every third action, share two and its academy owns five, all typed carelessly."""
    made = []
    for i in range(n):
        owner, partners = OTHERS[i % len(OTHERS)], [GEMEENTE]
        if i in (1, 8, 16, 22, 29):
            owner = "politie  academie"  # the academy, typed in lower case: not the police
        elif i % 3 == 0:
            owner = "POLITIE"
        elif i in (4, 10):
            partners = [GEMEENTE, "politie."]
        title = f"Actie {i + 1}: buurtpreventie en jongerenwerk rond het Stationsplein, elke vrijdagavond"
        made.append({"title": LONG_WORD if i == 7 else title, "owner_organisation": owner, "partners": partners})
    return made


def test_a_big_organisation_finds_its_own_folded_and_never_its_namesakes(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context, title="Veiligheid Súdwest-Fryslân")
    board = session.board
    add_the_network(board, [POLITIE, ACADEMIE, GEMEENTE, *OTHERS])
    # "  politie " as a phone types it: the network's Politie, by the list's own rule
    agent = join(new_context, session.code, "Wijkagent Jansen", "  politie ")
    expect(agent.locator(".me")).to_contain_text("Politie")
    next_until(board, "Afspraken")
    actions = police_room(36)
    agree_many(board, actions)
    expect(agent.locator("#step li.hand-row")).to_have_count(36)

    # the police's fourteen (owner of twelve, partner of two), never the academy's five; eight shown, six folded
    own = [a["title"] for i, a in enumerate(actions) if (i % 3 == 0 and i not in (1, 8, 16, 22, 29)) or i in (4, 10)]
    academy = [a["title"] for i, a in enumerate(actions) if i in (1, 8, 16, 22, 29)]
    assert len(own) == 14
    groups = agent.locator("#step .action-group")
    expect(groups).to_have_text([f"Voor jou · {len(own)}", f"Andere afspraken · {36 - len(own)}"])
    first = agent.locator("#step .action-groups > ul.action-list").first
    expect(first.locator(".action-title")).to_have_text(own[:8])
    mine_more = agent.locator('#step details.action-more[data-group="mine"]')
    expect(mine_more.locator("summary")).to_have_text("+6 meer")
    expect(agent.locator('#step details.action-more[data-group="others"] summary')).to_have_text(f"+{36 - 14 - 5} meer")
    expect(agent.locator("#step li.hand-row:visible")).to_have_count(8 + 5)
    for title in academy:
        expect(mine_more.locator(".action-title", has_text=re.compile(f"^{re.escape(title)}$"))).to_have_count(0)
        expect(first.locator(".action-title", has_text=re.compile(f"^{re.escape(title)}$"))).to_have_count(0)
    expect(row(agent, own[0]).locator(".action-meta")).to_have_text("Jouw organisatie")
    expect(row(agent, actions[4]["title"]).locator(".action-meta")).to_contain_text("met jouw organisatie")
    assert agent.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(agent, "actions-own-390")
    # the Gemeente's name typed past the suggestion, without its accents, is still the Gemeente: every action shares it
    typed = join(new_context, session.code, "Sjoerd", "gemeente sudwest fryslan afdeling maatschappelijke ontwikkeling")
    expect(typed.locator("#step .action-group")).to_have_text(["Voor jou · 36"])

    # the fold opens and stays open while the room redraws the list
    mine_more.locator("summary").click()
    expect(row(agent, own[13])).to_be_visible()
    # the office renames the police in its list meanwhile; the next action of theirs is still the agent's own
    office = board.context.new_page()
    office.goto("/f/organisaties")
    office.get_by_role("link", name=f"Bewerken of samenvoegen: {POLITIE}", exact=True).click()
    office.get_by_role("textbox", name="Naam", exact=True).fill("Politie Eenheid Noord-Nederland")
    office.get_by_role("button", name="Opslaan").click()
    expect(office).to_have_url(re.compile(r"/f/organisaties"))
    late = "Actie 37: wijkagent op de basisschool"
    agree_many(board, [{"title": late, "owner_organisation": "Politie Eenheid Noord-Nederland", "partners": []}])
    expect(groups.first).to_have_text(f"Voor jou · {len(own) + 1}")
    expect(mine_more).to_have_attribute("open", "")
    expect(mine_more.locator(".action-title").last).to_have_text(late)
    shoot(agent, "actions-own-390-open")
    assert session.dialogs == []


# what a screen reader on the phone would read out: the text put into a live region (its nearest aria-live not "off")
LISTEN = """() => {
  window.heard = [];
  const live = (node) => {
    const region = node && node.closest("[aria-live]");
    return region && region.getAttribute("aria-live") !== "off";
  };
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (!live(change.target.nodeType === 1 ? change.target : change.target.parentElement)) continue;
      if (change.type === "characterData") window.heard.push(change.target.data);
      for (const node of change.addedNodes) if (node.textContent.trim()) window.heard.push(node.textContent.trim());
    }
  }).observe(document.getElementById("main"), { childList: true, subtree: true, characterData: true });
}"""


def heard(phone: Any) -> str:
    """What the phone's live regions said since LISTEN, and forget it."""
    said: list[str] = phone.evaluate("() => window.heard.splice(0)")
    return " | ".join(said)


async def raise_hands(base_url: str, code: str, action_ids: list[int], phones: int) -> None:
    """Phones over real websockets each raise a hand for one of the actions."""
    room = [Phone(base_url, code, f"Deelnemer {i}", "Buurtteam") for i in range(phones)]
    try:
        await asyncio.gather(*(phone.join() for phone in room))
        await asyncio.gather(*(phone.raise_hand(action_ids[i % len(action_ids)]) for i, phone in enumerate(room)))
    finally:
        await asyncio.gather(*(phone.close() for phone in room), return_exceptions=True)


def test_a_room_raising_hands_is_not_read_out_on_a_listening_phone(
    new_context: Callable[..., Any], live_server: str
) -> None:
    session = start_session(new_context)
    board = session.board
    phone = join(new_context, session.code, "Ali", "Buurtteam")
    next_until(board, "Afspraken")
    agree_many(board, [{"title": f"Actie {n}", "owner_organisation": "Gemeente", "partners": []} for n in range(1, 13)])
    expect(phone.locator("#step li.hand-row")).to_have_count(12)
    ids = [int(i) for i in phone.locator("#step li.hand-row").evaluate_all("rows => rows.map((r) => r.dataset.action)")]
    phone.evaluate(LISTEN)

    # forty hands from the room: each redraws the list, and before each was read out whole (the step is a live region)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, raise_hands(live_server, session.code, ids, 40)).result()
    expect(row(phone, "Actie 12").locator(".action-meta")).to_contain_text("3 doen mee")
    expect(row(phone, "Actie 1").locator(".action-meta")).to_contain_text("4 doen mee")
    assert heard(phone) == ""

    # what is news is still said: one more action, the phone's own hand, the room moving on
    agree_many(board, [{"title": "Actie 13", "owner_organisation": "Buurtteam", "partners": []}])
    expect(phone.locator("#step [data-slot=summary]")).to_have_text("13 afspraken")
    assert heard(phone) == "13 afspraken"
    row(phone, "Actie 13").get_by_role("button", name="Ik doe mee").click()
    expect(phone.locator("#step [data-slot=summary]")).to_have_text("13 afspraken · je doet mee aan 1")
    expect(row(phone, "Actie 13").get_by_role("button", name="Je doet mee ✓")).to_be_visible()
    assert heard(phone) == "13 afspraken · je doet mee aan 1"
    next_until(board, "Afronding")
    expect(phone.locator("#step h1")).to_have_text("Dank je wel!")
    assert "Dank je wel!" in heard(phone)


def test_a_phone_open_on_the_actions_follows_the_office_taking_its_organisation_back_and_giving_it_back(
    new_context: Callable[..., Any],
) -> None:
    session = start_session(new_context, title="Doorbraak Súdwest-Fryslân")
    board = session.board
    mine = join(new_context, session.code, "Sjoerd de Vries-Hoekstra", GEMEENTE)
    next_until(board, "Afspraken")
    agree_many(board, titles(6))
    own = row(mine, titles(6)[0]["title"])
    groups = mine.locator("#step .action-group")
    expect(groups).to_have_text(["Voor jou · 2", "Andere afspraken · 4"])
    expect(own.locator(".action-owner")).to_have_text("Jouw organisatie")

    # the office, in another tab of the board's browser, says Sjoerd does not belong to the Gemeente
    office = board.context.new_page()
    office.goto(board.url + "/deelnemers")
    person = office.locator(".participant-row", has_text="Sjoerd")
    person.get_by_role("button", name="Hoort niet bij deze organisatie").click()
    expect(person).to_contain_text("organisatie teruggenomen")
    # without a reload the phone marks none of the Gemeente's actions as its own, as the server takes no report
    expect(groups).to_have_text(["Alle afspraken · 6"])
    expect(own.locator(".action-owner")).to_have_text(GEMEENTE)
    shoot(mine, "claim-taken-back-390")

    # said by mistake: given back, the phone shows them as its own again
    person.get_by_role("button", name="Hoort toch bij deze organisatie").click()
    expect(person).not_to_contain_text("organisatie teruggenomen")
    expect(groups).to_have_text(["Voor jou · 2", "Andere afspraken · 4"])
    expect(own.locator(".action-owner")).to_have_text("Jouw organisatie")
