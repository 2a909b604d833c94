"""The learnt meaning of words (app/clusters/grouping_meaning.npz): made from the true piles of the labelled sets.

Every true pile of the sets it learns from is one document of the features its members use (their stems, the parts
of their compounds and the lexicon's concepts: suggest.meaningful); a feature's meaning is its row of the positive
pointwise mutual information of features and piles, reduced by a singular value decomposition to DIMENSIONS numbers.
Two features mean much the same when they are used in the same kinds of pile, in sets written by different authors:
"deurwaarder" and "incasso", "hangplek" and "jongerencentrum", "vervoer" and "regiotaxi". The blind sets
(grouping.BLIND_SETS) are never learnt from: they measure what was learnt.

With the sentence model (app/clusters/model.py) two more things are learnt (app/clusters/grouping_model.npz): the
directions of its reading that tell piles apart, and the links: how likely two obstacles are to share a pile, by a
logistic regression over the pairs of every set, each set's with the meanings and the projection learnt without it.

`doorbraak bench grouping --learn` writes the file again; tests/clusters/test_suggest_meaning.py holds that the
shipped one knows the features these sets give today.
"""

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from app.bench import grouping
from app.clusters import model as sentence_model
from app.clusters import suggest

DIMENSIONS = 64
# each dimension weighs as the square root of its singular value: the first few do not drown the rest
SPREAD = 0.5
# what the sentence model reads is projected on this many directions; the spread within piles is shrunk this far
# towards the same in every direction, so that one the sets barely vary along does not count for much (chosen on
# the labelled sets: docs/performance.md, fourteenth round)
MODEL_DIMENSIONS = 128
MODEL_SHRINK = 0.1
# the learnt links' logistic regression: how far its weights are held towards 0, and at most this many steps
LINKS_PRIOR = 1.0
LINKS_STEPS = 30
# of the pairs of two piles, this share is learnt from (the same ones each time)
LINKS_APART = 0.2
LINKS_SEED = 17


def learnt_from() -> list[Path]:
    """The labelled sets the meanings are learnt from: every one but the blind ones."""
    blind = set(grouping.BLIND_SETS)
    return [path for path in grouping.ALL_SETS if path not in blind]


def piles(paths: Sequence[Path]) -> dict[str, Counter[str]]:
    """Every true pile of the sets: how many of its members use each feature."""
    found: dict[str, Counter[str]] = defaultdict(Counter)
    for path in paths:
        labelled = grouping.load(path)
        for label, features in zip(labelled.labels, suggest.meaningful(labelled.texts), strict=True):
            if not label.startswith("loose-"):
                found[f"{path.stem}:{label}"].update(features)
    return found


def learn(paths: Sequence[Path]) -> tuple[list[str], np.ndarray]:
    """The features of the sets' piles and their meanings, unit vectors of DIMENSIONS numbers."""
    found = piles(paths)
    features = sorted({f for counts in found.values() for f in counts})
    row = {f: n for n, f in enumerate(features)}
    counts = np.zeros((len(features), len(found)), dtype=np.float64)
    for column, members in enumerate(found.values()):
        for f, n in members.items():
            counts[row[f], column] = n
    total = counts.sum()
    expected = counts.sum(axis=1, keepdims=True) @ counts.sum(axis=0, keepdims=True) / total
    # a pile whose members use no feature at all expects nothing, and its column stays 0
    with np.errstate(divide="ignore"):
        association = np.where(counts > 0, np.maximum(np.log(np.where(counts > 0, counts, 1) / expected), 0), 0)
    left, values, _ = np.linalg.svd(association, full_matrices=False)
    size = min(DIMENSIONS, len(values))
    vectors = left[:, :size] * values[:size] ** SPREAD
    # a singular vector's sign is arbitrary: the largest part of each is made positive, so a rebuild gives the same
    vectors *= np.sign(left[np.abs(left[:, :size]).argmax(axis=0), range(size)])
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return features, vectors


def write(path: Path = suggest.MEANING) -> int:
    """Learn from the sets and write the shipped file; returns how many features it knows."""
    features, vectors = learn(learnt_from())
    np.savez_compressed(path, features=np.array(features), vectors=vectors.astype(np.float16))
    return len(features)


def readings(paths: Sequence[Path], reader: sentence_model.SentenceModel) -> dict[Path, np.ndarray]:
    """What the sentence model reads in each set's texts, a row a text."""
    return {path: np.asarray(reader.embed(grouping.load(path).texts), dtype=np.float64) for path in paths}


def projection(read: Mapping[Path, np.ndarray]) -> np.ndarray:
    """The directions in which the sets' piles differ most, for their size, from how their members differ within
    (linear discriminant analysis of what the sentence model read, each set centred as a room is): MODEL_DIMENSIONS
    columns, each as long as the square root of how far it tells piles apart."""
    size = next(iter(read.values())).shape[1]
    within, between = np.zeros((size, size)), np.zeros((size, size))
    for path, rows in read.items():
        rows = rows - rows.mean(axis=0)
        labels = np.array(grouping.load(path).labels)
        for label in sorted(set(labels)):
            if label.startswith("loose-"):
                continue
            members = rows[labels == label]
            centre = members.mean(axis=0)
            within += (members - centre).T @ (members - centre)
            between += len(members) * np.outer(centre, centre)
    within = (1 - MODEL_SHRINK) * within / np.trace(within) + MODEL_SHRINK * np.eye(size) / size
    values, vectors = np.linalg.eigh(within)
    whiten = vectors / np.sqrt(values)
    apart, directions = np.linalg.eigh(whiten.T @ (between / np.trace(between)) @ whiten)
    order = np.argsort(apart)[::-1][:MODEL_DIMENSIONS]
    columns = (whiten @ directions[:, order]) * np.sqrt(np.maximum(apart[order], 0))
    # a direction's sign is arbitrary: the largest part of each is made positive, so a rebuild gives the same
    signs = np.sign(columns[np.abs(columns).argmax(axis=0), range(columns.shape[1])])
    return np.asarray(columns * signs)


def pairs(path: Path, read: Mapping[Path, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The link features of every pair of a set's texts and whether the two share a true pile, with the meanings and
    the projection learnt without the set, as the matcher meets a room it has not learnt from."""
    others = [other for other in read if other != path]
    features, vectors = learn(others)
    known = suggest.Meaning({f: n for n, f in enumerate(features)}, vectors.astype(np.float32))
    labelled = grouping.load(path)
    texts = suggest.analysed([suggest.Obstacle(n, text) for n, text in enumerate(labelled.texts)], known)
    found = suggest.pair_features(texts, read[path] @ projection({other: read[other] for other in others}))
    upper = np.triu_indices(len(texts), 1)
    labels = np.array(labelled.labels)
    same = ((labels[:, None] == labels[None, :]) & ~np.char.startswith(labels, "loose-")[:, None])[upper]
    # every pair of one pile, and a share of the others (LINKS_APART): all would hold a gigabyte
    kept = same | (np.random.default_rng(LINKS_SEED).random(len(same)) < LINKS_APART)
    return found[upper][kept], same[kept]


def links(read: Mapping[Path, np.ndarray]) -> np.ndarray:
    """The weights of the learnt links: a logistic regression of whether two texts share a pile on their link
    features, over every pair of every set (each set's with what was learnt without it)."""
    found = [pairs(path, read) for path in read]
    return regression(np.concatenate([f for f, _ in found]), np.concatenate([s for _, s in found]))


def regression(features: np.ndarray, same: np.ndarray) -> np.ndarray:
    """Logistic regression by Newton's method, the pairs of two piles counted as the share of them kept
    (LINKS_APART), the weights held small (LINKS_PRIOR)."""
    x = features.astype(np.float64)
    y = same.astype(np.float64)
    counted = np.where(same, 1.0, 1.0 / LINKS_APART)
    weights = np.zeros(x.shape[1])
    for _ in range(LINKS_STEPS):
        likely = 1.0 / (1.0 + np.exp(-(x @ weights)))
        gradient = x.T @ (counted * (likely - y)) + LINKS_PRIOR * weights
        curve = (x * (counted * likely * (1 - likely))[:, None]).T @ x + LINKS_PRIOR * np.eye(len(weights))
        step = np.linalg.solve(curve, gradient)
        weights -= step
        if np.abs(step).max() < 1e-7:
            break
    return weights


def write_model(reader: sentence_model.SentenceModel, path: Path = sentence_model.PROJECTION) -> int:
    """Learn the projection and the links from the sets with this model and write the shipped file; returns the
    projection's width."""
    read = readings(learnt_from(), reader)
    columns = projection(read)
    weights = links(read)
    np.savez_compressed(path, projection=columns.astype(np.float32), links=weights)
    return int(columns.shape[1])
