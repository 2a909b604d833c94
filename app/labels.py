"""How stored keys (action statuses, themes, tension clusters) read on screen, in the current language."""

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
