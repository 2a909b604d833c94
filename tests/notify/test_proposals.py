"""An owner proposes a new due date (Mijn afspraken, a reminder's page); the office takes it over or declines it in
the register, with roles and workspaces checked and the history telling who did what on whose proposal."""

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.accounts import service as accounts
from app.actions import proposals, reporting
from app.demo.driver import csrf_of
from app.errors import DomainError
from app.models import ON_PROPOSAL, Action, DueProposal, Member, Participant, Workshop, local_today
from tests.conftest import PASSWORD
from tests.notify.conftest import Network, action_of, build_network, database, sign_in
from tests.notify.test_reports import history, post_form, queue_reminders, status_links

TITLE = "Huiskamer in de flat"


@pytest.fixture
def network(client: TestClient) -> Network:
    """The people around one action (see build_network), its due date two days from the tests' day."""
    return database(client).write_sync(build_network)


def proposals_of(client: TestClient, action_id: int) -> list[DueProposal]:
    """The action's open proposals as stored (at most one)."""
    query = select(DueProposal).where(col(DueProposal.action_id) == action_id)
    return database(client).read_sync(lambda tx: list(tx.execute(query).scalars()))


def propose(client: TestClient, network: Network, who: str, day: date, reason: str = "") -> DueProposal:
    """A proposal through the service, by one of the network's people."""

    def job(tx: Any) -> DueProposal:
        return proposals.propose_due_date(
            tx,
            action_id=network.action_id,
            proposed_on=day,
            reason=reason,
            via="mijn_afspraken",
            today=local_today(),
            participant=tx.get(Participant, network.people[who]),
        )

    return database(client).write_sync(job)


def bea_member(client: TestClient, network: Network) -> Member:
    """Bea, who made the workspace, as a member."""
    from tests.notify.test_reports import bea

    account_id = database(client).read_sync(bea)
    return Member(account_id=account_id, workspace_id=network.workspace_id, role="beheerder")


def later(days: int) -> date:
    """A day this many days after today."""
    return local_today() + timedelta(days=days)


# ---- the service


def test_an_owner_proposes_and_a_newer_proposal_replaces_the_open_one(client: TestClient, network: Network) -> None:
    first = propose(client, network, "owner", later(20), "Aannemer is later")
    assert [(p.proposed_on, p.reason, p.participant_id) for p in proposals_of(client, network.action_id)] == [
        (later(20), "Aannemer is later", network.people["owner"])
    ]
    # the same again (a double press) adds nothing; a newer one replaces the open one
    assert propose(client, network, "owner", later(20), "Aannemer is later").proposed_at == first.proposed_at
    propose(client, network, "owner_elsewhere", later(30))
    assert [(p.proposed_on, p.participant_id) for p in proposals_of(client, network.action_id)] == [
        (later(30), network.people["owner_elsewhere"])
    ]
    changes = [
        (c.kind, c.before, c.after, c.note, c.participant_id) for c in history(database(client), network.action_id)
    ]
    due = action_of(database(client), network.action_id).due_on
    assert due is not None
    assert changes[1:] == [
        ("due_proposed", due.isoformat(), later(20).isoformat(), "Aannemer is later", network.people["owner"]),
        ("due_proposed", due.isoformat(), later(30).isoformat(), "", network.people["owner_elsewhere"]),
    ]
    assert action_of(database(client), network.action_id).due_on == due, "only the office moves the date"


@pytest.mark.parametrize("who", ["volunteer", "partner", "unrelated", "partner_elsewhere", "other_workspace"])
def test_only_the_owner_and_the_contact_propose(client: TestClient, network: Network, who: str) -> None:
    with pytest.raises(DomainError) as refused:
        propose(client, network, who, later(20))
    assert (refused.value.code, refused.value.status) == ("not_proposer", 403)
    assert proposals_of(client, network.action_id) == []
    # the contact (a participant who gave its confirmed address) may
    assert propose(client, network, "contact", later(21)).proposed_on == later(21)


def test_bad_dates_are_refused_with_their_reason(client: TestClient, network: Network) -> None:
    today = local_today()
    for typed, code in [
        ("2026-02-30", "bad_date"),
        ("8-12-2026", "bad_date"),
        ("", "bad_date"),
        ((today - timedelta(days=1)).isoformat(), "date_past"),
        ((today + timedelta(days=3 * 365)).isoformat(), "date_too_far"),
    ]:
        with pytest.raises(DomainError) as refused:
            proposals.proposed_day(typed, today=today)
        assert (refused.value.code, refused.value.status) == (code, 422), typed
    assert proposals.proposed_day(f" {today.isoformat()} ", today=today) == today
    due = action_of(database(client), network.action_id).due_on
    assert due is not None
    with pytest.raises(DomainError) as same:
        propose(client, network, "owner", due)
    assert same.value.code == "same_date"
    with pytest.raises(DomainError) as past:
        propose(client, network, "owner", today - timedelta(days=1))
    assert past.value.code == "date_out_of_range"
    assert proposals_of(client, network.action_id) == []


def test_the_office_takes_a_proposal_over_through_its_own_edit(client: TestClient, network: Network) -> None:
    db = database(client)
    proposal = propose(client, network, "owner", later(25), "Vergunning duurt langer")
    bea = bea_member(client, network)
    db.write_sync(
        lambda tx: proposals.accept_proposal(
            tx, member=bea, action_id=network.action_id, proposed_on=proposal.proposed_on
        )
    )
    assert action_of(db, network.action_id).due_on == later(25)
    assert proposals_of(client, network.action_id) == []
    moved = history(db, network.action_id)[-1]
    assert (moved.kind, moved.after, moved.account_id, moved.participant_id, moved.via) == (
        "due_on",
        later(25).isoformat(),
        bea.account_id,
        network.people["owner"],
        ON_PROPOSAL,
    )


def test_the_office_declines_a_proposal_and_the_date_stays(client: TestClient, network: Network) -> None:
    db = database(client)
    due = action_of(db, network.action_id).due_on
    proposal = propose(client, network, "owner", later(25))
    bea = bea_member(client, network)
    db.write_sync(
        lambda tx: proposals.decline_proposal(
            tx, member=bea, action_id=network.action_id, proposed_on=proposal.proposed_on
        )
    )
    assert action_of(db, network.action_id).due_on == due
    assert proposals_of(client, network.action_id) == []
    kinds = [(c.kind, c.after, c.account_id) for c in history(db, network.action_id)]
    assert kinds[-2:] == [
        ("due_proposed", later(25).isoformat(), None),
        ("due_declined", later(25).isoformat(), bea.account_id),
    ]
    # the action's page says the date stays, not "was → wordt" as for a date that moved
    sign_in(client, "bea@a.nl")
    page = re.sub(r"\s+", " ", client.get(f"/f/acties/{network.action_id}").text)
    declined = page[page.index("Voorgestelde deadline afgewezen") :][:400]
    assert "de deadline blijft" in declined and "→" not in declined


def test_a_decision_needs_the_proposal_seen_a_runner_and_the_workspace(client: TestClient, network: Network) -> None:
    db = database(client)
    first = propose(client, network, "owner", later(25))
    propose(client, network, "owner", later(26))
    bea = bea_member(client, network)

    def decide(member: Member, proposed_on: date) -> Callable[[Any], None]:
        return lambda tx: proposals.accept_proposal(
            tx, member=member, action_id=network.action_id, proposed_on=proposed_on
        )

    with pytest.raises(DomainError) as replaced:
        db.write_sync(decide(bea, first.proposed_on))
    assert (replaced.value.code, replaced.value.status) == ("proposal_replaced", 409)
    (newest,) = proposals_of(client, network.action_id)
    onlooker = Member(account_id=bea.account_id, workspace_id=network.workspace_id, role="meekijker")
    with pytest.raises(DomainError) as read_only:
        db.write_sync(decide(onlooker, newest.proposed_on))
    assert read_only.value.status == 403

    def workspace_of(tx: Any) -> int:
        workshop = tx.get(Participant, network.people["other_workspace"]).workshop_id
        return tx.get(Workshop, workshop).workspace_id

    stranger = Member(account_id=bea.account_id, workspace_id=db.read_sync(workspace_of), role="beheerder")
    with pytest.raises(DomainError) as elsewhere:
        db.write_sync(decide(stranger, newest.proposed_on))
    assert elsewhere.value.status == 404
    assert action_of(db, network.action_id).due_on != later(26)
    db.write_sync(decide(bea, newest.proposed_on))
    with pytest.raises(DomainError) as gone:
        db.write_sync(decide(bea, newest.proposed_on))
    assert (gone.value.code, gone.value.status) == ("proposal_gone", 409)


# ---- the routes


def test_mijn_afspraken_offers_the_form_to_the_owner_only(client: TestClient, network: Network) -> None:
    owner = client.get(f"/m/{network.links['owner']}").text
    assert f'action="/m/{network.links["owner"]}/acties/{network.action_id}/datum"' in owner
    volunteer = client.get(f"/m/{network.links['volunteer']}").text
    assert f'id="actie-{network.action_id}"' in volunteer and "/datum" not in volunteer
    page = f"/m/{network.links['volunteer']}"
    refused = post_form(client, page, f"{page}/acties/{network.action_id}/datum", {"due_on": later(9).isoformat()})
    assert refused.status_code == 403 and "eigenaar of de contactpersoon" in refused.text
    assert proposals_of(client, network.action_id) == []


def test_mijn_afspraken_proposes_with_csrf_and_names_a_bad_date(client: TestClient, network: Network) -> None:
    page = f"/m/{network.links['owner']}"
    url = f"{page}/acties/{network.action_id}/datum"
    no_csrf = client.post(url, data={"due_on": later(9).isoformat()}, follow_redirects=False)
    assert no_csrf.status_code == 403
    past = post_form(client, page, url, {"due_on": "2020-01-01", "reason": "Te <b>laat</b>"})
    assert past.status_code == 422 and "al voorbij" in past.text
    assert 'value="2020-01-01"' in past.text and "Te &lt;b&gt;laat&lt;/b&gt;" in past.text, "what was typed stays"
    far = post_form(client, page, url, {"due_on": "2207-01-01"})
    assert far.status_code == 422 and "Zo ver vooruit" in far.text
    wrong = post_form(client, page, url, {"due_on": "2026-13-01"})
    assert wrong.status_code == 422 and "jjjj-mm-dd" in wrong.text
    assert proposals_of(client, network.action_id) == []
    done = post_form(client, page, url, {"due_on": later(9).isoformat(), "reason": "Aannemer ziek"})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{page}?voorgesteld={network.action_id}#actie-{network.action_id}"
    shown = client.get(done.headers["location"]).text
    assert "Voorgesteld. Het programmabureau" in shown and "Nieuwe datum voorgesteld:" in shown
    (stored,) = proposals_of(client, network.action_id)
    assert (stored.proposed_on, stored.reason, stored.via) == (later(9), "Aannemer ziek", "mijn_afspraken")
    english = client.get(page, headers={"accept-language": "en"}).text
    assert "Propose a new date" in english and "Nieuwe datum voorstellen" not in english


def test_a_reminders_page_proposes_and_still_reports(client: TestClient, network: Network) -> None:
    db = database(client)
    queue_reminders(client)
    buttons = status_links(db, "olga@woon.nl")
    confirm = client.get(buttons["bezig"])
    assert 'action="/status/' in confirm.text and "Nieuwe datum voorstellen" in confirm.text
    path = buttons["bezig"].split("?")[0]
    token = csrf_of(confirm.text)
    bad = client.post(f"{path}/datum", data={"csrf": token, "due_on": "2026-02-30"})
    assert bad.status_code == 422 and "klopt niet" in bad.text
    done = client.post(f"{path}/datum", data={"csrf": token, "due_on": later(12).isoformat(), "reason": "Later"})
    assert done.status_code == 200 and "Voorgesteld:" in done.text
    (stored,) = proposals_of(client, network.action_id)
    assert (stored.proposed_on, stored.via, stored.participant_id) == (later(12), "mail", network.people["owner"])
    # the link was not spent: its report still goes
    assert client.post(path, data={"csrf": token, "status": "bezig"}).status_code == 200
    # a volunteer's reminder offers no proposal: the owner answers for the date
    volunteer = client.get(status_links(db, "vera@buurtwerk.nl")["bezig"])
    assert volunteer.status_code == 200 and "Nieuwe datum voorstellen" not in volunteer.text


def register_row(html: str, action_id: int) -> str:
    """The register's row of an action."""
    return html.split(f'id="actie-{action_id}"')[1].split("</tr>")[0]


def test_the_register_marks_filters_and_takes_over(client: TestClient, network: Network) -> None:
    db = database(client)
    propose(client, network, "owner", later(40), "Wacht op <script>x</script>")
    sign_in(client, "bea@a.nl")
    page = client.get("/f/register")
    row = register_row(page.text, network.action_id)
    assert "voorgesteld:" in row and "Olga (Woonstichting)" in row
    assert "&lt;script&gt;x&lt;/script&gt;" in row and "<script>x" not in row
    only = client.get("/f/register?proposed=yes")
    assert only.status_code == 200 and f'id="actie-{network.action_id}"' in only.text
    assert client.get("/f/register?proposed=misschien").status_code == 422
    csv = client.get("/f/register.csv?proposed=yes").content.decode("utf-8-sig")
    header, line = csv.splitlines()[:2]
    assert header.endswith("Voorgestelde deadline") and line.endswith(later(40).isoformat())
    (proposal,) = proposals_of(client, network.action_id)
    url = f"/f/register/voorstel/{network.action_id}/overnemen"
    no_csrf = client.post(url, data={"proposed_on": proposal.proposed_on.isoformat()}, follow_redirects=False)
    assert no_csrf.status_code == 403
    accepted = client.post(
        url,
        data={"csrf": csrf_of(page.text), "proposed_on": proposal.proposed_on.isoformat(), "filter": "proposed=yes"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303, accepted.text
    assert accepted.headers["location"].startswith("/f/register?proposed=yes&gedaan=overgenomen")
    assert action_of(db, network.action_id).due_on == later(40)
    assert f'id="actie-{network.action_id}"' not in client.get("/f/register?proposed=yes").text
    action_page = re.sub(r"\s+", " ", client.get(f"/f/acties/{network.action_id}").text)
    assert "Bea, op voorstel van Olga (Woonstichting)" in action_page
    assert "Nieuwe deadline voorgesteld" in action_page


def test_the_register_refuses_onlookers_strangers_and_a_stale_button(
    client: TestClient, network: Network, browser: Callable[[], TestClient]
) -> None:
    db = database(client)
    first = propose(client, network, "owner", later(40))
    sign_in(client, "bea@a.nl")
    page = client.get("/f/register").text
    propose(client, network, "owner", later(41))
    stale = client.post(
        f"/f/register/voorstel/{network.action_id}/afwijzen",
        data={"csrf": csrf_of(page), "proposed_on": first.proposed_on.isoformat()},
        follow_redirects=False,
    )
    assert stale.status_code == 409 and "nieuwere datum" in stale.text
    (newest,) = proposals_of(client, network.action_id)
    db.write_sync(
        lambda tx: accounts.create_facilitator(
            tx, email="kijk@a.nl", name="Kijk", password=PASSWORD, workspace_id=network.workspace_id, role="meekijker"
        )
    )
    for email, status in [("kijk@a.nl", 403), ("xander@b.nl", 404)]:
        other = browser()
        sign_in(other, email)
        seen = other.get("/f/register").text
        if email == "kijk@a.nl":
            assert "voorgesteld:" in seen and "/overnemen" not in seen, "an onlooker sees the mark, not the buttons"
        refused = other.post(
            f"/f/register/voorstel/{network.action_id}/overnemen",
            data={"csrf": csrf_of(seen), "proposed_on": newest.proposed_on.isoformat()},
            follow_redirects=False,
        )
        assert refused.status_code == status, (email, refused.text)
    assert (
        client.post(
            f"/f/register/voorstel/{network.action_id}/weg",
            data={"csrf": csrf_of(page), "proposed_on": newest.proposed_on.isoformat()},
        ).status_code
        == 404
    )
    assert [p.proposed_on for p in proposals_of(client, network.action_id)] == [later(41)]
    assert action_of(db, network.action_id).due_on != later(41)


def test_the_personal_data_download_holds_what_they_proposed(client: TestClient, network: Network) -> None:
    propose(client, network, "owner", later(20), "Aannemer is later")
    record = client.get(f"/m/{network.links['owner']}/gegevens.json").json()
    assert [(p["action_id"], p["proposed_on"], p["reason"], p["via"]) for p in record["date_proposals"]] == [
        (network.action_id, later(20).isoformat(), "Aannemer is later", "mijn_afspraken")
    ]
    assert [(c["kind"], c["after"], c["note"]) for c in record["history"]] == [
        ("due_proposed", later(20).isoformat(), "Aannemer is later")
    ]
    # declined: the open proposal goes, the history keeps it and the decision on it
    bea = bea_member(client, network)
    database(client).write_sync(
        lambda tx: proposals.decline_proposal(tx, member=bea, action_id=network.action_id, proposed_on=later(20))
    )
    record = client.get(f"/m/{network.links['owner']}/gegevens.json").json()
    assert record["date_proposals"] == []
    assert [c["kind"] for c in record["history"]] == ["due_proposed", "due_declined"]
    # someone else's download holds none of it
    other = client.get(f"/m/{network.links['volunteer']}/gegevens.json").json()
    assert (other["date_proposals"], other["history"]) == ([], [])


def test_a_proposal_of_an_action_done_since_is_declined_not_taken_over(client: TestClient, network: Network) -> None:
    db = database(client)
    due = action_of(db, network.action_id).due_on
    propose(client, network, "owner", later(25))

    def done(tx: Any) -> None:
        tx.get(Action, network.action_id).status = "klaar"

    db.write_sync(done)
    # the register offers only to decline it
    sign_in(client, "bea@a.nl")
    row = register_row(client.get("/f/register?proposed=yes").text, network.action_id)
    assert "voorgesteld:" in row and "/afwijzen" in row and "/overnemen" not in row
    bea = bea_member(client, network)
    with pytest.raises(DomainError) as refused:
        db.write_sync(
            lambda tx: proposals.accept_proposal(tx, member=bea, action_id=network.action_id, proposed_on=later(25))
        )
    assert (refused.value.code, refused.value.status) == ("action_done", 409)
    assert action_of(db, network.action_id).due_on == due
    db.write_sync(
        lambda tx: proposals.decline_proposal(tx, member=bea, action_id=network.action_id, proposed_on=later(25))
    )
    assert proposals_of(client, network.action_id) == []


def test_the_history_names_the_contact_who_proposed_from_a_reminder(client: TestClient, network: Network) -> None:
    database(client).write_sync(
        lambda tx: proposals.propose_due_date(
            tx,
            action_id=network.action_id,
            proposed_on=later(30),
            reason="Zaal pas later vrij",
            via="mail",
            today=local_today(),
            contact_address="cor@bieb.nl",
        )
    )
    sign_in(client, "bea@a.nl")
    page = re.sub(r"\s+", " ", client.get(f"/f/acties/{network.action_id}").text)
    entry = page.split("Nieuwe deadline voorgesteld")[1].split("</li>")[0]
    assert "de contactpersoon, via een herinneringsmail" in entry and "systeem" not in entry


def test_the_register_says_when_the_proposers_organisation_was_taken_back(client: TestClient, network: Network) -> None:
    propose(client, network, "owner", later(40), "Wacht op de aannemer")

    def take_back(tx: Any) -> None:
        reporting.take_back_organisation(tx, participant=tx.get(Participant, network.people["owner"]), taken_back=True)

    database(client).write_sync(take_back)
    sign_in(client, "bea@a.nl")
    row = re.sub(r"\s+", " ", register_row(client.get("/f/register").text, network.action_id))
    assert "door Olga (Woonstichting, organisatie teruggenomen)" in row
