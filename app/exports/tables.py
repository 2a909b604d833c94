"""The besluitenlijst as tables (actions, obstacles, answers, grades, choices, progress) for CSV and XLSX."""

import re
from dataclasses import dataclass
from datetime import date, datetime

from app.exports import wording
from app.exports.data import DecisionList, local_time
from app.i18n import N_, gettext

Cell = str | int | float | date | datetime | None
# a spreadsheet reads a cell starting with one of these as a formula (the fullwidth forms too, in some locales, as
# OWASP's testing guide warns; LibreOffice Calc runs none of them, nor U+FE66 small equals or U+2212 minus, which
# are therefore left as typed: tests/exports/test_calc.py)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# our CSV separates at semicolons, but English-locale Excel splits the same line at commas, an import dialog may
# split at tabs, and a line break inside a quoted value ends the row for a reader that took the quote as text:
# after any of these a new cell starts, and the spaces and quotes before a formula do not stop it from running.
# Quoting every value does not keep a cell whole instead: Calc splitting a semicolon file at commas or tabs loses
# track of the quotes at a line break inside a cell, and then starts cells at the commas and tabs after it, in the
# rows after it too (tests/exports/test_calc.py finds formulas there with every value quoted and only each cell's
# start guarded)
_FORMULAS = "".join(re.escape(start) for start in FORMULA_STARTS)
_FIELD_STARTS = ",;\t\r\n"
_FORMULA_AT_A_FIELD_START = re.compile(f'(?:^|[{_FIELD_STARTS}])[ "]*(?=[{_FORMULAS}])')
# what neutralise has to look at, as fast checks: a risky first character, or a formula after a separator
MAY_RUN_STARTS = (*FORMULA_STARTS, " ", '"')
may_run_inside = re.compile(f'[{_FIELD_STARTS}][ "]*[{_FORMULAS}]').search


@dataclass(frozen=True)
class Table:
    """One sheet or CSV file: a name, column headers and typed rows."""

    name: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    # columns holding long text, which a spreadsheet wraps rather than widens
    wrap: tuple[int, ...] = ()


def runs_as_formula(text: str) -> bool:
    """Whether a spreadsheet cell holding this text would run as a formula: it starts with =, +, -, @, tab or CR."""
    return text.startswith(FORMULA_STARTS)


def neutralise(text: str) -> str:
    """CSV text that runs as no formula wherever a spreadsheet splits it: a quote before each such formula."""
    if text.startswith(MAY_RUN_STARTS) or may_run_inside(text):
        return _FORMULA_AT_A_FIELD_START.sub("\\g<0>'", text)
    return text


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
            (
                o.text,
                o.organisation,
                o.author,
                o.cluster,
                wording.tension(o.tension),
                wording.theme_label(o.theme),
                o.shown_votes,
                yes if o.focus else "",
            )
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
        # the theme comes last, so a sheet that reads the older columns by position still fits
        headers=_headers(
            N_("Stap"), N_("Antwoord"), N_("Naam"), N_("Organisatie"), N_("Bij obstakel"), N_("Tijdstip"), N_("Thema")
        ),
        rows=tuple(
            (
                a.step_title,
                a.text,
                a.author,
                a.organisation,
                a.obstacle,
                local_time(a.created_at).replace(tzinfo=None),
                wording.theme(a.theme) if a.theme else "",
            )
            for a in decisions.answers
        ),
        wrap=(1, 4),
    )


def grades(decisions: DecisionList) -> Table:
    """One row per grade step: its figures, its mosaic tile, and how often each grade was given."""
    weakest = {tile.step_id for tile in decisions.mosaic.tiles if tile.weakest} if decisions.mosaic else set()
    scale = range(
        min((g.low for g in decisions.grades), default=1), max((g.high for g in decisions.grades), default=0) + 1
    )
    yes = gettext(N_("ja"))
    return Table(
        name=gettext(N_("Cijfers")),
        headers=(
            *_headers(
                N_("Stap"),
                N_("Vraag"),
                N_("Bouwsteen"),
                N_("Aantal"),
                N_("Gemiddelde"),
                N_("Mediaan"),
                N_("Spreiding"),
                N_("Doel"),
                N_("Zwakste"),
            ),
            *(str(grade) for grade in scale),
        ),
        rows=tuple(
            (
                g.title,
                g.prompt,
                g.tile,
                g.count,
                g.mean,
                g.median,
                g.spread,
                g.target,
                yes if g.step_id in weakest else "",
                *({c.grade: c.count for c in g.distribution}.get(grade) for grade in scale),
            )
            for g in decisions.grades
        ),
        wrap=(1,),
    )


def choices(decisions: DecisionList) -> Table:
    """One row per option of every choice step, with how often it was picked."""
    yes = gettext(N_("ja"))
    return Table(
        name=gettext(N_("Keuzes")),
        headers=_headers(
            N_("Stap"), N_("Vraag"), N_("Nr"), N_("Keuze"), N_("Aantal"), N_("Mensen die kozen"), N_("Meer keuzes")
        ),
        rows=tuple(
            (c.title, c.prompt, o.number + 1, o.label, o.count, c.count, yes if c.multiple else "")
            for c in decisions.choices
            for o in c.options
        ),
        wrap=(1,),
    )


def progress(decisions: DecisionList) -> Table:
    """A follow-up's look back: one row per earlier action, its status then and now, and the owner's note."""
    items = decisions.review.items if decisions.review else ()
    yes = gettext(N_("ja"))
    return Table(
        name=gettext(N_("Voortgang")),
        headers=_headers(
            N_("Actie"),
            N_("Eigenaar"),
            N_("Contactpersoon"),
            N_("Deadline"),
            N_("Status was"),
            N_("Status nu"),
            N_("Bewogen"),
            N_("Toelichting"),
        ),
        rows=tuple(
            (
                i.title,
                i.owner,
                i.contact,
                i.due_on,
                wording.status_name(i.before),
                wording.review_now(i),
                yes if i.moved else "",
                i.note,
            )
            for i in items
        ),
        wrap=(0, 7),
    )
