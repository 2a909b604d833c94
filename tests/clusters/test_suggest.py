"""The matching behind suggested piles: word forms, compounds, stop words, slips, near-duplicates, loose ones."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pytest
import yaml

from app.bench import grouping
from app.clusters import keywords, suggest
from app.clusters.suggest import Obstacle
from app.models import TENSIONS, THEMES

# obstacles about other things, so the room has a vocabulary to weigh words against
BACKGROUND = [
    "Zwerfafval naast de containers",
    "De bus rijdt 's avonds niet meer",
    "Te weinig groen op het plein",
    "Hondenpoep op het grasveld",
    "Laadpalen zijn altijd bezet",
    "Asbest in de oude schuren",
    "De markt is verplaatst",
    "Vuurwerk rond oud en nieuw",
]


def run(*texts: str, background: Sequence[str] = BACKGROUND, **options: Any) -> suggest.Result:
    """Suggestions for these obstacles (ids 0, 1, ...) in a room that also sent the background ones."""
    everything = [*texts, *background]
    return suggest.suggest([Obstacle(i, text) for i, text in enumerate(everything)], **options)


def together(result: suggest.Result, *ids: int) -> bool:
    """Whether one proposed pile holds all these obstacles."""
    return any(set(ids) <= set(pile.answer_ids) for pile in result.piles)


def on_a_pile(result: suggest.Result) -> set[int]:
    return {i for pile in result.piles for i in pile.answer_ids}


def test_word_forms_meet_at_their_stem() -> None:
    assert suggest.stem("wachtlijsten") == suggest.stem("wachtlijst")
    assert suggest.stem("jongeren") == suggest.stem("jongere")
    assert suggest.stem("gezinnen") == suggest.stem("gezin")
    assert suggest.stem("kinderen") == suggest.stem("kind")
    # the elderly are not the parents, whatever the stemmer makes of them
    assert suggest.stem("ouderen") != suggest.stem("ouders")
    result = run("Wachtlijsten bij de schuldhulp", "De wachtlijst voor schuldhulp", "Te lange wachtlijst schuldhulp")
    assert together(result, 0, 1, 2)


def test_compound_words_meet_their_parts() -> None:
    result = run("Geen jeugdhulp in de buurt", "Hulp voor de jeugd ontbreekt", "Jeugdhulp komt te laat")
    assert together(result, 0, 1, 2)
    (pile,) = [p for p in result.piles if 0 in p.answer_ids]
    # said once, in the pile's own words, and not again by the parts it holds
    assert pile.shared == ["jeugdhulp ≈ hulp voor de jeugd"]


def test_a_compound_the_lexicon_knows_means_the_same_written_apart_either_way_round() -> None:
    words = suggest.lexicon()
    concept = words.concepts[suggest.stem("jeugdhulp")]
    assert words.phrases[(suggest.stem("jeugd"), suggest.stem("hulp"))] == concept
    assert words.phrases[(suggest.stem("hulp"), suggest.stem("jeugd"))] == concept
    (analysed,) = suggest._analyse([Obstacle(0, "Hulp voor de jeugd komt te laat")])
    assert f"~{concept}" in {feature for *_, feature in analysed.concepts}


def test_a_compound_written_as_two_words_is_the_compound() -> None:
    concepts = suggest.lexicon().concepts

    def named(text: str) -> set[str]:
        (analysed,) = suggest._analyse([Obstacle(0, text)])
        return {feature for *_, feature in analysed.concepts}

    assert f"~{concepts[suggest.stem('laaggeletterdheid')]}" in named("Laag geletterdheid bij ouders")
    assert f"~{concepts[suggest.stem('werkloosheid')]}" in named("werk-loosheid onder jongeren")
    # only where the two stand side by side in the text, with nothing but a space or a hyphen between
    assert f"~{concepts[suggest.stem('laaggeletterdheid')]}" not in named("de drempel is laag, geletterdheid ook")
    assert f"~{concepts[suggest.stem('laaggeletterdheid')]}" not in named("drempel laag en geletterdheid hoog")
    result = run("laag geletterdheid", "Laaggeletterdheid onder ouders", "veel laaggeletterden in de wijk")
    assert together(result, 0, 1, 2)


def test_a_small_pile_holds_only_members_alike_to_every_other() -> None:
    # the third is alike to the first two by its waiting list only: too little to hold a pile of three together
    room = ["Wachtlijst ggz", "Lange wachtlijsten in de ggz", "Wachtlijst voor de jeugdzorg", *BACKGROUND]
    texts = suggest._analyse([Obstacle(i, text) for i, text in enumerate(room)])
    suggest._weigh(texts)
    assert 0 < suggest._cosine(texts[0], texts[2]) < suggest.SMALL_LINK
    assert suggest._close_knit(texts, [0, 1, 2], keep=set()) == [0, 1]
    # an obstacle already on the pile stays on it
    assert 2 in suggest._close_knit(texts, [0, 1, 2], keep={2})
    assert suggest._close_knit(texts, [0, 1, 2], keep={0, 1, 2}) == [0, 1, 2]


def test_word_forms_the_stemmer_leaves_apart_meet_by_their_letters() -> None:
    # the stemmer makes "huisarts" into "huisart" but "huisartsen" into "huisarts"; their letters still agree
    assert suggest.stem("huisarts") != suggest.stem("huisartsen")
    result = run("Geen huisarts in de buurt", "Huisartsen zitten vol", "Wij vinden geen huisarts")
    assert together(result, 0, 1, 2)


def test_a_diminutive_meets_the_word_it_makes_small() -> None:
    result = run("Het speeltuintje is kapot", "De speeltuin is kapot en vies", "Speeltuin al maanden kapot")
    assert together(result, 0, 1, 2)
    # only to a word the room or the lexicon knows: "buurtje" is no "buur" + "tje"
    (analysed, *_) = suggest._analyse([Obstacle(0, "Een gezellig buurtje"), Obstacle(1, "De buurt is gezellig")])
    assert analysed.tokens[-1].stem == suggest.stem("buurt")
    # -ing makes -inkje
    (analysed,) = suggest._analyse([Obstacle(0, "een klein woninkje")])
    assert analysed.tokens[-1].stem == suggest.stem("woning")


def test_compounds_of_a_word_the_lexicon_knows_meet() -> None:
    result = run("Energiearmoede", "De energierekening is te hoog", "Energiekosten rijzen de pan uit")
    assert together(result, 0, 1, 2)


def test_stop_words_alone_make_no_pile() -> None:
    result = run("Het is er niet en het wordt niet meer", "Er is het niet, het wordt er ook niet")
    assert not together(result, 0, 1)
    assert on_a_pile(result).isdisjoint({0, 1})


def test_a_slip_of_the_pen_still_matches() -> None:
    result = run("Wachtlijsten jeugdzorg", "wachtlijsten jeugzorg", "Jeugdzorg heeft wachtlijsten")
    assert together(result, 0, 1, 2)
    # a word of the lexicon is what a slip means when nobody in the room says it: a letter left out or added
    assert "~schimmel" in concepts_named("schimel op de muren")
    # but not one letter for another: "gesloten" (closed) is a word, not a slip of "besloten" (decided)
    assert "~besluit" not in concepts_named("Het buurthuis is gesloten")
    # nor a letter before the first: holders ("houders") are no parents ("ouders")
    assert "~ouders" not in concepts_named("pgb-houders vinden geen zorgverlener")
    assert suggest._spelling(Counter({"houders": 1, "ouders": 3})) == {}


def test_near_duplicates_come_first_and_are_named_after_themselves() -> None:
    same = [
        "Geen plek voor jongeren",
        "geen plek voor jongeren",
        "Geen plek voor jongeren!!",
        "GEEN PLEK VOOR JONGEREN",
        "Geen plek voor jongeren 😞",
        "geen plek voor jongeren.",
        "Geen plek voor jongeren",
        "geen plek voor jongeren?",
        "Geen plek voor jongeren",
    ]
    other = ["Schulden stapelen zich op", "Hulp bij schulden komt te laat", "Schulden worden niet gezien"]
    result = run(*other, *same)
    first = result.piles[0]
    assert first.duplicates
    assert sorted(first.answer_ids) == list(range(3, 12))
    assert first.name == "Geen plek voor jongeren"
    assert together(result, 0, 1, 2)
    assert not result.piles[1].duplicates


def test_a_sentence_sent_by_hundreds_is_one_pile_with_every_copy_marked() -> None:
    forms = ["Geen plek voor jongeren", "geen plek voor jongeren!!", "GEEN PLEK VOOR JONGEREN 😞"]
    same = [forms[n % 3] for n in range(300)]
    other = ["Schulden stapelen zich op", "Hulp bij schulden komt te laat", "Schulden worden niet gezien"]
    result = run(*other, *same)
    first = result.piles[0]
    assert first.duplicates
    assert sorted(first.answer_ids) == list(range(3, 303))
    # each copy is marked in its own words
    everything = [*other, *same]
    assert {i: [everything[i][a:b].lower() for a, b in first.marks[i]] for i in first.marks} == {
        i: ["plek voor jongeren"] for i in first.answer_ids
    }
    assert together(result, 0, 1, 2)
    assert result.loose == result.considered - 303


def test_copies_of_a_sentence_on_a_pile_all_go_onto_it() -> None:
    obstacles = [
        Obstacle(0, "Geen plek voor jongeren", pile=7),
        Obstacle(1, "Jongeren hangen rond bij de supermarkt", pile=7),
        *(Obstacle(n, "geen plek voor jongeren") for n in range(2, 40)),
        *(Obstacle(40 + n, text) for n, text in enumerate(BACKGROUND)),
    ]
    result = suggest.suggest(obstacles)
    onto = [pile for pile in result.piles if pile.into == 7]
    assert len(onto) == 1 and sorted(onto[0].answer_ids) == list(range(2, 40))
    assert not any(pile.into is None and set(pile.answer_ids) & set(range(2, 40)) for pile in result.piles)


def test_a_pile_of_long_obstacles_is_named_by_the_first_clause_of_one_of_them() -> None:
    long = [
        "Mensen met schulden durven niet naar de schuldhulpverlening, en als ze gaan is er een lange wachtlijst",
        "Wie zich meldt bij de schuldhulpverlening wacht maanden op een eerste gesprek en de schulden groeien",
        "De schuldhulpverlening in onze gemeente heeft een lange wachtlijst; intussen lopen de schulden op",
    ]
    assert all(len(text) > suggest.NAME_LENGTH for text in long)
    (pile,) = run(*long).piles
    # whole words of one of its obstacles, ending where its first clause does: not cut, nor the words they share
    assert pile.name in {
        "Mensen met schulden durven niet naar de schuldhulpverlening",
        "De schuldhulpverlening in onze gemeente heeft een lange wachtlijst",
    }, pile.name
    assert "…" not in pile.name and "≈" not in pile.name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # a few letters over: whole, a screen that has room shows it all ("…omtrent…" was stored)
        (
            "Vrijwilligers haken af door de regels rond de verklaring omtrent gedrag.",
            "Vrijwilligers haken af door de regels rond de verklaring omtrent gedrag",
        ),
        ("Subsidies lopen per jaar; een project stopt net als het begint te werken.", "Subsidies lopen per jaar"),
        (
            "Er is geen gedeelde agenda: we horen achteraf wat een ander al deed, en dan is het te laat",
            "Er is geen gedeelde agenda",
        ),
        (
            "De huisarts hoort het als eerste, maar zit bij geen enkel overleg aan tafel.",
            "De huisarts hoort het als eerste",
        ),
        # no clause that names it: "o.a." ends no sentence, "Kortom" is no name, "Als je belt" no main clause
        (
            "Er zijn o.a. te weinig plekken voor jongeren in de avonduren en de buurthuizen zijn dicht",
            "Er zijn o.a. te weinig plekken voor jongeren in de avonduren en de buurthuizen zijn dicht",
        ),
        (
            "Kortom: er is geen geld voor jongerenwerk in de wijk en de gemeente doet er helemaal niets aan",
            "Kortom: er is geen geld voor jongerenwerk in de wijk en de gemeente doet er helemaal niets aan",
        ),
        (
            "Als je belt, dan krijg je niemand aan de lijn en word je doorverwezen naar een ander loket",
            "Als je belt, dan krijg je niemand aan de lijn en word je doorverwezen naar een ander loket",
        ),
    ],
)
def test_a_long_obstacle_names_its_pile_in_whole_words(text: str, name: str) -> None:
    (pile,) = run(text, text.lower()).piles
    assert pile.name == name


def test_a_name_longer_than_a_pile_holds_stops_after_a_whole_word() -> None:
    text = "Niemand weet wie waarvoor verantwoordelijk is en je wordt van het kastje naar de muur gestuurd " * 4
    (pile,) = run(text, text.upper()).piles
    assert len(pile.name) <= suggest.NAME_MOST and "…" not in pile.name
    assert text.startswith(pile.name + " "), pile.name


def test_texts_of_generic_words_only_are_not_said_alike() -> None:
    # "geen mensen" (no staff) and "mensen" have the same stems, but say nothing that makes them one obstacle
    assert run("Mensen", "Geen mensen", "Mensen komen niet rond").piles == []
    assert together(run("Geen plek voor jongeren", "geen plek voor jongeren!", "Mensen"), 0, 1)
    # nor do texts whose every word is too common in the room to tell anything: no pile that shares nothing
    room = ["Jongeren"] * 5 + [f"Jongeren en {topic}" for topic in ("schulden", "drugs", "school", "werk", "sport")]
    result = run(*room, background=[f"Jongeren en {topic}" for topic in ("geld", "wonen", "zorg", "taal", "straat")])
    assert on_a_pile(result).isdisjoint(range(5)) and all(pile.shared for pile in result.piles)


def test_obstacles_that_fit_nowhere_stay_loose() -> None:
    result = run(
        "Wachtlijsten in de jeugdzorg",
        "Jeugdzorg kent lange wachtlijsten",
        "De kerk sluit haar deuren",
        "🙈",
        "👍👍",
        "https://www.voorbeeld.nl/melding?id=4",
        "geld",
        "???",
    )
    assert together(result, 0, 1)
    assert on_a_pile(result).isdisjoint({2, 3, 4, 5, 6, 7})
    assert result.considered == 8 + len(BACKGROUND)
    assert result.loose == result.considered - len(on_a_pile(result))


def test_nothing_one_or_only_odd_obstacles_give_no_piles() -> None:
    assert suggest.suggest([]).piles == []
    assert suggest.suggest([Obstacle(1, "Wachtlijsten jeugdzorg")]).piles == []
    odd = suggest.suggest([Obstacle(1, "🙈"), Obstacle(2, "🙈"), Obstacle(3, "http://a.nl"), Obstacle(4, "")])
    assert odd.piles == [] and odd.loose == 4


def test_existing_piles_take_loose_obstacles_but_are_never_merged_or_split() -> None:
    obstacles = [
        Obstacle(1, "Wachtlijsten jeugdzorg", pile=70),
        Obstacle(2, "Jeugdzorg wachtlijst te lang", pile=70),
        Obstacle(3, "Wachtlijst jeugdzorg", pile=71),
        Obstacle(4, "Lange wachtlijsten bij de jeugdzorg"),
        *[Obstacle(10 + i, text) for i, text in enumerate(BACKGROUND)],
    ]
    result = suggest.suggest(obstacles)
    additions = [p for p in result.piles if p.into is not None]
    assert [(p.into, p.answer_ids) for p in additions] in ([(70, [4])], [(71, [4])])
    assert all(p.into is not None or not {1, 2, 3} & set(p.answer_ids) for p in result.piles)
    pile_70 = next((p for p in additions if p.into == 70), None)
    if pile_70 is not None:
        assert pile_70.pile_ids == [1, 2]


def test_a_pile_says_what_its_members_share_and_marks_it_in_their_words() -> None:
    texts = ["🙂 Wachtlijsten in de jeugdzorg", "De jeugdzorg heeft wachtlijsten", "wachtlijst jeugdzorg"]
    result = run(*texts)
    (pile,) = [p for p in result.piles if 0 in p.answer_ids]
    assert any("jeugdzorg" in word for word in pile.shared)
    for i, text in enumerate(texts):
        # the browser counts in UTF-16 units: the emoji before the words takes two
        units = text.encode("utf-16-le")
        marked = [units[2 * start : 2 * end].decode("utf-16-le").lower() for start, end in pile.marks[i]]
        assert any("jeugdzorg" in m for m in marked), marked
        assert all(m.strip() and m.strip() == m for m in marked)


def test_a_word_is_shown_once_where_two_languages_stem_it_apart() -> None:
    # an English text stems "woningnood" its own way: the two stems read the same, and are shown once
    result = run(
        "the woningnood is a big problem for young families", "woningnood in de wijk", "Woningnood bij starters"
    )
    assert together(result, 0, 1, 2)
    shown = result.piles[0].shared
    assert all(len(set(words := feature.split(" ≈ "))) == len(words) for feature in shown), shown


def test_a_pair_of_words_is_not_shown_beside_a_concept_that_says_both() -> None:
    # the pair "vuurwerk (rond) oud" adds nothing to "oud en nieuw ≈ vuurwerk", whichever of the two comes first
    first = run(
        "vuurwerk rond oud en nieuw",
        "veel vuurwerkoverlast rond oud en nieuw",
        "Vuurwerk rond oud en nieuw is eng",
        "knallen met oud en nieuw, de hele week vuurwerk",
    )
    assert together(first, 0, 1, 2, 3)
    room = ["Vuurwerk rond oud en nieuw", "Vuurwerk rond oud en nieuw in Noord", "Echt: vuurwerk rond oud en nieuw"]
    second = run(*room, background=[])
    assert together(second, 0, 1, 2)
    for result in (first, second):
        (pile,) = [p for p in result.piles if 0 in p.answer_ids]
        assert len([feature for feature in pile.shared if "vuurwerk" in feature]) == 1, pile.shared


def test_two_pairs_of_words_a_member_says_as_one_phrase_are_shown_as_it() -> None:
    room = ["De bus rijdt 's avonds niet", "De bus rijdt 's avonds niet in Noord", "Echt: de bus rijdt 's avonds niet"]
    (pile,) = run(*room, background=[]).piles
    assert pile.shared == ["bus rijdt 's avonds"]
    # only where a member says them as one: "bus rijdt" and "rijdt laat" stay two where nobody says "bus rijdt laat"
    room = ["de bus rijdt niet, hij rijdt laat", "bus rijdt nooit op tijd, rijdt laat", "Bus rijdt zelden, rijdt laat"]
    (pile,) = run(*room, background=[]).piles
    assert pile.shared == ["bus rijdt", "rijdt laat"]


def test_a_concept_is_not_shown_by_two_forms_one_of_which_holds_the_other() -> None:
    # "schulden ≈ problematische schulden" says no more than "schulden"; the next form that differs is shown instead
    room = ["schulden", "Schulden!", "problematische schulden", "Problematische schulden", "schuldenlast groeit"]
    (pile,) = run(*room, background=[]).piles
    assert pile.shared[0] == "schulden ≈ schuldenlast", pile.shared
    for feature in pile.shared:
        forms = [set(form.split()) for form in feature.split(" ≈ ")]
        assert not any(a <= b for a in forms for b in forms if a is not b), feature


def test_english_answers_are_matched_too() -> None:
    result = run(
        "Waiting lists for youth care are too long",
        "The waiting list for youth care",
        "Youth care has long waiting lists",
    )
    assert together(result, 0, 1, 2)


def first_pile_tagged(*texts: str, keywords: Mapping[str, Iterable[str]]) -> suggest.Suggestion:
    """The pile proposed for the first of these obstacles, tagged from these keywords."""
    result = run(*texts, keywords=keywords, tensions=TENSIONS, themes=THEMES)
    (pile,) = [p for p in result.piles if 0 in p.answer_ids]
    return pile


def test_a_pile_gets_a_tension_and_a_theme_from_the_keywords() -> None:
    money = ("Alles is projectgeld", "Geld zit in aparte potjes", "Geen structureel geld voor preventie")
    assert first_pile_tagged(*money, keywords=keywords.shipped_keywords()).tension == "financiering"
    pile = first_pile_tagged(*money, keywords={"machtskwesties": ["potjes", "geld"], "wonen": ["geld"]})
    assert (pile.tension, pile.theme) == ("machtskwesties", "wonen")


def test_a_word_the_lexicon_knows_takes_no_tag_from_its_parts() -> None:
    # "vuurwerk" splits into "vuur" and "werk" when the room says "vuur", but fireworks are not work
    assert suggest._split("vuurwerk", {"vuur", "werk"}) == ("vuur", "werk")
    fireworks = ("Vuurwerk rond oud en nieuw", "Vuurwerk in de portieken", "Overal vuurwerk tot diep in de nacht")
    pile = first_pile_tagged(*fireworks, "Een pan op het vuur vergeten", keywords=keywords.shipped_keywords())
    assert pile.theme != "werken"


def concepts_named(text: str) -> set[str]:
    """The lexicon's concepts one obstacle names."""
    (analysed,) = suggest._analyse([Obstacle(0, text)])
    return {concept for *_, concept in analysed.concepts}


def test_a_phrase_of_the_lexicon_counts_only_as_a_whole() -> None:
    assert "~hulpverlener" in concepts_named("Geen maatschappelijk werker in de wijk")
    assert "~hulpverlener" in concepts_named("No social worker for our families")
    # "sociale" alone is no social worker, and a wall alone is no runaround
    assert "~hulpverlener" not in concepts_named("Wachtlijst sociale huur")
    assert "~loket" in concepts_named("Van het kastje naar de muur gestuurd")
    assert "~loket" not in concepts_named("Je hoort de buren door de muur")


def test_a_phrase_is_marked_as_a_whole() -> None:
    texts = [
        "Van het kastje naar de muur gestuurd",
        "Van het kastje naar de muur bij de gemeente",
        "Van loket naar loket",
    ]
    result = run(*texts)
    (pile,) = [p for p in result.piles if 0 in p.answer_ids]
    assert together(result, 0, 1, 2)
    start, end = pile.marks[0][0]
    assert texts[0][start:end] == "kastje naar de muur"


def test_every_word_of_the_lexicon_has_one_concept_at_most() -> None:
    data = yaml.safe_load(suggest.LEXICON.read_text(encoding="utf-8"))
    owners: dict[str, set[str]] = defaultdict(set)
    for line in data["concepts"]:
        entries = line.split()
        for entry in entries:
            folded = suggest._fold(entry)
            for stem in {suggest.stem(folded), suggest.stem(folded, english=True)}:
                owners[stem].add(entries[0])
    assert {stem: names for stem, names in owners.items() if len(names) > 1} == {}


def test_every_word_of_the_lexicon_is_a_content_word() -> None:
    # a stop word is never a token, so an entry or a phrase that holds one would never be found
    dutch, english = suggest._stopwords()
    data = yaml.safe_load(suggest.LEXICON.read_text(encoding="utf-8"))
    entries = [entry for line in data["concepts"] for entry in line.split()]
    assert [e for e in entries if any(suggest._fold(w) in dutch | english for w in e.split("_"))] == []


def test_two_obstacles_that_share_one_word_make_no_pile() -> None:
    # unless, in a small room, that word is much of what each says (the next test)
    assert not together(run("Mijn dochter wordt online gepest", "Gokverslaving via online casino's"), 0, 1)
    assert together(run("Mijn dochter wordt online gepest", "Kinderen worden online gepest"), 0, 1)
    # saying the same thing is enough, however little it is
    assert together(run("Woningnood", "woningnood!"), 0, 1)


def test_in_a_small_room_two_obstacles_make_a_pile_when_their_one_shared_word_is_much_of_each() -> None:
    lonely = ("Eenzaamheid onder ouderen wordt niet gezien", "Jongvolwassenen zijn ook eenzaam en zwijgen erover")
    assert together(run(*lonely), 0, 1)
    # in a room of hundreds the same two stay loose: a topic with many voices does not rest on two who share a word
    analysed = suggest._analyse([Obstacle(i, text) for i, text in enumerate(grouping.load(grouping.DEFAULT_SET).texts)])
    others = [text.obstacle.text for text in analysed if all(c != "~eenzaam" for *_, c in text.concepts)]
    assert len(others) >= 250
    assert not together(run(*lonely, background=others[:250]), 0, 1)


def test_a_member_alike_to_too_few_of_its_pile_is_left_out() -> None:
    room = [
        "Veel kinderen met overgewicht",
        "Ongezond eten in gezinnen met weinig geld",
        "Overgewicht en diabetes in de wijk",
        "Gezonde voeding is te duur",
        # alike to the second one only, by its money
        "Schaamte om over geldproblemen te praten",
        *BACKGROUND,
    ]
    texts = suggest._analyse([Obstacle(i, text) for i, text in enumerate(room)])
    suggest._weigh(texts)
    assert suggest._trim(texts, [0, 1, 2, 3, 4], keep=set(), threshold=suggest.LINK) == [0, 1, 2, 3]
    # an obstacle already on the pile stays on it
    assert suggest._trim(texts, [0, 1, 2, 3, 4], keep={4}, threshold=suggest.LINK) == [0, 1, 2, 3, 4]


def test_a_member_moves_to_the_pile_it_is_most_alike_to() -> None:
    # 2 was merged with 0 and 1 first (by a broad word), but is far more alike to 3 and 4
    alike: dict[int, dict[int, float]] = {
        0: {1: 0.6, 2: 0.2},
        1: {0: 0.6, 2: 0.2},
        2: {0: 0.2, 1: 0.2, 3: 0.5, 4: 0.5},
        3: {2: 0.5, 4: 0.6},
        4: {2: 0.5, 3: 0.6},
        5: {},
    }
    groups = [[0, 1, 2], [3, 4], [5]]
    assert suggest._reassign(alike, groups, keep=set()) == [[0, 1], [2, 3, 4], [5]]
    # a member of an existing pile, or of obstacles said alike, stays where it is
    assert suggest._reassign(alike, groups, keep={2}) == groups
    # a member barely more alike elsewhere stays: moving it would only trade one doubt for another
    alike[2] |= {3: 0.21, 4: 0.21}
    alike[3][2] = alike[4][2] = 0.21
    assert suggest._reassign(alike, groups, keep=set()) == groups


def test_a_loose_obstacle_joins_the_one_pile_whose_concept_it_names() -> None:
    room = [
        "Schulden bij jonge gezinnen",
        "Problematische schulden stapelen zich op",
        "Schulden door hoge vaste lasten",
        "Mensen met schulden melden zich te laat",
        "Eenzame ouderen in de flat",
        "Eenzaamheid onder ouderen",
        "Ouderen zijn eenzaam en zien niemand",
        "Veel eenzaamheid in de wijk",
        # a debt by another word, in many words of its own
        "Een deurwaarder aan de deur bij gezinnen die al jaren rondtobben met rekeningen",
        # debts and loneliness: no one pile to join
        "De deurwaarder staat voor de deur van eenzame ouderen",
        # debts are a small part of what it names
        "Drugs, vandalisme en schulden",
    ]
    texts = suggest._analyse([Obstacle(i, text) for i, text in enumerate(room)])
    suggest._weigh(texts)
    aside = suggest.lexicon().aside
    debts, lonely = [0, 1, 2, 3], [4, 5, 6, 7]
    assert suggest._attach_loose(texts, [debts, lonely], aside=aside) == [[*debts, 8], lonely]
    # a pile of three takes none: one wrong member would make it mixed
    assert 8 not in {i for pile in suggest._attach_loose(texts, [debts[:3], lonely], aside=aside) for i in pile}
    # nor does either of two piles on the same concept: the debt goes nowhere, debt and loneliness to loneliness
    assert suggest._attach_loose(texts, [debts, debts[::-1], lonely], aside=aside) == [debts, debts, [*lonely, 9]]
    # an existing pile on debts takes it too, though nothing else was added to it
    result = suggest.suggest([Obstacle(i, text, pile=50 if i in debts else None) for i, text in enumerate(room[:9])])
    assert [(p.into, p.answer_ids, p.pile_ids) for p in result.piles if p.into] == [(50, [8], debts)]
    # a pile half on debts and half on loneliness has no one topic, in whichever order its concepts come: the debt
    # stays loose (where the first named had been its topic, which came first was up to the process's hashing)
    for half in ([0, 1, 4, 5], [4, 5, 0, 1]):
        assert suggest._attach_loose(texts, [half], aside=aside) == [sorted(half)]


def test_a_small_pile_holds_only_members_that_share_two_words_with_another() -> None:
    # a third obstacle alike to a pair by one word only is left out, and the pair stays
    result = run(
        "Gezinnen met een hoge energierekening",
        "De energierekening is te hoog voor gezinnen",
        "Gezinnen wachten op jeugdzorg",
    )
    assert together(result, 0, 1) and 2 not in on_a_pile(result)
    # the least alike goes first, and a word all the rest share keeps them together
    result = run(
        "Schimmel in de huurwoningen",
        "Vocht en schimmel in huis",
        "Kinderen worden ziek van de schimmel",
        "Geen huis voor jonge gezinnen",
    )
    assert together(result, 0, 1, 2) and 3 not in on_a_pile(result)
    # a word all share keeps them together only when it is much of what each says
    result = run(
        "Vrijwilligers haken af door de regels",
        "Gemeente stelt onduidelijke regels voor subsidie",
        "Regels voor de huurtoeslag zijn te ingewikkeld",
    )
    assert on_a_pile(result).isdisjoint({0, 1, 2})
    result = run("Schulden stapelen zich op", "Hulp bij schulden komt te laat", "Schulden worden niet gezien")
    assert together(result, 0, 1, 2)


def test_a_dutch_word_takes_no_concept_from_the_english_stem_of_another() -> None:
    # the English stemmer makes "parking" into "park": a park in a Dutch text is no parking, "parkeren" is
    room = ["Niemand durft 's avonds door het park", "No parking at all", "Parkeren"]
    dutch, english, parking = suggest._analyse([Obstacle(i, text) for i, text in enumerate(room)])
    assert [c for *_, c in dutch.concepts] == []
    assert [c for *_, c in english.concepts] == [c for *_, c in parking.concepts] == ["~parkeren"]


def test_not_reading_well_and_letters_nobody_understands_are_two_obstacles() -> None:
    # the lexicon had one concept for literacy, the Dutch language and hard official letters alike
    result = run(
        "Veel statushouders zijn laaggeletterd",
        "Laaggeletterdheid onder statushouders",
        "Brieven van de Belastingdienst zijn onbegrijpelijk",
        "Onbegrijpelijke brieven van de Belastingdienst",
    )
    assert together(result, 0, 1) and together(result, 2, 3)
    assert not together(result, 0, 2) and not together(result, 1, 3)


def test_everyday_words_for_a_debt_meet_the_word_debts() -> None:
    assert together(run("Veel gezinnen staan rood", "Gezinnen met schulden"), 0, 1)


def test_a_word_the_stemmer_makes_into_another_takes_no_concept_from_it() -> None:
    # "het duurt" is how long a thing takes, not what it costs; interest is no rent, cars are no care
    assert concepts_named("Het duurt maanden voor er iets gebeurt") == {"~wachtlijst"}
    assert concepts_named("Alles is zo duur geworden") == {"~betalen"}
    assert "~woning" not in concepts_named("De rente op de lening loopt op")
    assert concepts_named("Too many cars in the street") == set()
    assert "~zorg" in concepts_named("Not enough care for the elderly")
    # a thing out of hand is no shortage of staff, hands at the bedside are
    assert concepts_named("Het loopt uit de hand op het plein") == set()
    assert concepts_named("Te weinig handen aan het bed") == {"~personeel"}
    assert concepts_named("Er is geen plek beschikbaar") == set()


def test_a_code_of_a_letter_and_a_number_is_a_word() -> None:
    # "e33" is how the police log a confused person; a number alone is still no word
    assert "~verward" in concepts_named("Steeds meer e33 meldingen")
    (analysed,) = suggest._analyse([Obstacle(0, "Bus 33 rijdt om 8 uur, E33")])
    assert [token.surface for token in analysed.tokens] == ["Bus", "rijdt", "uur", "E33"]


def test_homes_for_the_old_to_move_on_to_are_another_obstacle_than_too_few_homes() -> None:
    result = run(
        "Geen seniorenwoningen in het dorp",
        "Ouderen kunnen niet doorstromen naar een seniorenwoning",
        "Doorstroming van ouderen komt niet op gang",
        "Te weinig betaalbare woningen",
        "Woningtekort in de stad",
        "Geen huizen te krijgen",
    )
    assert together(result, 0, 1, 2) and together(result, 3, 4, 5)
    assert not together(result, 0, 3)
