"""The word cloud's counting rule: case, punctuation, numbers and stop words."""

from app.answers.words import count_words, stopwords


def test_real_dutch_answers_count_their_words() -> None:
    answers = [
        "Jongeren hebben 's avonds geen plek om te zijn.",
        "Er is geen plek voor jongeren in de wijk!",
        "De jongeren hangen rond bij het winkelcentrum, 3 avonden per week.",
        "Te weinig JONGERENWERK en te veel regels.",
        "The youth centre closed in 2019; no place for young people.",
        "Zie https://www.amsterdam.nl/noord/jongeren en www.wijkteam.nl",
    ]
    counted = dict(count_words(answers))
    assert counted["jongeren"] == 3
    assert counted["plek"] == 2
    assert counted["jongerenwerk"] == 1 and counted["winkelcentrum"] == 1
    # Dutch and English stop words, numbers and one-letter words are left out
    for word in ("de", "het", "geen", "om", "te", "er", "is", "the", "no", "for", "in", "s", "3", "2019"):
        assert word not in counted, word
    assert counted["youth"] == 1 and counted["place"] == 1
    # web addresses are left out whole, not counted as "https", "www" and "nl"
    assert not {"https", "www", "nl", "amsterdam", "wijkteam"} & set(counted)


def test_the_most_frequent_come_first_and_the_list_is_cut() -> None:
    counted = count_words(["b a", "bus bus tram", "tram fiets bus"], top=2)
    assert counted == [("bus", 3), ("tram", 2)]


def test_stop_word_lists_are_shipped_in_both_languages() -> None:
    assert {"de", "het", "een", "the", "and"} <= stopwords()
