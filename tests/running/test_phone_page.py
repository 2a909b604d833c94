"""The phone page: what every phone of a workshop sees alike is rendered once, each phone's own parts filled in."""

import re
import uuid
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.auth import CSRF_COOKIE
from app.demo.driver import csrf_of
from app.models import Participant, table_of
from app.models import Workshop as StoredWorkshop
from app.web import render_kept
from app.workshops import service as workshops
from tests.conftest import Facilitator, Phone, Workshop

HOSTILE = "<script>alert(\"x\")</script> & 'Ali'"


def own_parts_removed(page: str, phone: Phone) -> str:
    """The page with this phone's own parts replaced by placeholders, to compare two phones' pages."""
    page = page.replace(phone.http.cookies[CSRF_COOKIE], "TOKEN")
    page = re.sub(r'name="client_id" value="[0-9a-f-]{36}"', 'name="client_id" value="ID"', page)
    page = re.sub(r'<p class="me clamp-2" title="[^"]*">(?:[^<]|</?bdi>)*</p>', '<p class="me">ME</p>', page)
    return re.sub(r'<ul id="my-answers" class="answer-list">.*?</ul>', "<ul>MINE</ul>", page, flags=re.S)


def my_answers(page: str) -> str:
    """The page's list of the phone's own answers."""
    found = re.search(r'<ul id="my-answers" class="answer-list">(.*?)</ul>', page, flags=re.S)
    assert found is not None
    return found.group(1)


def post_answer(phone: Phone, text: str) -> Any:
    """An answer through the page's form, as a phone without its script sends it."""
    page = phone.http.get(f"/j/{phone.workshop.code}").text
    return phone.http.post(
        f"/j/{phone.workshop.code}/answers",
        data={"csrf": csrf_of(page), "client_id": str(uuid.uuid4()), "step": "obstacles", "text": text},
        follow_redirects=False,
    )


def test_two_phones_get_the_same_page_with_their_own_parts(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    facilitator.step(workshop, "next")
    first, second = (
        join(workshop, name="Ilse", organisation="GGD"),
        join(workshop, name=HOSTILE, organisation="Buurtteam"),
    )
    assert post_answer(first, "Wachtlijsten bij de jeugdzorg").status_code == 303
    pages = {}
    for phone in (first, second):
        response = phone.http.get(f"/j/{workshop.code}", headers={"Accept-Encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip"
        pages[id(phone)] = page = response.text
        assert csrf_of(page) == phone.http.cookies[CSRF_COOKIE]
        assert page.count(phone.http.cookies[CSRF_COOKIE]) == 2  # the meta tag and the answer form
    mine, theirs = pages[id(first)], pages[id(second)]
    assert own_parts_removed(mine, first) == own_parts_removed(theirs, second)
    # each part isolated, so a right-to-left name and a left-to-right organisation each keep their order
    assert (
        '<p class="me clamp-2" title="\u2068Ilse\u2069 · \u2068GGD\u2069"><bdi>Ilse</bdi> · <bdi>GGD</bdi></p>' in mine
    )
    assert "Wachtlijsten bij de jeugdzorg" in my_answers(mine) and "Nog niets verstuurd" not in my_answers(mine)
    assert "Wachtlijsten" not in theirs and "Nog niets verstuurd" in my_answers(theirs)
    # a name is text wherever it stands: never markup
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;Ali&#39;"
    assert (
        f'title="\u2068{escaped}\u2069 · \u2068Buurtteam\u2069"><bdi>{escaped}</bdi> · <bdi>Buurtteam</bdi></p>'
        in theirs
    )
    assert "<script>alert" not in theirs
    client_ids = re.findall(r'name="client_id" value="([0-9a-f-]{36})"', mine + theirs)
    assert len(set(client_ids)) == 2


def test_an_answer_shows_on_the_next_page_at_once(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    facilitator.step(workshop, "next")
    phone = join(workshop)
    assert "Nog niets verstuurd" in my_answers(phone.http.get(f"/j/{workshop.code}").text)
    sent = post_answer(phone, "Niemand weet wie de regie heeft")
    assert sent.status_code == 303
    again = phone.http.get(sent.headers["location"]).text
    assert "Niemand weet wie de regie heeft" in my_answers(again)
    assert "Ontvangen. Je kunt er nog een sturen." in again
    assert "Niemand weet wie de regie heeft" in my_answers(phone.http.get(f"/j/{workshop.code}").text)
    # an answer is text too
    assert post_answer(phone, "<img src=x onerror=alert(1)> & meer").status_code == 303
    listed = my_answers(phone.http.get(f"/j/{workshop.code}").text)
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; meer" in listed and "<img" not in listed


def test_the_next_step_shows_at_once(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    phone = join(workshop)
    assert 'id="answer-form"' not in phone.http.get(f"/j/{workshop.code}").text
    facilitator.step(workshop, "next")
    assert 'id="answer-form"' in phone.http.get(f"/j/{workshop.code}").text


def test_a_step_that_links_to_obstacles_lists_the_newest_at_once(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    facilitator.step(workshop, "next")
    first, second = join(workshop, name="Ilse"), join(workshop, name="Bram")
    assert post_answer(first, "Geen plek voor jongeren").status_code == 303
    facilitator.go(workshop, "contributions")
    assert "<option" in first.http.get(f"/j/{workshop.code}").text
    assert "Geen plek voor jongeren" in first.http.get(f"/j/{workshop.code}").text
    facilitator.go(workshop, "obstacles")
    assert post_answer(second, "Te weinig huizen voor starters").status_code == 303
    facilitator.go(workshop, "contributions")
    page = second.http.get(f"/j/{workshop.code}").text
    assert ">Te weinig huizen voor starters</option>" in page and ">Geen plek voor jongeren</option>" in page


def test_each_language_has_its_own_page(workshop: Workshop, join: Any) -> None:
    phone = join(workshop)
    dutch = phone.http.get(f"/j/{workshop.code}", headers={"Accept-Language": "nl"}).text
    english = phone.http.get(f"/j/{workshop.code}", headers={"Accept-Language": "en"}).text
    assert "Nog niets verstuurd" in my_answers(dutch)
    assert "Nog niets verstuurd" not in my_answers(english) and '<html lang="en">' in english


def test_a_kept_page_that_would_show_one_phones_part_to_the_next_is_caught(app: FastAPI, client: TestClient) -> None:
    def request() -> Request:
        scope = {"type": "http", "method": "GET", "path": "/j/X", "query_string": b"", "headers": [], "app": app}
        return Request({**scope, "state": {"csrf_token": "t" * 43}})

    template = "participant/_my_answers.html"
    mine = render_kept(
        request(), app.state.runtime, template, {"answers": [{"text": "Van mij"}]}, workshop_id=1, shown=(), fills={}
    )
    assert b"Van mij" in mine.body
    # the answers passed as context rather than as a fill: the next phone would see the first one's
    with pytest.raises(RuntimeError, match="fresh render"):
        render_kept(
            request(),
            app.state.runtime,
            template,
            {"answers": [{"text": "Van jou"}]},
            workshop_id=1,
            shown=(),
            fills={},
        )


def test_a_phone_gets_its_own_answers_as_the_board_shows_them_a_hidden_one_included(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone, other = join(workshop, name="Ilse", organisation="GGD"), join(workshop, name="Bas")
    facilitator.step(workshop, "next")
    sent = []
    for who, text in ((phone, "Wachtlijsten"), (other, "Niet van mij"), (phone, "Te weinig jongerenwerk")):
        with who.connect() as ws:
            ws.receive_json()
            ws.send_text(who.answer_frame(text))
            sent.append(ws.receive_json()["answer_id"])
    hidden = facilitator.http.post(
        f"/f/workshops/{workshop.id}/answers/{sent[2]}/hidden",
        data={"hidden": "true"},
        headers={"X-CSRF-Token": facilitator.csrf(), "Accept": "application/json"},
    )
    assert hidden.status_code == 200
    with facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board:
        on_board = {answer["id"]: answer for answer in board.receive_json()["answers"]}
    with phone.connect() as ws:
        mine = ws.receive_json()["answers"]
    # the same view, flags as true and false (not a driver's 1 and 0), the hidden answer still the phone's own
    assert mine == [on_board[sent[0]], on_board[sent[2]]]
    assert mine[0]["hidden"] is False and mine[1]["hidden"] is True
    assert mine[0]["author"] == "Ilse" and mine[0]["organisation"] == "GGD"
    page = my_answers(phone.http.get(f"/j/{workshop.code}").text)
    assert "Wachtlijsten" in page and "Te weinig jongerenwerk" in page and "Niet van mij" not in page


def test_a_snapshot_reads_the_workshop_and_the_phone_as_the_orm_loads_them(
    app: FastAPI, facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    join(workshop, name=HOSTILE, organisation="GGD")
    facilitator.step(workshop, "next")
    other = facilitator.create_workshop(title="Andere avond")
    join(other, name="Bas")

    def both(db: Any) -> list[tuple[Any, Any]]:
        stranger = db.execute(select(Participant).where(Participant.workshop_id == other.id)).scalar_one()
        mine = db.execute(select(Participant).where(Participant.workshop_id == workshop.id)).scalar_one()
        read, phone = workshops.workshop_and_participant(db, workshop_id=workshop.id, participant_id=mine.id)
        _, none = workshops.workshop_and_participant(db, workshop_id=workshop.id, participant_id=stranger.id)
        _, staff = workshops.workshop_and_participant(db, workshop_id=workshop.id, participant_id=None)
        assert none is None and staff is None  # a phone of another workshop is no phone of this one
        assert phone is not None
        loaded = db.get(StoredWorkshop, workshop.id)
        return [
            *((getattr(read, c.key), getattr(loaded, c.key)) for c in table_of(StoredWorkshop).c),
            *((getattr(phone, c.key), getattr(mine, c.key)) for c in table_of(Participant).c),
        ]

    pairs = app.state.runtime.db.read_sync(both)
    # the same values and the same types: a timestamp with its zone, steps as a list, flags as booleans
    assert [(type(a), a) for a, _ in pairs] == [(type(b), b) for _, b in pairs]
    assert any(isinstance(a, list) for a, _ in pairs) and any(isinstance(a, bool) for a, _ in pairs)
    assert HOSTILE in [a for a, _ in pairs]
