"""Dates, times and labels as people read them in the besluitenlijst, in the current language."""

import re
import unicodedata
from datetime import datetime

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from app.exports.data import ActionRow, WorkshopInfo, local_time
from app.exports.results import Mosaic, Review, ReviewRow
from app.i18n import N_, current_locale, date_locale, gettext, ngettext, number

# a date written out is i18n's (pages use it too); the besluitenlijst, mails and their templates read it from here
from app.i18n import day as day
from app.labels import STATUS_LABELS, TENSION_LABELS, THEME_LABELS, label
from app.models import LOCAL_TIMEZONE, local_day


def day_of(value: datetime) -> str:
    """The day a stored moment falls on, on the room's wall clock, written out: "7 december 2026"."""
    return day(local_day(value))


def moment(value: datetime) -> str:
    """A moment on the room's wall clock: "dinsdag 8 december 2026 om 14:00"."""
    local = local_time(value)
    return gettext(N_("{day} om {time}")).format(
        day=format_date(local.date(), format="full", locale=date_locale()),
        time=format_time(local, "HH:mm", tzinfo=LOCAL_TIMEZONE, locale=date_locale()),
    )


def followup(workshop: WorkshopInfo) -> str:
    """When and where the follow-up meeting is, or that none is set."""
    if workshop.followup_at is None:
        return gettext(N_("Nog niet vastgelegd."))
    when = moment(workshop.followup_at)
    return f"{when}, {workshop.followup_place}" if workshop.followup_place else when


def status(action: ActionRow) -> str:
    """An action's status as a label."""
    return status_name(action.status)


def status_name(key: str) -> str:
    """A status (open, bezig, klaar, vastgelopen) as a label."""
    return label(STATUS_LABELS, key)


def theme(key: str | None) -> str:
    """A theme as a label; no theme is "Zonder thema"."""
    if key is None:
        return gettext(N_("Zonder thema"))
    return label(THEME_LABELS, key)


def theme_label(key: str | None) -> str:
    """A pile's theme as a label; empty for none."""
    return label(THEME_LABELS, key)


def tension(key: str | None) -> str:
    """A tension cluster as a label; empty for none."""
    return label(TENSION_LABELS, key)


def figure(value: float | None, *, decimals: int = 2) -> str:
    """A mean, median or spread as people write it here: "7,0", "0,82"; a dash when there is none."""
    if value is None:
        return "–"
    # one decimal always, so a mean of 7 reads as the average it is; more only where they say something
    return format_decimal(value, format="#,##0.0" + "#" * (decimals - 1), locale=current_locale.get())


def grade_count(n: int) -> str:
    """How many grades a figure rests on: "3 cijfers"."""
    return ngettext("{n} cijfer", "{n} cijfers", n).format(n=number(n))


def chooser_count(n: int) -> str:
    """How many people answered a choice: "4 mensen kozen"."""
    return ngettext("{n} persoon koos", "{n} mensen kozen", n).format(n=number(n))


def grade_figures(mean: float | None, median: float | None, spread: float | None, count: int) -> str:
    """A grade step's figures in one line."""
    return gettext(N_("gemiddeld {mean} · {details}")).format(
        mean=figure(mean), details=grade_details(median, spread, count)
    )


def grade_details(median: float | None, spread: float | None, count: int) -> str:
    """A grade step's figures besides its mean."""
    return gettext(N_("mediaan {median} · spreiding {spread} · {count}")).format(
        median=figure(median, decimals=1), spread=figure(spread), count=grade_count(count)
    )


def mosaic_legend(mosaic: Mosaic) -> str:
    """What the tiles show, and the grade the network aims for when every block has the same."""
    legend = gettext(N_("Het gemiddelde cijfer per bouwsteen, met de spreiding en het aantal cijfers."))
    targets = {tile.target for tile in mosaic.tiles}
    if len(targets) == 1 and None not in targets:
        legend += " " + gettext(N_("We mikken op een {target}.")).format(target=figure(targets.pop(), decimals=1))
    return legend


def review_source(review: Review) -> str:
    """Which earlier session a follow-up looks back on, or that it reviews a selection from the register."""
    if review.source == "register":
        return ngettext(
            "Een selectie uit het register: afspraken uit {n} workshop.",
            "Een selectie uit het register: afspraken uit {n} workshops.",
            review.workshops,
        ).format(n=review.workshops)
    if review.workshop_id is None:
        return gettext(N_("Er is nog geen eerdere workshop gekozen om op terug te kijken."))
    return gettext(N_("Afspraken uit “{title}” van {day}.")).format(title=review.title, day=day(review.held_on))


def review_summary(review: Review) -> str:
    """How many of the reviewed actions moved."""
    return gettext(N_("{moved} van {total} afspraken zijn in beweging gekomen.")).format(
        moved=number(review.moved), total=number(len(review.items))
    )


def review_now(item: ReviewRow) -> str:
    """An action's status as reported in the follow-up or moved to since the room last looked, or that nobody
    reported on it."""
    return status_name(item.status) if item.reported or item.moved else gettext(N_("geen melding"))


def volunteers(action: ActionRow) -> str:
    """The volunteers of an action in one line."""
    return ", ".join(v.label for v in action.volunteers)


def slug(text: str) -> str:
    """A file-name-safe version of a title: lower-case ASCII words joined by dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:60].rstrip("-") or "workshop"
