"""CSV files that Dutch-locale Excel opens as they are: semicolons, UTF-8 with a BOM, CRLF line ends."""

import csv
import io
from datetime import date, datetime

from app.exports import tables
from app.exports.data import DecisionList
from app.exports.tables import Cell, Table


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        # "2026-12-06 14:00": the wall-clock fields as given, without an offset (a third of strftime's time)
        return value.isoformat(" ", "minutes")[:16]
    if isinstance(value, date):
        return value.isoformat()
    return tables.neutralise(str(value))


def table_csv(table: Table) -> bytes:
    """A table as CSV; the csv module quotes every value that holds a separator, quote or line break."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([_text(h) for h in table.headers])
    starts, inside, neutralise = tables.MAY_RUN_STARTS, tables.may_run_inside, tables.neutralise
    # a register's export writes a hundred thousand cells: text (most of them) is checked here rather than through
    # two calls, and the csv module writes None as "" and a date as its isoformat by itself
    writer.writerows(
        [
            (neutralise(c) if c.startswith(starts) or inside(c) else c)
            if type(c) is str
            else c
            if c is None or type(c) is date
            else _text(c)
            for c in row
        ]
        for row in table.rows
    )
    # the BOM tells Excel the file is UTF-8; without it "ë" turns into "Ã«"
    return buffer.getvalue().encode("utf-8-sig")


def actions_csv(decisions: DecisionList) -> bytes:
    """The agreed actions as CSV."""
    return table_csv(tables.actions(decisions))


def answers_csv(decisions: DecisionList) -> bytes:
    """Every visible answer as CSV."""
    return table_csv(tables.answers(decisions))
