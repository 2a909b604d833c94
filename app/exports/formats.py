"""Every downloadable file: its name in the URL, its media type and the function that writes it."""

from collections.abc import Callable
from dataclasses import dataclass

from app.exports import csvfile, ics, markdown, wording
from app.exports.data import DecisionList, WorkshopInfo
from app.i18n import N_, gettext


# the PDF and spreadsheet libraries (fpdf2 with fontTools, openpyxl) weigh about 28 MB: each server
# process loads them with its first such download, not at start-up
def _pdf(decisions: DecisionList) -> bytes:
    from app.exports import pdf

    return pdf.decision_list_pdf(decisions)


def _xlsx(decisions: DecisionList) -> bytes:
    from app.exports import xlsx

    return xlsx.decision_list_xlsx(decisions)


@dataclass(frozen=True)
class ExportFormat:
    """One kind of file a facilitator can download."""

    key: str
    media_type: str
    # the first word of the file name, before the title and the date
    stem: str
    label: str
    render: Callable[[DecisionList], bytes]

    @property
    def extension(self) -> str:
        """The file name's extension, without its dot."""
        return self.key.rsplit(".", 1)[1]

    def filename(self, workshop: WorkshopInfo) -> str:
        """The download's file name: what it is, the workshop's title and its date."""
        stem, title = wording.slug(gettext(self.stem)), wording.slug(workshop.title)
        return f"{stem}-{title}-{workshop.held_on.isoformat()}.{self.extension}"


EXPORTS = {
    f.key: f
    for f in (
        ExportFormat("besluitenlijst.pdf", "application/pdf", N_("besluitenlijst"), N_("PDF"), _pdf),
        ExportFormat(
            "besluitenlijst.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            N_("besluitenlijst"),
            N_("Excel"),
            _xlsx,
        ),
        ExportFormat("actions.csv", "text/csv; charset=utf-8", N_("acties"), N_("Acties (CSV)"), csvfile.actions_csv),
        ExportFormat(
            "answers.csv", "text/csv; charset=utf-8", N_("antwoorden"), N_("Alle antwoorden (CSV)"), csvfile.answers_csv
        ),
        ExportFormat(
            "agenda.ics", "text/calendar; charset=utf-8", N_("agenda"), N_("Agenda (ICS)"), ics.decision_list_ics
        ),
        ExportFormat(
            "besluitenlijst.md",
            "text/markdown; charset=utf-8",
            N_("besluitenlijst"),
            N_("Markdown"),
            markdown.decision_list_md,
        ),
    )
}


# `doorbraak export --format F`; CSV needs `--what` too, as there are two CSV files
COMMAND_LINE_FORMATS = {
    "pdf": "besluitenlijst.pdf",
    "xlsx": "besluitenlijst.xlsx",
    "ics": "agenda.ics",
    "md": "besluitenlijst.md",
}
CSV_CONTENTS = ("actions", "answers")


def for_command_line(file_format: str, what: str = "actions") -> ExportFormat:
    """The export `doorbraak export --format F --what W` means; ValueError for one that does not exist."""
    key = f"{what}.csv" if file_format == "csv" and what in CSV_CONTENTS else COMMAND_LINE_FORMATS.get(file_format)
    if key is None:
        raise ValueError(file_format)
    return EXPORTS[key]
