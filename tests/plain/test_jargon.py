"""Plain language: finding jargon, the shipped and own lists, the phone's list, and the bingo card switch."""

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from app.plain import service as plain
from tests.conftest import Facilitator, Workshop, receive_until

CASES = json.loads(Path(__file__).with_name("jargon_cases.json").read_text(encoding="utf-8"))


def is_event(kind: str) -> Any:
    return lambda frame: frame.get("type") == "event" and frame["kind"] == kind


def save_list(facilitator: Facilitator, words: str, **extra: str) -> Any:
    """Send the jargon form as the page does."""
    return facilitator.http.post(
        "/f/jargon", data={"csrf": facilitator.csrf(), "words": words, **extra}, follow_redirects=False
    )


def set_bingo(facilitator: Facilitator, workshop: Workshop, on: bool) -> Any:
    """Flip the board's bingo switch."""
    return facilitator.http.post(
        f"/f/workshops/{workshop.id}/bingo",
        data={"on": "true" if on else "false"},
        headers={"X-CSRF-Token": facilitator.csrf(), "Accept": "application/json"},
    )


def phone_config(page: str) -> dict[str, Any]:
    """The JSON the phone page hands its script."""
    found = re.search(r'<script type="application/json" id="phone-config">(.*?)</script>', page, re.DOTALL)
    assert found, "the phone page has no config"
    return json.loads(found.group(1))  # type: ignore[no-any-return]


# ---- finding words (the same cases run through static/js/jargon.js in tests/e2e/test_plain_language.py)


@pytest.mark.parametrize("case", CASES, ids=[case["why"] for case in CASES])
def test_find_jargon(case: dict[str, Any]) -> None:
    found = plain.find_jargon(case["text"], words=dict.fromkeys(case["words"], ""))
    assert list(found.items()) == list(case["found"].items())


# ---- the shipped list


def test_the_shipped_list_is_valid_and_has_the_classics() -> None:
    words = plain.read_jargon_file(plain.SHIPPED)
    assert len(words) >= 28
    assert {"integraal", "herstructurering", "uitponden", "borgen", "sociaal domein", "quick win"} <= words.keys()
    assert all(suggestion for suggestion in words.values())
    # every shipped word is found in a sentence that uses it
    for word in words:
        assert plain.find_jargon(f"Dat is {word}.", words=words) == {word: 1}, word


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("integraal: samen\nborgen: houden\nIntegraal: nog eens\n", "Regel 3: ‘Integraal’ staat al op regel 1."),
        (f"{'x' * 61}: te lang\n", "Regel 1: ‘" + "x" * 60),
        ("- integraal\n- borgen\n", "expected a mapping"),
        ("integraal:\n", "line 1: give a word and its plainer wording"),
        ("integraal: [samen\n", "jargon.yaml"),
    ],
)
def test_a_broken_list_file_is_refused_with_its_file_and_line(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "jargon.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(plain.JargonFileError, match=re.escape(problem)):
        plain.read_jargon_file(path)


def test_a_broken_shipped_file_means_no_hints_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "jargon.yaml"
    broken.write_text("- not a mapping\n", encoding="utf-8")
    monkeypatch.setattr(plain, "SHIPPED", broken)
    plain.shipped_jargon.cache_clear()
    try:
        with caplog.at_level(logging.ERROR):
            assert plain.shipped_jargon() == {}
        assert "shipped jargon list" in caplog.text
    finally:
        plain.shipped_jargon.cache_clear()


# ---- a facilitator's own list


def test_the_page_shows_the_shipped_list_until_the_facilitator_saves_their_own(facilitator: Facilitator) -> None:
    page = facilitator.http.get("/f/jargon")
    assert page.status_code == 200
    assert "Standaardlijst" in page.text
    assert "integraal = in samenhang, alles tegelijk" in page.text
    assert 'href="/f/jargon"' in facilitator.http.get("/f/workshops").text

    response = save_list(facilitator, "synergie = samen sterker\n\n  Regie   voeren =  de leiding nemen \nkaders")
    assert response.status_code == 303
    page = facilitator.http.get(response.headers["location"])
    assert "Eigen lijst" in page.text and "Opgeslagen" in page.text
    assert "synergie = samen sterker\nRegie voeren = de leiding nemen\nkaders</textarea>" in page.text
    assert "integraal = in samenhang, alles tegelijk" not in page.text
    runtime = facilitator.http.app.state.runtime  # type: ignore[attr-defined]
    mine = runtime.db.read_sync(lambda db: plain.jargon_for(db, workspace_id=1))
    assert mine == {"synergie": "samen sterker", "Regie voeren": "de leiding nemen", "kaders": ""}

    response = save_list(facilitator, "", action="reset")
    assert response.status_code == 303
    page = facilitator.http.get(response.headers["location"])
    assert "Je gebruikt weer de standaardlijst" in page.text and "Standaardlijst" in page.text
    assert runtime.db.read_sync(lambda db: plain.jargon_for(db, workspace_id=1)) == plain.shipped_jargon()


def test_mistakes_are_named_by_their_line_and_nothing_is_saved(facilitator: Facilitator) -> None:
    typed = "\n".join(
        [
            "integraal = samen",
            "",
            "= niets ervoor",
            f"{'lang' * 16} = te lang",
            "INTEGRAAL = nog eens",
            "2030 = geen letters",
            f"borgen = {'heel ' * 40}",
            "faciliteren",
        ]
    )
    response = save_list(facilitator, typed)
    assert response.status_code == 422
    for message in [
        "Regel 3: vóór het = staat geen woord.",
        "Regel 4: ‘" + ("lang" * 15),
        "Een woord mag hoogstens 60 tekens hebben.",
        "Regel 5: ‘INTEGRAAL’ staat al op regel 1.",
        "Regel 6: ‘2030’ bevat geen letters.",
        "Regel 7: de gewone woorden bij ‘borgen’ zijn te lang",
    ]:
        assert message in response.text
    assert "Regel 8" not in response.text  # a word without a suggestion is fine
    # what was typed stays in the form, and the stored list is untouched
    assert "= niets ervoor" in response.text
    assert "Standaardlijst" in response.text


def test_a_list_may_hold_three_hundred_words(facilitator: Facilitator) -> None:
    words = [f"woord{chr(97 + n // 26)}{chr(97 + n % 26)} = iets" for n in range(301)]
    response = save_list(facilitator, "\n".join(words))
    assert response.status_code == 422
    assert "De lijst heeft 301 woorden. Er passen er hoogstens 300 in." in response.text
    assert save_list(facilitator, "\n".join(words[:300])).status_code == 303


def test_the_list_needs_a_signed_in_facilitator_and_a_form_token(
    facilitator: Facilitator, browser: Any, client: Any
) -> None:
    stranger = browser()
    response = stranger.get("/f/jargon", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/f/login")
    forged = facilitator.http.post("/f/jargon", data={"words": "synergie = samen"}, follow_redirects=False)
    assert forged.status_code == 403
    assert "Standaardlijst" in facilitator.http.get("/f/jargon").text


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("application/json", '{"words": ""}'), ("text/plain", "words="), ("", '{"words": ""}')],
    ids=["json", "plain text", "no type"],
)
def test_a_body_that_is_no_form_is_refused_not_read_as_an_empty_list(
    app: FastAPI, facilitator: Facilitator, content_type: str, body: str
) -> None:
    assert save_list(facilitator, "synergie = samen sterker").status_code == 303
    headers = {"X-CSRF-Token": facilitator.csrf(), "Content-Type": content_type}
    response = facilitator.http.post("/f/jargon", content=body, headers=headers, follow_redirects=False)
    assert response.status_code == 415, response.text
    assert "Hier kan alleen een formulier heen" in response.text and "Er is niets opgeslagen" in response.text
    kept = app.state.runtime.db.read_sync(lambda db: plain.jargon_for(db, workspace_id=1))
    assert kept == {"synergie": "samen sterker"}


def test_the_phone_gets_the_list_of_its_workshops_facilitator(
    facilitator: Facilitator, other_facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop)
    assert phone_config(phone.http.get(f"/j/{workshop.code}").text)["jargon"] == plain.shipped_jargon()
    save_list(other_facilitator, "uitponden = verkopen")
    save_list(facilitator, "synergie = samen sterker\nop <b>schalen</b> = groter maken")
    config = phone_config(phone.http.get(f"/j/{workshop.code}").text)
    assert config["jargon"] == {"synergie": "samen sterker", "op <b>schalen</b>": "groter maken"}


# ---- the bingo card


def test_bingo_reaches_the_projector_live_and_after_a_reconnect(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        assert projector.receive_json()["bingo"] == {"on": False, "words": {}}
        response = set_bingo(facilitator, workshop, True)
        assert response.status_code == 200 and response.json() == {"on": True}
        event = receive_until(projector, is_event("bingo.changed"))
        assert event["data"]["on"] is True
        assert event["data"]["words"]["integraal"] == "in samenhang, alles tegelijk"
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        snapshot = projector.receive_json()
    assert snapshot["bingo"]["on"] is True and "uitponden" in snapshot["bingo"]["words"]
    with facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board:
        assert board.receive_json()["bingo"]["on"] is True

    # phones never hear of it
    phone = join(workshop)
    with phone.connect() as ws:
        seq, wid = (frame := ws.receive_json())["seq"], frame["workshop"]["id"]
    assert set_bingo(facilitator, workshop, False).json() == {"on": False}
    with phone.connect(f"?since={seq}&wid={wid}") as ws:
        assert ws.receive_json()["type"] == "synced"
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        assert projector.receive_json()["bingo"] == {"on": False, "words": {}}


def test_switching_bingo_twice_the_same_way_logs_one_event(facilitator: Facilitator, workshop: Workshop) -> None:
    set_bingo(facilitator, workshop, True)
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        seq = projector.receive_json()["seq"]
    set_bingo(facilitator, workshop, True)
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        assert projector.receive_json()["seq"] == seq


def test_a_new_list_reaches_a_card_that_is_showing(facilitator: Facilitator, workshop: Workshop) -> None:
    set_bingo(facilitator, workshop, True)
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        projector.receive_json()
        save_list(facilitator, "synergie = samen sterker")
        event = receive_until(projector, is_event("bingo.changed"))
    assert event["data"] == {"on": True, "words": {"synergie": "samen sterker"}}


def test_only_the_owner_switches_bingo(
    facilitator: Facilitator, other_facilitator: Facilitator, workshop: Workshop
) -> None:
    assert set_bingo(other_facilitator, workshop, True).status_code == 404
    forged = facilitator.http.post(
        f"/f/workshops/{workshop.id}/bingo", data={"on": "true"}, headers={"Accept": "application/json"}
    )
    assert forged.status_code == 403
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        assert projector.receive_json()["bingo"]["on"] is False


def test_the_board_has_the_switch_and_a_plain_form_post_works(facilitator: Facilitator, workshop: Workshop) -> None:
    board = facilitator.http.get(f"/f/workshops/{workshop.id}").text
    assert 'id="bingo-toggle"' in board and " checked" not in board.split('id="bingo-toggle"')[1][:20]
    response = facilitator.http.post(
        f"/f/workshops/{workshop.id}/bingo", data={"csrf": facilitator.csrf(), "on": "true"}, follow_redirects=False
    )
    assert response.status_code == 303
    board = facilitator.http.get(f"/f/workshops/{workshop.id}").text
    assert board.split('id="bingo-toggle"')[1].startswith(" checked")
