"""Dates, times and labels as people read them in the besluitenlijst, in the current language."""

import re
import unicodedata
from datetime import date, datetime

from babel.dates import format_date, format_time

from app.exports.data import ActionRow, WorkshopInfo, local_time
from app.i18n import N_, current_locale, gettext
from app.models import LOCAL_TIMEZONE

STATUS_LABELS = {
    "open": N_("Open"),
    "bezig": N_("Bezig"),
    "klaar": N_("Klaar"),
    "vastgelopen": N_("Vastgelopen"),
}


def day(value: date | None) -> str:
    """A date written out: "22 november 2026"; empty for no date."""
    return format_date(value, format="long", locale=current_locale.get()) if value else ""


def moment(value: datetime) -> str:
    """A moment on the room's wall clock: "dinsdag 8 december 2026 om 14:00"."""
    local = local_time(value)
    return gettext(N_("{day} om {time}")).format(
        day=format_date(local.date(), format="full", locale=current_locale.get()),
        time=format_time(local, "HH:mm", tzinfo=LOCAL_TIMEZONE, locale=current_locale.get()),
    )


def followup(workshop: WorkshopInfo) -> str:
    """When and where the follow-up meeting is, or that none is set."""
    if workshop.followup_at is None:
        return gettext(N_("Nog niet vastgelegd."))
    when = moment(workshop.followup_at)
    return f"{when}, {workshop.followup_place}" if workshop.followup_place else when


def status(action: ActionRow) -> str:
    """An action's status as a label."""
    label = STATUS_LABELS.get(action.status)
    return gettext(label) if label else action.status


def volunteers(action: ActionRow) -> str:
    """The volunteers of an action in one line."""
    return ", ".join(v.label for v in action.volunteers)


def slug(text: str) -> str:
    """A file-name-safe version of a title: lower-case ASCII words joined by dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:60].rstrip("-") or "workshop"
