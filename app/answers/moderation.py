"""Words that hold an answer back for approval: the shipped starter list, a facilitator's own, and the matcher.

The writer checks every answer against its workshop's list (app/answers/service.py), so the list is read with
the workshop's state once per batch and compiled once per distinct list.
"""

import json
import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

from sqlalchemy.orm import Session

from app.errors import DomainError
from app.i18n import N_
from app.models import Workspace
from app.security import clean_text
from app.store.events import Tx

SHIPPED = Path(__file__).with_name("blocked_words.txt")
MAX_ENTRIES = 300
MAX_ENTRY_LENGTH = 40
# a word starts and ends where the character beside it is not a letter or digit
_WORD_CHAR = r"[^\W_]"


def normalise(text: str) -> str:
    """Text as the list and the answers are compared: compatibility forms unified, case folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def _entries(lines: list[str]) -> list[str]:
    return [" ".join(line.split()) for line in lines if line.strip() and not line.lstrip().startswith("#")]


@cache
def shipped_blocked_words() -> list[str]:
    """The starter list that comes with Doorbraak."""
    return _entries(SHIPPED.read_text(encoding="utf-8").splitlines())


@lru_cache(maxsize=64)
def matcher(stored: str | None) -> re.Pattern[str] | None:
    """One pattern for a list as the database stores it (JSON text; None or "null" is the shipped list)."""
    words = json.loads(stored) if stored else None
    if words is None:
        words = shipped_blocked_words()
    if not words:
        return None
    # longest first, so a phrase wins over a word it starts with; the words of a phrase may be apart by any space
    parts = [r"\s+".join(re.escape(part) for part in normalise(word).split()) for word in words]
    alternatives = "|".join(sorted(parts, key=len, reverse=True))
    return re.compile(f"(?<!{_WORD_CHAR})(?:{alternatives})(?!{_WORD_CHAR})")


def holds(pattern: re.Pattern[str] | None, text: str) -> bool:
    """Whether a text contains a word of the list."""
    return pattern is not None and pattern.search(normalise(text)) is not None


def parse_lines(text: str) -> tuple[list[str], list[DomainError]]:
    """A list typed one word (or phrase) a line, blank lines skipped, and what is wrong with it, naming the entry."""
    words: list[str] = []
    seen: set[str] = set()
    problems: list[DomainError] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        word = " ".join(clean_text(raw).split())
        if not any(ch.isalnum() for ch in word):
            problems.append(
                DomainError(
                    "blocked_empty",
                    N_("Regel {line}: ‘{entry}’ bevat geen letters. Haal de regel weg of typ een woord."),
                    status=422,
                    line=line,
                    entry=word,
                )
            )
        elif len(word) > MAX_ENTRY_LENGTH:
            problems.append(
                DomainError(
                    "blocked_too_long",
                    N_("Regel {line}: ‘{entry}’ is te lang. Een woord mag hoogstens {max} tekens hebben."),
                    status=422,
                    line=line,
                    entry=word[:MAX_ENTRY_LENGTH] + "…",
                    max=MAX_ENTRY_LENGTH,
                )
            )
        elif normalise(word) not in seen:
            seen.add(normalise(word))
            words.append(word)
    if len(words) > MAX_ENTRIES:
        problems.append(
            DomainError(
                "blocked_too_many",
                N_("De lijst heeft {count} woorden. Er passen er hoogstens {max} in."),
                status=422,
                count=len(words),
                max=MAX_ENTRIES,
            )
        )
    return words, problems


def blocked_words_for(db: Session, *, workspace_id: int) -> list[str]:
    """The list a workspace's workshops use: its own, else the shipped one."""
    workspace = db.get(Workspace, workspace_id)
    own = workspace.blocked_words if workspace is not None else None
    return list(own) if own is not None else shipped_blocked_words()


def save_blocked_words(db: Tx, *, workspace_id: int, words: list[str] | None) -> None:
    """Keep a workspace's own list, or go back to the shipped one with None."""
    workspace = db.get(Workspace, workspace_id)
    if workspace is None:
        raise DomainError("workspace_not_found", N_("Deze werkruimte bestaat niet meer."), status=404)
    workspace.blocked_words = words
    db.flush()
