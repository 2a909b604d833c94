"""Reports between sessions: from Mijn afspraken, from a reminder's buttons, and a follow-up's phones, by one rule."""

import re
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlmodel import col

from app import addresses
from app.actions import reporting, review
from app.actions import service as actions
from app.demo.driver import csrf_of
from app.models import Action, ActionChange, Event, Facilitator, MailToken, Participant, ReviewItem, local_day, utcnow
from app.notify.mails import Links
from app.register import service as register_service
from app.register.filters import RegisterFilter
from tests.conftest import SECRET_KEY, LimitsClock
from tests.notify.conftest import (
    NOW,
    TODAY,
    Network,
    action_of,
    build_network,
    database,
    messages,
    new_workshop,
)
from tests.notify.conftest import join as joined

# who may report on the action (owned by Woonstichting, Gemeente a partner, Vera a volunteer, Cor its contact)
MAY = {"owner", "volunteer", "contact", "owner_elsewhere"}
# a partner organisation sees the action but does not report on it: its owner answers for it (issue 15)
MAY_NOT = {"unrelated", "partner", "partner_elsewhere"}
LINKS = Links(base_url="http://testserver", domain="example.org")


@pytest.fixture
def network(client: TestClient) -> Network:
    """The people around one action, in the app's database."""
    return database(client).write_sync(build_network)


def bea(tx: Any) -> int:
    """The account that made workspace A (see build_network)."""
    return tx.execute(select(Facilitator.id).where(Facilitator.email == "bea@a.nl")).scalar_one()


def post_form(http: TestClient, page: str, url: str, data: dict[str, str]) -> Any:
    """Post a form as the browser does after opening its page (CSRF cookie and field)."""
    token = csrf_of(http.get(page).text)
    return http.post(url, data={"csrf": token, **data}, follow_redirects=False)


def history(db: Any, action_id: int) -> list[ActionChange]:
    """The action's history, oldest first."""
    query = select(ActionChange).where(col(ActionChange.action_id) == action_id).order_by(col(ActionChange.id))
    return db.read_sync(lambda tx: list(tx.execute(query).scalars()))


def test_the_rule_names_who_may_report(client: TestClient, network: Network) -> None:
    db = database(client)

    def reasons(tx: Any) -> dict[str, str | None]:
        action = tx.get(Action, network.action_id)
        return {
            name: reporting.reporter_reason(tx, action=action, participant=tx.get(Participant, pid))
            for name, pid in network.people.items()
        }

    assert db.read_sync(reasons) == {
        "owner": "owner",
        "partner": None,
        "volunteer": "volunteer",
        "contact": "contact",  # Cor gave the contact's address (in other capitals)
        "unrelated": None,
        "owner_elsewhere": "owner",  # another workshop, but the owner organisation
        "partner_elsewhere": None,
        "other_workspace": None,
    }


def test_an_address_that_only_folds_to_the_contacts_is_not_the_contact(client: TestClient, network: Network) -> None:
    # straße.de is another domain than strasse.de (xn--strae-oqa.de), mail to it reaches whoever registered it; Python's
    # casefold made the two one address, so its owner confirmed it and reported as the contact of strasse.de
    db = database(client)

    def reasons(tx: Any) -> dict[str, str | None]:
        action = tx.get(Action, network.action_id)
        action.contact_email = "cor@strasse.de"
        here = tx.get(Participant, network.people["contact"]).workshop_id
        people = {
            "other_domain": joined(tx, here, "Kor", "Bieb", addresses.checked_address("cor@straße.de")),
            "same_domain": joined(tx, here, "Cor", "Bieb", addresses.checked_address("Cor@STRASSE.de")),
        }
        return {name: reporting.reporter_reason(tx, action=action, participant=p) for name, p in people.items()}

    assert db.write_sync(reasons) == {"other_domain": None, "same_domain": "contact"}


@pytest.mark.parametrize("who", sorted(MAY | MAY_NOT | {"other_workspace"}))
def test_mijn_afspraken_reports_by_the_rule(client: TestClient, network: Network, who: str) -> None:
    db = database(client)
    page = f"/m/{network.links[who]}"
    mine = client.get(page).text
    offered = f'id="actie-{network.action_id}"' in mine
    assert offered == (who in MAY), "the page offers a form exactly to those who may report"
    response = post_form(
        client, page, f"{page}/acties/{network.action_id}/status", {"status": "klaar", "note": "Sleutel is er"}
    )
    after = action_of(db, network.action_id)
    if who in MAY:
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"{page}?gemeld={network.action_id}#actie-{network.action_id}"
        assert after.status == "klaar"
        change = history(db, network.action_id)[-1]
        assert (change.kind, change.before, change.after, change.note) == ("status", "open", "klaar", "Sleutel is er")
        assert (change.participant_id, change.via) == (network.people[who], "mijn_afspraken")
        assert "Gemeld." in client.get(response.headers["location"]).text
    else:
        # another workspace's action is not found at all; a known one says who may report
        assert response.status_code == (404 if who == "other_workspace" else 403), response.text
        if who != "other_workspace":
            assert "eigenaar, de vrijwilligers en de contactpersoon" in response.text
        assert after.status == "open"
        assert [c.kind for c in history(db, network.action_id)] == ["created"]


def test_a_volunteer_sees_their_action_once_with_its_partners_and_marked_as_joined(
    client: TestClient, network: Network
) -> None:
    mine = client.get(f"/m/{network.links['volunteer']}").text
    # it stood twice, under "Acties waar je aan meedoet" and again above its report form
    assert mine.count("Huiskamer in de flat") == 1
    card = mine[mine.index(f'id="actie-{network.action_id}"') :]
    card = card[: card.index("</article>")]
    assert "Je doet mee ✓" in card and "Samen met" in card and "Gemeente" in card
    assert "Acties waar je aan meedoet" not in mine
    # someone who joined nothing is told so
    assert "Je hebt je nog niet aangemeld voor een actie." in client.get(f"/m/{network.links['unrelated']}").text


def test_a_report_reaches_the_board_and_a_running_follow_up_live(client: TestClient, network: Network) -> None:
    db = database(client)

    def follow_up(tx: Any) -> int:
        workshop = new_workshop(tx, bea(tx), "Vervolg", key="vervolgsessie")
        review.select_for_review(tx, workshop=workshop, action_ids=[network.action_id])
        return workshop.id or 0

    follow_up_id = db.write_sync(follow_up)
    seqs = db.read_sync(
        lambda tx: {
            wid: tx.execute(select(Event.seq).where(Event.workshop_id == wid).order_by(Event.seq.desc())).scalar() or 0
            for wid in (network.workshop_id, follow_up_id)
        }
    )
    page = f"/m/{network.links['owner']}"
    post_form(client, page, f"{page}/acties/{network.action_id}/status", {"status": "vastgelopen", "note": ""})

    def logged(tx: Any, workshop_id: int) -> list[Event]:
        query = select(Event).where(col(Event.workshop_id) == workshop_id, col(Event.seq) > seqs[workshop_id])
        return list(tx.execute(query).scalars())

    board = db.read_sync(partial(logged, workshop_id=network.workshop_id))
    assert [(e.kind, e.payload["id"], e.payload["status"]) for e in board] == [
        ("action.saved", network.action_id, "vastgelopen")
    ]
    reviewed = db.read_sync(partial(logged, workshop_id=follow_up_id))
    assert [e.kind for e in reviewed] == ["review.changed"]
    assert [(i["id"], i["status"]) for i in reviewed[0].payload["items"]] == [(network.action_id, "vastgelopen")]


def test_bad_reports_are_refused_and_nothing_is_lost(client: TestClient, network: Network) -> None:
    db = database(client)
    page = f"/m/{network.links['owner']}"
    url = f"{page}/acties/{network.action_id}/status"
    too_long = post_form(client, page, url, {"status": "bezig", "note": "x" * 281})
    assert too_long.status_code == 422 and "maximaal 280 tekens" in too_long.text
    assert "x" * 281 in too_long.text, "the page shows the note again, to shorten rather than retype"
    assert post_form(client, page, url, {"status": "weg", "note": ""}).status_code == 422
    assert post_form(client, page, f"{page}/acties/999999/status", {"status": "klaar"}).status_code == 404
    # an id beyond what the database holds is refused as such, not a driver's overflow (a 500)
    assert post_form(client, page, f"{page}/acties/{2**64}/status", {"status": "klaar"}).status_code == 422
    assert post_form(client, "/m/onbekend", "/m/onbekend/acties/1/status", {"status": "klaar"}).status_code == 404
    no_csrf = client.post(url, data={"status": "klaar"}, follow_redirects=False)
    assert no_csrf.status_code == 403
    assert action_of(db, network.action_id).status == "open"
    assert [c.kind for c in history(db, network.action_id)] == ["created"]


def test_the_same_report_sent_again_adds_nothing_to_the_history(client: TestClient, network: Network) -> None:
    db = database(client)
    page = f"/m/{network.links['owner']}"
    url = f"{page}/acties/{network.action_id}/status"
    for _ in range(3):  # the form sent again: a double press, the back button, a reload that posts
        assert post_form(client, page, url, {"status": "bezig", "note": "Wacht op de sleutel"}).status_code == 303
    assert post_form(client, page, url, {"status": "bezig", "note": ""}).status_code == 303
    assert post_form(client, page, url, {"status": "bezig", "note": "Sleutel is er"}).status_code == 303
    assert post_form(client, page, url, {"status": "bezig", "note": "Wacht op de sleutel"}).status_code == 303
    notes = [(c.after, c.note) for c in history(db, network.action_id) if c.kind == "status"]
    # a new note is news, and so is an earlier one said again after another
    assert notes == [("bezig", "Wacht op de sleutel"), ("bezig", "Sleutel is er"), ("bezig", "Wacht op de sleutel")]
    # and the same said again a week later: the owner says it still stands, which the history keeps
    db.write_sync(
        lambda tx: tx.execute(
            update(ActionChange)
            .where(col(ActionChange.action_id) == network.action_id)
            .values(at=utcnow() - timedelta(days=7))
        )
    )
    assert post_form(client, page, url, {"status": "bezig", "note": "Wacht op de sleutel"}).status_code == 303
    assert len([c for c in history(db, network.action_id) if c.kind == "status"]) == 4


def test_the_card_shows_what_was_reported_last_with_its_day(client: TestClient, network: Network) -> None:
    """Whoever reports next reads what was said last, and when: the owner's note shows on the volunteer's card."""
    owner, volunteer = f"/m/{network.links['owner']}", f"/m/{network.links['volunteer']}"
    url = f"{owner}/acties/{network.action_id}/status"
    assert "Laatst gemeld" not in client.get(volunteer).text
    assert post_form(client, owner, url, {"status": "bezig", "note": "Sleutel <b>opgehaald</b>"}).status_code == 303
    assert post_form(client, owner, url, {"status": "vastgelopen", "note": ""}).status_code == 303
    card = client.get(volunteer).text.split(f'id="actie-{network.action_id}"')[1].split("</article>")[0]
    assert "Laatst gemeld, " in card and "Sleutel &lt;b&gt;opgehaald&lt;/b&gt;" in card


def test_reports_from_one_personal_link_are_limited(
    frozen_clock: LimitsClock, client: TestClient, network: Network
) -> None:
    db = database(client)
    allowed = cast(FastAPI, client.app).state.runtime.limits.changes_per_link[0].amount
    page = f"/m/{network.links['owner']}"
    url = f"{page}/acties/{network.action_id}/status"
    token = csrf_of(client.get(page).text)
    sent = [
        client.post(url, data={"csrf": token, "status": "bezig", "note": f"stand {i}"}, follow_redirects=False)
        for i in range(allowed + 1)
    ]
    assert [r.status_code for r in sent] == [303] * allowed + [429]
    assert "vaak achter elkaar gemeld" in sent[-1].text and int(sent[-1].headers["retry-after"]) > 0
    assert f"stand {allowed}" in sent[-1].text, "the refused note is kept in its field"
    assert len(history(db, network.action_id)) == 1 + allowed
    # the allowance is the link's: the action's volunteer reports as usual
    volunteer = f"/m/{network.links['volunteer']}"
    answer = post_form(client, volunteer, f"{volunteer}/acties/{network.action_id}/status", {"status": "klaar"})
    assert answer.status_code == 303
    frozen_clock.advance(61)
    assert post_form(client, page, url, {"status": "bezig", "note": "weer"}).status_code == 303


def status_links(db: Any, recipient: str) -> dict[str, str]:
    """The status buttons of the reminder to this address: status -> path."""
    (message,) = messages(db, kind="action_reminder", recipient=recipient)
    return dict(re.findall(r"(/status/[\w-]+\?status=(\w+))", message.body_text)[i][::-1] for i in range(3))


def queue_reminders(client: TestClient) -> None:
    """The scheduler's pass, on the app's loop, for the tests' day."""
    from app.notify.sender import MailSetup, reminder_pass

    db = database(client)
    setup = MailSetup(config=None, problem=None, links=LINKS, reminder_days=3)
    client.portal.call(partial(reminder_pass, db, setup, secret=SECRET_KEY, today=TODAY, now=NOW))


REMINDED = {
    "volunteer": "vera@buurtwerk.nl",
    "contact": "cor@bieb.nl",
    "owner": "olga@woon.nl",
    # of the owner organisation in another workshop: Mijn afspraken lists the action, so the reminder comes too
    "owner_elsewhere": "otto@woon.nl",
}


@pytest.mark.parametrize("who", sorted(REMINDED))
def test_a_reminders_button_confirms_then_reports_once(client: TestClient, network: Network, who: str) -> None:
    db = database(client)
    queue_reminders(client)
    address = REMINDED[who]
    buttons = status_links(db, address)
    assert set(buttons) == {"bezig", "klaar", "vastgelopen"}
    # opening it (a mail scanner does) changes nothing
    confirm = client.get(buttons["klaar"])
    assert confirm.status_code == 200
    assert 'value="klaar" checked' in confirm.text and "Huiskamer in de flat" in confirm.text
    assert action_of(db, network.action_id).status == "open"
    path = buttons["klaar"].split("?")[0]
    done = client.post(path, data={"csrf": csrf_of(confirm.text), "status": "klaar", "note": "Open sinds maandag"})
    assert done.status_code == 200
    # each sentence of the page ends as a sentence does
    said = " ".join(re.sub(r"<[^>]+>", " ", done.text).split()).replace(" .", ".")
    assert "Dank je. De afspraak staat nu op Klaar." in said
    assert "laten het meteen zien." in said
    assert action_of(db, network.action_id).status == "klaar"
    change = history(db, network.action_id)[-1]
    assert (change.kind, change.after, change.note, change.via) == ("status", "klaar", "Open sinds maandag", "mail")
    assert change.participant_id == network.people[who]  # Cor is a participant: the mail went to him as one
    # the link is spent: the other buttons of the same mail too
    again = client.post(path, data={"csrf": csrf_of(confirm.text), "status": "bezig"})
    assert again.status_code == 410 and "al gemeld" in again.text
    assert client.get(buttons["bezig"]).status_code == 410
    assert action_of(db, network.action_id).status == "klaar"


def test_a_contacts_link_works_while_they_are_the_contact(client: TestClient, network: Network) -> None:
    db = database(client)

    def only_a_contact(tx: Any) -> None:
        # the contact is no participant: the mail went to the action's address alone
        tx.get(Participant, network.people["contact"]).email = None

    db.write_sync(only_a_contact)
    queue_reminders(client)
    buttons = status_links(db, "Cor@bieb.nl")
    confirm = client.get(buttons["bezig"])

    def new_contact(tx: Any) -> None:
        tx.get(Action, network.action_id).contact_email = "nieuw@bieb.nl"

    db.write_sync(new_contact)
    refused = client.post(buttons["bezig"].split("?")[0], data={"csrf": csrf_of(confirm.text), "status": "bezig"})
    assert refused.status_code == 403 and "niet meer de contactpersoon" in refused.text
    assert action_of(db, network.action_id).status == "open"


def test_forged_and_expired_status_links_are_refused(client: TestClient, network: Network) -> None:
    db = database(client)
    queue_reminders(client)
    buttons = status_links(db, "vera@buurtwerk.nl")
    assert client.get("/status/vervalst-en-onbekend?status=klaar").status_code == 404
    page = client.get(buttons["klaar"])
    forged = client.post("/status/vervalst-en-onbekend", data={"csrf": csrf_of(page.text), "status": "klaar"})
    assert forged.status_code == 404

    def expire(tx: Any) -> None:
        for token in tx.execute(select(MailToken).where(col(MailToken.purpose) == "status")).scalars():
            token.expires_at = utcnow() - timedelta(minutes=1)

    db.write_sync(expire)
    assert client.get(buttons["klaar"]).status_code == 410
    late = client.post(buttons["klaar"].split("?")[0], data={"csrf": csrf_of(page.text), "status": "klaar"})
    assert late.status_code == 410 and "verlopen" in late.text
    assert action_of(db, network.action_id).status == "open"
    # the database keeps only the hashes of the links it sent
    stored = db.read_sync(lambda tx: [t.token_hash for t in tx.execute(select(MailToken)).scalars()])
    token = buttons["klaar"].split("/")[2].split("?")[0]
    assert token not in stored and all(len(h) == 64 for h in stored)


def test_a_follow_up_phone_reports_only_on_what_is_its_own(facilitator: Any, join: Callable[..., Any]) -> None:
    from tests.responses.test_formats_live import earlier_session_with_actions, tap

    earlier_session_with_actions(facilitator, "Huiskamer in de flat")  # owned by Woonstichting
    workshop = facilitator.create_workshop(format_key="vervolgsessie")
    owner, stranger = (
        join(workshop, name="Wim", organisation="Woonstichting"),
        join(workshop, name="Sam", organisation="Sportclub"),
    )
    facilitator.go(workshop, "stand")
    with stranger.connect() as ws:
        item = ws.receive_json()["review"]["items"][0]
        refused = tap(ws, {"type": "review", "action_id": item["id"], "status": "klaar"}, "review_ack")
        assert (refused["type"], refused["code"]) == ("error", "not_reporter")
    with owner.connect() as ws:
        ws.receive_json()
        ack = tap(ws, {"type": "review", "action_id": item["id"], "status": "klaar"}, "review_ack")
        assert ack["item"]["status"] == "klaar"


def test_review_items_are_announced_only_to_running_follow_ups(client: TestClient, network: Network) -> None:
    db = database(client)

    def closed_follow_up(tx: Any) -> int:
        workshop = new_workshop(tx, bea(tx), "Gesloten vervolg", key="vervolgsessie")
        review.select_for_review(tx, workshop=workshop, action_ids=[network.action_id])
        workshop.closed_at = utcnow()
        return workshop.id or 0

    closed = db.write_sync(closed_follow_up)
    before = db.read_sync(lambda tx: tx.execute(select(Event.seq).where(Event.workshop_id == closed)).scalars().all())
    page = f"/m/{network.links['volunteer']}"
    assert post_form(client, page, f"{page}/acties/{network.action_id}/status", {"status": "bezig"}).status_code == 303
    after = db.read_sync(lambda tx: tx.execute(select(Event.seq).where(Event.workshop_id == closed)).scalars().all())
    assert after == before
    assert db.read_sync(lambda tx: tx.execute(select(ReviewItem)).scalars().all())


def test_mijn_afspraken_marks_what_is_past_its_deadline_as_the_register_does(
    client: TestClient, network: Network
) -> None:
    """An owner reads on their own page which of their actions are past the deadline: not done, due before today."""
    db = database(client)
    today = local_day(utcnow())

    def dates(tx: Any) -> dict[str, int]:
        tx.get(Action, network.action_id).due_on = today - timedelta(days=1)
        workshop_id = network.workshop_id
        due = {
            "today": actions.save_action(
                tx, workshop_id=workshop_id, title="Vandaag klaar", owner_organisation="Woonstichting", due_on=today
            ),
            "done": actions.save_action(
                tx,
                workshop_id=workshop_id,
                title="Al gedaan",
                owner_organisation="Woonstichting",
                due_on=today - timedelta(days=9),
                status="klaar",
            ),
        }
        return {name: view["id"] for name, view in due.items()}

    other = db.write_sync(dates)
    page = client.get(f"/m/{network.links['owner']}").text

    def card(action_id: int) -> str:
        return page.split(f'id="actie-{action_id}"')[1].split("</article>")[0]

    assert "over de deadline" in card(network.action_id)
    assert "over de deadline" not in card(other["today"]) and "over de deadline" not in card(other["done"])
    # the register, read by the programme office, says the same of the same action
    register = database(client).read_sync(
        partial(
            register_service.register_rows,
            workspace_id=network.workspace_id,
            chosen=RegisterFilter(),
            today=today,
        )
    )
    assert {row.id for row in register if row.overdue} == {network.action_id}
