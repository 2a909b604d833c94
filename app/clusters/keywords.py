"""The keywords that suggest a pile's spanningscluster and theme: the shipped list, or a workspace's own.

A list maps each tag (one of TENSIONS or THEMES) to its keywords. It is edited as text, one tag a line:
`wonen: woning, huur, corporatie`; app/clusters/suggest.py matches the keywords by their stems.
"""

import logging
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from app.errors import DomainError
from app.i18n import N_
from app.models import TENSIONS, THEMES, Workspace
from app.security import clean_text
from app.store.events import Tx

log = logging.getLogger(__name__)
SHIPPED = Path(__file__).with_name("tag_keywords.yaml")
TAGS = (*TENSIONS, *THEMES)
MAX_KEYWORDS = 100
MAX_KEYWORD_LENGTH = 40

KeywordList = dict[str, list[str]]


def _problem(code: str, message: str, **params: object) -> DomainError:
    return DomainError(code, message, status=422, **params)


def _tag(raw: str) -> str | None:
    """The tag a typed name stands for (case and spaces do not matter), or None."""
    typed = " ".join(raw.split()).casefold()
    return next((tag for tag in TAGS if tag.casefold() == typed), None)


def parse_lines(text: str) -> tuple[KeywordList, list[DomainError]]:
    """A list typed one `tag: keyword, keyword` a line (blank lines skipped), and what is wrong with it."""
    words: KeywordList = {}
    lines: dict[str, int] = {}
    problems: list[DomainError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, rest = line.partition(":")
        tag = _tag(clean_text(name))
        if not colon or tag is None:
            problems.append(
                _problem(
                    "keyword_tag_unknown",
                    N_("Regel {line}: begin met een spanningscluster of thema en een dubbele punt, zoals ‘wonen:’."),
                    line=number,
                )
            )
            continue
        if tag in lines:
            message = N_("Regel {line}: ‘{tag}’ staat al op regel {first}.")
            problems.append(_problem("keyword_tag_twice", message, line=number, tag=tag, first=lines[tag]))
            continue
        lines[tag] = number
        keywords = list(dict.fromkeys(" ".join(clean_text(k).split()).casefold() for k in rest.split(",")))
        keywords = [k for k in keywords if k]
        for keyword in keywords:
            if len(keyword) > MAX_KEYWORD_LENGTH:
                problems.append(
                    _problem(
                        "keyword_too_long",
                        N_("Regel {line}: ‘{word}’ is te lang. Een trefwoord mag hoogstens {max} tekens hebben."),
                        line=number,
                        word=keyword[:MAX_KEYWORD_LENGTH] + "…",
                        max=MAX_KEYWORD_LENGTH,
                    )
                )
            elif not any(ch.isalpha() for ch in keyword):
                message = N_("Regel {line}: ‘{word}’ bevat geen letters.")
                problems.append(_problem("keyword_no_letters", message, line=number, word=keyword))
        if len(keywords) > MAX_KEYWORDS:
            message = N_("Regel {line}: ‘{tag}’ heeft {count} trefwoorden. Er passen er hoogstens {max} bij.")
            problems.append(
                _problem("keyword_too_many", message, line=number, tag=tag, count=len(keywords), max=MAX_KEYWORDS)
            )
        words[tag] = keywords
    return words, problems


def format_lines(words: Mapping[str, list[str]]) -> str:
    """A list as its edit form shows it: every tag on a line of its own, in the order of the tags."""
    return "\n".join(f"{tag}: {', '.join(words.get(tag, []))}" for tag in TAGS)


@cache
def shipped_keywords() -> KeywordList:
    """The list that comes with Doorbraak; a broken file means no tag suggestions (and an error in the log)."""
    try:
        data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
        words, problems = parse_lines("\n".join(f"{tag}: {', '.join(map(str, kws))}" for tag, kws in data.items()))
    except (OSError, yaml.YAMLError, AttributeError, TypeError):
        log.exception("the shipped tag keywords cannot be used")
        return {}
    if problems:
        log.error("the shipped tag keywords cannot be used: %s", problems[0].text())
        return {}
    return words


def keywords_for(db: Session, *, workspace_id: int) -> KeywordList:
    """The list a workspace's suggestions use: its own, else the shipped one."""
    workspace = db.get(Workspace, workspace_id)
    own = workspace.tag_keywords if workspace is not None else None
    if own is None:
        return dict(shipped_keywords())
    # stored by this module, but a tag may have left TENSIONS or THEMES since
    return {tag: [str(k) for k in own[tag]] for tag in TAGS if isinstance(own.get(tag), list)}


def save_keywords(db: Tx, *, workspace_id: int, words: KeywordList | None) -> None:
    """Keep a workspace's own list, or go back to the shipped one with None."""
    workspace = db.get(Workspace, workspace_id)
    if workspace is None:
        raise DomainError("workspace_not_found", N_("Deze werkruimte bestaat niet meer."), status=404)
    workspace.tag_keywords = words
    db.flush()
