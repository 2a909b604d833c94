"""The follow-up meeting and every action's due date as a calendar file."""

from datetime import timedelta
from typing import cast

from app.exports import wording
from app.exports.data import ActionRow, DecisionList
from app.i18n import N_, gettext

FOLLOWUP_LENGTH = timedelta(hours=1)
UID_DOMAIN = "doorbraak"


def _uid(decisions: DecisionList, kind: str) -> str:
    # the same meeting or action keeps its UID across downloads, so a calendar updates it instead of doubling it
    return f"{kind}-{decisions.workshop.public_id}@{UID_DOMAIN}"


def decision_list_ics(decisions: DecisionList) -> bytes:
    """An iCalendar file: the follow-up (one hour, at its place) and each due date as an all-day event."""
    # loaded on first use: a live server that never exports keeps 3 MB less (docs/performance.md)
    from icalendar import Calendar, Event

    workshop = decisions.workshop
    calendar = Calendar()
    calendar.add("prodid", "-//Doorbraak//Besluitenlijst//NL")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", workshop.title)
    if workshop.followup_at is not None:
        event = Event()
        event.add("uid", _uid(decisions, "followup"))
        event.add("dtstamp", decisions.generated_at)
        event.add("dtstart", workshop.followup_at)
        event.add("dtend", workshop.followup_at + FOLLOWUP_LENGTH)
        event.add("summary", gettext(N_("Vervolgafspraak: {title}")).format(title=workshop.title))
        event.add("description", workshop.opgave)
        if workshop.followup_place:
            event.add("location", workshop.followup_place)
        calendar.add_component(event)
    for action in decisions.actions:
        if action.due_on is None:
            continue
        event = Event()
        event.add("uid", _uid(decisions, f"action-{action.id}"))
        event.add("dtstamp", decisions.generated_at)
        event.add("dtstart", action.due_on)
        event.add("dtend", action.due_on + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
        event.add("summary", gettext(N_("Deadline: {title}")).format(title=action.title))
        event.add("description", _action_description(action, decisions))
        calendar.add_component(event)
    # icalendar leaves to_ical unannotated
    return cast(bytes, calendar.to_ical())


def _action_description(action: ActionRow, decisions: DecisionList) -> str:
    lines = [
        action.description,
        f"{gettext(N_('Eigenaar'))}: {action.owner}",
        f"{gettext(N_('Samen met'))}: {', '.join(action.partners)}" if action.partners else "",
        f"{gettext(N_('Contactpersoon'))}: {action.contact}" if action.contact else "",
        f"{gettext(N_('Status'))}: {wording.status(action)}",
        f"{gettext(N_('Vrijwilligers'))}: {wording.volunteers(action)}" if action.volunteers else "",
        f"{gettext(N_('Workshop'))}: {decisions.workshop.title}",
    ]
    return "\n".join(line for line in lines if line)
