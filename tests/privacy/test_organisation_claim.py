"""The programme office takes back an organisation a participant named: the rule then refuses their reports by it."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.actions import reporting
from app.demo.driver import csrf_of
from app.models import Action, Participant
from app.privacy import service as privacy
from app.security import token_digest
from app.workshops import service as workshops
from tests.exports.test_personal import personal_link
from tests.notify.conftest import Network, action_of, build_network, database
from tests.notify.test_reports import history, post_form
from tests.workspaces.conftest import add_member, sign_in


@pytest.fixture
def network(client: TestClient) -> Network:
    """The people around one action, in the app's database."""
    return database(client).write_sync(build_network)


def _participants_page(network: Network) -> str:
    return f"/f/workshops/{network.workshop_id}/deelnemers"


def _claim_url(network: Network, who: str) -> str:
    return f"{_participants_page(network)}/{network.people[who]}/organisatie"


def _report(client: TestClient, network: Network, who: str, status: str) -> Any:
    page = f"/m/{network.links[who]}"
    return post_form(client, page, f"{page}/acties/{network.action_id}/status", {"status": status})


def test_a_taken_back_organisation_reports_no_more_and_its_reports_stay_named(
    client: TestClient, browser: Any, network: Network
) -> None:
    assert _report(client, network, "owner", "bezig").status_code == 303
    office = sign_in(browser(), "bea@a.nl").http
    listed = office.get(_participants_page(network)).text
    assert "<bdi>Woonstichting</bdi>" in listed and "Hoort niet bij deze organisatie" in listed
    taken = office.post(_claim_url(network, "owner"), data={"csrf": csrf_of(listed)}, follow_redirects=False)
    assert taken.status_code == 303, taken.text
    assert taken.headers["location"].endswith(f"#deelnemer-{network.people['owner']}")
    assert "organisatie teruggenomen" in office.get(_participants_page(network)).text

    refused = _report(client, network, "owner", "klaar")
    assert refused.status_code == 403 and "Jij staat daar niet bij" in refused.text
    assert action_of(database(client), network.action_id).status == "bezig"
    mine = client.get(f"/m/{network.links['owner']}").text
    assert "hebben je organisatie teruggenomen" in mine and f'id="actie-{network.action_id}"' not in mine
    # the report made before stays, and the register's page names who made it, their claim and where they joined
    assert [c.kind for c in history(database(client), network.action_id)] == ["created", "status"]
    page = office.get(f"/f/acties/{network.action_id}").text
    assert "Olga (Woonstichting, organisatie teruggenomen), deelnemer van Jeugdoverlast Noord" in page
    assert "via Mijn afspraken" in page

    # said by mistake: given back, the rule lets them report again
    office.post(_claim_url(network, "owner"), data={"csrf": csrf_of(listed), "belongs": "ja"})
    assert _report(client, network, "owner", "klaar").status_code == 303


def test_a_volunteer_and_a_confirmed_contact_keep_their_rights(client: TestClient, network: Network) -> None:
    def reasons(tx: Any) -> dict[str, str | None]:
        action = tx.get(Action, network.action_id)
        found = {}
        for who in ("volunteer", "contact", "owner_elsewhere"):
            participant = tx.get(Participant, network.people[who])
            reporting.take_back_organisation(tx, participant=participant, taken_back=True)
            found[who] = reporting.reporter_reason(tx, action=action, participant=participant)
        return found

    assert database(client).write_sync(reasons) == {
        "volunteer": "volunteer",
        "contact": "contact",
        "owner_elsewhere": None,
    }


@pytest.mark.parametrize("who", ["other_workspace", "meekijker", "participant", "no_csrf"])
def test_no_one_else_takes_an_organisation_back(client: TestClient, browser: Any, network: Network, who: str) -> None:
    url = _claim_url(network, "owner")
    if who == "no_csrf":
        http, expected = sign_in(browser(), "bea@a.nl").http, 403
        assert http.post(url, data={}).status_code == expected
    else:
        if who == "other_workspace":
            http, expected = sign_in(browser(), "xander@b.nl").http, 404
        elif who == "meekijker":
            app: Any = client.app
            member = add_member(
                app, browser(), workspace_id=network.workspace_id, role="meekijker", email="m@a.nl", name="M"
            )
            http, expected = member.http, 403
        else:
            # a participant's browser: their personal page open, not signed in
            http, expected = browser(), 401
            http.get(f"/m/{network.links['owner']}")
        csrf = csrf_of(http.get(f"/m/{network.links['unrelated']}").text)
        response = http.post(url, data={"csrf": csrf}, follow_redirects=False)
        assert response.status_code in ((expected, 303) if who == "participant" else (expected,)), response.text
        if response.status_code == 303:
            assert "/f/login" in response.headers["location"]
    participant = database(client).read_sync(lambda tx: tx.get(Participant, network.people["owner"]))
    assert participant.organisation_revoked_at is None


def test_a_claim_taken_back_carries_to_the_same_name_only_not_to_every_name_without_letters(
    client: TestClient, network: Network
) -> None:
    """Names of signs alone ("🙂", "🌻", "?") share the one name key of no words: a join carries a claim taken back by
    the name itself then, so another person of the organisation keeps theirs."""

    def joined(tx: Any, name: str) -> Participant:
        token = workshops.join_workshop(
            tx, workshop_id=network.workshop_id, name=name, organisation="Woonstichting", anonymous=False
        )
        query = select(Participant).where(col(Participant.token_hash) == token_digest(token))
        return tx.execute(query).scalar_one()

    def join_after_taking_back(tx: Any) -> dict[str, bool]:
        smiley = joined(tx, "🙂")
        reporting.take_back_organisation(tx, participant=smiley, taken_back=True)
        return {name: joined(tx, name).organisation_revoked_at is not None for name in ("🌻", "?", "🙂")}

    assert database(client).write_sync(join_after_taking_back) == {"🌻": False, "?": False, "🙂": True}


def test_taking_back_the_claim_of_a_name_removed_leaves_every_other_name_removed_alone(
    client: TestClient, network: Network
) -> None:
    """A forgotten participant (or one the retention pass anonymised) keeps the organisation without a name: an
    empty name is nobody's, so the office's word on one such claim is not that of everyone else forgotten."""

    def joined(tx: Any, name: str) -> Participant:
        token = workshops.join_workshop(
            tx, workshop_id=network.workshop_id, name=name, organisation="Woonstichting", anonymous=False
        )
        query = select(Participant).where(col(Participant.token_hash) == token_digest(token))
        return tx.execute(query).scalar_one()

    def take_back_one_forgotten(tx: Any) -> dict[str, bool]:
        anna, bert = joined(tx, "Anna"), joined(tx, "Bert")
        for person in (anna, bert):
            privacy.forget_participant(tx, participant=person)
        reporting.take_back_organisation(tx, participant=anna, taken_back=True)
        return {"anna": anna.organisation_revoked_at is not None, "bert": bert.organisation_revoked_at is not None}

    assert database(client).write_sync(take_back_one_forgotten) == {"anna": True, "bert": False}


def test_a_phones_page_says_a_claim_taken_back_is_not_confirmed(facilitator: Any, join: Any, browser: Any) -> None:
    workshop = facilitator.create_workshop(title="Wijk A")
    phone = join(workshop, name="Olga", organisation="Woonstichting")
    assert (
        '<p class="me clamp-2" title="\u2068Olga\u2069 · \u2068Woonstichting\u2069">'
        in phone.http.get(f"/j/{workshop.code}").text
    )
    database(facilitator.http).write_sync(
        lambda db: reporting.take_back_organisation(
            db, participant=db.execute(select(Participant)).scalar_one(), taken_back=True
        )
    )
    # drawn so before the script runs (and without one): the organisation as typed, not presented as theirs
    page = phone.http.get(f"/j/{workshop.code}").text
    assert "<bdi>Olga</bdi> · <bdi>niet bevestigd: \u2068Woonstichting\u2069</bdi>" in page
    # and on Mijn afspraken, beside the notice that says why
    mine = personal_link(phone)
    assert "niet bevestigd: \u2068Woonstichting\u2069" in phone.http.get(mine).text
    english = phone.http.get(f"/taal/en?next=/j/{workshop.code}").text
    assert "<bdi>Olga</bdi> · <bdi>not confirmed: \u2068Woonstichting\u2069</bdi>" in english
