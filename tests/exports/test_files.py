"""Each export file parsed back: CSV, XLSX, ICS, Markdown and PDF, with awkward data in them."""

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import icalendar
import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.clusters import service as clusters
from app.exports import csvfile, ics, markdown, pdf, tables, wording, xlsx
from app.exports.data import DecisionList, load_decision_list
from app.i18n import current_locale
from app.models import Answer, Cluster, Workshop
from app.store.database import Database
from tests.exports.conftest import (
    AT_SUM,
    FOLLOWUP_AT,
    FOLLOWUP_PLACE,
    INJECTION,
    OPGAVE,
    PHONE_NUMBER,
    SEMICOLON_ORGANISATION,
    TITLE,
    Filled,
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    text = body.decode("utf-8-sig")
    # every record ends in CRLF; line breaks inside a quoted value are the value's own
    assert text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def assert_no_formula_starts(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell


def test_the_decision_list_leaves_out_hidden_answers_and_deleted_actions(decisions: DecisionList) -> None:
    assert decisions.workshop.title == TITLE
    assert [o.votes for o in decisions.obstacles] == [5, 5, 2, 2, 0]  # the pile's, on each of its obstacles
    # shown once per pile: a column of them adds up to the 7 dots cast, not to 14
    assert [o.shown_votes for o in decisions.obstacles] == [5, None, 2, None, 0]
    assert sum(v.votes for v in decisions.clusters) == 7
    assert decisions.obstacles[0].text == "Wachtlijsten bij de jeugdzorg 😀🎉"
    assert decisions.obstacles[0].focus and decisions.obstacles[0].tension == "financiering"
    assert decisions.obstacles[-1].cluster is None
    assert [(c.name, c.votes) for c in decisions.clusters] == [
        ("Zorg & wachtlijsten", 5),
        ("Regie", 2),
        ("Nog leeg", 0),
    ]
    everything = repr(decisions)
    assert "Geheim obstakel" not in everything and "Verborgen bijdrage" not in everything
    assert "Verwijderde actie" not in everything
    assert [g.organisation for g in decisions.contributions] == [
        "Gemeente IJsselstein",
        SEMICOLON_ORGANISATION,
        "Woonstichting Thuis",
        "Anoniem",
    ]
    spreekuur, formule, loket = decisions.actions
    assert spreekuur.partners == ("Gemeente IJsselstein", SEMICOLON_ORGANISATION)
    assert [v.label for v in spreekuur.volunteers] == [
        "Eline Smeets (Gemeente IJsselstein)",
        "Anoniem",
        f"Zoë de Vries ({SEMICOLON_ORGANISATION})",
    ]
    assert formule.obstacle == ""  # it tackles a hidden obstacle
    assert loket.obstacle == INJECTION  # through the contribution it came from
    assert len(decisions.answers) == 9


def test_the_obstacle_steps_come_from_the_workshop_steps_not_their_ids(database: Database, filled: Filled) -> None:
    renamed = {"obstacles": "drempels", "contributions": "inzet"}

    def rename(db: Session) -> None:
        workshop = db.get(Workshop, filled.workshop_id)
        assert workshop is not None
        steps = [{**step, "id": renamed.get(step["id"], step["id"])} for step in workshop.steps]
        for step in steps:
            if step.get("links_to"):
                step["links_to"] = renamed[step["links_to"]]
        workshop.steps = steps
        for answer in db.execute(select(Answer)).scalars():
            answer.step_id = renamed.get(answer.step_id, answer.step_id)

    database.write_sync(rename)
    decisions = database.read_sync(lambda db: load_decision_list(db, workshop_id=filled.workshop_id))
    assert len(decisions.obstacles) == 5
    assert sum(len(g.contributions) for g in decisions.contributions) == 4
    assert {a.step_title for a in decisions.answers} == {"Obstakels", "Bijdragen"}


def test_a_loose_obstacle_that_voting_gave_a_pile_has_no_cluster_to_repeat_in_any_format(
    database: Database, filled: Filled
) -> None:
    """Voting gives a loose obstacle a pile named by its own words: its cluster cell is empty, not those words again,
    while a pile of one the room named keeps its name."""
    loose = "-1 schuldhulp zonder cluster"

    def vote_and_name(db: Session) -> None:
        workshop = db.get(Workshop, filled.workshop_id)
        assert workshop is not None
        clusters.ensure_clusters(db, workshop=workshop, publish=False)
        own = Cluster(workshop_id=filled.workshop_id, name="Schulden")
        db.add(own)
        db.flush()
        first = db.execute(select(Answer).where(col(Answer.text) == loose)).scalar_one()
        db.add(
            Answer(
                workshop_id=filled.workshop_id,
                participant_id=first.participant_id,
                step_id=first.step_id,
                text="Geen geld voor de bus",
                client_id="named-pile",
                cluster_id=own.id,
            )
        )

    database.write_sync(vote_and_name)
    decisions = database.read_sync(lambda db: load_decision_list(db, workshop_id=filled.workshop_id))
    by_text = {o.text: o for o in decisions.obstacles}
    assert by_text[loose].cluster_id is not None and by_text[loose].cluster is None
    assert by_text["Geen geld voor de bus"].cluster == "Schulden"

    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.decision_list_xlsx(decisions)))
    cells = {row[0]: row[3] for row in workbook["Obstakels"].iter_rows(min_row=2, values_only=True)}
    assert (cells[loose], cells["Geen geld voor de bus"]) == (None, "Schulden")
    text = markdown.decision_list_md(decisions).decode()
    assert f"| {loose} |  |" in text and "| Geen geld voor de bus | Schulden |" in text
    flat = " ".join(pdf_text(pdf.decision_list_pdf(decisions)).split())
    assert f"{loose} {loose}" not in flat and "Geen geld voor de bus Schulden" in flat


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (INJECTION, "'" + INJECTION),
        (AT_SUM, "'@SUM(A1)"),
        (PHONE_NUMBER, "'+31 6 1234"),
        ("-2", "'-2"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("\uff1dSUM(1)", "'\uff1dSUM(1)"),
        ("Gewoon = tekst", "Gewoon = tekst"),
        ("", ""),
        # where English-locale Excel splits at the comma, or a reader at the tab or line break, a cell starts too
        ("x,=1+1,", "x,'=1+1,"),
        ('wachtlijst, =HYPERLINK("http://evil","klik")', 'wachtlijst, \'=HYPERLINK("http://evil","klik")'),
        ('jeugd,"=1+1"', 'jeugd,"\'=1+1"'),
        ("a;@SUM(A1)", "a;'@SUM(A1)"),
        ("a\tb\t+1", "a\tb\t'+1"),
        ("Obstakels:\n- geld", "Obstakels:\n'- geld"),
        ("  =1+1", "  '=1+1"),
        ("Gemeente Heerlen, afdeling Jeugd", "Gemeente Heerlen, afdeling Jeugd"),
        ("3 - 4 keer, soms vaker", "3 - 4 keer, soms vaker"),
    ],
)
def test_cells_that_a_spreadsheet_would_run_get_a_quote(value: str, expected: str) -> None:
    assert tables.neutralise(value) == expected


def split_as_spreadsheets_do(body: bytes) -> list[str]:
    """Every cell a spreadsheet makes of the file split at semicolons, commas or tabs, leading spaces trimmed."""
    text = body.decode("utf-8-sig")
    return [
        cell
        for delimiter in ";,\t"
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
        for cell in row
    ]


def assert_runs_no_formula(body: bytes) -> None:
    """No cell of the CSV starts with a formula, after the spaces and quotes before it, however it is split."""
    runs = [cell for cell in split_as_spreadsheets_do(body) if cell.lstrip(' "').startswith(FORMULA_STARTS)]
    assert runs == []


def test_no_cell_runs_as_a_formula_whichever_separator_a_spreadsheet_splits_at() -> None:
    hostile = (
        "x,=1+1,",
        'wachtlijst, =HYPERLINK("http://evil","klik")',
        'jeugd; zorg,"=1+1"',
        "lijst:\n-2+3+cmd|' /C calc'!A0",
        "a\t@SUM(A1)",
        "  +31 6 1234",
    )
    typed = "Gemeente Heerlen, afdeling Jeugd"
    rows = tuple((f"rij {n}", text, typed) for n, text in enumerate(hostile))
    table = tables.Table(name="T", headers=("A", "B", "C"), rows=rows)
    body = csvfile.table_csv(table)
    assert_runs_no_formula(body)
    # read at the semicolons it was written with, normal text is as typed and the rest only has its quotes added
    _, *written = read_csv(body)
    assert [row[2] for row in written] == [typed] * len(hostile)
    assert [row[1].replace("'", "") for row in written] == [text.replace("'", "") for text in hostile]


def test_actions_csv_opens_in_dutch_excel_and_runs_no_formula(decisions: DecisionList) -> None:
    body = csvfile.actions_csv(decisions)
    assert b"\r\n" in body and body.count(b"\r\n") == 4
    assert_runs_no_formula(body)
    rows = read_csv(body)
    header, *actions = rows
    assert header[:4] == ["Nr", "Actie", "Omschrijving", "Eigenaar"]
    assert len(actions) == 3 and all(len(row) == len(header) for row in rows)
    assert_no_formula_starts(rows)
    spreekuur, formule, loket = (dict(zip(header, row, strict=True)) for row in actions)
    assert spreekuur["Omschrijving"] == "Elke woensdag 14–16 uur in het buurthuis.\nOok voor ouders."
    assert spreekuur["Samen met"] == f"Gemeente IJsselstein, {SEMICOLON_ORGANISATION}"
    assert spreekuur["Contactpersoon"] == "'" + PHONE_NUMBER
    assert spreekuur["Deadline"] == "2026-12-15"
    assert spreekuur["Status"] == "Bezig"
    assert spreekuur["Obstakel"] == "Wachtlijsten bij de jeugdzorg 😀🎉"
    assert "Zoë de Vries" in spreekuur["Vrijwilligers"]
    assert formule["Actie"] == "'" + INJECTION
    assert formule["Eigenaar"] == "'" + AT_SUM
    assert formule["Omschrijving"] == "'\tbegint met een tab"
    assert formule["Deadline"] == ""
    assert loket["Actie"] == "Eén loket 🎉" and loket["Obstakel"] == "'" + INJECTION
    assert "Verwijderde actie" not in body.decode("utf-8-sig")


def test_answers_csv_holds_every_visible_answer(decisions: DecisionList) -> None:
    body = csvfile.answers_csv(decisions)
    assert_runs_no_formula(body)
    header, *answers = read_csv(body)
    assert header == ["Stap", "Antwoord", "Naam", "Organisatie", "Bij obstakel", "Tijdstip", "Thema"]
    texts = [row[1] for row in answers]
    assert len(answers) == 9
    assert "Geheim obstakel" not in texts and "Verborgen bijdrage" not in texts
    assert "'" + INJECTION in texts and "'@SUM(A1)" in texts and "Ik help mee 🤝" in texts
    assert 'Geen "regie"; niemand\nvoelt zich eigenaar' in texts
    assert {row[0] for row in answers} == {"Obstakels", "Bijdragen"}
    assert_no_formula_starts(answers)
    moment = datetime.strptime(answers[0][5], "%Y-%m-%d %H:%M")
    assert abs(moment - datetime.now()) < timedelta(days=1)


def test_xlsx_has_typed_dates_bold_frozen_headers_and_no_formulas(decisions: DecisionList) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.decision_list_xlsx(decisions)))
    assert workbook.sheetnames == ["Acties", "Vrijwilligers", "Obstakels", "Bijdragen"]
    quoted: list[str] = []
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
        for letter, dimension in sheet.column_dimensions.items():
            assert 8 <= dimension.width <= 60, (sheet.title, letter)
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    # as typed, no apostrophe in front: a text cell with Excel's quote prefix
                    assert cell.data_type == "s" and cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
                    quoted.append(cell.value)
                elif isinstance(cell.value, str):
                    assert not cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
    assert INJECTION in quoted and AT_SUM in quoted and PHONE_NUMBER in quoted
    assert not any(text.startswith("'") for text in quoted)

    actions = workbook["Acties"]
    header = [c.value for c in actions[1]]
    rows = [dict(zip(header, [c for c in row], strict=True)) for row in actions.iter_rows(min_row=2)]
    assert [r["Actie"].value for r in rows] == ["Inloopspreekuur jeugdzorg", INJECTION, "Eén loket 🎉"]
    deadline = rows[0]["Deadline"]
    assert deadline.is_date and deadline.value.date() == date(2026, 12, 15)
    assert deadline.number_format == "dd-mm-yyyy"
    assert rows[1]["Deadline"].value is None
    assert rows[0]["Nr"].value == 1 and rows[0]["Nr"].data_type == "n"
    assert rows[0]["Omschrijving"].alignment.wrap_text
    assert actions.column_dimensions["B"].width > actions.column_dimensions["A"].width

    volunteers = [[c.value for c in row] for row in workbook["Vrijwilligers"].iter_rows(min_row=2)]
    assert volunteers == [
        [1, "Inloopspreekuur jeugdzorg", "Eline Smeets", "Gemeente IJsselstein"],
        [1, "Inloopspreekuur jeugdzorg", None, "Anoniem"],
        [1, "Inloopspreekuur jeugdzorg", "Zoë de Vries", SEMICOLON_ORGANISATION],
        [2, INJECTION, "Ali", "Woonstichting Thuis"],
    ]
    obstacles = [[c.value for c in row] for row in workbook["Obstakels"].iter_rows()]
    assert obstacles[0] == ["Obstakel", "Organisatie", "Naam", "Cluster", "Spanning", "Thema", "Stemmen", "Focus"]
    assert obstacles[1] == [
        "Wachtlijsten bij de jeugdzorg 😀🎉",
        "Woonstichting Thuis",
        "Ali",
        "Zorg & wachtlijsten",
        "Financiering",  # tags read as labels in the language of the download, not as stored keys
        "Gezondheid",
        5,
        "ja",
    ]
    assert [row[6] for row in obstacles[1:]] == [5, None, 2, None, 0]  # a pile's votes once: the column sums to 7
    assert [row[3] for row in obstacles[1:3]] == ["Zorg & wachtlijsten"] * 2  # the pile named on every row
    contributions = [[c.value for c in row] for row in workbook["Bijdragen"].iter_rows(min_row=2)]
    assert [row[0] for row in contributions] == [
        "Gemeente IJsselstein",
        SEMICOLON_ORGANISATION,
        "Woonstichting Thuis",
        "Anoniem",
    ]


def test_xlsx_keeps_error_like_answers_as_text(decisions: DecisionList) -> None:
    table = tables.Table(name="Test", headers=("A",), rows=(("#N/A",), ("=1+1",), ("a\x00b",)))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    xlsx._write_sheet(sheet, table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    cells = [c for (c,) in openpyxl.load_workbook(buffer).active.iter_rows(min_row=2)]  # type: ignore[union-attr]
    assert [(c.value, c.data_type, c.quotePrefix) for c in cells] == [
        ("#N/A", "s", False),
        ("=1+1", "s", True),
        ("ab", "s", False),
    ]


def test_ics_has_the_followup_and_each_due_date_with_stable_uids(database: Database, decisions: DecisionList) -> None:
    calendar = icalendar.Calendar.from_ical(ics.decision_list_ics(decisions))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 3  # the follow-up and two dated actions; the deleted one is left out
    followup, spreekuur, loket = events
    assert followup.decoded("dtstart") == FOLLOWUP_AT
    assert followup.decoded("dtend") - followup.decoded("dtstart") == timedelta(hours=1)
    assert str(followup["location"]) == FOLLOWUP_PLACE
    assert TITLE in str(followup["summary"])
    assert spreekuur.decoded("dtstart") == date(2026, 12, 15)
    assert spreekuur.decoded("dtend") == date(2026, 12, 16)
    assert "Inloopspreekuur jeugdzorg" in str(spreekuur["summary"])
    assert PHONE_NUMBER in str(spreekuur["description"]) and "Zoë de Vries" in str(spreekuur["description"])
    assert str(loket["summary"]) == "Deadline: Eén loket 🎉"
    uids = [str(e["uid"]) for e in events]
    assert len(set(uids)) == 3
    again = database.read_sync(lambda db: load_decision_list(db, workshop_id=decisions.workshop.id))
    assert [str(e["uid"]) for e in icalendar.Calendar.from_ical(ics.decision_list_ics(again)).walk("VEVENT")] == uids


def test_ics_without_a_followup_has_only_due_dates(decisions: DecisionList) -> None:
    undated = replace(decisions, workshop=replace(decisions.workshop, followup_at=None))
    events = icalendar.Calendar.from_ical(ics.decision_list_ics(undated)).walk("VEVENT")
    assert [str(e["summary"]).split(":")[0] for e in events] == ["Deadline", "Deadline"]


def test_markdown_besluitenlijst(decisions: DecisionList) -> None:
    text = markdown.decision_list_md(decisions).decode("utf-8")
    assert text.startswith(f"# Besluitenlijst: {TITLE}\n")
    assert "> Samen zorgen dat jongeren in Noord zich thuis voelen." in text
    for heading in ("## Opgave", "## Obstakels op volgorde van stemmen", "## Bijdragen per organisatie", "## Acties"):
        assert heading in text
    table = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [line.split(" | ")[0] for line in table] == ["| 5", "| 2", "| 0"]  # a pile's votes once
    assert '| 2 | =HYPERLINK("http://x","klik") | Regie |' in text
    assert "@SUM\\(A1\\)" not in text and "@SUM(A1)" in text
    assert '### Politie; team "Noord"' in text
    assert "### 1. Inloopspreekuur jeugdzorg" in text and "### 3. Eén loket 🎉" in text
    assert f"- **Contactpersoon:** {PHONE_NUMBER}" in text
    assert '- **Samen met:** Gemeente IJsselstein, Politie; team "Noord"' in text
    assert "- **Deadline:** 15 december 2026" in text
    assert 'Zoë de Vries (Politie; team "Noord")' in text
    assert "## Vervolgafspraak\n\nzondag 6 december 2026 om 14:00, Buurthuis De Piëzo, zaal 2" in text
    assert "Geheim obstakel" not in text and "Verwijderde actie" not in text


def test_markdown_escapes_what_would_format_or_link() -> None:
    assert markdown.text("*dringend* [klik](http://x) <b>|</b> &amp;") == (
        "\\*dringend\\* \\[klik\\](http://x) \\<b\\>\\|\\</b\\> \\&amp;"
    )
    assert (
        markdown.block("# geen kop\n- geen lijst\n3. geen nummer")
        == "\\# geen kop  \n\\- geen lijst  \n3\\. geen nummer"
    )


def pdf_text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_besluitenlijst_reads_back(decisions: DecisionList) -> None:
    body = pdf.decision_list_pdf(decisions)
    assert body.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(body))
    assert reader.metadata is not None and reader.metadata.title == f"Besluitenlijst: {TITLE}"
    text = pdf_text(body)
    flat = " ".join(text.split())
    assert TITLE in flat
    assert " ".join(OPGAVE.split()) in flat
    assert "Obstakels op volgorde van stemmen" in flat and "Bijdragen per organisatie" in flat
    for expected in (
        INJECTION,
        AT_SUM,
        PHONE_NUMBER,
        "Inloopspreekuur jeugdzorg",
        "Zoë de Vries",
        "15 december 2026",
        "Wij regelen één loket",
        "zondag 6 december 2026 om 14:00, Buurthuis De Piëzo, zaal 2",
    ):
        assert expected in flat, expected
    if pdf.emoji_font():
        # DejaVu draws 😀; 🎉 and 🤝 come from the emoji font
        assert "Wachtlijsten bij de jeugdzorg 😀🎉" in flat
        assert "Eén loket 🎉" in flat and "Ik help mee 🤝" in flat
    else:
        assert "Wachtlijsten bij de jeugdzorg 😀□" in flat
        assert "Eén loket □" in flat and "Ik help mee □" in flat
    assert "Geheim obstakel" not in flat and "Verwijderde actie" not in flat
    assert "Pagina 1 van" in flat


def test_pdf_replaces_what_the_font_cannot_draw() -> None:
    # 🫠 (Unicode 14) is newer than every font here
    expected = "ĳ ë 🎉🚀 x □" if pdf.emoji_font() else "ĳ ë □□ x □"
    assert pdf.drawable("ĳ ë 🎉\u200d🚀\ufe0f\tx \U0001fae0") == expected


@pytest.mark.skipif(pdf.emoji_font() is None, reason="no emoji font on this system (make fonts installs Symbola)")
def test_pdf_draws_emoji_as_glyphs_not_boxes(decisions: DecisionList) -> None:
    emoji = "😀👍🏽🏠"
    first, *others = decisions.obstacles
    with_emoji = replace(decisions, obstacles=(replace(first, text=f"Geen plek {emoji}"), *others))
    body = pdf.decision_list_pdf(with_emoji)
    flat = " ".join(pdf_text(body).split())
    assert f"Geen plek {emoji}" in flat and pdf.PLACEHOLDER not in flat
    reader = PdfReader(io.BytesIO(body))
    fonts = {str(font["/BaseFont"]) for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert any(name.endswith("Symbola") for name in fonts), fonts  # the emoji font is embedded


def test_dates_read_day_first_in_both_languages() -> None:
    followup = datetime(2026, 12, 6, 13, 0, tzinfo=UTC)
    reset = current_locale.set("en")
    try:
        # British order, as the pages write English dates (static/js/live.js, dateLocale)
        assert wording.day(date(2026, 12, 18)) == "18 December 2026"
        assert wording.moment(followup) == "Sunday, 6 December 2026 at 14:00"
    finally:
        current_locale.reset(reset)
    assert wording.moment(followup) == "zondag 6 december 2026 om 14:00"
