"""Two server processes on one PostgreSQL: an invitation is used once, and a workspace keeps a beheerder."""

import asyncio
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from app.accounts import service as accounts
from app.errors import DomainError
from app.models import Event, Facilitator, Member, Membership
from app.workspaces import service as workspaces
from tests.conftest import PASSWORD
from tests.test_postgres import PG_URL, two_writers
from tests.workspaces.test_service import HASHED

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
