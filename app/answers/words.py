"""The word cloud: the words of a step's visible answers, counted.

The one place the counting rule lives; the projector only sizes what this returns.
"""

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.models import Answer

STOPWORD_FILES = (Path(__file__).with_name("stopwords_nl.txt"), Path(__file__).with_name("stopwords_en.txt"))
TOP = 60
# runs of letters: punctuation and digits split words, so numbers never count as words
_WORD = re.compile(r"[^\W\d_]+")
# a web address is one thing, not the words "https", "www" and "nl"
_ADDRESS = re.compile(r"(?:https?://|www\.)\S*", re.IGNORECASE)


@cache
def stopwords() -> frozenset[str]:
    """The Dutch and English words left out of every cloud."""
    words: set[str] = set()
    for path in STOPWORD_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.lstrip().startswith("#"):
                words.update(_WORD.findall(line.casefold()))
    return frozenset(words)


def count_words(texts: Iterable[str], *, top: int = TOP) -> list[tuple[str, int]]:
    """The most frequent words of some texts, most frequent first (ties alphabetically), stop words left out."""
    skip = stopwords()
    counts: Counter[str] = Counter()
    for text in texts:
        for word in _WORD.findall(_ADDRESS.sub(" ", unicodedata.normalize("NFKC", text).casefold())):
            if len(word) > 1 and word not in skip:
                counts[word] += 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]


def step_words(db: Session, *, workshop_id: int, step_id: str, top: int = TOP) -> list[tuple[str, int]]:
    """The cloud of one step: its visible answers only (hidden and held ones are hidden)."""
    query = select(col(Answer.text)).where(
        col(Answer.workshop_id) == workshop_id,
        col(Answer.step_id) == step_id,
        col(Answer.hidden).is_(False),
    )
    return count_words(db.execute(query).scalars(), top=top)
