"""The register's filter read from a query string and written back: what a bookmark holds."""

from datetime import date
from urllib.parse import parse_qsl

import pytest

from app.register.filters import CHOICES_MAX, RegisterFilter, parse_filter


def parsed(query: str) -> RegisterFilter:
    """A query string's filter, which must have nothing wrong with it."""
    chosen, problems = parse_filter(parse_qsl(query, keep_blank_values=True))
    assert problems == [], [p.code for p in problems]
    return chosen


def test_every_part_is_read() -> None:
    chosen = parsed(
        "organisation=3&organisation=7&status=bezig&status=open&workshop=12&q=+jeugd++noord+&theme=wonen"
        "&tension=beleid&due=week&volunteers=no&changed_since=2026-11-30&sort=-changed&page=2"
    )
    assert chosen == RegisterFilter(
        organisations=(3, 7),
        statuses=("open", "bezig"),  # in the statuses' own order
        workshops=(12,),
        text="jeugd noord",
        themes=("wonen",),
        tensions=("beleid",),
        due="week",
        volunteers="no",
        changed_since=date(2026, 11, 30),
        sort="changed",
        descending=True,
        page=2,
    )


def test_written_back_it_reads_the_same_and_leaves_defaults_out() -> None:
    chosen = parsed("status=klaar&organisation=4&organisation=4&q=a%26b&tension=informatie%2Fbeeldvorming&page=3")
    assert chosen.organisations == (4,)  # a repeated id counts once
    assert parsed(chosen.query(page=chosen.page)) == chosen
    assert chosen.query() == "organisation=4&status=klaar&q=a%26b&tension=informatie%2Fbeeldvorming"
    assert RegisterFilter().query() == ""
    assert RegisterFilter().is_empty() and RegisterFilter(sort="status", page=3).is_empty()
    assert not chosen.is_empty()


def test_a_quick_link_switches_one_part_on_and_off_and_keeps_the_rest() -> None:
    chosen = parsed("organisation=4&status=open&page=2")
    assert chosen.toggled("due", "overdue") == "organisation=4&status=open&due=overdue"
    assert parsed("organisation=4&due=overdue").toggled("due", "overdue") == "organisation=4"
    assert chosen.toggled("statuses", "vastgelopen") == "organisation=4&status=vastgelopen"
    assert chosen.toggled("statuses", "open") == "organisation=4"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("status=gedaan", "bad_status"),
        ("theme=sport", "bad_theme"),
        ("tension=ruzie", "bad_tension"),
        ("organisation=abc", "bad_organisation"),
        ("organisation=0", "bad_organisation"),
        ("organisation=%EF%BC%91", "bad_organisation"),  # a fullwidth digit is not a number here
        ("organisation=2147483648", "bad_organisation"),
        ("workshop=1.5", "bad_workshop"),
        ("due=later", "bad_due"),
        ("volunteers=ja", "bad_volunteers"),
        ("changed_since=2026-02-30", "bad_date"),
        ("changed_since=20261206", "bad_date"),
        ("changed_since=2026-W49-1", "bad_date"),
        ("sort=-prijs", "bad_sort"),
        ("page=0", "bad_page"),
        ("page=-1", "bad_page"),
        ("page=100001", "bad_page"),
        ("q=" + "x" * 201, "text_too_long"),
        ("&".join(f"organisation={i}" for i in range(1, CHOICES_MAX + 2)), "too_many_choices"),
    ],
)
def test_each_bad_part_is_a_422_naming_it(query: str, code: str) -> None:
    chosen, problems = parse_filter(parse_qsl(query))
    assert [p.code for p in problems] == [code]
    assert problems[0].status == 422
    assert chosen.page >= 1 and chosen.sort in ("due", "status", "organisation", "changed")


def test_the_last_of_a_repeated_single_part_counts() -> None:
    assert parsed("due=week&due=month").due == "month"
