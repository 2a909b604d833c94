"""The columns made of names (a participant's name key and search words, an action's owner key) follow their names
through every way the app writes them: joining, an address given and taken away, an action agreed and changed, an
organisation renamed and merged, a participant forgotten, a workshop anonymised."""

from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.demo.driver import csrf_of
from app.models import Action, Participant, Workshop
from app.organisations import service as organisations
from app.privacy import service as privacy
from app.store.events import Tx
from app.workshops import service as workshops
from tests.conftest import SECRET_KEY, Phone
from tests.organisations.conftest import Office, add_action, form, organisations_of
from tests.register.test_register import shown


def out_of_step(db: Session) -> list[tuple[str, int | None]]:
    """Every participant and action whose stored keys are not those their names and address make now."""
    wrong: list[tuple[str, int | None]] = []
    for person in db.execute(select(Participant)).scalars():
        made = organisations.participant_named(person.name, person.email)
        if (person.name_key, person.search_text) != (made["name_key"], made["search_text"]):
            wrong.append(("participant", person.id))
    for action in db.execute(select(Action)).scalars():
        if action.owner_key != organisations.owner_key(action.owner_organisation):
            wrong.append(("action", action.id))
    return wrong


def found_by(app: FastAPI, workshop_id: int, search: str) -> list[str]:
    """The names the participants page finds for a search."""
    page = app.state.runtime.db.read_sync(
        lambda db: privacy.participants_page(db, workshop_id=workshop_id, search=search)
    )
    return [person.name for person in page.rows]


def link_of(app: FastAPI, workshop_id: int, name: str) -> str:
    """The personal link of the participant of this name."""
    participant = app.state.runtime.db.read_sync(
        lambda db: db.execute(
            select(Participant).where(col(Participant.workshop_id) == workshop_id, col(Participant.name) == name)
        ).scalar_one()
    )
    return f"/m/{workshops.link_token(participant, secret=SECRET_KEY)}"


def give_address(phone: Phone, link: str, address: str) -> None:
    """Save (or, empty, remove) an address on the personal page, as its form does."""
    data = {"csrf": csrf_of(phone.http.get(link).text), "email": address, "lang": "nl"}
    assert phone.http.post(f"{link}/e-mail", data=data, follow_redirects=False).status_code == 303


def test_every_writer_keeps_the_keys_of_the_names(app: FastAPI, office: Office, join: Callable[..., Phone]) -> None:
    db = app.state.runtime.db
    member = office.beheerder
    workshop = member.create_workshop()

    zoe = join(workshop, "Zoë de Wit", "Gemeente Hrln")
    join(workshop, "Bram", "Politie")
    assert found_by(app, workshop.id, "zoe") == ["Zoë de Wit"]
    assert db.read_sync(out_of_step) == []

    link = link_of(app, workshop.id, "Zoë de Wit")
    give_address(zoe, link, "z.dewit@wijkteam.nl")
    assert found_by(app, workshop.id, "wijkteam") == ["Zoë de Wit"]
    give_address(zoe, link, "")
    assert found_by(app, workshop.id, "wijkteam") == []
    assert db.read_sync(out_of_step) == []

    first = add_action(member, workshop.id, "Politie", title="eerste")["id"]
    second = add_action(member, workshop.id, "Gemeente Hrln", title="tweede")["id"]
    changed = member.http.post(
        f"/f/workshops/{workshop.id}/actions/{first}",
        json={"title": "eerste", "owner_organisation": "Zorggroep"},
        headers={"X-CSRF-Token": member.csrf(), "Accept": "application/json"},
    )
    assert changed.status_code == 200, changed.text
    assert shown(member.http, "sort=organisation") == [second, first]
    assert db.read_sync(out_of_step) == []

    # renamed, Gemeente Hrln sorts after Zorggroep
    by_name = organisations_of(app, office.workspace_id)
    renamed = form(member, f"/f/organisaties/{by_name['Gemeente Hrln'].id}/bewerken", {"name": "Zuid Gemeente"})
    assert renamed.status_code == 303, renamed.text
    assert shown(member.http, "sort=organisation") == [first, second]
    assert db.read_sync(out_of_step) == []

    # merged into Aa-team, Zorggroep's action comes first
    form(member, "/f/organisaties", {"name": "Aa-team"})
    by_name = organisations_of(app, office.workspace_id)
    merged = form(
        member, f"/f/organisaties/{by_name['Zorggroep'].id}/samenvoegen", {"into": str(by_name["Aa-team"].id)}
    )
    assert merged.status_code == 303, merged.text
    assert shown(member.http, "sort=organisation") == [first, second]
    assert shown(member.http, "sort=-organisation") == [second, first]
    assert db.read_sync(out_of_step) == []

    give_address(zoe, link, "z.dewit@wijkteam.nl")
    asked = zoe.http.get(f"{link}/vergeet-mij")
    forgotten = zoe.http.post(f"{link}/vergeet-mij", data={"csrf": csrf_of(asked.text), "confirm": "ja"})
    assert forgotten.status_code == 200, forgotten.text
    assert found_by(app, workshop.id, "zoe") == found_by(app, workshop.id, "wijkteam") == []
    assert db.read_sync(out_of_step) == []

    def anonymise(tx: Tx) -> None:
        found = tx.get(Workshop, workshop.id)
        assert found is not None
        privacy.anonymise_workshop(tx, workshop=found)

    db.write_sync(anonymise)
    assert found_by(app, workshop.id, "bram") == []
    assert db.read_sync(out_of_step) == []


def test_a_new_object_and_a_changed_one_get_their_keys_at_the_flush(app: FastAPI, office: Office) -> None:
    """An ORM writer that sets only the name, address or owner (as a new writer might) still stores the keys."""
    workshop_id = office.beheerder.create_workshop().id

    def write(tx: Tx) -> tuple[int, int]:
        person = Participant(
            workshop_id=workshop_id, token_hash="t" * 64, name="Ömer 2", organisation="Politie", link_salt="s"
        )
        person.email = "omer@politie.nl"
        action = Action(workshop_id=workshop_id, workspace_id=office.workspace_id, title="x", owner_organisation="Wk 9")
        tx.add_all([person, action])
        tx.flush()
        person.name, action.owner_organisation = "Sara", "Wk 10"
        tx.flush()
        return person.id or 0, action.id or 0

    person_id, action_id = app.state.runtime.db.write_sync(write)

    def read(db: Session) -> tuple[Participant | None, Action | None]:
        return db.get(Participant, person_id), db.get(Action, action_id)

    person, action = app.state.runtime.db.read_sync(read)
    assert person is not None and action is not None
    assert (person.name_key, person.search_text) == (organisations.name_key("Sara"), " sara omer politie nl")
    assert action.owner_key == organisations.owner_key("Wk 10")
    assert app.state.runtime.db.read_sync(out_of_step) == []
