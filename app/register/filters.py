"""The register's filter read from a query string (so a view can be bookmarked and shared): the filter as a value,
and the names of its parts, are in app/actions/register_filter.py, which writes it back."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.actions.register_filter import (
    DUE_CHOICES,
    PROPOSED_CHOICES,
    SINCE_PARTS,
    SORTS,
    VOLUNTEER_CHOICES,
    Part,
    RegisterFilter,
)
from app.errors import DomainError
from app.i18n import N_, gettext
from app.labels import STATUS_LABELS, TENSION_LABELS, THEME_LABELS
from app.models import ACTION_STATUSES, MAX_ROW_ID, TENSIONS, THEMES
from app.security import clean_text

PAGE_SIZE = 50
# more than any register needs, and small enough that no offset or id overflows a database integer
PAGE_MAX = 100_000
TEXT_MAX = 200
# a filter can name this many organisations or workshops at once (a form with every box ticked stays under it)
CHOICES_MAX = 500
_NUMBER = re.compile(r"[0-9]{1,10}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _choices(values: Iterable[str]) -> str:
    """The allowed values, as an error message lists them."""
    return ", ".join(values)


@dataclass(frozen=True)
class _NamedChoices:
    """Allowed keys an error lists by their names in the language the message is shown in, each with its key
    when the name differs (the key is what the address takes): "in progress (bezig)"."""

    labels: dict[str, str]

    def __str__(self) -> str:
        named = (gettext(self.labels[key]).lower() for key in self.labels)
        return ", ".join(
            name if name == key else f"{name} ({key})" for key, name in zip(self.labels, named, strict=True)
        )


def _ids(raw: list[str], *, code: str, message: str, problems: list[DomainError]) -> tuple[int, ...]:
    """Ids given as plain decimal numbers that fit a database integer; each other value is a problem."""
    ids = []
    for value in raw:
        if not _NUMBER.fullmatch(value) or not 0 < int(value) <= MAX_ROW_ID:
            problems.append(DomainError(code, message, status=422, value=value[:40]))
        else:
            ids.append(int(value))
    return tuple(dict.fromkeys(ids))


def _keys(
    raw: list[str],
    allowed: tuple[str, ...],
    *,
    labels: dict[str, str],
    code: str,
    message: str,
    problems: list[DomainError],
) -> tuple[str, ...]:
    """The allowed keys given, in their own order; each other value is a problem."""
    for value in raw:
        if value not in allowed:
            # named when the message is shown: its text is made in the page's language, after this
            choices = _NamedChoices({key: labels[key] for key in allowed})
            problems.append(DomainError(code, message, status=422, value=value[:40], choices=choices))
    # in the order the list gives them, so one filter has one query string however it was typed
    return tuple(key for key in allowed if key in raw)


def _one(raw: list[str]) -> str:
    """A single-valued part: the last value given (a form sends each once; a hand-made link may repeat it)."""
    return raw[-1] if raw else ""


def parse_date(value: str) -> date | None:
    """A yyyy-mm-dd date that exists, or None (2026-02-30, 6-12-2026 and 20261206 are not)."""
    if not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_filter(params: Iterable[tuple[str, str]]) -> tuple[RegisterFilter, list[DomainError]]:
    """The filter a query string asks for, and what is wrong with it (each a 422 DomainError naming the value).

    Empty values count as not given (a GET form sends every field); names the register does not know are ignored.
    """
    given: dict[str, list[str]] = {}
    for name, value in params:
        value = value.strip()
        if value:
            given.setdefault(name, []).append(value)
    problems: list[DomainError] = []
    for name in (Part.ORGANISATION, Part.WORKSHOP, Part.STATUS, Part.THEME, Part.TENSION):
        if len(given.get(name, [])) > CHOICES_MAX:
            problems.append(
                DomainError(
                    "too_many_choices",
                    N_("Te veel keuzes in één filter: maximaal {limit}."),
                    status=422,
                    limit=CHOICES_MAX,
                )
            )
            given[name] = given[name][:CHOICES_MAX]
    organisations = _ids(
        given.get(Part.ORGANISATION, []),
        code="bad_organisation",
        message=N_("Kies een organisatie uit de lijst: '{value}' is geen nummer van een organisatie."),
        problems=problems,
    )
    workshops = _ids(
        given.get(Part.WORKSHOP, []),
        code="bad_workshop",
        message=N_("Kies een workshop uit de lijst: '{value}' is geen nummer van een workshop."),
        problems=problems,
    )
    statuses = _keys(
        given.get(Part.STATUS, []),
        ACTION_STATUSES,
        labels=STATUS_LABELS,
        code="bad_status",
        message=N_("Onbekende status '{value}': kies uit {choices}."),
        problems=problems,
    )
    themes = _keys(
        given.get(Part.THEME, []),
        THEMES,
        labels=THEME_LABELS,
        code="bad_theme",
        message=N_("Onbekend thema '{value}': kies uit {choices}."),
        problems=problems,
    )
    tensions = _keys(
        given.get(Part.TENSION, []),
        TENSIONS,
        labels=TENSION_LABELS,
        code="bad_tension",
        message=N_("Onbekend spanningscluster '{value}': kies uit {choices}."),
        problems=problems,
    )
    # cleaned as typed text is: a control character (PostgreSQL refuses a NUL) or an invisible one finds nothing
    text = " ".join(clean_text(_one(given.get(Part.TEXT, []))).split())
    if len(text) > TEXT_MAX:
        problems.append(
            DomainError(
                "text_too_long", N_("De zoektekst is te lang: maximaal {limit} tekens."), status=422, limit=TEXT_MAX
            )
        )
        text = text[:TEXT_MAX]
    due = _one(given.get(Part.DUE, [])) or None
    if due is not None and due not in DUE_CHOICES:
        problems.append(
            DomainError(
                "bad_due",
                N_("Onbekende keuze voor de deadline '{value}': kies uit {choices}."),
                status=422,
                value=due[:40],
                choices=_choices(DUE_CHOICES),
            )
        )
        due = None
    volunteers = _one(given.get(Part.VOLUNTEERS, [])) or None
    if volunteers is not None and volunteers not in VOLUNTEER_CHOICES:
        problems.append(
            DomainError(
                "bad_volunteers",
                N_("Onbekende keuze voor vrijwilligers '{value}': kies uit {choices}."),
                status=422,
                value=volunteers[:40],
                choices=_choices(VOLUNTEER_CHOICES),
            )
        )
        volunteers = None
    proposed = _one(given.get(Part.PROPOSED, [])) or None
    if proposed is not None and proposed not in PROPOSED_CHOICES:
        problems.append(
            DomainError(
                "bad_proposed",
                N_("Onbekende keuze voor een voorgestelde datum '{value}': kies uit {choices}."),
                status=422,
                value=proposed[:40],
                choices=_choices(PROPOSED_CHOICES),
            )
        )
        proposed = None
    since: dict[str, date | None] = {}
    for name in SINCE_PARTS:
        raw_since = _one(given.get(name, []))
        since[name] = parse_date(raw_since) if raw_since else None
        if raw_since and since[name] is None:
            problems.append(
                DomainError(
                    "bad_date",
                    N_("De datum '{value}' bestaat niet: gebruik jjjj-mm-dd, bijvoorbeeld 2026-12-06."),
                    status=422,
                    value=raw_since[:40],
                )
            )
    raw_sort = _one(given.get(Part.SORT, [])) or "due"
    sort = raw_sort.removeprefix("-")
    if sort not in SORTS:
        problems.append(
            DomainError(
                "bad_sort",
                N_("Onbekende sortering '{value}': kies uit {choices}."),
                status=422,
                value=raw_sort[:40],
                choices=_choices(SORTS),
            )
        )
        sort, raw_sort = "due", "due"
    raw_page = _one(given.get(Part.PAGE, [])) or "1"
    page = int(raw_page) if _NUMBER.fullmatch(raw_page) else 0
    if not 0 < page <= PAGE_MAX:
        problems.append(
            DomainError(
                "bad_page",
                N_("Pagina '{value}' bestaat niet: kies een nummer van 1 tot {limit}."),
                status=422,
                value=raw_page[:40],
                limit=PAGE_MAX,
            )
        )
        page = 1
    chosen = RegisterFilter(
        organisations=organisations,
        statuses=statuses,
        workshops=workshops,
        text=text,
        themes=themes,
        tensions=tensions,
        due=due,
        volunteers=volunteers,
        proposed=proposed,
        changed_since=since["changed_since"],
        agreed_since=since["agreed_since"],
        moved_since=since["moved_since"],
        sort=sort,
        descending=raw_sort.startswith("-"),
        page=page,
    )
    return chosen, problems
