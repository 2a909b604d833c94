"""The besluitenlijst as tables (actions, volunteers, obstacles, contributions, answers) for CSV and XLSX."""

from dataclasses import dataclass
from datetime import date, datetime

from app.exports import wording
from app.exports.data import DecisionList, local_time
from app.i18n import N_, gettext

Cell = str | int | date | datetime | None
# a spreadsheet reads a cell starting with one of these as a formula (the fullwidth forms too, in some locales)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@dataclass(frozen=True)
class Table:
    """One sheet or CSV file: a name, column headers and typed rows."""

    name: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    # columns holding long text, which a spreadsheet wraps rather than widens
    wrap: tuple[int, ...] = ()


def neutralise(text: str) -> str:
    """Text that cannot run as a formula: a leading =, +, -, @, tab or CR gets a single quote before it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _headers(*texts: str) -> tuple[str, ...]:
    return tuple(gettext(text) for text in texts)


def actions(decisions: DecisionList) -> Table:
    """One row per agreed action, numbered as in the besluitenlijst."""
    return Table(
        name=gettext(N_("Acties")),
        headers=_headers(
            N_("Nr"),
            N_("Actie"),
            N_("Omschrijving"),
            N_("Eigenaar"),
            N_("Samen met"),
            N_("Contactpersoon"),
            N_("Deadline"),
            N_("Status"),
            N_("Obstakel"),
            N_("Vrijwilligers"),
        ),
        rows=tuple(
            (
                number,
                a.title,
                a.description,
                a.owner,
                ", ".join(a.partners),
                a.contact,
                a.due_on,
                wording.status(a),
                a.obstacle,
                wording.volunteers(a),
            )
            for number, a in enumerate(decisions.actions, start=1)
        ),
        wrap=(1, 2, 8, 9),
    )


def volunteers(decisions: DecisionList) -> Table:
    """One row per raised hand."""
    return Table(
        name=gettext(N_("Vrijwilligers")),
        headers=_headers(N_("Actie nr"), N_("Actie"), N_("Naam"), N_("Organisatie")),
        rows=tuple(
            (number, a.title, v.name, v.organisation)
            for number, a in enumerate(decisions.actions, start=1)
            for v in a.volunteers
        ),
        wrap=(1,),
    )


def obstacles(decisions: DecisionList) -> Table:
    """One row per obstacle, most votes first."""
    yes = gettext(N_("ja"))
    return Table(
        name=gettext(N_("Obstakels")),
        headers=_headers(
            N_("Obstakel"),
            N_("Organisatie"),
            N_("Naam"),
            N_("Cluster"),
            N_("Spanning"),
            N_("Thema"),
            N_("Stemmen"),
            N_("Focus"),
        ),
        rows=tuple(
            (o.text, o.organisation, o.author, o.cluster, o.tension, o.theme, o.votes, yes if o.focus else "")
            for o in decisions.obstacles
        ),
        wrap=(0, 3),
    )


def contributions(decisions: DecisionList) -> Table:
    """One row per contribution, grouped by organisation."""
    return Table(
        name=gettext(N_("Bijdragen")),
        headers=_headers(N_("Organisatie"), N_("Bijdrage"), N_("Naam"), N_("Bij obstakel")),
        rows=tuple(
            (c.organisation, c.text, c.author, c.obstacle)
            for group in decisions.contributions
            for c in group.contributions
        ),
        wrap=(1, 3),
    )


def answers(decisions: DecisionList) -> Table:
    """Every visible answer of the session, oldest first."""
    return Table(
        name=gettext(N_("Antwoorden")),
        headers=_headers(N_("Stap"), N_("Antwoord"), N_("Naam"), N_("Organisatie"), N_("Bij obstakel"), N_("Tijdstip")),
        rows=tuple(
            (a.step_title, a.text, a.author, a.organisation, a.obstacle, local_time(a.created_at).replace(tzinfo=None))
            for a in decisions.answers
        ),
        wrap=(1, 4),
    )
