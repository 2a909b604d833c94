"""The words the result views (grades, choices, mosaic, look back) need in the browser, in the current language."""

from typing import Any

from app.i18n import gettext as _
from app.labels import STATUS_LABELS, TENSION_LABELS, THEME_LABELS, translated


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
        "tile_facts_one": _("spreiding {spread} · 1 cijfer"),
        "weakest": _("vraagt aandacht"),
        "review_none": _("Er staan geen open afspraken op de lijst."),
        "review_unset": _("Kies op het regiescherm welke eerdere sessie we terugzien."),
        "review_summary": _("{moved} van {total} afspraken zijn in beweging gekomen."),
        "statuses": translated(STATUS_LABELS),
        "themes": translated(THEME_LABELS),
        "tensions": translated(TENSION_LABELS),
    }
