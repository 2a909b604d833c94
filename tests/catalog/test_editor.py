"""Adjusting a workshop's steps before the start, own formats, and format files going out and coming back in."""

import copy
import html
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from app.catalog.service import formats, load_format
from app.cli import main
from app.models import Workshop as WorkshopRow
from tests.conftest import Facilitator, Workshop, csrf_of, receive_until

CHOICE = {
    "id": "richting",
    "type": "choice",
    "title": {"nl": "Richting", "en": "Direction"},
    "prompt": {"nl": "Waar beginnen we?", "en": "Where do we start?"},
    "options": [{"nl": "Wonen", "en": "Housing"}, {"nl": "Werk", "en": ""}],
}


def doorbraak_steps() -> list[dict[str, Any]]:
    return copy.deepcopy(formats()["doorbraak"].step_dicts())


def stored_steps(facilitator: Facilitator, workshop: Workshop) -> list[dict[str, Any]]:
    runtime = facilitator.http.app.state.runtime  # type: ignore[attr-defined]
    return runtime.db.read_sync(lambda db: db.get(WorkshopRow, workshop.id).steps)  # type: ignore[no-any-return]


def save(facilitator: Facilitator, workshop: Workshop, steps: Any, *, csrf: bool = True) -> httpx.Response:
    headers = {"Accept": "application/json", **({"X-CSRF-Token": facilitator.csrf()} if csrf else {})}
    return facilitator.http.post(f"/f/workshops/{workshop.id}/steps", json={"steps": steps}, headers=headers)


def save_as(facilitator: Facilitator, workshop: Workshop, **body: Any) -> httpx.Response:
    headers = {"Accept": "application/json", "X-CSRF-Token": facilitator.csrf()}
    return facilitator.http.post(f"/f/workshops/{workshop.id}/steps/format", json=body, headers=headers)


def upload(facilitator: Facilitator, name: str, content: bytes, **fields: str) -> httpx.Response:
    return facilitator.http.post(
        "/f/formats/upload",
        data={"csrf": facilitator.csrf(), **fields},
        files={"file": (name, content, "application/yaml")},
        follow_redirects=False,
    )


def test_editing_reorders_adds_removes_and_rewords_and_reaches_the_room(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    page = facilitator.http.get(f"/f/workshops/{workshop.id}")
    assert f'href="/f/workshops/{workshop.id}/steps"' in page.text  # the board links to the editor before the start
    editor = facilitator.http.get(f"/f/workshops/{workshop.id}/steps")
    assert editor.status_code == 200 and 'name="obstacles.title.nl" value="Obstakels"' in editor.text
    steps = doorbraak_steps()
    by_id = {step["id"]: step for step in steps}
    by_id["obstacles"]["title"] = {"nl": "Wat zit in de weg?", "en": "What is in the way?"}
    by_id["obstacles"]["help"] = {"nl": "Kort graag.", "en": ""}
    order = ["lobby", "obstacles", "vote", "contributions", "actions", "close"]  # cluster removed
    steps = [by_id[i] for i in order]
    steps[3:3] = [CHOICE]  # a choice before the contributions, then the actions moved above it
    steps[4], steps[5] = steps[5], steps[4]
    phone = join(workshop)
    with (
        facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board,
        phone.connect() as phone_ws,
    ):
        assert board.receive_json()["type"] == "snapshot"
        assert phone_ws.receive_json()["type"] == "snapshot"
        response = save(facilitator, workshop, steps)
        assert response.status_code == 200, response.text
        ids = ["lobby", "obstacles", "vote", "richting", "actions", "contributions", "close"]
        for ws in (board, phone_ws):
            frame = receive_until(ws, lambda f: f.get("kind") == "workshop.changed")
            assert [step["id"] for step in frame["data"]["steps"]] == ids
    stored = stored_steps(facilitator, workshop)
    assert [step["id"] for step in stored] == ids
    assert stored[1]["title"] == {"nl": "Wat zit in de weg?", "en": "What is in the way?"}
    assert stored[1]["help"] == {"nl": "Kort graag."}  # an empty English text is left out, not stored empty
    assert stored[3]["options"] == [{"nl": "Wonen", "en": "Housing"}, {"nl": "Werk"}]
    assert stored[3]["multiple"] is False  # the type's defaults are written out, as at creation
    with phone.connect() as phone_ws:
        assert [step["id"] for step in phone_ws.receive_json()["workshop"]["steps"]] == ids
    assert "Wat zit in de weg?" in facilitator.http.get(f"/f/workshops/{workshop.id}").text


@pytest.mark.parametrize(
    ("change", "step", "field", "words"),
    [
        (
            lambda s: s[4].update(options=[{"nl": "Alleen"}]),
            4,
            "options",
            "Stap 5 (Richting), opties: geef er minstens 2",
        ),
        (lambda s: s[1].update(title={"nl": " ", "en": "Obstacles"}), 1, "title", "titel: vul de Nederlandse tekst in"),
        (lambda s: s.pop(1), 1, "source", "Stap 2 (Ordenen), antwoorden uit: kies een open vraag die eerder"),
        (lambda s: s[4].update(prompt=None), 4, "prompt", "vraag: deze stap stelt een vraag"),
        (lambda s: s[1].update(max_length=5), 1, "max_length", "maximale lengte: kies minstens 10"),
        (lambda s: s.insert(1, dict(s[1])), 2, "id", "code: deze code heeft een andere stap al"),
        (lambda s: s.append(s.pop(0)), 0, None, "Stap 1 (Obstakels): de eerste stap moet het welkom zijn"),
        (lambda s: s[1].update(title={"nl": "x" * 121}), 1, "title", "hoogstens 120 tekens (nu 121)"),
    ],
)
def test_an_invalid_step_list_is_refused_naming_the_step_and_field(
    facilitator: Facilitator, workshop: Workshop, change: Any, step: int, field: str | None, words: str
) -> None:
    steps = doorbraak_steps()
    steps.insert(4, copy.deepcopy(CHOICE))
    change(steps)
    response = save(facilitator, workshop, steps)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_steps"
    first = body["errors"][0]
    assert (first["step"], first["field"]) == (step, field), body
    assert words in first["message"] and first["message"] == body["detail"]
    assert [s["id"] for s in stored_steps(facilitator, workshop)] == [s.id for s in formats()["doorbraak"].steps]


def test_a_plain_form_post_edits_and_saves_without_the_script(facilitator: Facilitator, workshop: Workshop) -> None:
    steps = doorbraak_steps()
    fields: list[tuple[str, str]] = [("csrf", facilitator.csrf())]
    for step in steps:
        fields.append(("step", step["id"]))
        fields.append((f"{step['id']}.type", step["type"]))
        for name in ("title", "prompt", "help"):
            for lang in ("nl", "en"):
                fields.append((f"{step['id']}.{name}.{lang}", (step.get(name) or {}).get(lang, "")))
        for name in ("source", "links_to", "max_length", "timer"):
            if step.get(name):
                fields.append((f"{step['id']}.{name}", str(step[name])))
        if step.get("multiple"):
            fields.append((f"{step['id']}.multiple", "true"))
    url = f"/f/workshops/{workshop.id}/steps"

    def post(form: list[tuple[str, str]], **options: Any) -> httpx.Response:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return facilitator.http.post(url, content=urlencode(form), headers=headers, **options)

    moved = post([*fields, ("change", "down:contributions")])
    assert moved.status_code == 200 and "Nog niet bewaard" in moved.text
    assert moved.text.index('name="step" value="actions"') < moved.text.index('name="step" value="contributions"')
    added = post([*fields, ("change", "add"), ("add_type", "grade")])
    assert 'name="grade.title.nl" value="Rapportcijfer"' in added.text
    assert [s["id"] for s in stored_steps(facilitator, workshop)][4] == "contributions"  # nothing stored yet
    renamed = [(k, "Welkom allemaal" if k == "lobby.title.nl" else v) for k, v in fields]
    saved = post([*renamed, ("change", "save")], follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("/steps?bewaard=1")
    stored = stored_steps(facilitator, workshop)
    assert stored[0]["title"] == {"nl": "Welkom allemaal", "en": "Welcome"}
    # the countdown's default is kept through the form, as every other setting is
    assert 'name="obstacles.timer" value="180"' in moved.text
    assert next(s for s in stored if s["id"] == "obstacles")["timer"] == 180
    broken = [(k, "" if k == "vote.source" else v) for k, v in fields]
    refused = post([*broken, ("change", "save")])
    assert refused.status_code == 422
    assert "Kies de open vraag waarvan de antwoorden hier gebruikt worden" in refused.text  # next to the field


def test_editing_stops_once_the_session_has_started(facilitator: Facilitator, workshop: Workshop) -> None:
    facilitator.step(workshop, "next")
    response = save(facilitator, workshop, doorbraak_steps())
    assert response.status_code == 409 and "De workshop is al begonnen" in response.json()["detail"]
    page = facilitator.http.get(f"/f/workshops/{workshop.id}/steps")
    assert page.status_code == 409 and "De workshop is al begonnen" in page.text
    assert f'href="/f/workshops/{workshop.id}"' in page.text and "steps_editor.js" not in page.text
    assert f'href="/f/workshops/{workshop.id}/steps"' not in facilitator.http.get(f"/f/workshops/{workshop.id}").text


def test_steps_with_answers_cannot_be_removed_even_back_in_the_lobby(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop)
    facilitator.go(workshop, "obstacles")
    with phone.connect() as ws:
        ws.receive_json()
        ws.send_text(phone.answer_frame("Geen tijd", client_id=str(uuid.uuid4())))
        receive_until(ws, lambda f: f["type"] == "ack")
    facilitator.step(workshop, 0)
    steps = [s for s in doorbraak_steps() if s["id"] not in ("obstacles", "cluster", "vote")]
    steps = [{k: v for k, v in s.items() if k != "links_to"} for s in steps]
    response = save(facilitator, workshop, steps)
    assert response.status_code == 409
    assert "heeft al antwoorden" in response.json()["detail"]
    assert len(stored_steps(facilitator, workshop)) == len(doorbraak_steps())
    reworded = doorbraak_steps()
    reworded[1]["title"]["nl"] = "Wat zit in de weg?"
    assert save(facilitator, workshop, reworded).status_code == 200  # rewording a step with answers is fine


def test_no_csrf_token_no_change(facilitator: Facilitator, workshop: Workshop) -> None:
    assert save(facilitator, workshop, doorbraak_steps(), csrf=False).status_code == 403
    response = facilitator.http.post("/f/formats/eigen/x/delete", headers={"Accept": "application/json"})
    assert response.status_code == 403


def test_another_facilitator_cannot_see_or_change_the_steps(
    facilitator: Facilitator, other_facilitator: Facilitator, workshop: Workshop
) -> None:
    assert other_facilitator.http.get(f"/f/workshops/{workshop.id}/steps").status_code == 404
    assert save(other_facilitator, workshop, doorbraak_steps()[:2]).status_code == 404
    assert save_as(other_facilitator, workshop, key="buit", name="Buit", steps=doorbraak_steps()).status_code == 404
    assert other_facilitator.http.get(f"/f/workshops/{workshop.id}/steps.yaml").status_code == 404
    assert len(stored_steps(facilitator, workshop)) == len(doorbraak_steps())


def test_own_formats_are_saved_listed_used_and_private(
    facilitator: Facilitator, other_facilitator: Facilitator, workshop: Workshop
) -> None:
    steps = doorbraak_steps()
    steps.insert(4, copy.deepcopy(CHOICE))
    response = save_as(facilitator, workshop, key="buurt-doorbraak", name="Buurtdoorbraak", steps=steps)
    assert response.status_code == 200, response.text
    assert response.json()["key"] == "buurt-doorbraak"
    again = save_as(facilitator, workshop, key="buurt-doorbraak", name="Nieuw", steps=steps)
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "key" and "Overschrijven" in again.json()["detail"]
    steps[4]["title"] = {"nl": "Waar beginnen we?"}
    replaced = save_as(facilitator, workshop, key="buurt-doorbraak", name="Buurtdoorbraak", steps=steps, overwrite=True)
    assert replaced.status_code == 200
    bad_key = save_as(facilitator, workshop, key="Buurt Doorbraak!", name="", steps=steps)
    assert bad_key.status_code == 422
    assert {e["field"] for e in bad_key.json()["errors"]} == {"key", "name"}

    listing = facilitator.http.get("/f/workshops").text
    assert 'value="eigen:buurt-doorbraak"' in listing and "Buurtdoorbraak (eigen)" in listing
    formats_page = facilitator.http.get("/f/formats").text
    assert "Buurtdoorbraak" in formats_page and "Doorbraakworkshop" in formats_page
    data = {"csrf": facilitator.csrf(), "title": "Tweede ronde", "opgave": "Verder", "held_on": "2026-12-01"}
    created = facilitator.http.post(
        "/f/workshops", data={**data, "format_key": "eigen:buurt-doorbraak"}, follow_redirects=False
    )
    assert created.status_code == 303
    board = facilitator.http.get(created.headers["location"]).text
    assert "Waar beginnen we?" in board

    assert "buurt-doorbraak" not in other_facilitator.http.get("/f/workshops").text
    assert "Buurtdoorbraak" not in other_facilitator.http.get("/f/formats").text
    assert other_facilitator.http.get("/f/formats/eigen/buurt-doorbraak.yaml").status_code == 404
    theirs = other_facilitator.http.post(
        "/f/workshops",
        data={**data, "csrf": other_facilitator.csrf(), "format_key": "eigen:buurt-doorbraak"},
    )
    assert theirs.status_code == 422 and "Kies een bestaande werkvorm" in theirs.text
    gone = other_facilitator.http.post(
        "/f/formats/eigen/buurt-doorbraak/delete", data={"csrf": other_facilitator.csrf()}
    )
    assert gone.status_code == 404

    deleted = facilitator.http.post(
        "/f/formats/eigen/buurt-doorbraak/delete", data={"csrf": facilitator.csrf()}, follow_redirects=False
    )
    assert deleted.status_code == 303
    assert 'value="eigen:buurt-doorbraak"' not in facilitator.http.get("/f/workshops").text
    assert "Waar beginnen we?" in facilitator.http.get(created.headers["location"]).text  # the workshop keeps its steps


def test_download_then_upload_round_trip(
    facilitator: Facilitator, workshop: Workshop, tmp_path: Path, capsys: Any
) -> None:
    shipped = facilitator.http.get("/f/formats/doorbraak.yaml")
    assert shipped.status_code == 200
    assert shipped.headers["content-disposition"] == 'attachment; filename="doorbraak.yaml"'
    assert shipped.text == (Path("session_templates") / "doorbraak.yaml").read_text(encoding="utf-8")
    steps = doorbraak_steps()
    steps.insert(4, copy.deepcopy(CHOICE))
    assert save(facilitator, workshop, steps).status_code == 200
    mine = facilitator.http.get(f"/f/workshops/{workshop.id}/steps.yaml")
    assert mine.headers["content-disposition"] == 'attachment; filename="jeugdoverlast-noord.yaml"'
    path = tmp_path / "jeugdoverlast-noord.yaml"
    path.write_bytes(mine.content)
    spec = load_format(path)
    assert spec.name.nl == "Jeugdoverlast Noord" and spec.step_dicts() == stored_steps(facilitator, workshop)
    main(["templates", "check", str(path)])
    assert "ok   jeugdoverlast-noord.yaml" in capsys.readouterr().out

    uploaded = upload(facilitator, "jeugdoverlast-noord.yaml", mine.content)
    assert uploaded.status_code == 303 and uploaded.headers["location"] == "/f/formats?bewaard=jeugdoverlast-noord"
    assert "Eigen werkvorm jeugdoverlast-noord is bewaard" in facilitator.http.get(uploaded.headers["location"]).text
    back = facilitator.http.get("/f/formats/eigen/jeugdoverlast-noord.yaml")
    assert back.headers["content-disposition"] == 'attachment; filename="jeugdoverlast-noord.yaml"'
    path.write_bytes(back.content)
    assert load_format(path) == spec
    # the shipped file uploads as an own format under the same key, apart from the shipped one
    assert upload(facilitator, "doorbraak.yaml", shipped.content).status_code == 303
    assert 'value="eigen:doorbraak"' in facilitator.http.get("/f/workshops").text
    again = upload(facilitator, "doorbraak.yaml", shipped.content)
    assert again.status_code == 409 and "al een eigen werkvorm met de sleutel doorbraak" in again.text
    assert upload(facilitator, "doorbraak.yaml", shipped.content, overwrite="true").status_code == 303


GOOD_FILE = (Path("session_templates") / "bewonersgesprek.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "content", "status", "words"),
    [
        ("kapot.yaml", b"key: kapot\nsteps: [\n", 422, "kapot.yaml: invalid YAML: line 3, column 1"),
        (
            "bewonersgesprek.yaml",
            GOOD_FILE.replace("type: choice", "type: loterij").encode(),
            422,
            "bewonersgesprek.yaml: steps.3.type: Input should be",
        ),
        ("groot.yaml", b"# " + b"x" * (100 * 1024), 413, "hoogstens 64 KB"),
        ("latin.yaml", "key: caf\xe9\n".encode("latin-1"), 422, "geen UTF-8-tekst"),
        ("notities.txt", b"key: x\n", 422, "Kies een .yaml-bestand"),
        ("anders.yaml", GOOD_FILE.encode(), 422, "anders.yaml: key: 'bewonersgesprek' does not match the file name"),
        # PyYAML nests by recursion: 20 KB of brackets once reached Python's limit, and a 500
        ("diep.yaml", b"key: " + b"[" * 20_000 + b"]" * 20_000, 422, "diep.yaml: invalid YAML: nested too deeply"),
    ],
)
def test_upload_errors_say_what_is_wrong(
    facilitator: Facilitator, name: str, content: bytes, status: int, words: str
) -> None:
    response = upload(facilitator, name, content)
    assert response.status_code == status, response.text
    assert words in html.unescape(response.text)
    assert "eigen:" not in facilitator.http.get("/f/workshops").text


def test_an_uploaded_files_texts_are_cleaned_as_typed_ones(facilitator: Facilitator) -> None:
    # a NUL (\0 in YAML), a right-to-left override that turns the name around on every screen, a zero-width space
    content = GOOD_FILE.replace("nl: Bewonersgesprek", 'nl: "Bewoners\\0\u202egesprek"').replace(
        "{nl: Welkom,", '{nl: "Wel\u200bkom",'
    )
    response = upload(facilitator, "bewonersgesprek.yaml", content.encode())
    assert response.status_code == 303, response.text
    back = facilitator.http.get("/f/formats/eigen/bewonersgesprek.yaml").text
    assert "nl: Bewonersgesprek\n" in back and "nl: Welkom\n" in back
    assert "\u202e" not in back and "\u200b" not in back and "\\0" not in back


def test_upload_without_a_file_or_token(facilitator: Facilitator) -> None:
    response = facilitator.http.post("/f/formats/upload", data={"csrf": facilitator.csrf()})
    assert response.status_code == 422 and "Kies eerst een bestand" in response.text
    page = facilitator.http.get("/f/formats").text
    refused = facilitator.http.post(
        "/f/formats/upload", files={"file": ("x.yaml", GOOD_FILE.encode(), "application/yaml")}
    )
    assert refused.status_code == 403 and csrf_of(page)


def test_a_member_who_uploads_file_after_file_waits_and_others_do_not(
    facilitator: Facilitator, other_facilitator: Facilitator
) -> None:
    # a file nested as deep as the reader allows costs 0.6 s of CPU before it is refused: one account looping
    # over it must not take the server's cores
    deep = b"key: " + b"[" * 20_000 + b"]" * 20_000
    for n in range(10):
        assert upload(facilitator, "diep.yaml", deep).status_code == 422, n
    refused = upload(facilitator, "bewonersgesprek.yaml", GOOD_FILE.encode())
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert "Je uploadt te veel bestanden achter elkaar" in html.unescape(refused.text)
    assert "eigen:bewonersgesprek" not in facilitator.http.get("/f/workshops").text
    assert upload(other_facilitator, "bewonersgesprek.yaml", GOOD_FILE.encode()).status_code == 303


@pytest.mark.parametrize(
    ("route", "content_type", "body"),
    [
        ("steps", "text/plain", '{"steps": []}'),
        ("steps", "", '{"steps": []}'),
        ("steps/format", "text/plain", '{"key": "leeg", "name": "Leeg", "steps": []}'),
    ],
    ids=["steps as plain text", "steps without a type", "a format as plain text"],
)
def test_a_body_neither_form_nor_json_is_refused_not_read_as_an_empty_form(
    facilitator: Facilitator, workshop: Workshop, route: str, content_type: str, body: str
) -> None:
    before = stored_steps(facilitator, workshop)
    headers = {"X-CSRF-Token": facilitator.csrf(), "Content-Type": content_type, "Accept": "application/json"}
    response = facilitator.http.post(f"/f/workshops/{workshop.id}/{route}", content=body, headers=headers)
    assert response.status_code == 415, response.text
    assert "alleen een formulier of JSON" in response.json()["detail"]
    english = facilitator.http.post(
        f"/f/workshops/{workshop.id}/{route}", content=body, headers={**headers, "Accept-Language": "en"}
    )
    assert english.status_code == 415 and "Only a form or JSON" in english.json()["detail"]
    assert stored_steps(facilitator, workshop) == before
    assert "leeg" not in facilitator.http.get("/f/formats").text
    # JSON named in capitals is JSON all the same
    headers["Content-Type"] = "Application/JSON"
    assert facilitator.http.post(f"/f/workshops/{workshop.id}/steps", content=body, headers=headers).status_code != 415


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/plain", "key: eigen"), ("application/json", '{"file": "key: eigen"}')],
    ids=["plain text", "json"],
)
def test_an_upload_that_is_no_form_is_refused_not_read_as_no_file(
    facilitator: Facilitator, content_type: str, body: str
) -> None:
    headers = {"X-CSRF-Token": facilitator.csrf(), "Content-Type": content_type}
    response = facilitator.http.post("/f/formats/upload", content=body, headers=headers)
    assert response.status_code == 415, response.text
    assert "Hier kan alleen een formulier heen" in response.text and "Er is niets opgeslagen" in response.text
    english = facilitator.http.post("/f/formats/upload", content=body, headers={**headers, "Accept-Language": "en"})
    assert english.status_code == 415 and "Nothing was saved" in english.text
