"""The register's downloads: the filtered view as CSV for Dutch Excel and as a typed workbook."""

import csv
import io
from datetime import date, datetime, timedelta

from openpyxl import load_workbook

from tests.conftest import Facilitator
from tests.exports.test_files import assert_runs_no_formula
from tests.register.conftest import Ledger, add_action, database_of

INJECTION = '=HYPERLINK("http://x","klik")'


def with_formula(facilitator: Facilitator, ledger: Ledger) -> int:
    """An action whose title, owner and partner would run as formulas in a spreadsheet."""
    database = database_of(facilitator.http)
    return database.write_sync(
        lambda db: add_action(
            db,
            workshop_id=ledger.workshops["oost"],
            title=INJECTION,
            owner="@SUM(A1)",
            partners=("+31 6 1234; team", '=HYPERLINK("http://x","klik")'),
            due_on=ledger.today + timedelta(days=2),
            updated_on=ledger.today,
        )
    )


def test_csv_opens_in_dutch_excel_neutralises_formulas_and_holds_every_matching_row(
    facilitator: Facilitator, ledger: Ledger
) -> None:
    formula_id = with_formula(facilitator, ledger)
    response = facilitator.http.get("/f/register.csv?status=open")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="register-{ledger.today.isoformat()}.csv"'
    assert response.headers["cache-control"] == "private, no-store"
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Nr", "Actie", "Omschrijving", "Eigenaar"]
    by_id = {int(row[0]): dict(zip(header, row, strict=True)) for row in body}
    assert set(by_id) == {ledger.actions["huiskamer"], ledger.actions["buurtfeest"], formula_id}
    formula = by_id[formula_id]
    assert formula["Actie"] == "'" + INJECTION
    assert formula["Eigenaar"] == "'@SUM(A1)"
    # the separator inside a value is quoted, not split; the partner after the comma is a cell where Excel splits there
    assert formula["Samen met"] == "'+31 6 1234; team, '" + INJECTION
    assert_runs_no_formula(response.content)
    huiskamer = by_id[ledger.actions["huiskamer"]]
    assert huiskamer["Deadline"] == (ledger.today - timedelta(days=3)).isoformat()
    assert huiskamer["Over tijd"] == "ja"
    assert huiskamer["Status"] == "Open"
    assert huiskamer["Vrijwilligers"] == "2"
    assert huiskamer["Workshop"] == "Eenzaamheid Oost"
    assert huiskamer["Samen met"] == "Gemeente Heerlen"
    # partners in the order they were added, not by name: the database joins them for the whole export at once
    assert by_id[ledger.actions["buurtfeest"]]["Samen met"] == "Woonstichting Thuis, Politie Limburg"


def test_the_workbook_has_typed_dates_a_frozen_bold_header_and_no_formulas(
    facilitator: Facilitator, ledger: Ledger
) -> None:
    formula_id = with_formula(facilitator, ledger)
    response = facilitator.http.get("/f/register.xlsx?sort=-changed")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert all(cell.font.bold for cell in sheet[1])
    rows = [dict(zip(header, (cell for cell in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == len(ledger.actions) - 1 + 1  # every action but the deleted one, and the new one
    first = rows[0]  # the newest change: the formula action, changed today at noon
    assert first["Nr"].value == formula_id
    assert first["Actie"].value == INJECTION and first["Actie"].data_type == "s" and first["Actie"].quotePrefix
    due = first["Deadline"]
    assert isinstance(due.value, datetime) and due.value.date() == ledger.today + timedelta(days=2)
    assert due.number_format == "dd-mm-yyyy"
    changed = first["Laatst gewijzigd"]
    assert isinstance(changed.value, datetime) and changed.value.hour == 12  # noon on the Dutch clock
    assert changed.number_format == "dd-mm-yyyy hh:mm"
    held = first["Datum workshop"]
    assert isinstance(held.value, datetime) and held.value.date() == ledger.today - timedelta(days=10)
    assert not any(isinstance(cell.value, str) and cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    assert isinstance(rows[-1]["Vrijwilligers"].value, int)


def test_an_export_takes_the_same_filter_as_the_page(facilitator: Facilitator, ledger: Ledger) -> None:
    woon = ledger.organisations["Woonstichting Thuis"]
    text = facilitator.http.get(f"/f/register.csv?organisation={woon}&due=overdue").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))[1:]
    assert [int(row[0]) for row in rows] == [ledger.actions["huiskamer"]]
    assert date.fromisoformat(rows[0][6]) < ledger.today


def test_a_member_who_downloads_file_after_file_waits_and_others_do_not(
    facilitator: Facilitator, other_facilitator: Facilitator, ledger: Ledger
) -> None:
    # a workbook of 3,000 actions is 2 s of CPU: one account looping over it must not take the server's cores
    paths = ("/f/register.csv", "/f/register.xlsx", f"/f/workshops/{ledger.workshops['oost']}/export/actions.csv")
    for n in range(10):
        assert facilitator.http.get(paths[n % 3]).status_code == 200, n
    refused = facilitator.http.get("/f/register.xlsx")
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert "Je downloadt te veel bestanden achter elkaar" in refused.text
    assert facilitator.http.get("/f/register").status_code == 200  # the page itself is not a download
    assert other_facilitator.http.get("/f/register.csv").status_code == 200
