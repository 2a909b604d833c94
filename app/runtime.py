"""What the running app holds for its routes: settings, database, rate limits; and typed dependencies for routes."""

import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from math import ceil
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Request
from limits import RateLimitItem
from starlette.requests import HTTPConnection

from app.config import Settings
from app.errors import DomainError
from app.holed import HoledPage
from app.i18n import N_
from app.store.database import Database
from app.throttle import Throttle, rules

K = TypeVar("K")
V = TypeVar("V")
# how long the join page's list of organisations is reused: a name typed a moment ago may show a few seconds late
JOIN_LIST_SECONDS = 5.0


class ShortCache(Generic[K, V]):
    """Values kept for a few seconds, a bounded number of them: a read a join storm makes a thousand times runs once."""

    def __init__(self, *, seconds: float, max_keys: int = 1_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.max_keys = max_keys
        self.clock = clock
        self._values: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value kept for this key, unless it is older than the period or there is none."""
        found = self._values.get(key)
        if found is None or self.clock() - found[0] > self.seconds:
            return None
        return found[1]

    def put(self, key: K, value: V) -> None:
        """Keep a value from now on; the oldest key goes when there are too many."""
        self._values.pop(key, None)
        self._values[key] = (self.clock(), value)
        while len(self._values) > self.max_keys:
            self._values.popitem(last=False)


@dataclass(frozen=True, slots=True)
class JoinList:
    """The organisations a join page offers: as the page lists them, and as JSON for its script, plain and gzipped."""

    choices: list[dict[str, Any]]
    body: bytes
    gzipped: bytes


@dataclass(frozen=True, slots=True)
class PageKey:
    """What a page kept in Runtime.pages was rendered from: template, workshop, language, the address as typed (the
    language switch links back to it), and the workshop's fields the page shows, so that a change shows at once."""

    template: str
    workshop_id: int
    language: str
    path: str
    shown: tuple[Any, ...]


@dataclass
class Runtime:
    """The long-lived parts of one app instance that routes use (the live hub is app.state.hub: see app/main.py)."""

    settings: Settings
    db: Database
    secret_key: str
    # every rate limit, counted in this process or, with DOORBRAAK_BROADCAST_URL, in Redis for all workers
    throttle: Throttle = field(init=False)
    limits: "Limits" = field(init=False)
    # the organisations a join page offers, by workshop id (see JOIN_LIST_SECONDS)
    join_lists: ShortCache[int, JoinList] = field(init=False)
    # the pages of a join storm (join page, phone page), rendered and gzipped around each phone's own parts once per
    # few seconds (app/holed.py); what they show besides the workshop's own fields may be as late as the join list
    pages: ShortCache[PageKey, HoledPage] = field(init=False)

    def __post_init__(self) -> None:
        self.throttle = Throttle(self.settings.broadcast_url, prefix=self.settings.redis_channel_prefix)
        self.limits = Limits.from_settings(self.settings)
        self.join_lists = ShortCache(seconds=JOIN_LIST_SECONDS)
        self.pages = ShortCache(seconds=JOIN_LIST_SECONDS)

    async def code_refusal(self, connection: HTTPConnection) -> DomainError | None:
        """A 429 for an address that tried too many unknown codes: asked before a code is looked up, so that the
        answer to a guess says nothing about the code while the address is held back."""
        wait = await self.throttle.check(self.limits.unknown_codes, client_address(connection))
        return _too_many_codes(wait) if wait else None

    async def unknown_code(self, connection: HTTPConnection) -> DomainError:
        """Count an unknown join code against its address (every route that takes a code); the error to answer."""
        wait = await self.throttle.hit(self.limits.unknown_codes, client_address(connection))
        if wait:
            return _too_many_codes(wait)
        return DomainError("unknown_code", N_("Deze code kennen we niet. Kijk nog eens op het scherm."), status=404)

    async def phone_refused(self, connection: HTTPConnection, *, code_known: bool) -> DomainError:
        """Why a phone's request that names a join code but no participant of it is refused; an unknown code counts."""
        refusal = await self.code_refusal(connection)
        if refusal is not None:
            return refusal
        if not code_known:
            return await self.unknown_code(connection)
        return DomainError("not_a_participant", N_("Meld je eerst aan voor deze workshop."), status=403)

    async def unknown_link(self, connection: HTTPConnection) -> DomainError | None:
        """Count a secret link that names nothing (errors.UnknownLink) against its address, by the rule of unknown
        codes; the 429 to answer instead of its 404 once the address tried too many, else None."""
        # only misses count, and a real link is never refused: calendars and mail providers fetch from addresses
        # that thousands of people share. A tally apart from join codes': a venue's mistyped codes leave links alone
        wait = await self.throttle.hit(self.limits.unknown_codes, "link", client_address(connection))
        if not wait:
            return None
        return _must_wait("too_many_links", N_("Te veel onbekende links geprobeerd. Wacht {seconds} seconden."), wait)

    async def check_join(self, connection: HTTPConnection, workshop_id: int) -> None:
        """Refuse a new phone when its address, or its workshop, has taken in too many phones just now."""
        # a phone its address may not bring in does not take one of the workshop's places
        wait = await self.throttle.hit(self.limits.joins_per_address, "join", client_address(connection))
        if not wait:
            wait = await self.throttle.hit(self.limits.joins_per_workshop, "join", str(workshop_id))
        if wait:
            message = N_("Er melden zich nu veel telefoons tegelijk aan. Probeer het over {seconds} seconden opnieuw.")
            raise _must_wait("too_many_joins", message, wait)

    async def check_answer_rate(self, phone: "PhoneKeys") -> None:
        """Refuse an answer from a phone, or from all phones at its address in its workshop, sending too fast."""
        # an answer its phone may not send does not use up the allowance of the others at its address
        wait = await self.throttle.hit(self.limits.answers_per_phone, "answer", phone.participant)
        if not wait:
            wait = await self.throttle.hit(self.limits.answers_per_address, "answers", *phone.address)
        if wait:
            raise _answering_too_fast(wait)

    def check_answer_rate_now(self, phone: "PhoneKeys") -> bool:
        """check_answer_rate at once where the limits are counted in memory (True); False where it must be awaited."""
        wait = self.throttle.hit_now(self.limits.answers_per_phone, "answer", phone.participant)
        if wait is None:
            return False
        if not wait:
            wait = self.throttle.hit_now(self.limits.answers_per_address, "answers", *phone.address) or 0.0
        if wait:
            raise _answering_too_fast(wait)
        return True

    async def check_tap_rate(self, phone: "PhoneKeys") -> None:
        """Refuse a tap (dots, a hand, a grade, a report) from a phone, or its address in its workshop, too fast."""
        wait = await self.throttle.hit(self.limits.taps_per_phone, "tap", phone.participant)
        if not wait:
            wait = await self.throttle.hit(self.limits.taps_per_address, "taps", *phone.address)
        if wait:
            raise _tapping_too_fast()

    async def check_projector_rate(self, workshop_id: int) -> None:
        """Refuse a projector's pause or restart of its pages when its workshop's projectors press as fast as a
        phone may tap: each is a write and an event to the room's board and projectors."""
        wait = await self.throttle.hit(self.limits.taps_per_phone, "projector", str(workshop_id))
        if wait:
            raise _tapping_too_fast()

    def check_projector_rate_now(self, workshop_id: int) -> bool:
        """check_projector_rate at once where the limits are in memory (True); False where it must be awaited."""
        wait = self.throttle.hit_now(self.limits.taps_per_phone, "projector", str(workshop_id))
        if wait is None:
            return False
        if wait:
            raise _tapping_too_fast()
        return True

    async def check_refresh_rate(self, phone: "PhoneKeys") -> None:
        """Refuse a phone's ask for a fresh snapshot (a refresh, or a connection, which begins with one) when it asks
        as often as a phone may tap: each is a database read of the whole room, and a phone asks when the room
        changes or its network comes back, not in a loop."""
        # the phone's own allowance only: two thousand phones behind one school's address all ask at a step change
        wait = await self.throttle.hit(self.limits.taps_per_phone, "refresh", phone.participant)
        if wait:
            raise _answering_too_fast(wait)

    async def check_mail_address_rate(self, connection: HTTPConnection, participant_id: int) -> None:
        """Refuse an address given on Mijn afspraken too often, by one participant or from one address: each new one
        gets a mail, and anyone who joined could otherwise have the server mail any address they type."""
        # counted only where both allowances have room: a try one of them refuses uses up neither
        keys = (("mail-link", str(participant_id)), ("mail", client_address(connection)))
        rules = (self.limits.mail_addresses_per_link, self.limits.mail_addresses_per_address)
        wait = max([await self.throttle.check(rule, *key) for rule, key in zip(rules, keys, strict=True)])
        if not wait:
            wait = max([await self.throttle.hit(rule, *key) for rule, key in zip(rules, keys, strict=True)])
        if wait:
            message = N_("Je hebt vaak een e-mailadres opgegeven. Wacht {minutes} minuten en probeer het opnieuw.")
            raise DomainError(
                "too_many_addresses", message, status=429, minutes=ceil(wait / 60), retry_after=ceil(wait)
            )

    async def check_change_rate(self, kind: str, participant_id: int | str, message: str) -> None:
        """Refuse a report or a new calendar link from Mijn afspraken when its participant made many just now: each
        adds a row (to an action's history, to the feeds), and no other rule bounds a personal link's writes."""
        wait = await self.throttle.hit(self.limits.changes_per_link, kind, str(participant_id))
        if wait:
            raise DomainError("too_many_changes", message, status=429, minutes=ceil(wait / 60), retry_after=ceil(wait))

    async def check_new_account_rate(self, connection: HTTPConnection) -> None:
        """Refuse a new account's password from an address whose passwords were refused as often as wrong ones may
        be tried: judging one takes zxcvbn up to seconds, and an invitation stays open while its account is refused.
        (Accounts made count against no one: thirty colleagues in one office may take their invitations at once.)"""
        wait = await self.throttle.check(self.limits.sign_ins_per_address, "new-account", client_address(connection))
        if wait:
            message = N_("Te veel pogingen. Wacht {minutes} minuten en probeer het opnieuw.")
            raise DomainError("too_many_attempts", message, status=429, minutes=ceil(wait / 60))

    async def count_refused_new_account(self, connection: HTTPConnection) -> None:
        """Count a new account's password refused as too weak (check_new_account_rate)."""
        await self.throttle.hit(self.limits.sign_ins_per_address, "new-account", client_address(connection))

    async def check_suggestion_rate(self, member_id: int) -> None:
        """Refuse a facilitator's ask for suggested piles when they asked too often just now: each run costs CPU."""
        message = N_("Je vraagt te vaak om voorstellen. Probeer het over {seconds} seconden opnieuw.")
        await self._check_member_rate(self.limits.suggestions_per_member, "suggest", member_id, message)

    async def check_export_rate(self, member_id: int) -> None:
        """Refuse a member's download of a file when they downloaded too many just now: a workbook costs CPU."""
        message = N_("Je downloadt te veel bestanden achter elkaar. Probeer het over {seconds} seconden opnieuw.")
        await self._check_member_rate(self.limits.exports_per_member, "export", member_id, message)

    async def check_upload_rate(self, member_id: int) -> None:
        """Refuse a member's upload of a format file when they uploaded too many just now: reading one costs CPU."""
        message = N_("Je uploadt te veel bestanden achter elkaar. Probeer het over {seconds} seconden opnieuw.")
        await self._check_member_rate(self.limits.uploads_per_member, "upload", member_id, message)

    async def _check_member_rate(
        self, limit: tuple[RateLimitItem, ...], kind: str, member_id: int, message: str
    ) -> None:
        """Count one costly ask of a signed-in account; refuse it (429) when that account asked too often just now."""
        wait = await self.throttle.hit(limit, kind, str(member_id))
        if wait:
            raise _must_wait("asking_too_often", message, wait)


@dataclass(frozen=True, slots=True)
class Limits:
    """The rate limits of the settings, parsed once."""

    unknown_codes: tuple[RateLimitItem, ...]
    joins_per_address: tuple[RateLimitItem, ...]
    joins_per_workshop: tuple[RateLimitItem, ...]
    answers_per_phone: tuple[RateLimitItem, ...]
    answers_per_address: tuple[RateLimitItem, ...]
    taps_per_phone: tuple[RateLimitItem, ...]
    taps_per_address: tuple[RateLimitItem, ...]
    suggestions_per_member: tuple[RateLimitItem, ...]
    exports_per_member: tuple[RateLimitItem, ...]
    uploads_per_member: tuple[RateLimitItem, ...]
    sign_ins_per_account: tuple[RateLimitItem, ...]
    sign_ins_per_address: tuple[RateLimitItem, ...]
    sign_ins_per_browser: tuple[RateLimitItem, ...]
    mail_addresses_per_link: tuple[RateLimitItem, ...]
    mail_addresses_per_address: tuple[RateLimitItem, ...]
    changes_per_link: tuple[RateLimitItem, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> "Limits":
        """Each limit setting (DOORBRAAK_LIMIT_*) as the rules it says."""
        return cls(**{name: rules(getattr(settings, f"limit_{name}")) for name in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class PhoneKeys:
    """Who a phone's answers and taps count against: the participant, and their address in their workshop."""

    participant: str
    address: tuple[str, str]

    @classmethod
    def of(cls, connection: HTTPConnection, *, workshop_id: int, participant_id: int | None) -> "PhoneKeys":
        """The keys of the phone behind this request or websocket."""
        return cls(participant=str(participant_id), address=(client_address(connection), str(workshop_id)))


def _answering_too_fast(wait: float) -> DomainError:
    return DomainError(
        "rate_limited",
        N_("Rustig aan: je stuurt te veel tegelijk. Probeer het zo opnieuw."),
        status=429,
        retry_after=round(wait, 1),
    )


def _must_wait(code: str, message: str, wait: float) -> DomainError:
    """A 429 that says how many seconds to wait, in its message (seconds) and in its Retry-After header."""
    return DomainError(code, message, status=429, seconds=ceil(wait), retry_after=ceil(wait))


def _tapping_too_fast() -> DomainError:
    """The 429 for a phone's taps, or a projector's presses, that come faster than a phone may tap."""
    return DomainError("rate_limited", N_("Rustig aan: je tikt te snel. Probeer het zo opnieuw."), status=429)


def _too_many_codes(wait: float) -> DomainError:
    return _must_wait("too_many_codes", N_("Te veel onbekende codes geprobeerd. Wacht {seconds} seconden."), wait)


def get_runtime(connection: HTTPConnection) -> Runtime:
    """The app's runtime, for HTTP routes and websockets alike."""
    return connection.app.state.runtime  # type: ignore[no-any-return]


async def _runtime_dependency(connection: HTTPConnection) -> Runtime:
    """get_runtime as a route's dependency: FastAPI runs a plain function's dependency on a worker thread."""
    return get_runtime(connection)


RuntimeDep = Annotated[Runtime, Depends(_runtime_dependency)]


def client_address(request: HTTPConnection) -> str:
    """The caller's address, as the rate limits key it."""
    return _rate_key(request.client.host) if request.client else "unknown"


@lru_cache(maxsize=4096)
def _rate_key(host: str) -> str:
    """An IPv4 address as it is; an IPv6 address by its /64, which one home or phone is given whole: keyed address by
    address, a single client would hold 2^64 allowances."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return host


def origin_allowed(connection: HTTPConnection, settings: Settings) -> bool:
    """Whether a request's Origin is this site (or an allowed one); no Origin means no browser, so no CSRF."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    host = connection.headers.get("host", "")
    allowed = set(settings.allowed_origins)
    # this site's own origin comes from the Host header, which is only believed for a name DOORBRAAK_ALLOWED_HOSTS
    # lists (when it lists any: an empty list is development's "anything")
    if not settings.allowed_hosts or host_allowed(host, settings.allowed_hosts):
        allowed |= {f"http://{host}", f"https://{host}"}
    if settings.public_url:
        allowed.add(settings.public_url.rstrip("/"))
    return origin in allowed


def host_allowed(host: str, allowed_hosts: list[str]) -> bool:
    """Whether a Host header (its port aside) names one of the allowed hosts; "*.example.org" allows subdomains."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    for pattern in allowed_hosts:
        if pattern == "*" or name == pattern or (pattern.startswith("*.") and name.endswith(pattern[1:])):
            return True
    return False


__all__ = [
    "JoinList",
    "PageKey",
    "Limits",
    "PhoneKeys",
    "Request",
    "Runtime",
    "RuntimeDep",
    "ShortCache",
    "client_address",
    "get_runtime",
    "host_allowed",
    "origin_allowed",
]
