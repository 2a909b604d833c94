"""A follow-up built from a register selection, and who may read, export and select."""

import re
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.actions import review
from app.models import ReviewItem, Workshop
from app.register.service import REVIEW_MAX
from app.store.events import Tx
from tests.conftest import Facilitator
from tests.register.conftest import Ledger, add_action, database_of, new_workshop, participant


def followup(facilitator: Facilitator, ledger: Ledger, title: str = "Vervolg Noord en Oost") -> int:
    """A vervolgsessie of the ledger's workspace, in its lobby."""
    database = database_of(facilitator.http)
    return database.write_sync(
        lambda db: new_workshop(
            db,
            account_id=ledger.account_id,
            title=title,
            opgave="Wat is er gebeurd?",
            held_on=ledger.today,
            key="vervolgsessie",
        )
    )


def reviewed(facilitator: Facilitator, workshop_id: int) -> list[int]:
    """The actions a follow-up reviews, in the order they were selected."""
    database = database_of(facilitator.http)
    query = select(col(ReviewItem.action_id)).where(col(ReviewItem.workshop_id) == workshop_id)
    return database.read_sync(lambda db: list(db.execute(query.order_by(col(ReviewItem.id))).scalars()))


def offered(page: str) -> list[int]:
    """The follow-ups the register's selection form offers."""
    found = re.search(r'<select name="followup">(.*?)</select>', page, re.S)
    return [int(i) for i in re.findall(r'<option value="(\d+)"', found.group(1))] if found else []


def discuss(
    http: TestClient,
    csrf: str,
    followup_id: int,
    *,
    actions: Sequence[int] = (),
    scope: str = "selected",
    filter_query: str = "",
) -> Any:
    """Post the register's selection form: the response."""
    return http.post(
        "/f/register/bespreken",
        data={
            "csrf": csrf,
            "followup": str(followup_id),
            "action": [str(i) for i in actions],
            "scope": scope,
            "filter": filter_query,
        },
        follow_redirects=False,
    )


def test_ticked_actions_from_two_workshops_become_the_follow_ups_review(
    facilitator: Facilitator, ledger: Ledger
) -> None:
    vervolg = followup(facilitator, ledger)
    page = facilitator.http.get("/f/register").text
    assert offered(page) == [vervolg]
    assert 'name="action"' in page
    picked = [ledger.actions["loket"], ledger.actions["huiskamer"]]  # Noord's and Oost's
    response = discuss(facilitator.http, facilitator.csrf(), vervolg, actions=picked, filter_query="status=open")
    assert response.status_code == 303
    assert response.headers["location"] == f"/f/workshops/{vervolg}"
    assert reviewed(facilitator, vervolg) == picked
    database = database_of(facilitator.http)

    def look(db: Session) -> dict[str, Any]:
        workshop = db.get(Workshop, vervolg)
        assert workshop is not None
        return review.review_items(db, workshop=workshop)

    items = database.read_sync(look)
    assert items["workshop"] is None and items["workshops"] == 2
    assert {item["workshop_title"] for item in items["items"]} == {"Jeugdoverlast Noord", "Eenzaamheid Oost"}


def test_all_of_a_filter_up_to_two_hundred(facilitator: Facilitator, ledger: Ledger) -> None:
    vervolg = followup(facilitator, ledger)
    page = facilitator.http.get("/f/register?status=open").text
    assert "Alle 2 afspraken van dit filter bespreken" in page
    response = discuss(facilitator.http, facilitator.csrf(), vervolg, scope="all", filter_query="status=open")
    assert response.status_code == 303
    assert set(reviewed(facilitator, vervolg)) == {ledger.actions["huiskamer"], ledger.actions["buurtfeest"]}

    database = database_of(facilitator.http)
    database.write_sync(
        lambda db: [
            add_action(db, workshop_id=ledger.workshops["noord"], title=f"Veel {n}", owner="Buurtwerk Noord")
            for n in range(REVIEW_MAX)
        ]
    )
    page = facilitator.http.get("/f/register?status=open").text
    assert "van dit filter bespreken" not in page
    assert "hooguit 200 afspraken" in page
    response = discuss(facilitator.http, facilitator.csrf(), vervolg, scope="all", filter_query="status=open")
    assert response.status_code == 422
    assert "hooguit 200 afspraken; je koos er 201" in response.text
    # the register shows again with the filter it was sent from
    assert 'name="status" value="open" checked' in response.text
    assert set(reviewed(facilitator, vervolg)) == {ledger.actions["huiskamer"], ledger.actions["buurtfeest"]}


def test_refusals_are_clear(facilitator: Facilitator, ledger: Ledger, other_ledger: Ledger) -> None:
    vervolg = followup(facilitator, ledger)
    csrf = facilitator.csrf()
    huiskamer = ledger.actions["huiskamer"]

    # not a follow-up: a doorbraak has no look back
    response = discuss(facilitator.http, csrf, ledger.workshops["noord"], actions=[huiskamer])
    assert response.status_code == 422
    assert "&#39;Jeugdoverlast Noord&#39; is geen vervolgworkshop" in response.text

    # an action of another workspace is not found, and nothing changes
    before = reviewed(facilitator, vervolg)
    response = discuss(facilitator.http, csrf, vervolg, actions=[huiskamer, other_ledger.actions["geheim"]])
    assert response.status_code == 404
    assert "Een van deze afspraken bestaat niet (meer)." in response.text
    assert reviewed(facilitator, vervolg) == before

    # a follow-up of another workspace is not found
    theirs = followup(facilitator, other_ledger, title="Hun vervolg")
    assert discuss(facilitator.http, csrf, theirs, actions=[huiskamer]).status_code == 404

    # nothing ticked
    response = discuss(facilitator.http, csrf, vervolg)
    assert response.status_code == 422
    assert "Kies eerst een of meer afspraken" in response.text

    # more than 200 ticked
    response = discuss(facilitator.http, csrf, vervolg, actions=list(range(1, REVIEW_MAX + 2)))
    assert response.status_code == 422
    assert "hooguit 200 afspraken" in response.text

    # no CSRF token
    assert discuss(facilitator.http, "", vervolg, actions=[huiskamer]).status_code == 403

    # once someone reported, the selection is fixed
    assert discuss(facilitator.http, csrf, vervolg, actions=[huiskamer]).status_code == 303
    database = database_of(facilitator.http)

    def report(db: Tx) -> None:
        workshop = db.get(Workshop, vervolg)
        assert workshop is not None
        workshop.step_index = [step["id"] for step in workshop.steps].index("stand")
        owner = participant(db, vervolg, "Wim", "Woonstichting Thuis")
        review.report_progress(
            db,
            workshop_id=vervolg,
            participant_id=owner,
            action_id=huiskamer,
            status="bezig",
            note="Begonnen",
        )

    database.write_sync(report)
    page = facilitator.http.get("/f/register").text
    assert offered(page) == []  # no longer offered
    response = discuss(facilitator.http, csrf, vervolg, actions=[ledger.actions["loket"]])
    assert response.status_code == 409
    assert "Er is al over afspraken verteld" in response.text
    assert reviewed(facilitator, vervolg) == [huiskamer]
    # the register shows what the owner reported
    row = page.split(f'data-action="{huiskamer}"')[1].split("</tr>")[0]
    assert "Bezig" in row


def test_a_follow_up_cannot_review_its_own_actions_and_a_closed_one_takes_none(
    facilitator: Facilitator, ledger: Ledger
) -> None:
    vervolg = followup(facilitator, ledger)
    database = database_of(facilitator.http)
    own = database.write_sync(
        lambda db: add_action(db, workshop_id=vervolg, title="Nieuwe afspraak", owner="Buurtwerk Noord")
    )
    response = discuss(facilitator.http, facilitator.csrf(), vervolg, actions=[own])
    assert response.status_code == 422
    assert "niet zijn eigen" in response.text

    def close(db: Tx) -> None:
        from app.models import utcnow

        workshop = db.get(Workshop, vervolg)
        assert workshop is not None
        workshop.closed_at = utcnow()

    database.write_sync(close)
    assert offered(facilitator.http.get("/f/register").text) == []
    response = discuss(facilitator.http, facilitator.csrf(), vervolg, actions=[ledger.actions["loket"]])
    assert response.status_code == 409


@pytest.mark.parametrize("role", ["beheerder", "facilitator", "meekijker"])
def test_every_role_reads_and_exports_only_runners_select(
    role: str, facilitator: Facilitator, ledger: Ledger, member_of: Callable[[str], Facilitator]
) -> None:
    vervolg = followup(facilitator, ledger)
    member = member_of(role)
    page = member.http.get("/f/register")
    assert page.status_code == 200
    assert len(re.findall(r'<tr class="[^"]*" data-action="', page.text)) == len(ledger.actions) - 1
    assert member.http.get("/f/register.csv").status_code == 200
    assert member.http.get("/f/register.xlsx").status_code == 200
    response = discuss(member.http, member.csrf(), vervolg, actions=[ledger.actions["loket"]])
    if role == "meekijker":
        assert response.status_code == 403
        assert 'name="action"' not in page.text and "/f/register/bespreken" not in page.text
        assert reviewed(facilitator, vervolg) != [ledger.actions["loket"]]
    else:
        assert response.status_code == 303
        assert 'name="action"' in page.text
        assert reviewed(facilitator, vervolg) == [ledger.actions["loket"]]


def test_another_workspace_sees_nothing_of_this_one(
    facilitator: Facilitator, ledger: Ledger, other_facilitator: Facilitator
) -> None:
    page = other_facilitator.http.get("/f/register")
    assert page.status_code == 200
    for title in ("Huiskamer in de flat", "Woonstichting Thuis", "Jeugdoverlast Noord"):
        assert title not in page.text
    csv_text = other_facilitator.http.get("/f/register.csv").content.decode("utf-8-sig")
    assert len(csv_text.strip().splitlines()) == 1  # the header only
    vervolg = followup(facilitator, ledger)
    response = discuss(other_facilitator.http, other_facilitator.csrf(), vervolg, actions=[ledger.actions["loket"]])
    assert response.status_code == 404


def test_signed_out_goes_to_sign_in(client: TestClient, ledger: Ledger, browser: Callable[[], TestClient]) -> None:
    stranger = browser()
    for path in ("/f/register", "/f/register.csv?status=open", "/f/register.xlsx"):
        response = stranger.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/f/login?next=/f/register")
    page = stranger.get("/f/login")
    from app.demo.driver import csrf_of

    response = stranger.post(
        "/f/register/bespreken",
        data={"csrf": csrf_of(page.text), "followup": "1", "action": ["1"]},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/f/login")


def test_due_soon_actions_can_be_picked_for_review(facilitator: Facilitator, ledger: Ledger) -> None:
    vervolg = followup(facilitator, ledger)
    week = "due=week&sort=-due"
    response = discuss(facilitator.http, facilitator.csrf(), vervolg, scope="all", filter_query=week)
    assert response.status_code == 303
    assert ledger.actions["buurtfeest"] in reviewed(facilitator, vervolg)
    assert ledger.actions["wijkagent"] not in reviewed(facilitator, vervolg)


def test_the_follow_ups_board_names_each_earlier_workshop_with_its_date_in_words(
    facilitator: Facilitator, ledger: Ledger
) -> None:
    """As every other page writes a date: "7 dec 2026", not "2026-12-07"."""
    from babel.dates import format_date

    followup_id = followup(facilitator, ledger)
    page = facilitator.http.get(f"/f/workshops/{followup_id}").text
    found = re.search(r'<form id="review-source".*?</select>', page, re.S)
    assert found, "the board offers no earlier workshop"
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', found.group(0))
    assert options
    held = database_of(facilitator.http).read_sync(
        lambda db: {w.id: w.held_on for w in db.execute(select(Workshop)).scalars()}
    )
    for workshop_id, text in options:
        assert text.endswith(f"({format_date(held[int(workshop_id)], format='medium', locale='nl')})"), text
