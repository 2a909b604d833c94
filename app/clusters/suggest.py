"""Suggested piles: obstacles that say the same thing, by their words and their meaning, for the facilitator.

On the server, nothing downloaded: each obstacle becomes a bag of features (its content words reduced to their
stem with slips of the pen mended, the parts of its compound words, the concepts of a small lexicon of the words
alliances use (grouping_nl.yaml), pairs of adjacent words, and apart from those the letter n-grams of its words),
weighted by how rare they are in the room (tf-idf); the cosine of two bags is bent by how alike the two obstacles
are in meaning, learnt from the true piles of labelled sessions (grouping_meaning.npz), which also links obstacles
that say the same in other words; obstacles are merged by average linkage on those links while a pile's members
are, on average, alike enough; a member alike to too few of the others is then left out, and two obstacles alone
make a pile only when they share two words, as does each member of a pile of a few unless what they all share is
much of what each says. Dutch first (Snowball's Dutch stemmer, Dutch stop words, the lexicon's concepts by their
Dutch stems), English answers too. The same features say why a pile belongs together: the words and phrases its
members share, marked in their texts. With an optional sentence model (app/clusters/model.py) the links are learnt
instead: how likely two obstacles are to share a pile, from the meaning of their words and what the model reads in
them, as the labelled sessions' pairs taught (app/bench/meaning.py).

Nothing here touches the database: app/clusters/service.py reads the obstacles and applies what is accepted.
"""

import bisect
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from app.answers import words as answer_words
from app.clusters.model import SentenceModel

LEXICON = Path(__file__).with_name("grouping_nl.yaml")
# what words mean, learnt from the true piles of the labelled sets (app/bench/meaning.py makes it)
MEANING = Path(__file__).with_name("grouping_meaning.npz")

# a pile's members must be at least this alike on average (cosine of their feature bags); chosen, with the weights
# below, on tests/clusters/data/obstacles_nl.yaml and obstacles_nl_holdout.yaml with `doorbraak bench grouping`
# (docs/performance.md), the second round on obstacles_nl_holdout2.yaml too; never on obstacles_nl_holdout3.yaml or 4.
# The seventh round searched this and the settings marked "(searched)" below one at a time on the first eight sets,
# for the adjusted Rand index plus the share of pure piles up to 80% on each set (docs/performance.md)
THRESHOLD = 0.09
# a member of a proposed pile must be linked (at least this alike) to at least this share of the others, or it is
# left loose: a strong link to one member does not make it belong to the pile
MEMBER_LINKS = 0.34
# (searched: 0.17 before)
LINK = 0.13
# after the merging, a member moves to a pile it is more alike to on average by at least this, for up to this many
# rounds: a broad word can have put it where it came first (chosen on the first eight labelled sets)
REASSIGN_MARGIN = 0.02
REASSIGN_ROUNDS = 3
# two obstacles alone make a pile only when they share this many words (a concept and its words count once)
PAIR_WORDS = 2
# in a pile of at most this many, each member must share PAIR_WORDS words with another, unless a word or concept
# is common to all: a third obstacle that shares one word with one of a pair chains topics as readily as a lone
# pair would; chosen on the five labelled sets: 3 and 4 give the same, from 5 up true piles are lost
SMALL_PILE = 4
# and what they all share counts only when it is this much of each member's bag (the length of its part of the
# unit vector): between the small piles that were mixed (0.29 to 0.44, most of them) and those that were pure (0.45
# and up) on the five labelled sets, below the tests' piles of one word said in three short texts (0.51 and up)
# (searched: 0.45 before)
COMMON_WEIGHT = 0.5
# and each member of such a pile must be this alike to every other: well above the link, as the mixed small piles of
# the first eight labelled sets were alike pairwise by one concept that spans two obstacles ("ggz" and "verward");
# the search's 0.38 split three obstacles that share a phrase or a compound (tests/clusters/test_suggest.py); searched
# again in the ninth round with rooms of 60 to 150 obstacles drawn from the sets as well as the whole sets (0.34 before)
SMALL_LINK = 0.30
# two obstacles alone that share one word or concept make a pile after all when it is as much of what each says
# (COMMON_WEIGHT), in a room of up to this many obstacles; in a bigger room that bar rises with its size, out of
# reach past 200: where a topic has a few voices, two who share its word are often all there are, where it has many,
# two alone who share one word are often mixed. Chosen on rooms of 60 to 250 obstacles drawn from the first eight
# labelled sets (docs/performance.md, ninth round)
PAIR_ROOM = 100
# an obstacle left loose joins a pile of at least ATTACH_PILE whose concept at least half its members name, when that
# concept is at least ATTACH_SHARE of what the obstacle's concepts weigh and no other pile's concept is: an obstacle
# that names a pile's topic can still be too little alike to its many members on average ("vaste lasten te hoog voor
# een bijstandsuitkering" beside a pile on poverty); from four members up, one wrong addition leaves a pile pure
# (chosen on the first eight labelled sets: docs/performance.md, seventh round)
ATTACH_PILE = 4
ATTACH_SHARE = 0.45
# texts at least this alike are near-duplicates: such a pile is proposed first
DUPLICATE = 0.8
# of a text said more often than this, the further copies are not matched but follow the first wherever it goes:
# matching links every pair of a pile, and a thousand phones sending one sentence would make a million pairs
REPEATS_KEPT = 4
# weights of the kinds of features against a word's own stem
# (searched: 0.7 before)
PART_WEIGHT = 0.6
PAIR_WEIGHT = 0.3
CONCEPT_WEIGHT = 1.6
# a word every kind of obstacle uses (grouping_nl.yaml) counts this much of a word of its own
GENERIC_WEIGHT = 0.3
# a word for whom an obstacle is about, where it happens or what is short (grouping_nl.yaml: who, where, lack)
# counts this much: such words are said of every topic, and joined piles about different things
ASIDE_WEIGHT = 0.35
# letter n-grams of a word's stem: their length, the shortest stem that has them, and the share of a text's bag
# they make up together (the words the rest)
GRAM = 3
GRAM_MIN_WORD = 4
GRAM_SHARE = 0.2
# a feature in more than this share of the obstacles (and more than a handful) tells nothing apart
COMMON_SHARE = 0.25
COMMON_FLOOR = 8
# pairs of obstacles less alike than this are treated as unrelated, which keeps the graph sparse at 2,000
EDGE_FLOOR = 0.05
# a row with this many pairs sharing a feature is summed in numpy (_DenseRows)
DENSE_ROW = 1000
# a compound's parts are at least this long, so "overlast" is not "over" + "last" by accident
MIN_PART = 4
# longer "words" are not split: no compound is, and a pasted run of letters would cost time
MAX_COMPOUND = 40
# a proposed name is an obstacle's text of at most this many characters, or else its first clause if that is
NAME_LENGTH = 70
# and never more than a pile's name holds (Cluster.name): longer, it stops after a whole word
NAME_MOST = 200
# a first clause names its obstacle when it has this many words (not "Helaas" or "Kortom") and is a main clause:
# it ends a sentence (a capital follows, so not "o.a."), a part of one (; : and dashes), or comes before a comma and
# a word that starts another ("..., maar"; not "Als ..., dan")
CLAUSE_WORDS = 3
_CLAUSE_END = re.compile(
    r"[.!?](?=\s+\w)|[;:](?=\s)|\s[-–—](?=\s)|,(?=\s+(?:en|maar|want|dus|terwijl|and|but|so|while)\b)", re.IGNORECASE
)
# a new pile of three or more whose members are on average less alike than this is marked for a second look: in rooms
# of one opgave 90% of such piles mix obstacles a facilitator keeps apart, against 51% of the rest (docs/performance.md,
# thirteenth round); the mean is taken over its first DOUBTFUL_MEMBERS members, enough to tell. With the learnt links
# (a likelihood, not a cosine) the same bar marks piles of which 12% are pure in rooms of one opgave, against 66% of
# the rest (fifteenth round)
DOUBTFUL_LINK = 0.5
DOUBTFUL_MEMBERS = 200
SHOWN_SHARED = 5
# learnt meaning bends the word links: a link between two obstacles counts (1 + MEANING_BEND * (m - MEANING_MIDDLE))
# times, and nothing from m = 0 down, m how alike their meanings are (the product of the two vectors: their cosine,
# less where a text is unsure of its meaning; what the room means in common taken out), and each obstacle is linked
# to its MEANING_NEAREST nearest in meaning beyond MEANING_MIDDLE by MEANING_LINK times the excess, words shared or not
# (two who are each other's nearest, twice); chosen on the labelled sets one at a time, each with meaning learnt from
# the others (docs/performance.md, eleventh round)
MEANING_MIDDLE = 0.55
MEANING_BEND = 2.0
MEANING_NEAREST = 20
MEANING_LINK = 1.0
# what a room's texts mean in common counts as if this many more texts meant nothing (chosen on the labelled sets)
MEANING_ROOM = 30
# with an optional sentence model (app/clusters/model.py), how likely two obstacles are to belong on one pile is
# learnt from the labelled sets' pairs (app/bench/meaning.py, links) rather than bent by hand: from how alike their
# meanings and the model's readings of them are (what the room reads in common taken out; _Pairs says why no more).
# Piles are then merged while their members are on average at least this likely to share one (chosen on the labelled
# sets, each with the meanings, the projection and the links learnt without it: docs/performance.md, fifteenth round)
LEARNT_THRESHOLD = 0.45
# less likely links are left out: on the labelled sets of one opgave 0.02 gave much the same (0.374 and 63.1% pure
# against 0.375 and 63.1%), and at 4,000 obstacles three times the pairs, 2.35 s instead of 1.33 and 160 MB at the
# peak instead of 60
LEARNT_FLOOR = 0.1
# the cosines of meaning are worked out this many obstacles at a time, to bound the memory of a room of thousands
MEANING_BLOCK = 512
# and the learnt links this many (three numbers a pair)
LINK_BLOCK = 64

# runs of letters: a hyphen or an apostrophe parts words ("jeugd-ggz", "auto's"), digits are no words, except in a
# code of a letter or two and a number that stands alone ("e33", the police's code for confused behaviour; "nt2")
_WORD = re.compile(r"(?<![^\W_])[^\W\d_]{1,2}\d{1,3}(?![^\W_])|[^\W\d_]+")
# a Dutch diminutive: the word and its ending, -je or -jes (-tje, -pje and -etje end so too)
_DIMINUTIVE = re.compile(r"(.{3,})jes?")
_ADDRESS = re.compile(r"(?:https?://|www\.)\S*", re.IGNORECASE)
# Dutch plurals the stemmer cannot bring back to their singular, "ouderen" (the elderly), which it would make
# "ouder" (a parent), "regeling" (a scheme), which it would make "regel" (a rule), and "bereikbaarheid" (how easily a
# place is reached), which it would make "bereik" (reaching people)
_IRREGULAR = {
    "kinderen": "kind",
    "ouderen": "oudere",
    "oudere": "oudere",
    "eieren": "ei",
    "liederen": "lied",
    "volkeren": "volk",
    "goederen": "goed",
    "steden": "stad",
    "schepen": "schip",
    "gaten": "gat",
    "dagen": "dag",
    "wegen": "weg",
    "regeling": "regeling",
    "regelingen": "regeling",
    "bereikbaar": "bereikbaar",
    "bereikbaarheid": "bereikbaar",
    "onbereikbaar": "onbereikbaar",
    # accounting for one's work (an administrative burden), which the stemmer makes "verantwoord" (responsible)
    "verantwoorden": "verantwoording",
    "verantwoording": "verantwoording",
    # words the stemmers would make into another word of the lexicon: "het duurt" is no "duur" (dear), "rente"
    # (interest) no "rent", "cars" no "care", "beschikbaar" (available) no "beschikking" (a decision), "uit de hand"
    # no "handen" (staff)
    "duurt": "duren",
    "duren": "duren",
    "duurde": "duren",
    "duurden": "duren",
    "rente": "rente",
    "care": "care",
    "beschikbaar": "beschikbaar",
    "beschikbare": "beschikbaar",
    "beschikbaarheid": "beschikbaar",
    "handen": "handen",
}


class Obstacle(NamedTuple):
    """A visible obstacle as the matcher reads it: its id, its text and the pile it is on (None: loose)."""

    id: int
    text: str
    pile: int | None = None


@dataclass(frozen=True)
class Token:
    """A word of an obstacle: where it stands in the text, and the stem it counts as."""

    start: int
    end: int
    surface: str
    stem: str
    # a compound's parts that are words of their own in the room: their stems, and as they are written
    parts: tuple[str, ...] = ()
    part_words: tuple[str, ...] = ()


@dataclass
class Suggestion:
    """A proposed pile: a new one, or loose obstacles to add to an existing pile (into)."""

    key: str
    name: str
    answer_ids: list[int]
    into: int | None = None
    # the existing pile's own members, shown beside the suggested additions
    pile_ids: list[int] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)
    # per obstacle, the [start, end) of its words that the pile shares, in UTF-16 code units (as the browser counts)
    marks: dict[int, list[list[int]]] = field(default_factory=dict)
    # per obstacle that says none of those words, the [start, end) of its word nearest to them in learnt meaning
    akin: dict[int, list[list[int]]] = field(default_factory=dict)
    duplicates: bool = False
    # a new pile whose members are little alike on average: most such piles mix obstacles a facilitator keeps apart
    doubtful: bool = False
    tension: str | None = None
    theme: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The suggestion as the board receives it."""
        return {
            "key": self.key,
            "name": self.name,
            "answer_ids": self.answer_ids,
            "into": self.into,
            "pile_ids": self.pile_ids,
            "shared": self.shared,
            "marks": {str(k): v for k, v in self.marks.items()},
            "akin": {str(k): v for k, v in self.akin.items()},
            "duplicates": self.duplicates,
            "doubtful": self.doubtful,
            "tension": self.tension,
            "theme": self.theme,
        }


# ---- words


@cache
def _stopwords() -> tuple[frozenset[str], frozenset[str]]:
    """The Dutch and the English stop words, apart: which of them a text uses tells its language."""
    dutch, english = (
        frozenset(
            word
            for line in path.read_text(encoding="utf-8").splitlines()
            if not line.lstrip().startswith("#")
            for word in _WORD.findall(line.casefold())
        )
        for path in answer_words.STOPWORD_FILES
    )
    return dutch, english


@dataclass(frozen=True)
class Lexicon:
    """The stems of the words every obstacle uses, and each stem's concept (the words that mean much the same)."""

    generic: frozenset[str]
    # words for who, where and what is short, and their concepts: they count for less (ASIDE_WEIGHT)
    aside: frozenset[str]
    concepts: Mapping[str, str]
    # entries of several words ("maatschappelijk_werker"): their stems in order, and their concept
    phrases: Mapping[tuple[str, ...], str]
    # every word of its concepts, folded: known parts of compound words
    words: frozenset[str]
    # concepts' stems only the English stemmer makes: a Dutch text's "park" is not "parking", nor "meet" "meeting"
    english_only: frozenset[str] = frozenset()

    def knows(self, stem: str, *, english: bool) -> bool:
        """Whether a stem of a text in this language has a concept: such a word means what the lexicon says, so
        only a compound it does not know takes the meaning of its parts ("huurachterstand" is a debt, not a home)."""
        return stem in self.concepts and (english or stem not in self.english_only)


@cache
def lexicon() -> Lexicon:
    """The shipped lexicon (grouping_nl.yaml), each word under its Dutch and its English stem."""
    data = yaml.safe_load(LEXICON.read_text(encoding="utf-8"))

    def stems(word: str) -> set[str]:
        folded = _fold(word)
        return {stem(folded), stem(folded, english=True)} if folded else set()

    generic = frozenset(s for word in data["generic"].split() for s in stems(word))
    aside = frozenset(s for key in ("who", "where", "lack") for word in data[key].split() for s in stems(word))
    places = data["where"].split()
    at_places = frozenset(s for word in places for s in stems(word))
    concepts: dict[str, str] = {}
    phrases: dict[tuple[str, ...], str] = {}
    for line in data["concepts"]:
        entries = line.split()
        for entry in entries:
            if "_" in entry:
                # a phrase is matched word for word, never by its words alone: "social worker" is not "social"
                folded = [_fold(word) for word in entry.split("_")]
                for english in (False, True):
                    phrases.setdefault(tuple(stem(word, english) for word in folded), entries[0])
                continue
            for s in stems(entry):
                concepts.setdefault(s, entries[0])
    # a word of who or of lack makes its concept count less too ("jongeren" the concept of "jeugd"); a place only
    # the concept it names ("school" makes "onderwijs" count less, "flat" leaves "woning" as it is)
    aside |= {f"~{concepts[s]}" for s in aside if s in concepts and (s not in at_places or concepts[s] in places)}
    words = frozenset(_fold(word) for line in data["concepts"] for entry in line.split() for word in entry.split("_"))
    dutch = {stem(_fold(entry)) for line in data["concepts"] for entry in line.split() if "_" not in entry}
    english_only = frozenset(set(concepts) - dutch)
    # a compound of two words the lexicon knows means the same written apart, either way round: "jeugd hulp" and
    # "hulp voor de jeugd" are "jeugdhulp"
    for line in data["concepts"]:
        for entry in line.split():
            if "_" not in entry and len(parts := _split(_fold(entry), words)) == 2:
                for pair in (parts, parts[::-1]):
                    phrases.setdefault(tuple(stem(part) for part in pair), concepts[stem(_fold(entry))])
    return Lexicon(generic, aside, concepts, phrases, words, english_only)


@dataclass(frozen=True)
class Meaning:
    """What the features of obstacles mean, learnt: each feature's row in a matrix of unit vectors."""

    rows: Mapping[str, int]
    vectors: Any


@cache
def _numpy() -> Any:
    """numpy, imported on first use: a server that never suggests does not carry it (app/__init__.py keeps its BLAS
    on one thread)."""
    import numpy

    return numpy


@cache
def meaning() -> Meaning:
    """The shipped meanings (grouping_meaning.npz): features and their vectors, half precision on disk."""
    np = _numpy()
    with np.load(MEANING) as data:
        features = [str(f) for f in data["features"]]
        vectors = data["vectors"].astype(np.float32)
    return Meaning({f: n for n, f in enumerate(features)}, vectors)


@cache
def _stemmers() -> tuple[Any, Any]:
    """Snowball's Dutch (the Porter-style one: the newer one takes "ge-" off, making "gezin" into "zin") and
    English stemmers, compiled (PyStemmer); imported on first use, so a server that never suggests does not carry
    them."""
    import Stemmer

    return Stemmer.Stemmer("dutch_porter"), Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str, english: bool = False) -> str:
    """A folded word reduced to the stem its other forms share ("wachtlijsten" and "wachtlijst": "wachtlijst")."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    dutch_stemmer, english_stemmer = _stemmers()
    if english:
        return str(english_stemmer.stemWord(word))
    stemmed = str(dutch_stemmer.stemWord(word))
    # the Porter-style stemmer leaves a doubled consonant of the plural: gezinnen → gezinn (gezin → gezin)
    if len(stemmed) > 3 and stemmed[-1] == stemmed[-2] and stemmed[-1] not in "aeiou":
        stemmed = stemmed[:-1]
    return stemmed


def _fold(word: str) -> str:
    """A word as it is compared: compatibility forms unified, case and accents folded, hyphens and quotes out."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


def _is_english(words: Sequence[str]) -> bool:
    """Whether a text's words are more English than Dutch, by the stop words each language has."""
    dutch, english = _stopwords()
    return sum(w in english for w in words) > sum(w in dutch for w in words)


def _utf16(text: str, index: int) -> int:
    """A position in a Python string as the browser counts it (UTF-16 code units)."""
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)


# ---- features


def _words(text: str) -> list[tuple[int, int, str, str]]:
    """The words of a text with their place, surface form and folded form; web addresses left out."""
    found = []
    addresses = [m.span() for m in _ADDRESS.finditer(text)]
    for match in _WORD.finditer(text):
        if any(a <= match.start() < b for a, b in addresses):
            continue
        folded = _fold(match.group())
        if folded:
            found.append((match.start(), match.end(), match.group(), folded))
    return found


def _spelling(counts: Counter[str], lexicon_words: frozenset[str] = frozenset()) -> dict[str, str]:
    """Slips of the pen mapped to the word they miss by one letter ("jeugzorg" → "jeugdzorg").

    Only a word seen once, of seven letters or more, is corrected, and only to one seen more often: two words that
    differ by one letter and both occur are taken to be two words. A word of the lexicon is never a slip, and is
    what a slip means when the room has nothing closer, but only for a letter left out or added ("schimel"): one
    letter for another is too often a word of its own ("gesloten" is no "besloten"). The first letter is never the
    slip.
    """
    frequent = [w for w, n in counts.items() if n >= 2 and len(w) >= 5]
    by_deletion: dict[str, list[str]] = defaultdict(list)
    for word in frequent:
        for form in (word, *_deletions(word)):
            by_deletion[form].append(word)
    fixes = {}
    for word, n in counts.items():
        if n != 1 or len(word) < 7 or word in lexicon_words:
            continue
        shorter = set(_deletions(word))
        candidates = set(by_deletion.get(word, ()))
        for short in shorter:
            candidates.update(by_deletion.get(short, ()))
        candidates.discard(word)
        if candidates:
            fixes[word] = max(sorted(candidates), key=lambda c: counts[c])
            continue
        # a letter left out of a lexicon's word, or one added to it
        meant = sorted(_lexicon_slips(lexicon_words).get(word, ()) or shorter & lexicon_words)
        if meant:
            fixes[word] = meant[0]
    return fixes


def _diminutives(counts: Counter[str], words: Lexicon) -> dict[str, str]:
    """Dutch diminutives mapped to the word they make small ("speeltuintje" → "speeltuin", "bankjes" → "bank",
    "woninkje" → "woning"), which the stemmer leaves apart: only to a word the room or the lexicon knows, since the
    ending alone does not tell "buurtje" (buurt) from "tuintje" (tuin); a diminutive the lexicon names itself
    ("potje") stays."""
    known = {stem(w) for w in counts} | set(words.concepts) | words.generic
    fixes = {}
    for word in counts:
        match = _DIMINUTIVE.fullmatch(word)
        if not match or word in words.words:
            continue
        rest = match.group(1)
        # -je after most consonants, -tje after a vowel or l/n/r/w, -pje after m, -etje after a short vowel
        candidates = [rest, rest[:-1]] if rest[-1] in "tp" else [rest]
        if rest.endswith("et") and len(rest) > 3 and rest[-3] == rest[-4]:
            candidates.append(rest[:-3])
        # -ing makes -inkje: "woninkje" is a small "woning"
        if rest.endswith("ink"):
            candidates.append(f"{rest[:-1]}g")
        base = next((c for c in candidates if len(c) >= MIN_PART and stem(c) in known), None)
        if base:
            fixes[word] = base
    return fixes


def _deletions(word: str) -> list[str]:
    """The word with one letter left out, each letter but the first: a slip seldom falls there, and "houders" are
    no "ouders"."""
    return [word[:i] + word[i + 1 :] for i in range(1, len(word))]


@lru_cache(maxsize=1)
def _lexicon_slips(words: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """The lexicon's words of six letters or more by each form with one letter but the first left out."""
    slips: dict[str, list[str]] = defaultdict(list)
    for word in words:
        if len(word) >= 6:
            for slip in _deletions(word):
                slips[slip].append(word)
    return {slip: tuple(found) for slip, found in slips.items()}


def _split(word: str, known: frozenset[str] | set[str]) -> tuple[str, ...]:
    """A compound's parts that are words of their own here ("jeugdhulp" → "jeugd", "hulp"), or () when none.

    Both parts known is best; else the longest known head of five letters or more ("wachtlijst" → "wacht" when
    "lijst" is never said alone). A known tail alone is not enough: "statushouders" does not end in "ouders", and
    a short head alone is too often chance ("huisarts" is no "huis", "parkeren" no "park").
    """
    head_only: tuple[str, ...] = ()
    for i in range(MIN_PART, len(word) - MIN_PART + 1):
        head, tail = word[:i], word[i:]
        # a linking s belongs to neither part: "geluidsoverlast" is "geluid" and "overlast"
        heads = [head] + ([head[:-1]] if head[-1] == "s" and len(head) > MIN_PART else [])
        for h in heads:
            if h in known:
                if tail in known:
                    return (h, tail)
                rest = _split(tail, known)
                if rest and rest[0] != tail and len(rest) > 1:
                    return (h, *rest)
                # a short rest is more likely an ending than a word: "openlijk" is not "open" + "lijk"
                if len(tail) > MIN_PART and len(h) > MIN_PART:
                    head_only = (h,)
    return head_only


@dataclass
class _Text:
    """One obstacle, analysed."""

    obstacle: Obstacle
    tokens: list[Token]
    features: dict[str, float] = field(default_factory=dict)
    # a text folded to its words, the same for texts that differ only in case, punctuation or emoji
    folded: str = ""
    # the stems of its words and of their parts, which tag keywords are looked up in
    stems: frozenset[str] = frozenset()
    # the lexicon's concepts it names: the first and last of the tokens that name each, and the concept feature
    concepts: list[tuple[int, int, str]] = field(default_factory=list)
    english: bool = False
    # what it means: the learnt meanings of its features, weighted as they are, shorter the less of it is known
    # (None: nothing)
    meaning: Any = None


def _analyse(obstacles: Sequence[Obstacle]) -> list[_Text]:
    """Every obstacle's words, stemmed, with typos mended and compounds split against the room's vocabulary."""
    dutch, english = _stopwords()
    stop = dutch | english
    raw = [(o, _words(o.text)) for o in obstacles]
    counts: Counter[str] = Counter(w for _, words in raw for *_, w in words if w not in stop)
    shipped = lexicon()
    fixes = _spelling(counts, shipped.words) | _diminutives(counts, shipped)
    texts = []
    for obstacle, words in raw:
        folded = [fixes.get(w, w) for *_, w in words]
        is_english = _is_english(folded)
        tokens = [
            Token(start, end, surface, stem(word, is_english))
            for (start, end, surface, _), word in zip(words, folded, strict=True)
            if word not in stop and len(word) > 1
        ]
        texts.append(_Text(obstacle, tokens, folded=" ".join(folded), english=is_english))
    # parts of compounds: words that stand on their own somewhere in the room, or stems of them
    known = {t.stem for text in texts for t in text.tokens if len(t.stem) >= MIN_PART}
    known |= {_fold(t.surface) for text in texts for t in text.tokens if len(t.surface) >= MIN_PART}
    # and the lexicon's words, so "schuldhulpverlening" finds "schuld" in a room where nobody says it alone
    known |= {w for w in shipped.words if len(w) >= MIN_PART}
    known -= stop
    for text in texts:
        for n, t in enumerate(text.tokens):
            if 2 * MIN_PART <= len(t.surface) <= MAX_COMPOUND and (parts := _split(_fold(t.surface), known)):
                text.tokens[n] = Token(t.start, t.end, t.surface, t.stem, tuple(map(stem, parts)), parts)
        # for tags too: "vuurwerk" is no work
        text.stems = frozenset(
            s for t in text.tokens for s in (t.stem, *(() if shipped.knows(t.stem, english=text.english) else t.parts))
        )
        text.concepts = _concept_spans(text.obstacle.text, text.tokens, shipped, english=text.english)
    return texts


def _concept_spans(raw: str, tokens: Sequence[Token], words: Lexicon, *, english: bool) -> list[tuple[int, int, str]]:
    """Where a text names a concept of the lexicon: by a word's stem or a part of it, or by a phrase's words side
    by side (stop words between them do not count: "van het kastje naar de muur"); a Dutch text by Dutch stems."""
    spans = [
        (n, n, f"~{words.concepts[s]}")
        for n, token in enumerate(tokens)
        for s in ((token.stem,) if words.knows(token.stem, english=english) else dict.fromkeys(token.parts))
        if words.knows(s, english=english)
    ]
    # a compound written as two words ("laag geletterdheid", "werk loosheid"): only side by side in the text itself
    for n, (a, b) in enumerate(zip(tokens, tokens[1:], strict=False)):
        if not raw[a.end : b.start].strip(" -"):
            joined = stem(_fold(a.surface + b.surface), english)
            if words.knows(joined, english=english):
                spans.append((n, n + 1, f"~{words.concepts[joined]}"))
    longest = max(map(len, words.phrases), default=0)
    for n in range(len(tokens)):
        for size in range(2, longest + 1):
            key = tuple(t.stem for t in tokens[n : n + size])
            if len(key) == size and key in words.phrases:
                spans.append((n, n + size - 1, f"~{words.phrases[key]}"))
    return spans


def _raw_features(
    tokens: Sequence[Token], concepts: Sequence[tuple[int, int, str]], words: Lexicon
) -> dict[str, float]:
    """A text's features before weighting by rarity: stems, compound parts, concepts ("~name") and pairs of
    adjacent stems; a generic word counts for less."""
    features: dict[str, float] = {}

    def add(feature: str, weight: float) -> None:
        if feature in words.generic:
            weight *= GENERIC_WEIGHT
        elif feature in words.aside:
            weight *= ASIDE_WEIGHT
        features[feature] = max(features.get(feature, 0.0), weight)

    for token in tokens:
        add(token.stem, 1.0)
        for part in token.parts:
            add(part, PART_WEIGHT)
    for *_, concept in concepts:
        add(concept, CONCEPT_WEIGHT)
    for first, second in zip(tokens, tokens[1:], strict=False):
        if first.stem != second.stem:
            add(f"{first.stem} {second.stem}", PAIR_WEIGHT)
    for token in tokens:
        if token.stem in words.generic:
            continue
        grams = _grams(token.stem)
        if grams:
            # a long word has many n-grams: together they count as much as a short word's few
            weight = 1 / math.sqrt(len(grams))
            if token.stem in words.aside:
                weight *= ASIDE_WEIGHT
            for gram in grams:
                features[gram] = max(features.get(gram, 0.0), weight)
    return features


def _grams(word: str) -> list[str]:
    """The letter n-grams of a stem, marked at its ends ("#<hu", "#hui", ... "#rt>"): what word forms the stemmer
    leaves apart ("huisart" and "huisarts"), slips and the heads of compounds have in common."""
    if len(word) < GRAM_MIN_WORD:
        return []
    marked = f"<{word}>"
    return [f"#{marked[i : i + GRAM]}" for i in range(len(marked) - GRAM + 1)]


def _signature(text: _Text) -> tuple[str, ...]:
    """What a text says, to the matcher: its stems in order; texts with the same one say the same thing."""
    return tuple(t.stem for t in text.tokens)


def _set_aside_copies(texts: list[_Text]) -> tuple[list[_Text], dict[int, list[_Text]]]:
    """The texts to match, without the loose copies of a text beyond the first REPEATS_KEPT; and those copies, under
    the index of the first (in the texts to match), whose pile they go on."""
    kept: list[_Text] = []
    first: dict[tuple[str, ...], int] = {}
    seen: Counter[tuple[str, ...]] = Counter()
    copies: dict[int, list[_Text]] = defaultdict(list)
    for text in texts:
        signature = _signature(text)
        if text.obstacle.pile is None and signature:
            seen[signature] += 1
            if seen[signature] > REPEATS_KEPT:
                copies[first[signature]].append(text)
                continue
            first.setdefault(signature, len(kept))
        kept.append(text)
    return kept, copies


def _weigh(texts: list[_Text], known: Meaning | None = None) -> dict[str, float]:
    """Give every text its unit-length tf-idf bag and its meaning (by the shipped meanings, or those known); returns
    each feature's idf (common ones left out).

    Rarity is counted over the different things said: nine phones sending one sentence make its words no
    more common than one phone would, so a repeated obstacle is not left out as too common.
    """
    words = lexicon()
    raw = [_raw_features(text.tokens, text.concepts, words) for text in texts]
    distinct = {_signature(text): features for text, features in zip(texts, raw, strict=True)}
    df: Counter[str] = Counter(f for features in distinct.values() for f in features)
    n = len(distinct)
    common = max(COMMON_FLOOR, COMMON_SHARE * n)
    idf = {f: math.log((n + 1) / (d + 1)) + 1 for f, d in df.items() if d <= common}
    for text, features in zip(texts, raw, strict=True):
        weighted = {f: w * idf[f] for f, w in features.items() if f in idf}
        words_part = {f: v for f, v in weighted.items() if not f.startswith("#")}
        grams_part = {f: v for f, v in weighted.items() if f.startswith("#")}
        # each part is scaled to its share apart, so a text's many n-grams do not drown its words
        shares = [(words_part, 1.0 - GRAM_SHARE), (grams_part, GRAM_SHARE)]
        shares = [(part, share) for part, share in shares if part]
        total = sum(share for _, share in shares) or 1.0
        text.features = {}
        for part, share in shares:
            norm = math.sqrt(sum(v * v for v in part.values()))
            scale = math.sqrt(share / total) / norm
            text.features.update((f, v * scale) for f, v in part.items())
        text.meaning = _meaning_of(weighted, known or meaning())
    _apart_from_the_room(texts)
    return idf


def _apart_from_the_room(texts: list[_Text]) -> None:
    """Take what the room's texts mean in common out of each text's meaning, keeping its length: in a room of one
    opgave every obstacle means that opgave, and what tells them apart is the rest."""
    meanings = [text.meaning for text in texts if text.meaning is not None]
    if len(meanings) < 2:
        return
    np = _numpy()
    # as if MEANING_ROOM more texts meant nothing in common: a few texts that say one thing are not a room's theme
    common = np.sum(np.stack(meanings), axis=0) / (len(meanings) + MEANING_ROOM)
    for text in texts:
        if text.meaning is not None:
            rest = text.meaning - common
            norm = float(np.linalg.norm(rest))
            text.meaning = rest * (float(np.linalg.norm(text.meaning)) / norm) if norm > 0 else None


def meaningful(texts: Sequence[str]) -> list[set[str]]:
    """The features of each text whose meaning is learnt (app/bench/meaning.py): its stems, the parts of its compounds
    and its concepts, without the letter n-grams, the pairs of words and the words every obstacle uses."""
    words = lexicon()
    analysed = _analyse([Obstacle(n, text) for n, text in enumerate(texts)])
    return [
        {f for f in _raw_features(text.tokens, text.concepts, words) if _one_word(f) and f not in words.generic}
        for text in analysed
    ]


def _meaning_of(weighted: Mapping[str, float], known: Meaning) -> Any:
    """A text's meaning: the sum of its features' learnt meanings, each as much as the feature weighs, at the length
    of the square root of the share of its words' weight whose meaning is known (a text of words never learnt is
    not sure of what it means); None when no feature has a known meaning."""
    found = [(known.rows[f], w) for f, w in weighted.items() if f in known.rows]
    if not found:
        return None
    np = _numpy()
    rows, weights = zip(*found, strict=True)
    vector = np.asarray(weights, dtype=np.float32) @ known.vectors[list(rows)]
    norm = float(np.linalg.norm(vector))
    words = sum(w * w for f, w in weighted.items() if _one_word(f))
    share = min(1.0, sum(w * w for w in weights) / words)
    return vector * (share**0.25 / norm) if norm > 0 else None


class _DenseRows:
    """A text's sums with the texts after it, added feature by feature in numpy, for rows with many pairs (a
    sentence a thousand phones sent with a word of their own): one addition a feature rather than one a pair, in
    the same order as one by one, so the cosines are the same to the last bit."""

    def __init__(self, ids: Mapping[str, list[int]], weights: Mapping[str, list[float]], count: int) -> None:
        self.ids, self.weights = ids, weights
        self.arrays: dict[str, tuple[Any, Any]] = {}
        self.sums = _numpy().zeros(count)

    def row(self, i: int, after: Sequence[tuple[str, float, int]]) -> list[tuple[int, float]]:
        """The texts after text i alike to it at EDGE_FLOOR or more, and their cosines; after holds each of its
        features, its weight and where the texts after i start in the feature's postings."""
        np = _numpy()
        for f, v, start in after:
            if f not in self.arrays:
                self.arrays[f] = (np.asarray(self.ids[f]), np.asarray(self.weights[f]))
            others, alike = self.arrays[f]
            self.sums[others[start:]] += v * alike[start:]
        sums = self.sums[i + 1 :]
        found = np.flatnonzero(sums >= EDGE_FLOOR)
        pairs = list(zip((found + i + 1).tolist(), sums[found].tolist(), strict=True))
        sums[:] = 0.0
        return pairs


def _neighbours(texts: list[_Text]) -> dict[int, dict[int, float]]:
    """The cosine of every pair of texts alike enough to count, both ways round (text → other text → cosine), bent
    by what they mean, with links of meaning alone added (_bend).

    An inverted index finds the pairs that share a feature (unrelated pairs cost nothing), one text's row at a
    time, so memory holds the pairs that count rather than every pair that shares a word.
    """
    ids: dict[str, list[int]] = defaultdict(list)
    weights: dict[str, list[float]] = defaultdict(list)
    for i, text in enumerate(texts):
        for f, v in text.features.items():
            ids[f].append(i)
            weights[f].append(v)
    near: dict[int, dict[int, float]] = {i: {} for i in range(len(texts))}
    dense = _DenseRows(ids, weights, len(texts))
    for i, text in enumerate(texts):
        after = [(f, v, bisect.bisect_right(ids[f], i)) for f, v in text.features.items()]
        if sum(len(ids[f]) - start for f, _, start in after) >= DENSE_ROW:
            found = dense.row(i, after)
        else:
            row: dict[int, float] = defaultdict(float)
            for f, v, start in after:
                for j, w in zip(ids[f][start:], weights[f][start:], strict=True):
                    row[j] += v * w
            found = [(j, cosine) for j, cosine in row.items() if cosine >= EDGE_FLOOR]
        for j, cosine in found:
            near[i][j] = near[j][i] = cosine
    _bend(texts, near)
    return near


def _bend(texts: list[_Text], near: dict[int, dict[int, float]]) -> None:
    """Bend the word links by what the texts mean (MEANING_BEND), and link each text to those nearest to it in
    meaning (MEANING_NEAREST): "niemand wil in het bestuur" and "verenigingen vinden geen penningmeester" share no
    word."""
    known = [i for i, text in enumerate(texts) if text.meaning is not None]
    if len(known) < 2:
        return
    np = _numpy()
    # each text's row of vectors, -1 for a text whose meaning is not known
    place = np.full(len(texts), -1)
    place[known] = np.arange(len(known))
    vectors = np.stack([texts[i].meaning for i in known])
    nearest = min(MEANING_NEAREST, len(known) - 1)
    added: list[tuple[int, int, float]] = []
    for start in range(0, len(known), MEANING_BLOCK):
        block = vectors[start : start + MEANING_BLOCK] @ vectors.T
        for n, cosines in enumerate(block, start):
            i = known[n]
            row = near[i]
            # each pair once, from its first text; in numpy, as a pile of near-duplicates has a million pairs
            others = np.fromiter(row, dtype=np.intp, count=len(row))
            later = place[others] > n
            if later.any():
                links = np.fromiter(row.values(), dtype=np.float64, count=len(row))[later]
                alike = cosines[place[others[later]]].astype(np.float64)
                bent = links * np.maximum(0.0, 1 + MEANING_BEND * (alike - MEANING_MIDDLE))
                for j, link in zip(others[later].tolist(), bent.tolist(), strict=True):
                    row[j] = near[j][i] = link
            cosines[n] = -1.0
            top = np.argpartition(-cosines, nearest - 1)[:nearest]
            excess = cosines[top] - MEANING_MIDDLE
            added.extend((i, known[m], float(e)) for m, e in zip(top[excess > 0], excess[excess > 0], strict=True))
    # after the bending, which is of the word links only
    for i, j, excess in added:
        near[i][j] = near[j][i] = near[i].get(j, 0.0) + MEANING_LINK * excess


def _cosine(a: _Text, b: _Text) -> float:
    """How alike two texts are: the cosine of their feature bags."""
    return sum(v * b.features.get(f, 0.0) for f, v in a.features.items())


class _Pairs:
    """What the learnt links (LEARNT_*) are worked out from, for a room: its texts' meanings and the model's readings
    of them; rows of pairs are made a block at a time, so a room of 4,000 never holds every pair at once.

    Only how alike two texts are counts. Where a pair stands among the room's others (ranks, shared nearest
    neighbours) helped whole labelled sets a little and piled every obstacle of a small room together. The word
    cosine, given the meaning learnt from those words, was learnt to count against a link: two obstacles would have
    been less likely to share a pile the more words they share. The words count through their meaning, and through
    the checks of small piles and of lone pairs."""

    def __init__(self, texts: list[_Text], readings: Any) -> None:
        np = _numpy()
        count = len(texts)
        # a text whose meaning is not known is alike to none in meaning
        self.meanings = np.zeros((count, meaning().vectors.shape[1]), dtype=np.float32)
        for i, text in enumerate(texts):
            if text.meaning is not None:
                self.meanings[i] = text.meaning
        read = np.asarray(readings, dtype=np.float64)
        # as for the words' meaning (MEANING_ROOM): two texts centred on their mean alone would be opposites
        read = read - read.sum(axis=0) / (count + MEANING_ROOM)
        read /= np.maximum(np.linalg.norm(read, axis=1, keepdims=True), 1e-12)
        self.readings = read.astype(np.float32)

    def features(self, start: int, stop: int) -> Any:
        """The features of every pair in rows start to stop (rows × texts × features): a constant, and how alike
        their meanings and their readings are."""
        np = _numpy()
        meanings = self.meanings[start:stop] @ self.meanings.T
        readings = self.readings[start:stop] @ self.readings.T
        return np.stack([np.ones_like(meanings), meanings, readings], axis=-1)


def pair_features(texts: list[_Text], readings: Any) -> Any:
    """The features of every pair of a room's texts (texts × texts × features): what app/bench/meaning.py learns the
    links from."""
    pairs = _Pairs(texts, readings)
    return pairs.features(0, len(texts))


def analysed(obstacles: Sequence[Obstacle], known: Meaning) -> list[_Text]:
    """The obstacles analysed and weighed as a room, with these meanings of words (app/bench/meaning.py learns the
    links from them)."""
    texts = _analyse(obstacles)
    _weigh(texts, known)
    return texts


def _learnt_links(texts: list[_Text], readings: Any, weights: Any) -> dict[int, dict[int, float]]:
    """How likely each pair of texts is to belong on one pile, learnt (LEARNT_*), both ways round; pairs less likely
    than LEARNT_FLOOR left out."""
    near: dict[int, dict[int, float]] = {i: {} for i in range(len(texts))}
    if len(texts) < 2:
        return near
    np = _numpy()
    pairs = _Pairs(texts, readings)
    # a text without a word (emoji, punctuation) is linked to none, as by words alone: the model reads them all alike
    wordless = np.array([not text.features for text in texts])
    for start in range(0, len(texts), LINK_BLOCK):
        stop = min(len(texts), start + LINK_BLOCK)
        likely = 1.0 / (1.0 + np.exp(-(pairs.features(start, stop) @ weights)))
        likely[:, wordless] = 0.0
        likely[wordless[start:stop]] = 0.0
        for n, i in enumerate(range(start, stop)):
            # each pair once, from its first text, so both ways round hold the same number
            for j in np.flatnonzero(likely[n, i + 1 :] >= LEARNT_FLOOR) + i + 1:
                near[i][int(j)] = near[int(j)][i] = float(likely[n, j])
    return near


# ---- piling up


def _average_linkage(
    near: dict[int, dict[int, float]],
    *,
    piles: Sequence[Sequence[int]],
    same: Sequence[Sequence[int]],
    threshold: float,
) -> list[list[int]]:
    """Merge groups while two are alike enough on average (consumes near), following a chain of nearest neighbours.

    Groups start as one text each, except existing piles, which take loose obstacles but never merge with each
    other, and texts that say the same (same), which start as one group.
    """
    # sums[a][b]: the summed cosines between the members of groups a and b; a text's row is where a group's starts
    sums = near
    members: dict[int, list[int]] = {i: [i] for i in sums}
    fixed: set[int] = set()
    # groups alike enough to none: merging others only averages what they are alike to, so they stay that way
    done: set[int] = set()

    def merge(a: int, b: int) -> None:
        members[a].extend(members.pop(b))
        for c, s in sums.pop(b).items():
            del sums[c][b]
            if c != a:
                sums[a][c] = sums[a].get(c, 0.0) + s
                sums[c][a] = sums[c].get(a, 0.0) + s
        sums[a].pop(b, None)

    def nearest(a: int, previous: int | None) -> int | None:
        # of equally alike groups the chain's previous one, so that a tie ends the chain rather than circling
        size = len(members[a])
        best, key = None, None
        for c, s in sums[a].items():
            if c in done or (a in fixed and c in fixed):
                continue
            candidate = (s / (size * len(members[c])), c == previous, -c)
            if candidate[0] >= threshold and (key is None or candidate > key):
                best, key = c, candidate
        return best

    for group, is_pile in [*((p, True) for p in piles), *((g, False) for g in same)]:
        for i in group[1:]:
            merge(group[0], i)
        if is_pile:
            fixed.add(group[0])
    # Each group's nearest is pushed on the chain until two are each other's nearest, and they merge. For average
    # linkage a merged group is never more alike to a third than its parts were, so the chain stays valid and the
    # piles are those of merging the most alike pair first (Murtagh 1983), in time that grows with the pairs rather
    # than with the pairs times the merges, which a pile of hundreds of near-duplicates made slow.
    starts = list(reversed(members))
    while starts:
        start = starts.pop()
        if start not in members or start in done:
            continue
        chain = [start]
        while chain:
            a = chain[-1]
            previous = chain[-2] if len(chain) > 1 else None
            b = nearest(a, previous)
            if b is None:
                done.add(chain.pop())
            elif b != previous:
                chain.append(b)
            else:
                del chain[-2:]
                # the larger group (or the existing pile) absorbs the other
                if b in fixed or (a not in fixed and len(members[b]) > len(members[a])):
                    a, b = b, a
                merge(a, b)
                (chain if not chain else starts).append(a)
    return [sorted(group) for group in members.values()]


def _reassign(alike: dict[int, dict[int, float]], groups: list[list[int]], *, keep: set[int]) -> list[list[int]]:
    """Move each member to the pile it is most alike to on average, when that is clearly another one: the greedy
    merging may have put it where a broad shared word took it first."""
    home = {i: g for g, members in enumerate(groups) for i in members}
    members = [set(m) for m in groups]
    for _ in range(REASSIGN_ROUNDS):
        moved = 0
        for i in sorted(home):
            own = home[i]
            if i in keep or len(members[own]) < 2:
                continue
            sums: dict[int, float] = defaultdict(float)
            for j, cosine in alike[i].items():
                sums[home[j]] += cosine
            mine = sums.get(own, 0.0) / (len(members[own]) - 1)
            best, score = own, mine
            for g, total in sums.items():
                if g != own and len(members[g]) >= 2 and total / len(members[g]) > score:
                    best, score = g, total / len(members[g])
            if best != own and score > mine + REASSIGN_MARGIN:
                members[own].discard(i)
                members[best].add(i)
                home[i] = best
                moved += 1
        if not moved:
            break
    return [sorted(m) for m in members if m]


def _trim(texts: list[_Text], group: list[int], *, keep: set[int], threshold: float) -> list[int]:
    """A pile without the members alike enough to too few of the others (MEMBER_LINKS), the least linked first;
    members in keep (an existing pile's) stay."""
    if len(group) < 3:
        return group
    local = _neighbours([texts[i] for i in group])
    alive = set(range(len(group)))
    linked = {i: [j for j, cosine in row.items() if cosine >= threshold] for i, row in local.items()}
    links = {i: len(others) for i, others in linked.items()}
    while len(alive) > 2:
        weakest = min((i for i in alive if group[i] not in keep), key=lambda i: (links[i], i), default=None)
        if weakest is None or links[weakest] >= MEMBER_LINKS * (len(alive) - 1):
            break
        alive.remove(weakest)
        for j in linked[weakest]:
            links[j] -= 1
    return [group[i] for i in sorted(alive)]


def _supported(texts: list[_Text], group: list[int], *, keep: set[int], words: Lexicon) -> list[int]:
    """A small pile (SMALL_PILE) without the members that share fewer than PAIR_WORDS words with every other, the
    least alike first, unless all its members share words or a concept (not generic or aside) that are much of what
    each says (COMMON_WEIGHT); members in keep stay."""
    alive = list(group)
    while 2 < len(alive) <= SMALL_PILE:
        if _much_of_each(texts, alive, words, COMMON_WEIGHT):
            break
        weak = [
            i
            for i in alive
            if i not in keep and all(_words_shared(texts, (i, j), words) < PAIR_WORDS for j in alive if j != i)
        ]
        if not weak:
            break
        alive.remove(min(weak, key=lambda i: (sum(_cosine(texts[i], texts[j]) for j in alive if j != i), i)))
    return alive


def _close_knit(texts: list[_Text], group: list[int], *, keep: set[int]) -> list[int]:
    """A small pile (SMALL_PILE) without the members less than SMALL_LINK alike to one of the others, the one least
    alike to all the rest first (of two that are not alike, the one the others share less with); members in keep
    stay."""
    alive = list(group)
    while 2 < len(alive) <= SMALL_PILE:
        alike = {i: [_cosine(texts[i], texts[j]) for j in alive if j != i] for i in alive if i not in keep}
        weak = [i for i, cosines in alike.items() if min(cosines) < SMALL_LINK]
        if not weak:
            break
        alive.remove(min(weak, key=lambda i: (sum(alike[i]), i)))
    return alive


def _proposable(texts: list[_Text], group: list[int], *, said_same: set[int], words: Lexicon) -> bool:
    """Whether a group makes a pile worth proposing: loose obstacles to add to an existing pile, or at least two
    for a new one, which share PAIR_WORDS words (or, in a small room, one that is much of each: PAIR_ROOM) when
    they are just two and say different things."""
    on_pile = [i for i in group if texts[i].obstacle.pile is not None]
    added = [i for i in group if texts[i].obstacle.pile is None]
    if not added or (not on_pile and len(added) < 2):
        return False
    lone_pair = len(added) == 2 and not on_pile and not set(added) <= said_same
    if not lone_pair or _words_shared(texts, added, words) >= PAIR_WORDS:
        return True
    return _much_of_each(texts, added, words, COMMON_WEIGHT * max(1.0, len(texts) / PAIR_ROOM))


def _one_word(feature: str) -> bool:
    """Whether a feature is a word (a stem or a compound's part) or a concept, not a letter n-gram or a pair."""
    return not feature.startswith("#") and " " not in feature


def _much_of_each(texts: list[_Text], group: Sequence[int], words: Lexicon, bar: float) -> bool:
    """Whether all members share words or a concept (not generic or aside) that weigh at least bar in each one's
    bag: "schulden" in three short texts, not "zorg" in long ones."""
    common = [
        f
        for f in set.intersection(*(set(texts[i].features) for i in group))
        if _one_word(f) and f not in words.generic and f not in words.aside
    ]
    return bool(common) and all(math.hypot(*(texts[i].features[f] for f in common)) >= bar for i in group)


def _attach_loose(texts: list[_Text], groups: list[list[int]], *, aside: frozenset[str]) -> list[list[int]]:
    """The piles to propose, each loose obstacle not on an existing pile added to the one whose concept it names
    (ATTACH_PILE, ATTACH_SHARE)."""

    def concepts(i: int) -> set[str]:
        return {f for f in texts[i].features if f.startswith("~") and f not in aside}

    piles = [list(group) for group in groups]
    topics: dict[str, int] = {}
    for n, pile in enumerate(piles):
        counts = Counter(f for i in pile for f in concepts(i))
        most = max(counts.values(), default=0)
        # a pile whose members name two concepts as often has no one topic (and which came first would depend on
        # the order of a set, so on the process)
        (topic, *others) = [f for f, count in counts.items() if count == most] or [""]
        if len(pile) >= ATTACH_PILE and topic and not others and 2 * most >= len(pile):
            # two piles on one concept: an obstacle that names it has no one pile to join
            topics[topic] = -1 if topic in topics else n
    placed = {i for pile in piles for i in pile}
    for i, text in enumerate(texts):
        if i in placed or text.obstacle.pile is not None:
            continue
        named = concepts(i)
        total = sum(text.features[f] for f in named)
        homes = {topics[f] for f in named if topics.get(f, -1) >= 0 and text.features[f] >= ATTACH_SHARE * total}
        if len(homes) == 1:
            piles[homes.pop()].append(i)
    return [sorted(pile) for pile in piles]


def _words_shared(texts: list[_Text], pair: Sequence[int], words: Lexicon) -> int:
    """How many words two texts share, a concept and the words it stands for counting once, generic words not."""
    a, b = (texts[i].features for i in pair)
    shared = {f for f in a if f in b and _one_word(f)}
    concepts = {f for f in shared if f.startswith("~")}
    return len(concepts) + sum(
        1
        for f in shared
        if not f.startswith("~") and f not in words.generic and f"~{words.concepts.get(f, '')}" not in concepts
    )


# ---- explaining and naming


def _shared(texts: list[_Text], group: Sequence[int], idf: Mapping[str, float]) -> list[str]:
    """The features most of a pile's members share, the rarest in the room first among equally shared."""
    counts: Counter[str] = Counter(f for i in group for f in texts[i].features if not f.startswith("#"))
    least = max(2, math.ceil(len(group) * 0.3))
    shared = [f for f, n in counts.items() if n >= least]
    shared.sort(key=lambda f: (-counts[f], -idf.get(f, 0), f))
    # a pair of words says more than its words: show "plek jongeren" rather than "plek" and "jongeren" too
    pairs = [f for f in shared if " " in f]
    covered = {w for f in pairs for w in f.split()}
    return [f for f in shared if " " in f or f not in covered]


def _display(texts: list[_Text], group: Sequence[int], feature: str) -> str:
    """How a feature is written in the pile's own words: its most frequent surface form, lower case; a concept
    by its two most frequent words ("wijkagent ≈ politie")."""
    forms: Counter[str] = Counter()
    by_stem: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for i in group:
        tokens = texts[i].tokens
        text = texts[i].obstacle.text
        if " " in feature:
            first, second = feature.split()
            for a, b in zip(tokens, tokens[1:], strict=False):
                if (a.stem, b.stem) == (first, second):
                    forms[" ".join(text[a.start : b.end].split()).lower()] += 1
        elif feature.startswith("~"):
            for start, end, concept in texts[i].concepts:
                if concept == feature:
                    said = " ".join(text[tokens[start].start : tokens[end].end].split()).lower()
                    by_stem[tuple(t.stem for t in tokens[start : end + 1])][said] += 1
        else:
            for t in tokens:
                if t.stem == feature:
                    forms[t.surface.lower()] += 1
                elif feature in t.parts:
                    forms[t.part_words[t.parts.index(feature)]] += 1
    if by_stem:
        ranked = sorted(by_stem.values(), key=lambda c: -sum(c.values()))
        # two spellings the stemmer keeps apart can read the same once lower-cased, and "schulden ≈ problematische
        # schulden" says no more than "schulden": a form is shown only when its words neither hold nor are held by
        # another's
        shown: dict[str, set[str]] = {}
        for form in (c.most_common(1)[0][0] for c in ranked):
            words = set(_WORD.findall(form))
            if not any(words <= other or other <= words for other in shown.values()):
                shown[form] = words
        return " ≈ ".join(list(shown)[:2])
    return forms.most_common(1)[0][0] if forms else feature.lstrip("~")


def _shown(texts: list[_Text], group: Sequence[int], features: Sequence[str]) -> list[str]:
    """The shared features as the board shows them: in the pile's words, none that another one already says
    ("huis" beside "wifi in het buurthuis": the longer takes the place of the first it holds; "vuurwerk rond oud"
    beside "oud en nieuw ≈ vuurwerk": its words, stop words aside, are all there), two pairs that a member says as one
    phrase joined into it."""
    dutch, english = _stopwords()

    def says(longer: str, shorter: str) -> bool:
        return shorter in longer or set(_WORD.findall(shorter)) - dutch - english <= set(_WORD.findall(longer))

    said = [" ".join(texts[i].obstacle.text.split()).lower() for i in group]

    def joined(first: str, second: str) -> str | None:
        # "bus rijdt" and "rijdt 's avonds" read as one, "bus rijdt 's avonds", where a member says it so
        head, _, rest = second.partition(" ")
        whole = f"{first}{second[len(head) :]}"
        return whole if rest and " " in first and first.endswith(f" {head}") and any(whole in s for s in said) else None

    shown: list[str] = []
    for feature in features:
        display = _display(texts, group, feature)
        if any(says(other, display) for other in shown):
            continue
        display = next((j for other in shown for j in (joined(other, display), joined(display, other)) if j), display)
        held = [n for n, other in enumerate(shown) if says(display, other)]
        if held:
            shown[held[0]] = display
            shown = [other for n, other in enumerate(shown) if n not in held[1:]]
        else:
            shown.append(display)
        if len(shown) == SHOWN_SHARED:
            break
    return shown


def _marks(text: _Text, features: set[str]) -> list[list[int]]:
    """Where a text says what its pile shares: the [start, end) of each such word or pair, in UTF-16 units."""
    spans: list[tuple[int, int]] = []
    tokens = text.tokens
    # a pair's words count on their own too, where they are not side by side
    singles = features | {w for f in features if " " in f for w in f.split()}
    for a, b in zip(tokens, tokens[1:], strict=False):
        if f"{a.stem} {b.stem}" in features:
            spans.append((a.start, b.end))
    for t in tokens:
        if t.stem in singles or any(p in singles for p in t.parts):
            spans.append((t.start, t.end))
    spans.extend(
        (tokens[first].start, tokens[last].end) for first, last, concept in text.concepts if concept in features
    )
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    raw = text.obstacle.text
    return [[_utf16(raw, s), _utf16(raw, e)] for s, e in merged]


def _akin(texts: Sequence[_Text], features: set[str]) -> dict[int, list[list[int]]]:
    """Where texts that say none of their pile's shared words say what is nearest to them in learnt meaning: per
    obstacle id, the [start, end) of its word whose meaning is most like theirs together, when at least MEANING_MIDDLE
    alike ("hondenpoep" in a pile that shares "zwerfafval"); a text with no such word is left out."""
    known, words = meaning(), lexicon()
    # in a fixed order: a float sum in a set's order could differ by the last bit under another hash seed
    anchors = [known.rows[w] for f in sorted(features) for w in f.split() if w in known.rows]
    if not texts or not anchors:
        return {}
    np = _numpy()
    together = known.vectors[anchors].sum(axis=0)
    together /= max(float(np.linalg.norm(together)), 1e-12)
    found = {}
    for text in texts:
        best, span = MEANING_MIDDLE, None
        for n, t in enumerate(text.tokens):
            concepts = (concept for first, last, concept in text.concepts if first <= n <= last)
            for f in (t.stem, *t.parts, *concepts):
                if f not in known.rows or f in words.generic:
                    continue
                if (alike := float(known.vectors[known.rows[f]] @ together)) >= best:
                    best, span = alike, (t.start, t.end)
        if span:
            raw = text.obstacle.text
            found[text.obstacle.id] = [[_utf16(raw, span[0]), _utf16(raw, span[1])]]
    return found


def _tidy(text: str) -> str:
    """An obstacle's text as a pile's name: one line, without trailing marks or emoji."""
    line = " ".join(text.split())
    while line and not line[-1].isalnum():
        line = line[:-1].rstrip()
    return line[:1].upper() + line[1:] if line else ""


def _name(texts: list[_Text], group: Sequence[int]) -> str:
    """A name in the pile's own words: its most repeated text, or else the obstacle most like the others, a short
    one if there is one, a long one by its first clause."""
    repeated = Counter(texts[i].folded for i in group if texts[i].folded)
    folded, times = repeated.most_common(1)[0] if repeated else ("", 0)
    if times >= 2:
        return _named(next(texts[i].obstacle.text for i in group if texts[i].folded == folded))

    def centrality(i: int) -> float:
        # against fifty members at most: a name needs no more, and a pile of 2,000 would take seconds
        return sum(_cosine(texts[i], texts[j]) for j in group[:50] if j != i)

    lines = {i: line for i in group if (line := _tidy(texts[i].obstacle.text))}
    short = [i for i, line in lines.items() if len(line) <= NAME_LENGTH]
    best = max(short or lines, key=lambda i: (centrality(i), -len(texts[i].obstacle.text), -i), default=None)
    return "" if best is None else _named(lines[best])


def _named(text: str) -> str:
    """An obstacle's text as a name in whole words: the text itself when it is at most NAME_LENGTH long, else its first
    clause when that is, else the whole text (a screen clamps it to its lines; a stored ellipsis would show even
    where there is room)."""
    line = _tidy(text)
    if len(line) <= NAME_LENGTH:
        return line
    ends = (
        m.start() for m in _CLAUSE_END.finditer(line) if line[m.end() :].lstrip()[:1].isupper() or m[0] not in ".!?"
    )
    if (end := next(ends, None)) is not None:
        clause = _tidy(line[:end])
        if len(clause.split()) >= CLAUSE_WORDS and len(clause) <= NAME_LENGTH:
            return clause
    return _tidy(whole_words(line))


def whole_words(line: str) -> str:
    """A pile's name of at most NAME_MOST characters, stopping after a whole word: one rule for a suggested name and
    one the facilitator typed or pasted (which the board's field cut mid-word)."""
    if len(line) <= NAME_MOST:
        return line
    # a word cut in two only when it is most of the name (a pasted run of letters)
    cut = line[: NAME_MOST + 1]
    space = cut.rfind(" ")
    return (cut[:space] if space >= NAME_MOST // 3 else cut[:NAME_MOST]).rstrip()


def _doubtful(texts: list[_Text], alike: Mapping[int, Mapping[int, float]], group: Sequence[int]) -> bool:
    """Whether a pile's members are on average less alike than DOUBTFUL_LINK (its first DOUBTFUL_MEMBERS)."""
    # each thing said once: copies are linked far above 1 (a word link, bent, plus one of meaning), and three of
    # one sentence would make a mixed pile look sure
    first: dict[tuple[str, ...], int] = {}
    for i in group:
        first.setdefault(_signature(texts[i]), i)
    members = list(first.values())[:DOUBTFUL_MEMBERS]
    if len(members) < 3:
        return False
    total = sum(alike[i].get(j, 0.0) for n, i in enumerate(members) for j in members[n + 1 :])
    return total / (len(members) * (len(members) - 1) / 2) < DOUBTFUL_LINK


def _near_duplicates(texts: list[_Text], group: Sequence[int], copies: Mapping[int, Sequence[_Text]]) -> bool:
    """Whether a pile is near-duplicates: its members all alike, or most of them (three or more) saying the same."""
    said: Counter[tuple[str, ...]] = Counter()
    for i in group:
        said[_signature(texts[i])] += 1 + len(copies.get(i, ()))
    if (most := said.most_common(1)[0][1]) >= 3 and most * 2 >= said.total():
        return True
    first, *rest = group
    return bool(rest) and all(_cosine(texts[first], texts[i]) >= DUPLICATE for i in rest)


# ---- tags


class _Keywords(NamedTuple):
    """A tag's keywords as stems: one-word keywords as a set, those of several words (all needed) apart."""

    single: frozenset[str]
    several: tuple[tuple[str, ...], ...]


def _keyword_stems(keywords: Mapping[str, Iterable[str]]) -> dict[str, _Keywords]:
    """Each tag's keywords as the stems of their words."""
    found = {}
    for tag, words in keywords.items():
        stems = [tuple(stem(_fold(w)) for w in _WORD.findall(keyword)) for keyword in words]
        found[tag] = _Keywords(frozenset(s[0] for s in stems if len(s) == 1), tuple(s for s in stems if len(s) > 1))
    return found


def _tag(
    texts: list[_Text], group: Sequence[int], keyword_stems: Mapping[str, _Keywords], tags: Sequence[str]
) -> str | None:
    """The tag whose keywords the most members use (a third of them at least), or None."""
    best, best_count = None, 0
    for tag in tags:
        if tag not in keyword_stems:
            continue
        single, several = keyword_stems[tag]
        count = sum(
            bool(single & texts[i].stems) or any(all(s in texts[i].stems for s in k) for k in several) for i in group
        )
        if count > best_count:
            best, best_count = tag, count
    return best if best_count >= max(1, math.ceil(len(group) / 3)) else None


# ---- the whole


@dataclass
class Result:
    """What a suggestion run gives: the proposed piles, in the order to show them, and how many stay loose."""

    piles: list[Suggestion]
    loose: int
    considered: int

    def as_dict(self) -> dict[str, Any]:
        """The run as the board receives it."""
        return {"piles": [p.as_dict() for p in self.piles], "loose": self.loose, "considered": self.considered}


def suggest(
    obstacles: Sequence[Obstacle],
    *,
    keywords: Mapping[str, Iterable[str]] | None = None,
    tensions: Sequence[str] = (),
    themes: Sequence[str] = (),
    model: SentenceModel | None = None,
) -> Result:
    """Propose piles for loose obstacles: new piles, and additions to existing ones (which are never broken up); with
    a sentence model, by what it reads in them too."""
    considered = sum(o.pile is None for o in obstacles)
    texts, copies = _set_aside_copies(_analyse(obstacles))
    obstacles = [text.obstacle for text in texts]
    idf = _weigh(texts)
    if model is None:
        near, threshold = _neighbours(texts), THRESHOLD
    else:
        readings = model.read([text.obstacle.text for text in texts])
        near, threshold = _learnt_links(texts, readings, model.links), LEARNT_THRESHOLD
    index = {o.id: i for i, o in enumerate(obstacles)}
    existing: dict[int, list[int]] = defaultdict(list)
    for o in obstacles:
        if o.pile is not None:
            existing[o.pile].append(index[o.id])
    repeated: dict[tuple[str, ...], list[int]] = defaultdict(list)
    words = lexicon()
    for i, text in enumerate(texts):
        # "mensen" and "geen mensen" say nothing alike: a text of generic words only repeats nothing
        if text.obstacle.pile is None and text.features and any(t.stem not in words.generic for t in text.tokens):
            repeated[_signature(text)].append(i)
    same = [group for group in repeated.values() if len(group) > 1]
    alike = {i: dict(row) for i, row in near.items()}
    on_piles = {i for members in existing.values() for i in members}
    said_same = {i for g in same for i in g}
    groups = _average_linkage(near, piles=list(existing.values()), same=same, threshold=threshold)
    groups = _reassign(alike, groups, keep=on_piles | said_same)
    if model is None:
        # the learnt links are not trimmed: trimmed by them, the piles of the labelled sets stayed as they were (with
        # the links' first version, fifteenth round; not measured again with the links shipped)
        groups = [_trim(texts, group, keep=on_piles, threshold=max(threshold, LINK)) for group in groups]
    groups = [_supported(texts, group, keep=on_piles | said_same, words=words) for group in groups]
    groups = [_close_knit(texts, group, keep=on_piles | said_same) for group in groups]
    # existing piles stay in, to take loose obstacles that name their concept
    groups = [g for g in groups if _proposable(texts, g, said_same=said_same, words=words) or on_piles & set(g)]
    groups = [g for g in _attach_loose(texts, groups, aside=words.aside) if not set(g) <= on_piles]
    keyword_stems = _keyword_stems(keywords or {})
    piles = []
    for group in groups:
        on_pile = [i for i in group if obstacles[i].pile is not None]
        features = _shared(texts, group, idf)
        shown = set(features[:SHOWN_SHARED])
        pile = obstacles[on_pile[0]].pile if on_pile else None
        said = [t for i in group for t in (texts[i], *copies.get(i, ()))]
        ids = [t.obstacle.id for t in said if t.obstacle.pile is None]
        duplicates = _near_duplicates(texts, group, copies)
        marks = {t.obstacle.id: m for t in said if (m := _marks(t, shown))}
        piles.append(
            Suggestion(
                key=f"{pile or 'new'}-{min(ids)}",
                name="" if pile is not None else _name(texts, group),
                answer_ids=ids,
                into=pile,
                pile_ids=[obstacles[i].id for i in on_pile],
                shared=_shown(texts, group, features),
                marks=marks,
                akin=_akin([t for t in said if t.obstacle.id not in marks], shown),
                duplicates=duplicates,
                doubtful=pile is None and not duplicates and _doubtful(texts, alike, group),
                tension=_tag(texts, group, keyword_stems, tensions),
                theme=_tag(texts, group, keyword_stems, themes),
            )
        )
    # near-duplicates first, the doubtful last, the largest first in between
    piles.sort(key=lambda p: (not p.duplicates, p.doubtful, -(len(p.answer_ids) + len(p.pile_ids)), min(p.answer_ids)))
    # a server keeps nothing of a run: thousands of cached words would hold on to memory between asks
    stem.cache_clear()
    placed = sum(len(p.answer_ids) for p in piles)
    return Result(piles=piles, loose=considered - placed, considered=considered)
