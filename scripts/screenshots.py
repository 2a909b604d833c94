"""Screenshots for the README: a real server and Chromium run a demo session and photograph each screen.

    .venv/bin/python scripts/screenshots.py [--out docs/img] [--chromium /usr/bin/chromium]

The server runs in this process on a throwaway SQLite database; ten people from the demo join (one of them in a
phone-sized browser, the rest over plain HTTP forms), send the demo's obstacles and contributions, and the
projector (1920x1080), the phone (390x844) and the facilitator's board (1440x900) are saved as PNG files.
Then busy rooms of 10, 40 and 200 obstacles (simulated phones over websockets) show how the wall pages.
"""

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from app.catalog.service import formats  # noqa: E402
from app.config import Settings  # noqa: E402
from app.demo.content import (  # noqa: E402
    ACTIONS,
    CLUSTERS,
    CONTRIBUTIONS,
    DEMO_OPGAVE,
    DEMO_TITLE,
    OBSTACLES,
    PEOPLE,
    crowd,
)
from app.demo.driver import csrf_of, send_crowd  # noqa: E402
from app.main import create_app  # noqa: E402
from tests.e2e.browser import CHROMIUM_ARGS, LAPTOP, PHONE, PROJECTOR  # noqa: E402
from tests.servers import serving  # noqa: E402

BOARD = LAPTOP
PASSWORD = "screenshots-only-password"
# which obstacle each of the demo's contributions answers (indexes into OBSTACLES)
PLEDGED_TO = [0, 6, 1, 7, 8, 2, 3, 9, 5, 4]
# the obstacle the facilitator hides on the board, to show moderation
HIDDEN = "Een vergadering te veel, eerlijk gezegd."


@contextmanager
def running_server(data_dir: Path, public_url: str | None) -> Iterator[str]:
    """The app under uvicorn in a background thread, on a free port of 127.0.0.1."""
    settings = Settings(
        data_dir=data_dir,
        database_url=None,
        broadcast_url=None,
        public_url=public_url,
        secret_key="screenshots-" + "x" * 40,
        environment="development",
    )
    with serving(create_app(settings)) as url:
        yield url


class FormPhone:
    """A participant without a browser: joins and answers through the plain forms, as a phone without script does."""

    def __init__(self, base_url: str, code: str, name: str, organisation: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.code = code
        page = self.http.get(f"/j/{code}")
        response = self.http.post(
            f"/j/{code}/participant", data={"csrf": csrf_of(page.text), "name": name, "organisation": organisation}
        )
        if response.status_code != 303:
            raise RuntimeError(f"joining failed: HTTP {response.status_code}")

    def options(self) -> dict[str, str]:
        """The obstacles this phone can link a contribution to, text to answer id."""
        page = self.http.get(f"/j/{self.code}").text
        return {text: value for value, text in re.findall(r'<option value="(\d+)">([^<]*)</option>', page)}

    def answer(self, step: str, text: str, links_to: str = "") -> None:
        page = self.http.get(f"/j/{self.code}")
        response = self.http.post(
            f"/j/{self.code}/answers",
            data={
                "csrf": csrf_of(page.text),
                "client_id": str(uuid.uuid4()),
                "step": step,
                "text": text,
                "links_to": links_to,
            },
        )
        if response.status_code != 303:
            raise RuntimeError(f"answer refused: HTTP {response.status_code}: {response.text[:200]}")

    def live(self, message: dict[str, Any], reply: str) -> dict[str, Any]:
        """Send one message over the phone's websocket and return the server's reply of that type."""
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        url = str(self.http.base_url).replace("http://", "ws://").rstrip("/") + f"/ws/phone/{self.code}"
        with connect(url, additional_headers={"Cookie": cookie}) as ws:
            ws.recv()  # the snapshot
            ws.send(json.dumps(message))
            while True:
                frame = json.loads(ws.recv(timeout=15))
                if frame["type"] in (reply, "error"):
                    return frame  # type: ignore[no-any-return]

    def close(self) -> None:
        self.http.close()


def next_until(board: Page, title: str) -> None:
    """Press "Volgende" on the board until the step with this title is current."""
    target = board.locator(".step-button", has_text=title).get_attribute("data-index")
    current = board.locator(".step-button.current")
    while current.get_attribute("data-index") != target:
        before = current.get_attribute("data-index")
        # by its id: a contribution about "het volgende overleg" has a button whose name holds "Volgende" too
        board.locator("#next-step").click()
        expect(current).not_to_have_attribute("data-index", before or "")


def shoot(page: Page, path: Path) -> None:
    """One viewport-sized PNG, with arrival animations finished."""
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    print(f"  {path}")


def run(base_url: str, out: Path, chromium: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        expect.set_options(timeout=15_000)

        def context(options: dict[str, Any]) -> Any:
            ctx = browser.new_context(base_url=base_url, locale="nl-NL", **options)
            ctx.set_default_timeout(15_000)
            return ctx

        # the facilitator: first-run setup, a workshop, the board
        board = context(BOARD).new_page()
        board.goto("/setup")
        board.get_by_label("Naam").fill("Fenna de Vries")
        board.get_by_label("E-mailadres").fill("fenna@buurtalliantie.nl")
        board.get_by_label("Wachtwoord").fill(PASSWORD)
        board.get_by_role("button", name="Account maken").click()
        board.wait_for_url("**/f/workshops")
        board.get_by_label("Titel").fill(DEMO_TITLE)
        board.get_by_label("De opgave").fill(DEMO_OPGAVE)
        board.get_by_label("Datum").fill(date.today().isoformat())
        board.get_by_role("button", name="Workshop maken").click()
        board.wait_for_url(re.compile(r"/f/workshops/\d+$"))
        expect(board.locator("#status")).to_have_attribute("data-state", "online")
        code = board.locator(".code-chip").inner_text().replace(" ", "")
        projector_path = board.locator("#projector-link").get_attribute("href") or ""

        projector = context(PROJECTOR).new_page()
        projector.goto(projector_path)
        expect(projector.locator("#status")).to_have_attribute("data-state", "online")

        # one phone in a real phone-sized browser; it fills in the join form
        phone = context(PHONE).new_page()
        phone.goto(f"/j/{code}")
        me_name, me_org = PEOPLE[0]
        phone.get_by_label("Je naam").fill(me_name)
        phone.get_by_label("Je organisatie").fill(me_org)
        shoot(phone, out / "phone-join.png")
        phone.get_by_role("button", name="Meedoen").click()
        expect(phone.locator("#status")).to_have_attribute("data-state", "online")

        # the rest of the room joins over plain forms
        others = [FormPhone(base_url, code, name, organisation) for name, organisation in PEOPLE[1:10]]
        expect(projector.locator("#room-count")).to_have_text("10")
        expect(projector.locator("#organisations li.chip")).to_have_count(10)
        shoot(projector, out / "projector-lobby.png")

        # the obstacle round
        board.locator("body").press("ArrowRight")
        expect(projector.locator("#round-prompt")).not_to_be_empty()
        expect(phone.locator("#step textarea")).to_be_visible()
        phone.locator("#step textarea").fill(OBSTACLES[0])
        phone.get_by_role("button", name="Versturen").click()
        expect(phone.locator("#my-answers li.answer.received")).to_have_count(1)
        for i, text in enumerate(OBSTACLES[1:], start=1):
            others[(i - 1) % len(others)].answer("obstacles", text)
        others[4].answer("obstacles", HIDDEN)
        expect(projector.locator("#round-answers article.note")).to_have_count(len(OBSTACLES) + 1)
        board.locator("#answers .board-answer", has_text=HIDDEN).get_by_role("button", name="Verbergen").click()
        expect(projector.locator("#round-answers article.note")).to_have_count(len(OBSTACLES))
        shoot(projector, out / "projector-obstacles.png")
        stage_shots(board, projector, phone, out)
        phone.locator("#step textarea").fill("Niemand weet welke afspraken er al")
        phone.locator("#step textarea").dispatch_event("input")
        shoot(phone, out / "phone-answer.png")
        phone.locator("#step textarea").fill("")

        # grouping: tick the obstacles that belong together and press M, then name and tag the pile
        next_until(board, "Ordenen")
        for name, members, tension, theme in CLUSTERS:
            for i in members:
                board.locator("#loose li.obstacle-chip", has_text=OBSTACLES[i]).locator("input").check()
            board.locator("#merge").press("m")
            card = board.locator("article.cluster-card", has_text=OBSTACLES[members[0]])
            expect(card.locator("li.obstacle-chip")).to_have_count(len(members))
            card.locator(".cluster-name").fill(name)
            card.locator(".cluster-name").press("Enter")
            expect(projector.locator("article.note.cluster", has_text=name)).to_be_visible()
            card.locator("select").first.select_option(tension)
            if theme:
                card.locator("select").nth(1).select_option(theme)
        board.locator("#cluster-list").click(position={"x": 2, "y": 2})
        shoot(projector, out / "projector-grouping.png")
        shoot(board, out / "board.png")

        # the vote: three dots each
        next_until(board, "Stemmen")
        expect(phone.locator(".vote-list li.vote-item")).to_have_count(len(CLUSTERS) + 2)
        first, second = CLUSTERS[0][0], CLUSTERS[1][0]
        for name in (first, first, second):
            phone.get_by_role("button", name=f"Stip erbij: {name}").click()
        expect(phone.locator(".dots-left")).to_contain_text("Nog 0 van 3")
        cluster_ids = [
            int(c) for c in projector.locator("article.rank").evaluate_all("rows => rows.map(r => r.dataset.cluster)")
        ]
        piles = {projector.locator(f"article.rank[data-cluster='{c}'] .rank-name").inner_text(): c for c in cluster_ids}
        weights = [first] * 5 + [second] * 3 + [CLUSTERS[2][0]] * 2 + [CLUSTERS[3][0]]
        for n, other in enumerate(others):
            picks = [weights[(n * 3 + k) % len(weights)] for k in range(3)]
            other.live({"type": "votes", "allocation": {piles[p]: picks.count(p) for p in set(picks)}}, "votes_ack")
        expect(projector.locator("article.rank").first.locator(".rank-name")).to_have_text(first)
        shoot(projector, out / "projector-vote.png")
        shoot(phone, out / "phone-vote.png")

        # the contribution round
        next_until(board, "Bijdragen")
        expect(projector.locator("#round-answers.linked")).to_be_visible()
        expect(phone.locator("#step select option")).to_have_count(len(OBSTACLES) + 1)
        options = others[0].options()
        phone.locator("#step select").select_option(label=OBSTACLES[PLEDGED_TO[0]])
        phone.locator("#step textarea").fill(CONTRIBUTIONS[0])
        phone.get_by_role("button", name="Versturen").click()
        expect(phone.locator("#my-answers li.answer.received")).to_have_count(2)
        for i, text in enumerate(CONTRIBUTIONS[1:], start=1):
            others[(i * 3) % len(others)].answer("contributions", text, options[OBSTACLES[PLEDGED_TO[i]]])
        expect(projector.locator("#wall-count")).to_contain_text(f"{len(CONTRIBUTIONS)} bijdragen")
        expect(board.locator("#answer-count")).to_have_text(f"({len(OBSTACLES) + 1 + len(CONTRIBUTIONS)})")
        shoot(projector, out / "projector-contributions.png")
        phone.locator("#step select").select_option(label=OBSTACLES[3])
        phone.locator("#step textarea").fill("Wij hangen de wijkkaart op in de")
        phone.locator("#step textarea").dispatch_event("input")
        shoot(phone, out / "phone-contribution.png")
        phone.locator("#step textarea").fill("")

        # agreed actions: from contributions, with an owner, a date, and hands raised
        next_until(board, "Afspraken")
        for index, title, days, partners in ACTIONS:
            board.locator("#pledge-list li", has_text=CONTRIBUTIONS[index]).get_by_role(
                "button", name="Maak er een afspraak van"
            ).click()
            form = board.locator("#action-form")
            form.locator("input[name=title]").fill(title)
            form.locator("input[name=partners]").fill(", ".join(partners))
            form.locator("input[name=due_on]").fill((date.today() + timedelta(days=days)).isoformat())
            form.get_by_role("button", name="Afspraak vastleggen").click()
            expect(projector.locator("article.note.action", has_text=title)).to_be_visible()
        action_ids = [
            int(a)
            for a in projector.locator("article.note.action").evaluate_all("cards => cards.map(c => c.dataset.action)")
        ]
        phone.locator(".action-card", has_text=ACTIONS[0][1]).get_by_role("button", name="Ik doe mee").click()
        for n, other in enumerate(others[:6]):
            other.live(
                {"type": "volunteer", "action_id": action_ids[n % len(action_ids)], "joining": True}, "volunteer_ack"
            )
        expect(projector.locator("article.note.action .hands", has_text="Doen mee")).to_have_count(len(ACTIONS))
        shoot(projector, out / "projector-actions.png")
        shoot(phone, out / "phone-actions.png")

        for other in others:
            other.close()
        mosaic_and_follow_up(board, context, base_url, out)
        approval_queue(board, base_url, out)
        busy_walls(board, context, base_url, out)
        browser.close()


def stage_shots(board: Page, projector: Page, phone: Page, out: Path) -> None:
    """The countdown, a spotlight and the word cloud, each started from the board."""
    board.locator("body").press("t")  # the step's default time, from the format file
    expect(projector.locator("#stage-timer")).to_be_visible()
    expect(phone.locator("#phone-timer, .phone-timer").first).to_be_visible()
    shoot(projector, out / "projector-timer.png")
    shoot(phone, out / "phone-timer.png")
    board.locator("#answers .board-answer", has_text=OBSTACLES[2]).get_by_role("button", name="Uitlichten").click()
    expect(projector.locator("#stage-spotlight")).to_be_visible()
    shoot(projector, out / "projector-spotlight.png")
    board.locator("body").press("Escape")
    expect(projector.locator("#stage-spotlight")).to_be_hidden()
    board.locator("body").press("w")
    expect(projector.locator("#stage-cloud .cloud-word").first).to_be_visible()
    shoot(projector, out / "projector-cloud.png")
    board.locator("body").press("w")
    expect(projector.locator("#stage-cloud")).to_be_hidden()
    board.locator("body").press("0")  # stop the countdown
    expect(projector.locator("#stage-timer")).to_be_hidden()


def new_workshop(board: Page, title: str, format_key: str) -> tuple[str, str]:
    """Create another workshop from the list page; returns its code and projector path."""
    board.goto("/f/workshops")
    board.get_by_label("Titel").fill(title)
    board.get_by_label("De opgave").fill(DEMO_OPGAVE)
    board.get_by_label("Datum").fill(date.today().isoformat())
    board.get_by_label("Werkvorm").select_option(format_key)
    board.get_by_role("button", name="Workshop maken").click()
    board.wait_for_url(re.compile(r"/f/workshops/\d+$"))
    expect(board.locator("#status")).to_have_attribute("data-state", "online")
    return board.locator(".code-chip").inner_text().replace(" ", ""), board.locator("#projector-link").get_attribute(
        "href"
    ) or ""


def join_on(phone: Page, code: str) -> None:
    """The demo's first person joins a workshop from the phone-sized browser."""
    phone.goto(f"/j/{code}")
    phone.get_by_label("Je naam").fill(PEOPLE[0][0])
    phone.get_by_label("Je organisatie").fill(PEOPLE[0][1])
    phone.get_by_role("button", name="Meedoen").click()


def go_to(board: Page, index: int) -> None:
    """Jump the board to a step by its place in the list."""
    board.locator(f'.step-button[data-index="{index}"]').click()
    expect(board.locator(".step-button.current")).to_have_attribute("data-index", str(index))


# ten people's grades for the seven building blocks: a network that acts together well and lacks the right people
MOSAIC_GRADES = [
    [8, 7, 8, 6, 5, 8, 7],
    [7, 8, 9, 6, 4, 7, 6],
    [9, 7, 8, 7, 5, 8, 7],
    [6, 6, 7, 5, 3, 7, 6],
    [8, 7, 8, 6, 4, 8, 8],
    [7, 8, 9, 7, 5, 9, 7],
    [8, 6, 8, 5, 6, 7, 6],
    [7, 7, 9, 6, 4, 8, 7],
    [9, 8, 8, 7, 5, 8, 7],
    [7, 7, 8, 6, 4, 7, 6],
]


def mosaic_and_follow_up(board: Page, context: Any, base_url: str, out: Path) -> None:
    """A netwerkmozaiek (grades, the mosaic) and a follow-up of the doorbraak above (owners report)."""
    code, projector_path = new_workshop(board, "Netwerkdag Heerlen-Noord", "netwerkmozaiek")
    projector = context(PROJECTOR).new_page()
    projector.goto(projector_path)
    phone = context(PHONE).new_page()
    join_on(phone, code)
    others = [FormPhone(base_url, code, name, organisation) for name, organisation in PEOPLE[1:10]]
    # the format file says where each grade step and the mosaic are
    steps = formats()["netwerkmozaiek"].steps
    grades = [(index, step.id) for index, step in enumerate(steps) if step.type == "grade"]
    for block, (index, step_id) in enumerate(grades):
        go_to(board, index)
        for n, other in enumerate(others, start=1):
            other.live({"type": "response", "step": step_id, "value": MOSAIC_GRADES[n][block]}, "response_ack")
        grade = MOSAIC_GRADES[0][block]
        phone.locator("#step").get_by_role("button", name=f"Cijfer {grade}", exact=True).click()
        expect(phone.locator('#step [data-slot="sent"]')).to_contain_text(f"Je gaf een {grade}")
        if block == 2:
            expect(projector.locator('.figure[data-figure="count"] dd')).to_have_text("10")
            shoot(projector, out / "projector-grade.png")
            shoot(phone, out / "phone-grade.png")
    go_to(board, next(index for index, step in enumerate(steps) if step.type == "mosaic"))
    expect(projector.locator(".mosaic .tile")).to_have_count(7)
    shoot(projector, out / "projector-mosaic.png")
    for other in others:
        other.close()

    code, projector_path = new_workshop(board, "Vervolg: " + DEMO_TITLE, "vervolgsessie")
    projector.goto(projector_path)
    owner = ACTIONS[0]
    join_on(phone, code)
    go_to(board, 1)
    card = phone.locator("#step .review-card", has_text=owner[1])
    card.locator(".review-head").click()
    card.get_by_text("Bezig", exact=True).click()
    card.get_by_label("Wat is er gebeurd? (één zin)").fill("Eerste overleg gehad, de lijst komt in januari")
    card.get_by_role("button", name="Doorgeven").click()
    expect(projector.locator(".review-item.moved")).to_have_count(1)
    shoot(projector, out / "projector-review.png")


def approval_queue(board: Page, base_url: str, out: Path) -> None:
    """Eerst naar de regie: the room's answers wait on the board until the facilitator lets them through."""
    code, _ = new_workshop(board, "Bewonersavond Noord", "doorbraak")
    go_to(board, 1)
    board.locator("#moderated-toggle").check()
    expect(board.locator("#moderated-toggle")).to_be_checked()
    people = crowd(6)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, send_crowd(base_url, code, people)).result()
    expect(board.locator("#queue .board-answer")).to_have_count(len(people))
    board.locator("#stage-panel").scroll_into_view_if_needed()
    shoot(board, out / "board-approval.png")


def busy_walls(board: Page, context: Any, base_url: str, out: Path) -> None:
    """The obstacle wall with 10, 40 and 200 answers: one readable size, and pages with the count."""
    projector = context(PROJECTOR).new_page()
    for size in (10, 40, 200):
        code, projector_path = new_workshop(board, f"Netwerkdag Noord ({size})", "doorbraak")
        go_to(board, 1)
        # simulated phones on a loop of their own: Playwright's sync API owns this thread's loop
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, send_crowd(base_url, code, crowd(size))).result()
        projector.goto(f"{projector_path}?dwell=600")  # hold page 1 for the photograph
        expect(projector.locator("#wall-count")).to_contain_text(f"{size} obstakels")
        shoot(projector, out / f"projector-wall-{size}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="folder for the PNG files")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="the Chromium executable to drive")
    parser.add_argument(
        "--public-url",
        default="https://doorbraak.example.org",
        help="address shown on the projector and in its QR code (default: %(default)s)",
    )
    args = parser.parse_args()
    if not Path(args.chromium).exists():
        raise SystemExit(f"no Chromium at {args.chromium}; pass --chromium")
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="doorbraak-shots-") as data_dir,
        running_server(Path(data_dir), args.public_url or None) as base_url,
    ):
        print(f"server at {base_url}; writing screenshots to {args.out}")
        run(base_url, args.out, args.chromium)
    print(f"done in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
