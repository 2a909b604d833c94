"""`doorbraak export`: by id or join code, to a file, a folder or standard output."""

from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from app import cli
from app.models import Workshop
from app.store.database import Database
from tests.exports.conftest import INJECTION, TITLE, Filled


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, database: Database, tmp_path: Path) -> None:
    """The command reads the test database from the environment, as an operator's shell would set it."""
    monkeypatch.setenv("DOORBRAAK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DOORBRAAK_DATABASE_URL", database.url)


def join_code(database: Database, filled: Filled) -> str:
    return database.read_sync(lambda db: db.get(Workshop, filled.workshop_id).join_code)  # type: ignore[union-attr]


def test_export_by_id_and_by_join_code(
    environment: None, database: Database, filled: Filled, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xlsx_file = tmp_path / "lijst.xlsx"
    cli.main(["export", str(filled.workshop_id), "--format", "xlsx", "--output", str(xlsx_file)])
    assert f"wrote {xlsx_file}" in capsys.readouterr().out
    workbook = openpyxl.load_workbook(xlsx_file)
    cell = workbook["Acties"]["B3"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (INJECTION, "s", True)

    code = join_code(database, filled)
    pdf_file = tmp_path / "lijst.pdf"
    cli.main(["export", f"{code[:3]} {code[3:]}".lower(), "--format", "pdf", "--output", str(pdf_file)])
    assert TITLE in " ".join(PdfReader(pdf_file).pages[0].extract_text().split())


def test_export_answers_csv_to_standard_output(
    environment: None, filled: Filled, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    cli.main(["export", str(filled.workshop_id), "--format", "csv", "--what", "answers", "--output", "-"])
    out = capsysbinary.readouterr().out
    assert out.startswith(b"\xef\xbb\xbfStap;Antwoord;")
    assert "Ik help mee 🤝".encode() in out


def test_export_into_a_folder_uses_the_download_name(environment: None, filled: Filled, tmp_path: Path) -> None:
    folder = tmp_path / "uit"
    folder.mkdir()
    for file_format in ("csv", "ics", "md"):
        cli.main(["export", str(filled.workshop_id), "--format", file_format, "--output", str(folder)])
    names = sorted(p.name for p in folder.iterdir())
    base = "jeugdoverlast-noord-ee-en-ijsselmeer-2026-11-22"
    assert names == [f"acties-{base}.csv", f"agenda-{base}.ics", f"besluitenlijst-{base}.md"]
    assert (folder / f"besluitenlijst-{base}.md").read_text(encoding="utf-8").startswith(f"# Besluitenlijst: {TITLE}")


def test_export_refuses_an_unknown_workshop_or_format(environment: None, filled: Filled, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no workshop with id or join code 'ZZZZZZ'"):
        cli.main(["export", "ZZZZZZ", "--format", "pdf", "--output", str(tmp_path / "x.pdf")])
    with pytest.raises(SystemExit, match="no workshop"):
        cli.main(["export", "999", "--format", "pdf", "--output", str(tmp_path / "x.pdf")])
    with pytest.raises(SystemExit, match="unknown format 'docx'"):
        cli.main(["export", str(filled.workshop_id), "--format", "docx"])
    with pytest.raises(SystemExit, match="unknown format"):
        cli.main(["export", str(filled.workshop_id), "--format", "csv", "--what", "stemmen"])
    assert not list(tmp_path.glob("x.*"))
