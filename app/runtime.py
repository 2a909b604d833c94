"""What the running app holds for its routes: settings, database, rate limits; and typed dependencies for routes."""

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from app.config import Settings
from app.errors import DomainError
from app.i18n import N_
from app.security import RateLimiter
from app.store.database import Database

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


@dataclass
class Runtime:
    """The long-lived parts of one app instance that routes use (the live hub is app.state.hub: see app/main.py)."""

    settings: Settings
    db: Database
    secret_key: str
    submit_limiter: RateLimiter = field(init=False)
    join_limiter: RateLimiter = field(init=False)
    login_limiter: RateLimiter = field(init=False)
    tap_limiter: RateLimiter = field(init=False)
    # the organisations a join page offers, by workshop id (see JOIN_LIST_SECONDS)
    join_lists: ShortCache[int, JoinList] = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.submit_limiter = RateLimiter(burst=s.submit_burst, per_second=s.submit_per_second)
        self.join_limiter = RateLimiter(burst=s.failed_joins_per_minute, per_second=s.failed_joins_per_minute / 60)
        self.login_limiter = RateLimiter(burst=s.logins_per_minute, per_second=s.logins_per_minute / 60)
        # tapping dots on and off is quicker than typing answers
        self.tap_limiter = RateLimiter(burst=30, per_second=5)
        self.join_lists = ShortCache(seconds=JOIN_LIST_SECONDS)

    def check_answer_rate(self, participant_id: int | None) -> None:
        """Refuse an answer from a phone that sends faster than the answer limit, saying when to try again."""
        wait = self.submit_limiter.hit(f"p{participant_id}")
        if wait:
            raise DomainError(
                "rate_limited",
                N_("Rustig aan: je stuurt te veel tegelijk. Probeer het zo opnieuw."),
                status=429,
                retry_after=round(wait, 1),
            )

    def check_tap_rate(self, participant_id: int | None) -> None:
        """Refuse a tap (dots, a hand, a grade, a report) from a phone that taps faster than the tap limit."""
        if self.tap_limiter.hit(f"p{participant_id}"):
            raise DomainError("rate_limited", N_("Rustig aan: je tikt te snel. Probeer het zo opnieuw."), status=429)


def get_runtime(connection: HTTPConnection) -> Runtime:
    """The app's runtime, for HTTP routes and websockets alike."""
    return connection.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def client_address(request: HTTPConnection) -> str:
    """The caller's address, as the rate limits key it."""
    return request.client.host if request.client else "unknown"


def origin_allowed(connection: HTTPConnection, settings: Settings) -> bool:
    """Whether a request's Origin is this site (or an allowed one); no Origin means no browser, so no CSRF."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    host = connection.headers.get("host", "")
    allowed = {f"http://{host}", f"https://{host}", *settings.allowed_origins}
    if settings.public_url:
        allowed.add(settings.public_url.rstrip("/"))
    return origin in allowed


__all__ = [
    "JoinList",
    "Request",
    "Runtime",
    "RuntimeDep",
    "ShortCache",
    "client_address",
    "get_runtime",
    "origin_allowed",
]
