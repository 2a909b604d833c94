"""How stored keys (roles, action statuses, themes, tension clusters, sectors) and results read on screen, in the
current language."""

from typing import Any

from app.i18n import N_, gettext

# what a workspace member may do (see models.ROLES), as a member list and an invitation say it
ROLE_LABELS = {"beheerder": N_("Beheerder"), "facilitator": N_("Facilitator"), "meekijker": N_("Meekijker")}
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

# the kinds of mail the outbox holds (OutboxMessage.kind), as the outbox page and a participant's download name them
MAIL_KIND_LABELS = {
    "confirm_address": N_("Bevestiging e-mailadres"),
    "link": N_("Persoonlijke link"),
    "action_reminder": N_("Herinnering bij een afspraak"),
    "overdue_reminder": N_("Vraag na de datum van een afspraak"),
    "followup_reminder": N_("Herinnering vervolgafspraak"),
    "digest": N_("Weekoverzicht"),
    "resubscribe": N_("Bevestiging weer aanmelden"),
}

# where a report between sessions came from (app.models.REPORT_CHANNELS), as an action's history names it
REPORT_CHANNEL_LABELS = {"mijn_afspraken": N_("Mijn afspraken"), "mail": N_("een herinneringsmail")}

# the parts of society an organisation belongs to (app.models.SECTORS)
SECTOR_LABELS = {
    "wonen": N_("Wonen"),
    "zorg en welzijn": N_("Zorg en welzijn"),
    "onderwijs": N_("Onderwijs"),
    "veiligheid": N_("Veiligheid"),
    "gemeente": N_("Gemeente"),
    "bewoners": N_("Bewoners"),
    "ondernemers": N_("Ondernemers"),
    "overig": N_("Overig"),
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
        "mosaic_one": gettext("De zwakste bouwsteen staat gemarkeerd."),
        "mosaic_many": gettext("De zwakste bouwstenen staan gemarkeerd."),
        "mosaic_none": gettext("Geen bouwsteen scoort lager dan de rest, dus er staat er geen gemarkeerd."),
        "review_none": gettext("Alle afspraken van die workshop waren de vorige keer al klaar."),
        "review_unset": gettext("Kies op het regiescherm welke eerdere workshop we terugzien."),
        "review_summary": gettext("{moved} van {total} afspraken zijn in beweging gekomen."),
        "review_summary_spread": gettext(
            "{moved} van {total} afspraken uit {workshops} workshops zijn in beweging gekomen."
        ),
        "review_register": gettext("Selectie uit het register ({n} afspraken)"),
        "review_since": gettext("Bijgewerkt sinds de vorige keer"),
        "statuses": translated(STATUS_LABELS),
        "themes": translated(THEME_LABELS),
        "tensions": translated(TENSION_LABELS),
    }
