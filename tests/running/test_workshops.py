"""Workshops: creating, listing, the projector link, joining, and moving through steps."""

import re
from datetime import UTC, datetime
from typing import Any

from app.assets import static
from app.security import JOIN_ALPHABET
from tests.conftest import Facilitator, Workshop, csrf_of


def test_create_workshop_from_the_doorbraak_format(facilitator: Facilitator) -> None:
    workshop = facilitator.create_workshop(title="Veilig naar school", opgave="Minder onveilige oversteekplekken")
    assert set(workshop.code) <= set(JOIN_ALPHABET) and len(workshop.code) == 6
    assert len(workshop.projector_token) >= 32
    listing = facilitator.http.get("/f/workshops").text
    assert "Veilig naar school" in listing and workshop.code in listing
    board = facilitator.http.get(f"/f/workshops/{workshop.id}").text
    for title in ("Welkom", "Obstakels", "Bijdragen", "Afronding"):
        assert title in board


def test_create_workshop_reports_every_missing_field(facilitator: Facilitator) -> None:
    response = facilitator.http.post(
        "/f/workshops",
        data={
            "csrf": facilitator.csrf(),
            "title": " ",
            "opgave": "",
            "held_on": "31-02-2026",
            "format_key": "bestaatniet",
        },
    )
    assert response.status_code == 422
    for message in (
        "Geef de workshop een titel",
        "Beschrijf de opgave",
        "Kies een geldige datum",
        "Kies een bestaande werkvorm",
    ):
        assert message in response.text


def test_the_boards_action_status_reads_as_everywhere_else_in_both_languages(
    facilitator: Facilitator, workshop: Workshop
) -> None:
    board = facilitator.http.get(f"/f/workshops/{workshop.id}").text
    assert '<option value="bezig">Bezig</option>' in board and '<option value="open">Open</option>' in board
    english = facilitator.http.get(f"/f/workshops/{workshop.id}", headers={"Accept-Language": "en"}).text
    assert '<option value="bezig">In progress</option>' in english
    assert '<option value="vastgelopen">Stuck</option>' in english


def test_facilitators_only_see_their_own_workshops(
    facilitator: Facilitator, other_facilitator: Facilitator, workshop: Workshop
) -> None:
    assert workshop.code not in other_facilitator.http.get("/f/workshops").text
    assert other_facilitator.http.get(f"/f/workshops/{workshop.id}").status_code == 404
    response = other_facilitator.step(workshop, "next")
    assert response.status_code == 404
    assert facilitator.step(workshop, "next").json()["step_index"] == 1  # untouched by the attempt


def test_projector_opens_without_sign_in_and_shows_the_way_in(workshop: Workshop, browser: Any) -> None:
    page = browser().get(f"/p/{workshop.projector_token}")
    assert page.status_code == 200
    assert "<svg" in page.text and 'class="qr"' in page.text
    assert f"{workshop.code[:3]} {workshop.code[3:]}" in page.text
    assert "Samen minder overlast" in page.text
    assert browser().get("/p/raden-gaat-niet").status_code == 404


def test_user_text_is_escaped_on_every_page(facilitator: Facilitator, join: Any) -> None:
    workshop = facilitator.create_workshop(title="<script>alert(1)</script>", opgave="<img src=x onerror=alert(2)>")
    join(workshop, name="<b>Bo</b>", organisation="<i>Org</i>")
    for url in (f"/f/workshops/{workshop.id}", f"/p/{workshop.projector_token}", "/f/workshops"):
        text = facilitator.http.get(url).text
        assert "<script>alert(1)" not in text and "<img src=x" not in text
        assert "&lt;script&gt;" in text


def test_pages_carry_a_strict_content_security_policy(client: Any) -> None:
    headers = client.get("/").headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_pages_are_kept_by_no_cache_and_static_files_are(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop)
    pages = [
        facilitator.http.get(u)
        for u in ("/f/workshops", f"/f/workshops/{workshop.id}", f"/p/{workshop.projector_token}")
    ]
    pages += [phone.http.get(f"/j/{workshop.code}"), facilitator.http.get("/nergens-te-vinden")]
    for page in pages:
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store", page.url
    # a static file keeps its own
    style = facilitator.http.get(static.url("css/app.css"))
    assert "no-store" not in style.headers["cache-control"]


def test_no_page_has_an_inline_script(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    phone = join(workshop)
    pages = [
        facilitator.http.get(u).text
        for u in ("/", "/f/workshops", f"/f/workshops/{workshop.id}", f"/p/{workshop.projector_token}")
    ]
    pages.append(phone.http.get(f"/j/{workshop.code}").text)
    for page in pages:
        for tag in re.findall(r"<script[^>]*>", page):
            assert 'src="/static/' in tag or 'type="application/json"' in tag


def test_steps_move_by_index_next_and_prev_within_bounds(facilitator: Facilitator, workshop: Workshop) -> None:
    assert facilitator.step(workshop, "prev").status_code == 422
    assert facilitator.step(workshop, "next").json() == {"step_index": 1, "closed": False}
    assert facilitator.step(workshop, 6).json() == {"step_index": 6, "closed": True}
    assert facilitator.step(workshop, "next").status_code == 422
    assert facilitator.step(workshop, "prev").json() == {"step_index": 5, "closed": False}
    assert facilitator.step(workshop, "zeven").status_code == 422


def test_step_form_without_script_redirects_back_to_the_board(facilitator: Facilitator, workshop: Workshop) -> None:
    response = facilitator.http.post(
        f"/f/workshops/{workshop.id}/step", data={"csrf": facilitator.csrf(), "to": "next"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == f"/f/workshops/{workshop.id}"


def test_join_by_typed_code_in_any_case_and_spacing(workshop: Workshop, browser: Any) -> None:
    phone = browser()
    page = phone.get("/")
    typed = f" {workshop.code[:3].lower()} {workshop.code[3:]} "
    response = phone.post("/join", data={"csrf": csrf_of(page.text), "code": typed}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/j/{workshop.code}"


def test_unknown_code_gets_a_clear_message_and_guessing_is_limited(frozen_clock: None, client: Any) -> None:
    token = csrf_of(client.get("/").text)
    statuses = []
    for n in range(22):
        response = client.post("/join", data={"csrf": token, "code": f"ZZZZ{n:02d}"})
        statuses.append(response.status_code)
        if n == 0:
            assert "Deze code kennen we niet" in response.text
    assert statuses[:20] == [404] * 20
    assert statuses[20:] == [429, 429]
    assert client.get("/j/ZZZZZZ").status_code == 429  # the same limit covers guessing by URL


def test_joining_remembers_the_phone(workshop: Workshop, join: Any) -> None:
    phone = join(workshop, name="Ali", organisation="Wijkteam")
    cookie = next(c for c in phone.http.cookies.jar if c.name == f"dbk_p_{workshop.code}")
    assert cookie.has_nonstandard_attr("HttpOnly")
    again = phone.http.get(f"/j/{workshop.code}")
    assert "<bdi>Ali</bdi> · <bdi>Wijkteam</bdi>" in again.text and 'id="join-form"' not in again.text


def test_join_form_requires_name_and_organisation(workshop: Workshop, browser: Any) -> None:
    phone = browser()
    token = csrf_of(phone.get(f"/j/{workshop.code}").text)
    response = phone.post(f"/j/{workshop.code}/participant", data={"csrf": token, "name": "Ali", "organisation": " "})
    assert response.status_code == 422 and "Vul je organisatie in" in response.text
    response = phone.post(f"/j/{workshop.code}/participant", data={"csrf": token, "anonymous": "true"})
    assert response.status_code == 422 and "met je naam" in response.text


def test_anonymous_join_where_allowed(facilitator: Facilitator, browser: Any) -> None:
    workshop = facilitator.create_workshop(allow_anonymous=True)
    phone = browser()
    page = phone.get(f"/j/{workshop.code}")
    assert "Anoniem meedoen" in page.text
    response = phone.post(
        f"/j/{workshop.code}/participant",
        data={"csrf": csrf_of(page.text), "anonymous": "true"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    with facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board:
        assert board.receive_json()["room"] == {"count": 1, "organisations": {"Anoniem": 1}}


def test_closed_workshop_refuses_new_phones_but_keeps_joined_ones(
    facilitator: Facilitator, workshop: Workshop, join: Any, browser: Any
) -> None:
    phone = join(workshop)
    facilitator.go(workshop, "close")
    late = browser()
    page = late.get(f"/j/{workshop.code}")
    assert page.status_code == 410 and "afgelopen" in page.text
    token = csrf_of(late.get("/").text)
    assert late.post("/join", data={"csrf": token, "code": workshop.code}).status_code == 410
    assert "Dank je wel" in phone.http.get(f"/j/{workshop.code}").text


def test_room_count_and_organisations_reach_the_projector(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        assert projector.receive_json()["room"] == {"count": 0, "organisations": {}}
        join(workshop, organisation="GGD")
        join(workshop, organisation="Politie")
        first, second = projector.receive_json(), projector.receive_json()
    assert (first["kind"], first["data"]["count"], first["data"]["organisation"]) == ("participant.joined", 1, "GGD")
    assert (second["data"]["count"], second["data"]["organisation"]) == (2, "Politie")


def test_health_check(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"


def test_unknown_pages_get_a_finished_error_page(client: Any) -> None:
    response = client.get("/bestaat/niet")
    assert response.status_code == 404
    assert "Deze pagina bestaat niet" in response.text and "Naar de startpagina" in response.text


def test_a_new_workshop_is_dated_today_in_the_netherlands(facilitator: Facilitator, monkeypatch: Any) -> None:
    from app import models

    # half past eleven in UTC is half past twelve in Amsterdam, the next day (the one clock local_today reads)
    monkeypatch.setattr(models, "utcnow", lambda: datetime(2027, 3, 27, 23, 30, tzinfo=UTC))
    page = facilitator.http.get("/f/workshops")
    assert 'name="held_on" value="2027-03-28"' in page.text


def test_an_empty_list_points_to_the_form_on_any_width(facilitator: Facilitator) -> None:
    # the form stands beside the list on a laptop and below it on a phone: the hint names no side, it links the form
    for language, words in (("nl", "Maak je eerste workshop"), ("en", "Create your first workshop")):
        page = facilitator.http.get("/f/workshops", headers={"accept-language": language}).text
        assert f'<a href="#nieuwe-workshop">{words}</a>' in page and 'id="nieuwe-workshop"' in page
        assert not re.search(r"hiernaast|beside|next to|with the form", page, re.IGNORECASE)
