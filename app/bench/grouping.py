"""How good and how fast the suggested piles are: measured against a labelled set of obstacles.

`doorbraak bench grouping` prints the figures; tests/clusters/test_suggest_quality.py holds them above a floor.
The set (tests/clusters/data/obstacles_nl.yaml) names each obstacle's true pile; obstacles under `loose` belong
on none and count as a group of their own each.
"""

import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from math import comb
from pathlib import Path
from typing import Any

import yaml

from app.clusters import keywords, suggest
from app.clusters.model import SentenceModel
from app.models import TENSIONS, THEMES

# in a checkout: the labelled set beside the tests that use it
DATA = Path(__file__).resolve().parents[2] / "tests" / "clusters" / "data"
DEFAULT_SET = DATA / "obstacles_nl.yaml"
# written after the settings were chosen, by authors who had not read the matcher, its lexicon or the other sets;
# every one was tuned on later but the last three (docs/performance.md says which round looked at which)
HOLDOUT_SETS = (
    DATA / "obstacles_nl_holdout.yaml",
    DATA / "obstacles_nl_holdout2.yaml",
    DATA / "obstacles_nl_holdout3.yaml",
    DATA / "obstacles_nl_holdout4.yaml",
    DATA / "obstacles_nl_holdout5.yaml",
    DATA / "obstacles_nl_holdout6.yaml",
    DATA / "obstacles_nl_holdout7.yaml",
    DATA / "obstacles_nl_holdout8.yaml",
    DATA / "obstacles_nl_holdout9.yaml",
    DATA / "obstacles_nl_holdout10.yaml",
    DATA / "obstacles_nl_holdout11.yaml",
    DATA / "obstacles_nl_holdout12.yaml",
    DATA / "obstacles_nl_holdout13.yaml",
    DATA / "obstacles_nl_holdout14.yaml",
)
# written the same way, each for one session on one opgave (the key `opgave`), as the product is used: every
# obstacle is about that opgave, and its piles differ by the obstacle, not by the topic; the hardest kind
ONE_OPGAVE_SETS = tuple(DATA / f"obstacles_nl_holdout{n}.yaml" for n in range(15, 20))
# written the same way for the matcher to learn the meaning of words from (app/bench/meaning.py), one opgave each
TRAINING_SETS = tuple(sorted(DATA.glob("obstacles_nl_train*.yaml")))
ALL_SETS = (DEFAULT_SET, *HOLDOUT_SETS, *ONE_OPGAVE_SETS, *TRAINING_SETS)
# never learnt from nor read: what they measure is how the matcher does on obstacles it has never seen
BLIND_SETS = tuple(DATA / f"obstacles_nl_holdout{n}.yaml" for n in (12, 13, 14, 15, 19))
# the blind sets' obstacles sorted into piles again, by a second reader who saw only the texts: how far two agree
SECOND_READINGS = tuple(sorted((DATA / "second_reading").glob("obstacles_nl_*.yaml")))
PURE = 0.8
SIZES = (200, 2000)
# most rooms send fewer obstacles than a labelled set holds: rooms of these sizes are drawn from it, a few times each
ROOMS = (60, 100)
ROOM_DRAWS = 3


@dataclass(frozen=True)
class Labelled:
    """The labelled set: each obstacle's text and the key of the pile it belongs on."""

    texts: list[str]
    labels: list[str]


def load(path: Path = DEFAULT_SET) -> Labelled:
    """Read a labelled set; `loose` obstacles each get a label of their own."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts, labels = [], []
    for key, members in data["groups"].items():
        for text in members:
            texts.append(str(text))
            labels.append(str(key))
    for n, text in enumerate(data.get("loose") or []):
        texts.append(str(text))
        labels.append(f"loose-{n}")
    return Labelled(texts, labels)


def adjusted_rand_index(truth: Sequence[str], found: Sequence[str]) -> float:
    """How far two partitions agree beyond chance: 1 is the same, 0 what chance gives (Hubert and Arabie)."""
    pairs = Counter(zip(truth, found, strict=True))
    same_both = sum(comb(n, 2) for n in pairs.values())
    same_truth = sum(comb(n, 2) for n in Counter(truth).values())
    same_found = sum(comb(n, 2) for n in Counter(found).values())
    expected = same_truth * same_found / comb(len(truth), 2)
    best = (same_truth + same_found) / 2
    return 1.0 if best == expected else (same_both - expected) / (best - expected)


def agreement(first: Path, second: Path) -> float:
    """How far two readings of the same obstacles agree: the adjusted Rand index of their piles."""
    one, other = load(first), load(second)
    if sorted(one.texts) != sorted(other.texts):
        raise ValueError(f"{first.name} and {second.name} do not hold the same obstacles")
    piles = dict(zip(other.texts, other.labels, strict=True))
    return adjusted_rand_index(one.labels, [piles[text] for text in one.texts])


def _partition(result: suggest.Result, count: int) -> list[str]:
    """Each obstacle's proposed pile (its own id when it stays loose)."""
    found = [f"alone-{i}" for i in range(count)]
    for pile in result.piles:
        for answer_id in pile.answer_ids:
            found[answer_id] = pile.key
    return found


def quality(labelled: Labelled, *, model: SentenceModel | None = None) -> dict[str, Any]:
    """Adjusted Rand index, the share of pure piles, and the true piles found, for one run on the whole set."""
    obstacles = [suggest.Obstacle(i, text) for i, text in enumerate(labelled.texts)]
    result = suggest.suggest(obstacles, model=model)
    found = _partition(result, len(obstacles))
    purities, hits = [], set()
    sizes = Counter(labelled.labels)
    for pile in result.piles:
        label, n = Counter(labelled.labels[i] for i in pile.answer_ids).most_common(1)[0]
        purity = n / len(pile.answer_ids)
        purities.append(purity)
        # a true pile is found when a pure proposal holds at least half of it
        if purity >= PURE and n * 2 >= sizes[label] and not label.startswith("loose-"):
            hits.add(label)
    groups = sum(1 for label, n in sizes.items() if not label.startswith("loose-"))
    return {
        "obstacles": len(obstacles),
        "true_piles": groups,
        "adjusted_rand_index": round(adjusted_rand_index(labelled.labels, found), 3),
        "proposed_piles": len(result.piles),
        "pure_share": round(sum(p >= PURE for p in purities) / len(purities), 3) if purities else 0.0,
        "true_piles_found": len(hits),
        "left_loose": result.loose,
    }


def rooms(
    labelled: Labelled, size: int, *, draws: int = ROOM_DRAWS, model: SentenceModel | None = None
) -> dict[str, float]:
    """The mean adjusted Rand index and share of pure piles over `draws` rooms of `size` obstacles drawn from the set
    (the same ones every time)."""
    ari = pure = 0.0
    for seed in range(draws):
        chosen = sorted(random.Random(seed).sample(range(len(labelled.texts)), min(size, len(labelled.texts))))
        chosen_set = Labelled([labelled.texts[i] for i in chosen], [labelled.labels[i] for i in chosen])
        figures = quality(chosen_set, model=model)
        ari += figures["adjusted_rand_index"] / draws
        pure += figures["pure_share"] / draws
    return {"adjusted_rand_index": round(ari, 3), "pure_share": round(pure, 3)}


def variants(texts: Sequence[str], count: int, *, seed: int = 17) -> list[str]:
    """`count` obstacles made from the set: its own texts first, then copies with a word dropped, a letter
    swapped or a few words added, as a big room would send them."""
    rng = random.Random(seed)
    extra = ("in onze wijk", "echt", "al jaren", "bij ons", "in Noord", "voor iedereen")
    made = list(texts[:count])
    while len(made) < count:
        words = rng.choice(texts).split()
        change = rng.randrange(3)
        if change == 0 and len(words) > 2:
            del words[rng.randrange(len(words))]
        elif change == 1:
            i = rng.randrange(len(words))
            word = words[i]
            if len(word) > 3:
                j = rng.randrange(len(word) - 1)
                words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        else:
            words.append(rng.choice(extra))
        made.append(" ".join(words))
    return made


def echoes(labelled: Labelled, count: int, *, seed: int = 17) -> list[str]:
    """`count` obstacles as a room sends when it repeats a few sentences: the first of five of the set's piles, each
    sent by a fifth of the phones with a made-up word of its own after it, so no two are the same and each pile is
    hundreds strong (the hardest room for the merging found)."""
    first: dict[str, str] = {}
    for label, text in zip(labelled.labels, labelled.texts, strict=True):
        first.setdefault(label, text)
    sentences = list(first.values())[:5]
    rng = random.Random(seed)
    made = []
    for n in range(count):
        word = "".join(rng.choice("abdeghklmnoprstuvw") for _ in range(rng.randint(4, 9)))
        made.append(f"{sentences[n % len(sentences)]} {word}")
    return made


def timing(
    texts: Sequence[str], *, repeat: int = 3, model: SentenceModel | None = None, read_ahead: bool = False
) -> tuple[float, float]:
    """The fastest of a few runs of the suggestions for these obstacles (keyword tags included): seconds on the
    clock, and seconds of this process's CPU (what a busy shared machine does not inflate); a model reads every
    text again each run, unless it has read them ahead (as the board has it do while the room groups)."""
    obstacles = [suggest.Obstacle(i, text) for i, text in enumerate(texts)]
    wall = cpu = float("inf")
    for _ in range(repeat):
        if model is not None:
            model.forget()
            if read_ahead:
                model.read(texts)
        started, started_cpu = time.perf_counter(), time.process_time()
        suggest.suggest(obstacles, keywords=keywords.shipped_keywords(), tensions=TENSIONS, themes=THEMES, model=model)
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - started_cpu)
    return wall, cpu


def run(path: Path = DEFAULT_SET, model: SentenceModel | None = None) -> dict[str, Any]:
    """Quality on the labelled set and on smaller rooms drawn from it, and the time per 200 and per 2,000
    obstacles (with a sentence model, if one is given)."""
    labelled = load(path)
    figures = quality(labelled, model=model)
    for size in ROOMS:
        for key, value in rooms(labelled, size, model=model).items():
            figures[f"rooms_of_{size}_{key}"] = value
    for size in SIZES:
        wall, cpu = timing(variants(labelled.texts, size), model=model)
        figures[f"seconds_per_{size}"] = round(wall, 3)
        figures[f"cpu_seconds_per_{size}"] = round(cpu, 3)
        if model is not None:
            wall, cpu = timing(variants(labelled.texts, size), model=model, read_ahead=True)
            figures[f"seconds_per_{size}_read_ahead"] = round(wall, 3)
    wall, cpu = timing(echoes(labelled, SIZES[-1]), repeat=1, model=model)
    figures[f"seconds_per_{SIZES[-1]}_echoes"] = round(wall, 3)
    figures[f"cpu_seconds_per_{SIZES[-1]}_echoes"] = round(cpu, 3)
    return figures
