"""The register's filter as a value and as its address's query string, with the name of each part: the register reads
it (app/register/filters.py), a digest's links write it (app/notify); one set of names for both."""

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode


class Part(StrEnum):
    """The name each part of the filter takes in the register's address."""

    ORGANISATION = "organisation"
    STATUS = "status"
    WORKSHOP = "workshop"
    TEXT = "q"
    THEME = "theme"
    TENSION = "tension"
    DUE = "due"
    VOLUNTEERS = "volunteers"
    PROPOSED = "proposed"
    CHANGED_SINCE = "changed_since"
    AGREED_SINCE = "agreed_since"
    MOVED_SINCE = "moved_since"
    SORT = "sort"
    PAGE = "page"


DUE_CHOICES = ("overdue", "week", "month", "none")
VOLUNTEER_CHOICES = ("yes", "no")
# "yes": only actions whose owner proposed a new due date the office has not decided on
PROPOSED_CHOICES = ("yes",)
SORTS = ("due", "status", "organisation", "changed")
# the parts that take a day, each meaning "on or after its start on the Dutch clock"; each is named as its field
SINCE_PARTS = (Part.CHANGED_SINCE, Part.AGREED_SINCE, Part.MOVED_SINCE)


@dataclass(frozen=True)
class RegisterFilter:
    """What the register shows: every part narrows the list, parts combine, and nothing set means everything."""

    organisations: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    workshops: tuple[int, ...] = ()
    text: str = ""
    themes: tuple[str, ...] = ()
    tensions: tuple[str, ...] = ()
    due: str | None = None
    volunteers: str | None = None
    proposed: str | None = None
    changed_since: date | None = None
    # agreed, or given another due date, on or after this day (what a weekly digest's "new" and "moved" link to)
    agreed_since: date | None = None
    moved_since: date | None = None
    sort: str = "due"
    descending: bool = False
    page: int = 1

    @property
    def sort_key(self) -> str:
        """The sort as the query string writes it: "due", or "-due" for descending."""
        return f"-{self.sort}" if self.descending else self.sort

    def is_empty(self) -> bool:
        """Whether nothing narrows the list (sorting and paging aside)."""
        return replace(self, sort="due", descending=False, page=1) == RegisterFilter()

    def query(self, **changes: Any) -> str:
        """The query string of this filter with some parts changed (page back to 1 unless given), without "?"."""
        changed = replace(self, **{"page": 1, **changes})
        pairs: list[tuple[str, str]] = []
        pairs += [(Part.ORGANISATION, str(i)) for i in changed.organisations]
        pairs += [(Part.STATUS, s) for s in changed.statuses]
        pairs += [(Part.WORKSHOP, str(i)) for i in changed.workshops]
        if changed.text:
            pairs.append((Part.TEXT, changed.text))
        pairs += [(Part.THEME, t) for t in changed.themes]
        pairs += [(Part.TENSION, t) for t in changed.tensions]
        if changed.due:
            pairs.append((Part.DUE, changed.due))
        if changed.volunteers:
            pairs.append((Part.VOLUNTEERS, changed.volunteers))
        if changed.proposed:
            pairs.append((Part.PROPOSED, changed.proposed))
        pairs += [(name, day.isoformat()) for name in SINCE_PARTS if (day := getattr(changed, name)) is not None]
        if changed.sort_key != "due":
            pairs.append((Part.SORT, changed.sort_key))
        if changed.page != 1:
            pairs.append((Part.PAGE, str(changed.page)))
        return urlencode(pairs)

    def toggled(self, name: str, value: Any) -> str:
        """The query string with one choice of a part switched on or off (a quick link, a status count)."""
        current = getattr(self, name)
        if isinstance(current, tuple):
            return self.query(**{name: tuple(v for v in current if v != value) if value in current else (value,)})
        return self.query(**{name: None if current == value else value})
