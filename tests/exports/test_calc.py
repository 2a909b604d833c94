"""The CSV exports opened in a real spreadsheet, LibreOffice Calc, at the separator they were written with and at the
ones a spreadsheet may guess instead: no cell becomes a formula. Skipped where LibreOffice is not installed."""

import csv
import io
import random
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable

import pytest

from app.exports import csvfile, tables

SOFFICE = shutil.which("soffice")

pytestmark = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed: the CSV files are not opened in a spreadsheet"
)

TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
# what people type, kept exactly as typed
ORDINARY = (
    "Gemeente Heerlen, afdeling Jeugd",
    "3 - 4 keer, soms vaker",
    "Wachtlijst; zorg",
    'De "huiskamer" is open',
    "Ö. Yılmaz – wijkteam",
)
# a formula at the start of a cell, or where a spreadsheet splitting at a comma, a tab or a line break starts one;
# and the look-alikes Calc does not run (U+FE66 small equals, U+2212 minus), which are left as they are
HOSTILE = (
    '=HYPERLINK("http://evil","klik")',
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1)",
    "\uff1d1+1",
    "\ufe661+1",
    "\u22121+1",
    "x,=1+1,",
    'wachtlijst,=HYPERLINK("http://evil","klik")',
    'jeugd,"=1+1"',
    '",=1+1',
    "a\tb\t=1+1",
    "lijst:\n=1+1",
    'lijst:\r\n=HYPERLINK("http://evil","klik")',
    'x\n",=1+1',
    "a,=1+1\r\n",
    "= =1+1",
)


def plain_text(paragraph: ElementTree.Element) -> str:
    """A cell paragraph's text with its spaces, tabs and line breaks."""
    parts = [paragraph.text or ""]
    for child in paragraph:
        if child.tag == f"{TEXT}s":
            parts.append(" " * int(child.get(f"{TEXT}c", "1")))
        elif child.tag == f"{TEXT}tab":
            parts.append("\t")
        elif child.tag == f"{TEXT}line-break":
            parts.append("\n")
        else:
            parts.append(plain_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


Rows = list[list[tuple[str, str | None]]]
Calc = Callable[[bytes, str], Rows]


@pytest.fixture(scope="module")
def calc(tmp_path_factory: pytest.TempPathFactory) -> Calc:
    """Open CSV bytes in Calc split at the given separators: each row's cells as (text, formula or None)."""
    profile = tmp_path_factory.mktemp("calc-profile")
    opened = 0

    def open_in_calc(body: bytes, separators: str) -> Rows:
        nonlocal opened
        opened += 1
        folder = tmp_path_factory.mktemp(f"calc-{opened}")
        source = folder / "export.csv"
        source.write_bytes(body)
        codes = "/".join(str(ord(separator)) for separator in separators)
        # text delimiter ", UTF-8, from the first line; Calc's own defaults otherwise, which run formulas
        subprocess.run(
            [
                str(SOFFICE),
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                f"--infilter=Text - txt - csv (StarCalc):{codes},34,76,1",
                "--convert-to",
                "fods",
                "--outdir",
                str(folder),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        rows = []
        for row in ElementTree.parse(folder / "export.fods").iter(f"{TABLE}table-row"):
            cells = [
                ("\n".join(plain_text(p) for p in cell.findall(f"{TEXT}p")), cell.get(f"{TABLE}formula"))
                for cell in row
                if cell.tag == f"{TABLE}table-cell"
            ]
            while cells and cells[-1] == ("", None):
                cells.pop()
            rows.append(cells)
        return [row for row in rows if row]

    return open_in_calc


def export_of(texts: list[str]) -> bytes:
    """A table_csv of one row per text, between two plain cells."""
    rows = tuple((f"rij {n}", text, "einde") for n, text in enumerate(texts))
    return csvfile.table_csv(tables.Table(name="T", headers=("Nr", "Tekst", "Slot"), rows=rows))


def written(body: bytes) -> list[str]:
    """The text column as the file holds it, read at the semicolons it was written with."""
    _, *rows = csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";")
    # Calc keeps a line break in a cell as one
    return [row[1].replace("\r\n", "\n").replace("\r", "\n") for row in rows]


def formulas(rows: Rows) -> list[str]:
    return [formula for row in rows for _, formula in row if formula]


@pytest.mark.parametrize("separators", [";", ",", "\t", ",;"], ids=["semicolon", "comma", "tab", "comma+semicolon"])
def test_no_cell_of_a_hostile_export_is_a_formula_in_calc(calc: Calc, separators: str) -> None:
    body = export_of([*HOSTILE, *ORDINARY])
    assert formulas(calc(body, separators)) == []


def test_calc_reads_the_export_at_its_semicolons_as_written_and_ordinary_text_as_typed(calc: Calc) -> None:
    texts = [*HOSTILE, *ORDINARY]
    body = export_of(texts)
    header, *rows = calc(body, ";")
    assert [text for text, _ in header] == ["Nr", "Tekst", "Slot"]
    assert [row[1][0] for row in rows] == written(body)
    assert [row[1][0] for row in rows[len(HOSTILE) :]] == list(ORDINARY)
    assert all(row[0][0] == f"rij {n}" and row[2][0] == "einde" for n, row in enumerate(rows))


@pytest.mark.parametrize("separators", [",", "\t"], ids=["comma", "tab"])
def test_no_cell_of_thousands_of_random_mixes_of_separators_quotes_and_line_breaks_is_a_formula_in_calc(
    calc: Calc, separators: str
) -> None:
    # Calc splitting a semicolon file at commas or tabs loses track of the quotes after a line break inside a cell,
    # and then starts cells at the commas and tabs of the lines after it (in the next rows too)
    pieces = ["a", ",", ";", "\t", "\n", "\r\n", '"', " ", "=1+1", "=", 'x"', "-1", "+A1"]
    chosen = random.Random(20261207)
    texts = ["".join(chosen.choice(pieces) for _ in range(chosen.randint(1, 7))) for _ in range(1500)]
    assert formulas(calc(export_of(texts), separators)) == []
