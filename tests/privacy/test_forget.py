"""Forgetting one participant by their own link: by who they are, never by their name."""

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.models import Event, MailToken, OutboxMessage, Participant
from tests.clusters.test_clusters import obstacles, post
from tests.conftest import Facilitator, Phone, Workshop, csrf_of
from tests.exports.test_personal import personal_link


@dataclass
class TwoAlis:
    """A workshop where two people are called Ali, each with an obstacle and a raised hand on one action, and a
    follow-up workshop that reviews that action."""

    workshop: Workshop
    followup: Workshop
    forgets: Phone
    stays: Phone
    forgets_id: int
    stays_id: int
    action_id: int


def _db(facilitator: Facilitator) -> Any:
    app: Any = facilitator.http.app
    return app.state.runtime.db


def _participant(facilitator: Facilitator, participant_id: int) -> Participant:
    return _db(facilitator).read_sync(lambda db: db.get(Participant, participant_id))


def two_alis(facilitator: Facilitator, join: Callable[..., Phone]) -> TwoAlis:
    """Two people of the same name in one room, both in every place the log and the exports name people."""
    workshop = facilitator.create_workshop(title="Jeugdoverlast Noord")
    forgets = join(workshop, name="Ali", organisation="Schuldhulp")
    stays = join(workshop, name="Ali", organisation="Wijkteam")
    (first,) = obstacles(facilitator, workshop, forgets, "Wachtlijsten")
    (second,) = obstacles(facilitator, workshop, stays, "Te weinig tijd")
    # a pile that happens to carry the name too: it is no person's, and stays
    grouped = post(facilitator, workshop, "/clusters/group", {"answer_ids": [first, second], "name": "Ali"})
    assert grouped.status_code == 200
    action = post(facilitator, workshop, "/actions", {"title": "Buurtkamer open", "owner_organisation": "Welzijn"})
    action_id = action.json()["id"]
    for phone in (forgets, stays):
        with phone.connect() as ws:
            ws.receive_json()
            ws.send_text(json.dumps({"type": "volunteer", "action_id": action_id, "joining": True}))
            while ws.receive_json()["type"] != "volunteer_ack":
                pass
    followup = facilitator.create_workshop(format_key="vervolgsessie", title="Vervolg")
    # chosen anew, so its log lists the action under review with both hands
    for source in (None, workshop.id):
        assert post(facilitator, followup, "/review/source", {"review_of": source}).status_code == 200
    ids = _db(facilitator).read_sync(
        lambda db: dict(
            db.execute(
                select(col(Participant.organisation), col(Participant.id)).where(
                    col(Participant.workshop_id) == workshop.id
                )
            ).all()
        )
    )
    return TwoAlis(workshop, followup, forgets, stays, ids["Schuldhulp"], ids["Wijkteam"], action_id)


def names_in_log(facilitator: Facilitator, room: TwoAlis) -> dict[int, set[str]]:
    """Every name the event logs of both workshops give each participant (answers' authors, raised hands)."""
    found: dict[int, set[str]] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "participant" in value:
                found.setdefault(value["participant"], set()).add(value.get("author", value.get("name")))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    logged = select(col(Event.payload)).where(col(Event.workshop_id).in_([room.workshop.id, room.followup.id]))
    for payload in _db(facilitator).read_sync(lambda db: list(db.execute(logged).scalars())):
        walk(payload)
    return found


def pile_names_in_log(facilitator: Facilitator, workshop: Workshop) -> set[str]:
    logged = select(col(Event.payload)).where(
        col(Event.workshop_id) == workshop.id, col(Event.kind) == "clusters.changed"
    )
    payloads = _db(facilitator).read_sync(lambda db: list(db.execute(logged).scalars()))
    return {pile["name"] for payload in payloads for pile in payload["clusters"]}


def register_hands(facilitator: Facilitator, action_id: int) -> str:
    """The register's count of raised hands for the action, as its CSV gives it."""
    text = facilitator.http.get("/f/register.csv").text.lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if text.count(";") > text.count(",") else ","))
    column = rows[0].index("Vrijwilligers")
    (row,) = [row for row in rows[1:] if row[0] == str(action_id)]
    return row[column]


def assert_only_one_forgotten(facilitator: Facilitator, room: TwoAlis) -> None:
    """The one who asked is gone from the log, the exports and the register; the other Ali and the pile stay."""
    assert names_in_log(facilitator, room) == {room.forgets_id: {""}, room.stays_id: {"Ali"}}
    assert pile_names_in_log(facilitator, room.workshop) == {"Ali"}
    answers = facilitator.http.get(f"/api/workshops/{room.workshop.id}/answers").json()
    assert {a["text"]: a["author"] for a in answers} == {"Wachtlijsten": "", "Te weinig tijd": "Ali"}
    (action,) = facilitator.http.get(f"/api/workshops/{room.workshop.id}/actions").json()
    assert {(v["name"], v["organisation"]) for v in action["volunteers"]} == {("", "Schuldhulp"), ("Ali", "Wijkteam")}
    page = facilitator.http.get(f"/f/acties/{room.action_id}").text
    assert page.count(">Ali <") == 1 and "Een anonieme deelnemer" in page
    assert register_hands(facilitator, room.action_id) == "2"
    gone = _participant(facilitator, room.forgets_id)
    assert (gone.name, gone.email) == ("", None)
    assert _participant(facilitator, room.stays_id).name == "Ali"


def give_address(phone: Phone, browser: Callable[[], TestClient], address: str) -> None:
    """The participant gives an address on Mijn afspraken: their link mail waits in the outbox."""
    link = personal_link(phone)
    own = browser()
    form = {"csrf": csrf_of(own.get(link).text), "email": address, "lang": "nl"}
    assert own.post(f"{link}/e-mail", data=form, follow_redirects=False).status_code == 303


def unsent_for(facilitator: Facilitator) -> list[tuple[str, int | None]]:
    """The outbox's mails not sent yet: to which address, written for whom."""
    query = select(col(OutboxMessage.recipient), col(OutboxMessage.participant_id)).where(
        col(OutboxMessage.status) != "sent"
    )
    return sorted(_db(facilitator).read_sync(lambda db: [tuple(row) for row in db.execute(query).all()]))


def test_forgetting_oneself_removes_only_ones_own_name_where_two_share_it(
    facilitator: Facilitator, join: Any, browser: Any
) -> None:
    room = two_alis(facilitator, join)
    assert names_in_log(facilitator, room) == {room.forgets_id: {"Ali"}, room.stays_id: {"Ali"}}
    # one address for both, as a household might share: their mails are told apart by whom they were written for
    give_address(room.forgets, browser, "ali@thuis.nl")
    give_address(room.stays, browser, "ali@thuis.nl")
    link = personal_link(room.forgets)
    own = browser()
    forgotten = own.post(f"{link}/vergeet-mij", data={"csrf": csrf_of(own.get(link).text)})
    assert forgotten.status_code == 200 and "Je naam en e-mailadres zijn verwijderd" in forgotten.text
    assert "ali@thuis.nl" not in forgotten.text
    assert_only_one_forgotten(facilitator, room)
    # their link mail, with their name, does not go; the other Ali's does
    assert unsent_for(facilitator) == [("ali@thuis.nl", room.stays_id)]
    links = select(col(MailToken.participant_id))
    assert _db(facilitator).read_sync(lambda db: list(db.execute(links).scalars())) == [room.stays_id]
