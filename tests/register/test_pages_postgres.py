"""The action's and the organisation's pages on PostgreSQL: their queries (outer joins, grouping on a nullable
flag, dates without one sorted last) run there as on SQLite."""

import asyncio
import threading
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path

import anyio
import pytest

from app.accounts import service as accounts
from app.actions import service as actions
from app.config import Settings
from app.errors import DomainError
from app.models import Action, Member
from app.register import actionpage
from app.register.actionpage import ActionForm
from app.store.events import Tx
from tests.conftest import PASSWORD
from tests.faults.conftest import until
from tests.register.conftest import new_workshop
from tests.register.test_action_page import (  # noqa: F401
    test_bad_input_comes_back_with_its_message_and_everything_typed,
    test_every_kind_of_change_is_in_the_history_newest_first_with_who_and_when,
)
from tests.register.test_organisation_page import (  # noqa: F401
    test_the_lists_of_what_an_organisation_owns_shares_helps_with_and_lets_slip,
    test_the_share_leaves_out_other_workspaces,
    test_the_share_partners_own_counts_every_action_and_the_open_ones,
)
from tests.test_postgres import ON_POSTGRES, postgres_settings, two_writers, waiting_for_a_lock

pytestmark = ON_POSTGRES


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at the test PostgreSQL database, emptied first."""
    return postgres_settings(tmp_path)


TODAY = date(2026, 12, 7)


def _an_action(db: Tx) -> tuple[Member, int]:
    """A facilitator's workspace with one action agreed in a workshop."""
    account = accounts.create_facilitator(db, email="fenna@buurtalliantie.nl", name="Fenna", password=PASSWORD)
    workspace_id = accounts.first_workspace(db, account_id=account.id or 0) or 0
    workshop_id = new_workshop(
        db, account_id=account.id or 0, title="Overlast", opgave="Samen", held_on=date(2026, 11, 22)
    )
    action = actions.save_action(db, workshop_id=workshop_id, title="Terugbelbelofte", owner_organisation="Buurtwerk")
    return Member(account_id=account.id or 0, workspace_id=workspace_id, role="facilitator"), action["id"]


async def test_two_saves_of_one_opened_form_through_two_processes_do_not_lose_the_first() -> None:
    first, second = await two_writers([])
    try:
        member, action_id = await first.write(_an_action)
        page = await first.read(partial(actionpage.action_page, action_id=action_id, member=member, today=TODAY))
        opened = ActionForm.of(page)
        saved, release = threading.Event(), threading.Event()

        def save_and_hold(db: Tx) -> None:
            actionpage.save_form(db, action_id=action_id, member=member, form=replace(opened, status="klaar"))
            saved.set()
            # the first process's transaction stays open until the second one has reached the action
            release.wait(timeout=30)

        one = first.write(save_and_hold)
        assert await anyio.to_thread.run_sync(partial(saved.wait, timeout=30))
        two = second.write(
            partial(actionpage.save_form, action_id=action_id, member=member, form=replace(opened, contact="Carla"))
        )
        await until(lambda: first.read_sync(waiting_for_a_lock), "the second save waiting for the first's row")
        release.set()
        outcomes = await asyncio.gather(one, two, return_exceptions=True)
        assert outcomes[0] is None
        assert isinstance(outcomes[1], DomainError) and outcomes[1].code == "changed_meanwhile", outcomes
        action = await first.read(lambda db: db.get(Action, action_id))
        assert (action.status, action.contact_person) == ("klaar", "")
    finally:
        release.set()
        await first.stop()
        await second.stop()
