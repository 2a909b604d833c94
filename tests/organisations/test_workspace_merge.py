"""Merging workspace B into A: everything of B comes along, nothing is lost, and only a beheerder of both may."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

from app import security
from app.catalog import saved
from app.catalog.service import formats
from app.models import (
    Action,
    ActionPartner,
    Invitation,
    LoginSession,
    Membership,
    Organisation,
    OrganisationName,
    Participant,
    SavedFormat,
    Workshop,
    Workspace,
    utcnow,
)
from app.models import Facilitator as Account
from app.store.events import Tx
from tests.conftest import PASSWORD, Facilitator, csrf_of
from tests.organisations.conftest import (
    Office,
    add_action,
    add_member,
    form,
    membership_role,
    organisations_of,
    workspace_of,
)
from tests.organisations.test_renamed_live import renamed_events

PATH = "/f/werkruimte/samenvoegen"


def account_id(db: Session, email: str) -> int:
    """The id of the account with this email."""
    return db.execute(select(col(Account.id)).where(col(Account.email) == email)).scalar_one()


def make_member(app: FastAPI, email: str, workspace_id: int, role: str) -> None:
    """Give an existing account a role in another workspace."""

    def add(db: Tx) -> None:
        db.add(Membership(workspace_id=workspace_id, account_id=account_id(db, email), role=role))

    app.state.runtime.db.write_sync(add)


def save_format(app: FastAPI, email: str, workspace_id: int, key: str) -> None:
    """Store a saved format with this key in the workspace."""
    spec = formats()["doorbraak"].model_copy(update={"key": key})

    def add(db: Tx) -> None:
        saved.save_format(db, workspace_id=workspace_id, facilitator_id=account_id(db, email), spec=spec)

    app.state.runtime.db.write_sync(add)


def census(db: Session) -> dict[str, Any]:
    """How many of everything there is, over all workspaces."""
    counted = (
        Workspace,
        Workshop,
        Action,
        ActionPartner,
        Participant,
        SavedFormat,
        Organisation,
        Membership,
        Invitation,
    )
    return {model.__name__: db.execute(select(func.count()).select_from(model)).scalar_one() for model in counted}


def in_workspace(db: Session, model: Any, workspace_id: int) -> int:
    """How many rows of a table belong to the workspace."""
    return db.execute(select(func.count()).select_from(model).where(model.workspace_id == workspace_id)).scalar_one()


@dataclass
class Two:
    """Workspace A (the office's) and workspace B (Otto's), with Fenna beheerder of both."""

    a: int
    b: int
    office: Office
    otto: Facilitator
    bo: Facilitator


@pytest.fixture
def two(
    app: FastAPI,
    office: Office,
    other_facilitator: Facilitator,
    browser: Callable[[], TestClient],
    join: Callable[..., Any],
) -> Two:
    """Two workspaces, each with workshops, actions, formats, organisations and members, partly the same ones."""
    a, b = office.workspace_id, workspace_of(app, other_facilitator.email)
    db = app.state.runtime.db
    make_member(app, office.beheerder.email, b, "beheerder")
    make_member(app, office.facilitator.email, b, "beheerder")  # higher in B than in A
    make_member(app, office.meekijker.email, b, "meekijker")
    bo = add_member(app, browser, email="bo@elders.nl", workspace_id=b, role="facilitator")

    # A: Gemeente Heerlen (also "Gem. Heerlen"), a workshop, a format "avond", its own word filter, no own jargon
    form(office.beheerder, "/f/organisaties", {"name": "Gemeente Heerlen", "aliases": "Gem. Heerlen"})
    in_a = office.beheerder.create_workshop(title="Avond in A")
    join(in_a, "Ali", "Gemeente Heerlen")
    add_action(office.beheerder, in_a.id, "Gemeente Heerlen", title="A1")
    save_format(app, office.beheerder.email, a, "avond")
    office.beheerder.http.post("/f/woordfilter", data={"csrf": office.beheerder.csrf(), "words": "kut"})

    # B: the same municipality typed in lower case, a GGD that calls itself "Gem. Heerlen" too, the police
    form(other_facilitator, "/f/organisaties", {"name": "GGD", "aliases": "Gem. Heerlen\nGezondheidsdienst"})
    in_b = other_facilitator.create_workshop(title="Avond in B")
    join(in_b, "Bea", "gemeente heerlen")
    join(in_b, "Cas", "Politie")
    add_action(other_facilitator, in_b.id, "gemeente heerlen", ["GGD", "Politie"], title="B1")
    add_action(other_facilitator, in_b.id, "Politie", title="B2")
    save_format(app, other_facilitator.email, b, "avond")
    save_format(app, other_facilitator.email, b, "avond-2")
    save_format(app, other_facilitator.email, b, "ochtend")
    other_facilitator.http.post("/f/jargon", data={"csrf": other_facilitator.csrf(), "words": "integraal = samen"})
    other_facilitator.http.post("/f/woordfilter", data={"csrf": other_facilitator.csrf(), "words": "shit"})

    def invite(db: Tx) -> None:
        db.add(
            Invitation(
                workspace_id=b,
                token_hash=security.token_digest("uitnodiging"),
                role="facilitator",
                created_by=account_id(db, other_facilitator.email),
                expires_at=utcnow() + timedelta(days=7),
            )
        )

    db.write_sync(invite)
    return Two(a=a, b=b, office=office, otto=other_facilitator, bo=bo)


def merge(member: Facilitator, source: int, confirm: str = "ja") -> Any:
    """Send the merge form as the page does."""
    return form(member, PATH, {"source": str(source), "confirm": confirm})


def test_merging_brings_everything_of_b_into_a(app: FastAPI, two: Two) -> None:
    db = app.state.runtime.db
    before = db.read_sync(census)
    sizes = db.read_sync(
        lambda s: {
            m.__name__: (in_workspace(s, m, two.a), in_workspace(s, m, two.b)) for m in (Workshop, Action, SavedFormat)
        }
    )

    page = two.office.beheerder.http.get(PATH)
    assert page.status_code == 200
    assert f'name="source" value="{two.b}"' in page.text

    response = merge(two.office.beheerder, two.b)
    assert response.status_code == 303
    done = two.office.beheerder.http.get(response.headers["location"]).text
    assert "Samengevoegd. Erbij gekomen: workshops 1 · acties 2 · organisaties 3 · nieuwe leden 2." in done
    assert "Andere namen die niet mee konden, omdat een organisatie hier al zo heet: 1." in done

    after = db.read_sync(census)
    # B is gone; its invitation came along, and nothing else is lost
    assert after["Workspace"] == before["Workspace"] - 1
    assert after["Invitation"] == before["Invitation"]
    for name in ("Workshop", "Action", "Participant", "SavedFormat"):
        assert after[name] == before[name], name
    for model in (Workshop, Action, SavedFormat):
        assert db.read_sync(lambda s, m=model: in_workspace(s, m, two.a)) == sum(sizes[model.__name__])
    # the lower-case municipality merged into A's; B1 names it once, as owner
    assert after["Organisation"] == before["Organisation"] - 1
    assert after["ActionPartner"] == before["ActionPartner"]
    a_organisations = organisations_of(app, two.a)
    assert set(a_organisations) == {"Gemeente Heerlen", "GGD", "Politie"}
    assert db.read_sync(lambda s: s.get(Workspace, two.b)) is None


def test_an_invitation_of_b_opened_after_the_merge_says_so_and_joins_a(
    app: FastAPI, two: Two, browser: Callable[[], TestClient]
) -> None:
    names = app.state.runtime.db.read_sync(lambda db: {id_: db.get(Workspace, id_).name for id_ in (two.a, two.b)})
    merge(two.office.beheerder, two.b)

    invitee = browser()
    page = invitee.get("/uitnodiging/uitnodiging")
    assert page.status_code == 200, page.text
    # each name isolated (FSI ... PDI), so a right-to-left one keeps the sentence in order
    told = f"was voor de werkruimte \u2068{names[two.b]}\u2069. Die is samengevoegd met \u2068{names[two.a]}\u2069;"
    assert told in page.text
    assert f"<h1>Word lid van \u2068{names[two.a]}\u2069 als facilitator</h1>" in page.text
    # A's list of open invitations says where this one came from, the name isolated as well
    listed = two.office.beheerder.http.get("/f/werkruimte", headers={"Accept-Language": "en"}).text
    assert f" · made for \u2068{names[two.b]}\u2069</span>" in listed
    form = {"csrf": csrf_of(page.text), "name": "Sanne", "email": "sanne@buurt.nl", "password": PASSWORD}
    assert invitee.post("/uitnodiging/uitnodiging/account", data=form, follow_redirects=False).status_code == 303
    assert membership_role(app, "sanne@buurt.nl", two.a) == "facilitator"
    # used once, like any invitation
    assert "al gebruikt" in browser().get("/uitnodiging/uitnodiging").text


def test_the_merge_page_says_b_s_invitations_keep_working_and_a_s_page_lists_them_to_withdraw(
    app: FastAPI, two: Two, browser: Callable[[], TestClient]
) -> None:
    # the beheerder decides to merge on what the page says: an invitation of B lets its holder into A afterwards
    page = two.office.beheerder.http.get(PATH).text
    assert "vervallen" not in page
    assert "Open uitnodigingen van de andere werkruimte blijven werken" in page
    name_of_b = app.state.runtime.db.read_sync(lambda db: db.get(Workspace, two.b).name)
    merge(two.office.beheerder, two.b)

    listed = two.office.beheerder.http.get("/f/werkruimte").text
    assert f"gemaakt voor \u2068{name_of_b}\u2069" in listed
    withdraw = re.search(r'action="(/f/werkruimte/uitnodigingen/\d+/intrekken)"', listed)
    assert withdraw is not None
    assert form(two.office.beheerder, withdraw.group(1), {}).status_code == 303
    assert "bestaat niet" in browser().get("/uitnodiging/uitnodiging").text


def test_organisations_with_a_name_a_knows_merge_and_a_taken_alias_is_dropped(app: FastAPI, two: Two) -> None:
    merge(two.office.beheerder, two.b)
    by_name = organisations_of(app, two.a)
    heerlen, ggd = by_name["Gemeente Heerlen"], by_name["GGD"]
    # B's spelling folds to A's name: nothing new to add
    assert heerlen.aliases == ["Gem. Heerlen"]
    # "Gem. Heerlen" was A's municipality already: the GGD could not bring it along
    assert ggd.aliases == ["Gezondheidsdienst"]

    def names(db: Session) -> dict[str, int]:
        rows = db.execute(
            select(col(OrganisationName.key), col(OrganisationName.organisation_id)).where(
                col(OrganisationName.workspace_id) == two.a
            )
        ).all()
        return dict(rows)

    found = app.state.runtime.db.read_sync(names)
    assert found["gem heerlen"] == heerlen.id
    assert found["gezondheidsdienst"] == ggd.id
    assert found["politie"] == by_name["Politie"].id

    def shown(db: Session) -> list[Any]:
        return list(
            db.execute(
                select(col(Participant.name), col(Participant.organisation), col(Participant.organisation_id)).order_by(
                    col(Participant.name)
                )
            ).all()
        )

    assert app.state.runtime.db.read_sync(shown) == [
        ("Ali", "Gemeente Heerlen", heerlen.id),
        ("Bea", "Gemeente Heerlen", heerlen.id),
        ("Cas", "Politie", by_name["Politie"].id),
    ]


def test_format_keys_a_has_get_the_first_free_suffix(app: FastAPI, two: Two) -> None:
    merge(two.office.beheerder, two.b)

    def keys(db: Session) -> dict[str, str]:
        rows = db.execute(select(SavedFormat).where(col(SavedFormat.workspace_id) == two.a)).scalars()
        return {row.key: row.spec["key"] for row in rows}

    found = app.state.runtime.db.read_sync(keys)
    # B's "avond" clashed with A's; B's own "avond-2" keeps its key, so B's "avond" becomes "avond-3"
    assert sorted(found) == ["avond", "avond-2", "avond-3", "ochtend"]
    assert all(key == spec_key for key, spec_key in found.items())


def test_a_suffix_keeps_the_key_within_its_longest_length(app: FastAPI, two: Two) -> None:
    longest = "a" * 40
    save_format(app, two.office.beheerder.email, two.a, longest)
    save_format(app, two.otto.email, two.b, longest)
    merge(two.office.beheerder, two.b)
    keys = app.state.runtime.db.read_sync(
        lambda db: set(db.execute(select(col(SavedFormat.key)).where(col(SavedFormat.workspace_id) == two.a)).scalars())
    )
    assert {longest, "a" * 38 + "-2"} <= keys


def test_members_move_keeping_the_higher_role_and_signed_in_browsers_follow(app: FastAPI, two: Two) -> None:
    office = two.office
    merge(office.beheerder, two.b)
    roles = {
        member.email: membership_role(app, member.email, two.a)
        for member in (office.beheerder, office.facilitator, office.meekijker, two.otto, two.bo)
    }
    assert roles == {
        office.beheerder.email: "beheerder",
        office.facilitator.email: "beheerder",
        office.meekijker.email: "meekijker",
        two.otto.email: "beheerder",
        two.bo.email: "facilitator",
    }
    # Bo was signed in to B: her browser now works in A, and sees both workshops
    page = two.bo.http.get("/f/workshops")
    assert page.status_code == 200
    assert "Avond in A" in page.text
    assert "Avond in B" in page.text
    assert app.state.runtime.db.read_sync(lambda s: in_workspace(s, LoginSession, two.b)) == 0


def test_lists_are_kept_from_a_unless_a_has_none(app: FastAPI, two: Two) -> None:
    merge(two.office.beheerder, two.b)
    workspace = app.state.runtime.db.read_sync(lambda s: s.get(Workspace, two.a))
    assert workspace.blocked_words == ["kut"]
    assert workspace.jargon == {"integraal": "samen"}


@pytest.mark.parametrize(
    ("who", "source", "status"),
    [
        ("facilitator", "b", 403),  # a facilitator of A (beheerder of B)
        ("meekijker", "b", 403),
        ("otto", "a", 404),  # beheerder of B, no member of A: from B, A is out of reach
        ("beheerder", "a", 422),  # itself
        ("beheerder", "missing", 404),
    ],
)
def test_who_may_merge_what(app: FastAPI, two: Two, who: str, source: str, status: int) -> None:
    member = two.otto if who == "otto" else two.office.by_role(who)
    source_id = {"a": two.a, "b": two.b, "missing": 9999}[source]
    before = app.state.runtime.db.read_sync(census)
    assert merge(member, source_id).status_code == status
    assert app.state.runtime.db.read_sync(census) == before


def test_a_beheerder_of_a_who_is_less_in_b_may_not_merge_it(app: FastAPI, two: Two) -> None:
    make_member(app, two.bo.email, two.a, "beheerder")
    before = app.state.runtime.db.read_sync(census)

    def switch(db: Tx) -> None:
        """Bo's browser works in A now (as the workspace switch of the workspaces page does)."""
        session = db.execute(
            select(LoginSession).where(col(LoginSession.account_id) == account_id(db, two.bo.email))
        ).scalar_one()
        session.workspace_id = two.a

    app.state.runtime.db.write_sync(switch)
    response = merge(two.bo, two.b)
    assert response.status_code == 403
    assert "waarvan je zelf beheerder bent" in response.text
    assert app.state.runtime.db.read_sync(census) == before


def test_merging_needs_the_box_ticked_and_a_signed_in_beheerder(app: FastAPI, two: Two, client: TestClient) -> None:
    response = merge(two.office.beheerder, two.b, confirm="")
    assert response.status_code == 422
    assert "niet terug kan" in response.text
    for member in (two.office.facilitator, two.office.meekijker):
        assert member.http.get(PATH).status_code == 403
    stranger = TestClient(app)
    stranger.portal = client.portal
    assert stranger.get(PATH, follow_redirects=False).headers["location"].startswith("/f/login")
    assert app.state.runtime.db.read_sync(lambda s: s.get(Workspace, two.b)) is not None


def test_a_beheerder_of_one_workspace_only_is_offered_nothing(two: Two) -> None:
    page = two.otto.http.get(PATH).text
    assert "Je bent van geen andere werkruimte beheerder" in page


def test_every_table_that_belongs_to_a_workspace_is_handled_by_the_merge() -> None:
    """A new table with a workspace must be moved (or dropped) by merge_workspaces: this names it when it is not."""
    belonging = {
        table.name
        for table in SQLModel.metadata.tables.values()
        for key in table.foreign_keys
        if key.column.table.name == "workspace"
    }
    handled = {
        "workshop",
        "action",
        "savedformat",
        "organisation",
        "organisationname",
        "membership",
        "loginsession",
        "invitation",
        "outboxmessage",
        "mailtoken",
        "mailsuppression",
        "calendarfeed",
    }
    assert belonging == handled


def test_merging_a_workspace_tells_its_open_workshops_of_the_organisations_merged_by_name(
    app: FastAPI, two: Two
) -> None:
    in_b = app.state.runtime.db.read_sync(
        lambda db: db.execute(select(col(Workshop.id)).where(col(Workshop.title) == "Avond in B")).scalar_one()
    )
    b_heerlen = organisations_of(app, two.b)["gemeente heerlen"]
    a_heerlen = organisations_of(app, two.a)["Gemeente Heerlen"]

    assert merge(two.office.beheerder, two.b).status_code == 303

    renamed = [{"was_id": b_heerlen.id, "was": "gemeente heerlen", "id": a_heerlen.id, "name": "Gemeente Heerlen"}]
    assert renamed_events(app) == {in_b: [{"renamed": renamed}]}
