"""The jargon list (shipped or a facilitator's own), finding its words in a text, and the bingo switch.

The phone and the projector match in the browser with static/js/jargon.js; find_jargon here follows the
same rules, and tests/plain/jargon_cases.json holds the cases both must pass.
"""

import json
import logging
import re
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Text, bindparam, cast, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.errors import DomainError
from app.i18n import N_
from app.models import Workshop, Workspace, table_of
from app.security import clean_text
from app.store.events import Audience, EventKind, Tx, append_event
from app.store.prepared import Prepared

log = logging.getLogger(__name__)
SHIPPED = Path(__file__).with_name("jargon.yaml")
MAX_WORDS = 300
MAX_WORD_LENGTH = 60
MAX_SUGGESTION_LENGTH = 160
VOWELS = "aeiou"
# letters and digits: a word starts where the character before it is neither (the JS uses [\p{L}\p{N}])
WORD_CHAR = r"[^\W_]"


class JargonFileError(Exception):
    """A jargon list file that cannot be used, with the file and the problem in its message."""


# ---- finding words


def word_forms(word: str) -> list[str]:
    """How inflected forms of one word begin (lower case): the word itself, and its Dutch spelling changes."""
    w = word.lower()
    forms = [w]
    # a long vowel is written once in an open syllable: integraal → integrale, zelfredzaam → zelfredzame
    if len(w) >= 5 and w[-1] not in VOWELS and w[-2] in VOWELS and w[-3] == w[-2]:
        forms.append(w[:-2] + w[-1])
    # a verb or plural in -en: its stem (borgen → borgt, afstemmen → afstemming, randvoorwaarden → randvoorwaarde)
    if len(w) >= 6 and w.endswith("en") and w[-3] not in VOWELS:
        stem = w[:-2]
        if stem[-1] == stem[-2]:
            forms.append(stem[:-1])
        else:
            forms.append(stem)
            # the stem closes the syllable, so a long vowel is written double: opschalen → opschaalt
            if stem[-2] in "aeou" and stem[-3] not in VOWELS:
                forms.append(stem[:-1] + stem[-2] + stem[-1])
        # the noun of a verb in -eren: implementeren → implementatie
        if w.endswith("eren"):
            forms.append(w[:-4] + "atie")
    # a plural in -ers: stakeholders → stakeholder
    if len(w) >= 5 and w.endswith("ers"):
        forms.append(w[:-1])
    # a form that begins with a shorter one adds nothing: the shorter one already finds it
    return [f for f in dict.fromkeys(forms) if not any(o != f and f.startswith(o) for o in forms)]


@lru_cache(maxsize=64)
def _matcher(words: tuple[str, ...]) -> tuple[re.Pattern[str], list[str]]:
    """One pattern for a whole list: a group per entry, longest entries first so a phrase wins over its parts."""
    entries = sorted(words, key=len, reverse=True)
    groups = []
    for entry in entries:
        parts = [f"(?:{'|'.join(re.escape(f) for f in word_forms(part))}){WORD_CHAR}*" for part in entry.split()]
        # the words of a phrase may be apart by any run of spaces or a line break
        groups.append("(" + r"\s+".join(parts) + ")")
    pattern = re.compile(f"(?<!{WORD_CHAR})(?:{'|'.join(groups)})", re.IGNORECASE)
    return pattern, entries


def find_jargon(text: str, *, words: Mapping[str, str]) -> dict[str, int]:
    """The list's words found in a text with how often each occurs, in order of first appearance."""
    if not text or not words:
        return {}
    pattern, entries = _matcher(tuple(words))
    found: dict[str, int] = {}
    for match in pattern.finditer(text):
        word = entries[(match.lastindex or 1) - 1]
        found[word] = found.get(word, 0) + 1
    return found


# ---- reading and checking lists


def _problem(code: str, message: str, **params: Any) -> DomainError:
    return DomainError(code, message, status=422, **params)


def _checked(entries: Iterable[tuple[int, str, str]]) -> tuple[dict[str, str], list[DomainError]]:
    """A list from (line, word, suggestion) entries, and what is wrong with it, each problem naming its line."""
    words: dict[str, str] = {}
    lines: dict[str, int] = {}
    problems: list[DomainError] = []
    count = 0
    for line, raw_word, raw_suggestion in entries:
        word = " ".join(clean_text(raw_word).split())
        suggestion = " ".join(clean_text(raw_suggestion).split())
        count += bool(word)
        problem = None
        if not word:
            problem = _problem("jargon_no_word", N_("Regel {line}: vóór het = staat geen woord."), line=line)
        elif len(word) > MAX_WORD_LENGTH:
            problem = _problem(
                "jargon_word_too_long",
                N_("Regel {line}: ‘{word}’ is te lang. Een woord mag hoogstens {max} tekens hebben."),
                line=line,
                word=word[:MAX_WORD_LENGTH] + "…",
                max=MAX_WORD_LENGTH,
            )
        elif not any(ch.isalpha() for ch in word):
            problem = _problem(
                "jargon_no_letters", N_("Regel {line}: ‘{word}’ bevat geen letters."), line=line, word=word
            )
        elif len(suggestion) > MAX_SUGGESTION_LENGTH:
            problem = _problem(
                "jargon_suggestion_too_long",
                N_("Regel {line}: de gewone woorden bij ‘{word}’ zijn te lang: hoogstens {max} tekens."),
                line=line,
                word=word,
                max=MAX_SUGGESTION_LENGTH,
            )
        elif word.casefold() in lines:
            problem = _problem(
                "jargon_duplicate",
                N_("Regel {line}: ‘{word}’ staat al op regel {first}."),
                line=line,
                word=word,
                first=lines[word.casefold()],
            )
        if problem is not None:
            problems.append(problem)
            continue
        words[word] = suggestion
        lines[word.casefold()] = line
    if count > MAX_WORDS:
        message = N_("De lijst heeft {count} woorden. Er passen er hoogstens {max} in.")
        problems.append(_problem("jargon_too_many", message, count=count, max=MAX_WORDS))
    return words, problems


def parse_lines(text: str) -> tuple[dict[str, str], list[DomainError]]:
    """A list typed one `woord = gewone woorden` a line (blank lines skipped), and its problems."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            word, _, suggestion = line.partition("=")
            entries.append((number, word, suggestion))
    return _checked(entries)


def format_lines(words: Mapping[str, str]) -> str:
    """A list as the text the edit form shows: one `woord = gewone woorden` a line."""
    return "\n".join(f"{word} = {suggestion}" if suggestion else word for word, suggestion in words.items())


def read_jargon_file(path: Path) -> dict[str, str]:
    """A jargon list from a YAML file (word: plainer wording); raises JargonFileError naming file and line."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise JargonFileError(f"{path}: {exc}") from exc
    if not isinstance(root, yaml.MappingNode):
        raise JargonFileError(f"{path}: expected a mapping of word: plainer wording")
    entries = []
    for key, value in root.value:
        line = key.start_mark.line + 1
        if not isinstance(key, yaml.ScalarNode) or not isinstance(value, yaml.ScalarNode) or not value.value:
            raise JargonFileError(f"{path}, line {line}: give a word and its plainer wording as text")
        entries.append((line, key.value, value.value))
    words, problems = _checked(entries)
    if problems:
        raise JargonFileError(f"{path}: {problems[0].text()}")
    return words


@cache
def shipped_jargon() -> dict[str, str]:
    """The list that comes with Doorbraak; a broken file means no hints (and an error in the log), not a crash."""
    try:
        return read_jargon_file(SHIPPED)
    except JargonFileError:
        log.exception("the shipped jargon list cannot be used")
        return {}


# ---- a workspace's list and the bingo card


_WORKSPACE = table_of(Workspace)
# the list as its stored text, on either database (Prepared returns rows as the driver gives them)
_JARGON = Prepared(select(cast(_WORKSPACE.c.jargon, Text)).where(_WORKSPACE.c.id == bindparam("workspace")))


def jargon_for(db: Session, *, workspace_id: int) -> dict[str, str]:
    """The list a workspace's workshops use: its own, else the shipped one (on every phone page: one prepared
    statement, not the workspace loaded)."""
    found = _JARGON.one(db, {"workspace": workspace_id})
    own = json.loads(found[0]) if found is not None and found[0] is not None else None
    return dict(own) if own is not None else dict(shipped_jargon())


def bingo_view(db: Session, *, workshop: Workshop) -> dict[str, Any]:
    """What the projector needs for the bingo card: whether it shows, and the words on it."""
    words = jargon_for(db, workspace_id=workshop.workspace_id) if workshop.bingo else {}
    return {"on": workshop.bingo, "words": words}


def _announce_bingo(db: Tx, workshop: Workshop) -> dict[str, Any]:
    view = bingo_view(db, workshop=workshop)
    append_event(db, workshop_id=workshop.id or 0, kind=EventKind.BINGO_CHANGED, audience=Audience.STAFF, data=view)
    return view


def set_bingo(db: Tx, *, workshop: Workshop, on: bool) -> dict[str, Any]:
    """Show or hide the bingo card on the projector."""
    if workshop.bingo == on:
        return bingo_view(db, workshop=workshop)
    workshop.bingo = on
    db.flush()
    return _announce_bingo(db, workshop)


def save_jargon(db: Tx, *, workspace_id: int, words: dict[str, str] | None) -> None:
    """Keep a workspace's own list, or go back to the shipped one with None."""
    workspace = db.get(Workspace, workspace_id)
    if workspace is None:
        raise DomainError("workspace_not_found", N_("Deze werkruimte bestaat niet meer."), status=404)
    workspace.jargon = words
    db.flush()
    # a bingo card on a projector right now shows the new words at once
    showing = select(Workshop).where(
        col(Workshop.workspace_id) == workspace_id,
        col(Workshop.bingo).is_(True),
        col(Workshop.closed_at).is_(None),
    )
    for workshop in db.execute(showing).scalars():
        _announce_bingo(db, workshop)
