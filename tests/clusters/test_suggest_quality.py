"""The suggested piles measured against the labelled sets (tests/clusters/data/), with floors a little under what
they reach (docs/performance.md), so a change that makes grouping worse fails here."""

from pathlib import Path

import pytest

from app.bench import grouping

(
    MAIN,
    HOLDOUT,
    HOLDOUT2,
    HOLDOUT3,
    HOLDOUT4,
    HOLDOUT5,
    HOLDOUT6,
    HOLDOUT7,
    HOLDOUT8,
    HOLDOUT9,
    HOLDOUT10,
    HOLDOUT11,
    HOLDOUT12,
    HOLDOUT13,
    HOLDOUT14,
) = (grouping.DEFAULT_SET, *grouping.HOLDOUT_SETS)
ONE_OPGAVE15, ONE_OPGAVE16, ONE_OPGAVE17, ONE_OPGAVE18, ONE_OPGAVE19 = grouping.ONE_OPGAVE_SETS

# reached (adjusted Rand index, share of proposed piles pure, true piles found): obstacles_nl 0.738, 85.3%, 29 of 32;
# obstacles_nl_holdout 0.899, 100%, 10 of 10; obstacles_nl_holdout2 0.877, 100%, 17 of 18 (all three tuned on,
# after the lexicon was broadened: branch reach). Never tuned on until branch grouping5, which chose the small-pile
# rule (SMALL_PILE, COMMON_WEIGHT) looking at all five sets' figures: obstacles_nl_holdout3 0.668, 84.0%, 17 of 20;
# obstacles_nl_holdout4 0.463, 62.9%, 15 of 29 (before it: 0.663, 71.4%, 17 of 20 and 0.459, 53.7%, 15 of 29).
# Written after grouping5 by a helper that saw neither the matcher nor any other set, and measured by the lead once
# before and once after grouping5 was merged: obstacles_nl_holdout5 0.434, 48.8%, 13 of 32 -> 0.433, 57.5%, 14 of 32.
# Branch lexicon6 changed the lexicon only (broad concepts split, everyday words added), judged on the figures of
# the first five sets and never on the texts of holdout3 or holdout4, nor anything of holdout5 but its floor test
# passing: obstacles_nl 0.743, 85.7%, 29 of 32; holdout 0.899, 100%, 10 of 10; holdout2 0.890, 100%, 18 of 18;
# holdout3 0.679, 88.0%, 18 of 20; holdout4 0.531, 69.4%, 18 of 29; measured by the lead after the merge:
# holdout5 0.444, 57.1%, 17 of 32.
# Round six (2026-12-05) wrote holdout6 to holdout9 blind, chose its changes on the first eight sets (holdout5 to
# holdout7 included) and never on holdout8 or holdout9: obstacles_nl 0.769, 90.9%, 29 of 32; holdout 0.887, 100%,
# 9 of 10; holdout2 0.892, 100%, 18 of 18; holdout3 0.702, 95.7%, 17 of 20; holdout4 0.569, 80.0%, 21 of 29;
# holdout5 0.486, 75.6%, 18 of 32; holdout6 0.500, 71.4%, 20 of 34; holdout7 0.499, 71.0%, 16 of 28; never tuned on:
# holdout8 0.554, 66.7%, 18 of 31; holdout9 0.435, 62.2%, 17 of 32.
# Round seven (loose obstacles join the pile whose concept they name, then four settings moved by a search),
# chosen on the first eight sets: obstacles_nl 0.786, 97.0%, 31; holdout 0.887, 100%, 9; holdout2 0.890, 100%, 18;
# holdout3 0.738, 95.7%, 17; holdout4 0.576, 76.5%, 22; holdout5 0.512, 78.0%, 19; holdout6 0.512, 72.2%, 21;
# holdout7 0.511, 73.3%, 16; never tuned on: holdout8 0.577, 63.9%, 17; holdout9 0.440, 62.2%, 17
# Round eight wrote holdout10 and holdout11 blind and measured them on round seven's code (0.597, 70.3%, 22 and
# 0.546, 71.1%, 22); it moved three concepts that cross topics aside and read compounds written as two words, chosen
# on the first eight sets: obstacles_nl 0.768, 97.0%, 30; holdout 0.940, 100%, 10; holdout2 0.907, 100%, 18;
# holdout3 0.735, 100%, 17; holdout4 0.598, 81.8%, 23; holdout5 0.539, 80.0%, 21; holdout6 0.518, 74.3%, 22; holdout7
# 0.533, 73.3%, 16; never tuned on: holdout8 0.606, 70.6%, 20; holdout9 0.442, 63.9%, 18; holdout10 0.599, 72.2%, 23;
# holdout11 0.548, 73.0%, 21
# Round ten wrote holdout12 and holdout13 blind and measured them on round nine's code (0.547, 74.4%, 25 and 0.570,
# 54.5%, 13); it chose a lexicon's and stemming's mending on the first twelve sets (holdout8 to holdout11 included):
# obstacles_nl 0.779, 97.1%, 30; holdout 0.940, 100%, 10; holdout2 0.907, 100%, 18; holdout3 0.764, 100%, 18; holdout4
# 0.607, 80.0%, 23; holdout5 0.573, 80.5%, 23; holdout6 0.530, 72.5%, 22; holdout7 0.535, 71.9%, 18; holdout8 0.615,
# 72.2%, 20; holdout9 0.479, 68.4%, 20; holdout10 0.606, 73.0%, 24; holdout11 0.595, 76.3%, 23; never tuned on:
# holdout12 0.561, 77.3%, 27; holdout13 0.573, 63.9%, 17. Round ten then wrote holdout14 (mixed topics) and five
# sets of one opgave each (holdout15 to holdout19) blind, and measured them on round nine's code and on its own
# before anyone read them: holdout14 0.500, 66.7%, 15 -> 0.553, 69.2%, 16; holdout15 0.426, 48.6%, 11 -> 0.434,
# 47.2%, 11; holdout16 0.351, 52.8%, 6 -> 0.351, 51.4%, 6; holdout17 0.408, 44.4%, 7 -> 0.406, 40.7%, 7; holdout18
# 0.252, 47.2%, 6 -> 0.261, 47.2%, 6; holdout19 0.191, 40.0%, 3 -> 0.200, 39.4%, 3
# Round eleven learnt the meaning of words from every set but holdout12 to holdout15 and holdout19 (and from 24
# training sets), so the floors of the others hold what was learnt from them; the blind five went (round ten ->
# eleven): holdout12 0.561, 77.3%, 27 -> 0.656, 79.5%, 30; holdout13 0.573, 63.9%, 17 -> 0.685, 71.0%, 18; holdout14
# 0.553, 69.2%, 16 -> 0.639, 64.9%, 16; holdout15 0.434, 47.2%, 11 -> 0.468, 37.5%, 8; holdout19 0.200, 39.4%, 3 ->
# 0.200, 27.6%, 3 (docs/performance.md, eleventh round)
FLOORS = {
    MAIN: (0.77, 0.87, 25),
    HOLDOUT: (0.93, 0.95, 9),
    HOLDOUT2: (0.94, 0.95, 17),
    HOLDOUT3: (0.83, 0.95, 17),
    HOLDOUT4: (0.74, 0.80, 21),
    HOLDOUT5: (0.75, 0.90, 27),
    HOLDOUT6: (0.72, 0.82, 25),
    HOLDOUT7: (0.69, 0.70, 18),
    HOLDOUT8: (0.80, 0.90, 26),
    HOLDOUT9: (0.61, 0.76, 20),
    HOLDOUT10: (0.74, 0.71, 20),
    HOLDOUT11: (0.67, 0.84, 25),
    HOLDOUT12: (0.63, 0.76, 28),
    HOLDOUT13: (0.66, 0.68, 16),
    HOLDOUT14: (0.61, 0.62, 14),
    ONE_OPGAVE15: (0.44, 0.34, 6),
    ONE_OPGAVE16: (0.50, 0.63, 15),
    ONE_OPGAVE17: (0.56, 0.51, 10),
    ONE_OPGAVE18: (0.50, 0.61, 13),
    ONE_OPGAVE19: (0.18, 0.25, 2),
}


@pytest.mark.parametrize(
    ("path", "least_texts", "least_piles"),
    [
        (MAIN, 300, 25),
        (HOLDOUT2, 120, 12),
        (HOLDOUT3, 150, 15),
        *((path, 300, 25) for path in (*grouping.HOLDOUT_SETS[3:], *grouping.ONE_OPGAVE_SETS)),
    ],
)
def test_the_labelled_sets_are_as_big_as_promised(path: Path, least_texts: int, least_piles: int) -> None:
    labelled = grouping.load(path)
    groups = {label for label in labelled.labels if not label.startswith("loose-")}
    assert len(labelled.texts) >= least_texts and len(groups) >= least_piles
    assert len(set(labelled.texts)) == len(labelled.texts)


@pytest.mark.parametrize("path", list(FLOORS), ids=lambda path: path.stem)
def test_suggestions_on_the_labelled_sets_stay_above_their_floors(path: Path) -> None:
    least_ari, least_pure, least_found = FLOORS[path]
    figures = grouping.quality(grouping.load(path))
    assert figures["adjusted_rand_index"] >= least_ari, figures
    assert figures["pure_share"] >= least_pure, figures
    assert figures["true_piles_found"] >= least_found, figures


# rooms of 60 and 100 obstacles drawn from each of the sets (grouping.rooms), the mean over the sets; over the first
# twelve, before round nine (its rule for two obstacles alone in a small room, SMALL_LINK 0.30): 0.398 and 75.7% pure,
# 0.546 and 79.7% pure; after it: 0.504 and 83.2%, 0.582 and 80.4%; after round ten, over the fifteen sets of mixed
# topics: 0.498 and 82.5%, 0.557 and 80.5%; over the five of one opgave: 0.273 and 53.6%, 0.296 and 50.8%; after
# round eleven (meaning learnt, most of these sets among what it learnt from): 0.568 and 84.4%, 0.656 and 83.8%;
# 0.303 and 51.1%, 0.397 and 52.3%
MIXED_TOPICS = [MAIN, *grouping.HOLDOUT_SETS]
ROOM_FLOORS = {
    ("mixed topics", 60): (0.54, 0.81),
    ("mixed topics", 100): (0.63, 0.81),
    ("one opgave", 60): (0.28, 0.49),
    ("one opgave", 100): (0.37, 0.49),
}


@pytest.mark.parametrize(("kind", "size"), list(ROOM_FLOORS), ids=lambda value: str(value).replace(" ", "_"))
def test_suggestions_in_rooms_of_a_usual_size_stay_above_their_floors(kind: str, size: int) -> None:
    least_ari, least_pure = ROOM_FLOORS[kind, size]
    paths = MIXED_TOPICS if kind == "mixed topics" else grouping.ONE_OPGAVE_SETS
    figures = [grouping.rooms(grouping.load(path), size) for path in paths]
    assert sum(f["adjusted_rand_index"] for f in figures) / len(figures) >= least_ari, figures
    assert sum(f["pure_share"] for f in figures) / len(figures) >= least_pure, figures


@pytest.mark.parametrize("second", grouping.SECOND_READINGS, ids=lambda path: path.stem)
def test_a_second_reader_agrees_with_the_sets_piles_far_beyond_the_goal(second: Path) -> None:
    # 0.787 to 0.947 (docs/performance.md, eleventh round): the goal of 0.6 is well within what reading reaches
    assert grouping.agreement(grouping.DATA / second.name, second) >= 0.75
    assert len(grouping.SECOND_READINGS) == 7


def test_the_adjusted_rand_index_is_the_textbook_one() -> None:
    assert grouping.adjusted_rand_index(list("aabb"), list("xxyy")) == 1.0
    assert grouping.adjusted_rand_index(list("aabb"), list("yyxx")) == 1.0
    # the example of Hubert and Arabie's index in scikit-learn's documentation
    assert grouping.adjusted_rand_index(list("000111"), list("001122")) == pytest.approx(0.242424, abs=1e-6)
    # everything apart against everything apart agrees fully; one pile against all apart agrees no more than chance
    assert grouping.adjusted_rand_index(list("abcd"), list("wxyz")) == 1.0
    assert grouping.adjusted_rand_index(list("aaaa"), list("wxyz")) == 0.0
