"""The suggested piles measured against the labelled set (tests/clusters/data/obstacles_nl.yaml), with a floor a
little under what they reach (docs/performance.md), so a change that makes grouping worse fails here."""

import pytest

from app.bench import grouping

# reached: adjusted Rand index 0.685, 80% of the proposed piles pure, 28 of the 32 true piles found
FLOOR_ARI = 0.66
FLOOR_PURE = 0.76
FLOOR_FOUND = 26


def test_the_labelled_set_is_as_big_as_promised() -> None:
    labelled = grouping.load()
    groups = {label for label in labelled.labels if not label.startswith("loose-")}
    assert len(labelled.texts) >= 300 and len(groups) >= 25
    assert len(set(labelled.texts)) == len(labelled.texts)


def test_suggestions_on_the_labelled_set_stay_above_the_floor() -> None:
    figures = grouping.quality(grouping.load())
    assert figures["adjusted_rand_index"] >= FLOOR_ARI, figures
    assert figures["pure_share"] >= FLOOR_PURE, figures
    assert figures["true_piles_found"] >= FLOOR_FOUND, figures


def test_the_adjusted_rand_index_is_the_textbook_one() -> None:
    assert grouping.adjusted_rand_index(list("aabb"), list("xxyy")) == 1.0
    assert grouping.adjusted_rand_index(list("aabb"), list("yyxx")) == 1.0
    # the example of Hubert and Arabie's index in scikit-learn's documentation
    assert grouping.adjusted_rand_index(list("000111"), list("001122")) == pytest.approx(0.242424, abs=1e-6)
    # everything apart against everything apart agrees fully; one pile against all apart agrees no more than chance
    assert grouping.adjusted_rand_index(list("abcd"), list("wxyz")) == 1.0
    assert grouping.adjusted_rand_index(list("aaaa"), list("wxyz")) == 0.0
