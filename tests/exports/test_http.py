"""Downloads, the besluitenlijst page and the JSON API: only for the workshop's own facilitator."""

import csv
import io
import re
from collections.abc import Callable
from functools import partial

import icalendar
import openpyxl
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from app.assets import static
from tests.conftest import Facilitator, Workshop
from tests.exports.conftest import INJECTION, TITLE, Filled, fill_workshop

FILENAME_BASE = "jeugdoverlast-noord-ee-en-ijsselmeer-2026-11-22"
DOWNLOADS = {
    "besluitenlijst.pdf": ("application/pdf", f"besluitenlijst-{FILENAME_BASE}.pdf"),
    "besluitenlijst.xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"besluitenlijst-{FILENAME_BASE}.xlsx",
    ),
    "actions.csv": ("text/csv; charset=utf-8", f"acties-{FILENAME_BASE}.csv"),
    "answers.csv": ("text/csv; charset=utf-8", f"antwoorden-{FILENAME_BASE}.csv"),
    "agenda.ics": ("text/calendar; charset=utf-8", f"agenda-{FILENAME_BASE}.ics"),
    "besluitenlijst.md": ("text/markdown; charset=utf-8", f"besluitenlijst-{FILENAME_BASE}.md"),
}


@pytest.fixture
def filled_workshop(facilitator: Facilitator, workshop: Workshop) -> Filled:
    """The facilitator's running workshop, filled with the awkward data."""
    runtime = facilitator.http.app.state.runtime  # type: ignore[attr-defined]
    return runtime.db.write_sync(partial(fill_workshop, workshop_id=workshop.id))  # type: ignore[no-any-return]


@pytest.fixture
def signed_out(browser: Callable[[], TestClient]) -> TestClient:
    """A browser nobody signed in with."""
    return browser()


@pytest.mark.parametrize("name", list(DOWNLOADS))
def test_the_facilitator_downloads_every_format_while_the_session_runs(
    facilitator: Facilitator, filled_workshop: Filled, name: str
) -> None:
    media_type, filename = DOWNLOADS[name]
    response = facilitator.http.get(f"/f/workshops/{filled_workshop.workshop_id}/export/{name}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
    assert "no-store" in response.headers["cache-control"]
    body = response.content
    if name.endswith(".pdf"):
        assert TITLE in " ".join(PdfReader(io.BytesIO(body)).pages[0].extract_text().split())
    elif name.endswith(".xlsx"):
        sheet = openpyxl.load_workbook(io.BytesIO(body))["Acties"]
        assert (sheet["B3"].value, sheet["B3"].data_type, sheet["B3"].quotePrefix) == (INJECTION, "s", True)
    elif name.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
        assert body.startswith(b"\xef\xbb\xbf") and len(rows) == (4 if name == "actions.csv" else 10)
    elif name.endswith(".ics"):
        assert len(icalendar.Calendar.from_ical(body).walk("VEVENT")) == 3
    else:
        assert body.decode().startswith(f"# Besluitenlijst: {TITLE}")


def test_an_unknown_file_is_not_found(facilitator: Facilitator, filled_workshop: Filled) -> None:
    response = facilitator.http.get(f"/f/workshops/{filled_workshop.workshop_id}/export/besluitenlijst.docx")
    assert response.status_code == 404 and "Dit bestand bestaat niet" in response.text


def test_another_facilitator_gets_not_found_everywhere(other_facilitator: Facilitator, filled_workshop: Filled) -> None:
    base = f"/f/workshops/{filled_workshop.workshop_id}"
    for path in (f"{base}/besluitenlijst", f"{base}/export/actions.csv", f"{base}/export/besluitenlijst.pdf"):
        response = other_facilitator.http.get(path)
        assert response.status_code == 404, path
        assert INJECTION not in response.text
    for what in ("actions", "answers", "decisions"):
        response = other_facilitator.http.get(f"/api/workshops/{filled_workshop.workshop_id}/{what}")
        assert response.status_code == 404
        assert response.json()["code"] == "workshop_not_found"


def test_signed_out_browsers_sign_in_first_and_scripts_get_401(signed_out: TestClient, filled_workshop: Filled) -> None:
    base = f"/f/workshops/{filled_workshop.workshop_id}"
    for path in (f"{base}/besluitenlijst", f"{base}/export/actions.csv"):
        response = signed_out.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/f/login?next={path}"
    for what in ("actions", "answers", "decisions"):
        response = signed_out.get(f"/api/workshops/{filled_workshop.workshop_id}/{what}")
        assert response.status_code == 401
        assert response.json()["code"] == "login_required"


def test_the_api_returns_actions_answers_and_the_decision_list(
    facilitator: Facilitator, filled_workshop: Filled
) -> None:
    base = f"/api/workshops/{filled_workshop.workshop_id}"
    actions = facilitator.http.get(f"{base}/actions").json()
    assert [a["id"] for a in actions] == list(filled_workshop.action_ids)
    assert actions[0]["due_on"] == "2026-12-15" and actions[0]["status"] == "bezig"
    assert actions[0]["volunteers"][1] == {"name": "", "organisation": "Anoniem"}
    assert actions[1]["title"] == INJECTION  # JSON is data, not a spreadsheet: nothing to neutralise

    answers = facilitator.http.get(f"{base}/answers").json()
    assert len(answers) == 9 and all(a["text"] != "Geheim obstakel" for a in answers)
    assert answers[0]["step_title"] == "Obstakels" and answers[0]["created_at"]

    decisions = facilitator.http.get(f"{base}/decisions").json()
    assert decisions["workshop"]["title"] == TITLE and decisions["workshop"]["closed"] is False
    assert decisions["workshop"]["followup_at"].startswith("2026-12-06T13:00:00")
    assert [o["votes"] for o in decisions["obstacles"]] == [5, 5, 2, 2, 0]
    assert decisions["clusters"][0] == {
        "id": decisions["clusters"][0]["id"],
        "name": "Zorg & wachtlijsten",
        "tension": "financiering",
        "theme": "gezondheid",
        "focus": True,
        "votes": 5,
    }
    assert decisions["contributions"][0]["organisation"] == "Gemeente IJsselstein"
    assert len(decisions["actions"]) == 3


def test_the_api_is_documented_with_response_models(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for what, model in (("actions", "ActionPublic"), ("answers", "AnswerPublic"), ("decisions", "DecisionListPublic")):
        operation = schema["paths"][f"/api/workshops/{{workshop_id}}/{what}"]["get"]
        content = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert model in str(content)
        assert {"401", "404"} <= set(operation["responses"])
    assert "volunteers" in schema["components"]["schemas"]["ActionPublic"]["properties"]


def test_the_besluitenlijst_page_shows_everything_and_links_every_download(
    facilitator: Facilitator, filled_workshop: Filled
) -> None:
    page = facilitator.http.get(f"/f/workshops/{filled_workshop.workshop_id}/besluitenlijst")
    assert page.status_code == 200
    html = page.text
    assert f'<link rel="stylesheet" href="{static.url("css/decisions.css")}">' in html
    assert "Jeugdoverlast Noord: ëé en IJsselmeer" in html
    assert "=HYPERLINK(&#34;http://x&#34;,&#34;klik&#34;)" in html  # escaped, not markup
    assert "Inloopspreekuur jeugdzorg" in html and "Zoë de Vries (Politie; team &#34;Noord&#34;)" in html
    assert "zondag 6 december 2026 om 14:00, Buurthuis De Piëzo, zaal 2" in html
    assert "Geheim obstakel" not in html and "Verwijderde actie" not in html
    for name in DOWNLOADS:
        assert f'href="/f/workshops/{filled_workshop.workshop_id}/export/{name}"' in html
    # the CSP allows no inline script: every script is a file or JSON data
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag
    assert facilitator.http.get("/static/css/decisions.css").status_code == 200
    assert "window.print" in facilitator.http.get("/static/js/print.js").text


def test_an_empty_workshop_has_a_finished_besluitenlijst(facilitator: Facilitator, workshop: Workshop) -> None:
    html = facilitator.http.get(f"/f/workshops/{workshop.id}/besluitenlijst").text
    assert "Geen obstakels." in html and "Nog geen acties afgesproken." in html and "Nog niet vastgelegd." in html
    pdf = facilitator.http.get(f"/f/workshops/{workshop.id}/export/besluitenlijst.pdf")
    assert "Nog geen acties afgesproken." in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    ics = facilitator.http.get(f"/f/workshops/{workshop.id}/export/agenda.ics")
    assert icalendar.Calendar.from_ical(ics.content).walk("VEVENT") == []
