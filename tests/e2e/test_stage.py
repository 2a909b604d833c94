"""The stage in real browsers: the countdown in sync across a phone's reconnect, the spotlight, the word cloud,
and answers held for approval."""

import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.test_live_session import board_row, join, next_until, note, open_projector, send, start_session

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect
# a phone whose own clock is seven minutes fast: the countdown must follow the server's clock, not the device's
SKEWED_CLOCK = "(() => { const real = Date.now; Date.now = () => real() + 7 * 60 * 1000; })();"


def seconds_left(node: Any) -> int:
    """What a countdown shows ("3:58"), in seconds."""
    text = node.inner_text().strip()
    match = re.fullmatch(r"(?:(\d+):)?(\d+):(\d\d)", text)
    assert match, text
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def test_the_countdown_stays_in_sync_when_a_phone_reconnects(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    board = session.board
    projector = open_projector(new_context, session)
    phone = join(new_context, session.code, "Ali", "Woonstichting Thuis")
    phone.context.add_init_script(SKEWED_CLOCK)
    phone.reload()
    expect(phone.locator("#status")).to_have_attribute("data-state", "online")
    assert phone.evaluate("Date.now()") - time.time() * 1000 > 6 * 60 * 1000
    next_until(board, "Obstakels")
    expect(board.locator("#timer-default")).to_contain_text("3 min")

    # T starts the step's default (3 minutes); the projector and the phone count down with it
    board.locator("body").press("t")
    clock = projector.locator("#stage-timer [data-slot=time]")
    expect(projector.locator("#stage-timer")).to_have_attribute("data-state", "running")
    expect(phone.locator("#phone-timer")).to_have_attribute("data-state", "running")
    assert 170 <= seconds_left(clock) <= 180

    board.get_by_role("button", name="Pauze").click()
    expect(projector.locator("#stage-timer")).to_have_attribute("data-state", "paused")
    expect(projector.locator("#stage-timer [data-slot=label]")).to_have_text("pauze")
    paused = seconds_left(clock)
    board.get_by_role("button", name="+1 minuut").click()
    expect(clock).to_have_text(re.compile(rf"^{(paused + 60) // 60}:{(paused + 60) % 60:02d}$"))
    expect(phone.locator("#phone-timer [data-slot=time]")).to_have_text(clock.inner_text())

    # the phone drops off midway; while it is away the countdown runs on
    phone.context.set_offline(True)
    expect(phone.locator("#status")).to_have_attribute("data-state", "offline")
    board.get_by_role("button", name="Verder").click()
    expect(projector.locator("#stage-timer")).to_have_attribute("data-state", "running")
    phone.context.set_offline(False)
    expect(phone.locator("#status")).to_have_attribute("data-state", "online")
    expect(phone.locator("#phone-timer")).to_have_attribute("data-state", "running")
    # read together: the same remaining time within a second, on a phone whose own clock is seven minutes off
    on_phone, on_projector = seconds_left(phone.locator("#phone-timer [data-slot=time]")), seconds_left(clock)
    assert abs(on_phone - on_projector) <= 1, (on_phone, on_projector)
    assert paused + 50 <= on_projector <= paused + 60
    # and a fresh page load (a snapshot instead of a replay) agrees as well
    phone.reload()
    expect(phone.locator("#phone-timer")).to_have_attribute("data-state", "running")
    assert abs(seconds_left(phone.locator("#phone-timer [data-slot=time]")) - seconds_left(clock)) <= 1

    # a countdown that runs out says so and closes nothing; the next step takes the countdown away
    board.locator("#timer-minutes").fill("0,05")
    board.get_by_role("button", name="Start").click()
    expect(projector.locator("#stage-timer")).to_have_text("De tijd is om")
    expect(projector.locator("#stage-timer")).to_have_attribute("data-state", "up")
    expect(phone.locator("#phone-timer [data-slot=time]")).to_have_text("De tijd is om")
    expect(phone.locator("#step textarea")).to_be_editable()
    board.get_by_role("button", name="Volgende").click()
    expect(projector.locator("#stage-timer")).to_be_hidden()
    expect(phone.locator("#phone-timer")).to_be_hidden()
    assert not session.dialogs


def test_spotlight_word_cloud_and_approval_on_the_projector(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    board = session.board
    projector = open_projector(new_context, session)
    phone = join(new_context, session.code, "Bea", "Wijkteam Noord")
    next_until(board, "Obstakels")
    answers = [
        "Jongeren hebben 's avonds geen plek in de wijk",
        "Geen plek voor jongeren na negen uur",
        "Het buurthuis sluit te vroeg voor jongeren",
    ]
    for text in answers:
        send(phone, text)
        expect(note(projector, text)).to_be_visible()

    # click: one answer alone, large, with its organisation; Esc goes back to the wall
    board_row(board, answers[0]).get_by_role("button", name="Uitlichten").click()
    spotlight = projector.locator("#stage-spotlight")
    expect(spotlight).to_be_visible()
    expect(spotlight.locator("[data-slot=text]")).to_have_text(answers[0])
    expect(spotlight.locator("[data-slot=who]")).to_have_text("Wijkteam Noord")
    assert float(spotlight.locator("[data-slot=text]").evaluate("n => parseFloat(getComputedStyle(n).fontSize)")) >= 48
    board.locator("body").press("Escape")
    expect(spotlight).to_be_hidden()
    # or focus an answer and press S
    board_row(board, answers[1]).focus()
    board_row(board, answers[1]).press("s")
    expect(spotlight.locator("[data-slot=text]")).to_have_text(answers[1])
    # hiding the answer in the spotlight ends the spotlight
    board_row(board, answers[1]).get_by_role("button", name="Verbergen").click()
    expect(spotlight).to_be_hidden()

    # W: the word cloud of the visible answers, sized by count; the hidden answer's words are left out
    board.locator("body").press("w")
    cloud = projector.locator("#stage-cloud")
    expect(cloud).to_be_visible()
    expect(cloud.locator(".cloud-word", has_text=re.compile("^jongeren$"))).to_be_visible()
    expect(cloud.locator(".cloud-word", has_text=re.compile("^buurthuis$"))).to_be_visible()
    assert cloud.locator(".cloud-word", has_text=re.compile("^negen$")).count() == 0
    sizes = {
        word: cloud.locator(".cloud-word", has_text=re.compile(f"^{word}$")).evaluate(
            "n => parseFloat(getComputedStyle(n).fontSize)"
        )
        for word in ("jongeren", "buurthuis")
    }
    assert sizes["jongeren"] > sizes["buurthuis"]
    send(phone, "Wachtlijsten bij het jongerenwerk")
    expect(cloud.locator(".cloud-word", has_text=re.compile("^wachtlijsten$"))).to_be_visible()

    # approval on: a new answer waits on the board and reaches the projector (the cloud) only once approved
    board.locator("#moderated-toggle").check()
    send(phone, "Schoolpleinen zijn dicht")
    queue = board.locator("#queue")
    expect(queue.locator(".board-answer", has_text="Schoolpleinen zijn dicht")).to_be_visible()
    expect(phone.locator("#my-answers li.answer", has_text="Schoolpleinen zijn dicht")).to_be_visible()
    board.locator("body").press("w")
    expect(cloud).to_be_hidden()
    expect(note(projector, answers[0])).to_be_visible()
    assert note(projector, "Schoolpleinen zijn dicht").count() == 0
    board.locator("body").press("a")
    expect(note(projector, "Schoolpleinen zijn dicht")).to_be_visible()
    expect(queue).to_be_hidden()
    assert not session.dialogs


DIRECTION = "(nodes) => nodes.map((node) => getComputedStyle(node).direction)"


def test_right_to_left_words_read_right_to_left_in_the_spotlight_and_the_cloud(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    board = session.board
    projector = open_projector(new_context, session)
    phone = join(new_context, session.code, "Noor", "جمعية الحي")
    next_until(board, "Obstakels")
    arabic = "لا يوجد مكان للشباب في المساء."
    send(phone, arabic)
    expect(note(projector, arabic)).to_be_visible()

    # in the spotlight the answer and its organisation each take their own direction, as on the wall
    board_row(board, arabic).get_by_role("button", name="Uitlichten").click()
    spotlight = projector.locator("#stage-spotlight")
    expect(spotlight.locator("[data-slot=text]")).to_have_text(arabic)
    assert spotlight.locator("[data-slot=text], [data-slot=who]").evaluate_all(DIRECTION) == ["rtl", "rtl"]
    board.locator("body").press("Escape")

    # in the word cloud an Arabic word reads right to left among Dutch ones
    send(phone, "Geen plek voor jongeren")
    expect(note(projector, "Geen plek voor jongeren")).to_be_visible()
    board.locator("body").press("w")
    cloud = projector.locator("#stage-cloud")
    expect(cloud.locator(".cloud-word", has_text=re.compile("^للشباب$"))).to_be_visible()
    assert cloud.locator(".cloud-word", has_text=re.compile("^للشباب$")).evaluate_all(DIRECTION) == ["rtl"]
    assert cloud.locator(".cloud-word", has_text=re.compile("^jongeren$")).evaluate_all(DIRECTION) == ["ltr"]
    assert not session.dialogs
