"""How the matcher piles up linked obstacles at scale: the chain of nearest neighbours gives the piles of merging the
most alike pair first, rows with many pairs are summed in numpy to the same cosines as one by one, and the links
bent and the members trimmed as the plain loops would."""

import random
from itertools import combinations

import pytest

from app.bench import grouping
from app.clusters import suggest
from app.clusters.suggest import Obstacle


def greedy(links: dict[int, dict[int, float]], piles: list[list[int]], same: list[list[int]], threshold: float):
    """Piles as the textbook merges them: the two most alike groups (their mean link) first, existing piles never
    with each other, until no two are alike at the threshold; slow, and plainly right."""
    groups = [[*p] for p in piles] + [[*g] for g in same]
    grouped = {i for g in groups for i in g}
    groups += [[i] for i in links if i not in grouped]
    fixed = [n < len(piles) for n in range(len(groups))]
    while True:
        best, pair = threshold, None
        for a, b in combinations(range(len(groups)), 2):
            if fixed[a] and fixed[b]:
                continue
            total = sum(links[i].get(j, 0.0) for i in groups[a] for j in groups[b])
            average = total / (len(groups[a]) * len(groups[b]))
            if average >= best:
                best, pair = average, (a, b)
        if pair is None:
            return {frozenset(g) for g in groups}
        a, b = pair
        groups[a] += groups.pop(b)
        joined = fixed.pop(b)
        fixed[a] = fixed[a] or joined


def sparse_links(rng: random.Random, count: int) -> dict[int, dict[int, float]]:
    """A room's links: a few dense clusters with noise between them, most pairs unlinked."""
    cluster = [rng.randrange(5) for _ in range(count)]
    links: dict[int, dict[int, float]] = {i: {} for i in range(count)}
    for i, j in combinations(range(count), 2):
        chance = 0.7 if cluster[i] == cluster[j] else 0.08
        if rng.random() < chance:
            links[i][j] = links[j][i] = rng.uniform(0.02, 0.6)
    return links


@pytest.mark.parametrize("seed", range(25))
def test_the_chain_of_nearest_neighbours_piles_as_merging_the_most_alike_pair_first(seed: int) -> None:
    rng = random.Random(seed)
    count = rng.randint(8, 36)
    links = sparse_links(rng, count)
    order = rng.sample(range(count), count)
    piles = [order[0:3], order[3:5]] if seed % 3 else []
    same = [order[5:7]] if seed % 2 else []
    threshold = rng.choice([0.05, 0.09, 0.15, 0.25])
    expected = greedy(links, piles, same, threshold)
    copy = {i: dict(row) for i, row in links.items()}
    found = suggest._average_linkage(copy, piles=piles, same=same, threshold=threshold)
    assert {frozenset(g) for g in found} == expected
    # every text is in one group, and two existing piles are never one
    assert sorted(i for g in found for i in g) == list(range(count))
    if piles:
        assert not any(set(piles[0]) <= set(g) and set(piles[1]) <= set(g) for g in found)


def test_rows_with_many_pairs_are_summed_to_the_same_cosines_as_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    sentences = [
        "geen plek voor jongeren in de wijk",
        "de wachtlijst voor jeugdhulp is te lang",
        "ouderen zijn eenzaam en komen de deur niet uit",
        "er zijn te weinig betaalbare woningen",
        "de buurtbus rijdt niet meer in het weekend",
    ]
    texts = [f"{sentences[n % 5]} {''.join(rng.choice('abdeklmnoprstuw') for _ in range(6))}" for n in range(500)]
    analysed = suggest._analyse([Obstacle(i, text) for i, text in enumerate(texts)])
    suggest._weigh(analysed)
    summed = []
    row = suggest._DenseRows.row
    monkeypatch.setattr(suggest._DenseRows, "row", lambda self, i, after: summed.append(i) or row(self, i, after))
    dense = suggest._neighbours(analysed)
    # the copies' rows hold thousands of pairs that share a feature: summed in numpy
    assert len(summed) > 200
    monkeypatch.setattr(suggest, "DENSE_ROW", 10**9)
    one_by_one = suggest._neighbours(analysed)
    assert dense == one_by_one
    # each copy is linked to the other 99 copies of its sentence
    assert all(len([j for j in dense[i] if j % 5 == i % 5]) == 99 for i in range(0, 500, 37))


def test_two_groups_alike_at_exactly_the_threshold_merge() -> None:
    links = {0: {1: 0.25}, 1: {0: 0.25}, 2: {}}
    assert suggest._average_linkage(links, piles=[], same=[], threshold=0.25) == [[0, 1], [2]]
    links = {0: {1: 0.25}, 1: {0: 0.25}, 2: {}}
    assert suggest._average_linkage(links, piles=[], same=[], threshold=0.2501) == [[0], [1], [2]]


def test_the_benchmarks_echoing_room_is_five_sentences_each_sent_with_a_word_of_its_own() -> None:
    made = grouping.echoes(grouping.load(), 100)
    assert len(made) == len(set(made)) == 100
    sentences = {text.rsplit(" ", 1)[0] for text in made}
    assert len(sentences) == 5
    # one true pile each
    labelled = grouping.load()
    assert len({labelled.labels[labelled.texts.index(s)] for s in sentences}) == 5


def test_the_links_are_bent_by_meaning_as_pair_by_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = grouping.variants(grouping.load().texts, 600)
    analysed = suggest._analyse([Obstacle(i, text) for i, text in enumerate(texts)])
    suggest._weigh(analysed)
    bent = suggest._neighbours(analysed)
    monkeypatch.setattr(suggest, "_bend", lambda texts, near: None)
    words = suggest._neighbours(analysed)
    place = {i: n for n, i in enumerate(i for i, t in enumerate(analysed) if t.meaning is not None)}
    assert len(place) > 500
    for i, row in words.items():
        for j, link in row.items():
            if i in place and j in place:
                alike = float(analysed[i].meaning @ analysed[j].meaning)
                link *= max(0.0, 1 + suggest.MEANING_BEND * (alike - suggest.MEANING_MIDDLE))
            # the links of meaning alone come on top of the bent word link
            assert bent[i][j] == pytest.approx(link, abs=1e-6) or bent[i][j] > link
    assert sum(len(row) for row in bent.values()) > sum(len(row) for row in words.values())


@pytest.mark.parametrize("seed", range(12))
def test_a_pile_is_trimmed_as_counting_every_members_links_again_after_each_removal(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    count = rng.randint(4, 40)
    links = sparse_links(rng, count)
    keep = set(rng.sample(range(count), rng.randint(0, 3)))
    threshold = rng.choice([0.13, 0.2, 0.3])
    alive = set(range(count))
    while len(alive) > 2:
        counted = {i: sum(links[i].get(j, 0.0) >= threshold for j in alive if j != i) for i in alive}
        weakest = min((i for i in alive if i not in keep), key=lambda i: (counted[i], i), default=None)
        if weakest is None or counted[weakest] >= suggest.MEMBER_LINKS * (len(alive) - 1):
            break
        alive.remove(weakest)
    monkeypatch.setattr(suggest, "_neighbours", lambda texts: {i: dict(row) for i, row in links.items()})
    trimmed = suggest._trim([None] * count, list(range(count)), keep=keep, threshold=threshold)  # type: ignore[list-item]
    assert trimmed == sorted(alive)


def test_a_pile_is_doubtful_when_its_members_are_on_average_little_alike() -> None:
    texts = suggest._analyse([Obstacle(i, t) for i, t in enumerate(["Geen plek", "Geen plek", "Te laat", "Te duur"])])
    tight = {1: {2: 0.9, 3: 0.8}, 2: {1: 0.9, 3: 0.7}, 3: {1: 0.8, 2: 0.7}}
    assert not suggest._doubtful(texts, tight, [1, 2, 3])
    # a chain: each alike to the next, the ends not at all
    chain = {1: {2: 0.7}, 2: {1: 0.7, 3: 0.7}, 3: {2: 0.7}}
    assert suggest._doubtful(texts, chain, [1, 2, 3])
    # the mean, not the weakest link: two strong links and a missing one are 0.6 on average
    mostly = {1: {2: 0.9, 3: 0.9}, 2: {1: 0.9}, 3: {1: 0.9}}
    assert not suggest._doubtful(texts, mostly, [1, 2, 3])
    # a copy counts once: its link to its first, far above 1, does not make a loose pile look sure
    copies = {
        0: {1: 2.7, 2: 0.3, 3: 0.3},
        1: {0: 2.7, 2: 0.3, 3: 0.3},
        2: {0: 0.3, 1: 0.3, 3: 0.3},
        3: {0: 0.3, 1: 0.3, 2: 0.3},
    }
    assert suggest._doubtful(texts, copies, [0, 1, 2, 3])
    # two are too few to say
    assert not suggest._doubtful(texts, {0: {}, 2: {}}, [0, 2])
