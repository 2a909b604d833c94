"""The learnt meaning of words (app/clusters/grouping_meaning.npz): made from the true piles of the labelled sets.

Every true pile of the sets it learns from is one document of the features its members use (their stems, the parts
of their compounds and the lexicon's concepts: suggest.meaningful); a feature's meaning is its row of the positive
pointwise mutual information of features and piles, reduced by a singular value decomposition to DIMENSIONS numbers.
Two features mean much the same when they are used in the same kinds of pile, in sets written by different authors:
"deurwaarder" and "incasso", "hangplek" and "jongerencentrum", "vervoer" and "regiotaxi". The blind sets
(grouping.BLIND_SETS) are never learnt from: they measure what was learnt.

`doorbraak bench grouping --learn` writes the file again; tests/clusters/test_suggest_meaning.py holds that the
shipped one knows the features these sets give today.
"""

from collections import Counter, defaultdict
from collections.abc import Sequence
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


def projection(paths: Sequence[Path], reader: sentence_model.SentenceModel) -> np.ndarray:
    """The directions in which the sets' piles differ most, for their size, from how their members differ within
    (linear discriminant analysis of what the sentence model reads, each set centred as a room is): MODEL_DIMENSIONS
    columns, each as long as the square root of how far it tells piles apart."""
    size = int(np.asarray(reader.embed(["."])).shape[1])
    within, between = np.zeros((size, size)), np.zeros((size, size))
    for path in paths:
        labelled = grouping.load(path)
        read = np.asarray(reader.embed(labelled.texts), dtype=np.float64)
        read -= read.mean(axis=0)
        labels = np.array(labelled.labels)
        for label in sorted(set(labelled.labels)):
            if label.startswith("loose-"):
                continue
            members = read[labels == label]
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


def write_projection(reader: sentence_model.SentenceModel, path: Path = sentence_model.PROJECTION) -> int:
    """Learn the projection from the sets with this model and write the shipped file; returns its width."""
    columns = projection(learnt_from(), reader)
    np.savez_compressed(path, projection=columns.astype(np.float32))
    return int(columns.shape[1])
