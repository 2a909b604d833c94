"""Passwords, tokens, join codes and clean text."""

import base64
import functools
import hashlib
import hmac
import re
import secrets
import threading
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date

import anyio
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from app.config import Settings
from app.models import MAX_ROW_ID

# no 0/O, no 1/I/L: a code read from across the room is typed right the first time
JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
# argon2-cffi's defaults: RFC 9106's low-memory profile (64 MiB, three passes)
_REAL_HASHER = PasswordHasher()
# argon2's least parameters, for the test suite alone: most of its tests hash a password, each hash a second of
# a busy machine's CPU with the real ones
_TEST_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)
_hasher = _REAL_HASHER
# zero-width characters, bidi embeddings and overrides, isolates, word joiner, BOM, soft hyphen
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_CONTROL = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f]")
_SPACES = re.compile(r"[^\S\n]+")


def use_password_parameters(settings: Settings) -> None:
    """Hash passwords with argon2's real parameters, or with its least ones where the environment is "test"."""
    global _hasher
    # a hash carries its parameters, so verifying needs no switch: only new hashes are cheap
    _hasher = _TEST_HASHER if settings.environment == "test" else _REAL_HASHER
    _stand_in_hash(_hasher)  # made now, so that no sign-in pays for it


@functools.cache
def _stand_in_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not a real password")


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether a password matches its hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# zxcvbn's scores run 0-4; 3 is "safely unguessable" against an online attack slowed by a hash like argon2's
_LEAST_STRENGTH = 3
# zxcvbn refuses longer input (its matching grows fast with length); a password that starts strong stays strong
_ESTIMATED_PREFIX = 72
# zxcvbn keeps the user inputs of a call in a module-wide dictionary: two checks at once would mix their words
_ESTIMATOR_LOCK = threading.Lock()


def password_is_guessable(password: str, *, known: Iterable[str] = ()) -> bool:
    """Whether a password is common, a dictionary word, a pattern or a repeat, or built from the known words (an
    account's name and email), by zxcvbn's estimate of the guesses it takes."""
    # loaded with the first password set, not at start-up: its word lists are 12 MB of every server's memory
    from zxcvbn import zxcvbn

    words = [word for text in known for word in re.split(r"[\s@.]+", text.lower()) if word]
    with _ESTIMATOR_LOCK:
        estimate = zxcvbn(password[:_ESTIMATED_PREFIX], user_inputs=[*words, "doorbraak"])
    return int(estimate["score"]) < _LEAST_STRENGTH


def verify_without_account(password: str) -> None:
    """Verify a password against a stand-in hash: a sign-in for an unknown email costs what a real one does."""
    verify_password(_stand_in_hash(_hasher), password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether a password matches its hash; without one (no such account) after the same work, and never."""
    if password_hash is None:
        verify_without_account(password)
        return False
    return verify_password(password_hash, password)


# argon2 takes 64 MiB and a core for a moment: a burst of a hundred sign-ins at once took a gigabyte and every
# pooled database connection, and pages waited half a minute. So passwords are checked this many at a time
PASSWORD_TURNS = 2
# and at most this many wait for a turn (about two seconds with argon2's real parameters); the rest are told to retry
PASSWORD_QUEUE = 16
# and when, in their Retry-After: by then the full queue they met has had its turns
PASSWORD_RETRY_AFTER = 2
_turns: list[anyio.CapacityLimiter] = []
_judging: list[anyio.CapacityLimiter] = []


def password_turn() -> anyio.CapacityLimiter:
    """The turn a password is checked or hashed in, PASSWORD_TURNS at once in this process (async with it)."""
    if not _turns:
        _turns.append(anyio.CapacityLimiter(PASSWORD_TURNS))  # made in the event loop, as anyio asks
    return _turns[0]


def judging_turn() -> anyio.CapacityLimiter:
    """The turn a new password is judged in (zxcvbn), one at a time in this process and apart from the password
    turns: a crafted password takes it seconds, which must not keep sign-ins from their turn (async with it)."""
    if not _judging:
        _judging.append(anyio.CapacityLimiter(1))
    return _judging[0]


async def hashed(password: str) -> str:
    """A password's hash, made in its turn on a thread: never on the event loop or in the writer."""
    async with password_turn():
        return await anyio.to_thread.run_sync(hash_password, password)


async def hashed_new_password(password: str, judge: Callable[[], None]) -> str:
    """A new password's hash, once judge (which raises for a weak one) let it through in the judging turn."""
    async with judging_turn():
        await anyio.to_thread.run_sync(judge)
    return await hashed(password)


def new_token() -> str:
    """An unguessable token for cookies and private URLs."""
    return secrets.token_urlsafe(24)


def token_digest(token: str) -> str:
    """What the database keeps of a token: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


# a derived token: the row's id, a dot, and 24 bytes (192 bits) of HMAC-SHA256 in base64url; the tokens new_token
# made before (base64url without a dot) can never take this form
_DERIVED_TOKEN = re.compile(r"([1-9][0-9]{0,18})\.([A-Za-z0-9_-]{32})")
_DERIVED_MAC_BYTES = 24


def new_salt() -> str:
    """A row's random salt for the tokens derived from it: a new salt ends the tokens derived from the old one."""
    return secrets.token_urlsafe(16)


def derived_token(*, secret: str, kind: str, row_id: int, salt: str) -> str:
    """A credential derived from a row, nothing of it stored: the row's id and an HMAC of kind, id and salt."""
    message = f"doorbraak token|{kind}|{row_id}|{salt}".encode()
    mac = hmac.new(secret.encode(), message, hashlib.sha256).digest()[:_DERIVED_MAC_BYTES]
    return f"{row_id}.{base64.urlsafe_b64encode(mac).decode()}"


def derived_token_row(token: str) -> int | None:
    """The row id a token of the derived form names (not yet checked); None for any other text."""
    found = _DERIVED_TOKEN.fullmatch(token)
    return whole_number(found.group(1)) if found else None


def derived_token_matches(token: str, *, secret: str, kind: str, row_id: int, salt: str) -> bool:
    """Whether a token is the one derived from this row for this kind (in constant time)."""
    if not token.isascii():
        return False
    expected = derived_token(secret=secret, kind=kind, row_id=row_id, salt=salt)
    return hmac.compare_digest(token, expected)


def new_join_code() -> str:
    """A short code that is easy to read and type."""
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


_JOIN_CODE = re.compile(r"[A-Z0-9]{1,12}")


def normalise_join_code(raw: str) -> str:
    """A typed code in its stored form: capitals, no spaces or dashes; "" (no workshop's) if it holds anything else."""
    # a NUL or another mark never reaches the database: PostgreSQL refuses a NUL in text with an error, not a miss
    code = re.sub(r"[\s\-]", "", raw).upper()[:12]
    return code if _JOIN_CODE.fullmatch(code) else ""


def whole_number(raw: str, *, low: int = 1, high: int = MAX_ROW_ID) -> int | None:
    """A number typed or sent as text, read strictly: ASCII digits only (not "²" or "٣", which str.isdigit takes
    and int() refuses or reads), from low to high (by default: a row id); None for anything else."""
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(high)):
        return None
    number = int(text)
    return number if low <= number <= high else None


# the days a person may type (a session, a due date, a follow-up): every calendar, reminder and page counts on from
# them, and from 9999-12-31 there is no next day to count to
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def day_in_range(day: date) -> bool:
    """Whether a typed day lies within the years the calendars and reminders count with."""
    return FIRST_DAY <= day <= LAST_DAY


def clean_text(raw: str) -> str:
    """User text normalised: NFC, invisible and direction-changing characters removed, spaces tidied."""
    if _quick(raw):
        return unicodedata.normalize("NFC", raw).strip()
    return _clean_fully(raw)


def clean_line(raw: str) -> str:
    """User text that is one line (a title, a name) cleaned as clean_text, its line breaks and tabs one space each."""
    return " ".join(line for line in clean_text(raw).split("\n") if line)


def _quick(raw: str) -> bool:
    """One line of visible text: no control, invisible or spacing character is printable, and no run of spaces,
    so only the normalisation and the outer spaces are left to do (the common case, done without the patterns)."""
    return raw.isprintable() and "  " not in raw


def _clean_fully(raw: str) -> str:
    """clean_text's every step, for text with more than one line, invisible characters or runs of spaces."""
    text = unicodedata.normalize("NFC", raw)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
