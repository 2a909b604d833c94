"""Two server processes on one PostgreSQL: an invitation is used once, a workspace keeps a beheerder, and two
merges at once move everything once."""

import asyncio
import sys
import threading
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

import anyio
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

from app.accounts import service as accounts
from app.actions import service as actions
from app.answers import moderation
from app.catalog import saved
from app.catalog.service import formats
from app.clusters import keywords
from app.errors import DomainError
from app.models import (
    Action,
    CalendarFeed,
    Event,
    Facilitator,
    Invitation,
    Member,
    Membership,
    Organisation,
    Participant,
    SavedFormat,
    Workshop,
    Workspace,
)
from app.notify import feeds
from app.organisations import service as organisations
from app.plain import service as plain
from app.privacy import service as privacy
from app.register import actionpage, organisationpage
from app.running import service as running
from app.store.database import Database
from app.store.events import Tx
from app.workshops import service as workshops
from app.workspaces import merge
from app.workspaces import service as workspaces
from tests.conftest import PASSWORD
from tests.faults.conftest import until
from tests.register.conftest import new_workshop
from tests.test_postgres import PG_URL, two_writers, waiting_for_a_lock
from tests.workspaces.test_service import HASHED

DAY = date(2026, 12, 7)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped"),
]


def make_beheerders(db: Any, *, count: int) -> list[Member]:
    """A workspace with this many beheerders."""
    first = accounts.create_facilitator(db, email="b0@x.nl", name="B0", password=PASSWORD)
    workspace_id = accounts.first_workspace(db, account_id=first.id or 0) or 0
    people = [first] + [
        accounts.create_facilitator(
            db, email=f"b{i}@x.nl", name=f"B{i}", password=PASSWORD, workspace_id=workspace_id, role="beheerder"
        )
        for i in range(1, count)
    ]
    return [Member(account_id=p.id or 0, workspace_id=workspace_id, role="beheerder") for p in people]


def count(db: Any, query: Any) -> int:
    return db.execute(query).scalar_one()


async def test_one_invitation_raced_through_two_processes_makes_one_account() -> None:
    first, second = await two_writers([])
    try:
        (boss,) = await first.write(partial(make_beheerders, count=1))
        token = await first.write(partial(workspaces.create_invitation, member=boss, role="facilitator"))
        jobs = [
            writer.write(
                partial(
                    workspaces.accept_with_new_account, token=token, name="N", email=f"n{i}@x.nl", password_hash=HASHED
                )
            )
            for i, writer in enumerate([first, second] * 3)
        ]
        outcomes = await asyncio.gather(*jobs, return_exceptions=True)
        assert sum(isinstance(o, str) for o in outcomes) == 1
        assert {(o.code, o.status) for o in outcomes if isinstance(o, DomainError)} == {("invitation_used", 410)}
        assert await first.read(partial(count, query=select(func.count()).select_from(Facilitator))) == 2
    finally:
        await first.stop()
        await second.stop()


async def test_two_beheerders_stepping_down_at_once_through_two_processes_leave_one() -> None:
    events: list[Event] = []
    first, second = await two_writers(events)
    try:
        one, two = await first.write(partial(make_beheerders, count=2))
        outcomes = await asyncio.gather(
            first.write(partial(workspaces.change_role, member=one, account_id=two.account_id, role="meekijker")),
            second.write(partial(workspaces.remove_member, member=two, account_id=one.account_id)),
            return_exceptions=True,
        )
        assert [isinstance(o, DomainError) and o.code == "last_beheerder" for o in outcomes].count(True) == 1
        beheerders = select(func.count()).select_from(Membership).where(col(Membership.role) == "beheerder")
        assert await first.read(partial(count, query=beheerders)) == 1
    finally:
        await first.stop()
        await second.stop()


def two_workspaces(db: Tx) -> tuple[int, int, int]:
    """Workspaces A (Fenna's) and B (Otto's), each with a workshop and an action owned by "Gemeente"; Fenna is a
    beheerder of both. Returns Fenna's account id, A and B."""
    ids = []
    for email, name in (("fenna@x.nl", "Fenna"), ("otto@x.nl", "Otto")):
        account = accounts.create_facilitator(db, email=email, name=name, password=PASSWORD)
        workshop_id = new_workshop(db, account_id=account.id or 0, title=f"Avond {name}", opgave="Samen", held_on=DAY)
        actions.save_action(db, workshop_id=workshop_id, title=f"Actie van {name}", owner_organisation="Gemeente")
        ids.append((account.id or 0, accounts.first_workspace(db, account_id=account.id or 0) or 0))
    (fenna, a), (_, b) = ids
    db.add(Membership(workspace_id=b, account_id=fenna, role="beheerder"))
    return fenna, a, b


def where_things_are(db: Session) -> dict[str, Any]:
    """Each workspace left with its workshops, actions, organisations and members."""
    counted = {
        model.__name__: sorted(
            tuple(row) for row in db.execute(select(model.workspace_id, func.count()).group_by(model.workspace_id))
        )
        for model in (Workshop, Action, Organisation, Membership)
    }
    return {"Workspace": sorted(db.execute(select(col(Workspace.id))).scalars()), **counted}


def all_of_a_in(b: int) -> dict[str, Any]:
    """Where things are once A merged into B, once: two workshops, two actions, one Gemeente, Fenna and Otto."""
    return {
        "Workspace": [b],
        "Workshop": [(b, 2)],
        "Action": [(b, 2)],
        "Organisation": [(b, 1)],
        "Membership": [(b, 2)],
    }


def looked_up(fn: Callable[[Session], Any]) -> Any:
    """Read the test PostgreSQL once more, after the two processes stopped."""
    tables = Database(PG_URL or "")
    try:
        return tables.read_sync(fn)
    finally:
        tables.close()


async def while_a_merges_into_b(
    second_job: Callable[[int, int, int], Callable[[Tx], Any]],
    *,
    savepoint: bool = True,
    made_before: Callable[[int, int, int], Callable[[Tx], Any]] | None = None,
) -> Any:
    """Merge A into B through one process and, while its transaction is open, start second_job(fenna, a, b) through
    another (with the writer's savepoint or not, as its route asks); once that waits for a lock the merge holds, let
    the merge commit. Returns the second job's outcome, an error as it was raised, where things are then, and B.

    made_before(fenna, a, b), if given, is written before the merge begins."""
    first, second = await two_writers([])
    merged, release = threading.Event(), threading.Event()
    try:
        fenna, a, b = await first.write(two_workspaces)
        if made_before is not None:
            await first.write(made_before(fenna, a, b))

        def merge_and_hold(db: Tx) -> None:
            merge.merge_workspaces(db, member=Member(account_id=fenna, workspace_id=b, role="beheerder"), source_id=a)
            merged.set()
            release.wait(timeout=30)

        one = first.write(merge_and_hold)
        assert await anyio.to_thread.run_sync(partial(merged.wait, timeout=30))
        two = second.write(second_job(fenna, a, b), savepoint=savepoint)
        await until(lambda: first.read_sync(waiting_for_a_lock), "the second process waiting for the merge's lock")
        release.set()
        outcomes = await asyncio.gather(one, two, return_exceptions=True)
        assert outcomes[0] is None, outcomes
        return outcomes[1], await first.read(where_things_are), b
    finally:
        release.set()
        await first.stop()
        await second.stop()


@pytest.mark.parametrize("second_way", ["the other way round", "the same way again"])
async def test_two_merges_at_once_through_two_processes_move_everything_once(second_way: str) -> None:
    def second_merge(fenna: int, a: int, b: int) -> Callable[[Tx], Any]:
        target, source = (a, b) if second_way == "the other way round" else (b, a)
        member = Member(account_id=fenna, workspace_id=target, role="beheerder")
        return partial(merge.merge_workspaces, member=member, source_id=source)

    outcome, where, b = await while_a_merges_into_b(second_merge)
    assert isinstance(outcome, DomainError), outcome
    assert (outcome.code, outcome.status) == ("merged_meanwhile", 409)
    assert where == all_of_a_in(b)


async def test_a_workshop_made_in_a_workspace_while_it_merges_away_is_refused_not_half_made() -> None:
    def new_one(fenna: int, a: int, b: int) -> Callable[[Tx], Any]:
        # a browser still in A, from before the merge moved it
        return partial(
            running.create_workshop,
            workspace_id=a,
            facilitator_id=fenna,
            title="Nog een avond",
            opgave="Samen",
            held_on=DAY,
            spec=formats()["doorbraak"],
            allow_anonymous=False,
        )

    outcome, where, b = await while_a_merges_into_b(new_one)
    assert isinstance(outcome, DomainError), outcome
    assert (outcome.code, outcome.status) == ("workspace_merged", 409)
    assert where["Workshop"] == [(b, 2)]


def workshop_in(db: Session, workspace_id: int) -> int:
    """The workshop of a workspace that has one, as a browser in it would name it."""
    return db.execute(select(col(Workshop.id)).where(col(Workshop.workspace_id) == workspace_id)).scalar_one()


def own_lists(db: Session, workspace_id: int) -> tuple[Any, ...]:
    """A workspace's own jargon, word filter and keywords."""
    workspace = db.get(Workspace, workspace_id)
    assert workspace is not None
    return workspace.jargon, workspace.blocked_words, workspace.tag_keywords


# a change a browser still in A sends while A merges into B: made from what the browser knows (fenna, a, b) and
# the table that would hold its row
CHANGES_INTO_A: dict[str, tuple[Callable[[int, int, int], Callable[[Tx], Any]], type[SQLModel]]] = {
    "a board agrees an action with a new owner": (
        lambda fenna, a, b: (
            lambda db: actions.save_action(
                db, workshop_id=workshop_in(db, a), title="Speeltuin open", owner_organisation="Buurtclub"
            )
        ),
        Action,
    ),
    "an invitation": (
        lambda fenna, a, b: partial(
            workspaces.create_invitation,
            member=Member(account_id=fenna, workspace_id=a, role="beheerder"),
            role="facilitator",
        ),
        Invitation,
    ),
    "a new organisation": (
        lambda fenna, a, b: partial(
            organisations.save_organisation, workspace_id=a, fields=organisations.OrganisationFields("Buurtclub")
        ),
        Organisation,
    ),
    "a calendar feed": (
        lambda fenna, a, b: partial(feeds.create_feed, workspace_id=a, scope="workspace", created_by=fenna),
        CalendarFeed,
    ),
    "a session format saved as the workspace's own": (
        lambda fenna, a, b: partial(
            saved.save_format,
            workspace_id=a,
            facilitator_id=fenna,
            spec=formats()["doorbraak"].model_copy(update={"key": "eigen-avond"}),
        ),
        SavedFormat,
    ),
    "a jargon list": (
        lambda fenna, a, b: partial(plain.save_jargon, workspace_id=a, words={"synergie": "samen"}),
        Workspace,
    ),
    "a word filter": (
        lambda fenna, a, b: partial(moderation.save_blocked_words, workspace_id=a, words=["vloek"]),
        Workspace,
    ),
    "a keyword list": (
        lambda fenna, a, b: partial(keywords.save_keywords, workspace_id=a, words={"wonen": ["huis"]}),
        Workspace,
    ),
}


@pytest.mark.parametrize("change", list(CHANGES_INTO_A))
async def test_a_change_into_a_workspace_while_it_merges_away_is_refused_not_half_made(change: str) -> None:
    job, model = CHANGES_INTO_A[change]
    outcome, where, b = await while_a_merges_into_b(job)
    assert isinstance(outcome, DomainError), outcome
    assert (outcome.code, outcome.status) == ("workspace_merged", 409)
    # A's in B, once, and nothing of the change anywhere
    assert where == all_of_a_in(b)
    assert looked_up(partial(count, query=select(func.count()).select_from(model))) == (
        {Action: 2, Organisation: 1, Workspace: 1}.get(model, 0)
    )
    assert looked_up(partial(own_lists, workspace_id=b)) == (None, None, None)


async def test_a_phone_typing_a_new_organisation_while_its_workspace_merges_away_joins_with_it_there() -> None:
    def join(fenna: int, a: int, b: int) -> Callable[[Tx], Any]:
        # the join form names the workshop as it was when the phone opened it: in A
        known: list[int] = []

        def job(db: Tx) -> str:
            known[:] = known or [workshop_in(db, a)]
            return workshops.join_workshop(
                db, workshop_id=known[0], name="Piet", organisation="Buurtclub", anonymous=False
            )

        return job

    # as the join route writes it: without a savepoint of its own
    outcome, where, b = await while_a_merges_into_b(join, savepoint=False)
    assert isinstance(outcome, str), outcome
    assert where["Organisation"] == [(b, 2)]
    joined = select(col(Organisation.workspace_id), col(Organisation.name)).join(
        Participant, col(Participant.organisation_id) == col(Organisation.id)
    )
    assert looked_up(lambda db: db.execute(joined).all()) == [(b, "Buurtclub")]


async def under_way_when_a_merges_into_b(
    monkeypatch: pytest.MonkeyPatch,
    paused: tuple[Any, str],
    change: Callable[[int, int, int], Callable[[Tx], Any]],
    when: Callable[..., bool] = lambda *args, **kwargs: True,
    made_before: Callable[[int, int, int], Callable[[Tx], Any]] | None = None,
) -> Any:
    """Start change(fenna, a, b) through one process and pause it where it calls paused (a module and a function's
    name) with arguments when accepts, having locked its row; merge A into B through another, and once the merge
    waits for a lock, let the change go on. Returns both outcomes, an error as it was raised, where things are then,
    and B.

    made_before(fenna, a, b), if given, is written before the change begins."""
    first, second = await two_writers([])
    locked, release = threading.Event(), threading.Event()
    module, name = paused
    original = getattr(module, name)

    def slowly(*args: Any, **kwargs: Any) -> Any:
        if when(*args, **kwargs):
            locked.set()
            release.wait(timeout=30)
        return original(*args, **kwargs)

    try:
        fenna, a, b = await first.write(two_workspaces)
        if made_before is not None:
            await first.write(made_before(fenna, a, b))
        monkeypatch.setattr(module, name, slowly)
        changed = second.write(change(fenna, a, b))
        assert await anyio.to_thread.run_sync(partial(locked.wait, timeout=30))
        member = Member(account_id=fenna, workspace_id=b, role="beheerder")
        merged = first.write(partial(merge.merge_workspaces, member=member, source_id=a))
        await until(lambda: first.read_sync(waiting_for_a_lock), "the merge waiting for the change")
        release.set()
        outcomes = await asyncio.gather(changed, merged, return_exceptions=True)
        return outcomes, await first.read(where_things_are), b
    finally:
        release.set()
        await first.stop()
        await second.stop()


def first_of(db: Session, model: type[Organisation | Action], workspace_id: int) -> Any:
    """A workspace's first organisation or action."""
    return (
        db.execute(select(model).where(col(model.workspace_id) == workspace_id).order_by(col(model.id)))
        .scalars()
        .first()
    )


async def test_an_organisation_edit_under_way_when_its_workspace_starts_merging_goes_through_then_the_merge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def edit(fenna: int, a: int, b: int) -> Callable[[Tx], Any]:
        return lambda db: organisations.save_organisation(
            db,
            workspace_id=a,
            organisation_id=first_of(db, Organisation, a).id,
            fields=organisations.OrganisationFields("Gemeente Noord"),
        )

    # paused where the edit has its organisation's row locked, before it writes the names
    outcomes, where, b = await under_way_when_a_merges_into_b(monkeypatch, (organisations, "_checked_keys"), edit)
    # both, one after the other: not a deadlock that PostgreSQL ends by failing one of them
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    # the renamed one is not B's Gemeente any more: it came along as an organisation of its own
    assert (where["Workspace"], where["Organisation"]) == ([b], [(b, 2)])


async def test_an_action_form_saved_under_way_when_its_workspace_starts_merging_goes_through_then_the_merge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def save(fenna: int, a: int, b: int) -> Callable[[Tx], Any]:
        def job(db: Tx) -> None:
            action = first_of(db, Action, a)
            form = actionpage.ActionForm(
                title="Speeltuin open", owner="Buurtclub", partners="Gemeente", seen=actions.changed_stamp(action)
            )
            member = Member(account_id=fenna, workspace_id=a, role="beheerder")
            actionpage.save_form(db, action_id=action.id, member=member, form=form)

        return job

    # paused where the form has its action's row locked, before the new owner is written
    outcomes, where, b = await under_way_when_a_merges_into_b(monkeypatch, (actionpage.actions, "save_action"), save)
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    # Buurtclub came along from A; its Gemeente went into B's
    assert (where["Workspace"], where["Organisation"], where["Action"]) == ([b], [(b, 2)], [(b, 2)])


async def test_an_action_changed_on_the_board_under_way_when_its_workspace_starts_merging_goes_through_then_the_merge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def save(fenna: int, a: int, b: int) -> Callable[[Tx], Any]:
        def job(db: Tx) -> Any:
            action = first_of(db, Action, a)
            return actions.save_action(
                db,
                workshop_id=action.workshop_id,
                action_id=action.id,
                title=action.title,
                owner_organisation="Gemeente",
                partners=["Buurtclub"],
            )

        return job

    # paused where the board's change has its action's row locked, before the new partner is written
    outcomes, where, b = await under_way_when_a_merges_into_b(
        monkeypatch,
        (organisations, "resolve_organisation"),
        save,
        when=lambda *args, **kwargs: kwargs["name"] == "Buurtclub",
    )
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert (where["Workspace"], where["Organisation"], where["Action"]) == ([b], [(b, 2)], [(b, 2)])


def duplicate(fenna: int, a: int, b: int) -> Callable[[Tx], Any]:
    """A second organisation of A, Gemeentehuis, owning an action of its own; made after A's Gemeente, so a
    workspace merge comes to Gemeente first."""
    return lambda db: actions.save_action(
        db, workshop_id=workshop_in(db, a), title="Loket open", owner_organisation="Gemeentehuis"
    )


def merge_duplicate(fenna: int, a: int, b: int) -> Callable[[Tx], Any]:
    """Merge A's Gemeentehuis into its Gemeente, as the organisations page does."""

    def job(db: Tx) -> Any:
        gemeente, gemeentehuis = db.execute(
            select(Organisation).where(col(Organisation.workspace_id) == a).order_by(col(Organisation.id))
        ).scalars()
        return organisations.merge_organisation(
            db, workspace_id=a, organisation_id=gemeentehuis.id, into_id=gemeente.id, account_id=fenna
        )

    return job


async def test_an_organisation_merge_under_way_when_its_workspace_starts_merging_goes_through_then_the_merge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # paused where the organisation merge has moved Gemeentehuis's action, before it moves its names and Gemeente
    outcomes, where, b = await under_way_when_a_merges_into_b(
        monkeypatch,
        (organisations, "_move_names"),
        merge_duplicate,
        # not where the workspace merge moves A's Gemeente into B's
        when=lambda *args, **kwargs: kwargs["source"].name == "Gemeentehuis",
        made_before=duplicate,
    )
    # both, one after the other: not a deadlock that PostgreSQL ends by failing one of them
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    # Gemeentehuis went into A's Gemeente, which went into B's: one organisation owns all three actions
    assert (where["Workspace"], where["Organisation"], where["Action"]) == ([b], [(b, 1)], [(b, 3)])


async def test_an_organisation_merge_while_its_workspace_merges_away_is_refused_not_half_made() -> None:
    outcome, where, b = await while_a_merges_into_b(merge_duplicate, made_before=duplicate)
    assert isinstance(outcome, DomainError), outcome
    assert (outcome.code, outcome.status) == ("workspace_merged", 409)
    # A's Gemeente went into B's; Gemeentehuis came along as it was, for the office to merge there
    assert (where["Workspace"], where["Organisation"], where["Action"]) == ([b], [(b, 2)], [(b, 3)])


def changes_to_what_a_merge_removes(fenna: int, a: int, b: int) -> dict[str, Callable[[Tx], Any]]:
    """Changes a browser still in A makes to A's Gemeente, which the merge folds into B's and removes."""
    beheerder = Member(account_id=fenna, workspace_id=a, role="beheerder")
    return {
        "confirmed": lambda db: organisations.confirm_organisation(
            db, workspace_id=a, organisation_id=first_of(db, Organisation, a).id
        ),
        "marked as the office's own": lambda db: organisationpage.mark_own(
            db, organisation_id=first_of(db, Organisation, a).id, member=beheerder, own=True
        ),
    }


@pytest.mark.parametrize("change", ["confirmed", "marked as the office's own"])
async def test_an_organisation_changed_while_a_merge_removes_it_is_refused_not_a_fault(change: str) -> None:
    outcome, where, b = await while_a_merges_into_b(
        lambda fenna, a, b: changes_to_what_a_merge_removes(fenna, a, b)[change]
    )
    assert isinstance(outcome, DomainError), outcome
    # it held the workspace first and found it merged away
    assert (outcome.code, outcome.status) == ("workspace_merged", 409)
    assert where["Organisation"] == [(b, 1)]


async def test_an_invitation_of_a_accepted_while_a_merges_into_b_joins_b() -> None:
    tokens: list[str] = []

    def invite(fenna: int, a: int, b: int) -> Callable[[Tx], Any]:
        member = Member(account_id=fenna, workspace_id=a, role="beheerder")
        return lambda db: tokens.append(workspaces.create_invitation(db, member=member, role="facilitator"))

    def accept(fenna: int, a: int, b: int) -> Callable[[Tx], Any]:
        # the link was made in A before the merge began; its invitee signs up while A merges away
        return partial(
            workspaces.accept_with_new_account, token=tokens[0], name="Sanne", email="sanne@x.nl", password_hash=HASHED
        )

    outcome, where, b = await while_a_merges_into_b(accept, made_before=invite)
    assert isinstance(outcome, str), outcome
    joined = (
        select(col(Membership.workspace_id), col(Membership.role))
        .join(Facilitator, col(Facilitator.id) == col(Membership.account_id))
        .where(col(Facilitator.email) == "sanne@x.nl")
    )
    assert looked_up(lambda db: db.execute(joined).all()) == [(b, "facilitator")]


def delete_a_workshop(fenna: int, a: int, b: int) -> Callable[[Tx], Any]:
    """A browser still in A deletes A's workshop, its title typed."""

    def job(db: Tx) -> None:
        workshop = db.get(Workshop, workshop_in(db, a))
        assert workshop is not None
        privacy.delete_workshop(db, workshop=workshop, typed_title=workshop.title)

    return job


async def test_a_workshop_deleted_while_its_workspace_merges_away_is_refused_not_half_deleted() -> None:
    outcome, where, b = await while_a_merges_into_b(delete_a_workshop)
    assert isinstance(outcome, DomainError), outcome
    assert (outcome.code, outcome.status) == ("workspace_merged", 409)
    assert where == all_of_a_in(b)


async def test_a_workshop_deletion_under_way_when_its_workspace_starts_merging_goes_through_then_the_merge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # paused where the deletion has removed the actions' history and mail, before the actions and the workshop
    outcomes, where, b = await under_way_when_a_merges_into_b(
        monkeypatch, (privacy, "_forget_feeds"), delete_a_workshop
    )
    # both, one after the other: not a history row the merge adds to an action the deletion then removes
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert where == {**all_of_a_in(b), "Workshop": [(b, 1)], "Action": [(b, 1)]}


def written_so_far() -> None:
    """Where a change the test pauses stops, having written its rows, before it commits."""


@pytest.mark.parametrize("change", ["confirmed", "marked as the office's own"])
async def test_an_organisation_changed_under_way_when_its_workspace_starts_merging_keeps_the_change(
    monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    def changed(fenna: int, a: int, b: int) -> Callable[[Tx], Any]:
        def job(db: Tx) -> None:
            changes_to_what_a_merge_removes(fenna, a, b)[change](db)
            written_so_far()

        return job

    # paused once A's Gemeente is changed, its row locked, until the merge (which folds it into B's) waits for it
    outcomes, where, b = await under_way_when_a_merges_into_b(
        monkeypatch, (sys.modules[__name__], "written_so_far"), changed
    )
    # both, one after the other: not a deadlock that PostgreSQL ends by failing one of them
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert where["Organisation"] == [(b, 1)]
    # and the merge read A's Gemeente as changed, not as it was before: the change went along into B's
    gemeente = looked_up(lambda db: db.execute(select(Organisation.confirmed, Organisation.own)).one())
    assert tuple(gemeente) == ((True, False) if change == "confirmed" else (False, True))
