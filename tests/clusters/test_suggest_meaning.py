"""The learnt meaning of words (app/bench/meaning.py makes it, app/clusters/suggest.py uses it): obstacles that say
the same in other words meet, and what is learnt from some labelled sets carries over to another."""

from collections import Counter
from functools import cache
from pathlib import Path
from statistics import mean

import numpy as np
import pytest

from app.bench import grouping, meaning
from app.clusters import suggest
from app.clusters.suggest import Obstacle
from tests.clusters.test_suggest import BACKGROUND


def links(*texts: str) -> dict[int, dict[int, float]]:
    """How alike the matcher finds these obstacles (ids 0, 1, ...) in a room that also sent the background ones."""
    analysed = suggest._analyse([Obstacle(i, text) for i, text in enumerate([*texts, *BACKGROUND])])
    suggest._weigh(analysed)
    return suggest._neighbours(analysed)


def known(vectors: dict[str, list[float]]) -> suggest.Meaning:
    """Meanings made by hand, unit vectors of what is given."""
    rows = np.array(list(vectors.values()) or np.zeros((0, 2)), dtype=np.float32)
    rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return suggest.Meaning({f: n for n, f in enumerate(vectors)}, rows)


NOTHING_KNOWN = known({})


def test_obstacles_that_say_the_same_in_other_words_are_linked_by_their_meaning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # no word, part of a word or concept in common
    texts = ("Niemand wil in het bestuur van de club", "Verenigingen vinden geen penningmeester")
    assert links(*texts)[0].get(1, 0.0) >= suggest.THRESHOLD
    monkeypatch.setattr(suggest, "meaning", lambda: NOTHING_KNOWN)
    assert 1 not in links(*texts)[0]


def test_a_shared_word_links_more_where_the_rest_means_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ("Wachtlijst voor de dagbesteding", "Wachtlijst voor het verpleeghuis", "Wachtlijst dagbesteding ouderen")
    monkeypatch.setattr(suggest, "meaning", lambda: NOTHING_KNOWN)
    plain = links(*texts)
    # the day care and the nursing home mean opposite things here
    monkeypatch.setattr(suggest, "meaning", lambda: known({"dagbested": [1, 0], "verpleeghuis": [-1, 0]}))
    bent = links(*texts)
    assert bent[0].get(1, 0.0) / plain[0][1] < bent[0][2] / plain[0][2]


def test_a_text_of_words_never_learnt_is_less_sure_of_its_meaning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suggest, "meaning", lambda: known({"schuld": [1, 0], "deurwaarder": [0.8, 0.6]}))
    analysed = suggest._analyse(
        [
            Obstacle(0, "schulden en de deurwaarder"),
            Obstacle(1, "schulden en een zwembad"),
            Obstacle(2, "zwembad dicht"),
        ]
    )
    suggest._weigh(analysed)
    more, less, none = (text.meaning for text in analysed)
    assert 0.0 < float(np.linalg.norm(less)) < float(np.linalg.norm(more)) <= 1.0
    assert none is None


def test_the_shipped_meanings_know_what_the_sets_they_are_learnt_from_say_today() -> None:
    # a lexicon or stemmer changed since the meanings were learnt: `doorbraak bench grouping --learn` learns again
    features = {f for counts in meaning.piles(meaning.learnt_from()).values() for f in counts}
    assert features == set(suggest.meaning().rows)


def test_the_blind_sets_are_never_learnt_from() -> None:
    learnt = set(meaning.learnt_from())
    assert not learnt & set(grouping.BLIND_SETS)
    assert set(grouping.TRAINING_SETS) <= learnt and len(grouping.TRAINING_SETS) >= 24


@pytest.mark.parametrize("path", grouping.TRAINING_SETS, ids=lambda path: path.stem)
def test_each_training_set_is_a_room_of_many_piles(path: Path) -> None:
    labelled = grouping.load(path)
    piles = Counter(label for label in labelled.labels if not label.startswith("loose-"))
    # a room sends the same short answer more than once ("schaamte"), so texts may repeat here
    assert len(labelled.texts) >= 340 and len(piles) >= 30 and max(piles.values()) >= 15


def test_meaning_learnt_without_a_set_groups_that_set_better(monkeypatch: pytest.MonkeyPatch) -> None:
    # the three read sets of one opgave, each measured with the meanings learnt from all the others, and without
    # any: 0.339 without, 0.453 with (docs/performance.md, eleventh round)
    without, learnt = [], []
    for path in grouping.ONE_OPGAVE_SETS[1:4]:
        labelled = grouping.load(path)
        monkeypatch.setattr(suggest, "meaning", lambda: NOTHING_KNOWN)
        without.append(grouping.quality(labelled)["adjusted_rand_index"])
        monkeypatch.setattr(suggest, "meaning", lambda path=path: learnt_without(path))
        learnt.append(grouping.quality(labelled)["adjusted_rand_index"])
    assert mean(learnt) >= mean(without) + 0.04, (without, learnt)


def test_a_pile_whose_members_are_little_alike_is_marked_and_mostly_mixed(monkeypatch: pytest.MonkeyPatch) -> None:
    # the three read sets of one opgave, with the meanings learnt from all the others: most doubtful piles are mixed,
    # most sure ones pure (docs/performance.md, thirteenth round)
    doubtful, sure, additions = [], [], 0
    for path in grouping.ONE_OPGAVE_SETS[1:4]:
        labelled = grouping.load(path)
        monkeypatch.setattr(suggest, "meaning", lambda path=path: learnt_without(path))
        result = suggest.suggest([Obstacle(i, text) for i, text in enumerate(labelled.texts)])
        # with a fifth of the room on its piles, an addition to a pile is never doubtful, nor are near-duplicates
        pile_of = {label: n for n, label in enumerate(dict.fromkeys(labelled.labels))}
        piled = [
            Obstacle(i, text, pile_of[label] if i % 5 == 0 else None)
            for i, (text, label) in enumerate(zip(labelled.texts, labelled.labels, strict=True))
        ]
        kept = [p for p in suggest.suggest(piled).piles if p.into is not None or p.duplicates]
        additions += len(kept)
        assert not any(p.doubtful for p in kept)
        for pile in result.piles:
            if pile.into is None and not pile.duplicates and len(pile.answer_ids) >= 3:
                most = Counter(labelled.labels[i] for i in pile.answer_ids).most_common(1)[0][1]
                (doubtful if pile.doubtful else sure).append(most >= grouping.PURE * len(pile.answer_ids))
        # the sure piles come first (after near-duplicates), the doubtful last
        order = [pile.doubtful for pile in result.piles if not pile.duplicates]
        assert order == sorted(order)
        assert all(pile.as_dict()["doubtful"] == pile.doubtful for pile in result.piles)
    assert len(doubtful) >= 10 and len(sure) >= 40 and additions >= 30
    assert mean(doubtful) <= 0.3 and mean(sure) >= mean(doubtful) + 0.3, (doubtful, sure)


@cache
def learnt_without(path: Path) -> suggest.Meaning:
    """The meanings learnt from every set the shipped ones are learnt from, but this one."""
    features, vectors = meaning.learn([other for other in meaning.learnt_from() if other != path])
    return suggest.Meaning({f: n for n, f in enumerate(features)}, vectors.astype(np.float32))


def test_a_member_linked_by_meaning_alone_has_its_nearest_word_marked_as_akin() -> None:
    texts = [
        "Schulden stapelen zich op",
        "Hulp bij schulden komt te laat",
        "Schulden worden niet gezien",
        "Mensen met schulden durven niet te bellen",
        "Achterstand bij de zorgverzekeraar en nu de wanbetalersregeling",
    ]
    result = suggest.suggest([Obstacle(i, text) for i, text in enumerate([*texts, *BACKGROUND])])
    pile = next(p for p in result.piles if 4 in p.answer_ids)
    # it shares no word with the pile, so nothing of it is marked as shared; its word of debt is marked as akin
    assert 4 not in pile.marks and set(pile.marks) == {0, 1, 2, 3}
    assert [texts[4][a:b] for a, b in pile.akin[4]] == ["wanbetalersregeling"]
    assert pile.as_dict()["akin"] == {"4": pile.akin[4]}


def test_only_a_word_near_enough_in_meaning_is_marked_as_akin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        suggest, "meaning", lambda: known({"schuld": [1, 0], "deurwaarder": [0.9, 0.3], "stoep": [0.3, 1]})
    )
    text = "Elke week de deurwaarder op de stoep"
    near, far = suggest._analyse([Obstacle(0, text), Obstacle(1, "Op de stoep")])
    akin = suggest._akin([near, far], {"schuld"})
    assert [text[a:b] for a, b in akin[0]] == ["deurwaarder"]
    # "stoep" is 0.29 alike to "schuld": under MEANING_MIDDLE
    assert 1 not in akin
    assert suggest._akin([near], {"zwembad"}) == {}
