"""Finding an organisation by what someone types (the same cases run in the browser in tests/e2e)."""

import json
from pathlib import Path
from typing import Any

import pytest

from app.organisations import service as organisations

CASES = json.loads(Path(__file__).with_name("search_cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[case["why"] for case in CASES])
def test_matching(case: dict[str, Any]) -> None:
    assert organisations.matches(case["query"], case["names"]) is case["match"]


def test_search_words_drop_accents_case_and_punctuation() -> None:
    assert organisations.search_words("Zuyderländ, Medisch-Centrum") == ["zuyderland", "medisch", "centrum"]
    assert organisations.search_words("_-_") == []


def test_the_key_that_makes_one_organisation_of_several_spellings() -> None:
    assert organisations.organisation_key("Gem. Heerlen") == organisations.organisation_key("gem heerlen")
    assert organisations.organisation_key("Gemeente  HEERLEN!") == "gemeente heerlen"
    # signs that come apart into capitals fold as typed: "№" is "No", "™" is "TM"
    assert organisations.organisation_key("Stichting № 5") == organisations.organisation_key("stichting no 5")
    assert organisations.organisation_key("Acme™") == organisations.organisation_key("ACMETM") == "acmetm"


def test_names_sort_with_numbers_as_numbers_and_accents_and_case_aside() -> None:
    names = ["Huis 10", "huis 9", "Huis 007b", "Huis 7a", "Hüis ٣", "Huis", "", "9" * 5000, "8" * 4999]
    assert sorted(names, key=organisations.name_order) == [
        "",
        "8" * 4999,  # fewer digits first, and no int() of a run longer than Python reads
        "9" * 5000,
        "Huis",
        "Hüis ٣",
        "Huis 7a",
        "Huis 007b",
        "huis 9",
        "Huis 10",
    ]
