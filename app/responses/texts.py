"""The words the result views (grades, choices, mosaic, look back) need in the browser, in the current language."""

from typing import Any

from app.i18n import N_
from app.i18n import gettext as _
from app.models import ACTION_STATUSES, THEMES

STATUS_LABELS = {"open": N_("open"), "bezig": N_("bezig"), "klaar": N_("klaar"), "vastgelopen": N_("vastgelopen")}
THEME_LABELS = {
    "wonen": N_("Wonen"),
    "werken": N_("Werken"),
    "leren": N_("Leren"),
    "veiligheid": N_("Veiligheid"),
    "gezondheid": N_("Gezondheid"),
}


def result_messages() -> dict[str, Any]:
    """Texts for static/js/results.js and the step views, merged into a page's config messages."""
    return {
        "mean": _("gemiddeld"),
        "median": _("mediaan"),
        "spread": _("spreiding"),
        "count": _("cijfers"),
        "distribution": _("Hoe vaak elk cijfer is gegeven"),
        "grade_count": _("{n} keer een {grade}"),
        "responses": _("{n} keer gekozen"),
        "tile_facts": _("spreiding {spread} · {n} cijfers"),
        "weakest": _("vraagt aandacht"),
        "review_none": _("Er staan geen open afspraken op de lijst."),
        "review_unset": _("Kies op het regiescherm welke eerdere sessie we terugzien."),
        "review_summary": _("{moved} van {total} afspraken zijn in beweging gekomen."),
        "statuses": {status: _(STATUS_LABELS[status]) for status in ACTION_STATUSES},
        "themes": {theme: _(THEME_LABELS[theme]) for theme in THEMES},
    }
