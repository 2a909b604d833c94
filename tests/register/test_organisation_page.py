"""An organisation's page: what it owns, where it is a partner, where its people help, what is overdue, and the
share of the workspace's actions that partners own."""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.actions import service as actions
from app.catalog.service import formats
from app.models import Action, Organisation
from app.models import Facilitator as Account
from app.register import organisationpage
from app.running import service as running
from app.workshops import service as workshops
from tests.conftest import Facilitator
from tests.register.pages import linked_actions, runtime_of, section, text_of, workspace_of

WONEN, GEMEENTE, POLITIE, BUREAU = "Woonstichting Thuis", "Gemeente Heerlen", "Politie Limburg", "Programmabureau Noord"
TODAY = date.today()
PAST, SOON = TODAY - timedelta(days=10), TODAY + timedelta(days=10)


@dataclass(frozen=True)
class Planned:
    """An action of the data set: who owns it, who shares it, its state, and who of which organisation helps."""

    key: str
    owner: str
    status: str = "open"
    due_on: date | None = None
    partners: tuple[str, ...] = ()
    helpers: tuple[str, ...] = ()  # participant names (see PEOPLE) who raise a hand
    withdrawn: bool = False
    second_workshop: bool = False


PEOPLE = {"Ali": WONEN, "Bo": GEMEENTE, "Wim": WONEN}
PLANNED = (
    Planned("wonen-open-late", WONEN, "open", PAST, partners=(GEMEENTE,), helpers=("Bo",)),
    Planned("wonen-done-late", WONEN, "klaar", PAST),
    Planned("wonen-busy-soon", WONEN, "bezig", SOON),
    Planned("gemeente-late", GEMEENTE, "open", PAST, partners=(WONEN,), helpers=("Ali", "Wim")),
    Planned("bureau-no-date", BUREAU, "open", None, partners=(WONEN, POLITIE)),
    Planned("bureau-done", BUREAU, "klaar", PAST),
    Planned("wonen-withdrawn", WONEN, "open", PAST, partners=(GEMEENTE,), helpers=("Ali",), withdrawn=True),
    Planned("politie-stuck", POLITIE, "vastgelopen", SOON, helpers=("Ali",), second_workshop=True),
)


def build(db: Any, *, account_id: int, workspace_id: int) -> dict[str, int]:
    """The data set, agreed through the services in two workshops of the workspace; returns action ids by key."""
    rooms = []
    for title in ("Doorbraak Noord", "Doorbraak Zuid"):
        workshop = running.create_workshop(
            db,
            facilitator_id=account_id,
            title=title,
            opgave="O",
            held_on=TODAY - timedelta(days=30),
            spec=formats()["doorbraak"],
            allow_anonymous=False,
        )
        assert workshop.workspace_id == workspace_id
        people: dict[str, int] = {}
        for name, organisation in PEOPLE.items():
            token = workshops.join_workshop(
                db, workshop_id=workshop.id or 0, name=name, organisation=organisation, anonymous=False
            )
            found = workshops.participant_by_token(db, workshop_id=workshop.id or 0, token=token)
            assert found is not None and found.id is not None
            people[name] = found.id
        rooms.append((workshop.id or 0, people))
    ids = {}
    for plan in PLANNED:
        workshop_id, people = rooms[1] if plan.second_workshop else rooms[0]
        view = actions.save_action(
            db,
            workshop_id=workshop_id,
            title=f"Actie {plan.key}",
            owner_organisation=plan.owner,
            partners=list(plan.partners),
            due_on=plan.due_on,
            status=plan.status,
            account_id=account_id,
        )
        for name in plan.helpers:
            actions.volunteer(
                db, workshop_id=workshop_id, participant_id=people[name], action_id=view["id"], joining=True
            )
        if plan.withdrawn:
            actions.delete_action(db, workshop_id=workshop_id, action_id=view["id"], account_id=account_id)
        ids[plan.key] = view["id"]
    return ids


def fill(member: Facilitator) -> dict[str, int]:
    """The data set in the member's workspace."""
    workspace_id = workspace_of(member)

    def setup(db: Any) -> dict[str, int]:
        account_id = db.execute(select(col(Account.id)).where(col(Account.email) == member.email)).scalar_one()
        return build(db, account_id=account_id, workspace_id=workspace_id)

    return runtime_of(member).db.write_sync(setup)


def organisation_ids(member: Facilitator) -> dict[str, int]:
    """The workspace's organisations by name."""
    workspace_id = workspace_of(member)

    def read(db: Session) -> dict[str, int]:
        query = select(Organisation).where(col(Organisation.workspace_id) == workspace_id)
        return {o.name: o.id or 0 for o in db.execute(query).scalars()}

    return runtime_of(member).db.read_sync(read)


def is_own(member: Facilitator, organisation_id: int) -> bool:
    """Whether the organisation is marked as the office's own."""

    def read(db: Session) -> bool:
        organisation = db.get(Organisation, organisation_id)
        assert organisation is not None
        return organisation.own

    return runtime_of(member).db.read_sync(read)


def keys(ids: dict[str, int], found: list[int]) -> list[str]:
    """Action ids as the data set's keys."""
    by_id = {action_id: key for key, action_id in ids.items()}
    return [by_id[action_id] for action_id in found]


def mark_own(member: Facilitator, organisation_id: int, own: bool = True) -> Any:
    """Press the button that marks an organisation as the office's own (or no longer)."""
    return member.http.post(
        f"/f/organisaties/{organisation_id}/eigen",
        data={"csrf": member.csrf(), "own": "true" if own else "false"},
        follow_redirects=False,
    )


def test_the_lists_of_what_an_organisation_owns_shares_helps_with_and_lets_slip(facilitator: Facilitator) -> None:
    ids = fill(facilitator)
    organisations = organisation_ids(facilitator)
    page = facilitator.http.get(f"/f/organisaties/{organisations[WONEN]}")
    assert page.status_code == 200

    # soonest due first, those without a date last; withdrawn ones nowhere
    assert keys(ids, linked_actions(section(page.text, "eigenaar"))) == [
        "wonen-open-late",
        "wonen-done-late",
        "wonen-busy-soon",
    ]
    assert keys(ids, linked_actions(section(page.text, "partner"))) == ["gemeente-late", "bureau-no-date"]
    volunteered = section(page.text, "vrijwilligers")
    assert keys(ids, linked_actions(volunteered)) == ["gemeente-late", "politie-stuck"]
    assert "Meedoen: Ali, Wim" in text_of(volunteered)  # Bo is of the Gemeente: not listed here
    assert keys(ids, linked_actions(section(page.text, "over-de-deadline"))) == ["wonen-open-late", "gemeente-late"]
    assert f'href="/f/organisaties/{organisations[GEMEENTE]}">{GEMEENTE}</a>' in section(page.text, "partner")

    counts = {
        row[0]: (int(row[1]), int(row[2]))
        for row in re.findall(
            r'<th scope="row"><span class="status-chip status-\w+">(\w+)</span></th><td>(\d+)</td><td>(\d+)</td>',
            page.text,
        )
    }
    assert counts == {"Open": (1, 2), "Bezig": (1, 0), "Klaar": (1, 0), "Vastgelopen": (0, 0)}

    gemeente = facilitator.http.get(f"/f/organisaties/{organisations[GEMEENTE]}").text
    assert keys(ids, linked_actions(section(gemeente, "vrijwilligers"))) == ["wonen-open-late"]
    assert keys(ids, linked_actions(section(gemeente, "partner"))) == ["wonen-open-late"]


def test_the_share_partners_own_counts_every_action_and_the_open_ones(facilitator: Facilitator) -> None:
    fill(facilitator)
    organisations = organisation_ids(facilitator)
    page = facilitator.http.get(f"/f/organisaties/{organisations[WONEN]}").text
    assert "Nog geen organisatie is aangemerkt als eigen organisatie" in page
    # a beheerder may mark this one; the button, above the page's heading, says which one it marks
    assert f"{WONEN} is onze eigen organisatie" in page

    response = mark_own(facilitator, organisations[BUREAU])
    assert response.status_code == 303
    assert response.headers["location"] == f"/f/organisaties/{organisations[BUREAU]}?gedaan=eigen"

    # seven actions count (the withdrawn one does not); the bureau owns two, one of them klaar
    counted = [plan for plan in PLANNED if not plan.withdrawn]
    open_ones = [plan for plan in counted if plan.status != "klaar"]
    assert (len(counted), sum(p.owner != BUREAU for p in counted)) == (7, 5)
    assert (len(open_ones), sum(p.owner != BUREAU for p in open_ones)) == (5, 4)
    share = text_of(section(facilitator.http.get(f"/f/organisaties/{organisations[WONEN]}").text, "aandeel"))
    assert "80% van de 5 open afspraken is in handen van partners." in share
    assert "71% van de 7 afspraken is in handen van partners." in share
    assert f"Als eigen organisatie telt: {BUREAU}." in share

    # a second own organisation counts as the office too
    mark_own(facilitator, organisations[POLITIE])
    share = text_of(section(facilitator.http.get(f"/f/organisaties/{organisations[WONEN]}").text, "aandeel"))
    assert "60% van de 5 open afspraken is in handen van partners." in share
    assert "57% van de 7 afspraken is in handen van partners." in share
    assert f"Als eigen organisatie telt: {POLITIE}, {BUREAU}." in share
    bureau = facilitator.http.get(f"/f/organisaties/{organisations[BUREAU]}").text
    assert "eigen organisatie" in bureau and "Telt niet meer als eigen organisatie" in bureau

    # and clearing both leaves no share to give
    mark_own(facilitator, organisations[POLITIE], own=False)
    mark_own(facilitator, organisations[BUREAU], own=False)
    page = facilitator.http.get(f"/f/organisaties/{organisations[WONEN]}").text
    assert "Nog geen organisatie is aangemerkt" in page and "% van de" not in page


def test_the_share_leaves_out_other_workspaces(facilitator: Facilitator, other_facilitator: Facilitator) -> None:
    ids = fill(facilitator)
    fill(other_facilitator)
    ours = organisation_ids(facilitator)
    theirs = organisation_ids(other_facilitator)
    assert ours[WONEN] != theirs[WONEN]
    mark_own(facilitator, ours[BUREAU])
    share = runtime_of(facilitator).db.read_sync(
        lambda db: organisationpage.partner_share(db, workspace_id=workspace_of(facilitator))
    )
    assert (share.total, share.by_partners, share.open_total, share.open_by_partners) == (7, 5, 5, 4)
    assert share.own_names == (BUREAU,)
    elsewhere = runtime_of(facilitator).db.read_sync(
        lambda db: organisationpage.partner_share(db, workspace_id=workspace_of(other_facilitator))
    )
    assert (elsewhere.total, elsewhere.own_names) == (7, ())

    # an owner whose name is no organisation (nothing in it to match on) is not the office: a partner's
    def nameless(db: Any) -> None:
        workshop_id = db.get(Action, ids["wonen-busy-soon"]).workshop_id
        view = actions.save_action(db, workshop_id=workshop_id, title="Zonder eigenaar", owner_organisation="—")
        assert db.get(Action, view["id"]).owner_organisation_id is None

    runtime_of(facilitator).db.write_sync(nameless)
    share = runtime_of(facilitator).db.read_sync(
        lambda db: organisationpage.partner_share(db, workspace_id=workspace_of(facilitator))
    )
    assert (share.total, share.by_partners, share.open_total, share.open_by_partners) == (8, 6, 6, 5)


def test_the_share_in_words_when_there_is_nothing_or_one() -> None:
    share = organisationpage.Share(total=0, by_partners=0, open_total=0, open_by_partners=0, own_names=())
    assert not share.known
    assert organisationpage.share_sentence(0, 0, open_only=True) == "Er zijn nog geen open afspraken."
    assert (
        organisationpage.share_sentence(1, 1, open_only=True) == "100% van 1 open afspraak is in handen van partners."
    )


@pytest.mark.parametrize("role", ["facilitator", "meekijker"])
def test_only_a_beheerder_marks_the_own_organisation_everyone_reads(
    facilitator: Facilitator, colleague: Facilitator, onlooker: Facilitator, role: str
) -> None:
    fill(facilitator)
    organisations = organisation_ids(facilitator)
    member = colleague if role == "facilitator" else onlooker
    page = member.http.get(f"/f/organisaties/{organisations[WONEN]}")
    assert page.status_code == 200
    assert "Actie wonen-open-late" in page.text
    assert "/eigen" not in page.text and "Een beheerder kan dat" in page.text
    assert mark_own(member, organisations[BUREAU]).status_code == 403
    assert not is_own(facilitator, organisations[BUREAU])


def test_another_workspace_finds_no_organisation_and_a_stranger_is_sent_to_sign_in(
    facilitator: Facilitator, other_facilitator: Facilitator, browser: Any
) -> None:
    fill(facilitator)
    organisation_id = organisation_ids(facilitator)[WONEN]
    assert other_facilitator.http.get(f"/f/organisaties/{organisation_id}").status_code == 404
    assert mark_own(other_facilitator, organisation_id).status_code == 404
    assert other_facilitator.http.get("/f/organisaties/999999").status_code == 404
    assert not is_own(facilitator, organisation_id)
    stranger = browser()
    response = stranger.get(f"/f/organisaties/{organisation_id}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/f/login?next=/f/organisaties/{organisation_id}"


def test_the_organisation_page_reads_in_english_too(facilitator: Facilitator) -> None:
    fill(facilitator)
    organisations = organisation_ids(facilitator)
    mark_own(facilitator, organisations[BUREAU])
    page = facilitator.http.get(f"/f/organisaties/{organisations[WONEN]}", headers={"Accept-Language": "en"}).text
    share = text_of(section(page, "aandeel"))
    assert "80% of the 5 open actions are in the hands of partners." in share
    assert "71% of the 7 actions are in the hands of partners." in share
    assert "Past the deadline" in page and "Owner of" in page and "Eigenaar van" not in page
