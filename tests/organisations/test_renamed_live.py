"""A rename or merge of an organisation reaches the open workshops that show it: one event each, closed ones left."""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.actions import review
from app.models import Event, Workshop, utcnow
from app.store.events import EventKind, Tx
from tests.conftest import Workshop as MadeWorkshop
from tests.organisations.conftest import Office, add_action, form, organisations_of

RENAMED = EventKind.ORGANISATION_RENAMED.value


def renamed_events(app: FastAPI) -> dict[int, list[dict[str, Any]]]:
    """Per workshop, the data of each organisation.renamed event it logged."""

    def read(db: Session) -> dict[int, list[dict[str, Any]]]:
        found: dict[int, list[dict[str, Any]]] = {}
        query = select(Event).where(col(Event.kind) == RENAMED).order_by(col(Event.id))
        for event in db.execute(query).scalars():
            found.setdefault(event.workshop_id, []).append(event.payload)
        return found

    return app.state.runtime.db.read_sync(read)


def close(app: FastAPI, workshop: MadeWorkshop) -> None:
    """Mark a workshop closed, as reaching its close step does."""

    def write(db: Tx) -> None:
        found = db.get(Workshop, workshop.id)
        assert found is not None
        found.closed_at = utcnow()

    app.state.runtime.db.write_sync(write)


def rename(office: Office, organisation_id: int, name: str) -> None:
    """Save the edit form with a new name, as the office does."""
    response = form(office.beheerder, f"/f/organisaties/{organisation_id}/bewerken", {"name": name})
    assert response.status_code == 303, response.text


def test_a_rename_reaches_each_open_workshop_that_shows_the_organisation_once(
    app: FastAPI, office: Office, join: Callable[..., Any]
) -> None:
    as_participant = office.beheerder.create_workshop(title="Deelnemer")
    join(as_participant, "Ali", "Buurtteam")
    join(as_participant, "Bea", "Buurtteam")
    as_owner = office.beheerder.create_workshop(title="Eigenaar")
    add_action(office.beheerder, as_owner.id, "Buurtteam", ["Politie"])
    as_partner = office.beheerder.create_workshop(title="Partner")
    add_action(office.beheerder, as_partner.id, "Politie", ["Buurtteam"])
    unrelated = office.beheerder.create_workshop(title="Anders")
    add_action(office.beheerder, unrelated.id, "Politie")
    closed = office.beheerder.create_workshop(title="Dicht")
    join(closed, "Cas", "Buurtteam")
    close(app, closed)
    team = organisations_of(app, office.workspace_id)["Buurtteam"]

    rename(office, team.id or 0, "Buurtteam Noord")

    change = {"renamed": [{"was_id": team.id, "was": "Buurtteam", "id": team.id, "name": "Buurtteam Noord"}]}
    assert renamed_events(app) == {as_participant.id: [change], as_owner.id: [change], as_partner.id: [change]}
    # a save that keeps the name tells nobody anything
    form(office.beheerder, f"/f/organisaties/{team.id}/bewerken", {"name": "Buurtteam Noord", "short_name": "BTN"})
    assert len(renamed_events(app)[as_owner.id]) == 1


def test_a_merge_tells_each_open_workshop_the_duplicate_now_reads_as_the_target(
    app: FastAPI, office: Office, join: Callable[..., Any]
) -> None:
    form(office.beheerder, "/f/organisaties", {"name": "Gemeente Heerlen"})
    rooms = [office.beheerder.create_workshop(title=f"Avond {i}") for i in range(6)]
    for room in rooms:
        join(room, "Ali", "Gemeente Hrln")
        add_action(office.beheerder, room.id, "Gemeente Hrln", ["Gemeente Heerlen", "Politie"])
    for room in rooms[3:]:
        close(app, room)
    by_name = organisations_of(app, office.workspace_id)
    source, target = by_name["Gemeente Hrln"], by_name["Gemeente Heerlen"]

    response = form(office.beheerder, f"/f/organisaties/{source.id}/samenvoegen", {"into": str(target.id)})
    assert response.status_code == 303

    change = {"renamed": [{"was_id": source.id, "was": "Gemeente Hrln", "id": target.id, "name": "Gemeente Heerlen"}]}
    assert renamed_events(app) == {room.id: [change] for room in rooms[:3]}


def test_a_follow_up_looking_back_on_an_action_of_the_organisation_is_told(
    app: FastAPI, office: Office, join: Callable[..., Any]
) -> None:
    earlier = office.beheerder.create_workshop(title="Eerder")
    action = add_action(office.beheerder, earlier.id, "Buurtteam")
    close(app, earlier)
    follow_up = office.beheerder.create_workshop(title="Vervolg", format_key="vervolgsessie")

    def look_back(db: Tx) -> None:
        found = db.get(Workshop, follow_up.id)
        assert found is not None
        review.select_for_review(db, workshop=found, action_ids=[action["id"]])

    app.state.runtime.db.write_sync(look_back)
    team = organisations_of(app, office.workspace_id)["Buurtteam"]

    rename(office, team.id or 0, "Buurtteam Zuid")

    assert list(renamed_events(app)) == [follow_up.id]
