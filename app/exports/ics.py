"""The follow-up meeting and every action's due date as a calendar file (and the events calendar feeds share)."""

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, cast

from app.exports import wording
from app.exports.data import ActionRow, DecisionList
from app.i18n import N_, gettext
from app.models import as_utc

if TYPE_CHECKING:  # loaded on first use at run time: a live server that never exports keeps 3 MB less
    from icalendar import Calendar, Event

FOLLOWUP_LENGTH = timedelta(hours=1)
UID_DOMAIN = "doorbraak"


def followup_uid(public_id: str) -> str:
    """The follow-up meeting's UID: the same in every download and feed, so a calendar updates it, never doubles it."""
    return f"followup-{public_id}@{UID_DOMAIN}"


def action_uid(public_id: str, action_id: int) -> str:
    """An action's due date's UID, stable as followup_uid."""
    return f"action-{action_id}-{public_id}@{UID_DOMAIN}"


def new_calendar(name: str, prodid: str = "-//Doorbraak//Besluitenlijst//NL") -> "Calendar":
    """An empty iCalendar with its name."""
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", prodid)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # an X- property is written as it is, unescaped: a title or workspace name of two lines broke the whole file
    calendar.add("x-wr-calname", " ".join(name.split()))
    return calendar


class FollowUp(Protocol):
    """What a follow-up meeting's event is made of: a workshop's row (models.Workshop) or the besluitenlijst's
    (data.WorkshopInfo)."""

    @property
    def public_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def opgave(self) -> str: ...
    @property
    def followup_at(self) -> datetime | None: ...
    @property
    def followup_place(self) -> str: ...
    @property
    def followup_sequence(self) -> int: ...


def followup_event(workshop: FollowUp, *, stamp: datetime) -> "Event | None":
    """The follow-up meeting of a workshop (None without one): one hour, at its place, under the same UID in every
    download, feed and mail, its SEQUENCE counting its moves, so a calendar moves the meeting it holds."""
    from icalendar import Event

    if workshop.followup_at is None:
        return None
    # SQLite hands a stored moment back without its timezone: the event says UTC wherever it was read
    at = as_utc(workshop.followup_at)
    event = Event()
    event.add("uid", followup_uid(workshop.public_id))
    event.add("dtstamp", stamp)
    event.add("sequence", workshop.followup_sequence)
    event.add("dtstart", at)
    _add_end(event, at, FOLLOWUP_LENGTH)
    event.add("summary", gettext(N_("Vervolgafspraak: {title}")).format(title=workshop.title))
    event.add("description", workshop.opgave)
    if workshop.followup_place:
        event.add("location", workshop.followup_place)
    return event


def deadline_event(
    *,
    public_id: str,
    action_id: int,
    title: str,
    description: str,
    due_on: date,
    stamp: datetime,
    sequence: int = 0,
    done: bool = False,
    cancelled: bool = False,
) -> "Event":
    """An action's due date as an all-day event that keeps the day free; cancelled for a withdrawn action."""
    from icalendar import Event

    event = Event()
    event.add("uid", action_uid(public_id, action_id))
    event.add("dtstamp", stamp)
    event.add("sequence", sequence)
    event.add("dtstart", due_on)
    _add_end(event, due_on, timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    summary = N_("Klaar: {title}") if done else N_("Deadline: {title}")
    event.add("summary", gettext(summary).format(title=title))
    event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def _add_end(event: "Event", start: date | datetime, length: timedelta) -> None:
    """The event's end as DTEND, or as DURATION where the end falls past the calendar's last day."""
    # days are bounded to 2000-2099 when typed (security.day_in_range); one stored earlier may be 9999-12-31, and a
    # feed must still answer rather than fail on the whole workspace's calendar for it
    try:
        event.add("dtend", start + length)
    except OverflowError:
        event.add("duration", length)


def calendar_bytes(calendar: "Calendar") -> bytes:
    """The calendar as the file's bytes."""
    # icalendar leaves to_ical unannotated
    return cast(bytes, calendar.to_ical())


def decision_list_ics(decisions: DecisionList) -> bytes:
    """An iCalendar file: the follow-up (one hour, at its place) and each due date as an all-day event."""
    workshop = decisions.workshop
    calendar = new_calendar(workshop.title)
    meeting = followup_event(workshop, stamp=decisions.generated_at)
    if meeting is not None:
        calendar.add_component(meeting)
    for action in decisions.actions:
        if action.due_on is None:
            continue
        calendar.add_component(
            deadline_event(
                public_id=workshop.public_id,
                action_id=action.id,
                title=action.title,
                description=_action_description(action, decisions),
                due_on=action.due_on,
                stamp=decisions.generated_at,
            )
        )
    return calendar_bytes(calendar)


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
