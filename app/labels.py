"""How stored keys (action statuses, themes, tension clusters) and results read on screen, in the current language."""

from typing import Any

from app.i18n import N_, gettext

STATUS_LABELS = {"open": N_("Open"), "bezig": N_("Bezig"), "klaar": N_("Klaar"), "vastgelopen": N_("Vastgelopen")}
THEME_LABELS = {
    "wonen": N_("Wonen"),
    "werken": N_("Werken"),
    "leren": N_("Leren"),
    "veiligheid": N_("Veiligheid"),
    "gezondheid": N_("Gezondheid"),
}
TENSION_LABELS = {
    "besluitvorming": N_("Besluitvorming"),
    "besturing": N_("Besturing"),
    "beleid": N_("Beleid"),
    "operationele processen": N_("Operationele processen"),
    "informatie/beeldvorming": N_("Informatie en beeldvorming"),
    "machtskwesties": N_("Machtskwesties"),
    "financiering": N_("Financiering"),
}


def label(labels: dict[str, str], key: str | None) -> str:
    """A key's label from one of the maps above; an unknown key (from an older version) reads as itself."""
    if key is None:
        return ""
    found = labels.get(key)
    return gettext(found) if found else key


def translated(labels: dict[str, str]) -> dict[str, str]:
    """A whole map in the current language, for a page's script."""
    return {key: gettext(text) for key, text in labels.items()}


def result_messages() -> dict[str, Any]:
    """Texts for static/js/results.js and the step views, merged into a page's config messages."""
    return {
        "mean": gettext("gemiddeld"),
        "median": gettext("mediaan"),
        "spread": gettext("spreiding"),
        "count": gettext("cijfers"),
        "distribution": gettext("Hoe vaak elk cijfer is gegeven"),
        "grade_count": gettext("{n} keer een {grade}"),
        "responses": gettext("{n} keer gekozen"),
        "tile_facts": gettext("spreiding {spread} · {n} cijfers"),
        "tile_facts_one": gettext("spreiding {spread} · 1 cijfer"),
        "weakest": gettext("vraagt aandacht"),
        "review_none": gettext("Er staan geen open afspraken op de lijst."),
        "review_unset": gettext("Kies op het regiescherm welke eerdere sessie we terugzien."),
        "review_summary": gettext("{moved} van {total} afspraken zijn in beweging gekomen."),
        "review_summary_spread": gettext(
            "{moved} van {total} afspraken uit {workshops} workshops zijn in beweging gekomen."
        ),
        "review_register": gettext("Selectie uit het register ({n} afspraken)"),
        "statuses": translated(STATUS_LABELS),
        "themes": translated(THEME_LABELS),
        "tensions": translated(TENSION_LABELS),
    }
