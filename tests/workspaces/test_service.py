"""The workspace services: names, roles, removing members, switching, and invitations, below the HTTP layer."""

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlmodel import col

from app import security
from app.accounts import service as accounts
from app.errors import DomainError
from app.models import Facilitator, Invitation, LoginSession, Member, Membership, Workspace, utcnow
from app.workspaces import service as workspaces
from tests.conftest import PASSWORD

# a new account's password comes hashed from the route (accounts.new_password_hash); the suite's cheapest hash
HASHED = PasswordHasher.from_parameters(profiles.CHEAPEST).hash(PASSWORD)


class Office:
    """Accounts and workspaces made straight through the services, on the test app's database."""

    def __init__(self, app: FastAPI) -> None:
        self.db = app.state.runtime.db

    def write(self, fn: Callable[..., Any]) -> Any:
        return self.db.write_sync(fn)

    def read(self, fn: Callable[..., Any]) -> Any:
        return self.db.read_sync(fn)

    def account(self, email: str, *, workspace_id: int | None = None, role: str = "beheerder") -> Member:
        """An account (with a workspace of its own unless one is given) and a signed-in session of it."""

        def make(db: Any) -> Member:
            account = accounts.create_facilitator(
                db, email=email, name=email.split("@")[0], password=PASSWORD, workspace_id=workspace_id, role=role
            )
            token = accounts.start_session(db, account_id=account.id or 0, workspace_id=workspace_id)
            session = db.execute(
                select(LoginSession).where(col(LoginSession.token_hash) == security.token_digest(token))
            ).scalar_one()
            membership = db.execute(
                select(Membership).where(
                    col(Membership.account_id) == account.id, col(Membership.workspace_id) == session.workspace_id
                )
            ).scalar_one()
            return Member(
                account_id=account.id or 0,
                workspace_id=session.workspace_id,
                role=membership.role,
                session_id=session.id or 0,
            )

        return self.write(make)

    def session_workspace(self, member: Member) -> int | None:
        """The workspace a member's browser session works in, or None once the session is gone."""

        def find(db: Any) -> int | None:
            session = db.get(LoginSession, member.session_id)
            return session.workspace_id if session else None

        return self.read(find)

    def role(self, member: Member) -> str | None:
        """The member's role in their workspace now, or None once removed."""
        query = select(col(Membership.role)).where(
            col(Membership.account_id) == member.account_id, col(Membership.workspace_id) == member.workspace_id
        )
        return self.read(lambda db: db.execute(query).scalar())


@pytest.fixture
def office(client: TestClient, app: FastAPI) -> Office:
    return Office(app)


def refused(office: Office, fn: Callable[..., Any]) -> DomainError:
    """The refusal a change meets."""
    with pytest.raises(DomainError) as caught:
        office.write(fn)
    return caught.value


def test_a_name_is_cleaned_and_kept_within_bounds(office: Office) -> None:
    boss = office.account("b@x.nl")
    stored = office.write(lambda db: workspaces.rename_workspace(db, member=boss, name="  Wijk\u200b  Noord \u202e "))
    assert stored == "Wijk Noord"
    assert office.read(lambda db: db.get(Workspace, boss.workspace_id).name) == "Wijk Noord"
    assert refused(office, lambda db: workspaces.rename_workspace(db, member=boss, name=" \u200b ")).status == 422
    too_long = refused(office, lambda db: workspaces.rename_workspace(db, member=boss, name="x" * 121))
    assert (too_long.code, too_long.status) == ("workspace_name_too_long", 422)
    assert office.write(lambda db: workspaces.rename_workspace(db, member=boss, name="é" * 120)) == "é" * 120


def test_only_a_beheerder_manages(office: Office) -> None:
    boss = office.account("b@x.nl")
    for role in ("facilitator", "meekijker"):
        other = office.account(f"{role}@x.nl", workspace_id=boss.workspace_id, role=role)
        for change in (
            lambda db, m=other: workspaces.rename_workspace(db, member=m, name="Nieuw"),
            lambda db, m=other: workspaces.change_role(db, member=m, account_id=m.account_id, role="beheerder"),
            lambda db, m=other: workspaces.remove_member(db, member=m, account_id=boss.account_id),
            lambda db, m=other: workspaces.create_invitation(db, member=m, role="beheerder"),
        ):
            assert refused(office, change).status == 403
    assert office.role(boss) == "beheerder"


def test_the_last_beheerder_can_neither_step_down_nor_leave(office: Office) -> None:
    boss = office.account("b@x.nl")
    helper = office.account("h@x.nl", workspace_id=boss.workspace_id, role="facilitator")
    for change in (
        lambda db: workspaces.change_role(db, member=boss, account_id=boss.account_id, role="facilitator"),
        lambda db: workspaces.remove_member(db, member=boss, account_id=boss.account_id),
    ):
        error = refused(office, change)
        assert (error.code, error.status) == ("last_beheerder", 409)
    assert office.role(boss) == "beheerder"

    # with a second beheerder, the first may step down, and then that one is the last
    office.write(lambda db: workspaces.change_role(db, member=boss, account_id=helper.account_id, role="beheerder"))
    office.write(lambda db: workspaces.change_role(db, member=boss, account_id=boss.account_id, role="meekijker"))
    assert (office.role(boss), office.role(helper)) == ("meekijker", "beheerder")
    promoted = Member(account_id=helper.account_id, workspace_id=helper.workspace_id, role="beheerder")
    assert refused(
        office, lambda db: workspaces.remove_member(db, member=promoted, account_id=helper.account_id)
    ).code == ("last_beheerder")


def test_a_beheerder_may_leave_while_another_remains(office: Office) -> None:
    boss = office.account("b@x.nl")
    second = office.account("s@x.nl", workspace_id=boss.workspace_id, role="beheerder")
    office.write(lambda db: workspaces.remove_member(db, member=boss, account_id=boss.account_id))
    assert office.role(boss) is None and office.role(second) == "beheerder"
    assert office.session_workspace(boss) is None


def test_roles_are_checked_and_members_of_other_workspaces_are_not_found(office: Office) -> None:
    boss = office.account("b@x.nl")
    helper = office.account("h@x.nl", workspace_id=boss.workspace_id, role="facilitator")
    stranger = office.account("s@elders.nl")
    assert (
        refused(
            office, lambda db: workspaces.change_role(db, member=boss, account_id=helper.account_id, role="koning")
        ).status
        == 422
    )
    for change in (
        lambda db: workspaces.change_role(db, member=boss, account_id=stranger.account_id, role="meekijker"),
        lambda db: workspaces.remove_member(db, member=boss, account_id=stranger.account_id),
        lambda db: workspaces.change_role(db, member=stranger, account_id=helper.account_id, role="meekijker"),
        lambda db: workspaces.remove_member(db, member=stranger, account_id=helper.account_id),
    ):
        assert refused(office, change).status == 404
    assert (office.role(helper), office.role(stranger)) == ("facilitator", "beheerder")


def test_removing_a_member_ends_their_sessions_in_that_workspace_only(office: Office) -> None:
    boss = office.account("b@x.nl")
    other_space = office.account("o@x.nl")
    helper = office.account("h@x.nl", workspace_id=boss.workspace_id, role="facilitator")
    # the same account, also a member of another workspace, signed in there in another browser
    office.write(
        lambda db: db.add(
            Membership(workspace_id=other_space.workspace_id, account_id=helper.account_id, role="meekijker")
        )
    )
    elsewhere = office.write(
        lambda db: accounts.start_session(db, account_id=helper.account_id, workspace_id=other_space.workspace_id)
    )
    office.write(lambda db: workspaces.remove_member(db, member=boss, account_id=helper.account_id))
    assert office.session_workspace(helper) is None
    from app.auth import member_for_token

    still = office.read(lambda db: member_for_token(db, elsewhere))
    assert still is not None and still[0].workspace_id == other_space.workspace_id


def test_switching_only_to_a_workspace_one_is_a_member_of(office: Office) -> None:
    boss = office.account("b@x.nl")
    other = office.account("o@x.nl")
    assert (
        refused(office, lambda db: workspaces.switch_workspace(db, member=boss, workspace_id=other.workspace_id)).status
        == 404
    )
    assert refused(office, lambda db: workspaces.switch_workspace(db, member=boss, workspace_id=10**9)).status == 404
    office.write(
        lambda db: db.add(Membership(workspace_id=other.workspace_id, account_id=boss.account_id, role="meekijker"))
    )
    office.write(lambda db: workspaces.switch_workspace(db, member=boss, workspace_id=other.workspace_id))
    assert office.session_workspace(boss) == other.workspace_id


def test_a_new_workspace_has_its_maker_as_beheerder_and_this_browser_in_it(office: Office) -> None:
    helper = office.account("h@x.nl", workspace_id=office.account("b@x.nl").workspace_id, role="meekijker")
    new_id = office.write(lambda db: workspaces.create_workspace(db, member=helper, name="  Eigen  clubje "))
    assert office.session_workspace(helper) == new_id
    assert office.read(lambda db: db.get(Workspace, new_id).name) == "Eigen clubje"
    moved = Member(account_id=helper.account_id, workspace_id=new_id, role="beheerder")
    assert office.role(moved) == "beheerder"
    assert refused(office, lambda db: workspaces.create_workspace(db, member=helper, name="")).status == 422


def test_the_workspace_view_lists_members_open_invitations_and_workspaces(office: Office) -> None:
    boss = office.account("b@x.nl")
    helper = office.account("h@x.nl", workspace_id=boss.workspace_id, role="meekijker")
    office.write(lambda db: workspaces.create_invitation(db, member=boss, role="facilitator", note=" voor Sanne "))
    used = office.write(lambda db: workspaces.create_invitation(db, member=boss, role="facilitator"))
    office.write(
        lambda db: workspaces.accept_with_new_account(db, token=used, name="N", email="n@x.nl", password_hash=HASHED)
    )
    expired = office.write(lambda db: workspaces.create_invitation(db, member=boss, role="meekijker"))
    office.write(
        lambda db: db.execute(
            update(Invitation)
            .where(col(Invitation.token_hash) == security.token_digest(expired))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    )
    view = office.read(lambda db: workspaces.workspace_view(db, member=helper))
    assert {(m.name, m.role, m.is_you) for m in view.members} == {
        ("b", "beheerder", False),
        ("h", "meekijker", True),
        ("N", "facilitator", False),
    }
    assert [(i.note, i.role, i.invited_by) for i in view.invitations] == [("voor Sanne", "facilitator", "b")]
    assert [(w.id, w.current) for w in view.workspaces] == [(boss.workspace_id, True)]


def test_an_invitation_keeps_only_the_hash_of_its_token_and_lasts_seven_days(office: Office) -> None:
    boss = office.account("b@x.nl")
    token = office.write(lambda db: workspaces.create_invitation(db, member=boss, role="meekijker", note="Sanne"))
    (row,) = office.read(lambda db: list(db.execute(select(Invitation)).scalars()))
    assert row.token_hash == security.token_digest(token) and token not in row.token_hash
    assert timedelta(days=6, hours=23) < row.expires_at - utcnow() <= timedelta(days=7)
    assert (row.role, row.note, row.workspace_id, row.used_at) == ("meekijker", "Sanne", boss.workspace_id, None)
    assert refused(office, lambda db: workspaces.create_invitation(db, member=boss, role="baas")).status == 422
    assert (
        refused(
            office, lambda db: workspaces.create_invitation(db, member=boss, role="meekijker", note="x" * 121)
        ).status
        == 422
    )


def test_accepting_makes_a_member_and_uses_the_invitation_up(office: Office) -> None:
    boss = office.account("b@x.nl")
    guest = office.account("g@x.nl")
    token = office.write(lambda db: workspaces.create_invitation(db, member=boss, role="facilitator"))
    landing = office.read(lambda db: workspaces.invitation_landing(db, token=token, account_id=guest.account_id))
    assert (landing.workspace_name, landing.role, landing.current_role, landing.invited_by) == (
        "Werkruimte van b",
        "facilitator",
        None,
        "b",
    )
    accepted = office.write(lambda db: workspaces.accept_invitation(db, token=token, member=guest))
    assert (accepted.workspace_id, accepted.role, accepted.already_member) == (boss.workspace_id, "facilitator", False)
    assert office.session_workspace(guest) == boss.workspace_id
    (row,) = office.read(lambda db: list(db.execute(select(Invitation)).scalars()))
    assert row.used_by == guest.account_id and row.used_at is not None
    again = refused(office, lambda db: workspaces.accept_invitation(db, token=token, member=guest))
    assert (again.code, again.status) == ("invitation_used", 410)


def test_a_member_already_keeps_their_role_and_leaves_the_invitation_open(office: Office) -> None:
    boss = office.account("b@x.nl")
    token = office.write(lambda db: workspaces.create_invitation(db, member=boss, role="meekijker"))
    landing = office.read(lambda db: workspaces.invitation_landing(db, token=token, account_id=boss.account_id))
    assert landing.current_role == "beheerder"
    accepted = office.write(lambda db: workspaces.accept_invitation(db, token=token, member=boss))
    assert accepted.already_member and accepted.role == "beheerder"
    assert office.role(boss) == "beheerder"
    newcomer = office.account("n@x.nl")
    assert office.write(lambda db: workspaces.accept_invitation(db, token=token, member=newcomer)).role == "meekijker"


def test_unknown_used_and_expired_invitations_are_refused_apart(office: Office) -> None:
    boss = office.account("b@x.nl")
    guest = office.account("g@x.nl")
    expired = office.write(lambda db: workspaces.create_invitation(db, member=boss, role="facilitator"))
    office.write(lambda db: db.execute(update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1))))
    for token, code, status in (
        (expired, "invitation_expired", 410),
        ("vervalst-" + "x" * 30, "invitation_unknown", 404),
        ("", "invitation_unknown", 404),
    ):
        for attempt in (
            lambda db, t=token: workspaces.accept_invitation(db, token=t, member=guest),
            lambda db, t=token: workspaces.accept_with_new_account(
                db, token=t, name="N", email="n@x.nl", password_hash=HASHED
            ),
        ):
            error = refused(office, attempt)
            assert (error.code, error.status) == (code, status)
    assert office.read(lambda db: db.execute(select(func.count()).select_from(Facilitator)).scalar_one()) == 2


def test_revoking_makes_the_link_unknown_and_only_open_ones_of_ones_own_workspace_go(office: Office) -> None:
    boss = office.account("b@x.nl")
    stranger = office.account("s@elders.nl")
    token = office.write(lambda db: workspaces.create_invitation(db, member=boss, role="facilitator"))
    (row,) = office.read(lambda db: list(db.execute(select(Invitation)).scalars()))
    assert (
        refused(office, lambda db: workspaces.revoke_invitation(db, member=stranger, invitation_id=row.id)).status
        == 404
    )
    office.write(lambda db: workspaces.revoke_invitation(db, member=boss, invitation_id=row.id))
    error = refused(office, lambda db: workspaces.accept_invitation(db, token=token, member=stranger))
    assert (error.code, error.status) == ("invitation_unknown", 404)
    used = office.write(lambda db: workspaces.create_invitation(db, member=boss, role="facilitator"))
    office.write(lambda db: workspaces.accept_invitation(db, token=used, member=stranger))
    used_id = office.read(
        lambda db: db.execute(select(col(Invitation.id)).where(col(Invitation.used_at).is_not(None))).scalar_one()
    )
    assert (
        refused(office, lambda db: workspaces.revoke_invitation(db, member=boss, invitation_id=used_id)).status == 409
    )


def test_a_refused_new_account_leaves_the_invitation_open(office: Office) -> None:
    boss = office.account("b@x.nl")
    token = office.write(lambda db: workspaces.create_invitation(db, member=boss, role="facilitator"))
    for name, email, code in (
        ("", "n@x.nl", "name_missing"),
        ("N" * 121, "n@x.nl", "name_too_long"),
        ("N", "geen-adres", "email_invalid"),
        ("N", "n @x.nl", "email_invalid"),
    ):
        error = refused(
            office,
            lambda db, n=name, e=email: workspaces.accept_with_new_account(
                db, token=token, name=n, email=e, password_hash=HASHED
            ),
        )
        assert (error.code, error.status) == (code, 422)
    taken = refused(
        office,
        lambda db: workspaces.accept_with_new_account(db, token=token, name="B", email="B@x.nl", password_hash=HASHED),
    )
    assert (taken.code, taken.status) == ("email_taken", 409)
    (row,) = office.read(lambda db: list(db.execute(select(Invitation)).scalars()))
    assert row.used_at is None
    session = office.write(
        lambda db: workspaces.accept_with_new_account(
            db, token=token, name=" Nina ", email="n@x.nl", password_hash=HASHED
        )
    )
    from app.auth import member_for_token

    nina, _ = office.read(lambda db: member_for_token(db, session))
    assert (nina.workspace_id, nina.role) == (boss.workspace_id, "facilitator")


def test_two_browsers_racing_for_one_invitation_make_one_member(client: TestClient, office: Office) -> None:
    boss = office.account("b@x.nl")
    guests = [office.account(f"g{i}@x.nl") for i in range(3)]
    token = office.write(lambda db: workspaces.create_invitation(db, member=boss, role="facilitator"))
    db = office.db

    async def at_once() -> list[Any]:
        jobs = [db.write(lambda s, g=g: workspaces.accept_invitation(s, token=token, member=g)) for g in guests]
        jobs += [
            db.write(
                lambda s, i=i: workspaces.accept_with_new_account(
                    s, token=token, name="N", email=f"n{i}@x.nl", password_hash=HASHED
                )
            )
            for i in range(3)
        ]
        return await asyncio.gather(*jobs, return_exceptions=True)

    outcomes = client.portal.call(at_once)
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    losers = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(winners) == 1 and len(losers) == 5
    assert {(error.code, error.status) for error in losers} == {("invitation_used", 410)}
    members = office.read(
        lambda s: s.execute(
            select(func.count()).select_from(Membership).where(col(Membership.workspace_id) == boss.workspace_id)
        ).scalar_one()
    )
    accounts_made = office.read(lambda s: s.execute(select(func.count()).select_from(Facilitator)).scalar_one())
    assert members == 2 and accounts_made == 4 + (1 if isinstance(winners[0], str) else 0)
