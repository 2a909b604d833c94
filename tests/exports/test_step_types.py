"""Grades, choices, the mosaic, themes and a follow-up's look back in every export, parsed back."""

import io
import json
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy.orm import Session

from app import cli
from app.accounts import service as accounts
from app.exports import csvfile, markdown, pdf, tables, xlsx
from app.exports.data import ACTIONS, CONTRIBUTIONS, OBSTACLES, DecisionList, QuestionResult, load_decision_list
from app.exports.results import ChoiceResult, GradeResult
from app.i18n import current_locale
from app.store.database import Database
from tests.conftest import Facilitator, Workshop
from tests.exports.conftest import (
    NOTE_INJECTION,
    THEMED_INJECTION,
    FollowUp,
    fill_followup,
    fill_mosaic,
    fill_residents,
    new_workshop,
)
from tests.exports.test_files import FORMULA_STARTS, assert_runs_no_formula, pdf_text, read_csv
from tests.responses.test_formats_live import mosaic_room

BLOCKS = ["Opgave", "Waarde", "Samen doen", "Verankering", "Deelname", "Binding", "Organisatie"]
# a spreadsheet also runs a cell that starts with the fullwidth forms of these
ALL_FORMULA_STARTS = (*FORMULA_STARTS, "\uff1d", "\uff0b", "\uff0d", "\uff20")


@pytest.fixture
def sessions(database: Database) -> dict[str, Any]:
    """A netwerkmozaiek, a bewonersgesprek and a vervolgsessie of one facilitator, filled through the services."""

    def setup(db: Session) -> dict[str, Any]:
        owner = accounts.create_facilitator(db, email="mo@netwerk.nl", name="Mo", password="x" * 12)
        made = {
            key: new_workshop(db, facilitator_id=owner.id or 0, key=key, title=title)
            for key, title in (
                ("netwerkmozaiek", "Mozaïek Noord"),
                ("bewonersgesprek", "Bewonersavond De Hoef"),
                ("vervolgsessie", "Vervolg jeugdoverlast"),
            )
        }
        fill_mosaic(db, workshop_id=made["netwerkmozaiek"])
        fill_residents(db, workshop_id=made["bewonersgesprek"])
        return {**made, "followup": fill_followup(db, workshop_id=made["vervolgsessie"])}

    return database.write_sync(setup)  # type: ignore[no-any-return]


def decision_list(database: Database, workshop_id: int) -> DecisionList:
    return database.read_sync(lambda db: load_decision_list(db, workshop_id=workshop_id))


@pytest.fixture
def mosaic(database: Database, sessions: dict[str, Any]) -> DecisionList:
    """The netwerkmozaiek's besluitenlijst."""
    return decision_list(database, sessions["netwerkmozaiek"])


@pytest.fixture
def residents(database: Database, sessions: dict[str, Any]) -> DecisionList:
    """The bewonersgesprek's besluitenlijst."""
    return decision_list(database, sessions["bewonersgesprek"])


@pytest.fixture
def followup(database: Database, sessions: dict[str, Any]) -> DecisionList:
    """The vervolgsessie's besluitenlijst."""
    return decision_list(database, sessions["vervolgsessie"])


def sheet_rows(body: bytes, name: str) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(body))[name]
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


def assert_no_formula_cells(body: bytes) -> None:
    for sheet in openpyxl.load_workbook(io.BytesIO(body)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
                if isinstance(cell.value, str) and cell.value.startswith(ALL_FORMULA_STARTS):
                    # kept as typed, in a text cell with Excel's quote prefix: shown as text, never run
                    assert cell.data_type == "s" and cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)


def test_the_mosaic_has_every_block_with_its_figures_and_the_weakest(mosaic: DecisionList) -> None:
    assert mosaic.mosaic is not None
    tiles = {tile.tile: tile for tile in mosaic.mosaic.tiles}
    assert list(tiles) == BLOCKS
    assert (tiles["Opgave"].mean, tiles["Opgave"].spread, tiles["Opgave"].count) == (7.0, 0.82, 3)
    assert tiles["Waarde"].spread == 0.0 and tiles["Organisatie"].mean == 6.67
    assert [t.tile for t in mosaic.mosaic.tiles if t.weakest] == ["Deelname"]
    assert mosaic.mosaic.weakest == "deelname_cijfer"
    assert (tiles["Deelname"].level, tiles["Verankering"].level, tiles["Opgave"].level) == ("poor", "good", "fair")

    opgave = mosaic.grades[0]
    assert (opgave.title, opgave.count, opgave.mean, opgave.median, opgave.spread) == ("Opgave", 3, 7.0, 7, 0.82)
    assert [(c.grade, c.count) for c in opgave.distribution if c.count] == [(6, 1), (7, 1), (8, 1)]
    assert [c.grade for c in opgave.distribution] == list(range(1, 11))
    assert opgave.prompt.startswith("Hoe helder is de opgave")


def test_a_mosaic_block_shows_its_grade_with_its_open_question(mosaic: DecisionList) -> None:
    groups = mosaic.result_groups
    assert [g.title for g in groups] == BLOCKS
    assert all([type(r) for r in g.results] == [GradeResult, QuestionResult] for g in groups), (
        "each block: the grade, then the explanation"
    )
    answers = groups[0].results[1]
    assert isinstance(answers, QuestionResult)
    assert [a.text for a in answers.answers] == ["Helder op papier, vaag in de wijk"]


def test_open_questions_are_not_obstacles_unless_the_room_works_on_them(
    mosaic: DecisionList, residents: DecisionList, followup: DecisionList, decisions: DecisionList
) -> None:
    # netwerkmozaiek and bewonersgesprek have no clustering or contributions: no obstacle sections
    assert mosaic.obstacles == () and mosaic.sections == frozenset()
    assert residents.obstacles == () and residents.sections == {ACTIONS}
    assert followup.sections == {ACTIONS}
    assert len(mosaic.questions) == 7 and len(residents.questions) == 2
    # a doorbraak keeps its obstacles and contributions and gets none of the new parts
    assert decisions.sections == {OBSTACLES, CONTRIBUTIONS, ACTIONS}
    assert (decisions.results, decisions.mosaic, decisions.review) == ((), None, None)


def test_residents_answers_keep_their_theme_and_the_choice_is_counted(residents: DecisionList) -> None:
    trots, beter = residents.questions
    assert [(g.theme, [a.text for a in g.answers]) for g in trots.by_theme] == [
        ("wonen", ["Het buurtfeest in juni"]),
        ("leren", ["De moestuin achter de school"]),
        (None, ["De mensen"]),
    ]
    assert [a.theme for a in beter.answers] == ["veiligheid", "veiligheid"]
    (choice,) = residents.choices
    assert (choice.title, choice.count, choice.multiple) == ("Beginnen", 3, False)
    assert [(o.label, o.count) for o in choice.options] == [
        ("Wonen", 1),
        ("Werken", 0),
        ("Leren", 0),
        ("Veiligheid", 2),
        ("Gezondheid", 0),
    ]
    assert residents.mosaic is None and residents.grades == ()


def test_the_followup_shows_before_and_now_and_which_moved(followup: DecisionList, sessions: dict[str, Any]) -> None:
    review = followup.review
    assert review is not None
    report: FollowUp = sessions["followup"]
    assert (review.workshop_id, review.title) == (report.earlier_id, "Eerste doorbraak")
    # the action that was already klaar and nobody reported on is not under review
    rows = [(i.title, i.before, i.status, i.reported, i.moved, i.note) for i in review.items]
    assert rows == [
        ("Huiskamer in de flat", "open", "bezig", True, True, "Eerste gesprek gevoerd"),
        ("Wijkagent op het plein", "bezig", "bezig", True, False, NOTE_INJECTION),
        ("Niemand meldt zich", "open", "open", False, False, ""),
    ]
    assert review.moved == 1 and review.items[0].action_id == report.moved_action_id


def test_a_followup_without_an_earlier_session_says_so(database: Database) -> None:
    def unreviewed(db: Session) -> int:
        # a facilitator without earlier actions: nothing to look back on
        owner = accounts.create_facilitator(db, email="nieuw@buurt.nl", name="Nieuw", password="x" * 12)
        return new_workshop(db, facilitator_id=owner.id or 0, key="vervolgsessie", title="Nog los")

    decisions = decision_list(database, database.write_sync(unreviewed))
    assert decisions.review is not None and decisions.review.items == ()
    text = markdown.decision_list_md(decisions).decode()
    assert "## Wat is er bewogen\n\nEr is nog geen eerdere workshop gekozen om op terug te kijken." in text
    assert "Er is nog geen eerdere workshop gekozen" in " ".join(pdf_text(pdf.decision_list_pdf(decisions)).split())


def test_xlsx_has_typed_grades_choices_and_progress_next_to_the_usual_sheets(
    mosaic: DecisionList, residents: DecisionList, followup: DecisionList
) -> None:
    body = xlsx.decision_list_xlsx(mosaic)
    workbook = openpyxl.load_workbook(io.BytesIO(body))
    assert workbook.sheetnames == ["Acties", "Vrijwilligers", "Obstakels", "Bijdragen", "Antwoorden", "Cijfers"]
    grades = sheet_rows(body, "Cijfers")
    assert [row["Bouwsteen"] for row in grades] == BLOCKS
    opgave = grades[0]
    assert (opgave["Aantal"], opgave["Gemiddelde"], opgave["Mediaan"], opgave["Spreiding"]) == (3, 7.0, 7, 0.82)
    assert opgave["Doel"] == 8.5 and (opgave["6"], opgave["7"], opgave["8"], opgave["9"]) == (1, 1, 1, 0)
    assert [row["Bouwsteen"] for row in grades if row["Zwakste"] == "ja"] == ["Deelname"]
    spread = workbook["Cijfers"]["G2"]
    assert spread.data_type == "n" and spread.number_format == "0.0#"

    choices = sheet_rows(xlsx.decision_list_xlsx(residents), "Keuzes")
    assert [(row["Keuze"], row["Aantal"]) for row in choices] == [
        ("Wonen", 1),
        ("Werken", 0),
        ("Leren", 0),
        ("Veiligheid", 2),
        ("Gezondheid", 0),
    ]
    assert {row["Mensen die kozen"] for row in choices} == {3}

    body = xlsx.decision_list_xlsx(followup)
    assert openpyxl.load_workbook(io.BytesIO(body)).sheetnames[-1] == "Voortgang"
    progress = sheet_rows(body, "Voortgang")
    assert [(r["Actie"], r["Status was"], r["Status nu"], r["Bewogen"]) for r in progress] == [
        ("Huiskamer in de flat", "Open", "Bezig", "ja"),
        ("Wijkagent op het plein", "Bezig", "Bezig", None),
        ("Niemand meldt zich", "Open", "geen melding", None),
    ]
    assert progress[0]["Deadline"].date().isoformat() == "2026-12-01"


def test_every_new_text_cell_is_neutralised(residents: DecisionList, followup: DecisionList) -> None:
    for decisions in (residents, followup):
        assert_no_formula_cells(xlsx.decision_list_xlsx(decisions))
    answers = sheet_rows(xlsx.decision_list_xlsx(residents), "Antwoorden")
    assert THEMED_INJECTION in [row["Antwoord"] for row in answers]  # as typed: the cell's quote prefix guards it
    progress = sheet_rows(xlsx.decision_list_xlsx(followup), "Voortgang")
    assert progress[1]["Toelichting"] == NOTE_INJECTION

    body = csvfile.answers_csv(residents)
    assert_runs_no_formula(body)
    header, *rows = read_csv(body)
    assert header[-1] == "Thema"
    # the formula after the comma gets its quote too: English-locale Excel starts a cell there
    themed = "'-1 bankje in het park, '=HYPERLINK()"
    assert rows[3][:5] + rows[3][6:] == ["Beter", themed, "", "Anoniem", "", "Veiligheid"]
    for row in rows:
        assert not any(cell.startswith(ALL_FORMULA_STARTS) for cell in row), row
    # the table for any other sheet neutralises the same way, the fullwidth forms too
    table = tables.Table(name="T", headers=("A",), rows=(("\uff1dSUM(A1)",),))
    assert read_csv(csvfile.table_csv(table))[1] == ["'\uff1dSUM(A1)"]


def test_answers_csv_has_a_theme_column(residents: DecisionList, decisions: DecisionList) -> None:
    header, *rows = read_csv(csvfile.answers_csv(residents))
    assert header == ["Stap", "Antwoord", "Naam", "Organisatie", "Bij obstakel", "Tijdstip", "Thema"]
    assert [(row[0], row[1], row[6]) for row in rows[:3]] == [
        ("Trots", "Het buurtfeest in juni", "Wonen"),
        ("Trots", "De moestuin achter de school", "Leren"),
        ("Trots", "De mensen", ""),
    ]
    # a doorbraak's answers have no theme: the column is there and empty
    header, *rows = read_csv(csvfile.answers_csv(decisions))
    assert header[-1] == "Thema" and {row[-1] for row in rows} == {""}


def test_markdown_has_the_mosaic_the_results_and_the_look_back(
    mosaic: DecisionList, residents: DecisionList, followup: DecisionList
) -> None:
    text = markdown.decision_list_md(mosaic).decode()
    assert "## Het mozaïek" in text
    assert "| Opgave | 7,0 | 0,82 | 3 | 8,5 |" in text
    assert "| **Deelname** (vraagt aandacht) | 4,0 | 0,82 | 3 | 8,5 |" in text
    assert "gemiddeld 7,0 · mediaan 7,0 · spreiding 0,82 · 3 cijfers" in text
    assert "| Aantal | 0 | 0 | 0 | 0 | 0 | 1 | 1 | 1 | 0 | 0 |" in text
    assert "- Helder op papier, vaag in de wijk _(Ali (Buurtteam))_" in text
    for absent in ("## Obstakels", "## Bijdragen", "## Acties"):
        assert absent not in text
    assert text.index("## Het mozaïek") < text.index("## Uitkomsten per vraag") < text.index("## Vervolgafspraak")

    text = markdown.decision_list_md(residents).decode()
    assert "**Wonen**\n\n- Het buurtfeest in juni\n" in text and "**Zonder thema**\n\n- De mensen\n" in text
    assert "- \\-1 bankje" not in text and f"- {THEMED_INJECTION}" in text  # inline text, no list to escape
    assert "| Veiligheid | 2 |" in text and "3 mensen kozen" in text

    text = markdown.decision_list_md(followup).decode()
    assert "## Wat is er bewogen" in text and "1 van 3 afspraken zijn in beweging gekomen." in text
    assert "| Huiskamer in de flat | Woonstichting Thuis | Open | **Bezig** | ja | Eerste gesprek gevoerd |" in text
    assert "| Wijkagent op het plein | Politie | Bezig | Bezig |  | =cmd\\|' /C calc'!A0 |" in text
    assert "| Niemand meldt zich | Buurtwerk | Open | geen melding |  |  |" in text


def test_pdf_has_the_mosaic_the_results_and_the_look_back(
    mosaic: DecisionList, residents: DecisionList, followup: DecisionList
) -> None:
    flat = " ".join(pdf_text(pdf.decision_list_pdf(mosaic)).split())
    assert "Het mozaïek" in flat and "vraagt aandacht" in flat
    for block in BLOCKS:
        assert block in flat, block
    assert "mediaan 7,0 · spreiding 0,82 · 3 cijfers" in flat and "spreiding 0,47" in flat
    assert "We mikken op een 8,5." in flat and "Obstakels op volgorde" not in flat

    flat = " ".join(pdf_text(pdf.decision_list_pdf(residents)).split())
    for expected in ("Wonen", "Zonder thema", "Het buurtfeest in juni", THEMED_INJECTION, "3 mensen kozen"):
        assert expected in flat, expected

    flat = " ".join(pdf_text(pdf.decision_list_pdf(followup)).split())
    assert "Wat is er bewogen" in flat and "1 van 3 afspraken zijn in beweging gekomen." in flat
    assert "Eerste gesprek gevoerd" in flat and NOTE_INJECTION in flat and "Bezig ↑" in flat


def test_counts_in_a_documents_words_are_written_as_its_language_writes_them(
    mosaic: DecisionList, residents: DecisionList, followup: DecisionList
) -> None:
    """A network day's counts: "19.591 cijfers" in Dutch, "19,591 grades" in English, as the pages write them."""
    assert mosaic.mosaic is not None and followup.review is not None
    graded = replace(
        mosaic,
        results=tuple(replace(r, count=19591) if isinstance(r, GradeResult) else r for r in mosaic.results),
        mosaic=replace(mosaic.mosaic, tiles=tuple(replace(t, count=19591) for t in mosaic.mosaic.tiles)),
    )
    chosen = replace(
        residents,
        results=tuple(
            replace(r, count=1234, options=tuple(replace(o, count=1200 + o.number) for o in r.options))
            if isinstance(r, ChoiceResult)
            else r
            for r in residents.results
        ),
    )
    moved, still = followup.review.items[0], followup.review.items[1]
    reviewed = replace(followup, review=replace(followup.review, items=(moved,) * 1200 + (still,) * 300))
    for lang, grades, people, progress in (
        ("nl", "19.591 cijfers", "1.234 mensen kozen", "1.200 van 1.500 afspraken zijn in beweging gekomen."),
        ("en", "19,591 grades", "1,234 people chose", "1,200 of 1,500 actions have got moving."),
    ):
        reset = current_locale.set(lang)
        try:
            for render in (
                lambda d: markdown.decision_list_md(d).decode(),
                lambda d: pdf_text(pdf.decision_list_pdf(d)),
            ):
                assert grades in " ".join(render(graded).split()), (lang, grades)
                said = " ".join(render(chosen).split())
                assert people in said and ("1.201" if lang == "nl" else "1,201") in said, (lang, people)
                assert progress in " ".join(render(reviewed).split()), (lang, progress)
        finally:
            current_locale.reset(reset)
    # a spreadsheet's cell keeps its number: words only where there are words
    assert {row["Aantal"] for row in sheet_rows(xlsx.decision_list_xlsx(graded), "Cijfers")} == {19591}
    assert {row["Mensen die kozen"] for row in sheet_rows(xlsx.decision_list_xlsx(chosen), "Keuzes")} == {1234}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, database: Database, tmp_path: Path) -> Iterator[None]:
    """The command line reads the test database from the environment."""
    monkeypatch.setenv("DOORBRAAK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DOORBRAAK_DATABASE_URL", database.url)
    yield


def test_the_command_line_exports_the_new_parts(
    environment: None, sessions: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.main(["export", str(sessions["vervolgsessie"]), "--format", "md", "--output", "-"])
    assert "1 van 3 afspraken zijn in beweging gekomen." in capsys.readouterr().out
    book = tmp_path / "mozaiek.xlsx"
    cli.main(["export", str(sessions["netwerkmozaiek"]), "--format", "xlsx", "--output", str(book)])
    assert openpyxl.load_workbook(book)["Cijfers"]["E2"].value == 7


# over HTTP: grades sent from phones over websockets, then the page, the downloads and the API


def test_grades_from_phones_reach_the_page_downloads_and_api(facilitator: Facilitator, join: Any) -> None:
    grades = [[6, 7, 8, 9, 5, 8, 7], [7, 7, 6, 9, 3, 8, 7], [8, 7, 7, 9, 4, 8, 6]]
    workshop, _ = mosaic_room(facilitator, join, grades)
    base = f"/api/workshops/{workshop.id}"

    results = facilitator.http.get(f"{base}/results").json()
    opgave = results["grades"][0]
    assert (opgave["mean"], opgave["spread"], opgave["median"], opgave["count"]) == (7.0, 0.82, 7, 3)
    assert opgave["distribution"][5:8] == [{"grade": 6, "count": 1}, {"grade": 7, "count": 1}, {"grade": 8, "count": 1}]
    assert results["mosaic"]["weakest"] == "deelname_cijfer"
    assert [t["tile"] for t in results["mosaic"]["tiles"] if t["weakest"]] == ["Deelname"]
    assert results["choices"] == []
    decisions = facilitator.http.get(f"{base}/decisions").json()
    assert decisions["mosaic"] == results["mosaic"] and decisions["review"] is None
    assert facilitator.http.get(f"{base}/review").json() is None

    html = facilitator.http.get(f"/f/workshops/{workshop.id}/besluitenlijst").text
    assert html.count('class="mosaic-tile ') == 7
    assert 'class="mosaic-tile level-poor is-weakest" data-step="deelname_cijfer"' in html
    assert "Obstakels op volgorde van stemmen" not in html and "Bijdragen per organisatie" not in html

    body = facilitator.http.get(f"/f/workshops/{workshop.id}/export/besluitenlijst.xlsx").content
    row = sheet_rows(body, "Cijfers")[0]
    assert (row["Gemiddelde"], row["Spreiding"], row["Mediaan"]) == (7, 0.82, 7)


def test_the_followup_page_and_api_show_what_moved(facilitator: Facilitator) -> None:
    workshop = facilitator.create_workshop(title="Vervolg", format_key="vervolgsessie")
    runtime = facilitator.http.app.state.runtime  # type: ignore[attr-defined]
    report: FollowUp = runtime.db.write_sync(partial(fill_followup, workshop_id=workshop.id))

    review = facilitator.http.get(f"/api/workshops/{workshop.id}/review").json()
    assert (review["workshop_id"], review["title"], review["moved"]) == (report.earlier_id, "Eerste doorbraak", 1)
    first = review["items"][0]
    assert (first["action_id"], first["before"], first["status"], first["moved"]) == (
        report.moved_action_id,
        "open",
        "bezig",
        True,
    )
    assert review["items"][1]["note"] == NOTE_INJECTION  # JSON is data: nothing to neutralise
    assert facilitator.http.get(f"/api/workshops/{workshop.id}/decisions").json()["review"] == review

    html = facilitator.http.get(f"/f/workshops/{workshop.id}/besluitenlijst").text
    assert "Wat is er bewogen" in html and "1 van 3 afspraken zijn in beweging gekomen." in html
    assert html.count('<tr class="is-moved">') == 1 and "Het mozaïek" not in html
    assert "=cmd|&#39; /C calc&#39;!A0" in html  # escaped as text

    answers = facilitator.http.get(f"/api/workshops/{workshop.id}/answers").json()
    assert [(a["text"], a["theme"]) for a in answers] == [("Een sleutel van het buurthuis", None)]


def test_the_residents_page_groups_answers_by_theme(facilitator: Facilitator) -> None:
    workshop = facilitator.create_workshop(title="Bewoners", format_key="bewonersgesprek")
    runtime = facilitator.http.app.state.runtime  # type: ignore[attr-defined]
    runtime.db.write_sync(partial(fill_residents, workshop_id=workshop.id))
    html = facilitator.http.get(f"/f/workshops/{workshop.id}/besluitenlijst").text
    assert '<span class="theme-chip theme-wonen">Wonen</span>' in html
    assert '<span class="theme-chip theme-none">Zonder thema</span>' in html
    assert html.count('<svg class="choice-bar"') == 5 and "3 mensen kozen" in html
    answers = facilitator.http.get(f"/api/workshops/{workshop.id}/answers").json()
    assert [a["theme"] for a in answers] == ["wonen", "leren", None, "veiligheid", "veiligheid"]


def test_results_and_review_are_only_for_the_owner(
    other_facilitator: Facilitator, facilitator: Facilitator, workshop: Workshop
) -> None:
    for what in ("results", "review"):
        response = other_facilitator.http.get(f"/api/workshops/{workshop.id}/{what}")
        assert response.status_code == 404 and response.json()["code"] == "workshop_not_found"
        assert facilitator.http.get(f"/api/workshops/{workshop.id}/{what}").status_code == 200


def test_the_new_api_is_documented(facilitator: Facilitator) -> None:
    schema = facilitator.http.get("/openapi.json").json()
    for what, model in (("results", "ResultsPublic"), ("review", "ReviewPublic")):
        operation = schema["paths"][f"/api/workshops/{{workshop_id}}/{what}"]["get"]
        assert model in json.dumps(operation["responses"]["200"]) and {"401", "404"} <= set(operation["responses"])
    properties = schema["components"]["schemas"]["DecisionListPublic"]["properties"]
    assert {"grades", "choices", "mosaic", "review"} <= set(properties)
    assert "theme" in schema["components"]["schemas"]["AnswerPublic"]["properties"]
    assert "moved" in schema["components"]["schemas"]["ReviewItemPublic"]["properties"]
