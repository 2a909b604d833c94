"""The register page: every filter over HTTP, counts per status, sorting, paging, and bad input."""

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from app.actions import service as actions
from app.i18n import short_day
from app.models import Action, Organisation
from app.organisations import service as organisations
from app.register import service as register
from app.register.filters import PAGE_SIZE, RegisterFilter
from app.store.events import Tx
from tests.conftest import Facilitator
from tests.register.conftest import Ledger, add_action, database_of, moment


def shown(http: TestClient, query: str = "", status: int = 200) -> list[int]:
    """The action ids the register shows for a query string, in their order."""
    response = http.get(f"/f/register?{query}")
    assert response.status_code == status, response.text
    return [int(i) for i in re.findall(r'<tr class="[^"]*" data-action="(\d+)"', response.text)]


def names(ledger: Ledger, ids: list[int]) -> list[str]:
    """The ledger's names of these action ids."""
    by_id = {i: name for name, i in ledger.actions.items()}
    return [by_id[i] for i in ids]


def counts(html: str) -> dict[str, int]:
    """The count per status the page shows."""
    return {
        status: int(n)
        for status, n in re.findall(r'class="status-count status-(\w+)[^"]*"[^>]*>\s*[^<]*<strong>(\d+)</strong>', html)
    }


def test_the_register_lists_every_action_of_the_workspace_but_not_deleted_ones(
    facilitator: Facilitator, ledger: Ledger, other_ledger: Ledger
) -> None:
    page = facilitator.http.get("/f/register")
    assert page.status_code == 200
    found = names(ledger, shown(facilitator.http))
    assert sorted(found) == sorted(set(ledger.actions) - {"weg"})
    assert "Geheime afspraak" not in page.text
    # default order: by due date, the ones without a date last
    assert found[-1] == "loket"
    assert found[:2] == ["speeltuin", "huiskamer"]
    row = page.text.split(f'data-action="{ledger.actions["huiskamer"]}"')[1].split("</tr>")[0]
    assert f'href="/f/acties/{ledger.actions["huiskamer"]}"' in row
    assert "Woonstichting Thuis" in row and "Gemeente Heerlen" in row
    assert "over tijd" in row and "Eenzaamheid Oost" in row
    assert short_day(ledger.today - timedelta(days=10)) in row  # the workshop's date
    assert short_day(ledger.today - timedelta(days=1)) in row  # the last change
    assert re.search(r'class="number"><span>2<', row)  # two volunteers


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", {"huiskamer", "buurtfeest"}),
        ("status=open&status=vastgelopen", {"huiskamer", "buurtfeest", "loket"}),
        ("due=overdue", {"huiskamer"}),
        ("due=none", {"loket"}),
        ("q=JONGEREN", {"wijkagent", "loket", "speeltuin"}),  # the opgave of Noord, any case
        ("q=flat", {"huiskamer", "buurtfeest"}),  # Oost's opgave mentions the flat; so does one title
        ("q=speeltuin", {"speeltuin"}),
        ("q=100%25", set()),  # a percent sign is searched for, not a wildcard
        ("q=speel%00tuin%07", {"speeltuin"}),  # control characters are left out (PostgreSQL refuses a NUL)
        ("theme=veiligheid", {"wijkagent"}),  # the cluster's theme
        ("theme=wonen", {"loket"}),  # the answer's own theme
        ("theme=wonen&theme=veiligheid", {"wijkagent", "loket"}),
        ("tension=financiering", {"wijkagent"}),
        ("tension=beleid", set()),
        ("volunteers=yes", {"huiskamer", "loket"}),
        ("volunteers=no", {"wijkagent", "speeltuin", "buurtfeest"}),
        ("status=open&due=overdue&volunteers=yes", {"huiskamer"}),
        ("q=noord&status=klaar", {"speeltuin"}),
    ],
)
def test_each_filter_and_combinations(facilitator: Facilitator, ledger: Ledger, query: str, expected: set[str]) -> None:
    assert set(names(ledger, shown(facilitator.http, query))) == expected


def test_filters_by_organisation_as_owner_or_partner_and_by_workshop(facilitator: Facilitator, ledger: Ledger) -> None:
    politie = ledger.organisations["Politie Limburg"]
    gemeente = ledger.organisations["Gemeente Heerlen"]
    # owner of one, partner in another
    assert set(names(ledger, shown(facilitator.http, f"organisation={politie}"))) == {"wijkagent", "buurtfeest"}
    assert set(names(ledger, shown(facilitator.http, f"organisation={politie}&organisation={gemeente}"))) == {
        "wijkagent",
        "buurtfeest",
        "huiskamer",
        "loket",
    }
    assert set(names(ledger, shown(facilitator.http, f"workshop={ledger.workshops['oost']}"))) == {
        "huiskamer",
        "buurtfeest",
    }
    woon = ledger.organisations["Woonstichting Thuis"]
    assert set(names(ledger, shown(facilitator.http, f"organisation={woon}&due=overdue"))) == {"huiskamer"}


def test_due_this_week_and_this_month_hold_today_and_not_two_months_on(
    facilitator: Facilitator, ledger: Ledger
) -> None:
    for due in ("week", "month"):
        found = set(names(ledger, shown(facilitator.http, f"due={due}")))
        assert "buurtfeest" in found  # due today
        assert not found & {"wijkagent", "loket", "speeltuin"}  # in 60 days, without a date, 10 days ago
    monday = ledger.today - timedelta(days=ledger.today.weekday())
    week = set(names(ledger, shown(facilitator.http, "due=week")))
    assert ("huiskamer" in week) == (ledger.today - timedelta(days=3) >= monday)


def test_changed_since_counts_from_the_start_of_that_day(facilitator: Facilitator, ledger: Ledger) -> None:
    since = (ledger.today - timedelta(days=8)).isoformat()
    assert set(names(ledger, shown(facilitator.http, f"changed_since={since}"))) == {"huiskamer", "loket", "buurtfeest"}
    tomorrow = (ledger.today + timedelta(days=1)).isoformat()
    assert shown(facilitator.http, f"changed_since={tomorrow}") == []


@pytest.mark.parametrize("part", ["changed_since", "agreed_since", "moved_since"])
def test_since_the_first_day_of_the_calendar_is_all_time_not_a_500(
    facilitator: Facilitator, ledger: Ledger, part: str
) -> None:
    everything = set(shown(facilitator.http, f"{part}=2000-01-01"))
    assert set(shown(facilitator.http, f"{part}=0001-01-01")) == everything
    assert shown(facilitator.http, f"{part}=9999-12-31") == []


def test_counts_per_status_leave_out_the_status_part_of_the_filter(facilitator: Facilitator, ledger: Ledger) -> None:
    page = facilitator.http.get("/f/register").text
    assert counts(page) == {"open": 2, "bezig": 1, "klaar": 1, "vastgelopen": 1}
    assert "5 afspraken" in page
    page = facilitator.http.get("/f/register?status=open&q=noord").text
    # within "noord": what each status would show; the total is what the status part keeps
    assert counts(page) == {"open": 0, "bezig": 1, "klaar": 1, "vastgelopen": 1}
    assert "0 afspraken" in page
    assert "Geen afspraken bij dit filter." in page


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("due", ["speeltuin", "huiskamer", "buurtfeest", "wijkagent", "loket"]),
        ("-due", ["wijkagent", "buurtfeest", "huiskamer", "speeltuin", "loket"]),
        ("status", ["huiskamer", "buurtfeest", "wijkagent", "speeltuin", "loket"]),
        ("-status", ["loket", "speeltuin", "wijkagent", "buurtfeest", "huiskamer"]),
        ("organisation", ["buurtfeest", "loket", "wijkagent", "huiskamer", "speeltuin"]),
        ("-changed", ["buurtfeest", "huiskamer", "loket", "wijkagent", "speeltuin"]),
        ("changed", ["speeltuin", "wijkagent", "loket", "huiskamer", "buurtfeest"]),
    ],
)
def test_sorting(facilitator: Facilitator, ledger: Ledger, sort: str, expected: list[str]) -> None:
    assert names(ledger, shown(facilitator.http, f"sort={sort}")) == expected


def test_pages_of_fifty_with_links_that_keep_the_filter(facilitator: Facilitator, ledger: Ledger) -> None:
    database = database_of(facilitator.http)

    def many(db: Session) -> list[int]:
        return [
            add_action(
                db,
                workshop_id=ledger.workshops["noord"],
                title=f"Extra afspraak {n}",
                owner="Buurtwerk Noord",
                due_on=ledger.today + timedelta(days=100 + n),
                updated_on=ledger.today,
            )
            for n in range(2 * PAGE_SIZE + 3)
        ]

    extra = database.write_sync(many)
    first = facilitator.http.get("/f/register?status=open&q=extra")
    assert "103 afspraken" in first.text and "pagina 1 van 3" in first.text
    assert shown(facilitator.http, "status=open&q=extra") == extra[:PAGE_SIZE]
    assert 'href="/f/register?status=open&amp;q=extra&amp;page=2"' in first.text
    assert shown(facilitator.http, "status=open&q=extra&page=3") == extra[2 * PAGE_SIZE :]
    # an export takes every row, not one page
    csv_rows = facilitator.http.get("/f/register.csv?status=open&q=extra").content.decode("utf-8-sig").splitlines()
    assert len(csv_rows) == 1 + len(extra)
    # a page past the last is named, with the number of pages
    past = facilitator.http.get("/f/register?status=open&q=extra&page=4")
    assert past.status_code == 422
    assert "Pagina 4 bestaat niet: de laatste pagina bij dit filter is 3." in past.text


def test_sorting_by_organisation_reads_numbers_as_numbers_across_pages(
    facilitator: Facilitator, ledger: Ledger
) -> None:
    owners = [f"Organisatie nummer {n}" for n in range(1, PAGE_SIZE + 12)] + ["Örganisatie 3"]

    def many(db: Session) -> dict[int, str]:
        made = {}
        for owner in reversed(owners):  # agreed in another order than the names'
            action = add_action(db, workshop_id=ledger.workshops["noord"], title="Genummerd", owner=owner)
            made[action] = owner
        return made

    made = database_of(facilitator.http).write_sync(many)
    both = shown(facilitator.http, "q=genummerd&sort=organisation") + shown(
        facilitator.http, "q=genummerd&sort=organisation&page=2"
    )
    numbers = [int(made[i].rsplit(" ", 1)[1]) for i in both]
    # "Örganisatie 3" before "Organisatie nummer 1" (accents aside), then 1, 2, ... 9, 10, ...
    assert numbers == [3, *range(1, PAGE_SIZE + 12)]
    assert shown(facilitator.http, "q=genummerd&sort=-organisation")[0] == both[-1]


# owners as offices type them: accents and case that fold together, numbers, Arabic, a long word, signs alone
HOSTILE_OWNERS = [
    "Zoë Zorg 10",
    "zoe zorg 2",
    "ÄRZTE VOOR DE WIJK",
    "mؤسسة",
    "مؤسسة الإسكان",
    "Woningcorporatiebuurtbeheerverenigingsondersteuningsdienst",
    "Éénhoorn",
    "eenhoorn",
    "—",
    "Buurtwerk",
]


def owner_order(db: Session, *, workspace_id: int, title: str) -> list[int]:
    """The ids of the actions with this title in the order the register sorted owners before they had a key: an
    organisation's name by organisations.name_order, any other owner (no name, signs alone) first, ties by id."""
    names = set(
        db.execute(select(col(Organisation.name)).where(col(Organisation.workspace_id) == workspace_id)).scalars()
    )
    rows = db.execute(
        select(col(Action.id), col(Action.owner_organisation)).where(
            col(Action.title) == title, col(Action.deleted_at).is_(None)
        )
    ).all()
    return [
        i
        for i, owner in sorted(
            rows, key=lambda row: ((1, organisations.name_order(row[1])) if row[1] in names else (0, ()), row[0])
        )
    ]


def keys_are_right(db: Session) -> bool:
    """Whether every action's stored owner key is the key of the owner it shows."""
    rows = db.execute(select(col(Action.owner_organisation), col(Action.owner_key))).all()
    return all(bytes(key) == organisations.owner_key(owner) for owner, key in rows)


def test_sorting_by_organisation_keeps_its_order_for_hostile_names_after_a_rename_and_a_merge(
    facilitator: Facilitator, ledger: Ledger
) -> None:
    database = database_of(facilitator.http)
    workshop_id = ledger.workshops["noord"]

    def agree(db: Tx) -> None:
        # through the service, as the board agrees them: it resolves the organisation and writes the key
        for owner in reversed(HOSTILE_OWNERS * 6):
            actions.save_action(db, workshop_id=workshop_id, title="Vijandig", owner_organisation=owner)
        # an owner of no name only old data has (the board refuses one)
        add_action(db, workshop_id=workshop_id, title="Vijandig", owner="")

    database.write_sync(agree)

    def expected() -> list[int]:
        assert database.read_sync(keys_are_right)
        return database.read_sync(lambda db: owner_order(db, workspace_id=ledger.workspace_id, title="Vijandig"))

    def register(sort: str) -> list[int]:
        return shown(facilitator.http, f"q=vijandig&sort={sort}") + shown(
            facilitator.http, f"q=vijandig&sort={sort}&page=2"
        )

    before = expected()
    assert register("organisation") == before
    assert register("-organisation") == before[::-1]

    def rename(db: Tx) -> None:
        zorg = organisations.find_organisation(db, workspace_id=ledger.workspace_id, name="zoe zorg 2")
        assert zorg is not None
        fields = organisations.OrganisationFields(name="Aa Zorg 2")
        organisations.save_organisation(db, workspace_id=ledger.workspace_id, fields=fields, organisation_id=zorg.id)

    database.write_sync(rename)
    renamed = expected()
    assert renamed != before and register("organisation") == renamed

    def merge(db: Tx) -> None:
        found = {
            name: organisations.find_organisation(db, workspace_id=ledger.workspace_id, name=name)
            for name in ("Buurtwerk", "ÄRZTE VOOR DE WIJK")
        }
        source, into = found["Buurtwerk"], found["ÄRZTE VOOR DE WIJK"]
        assert source is not None and into is not None
        organisations.merge_organisation(
            db, workspace_id=ledger.workspace_id, organisation_id=source.id or 0, into_id=into.id or 0
        )

    database.write_sync(merge)
    merged = expected()
    assert merged != renamed and register("organisation") == merged
    assert register("-organisation") == merged[::-1]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=gedaan", "Onbekende status &#39;gedaan&#39;: kies uit open, bezig, klaar, vastgelopen."),
        ("changed_since=2026-02-30", "De datum &#39;2026-02-30&#39; bestaat niet"),
        ("changed_since=6-12-2026", "De datum &#39;6-12-2026&#39; bestaat niet"),
        ("organisation=abc", "&#39;abc&#39; is geen nummer van een organisatie"),
        ("organisation=99999999999", "&#39;99999999999&#39; is geen nummer van een organisatie"),
        ("workshop=-1", "&#39;-1&#39; is geen nummer van een workshop"),
        ("page=0", "Pagina &#39;0&#39; bestaat niet"),
        ("page=99999999999999999999", "Pagina &#39;99999999999999999999&#39; bestaat niet"),
        ("page=twee", "Pagina &#39;twee&#39; bestaat niet"),
        ("sort=prijs", "Onbekende sortering &#39;prijs&#39;"),
        ("due=gisteren", "Onbekende keuze voor de deadline &#39;gisteren&#39;"),
        ("volunteers=misschien", "Onbekende keuze voor vrijwilligers"),
        ("theme=sport", "Onbekend thema &#39;sport&#39;"),
        ("tension=ruzie", "Onbekend spanningscluster &#39;ruzie&#39;"),
        ("q=" + "x" * 201, "De zoektekst is te lang"),
        ("organisation=123456", "Organisatie 123456 bestaat niet in deze werkruimte."),
        ("workshop=123456", "Workshop 123456 bestaat niet in deze werkruimte."),
    ],
)
def test_bad_input_is_named_with_a_422_never_a_500(
    facilitator: Facilitator, ledger: Ledger, query: str, message: str
) -> None:
    response = facilitator.http.get(f"/f/register?{query}")
    assert response.status_code == 422
    assert message in response.text
    assert 'data-action="' not in response.text
    assert facilitator.http.get(f"/f/register.csv?{query}").status_code == 422


def test_a_bad_filter_names_the_choices_in_the_pages_language(facilitator: Facilitator, ledger: Ledger) -> None:
    english = {"Accept-Language": "en"}
    response = facilitator.http.get("/f/register?status=gedaan&tension=ruzie", headers=english)
    assert response.status_code == 422
    # the names as the page reads them, each with the key the address takes
    assert "choose from open, in progress (bezig), done (klaar), stuck (vastgelopen)." in response.text
    assert "information and perception (informatie/beeldvorming)" in response.text
    dutch = facilitator.http.get("/f/register?status=gedaan", headers={"Accept-Language": "nl"})
    assert "kies uit open, bezig, klaar, vastgelopen." in dutch.text


def test_every_problem_is_named_at_once(facilitator: Facilitator, ledger: Ledger) -> None:
    response = facilitator.http.get("/f/register?status=x&due=y&page=0")
    assert response.status_code == 422
    assert response.text.count('class="alert"') == 3


def test_ids_of_another_workspace_are_refused_like_ids_that_do_not_exist(
    facilitator: Facilitator, ledger: Ledger, other_ledger: Ledger
) -> None:
    theirs = other_ledger.organisations["Elders BV"]
    response = facilitator.http.get(f"/f/register?organisation={theirs}")
    assert response.status_code == 422
    assert f"Organisatie {theirs} bestaat niet in deze werkruimte." in response.text
    assert "Geheime afspraak" not in response.text and "Elders BV" not in response.text
    response = facilitator.http.get(f"/f/register?workshop={other_ledger.workshops['elders']}")
    assert response.status_code == 422
    assert "Geheime afspraak" not in response.text


def test_empty_and_unknown_parameters_are_ignored(facilitator: Facilitator, ledger: Ledger) -> None:
    everything = shown(facilitator.http)
    assert shown(facilitator.http, "q=&due=&status=&organisation=&changed_since=&utm_source=mail") == everything


def test_the_filter_form_and_quick_links_keep_the_filter_in_the_address(
    facilitator: Facilitator, ledger: Ledger
) -> None:
    woon = ledger.organisations["Woonstichting Thuis"]
    page = facilitator.http.get(f"/f/register?organisation={woon}").text
    assert f'<option value="{woon}" selected>' in page
    # quick links add their part to the filter, and take it off again when on
    assert f'href="/f/register?organisation={woon}&amp;due=overdue"' in page
    on = facilitator.http.get(f"/f/register?organisation={woon}&due=overdue").text
    assert f'href="/f/register?organisation={woon}"' in on
    assert 'aria-current="true">Over tijd' in on
    assert f'href="/f/register.csv?organisation={woon}&amp;due=overdue"' in on


def test_a_change_shows_in_the_register_at_once(facilitator: Facilitator, ledger: Ledger) -> None:
    database = database_of(facilitator.http)
    from app.models import Action

    def finish(db: Session) -> None:
        action = db.get(Action, ledger.actions["huiskamer"])
        assert action is not None
        action.status = "klaar"
        action.updated_at = moment(ledger.today)

    database.write_sync(finish)
    assert "huiskamer" not in names(ledger, shown(facilitator.http, "due=overdue"))
    assert names(ledger, shown(facilitator.http, "status=klaar&sort=-changed"))[0] == "huiskamer"
    # the status's rank is the database's, computed from the status: it follows a change no code wrote it for
    assert names(ledger, shown(facilitator.http, "sort=status")) == [
        "buurtfeest",
        "wijkagent",
        "huiskamer",
        "speeltuin",
        "loket",
    ]


def test_dates_are_shown_as_the_dutch_write_them(facilitator: Facilitator, ledger: Ledger) -> None:
    page = facilitator.http.get("/f/register").text
    assert date.isoformat(ledger.today) in page  # in the <time> element's datetime
    assert short_day(ledger.today) in page


@pytest.mark.parametrize("sort", ["due", "organisation", "-organisation", "status", "-status"])
def test_a_page_sorted_by_due_date_organisation_or_status_walks_an_index_rather_than_sorting_every_action(
    facilitator: Facilitator, ledger: Ledger, sort: str
) -> None:
    chosen = RegisterFilter(sort=sort.lstrip("-"), descending=sort.startswith("-"))

    def plan(db: Session) -> str:
        query = register._select_rows(db, chosen, workspace_id=ledger.workspace_id, today=ledger.today).limit(PAGE_SIZE)
        compiled = query.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
        return "\n".join(row[-1] for row in db.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))

    found = database_of(facilitator.http).read_sync(plan)
    assert "USE TEMP B-TREE FOR ORDER BY" not in found, found


def test_counts_of_thousands_are_written_as_the_language_writes_them(facilitator: Facilitator, ledger: Ledger) -> None:
    def many(db: Session) -> None:
        for n in range(1200):
            add_action(db, workshop_id=ledger.workshops["noord"], title=f"Veel {n}", owner="Buurtwerk Noord")

    database_of(facilitator.http).write_sync(many)
    dutch = facilitator.http.get("/f/register?q=veel").text
    assert "1.200 afspraken" in dutch and "<strong>1.200</strong>" in dutch
    facilitator.http.cookies.set("dbk_lang", "en")
    english = facilitator.http.get("/f/register?q=veel").text
    assert "1,200 actions" in english and "<strong>1,200</strong>" in english
