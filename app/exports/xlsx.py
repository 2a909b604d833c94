"""The besluitenlijst as an Excel workbook: actions, volunteers, obstacles, contributions, and per format more."""

import io
from collections.abc import Callable
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.exports import tables
from app.exports.data import DecisionList
from app.exports.tables import Cell, Table

DATE_FORMAT = "dd-mm-yyyy"
DATETIME_FORMAT = "dd-mm-yyyy hh:mm"
# a mean of 7 shows as "7.0" (or "7,0" in Dutch Excel), a spread as "0.82"
DECIMAL_FORMAT = "0.0#"
MIN_WIDTH, MAX_WIDTH, WRAP_WIDTH = 8, 60, 45


def _value(value: Cell) -> Cell:
    if isinstance(value, str):
        # openpyxl refuses control characters; text that reads as a formula is kept as typed and written as a
        # text cell with Excel's quote prefix in _write_sheet (CSV has no cell styles and neutralises instead)
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _width(value: Cell) -> int:
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    text = "" if value is None else str(value)
    return max((len(line) for line in text.split("\n")), default=0)


def _write_sheet(sheet: Worksheet, table: Table) -> None:
    sheet.title = table.name[:31]
    sheet.append([_value(h) for h in table.headers])
    for row in table.rows:
        sheet.append([_value(cell) for cell in row])
    bold = Font(bold=True)
    wrapped = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for index, header in enumerate(table.headers, start=1):
        sheet.cell(row=1, column=index).font = bold
        cells = [row[index - 1] for row in table.rows]
        wide = max([_width(header) + 2, *(_width(c) + 2 for c in cells)])
        limit = WRAP_WIDTH if index - 1 in table.wrap else MAX_WIDTH
        sheet.column_dimensions[get_column_letter(index)].width = max(MIN_WIDTH, min(wide, limit))
    for sheet_row in sheet.iter_rows(min_row=2):
        for column_index, cell in enumerate(sheet_row):
            cell.alignment = wrapped if column_index in table.wrap else top
            if isinstance(cell.value, str):
                # stays text, even for an answer like "#N/A" that openpyxl would read as an error value, or
                # "=1+1" that it would write as a formula
                cell.data_type = "s"
                if tables.runs_as_formula(cell.value):
                    # what Excel sets when someone types '=1+1: shown as typed, kept as text when edited
                    cell.quotePrefix = True
            if isinstance(cell.value, datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
            elif isinstance(cell.value, float):
                cell.number_format = DECIMAL_FORMAT
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = sheet.dimensions


def _sheets(decisions: DecisionList) -> list[Callable[[DecisionList], Table]]:
    """The four sheets every workbook has, then those for the steps this workshop's format has."""
    sheets: list[Callable[[DecisionList], Table]] = [
        tables.actions,
        tables.volunteers,
        tables.obstacles,
        tables.contributions,
    ]
    if decisions.questions:
        # the obstacle and contribution sheets leave these answers out
        sheets.append(tables.answers)
    if decisions.grades:
        sheets.append(tables.grades)
    if decisions.choices:
        sheets.append(tables.choices)
    if decisions.review is not None:
        sheets.append(tables.progress)
    return sheets


def tables_xlsx(sheets: list[Table], *, title: str) -> bytes:
    """A workbook with one sheet per table: bold frozen headers, typed dates and numbers, no formulas."""
    workbook = Workbook()
    for index, table in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        assert isinstance(sheet, Worksheet)
        _write_sheet(sheet, table)
    workbook.properties.title = ILLEGAL_CHARACTERS_RE.sub("", title)
    workbook.properties.creator = "Doorbraak"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def decision_list_xlsx(decisions: DecisionList) -> bytes:
    """The workbook: actions, volunteers, obstacles, contributions, and answers, grades, choices or progress."""
    return tables_xlsx([build(decisions) for build in _sheets(decisions)], title=decisions.workshop.title)
