"""A workspace's register with known actions (dates around today), members of each role, and another workspace."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app import security
from app.accounts import service as accounts
from app.catalog.service import formats
from app.demo.driver import csrf_of
from app.models import (
    LOCAL_TIMEZONE,
    Action,
    ActionPartner,
    Answer,
    Cluster,
    Membership,
    Participant,
    Volunteer,
    Workshop,
    local_today,
)
from app.organisations import service as organisations
from app.organisations.service import name_key, owner_key
from app.running import service as running
from app.store.database import Database
from app.store.events import Tx
from tests.conftest import PASSWORD, Facilitator


@dataclass
class Ledger:
    """What was put in the register: ids by name, and the day the dates were counted from."""

    workspace_id: int
    account_id: int
    today: date
    organisations: dict[str, int] = field(default_factory=dict)
    workshops: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)


def moment(day: date) -> datetime:
    """Noon on the Dutch clock of that day, as stored."""
    return datetime.combine(day, time(12), tzinfo=LOCAL_TIMEZONE).astimezone(UTC)


def new_workshop(db: Tx, *, account_id: int, title: str, opgave: str, held_on: date, key: str = "doorbraak") -> int:
    """A workshop of the account's workspace, in its lobby."""
    workshop = running.create_workshop(
        db,
        facilitator_id=account_id,
        title=title,
        opgave=opgave,
        held_on=held_on,
        spec=formats()[key],
        allow_anonymous=False,
    )
    return workshop.id or 0


def participant(db: Session, workshop_id: int, name: str, organisation: str) -> int:
    """Someone in a workshop's room."""
    person = Participant(
        workshop_id=workshop_id,
        token_hash=security.token_digest(security.new_token()),
        name=name,
        name_key=name_key(name),
        organisation=organisation,
        link_salt=security.new_salt(),
    )
    db.add(person)
    db.flush()
    return person.id or 0


def obstacle(
    db: Session, workshop_id: int, text: str, *, theme: str | None = None, cluster_id: int | None = None
) -> int:
    """An obstacle answer of the workshop's first open question."""
    author = participant(db, workshop_id, "Auteur", "Buurt")
    answer = Answer(
        workshop_id=workshop_id,
        participant_id=author,
        step_id="obstacles",
        text=text,
        client_id=str(uuid.uuid4()),
        theme=theme,
        cluster_id=cluster_id,
    )
    db.add(answer)
    db.flush()
    return answer.id or 0


def add_action(
    db: Session,
    *,
    workshop_id: int,
    title: str,
    owner: str,
    partners: tuple[str, ...] = (),
    due_on: date | None = None,
    status: str = "open",
    volunteers: int = 0,
    obstacle_id: int | None = None,
    updated_on: date | None = None,
    deleted: bool = False,
) -> int:
    """An action straight into the tables, its organisations resolved as the services do."""
    workshop = db.get(Workshop, workshop_id)
    assert workshop is not None
    owner_found = organisations.resolve_organisation(db, workspace_id=workshop.workspace_id, name=owner)
    action = Action(
        workshop_id=workshop_id,
        workspace_id=workshop.workspace_id,
        title=title,
        owner_organisation=owner,
        owner_key=owner_key(owner),
        owner_organisation_id=owner_found.id if owner_found else None,
        due_on=due_on,
        status=status,
        obstacle_id=obstacle_id,
        deleted_at=moment(date(2026, 1, 1)) if deleted else None,
        updated_at=moment(updated_on or date(2026, 1, 1)),
    )
    db.add(action)
    db.flush()
    for name in partners:
        partner = organisations.resolve_organisation(db, workspace_id=workshop.workspace_id, name=name)
        db.add(
            ActionPartner(action_id=action.id or 0, organisation=name, organisation_id=partner.id if partner else None)
        )
    for number in range(volunteers):
        hand = participant(db, workshop_id, f"Vrijwilliger {number}", owner)
        db.add(Volunteer(action_id=action.id or 0, participant_id=hand))
    db.flush()
    return action.id or 0


def workspace_of(db: Session, account_id: int) -> int:
    """The (first) workspace an account is a member of."""
    query = select(col(Membership.workspace_id)).where(col(Membership.account_id) == account_id)
    return db.execute(query.order_by(col(Membership.id)).limit(1)).scalar_one()


def fill_register(db: Tx, *, account_id: int) -> Ledger:
    """Two workshops with six actions (one deleted) around today, organisations, obstacles with themes."""
    today = local_today()
    ledger = Ledger(workspace_id=workspace_of(db, account_id), account_id=account_id, today=today)
    noord = new_workshop(
        db,
        account_id=account_id,
        title="Jeugdoverlast Noord",
        opgave="Samen zorgen dat jongeren zich thuis voelen in Noord",
        held_on=today - timedelta(days=30),
    )
    oost = new_workshop(
        db,
        account_id=account_id,
        title="Eenzaamheid Oost",
        opgave="Niemand alleen in de flat",
        held_on=today - timedelta(days=10),
    )
    ledger.workshops = {"noord": noord, "oost": oost}
    cluster = Cluster(workshop_id=noord, name="Geld en veiligheid", theme="veiligheid", tension="financiering")
    db.add(cluster)
    db.flush()
    in_cluster = obstacle(db, noord, "Geen geld voor de wijkagent", cluster_id=cluster.id)
    themed = obstacle(db, noord, "Wachtlijsten bij de jeugdzorg", theme="wonen")
    ledger.actions = {
        "huiskamer": add_action(
            db,
            workshop_id=oost,
            title="Huiskamer in de flat",
            owner="Woonstichting Thuis",
            partners=("Gemeente Heerlen",),
            due_on=today - timedelta(days=3),
            volunteers=2,
            updated_on=today - timedelta(days=1),
        ),
        "wijkagent": add_action(
            db,
            workshop_id=noord,
            title="Wijkagent op school",
            owner="Politie Limburg",
            partners=("Buurtwerk Noord",),
            due_on=today + timedelta(days=60),
            status="bezig",
            obstacle_id=in_cluster,
            updated_on=today - timedelta(days=20),
        ),
        "loket": add_action(
            db,
            workshop_id=noord,
            title="Loket jeugdzorg",
            owner="Gemeente Heerlen",
            status="vastgelopen",
            obstacle_id=themed,
            volunteers=1,
            updated_on=today - timedelta(days=8),
        ),
        "speeltuin": add_action(
            db,
            workshop_id=noord,
            title="Speeltuin opknappen",
            owner="Woonstichting Thuis",
            due_on=today - timedelta(days=10),
            status="klaar",
            updated_on=today - timedelta(days=25),
        ),
        "weg": add_action(
            db,
            workshop_id=noord,
            title="Ingetrokken afspraak",
            owner="Woonstichting Thuis",
            due_on=today - timedelta(days=5),
            deleted=True,
        ),
        "buurtfeest": add_action(
            db,
            workshop_id=oost,
            title="Buurtfeest op het plein",
            owner="Buurtwerk Noord",
            partners=("Woonstichting Thuis", "Politie Limburg"),
            due_on=today,
            updated_on=today,
        ),
    }
    for name in ("Woonstichting Thuis", "Gemeente Heerlen", "Politie Limburg", "Buurtwerk Noord"):
        found = organisations.find_organisation(db, workspace_id=ledger.workspace_id, name=name)
        assert found is not None
        ledger.organisations[name] = found.id or 0
    return ledger


def elsewhere(db: Tx) -> Ledger:
    """Another workspace with an action and an organisation of its own."""
    account = accounts.create_facilitator(db, email="elders@elders.nl", name="Elders", password=PASSWORD)
    ledger = Ledger(workspace_id=workspace_of(db, account.id or 0), account_id=account.id or 0, today=local_today())
    workshop = new_workshop(
        db, account_id=account.id or 0, title="Elders", opgave="Geheim elders", held_on=ledger.today
    )
    ledger.workshops = {"elders": workshop}
    ledger.actions = {
        "geheim": add_action(
            db,
            workshop_id=workshop,
            title="Geheime afspraak",
            owner="Elders BV",
            due_on=ledger.today - timedelta(days=2),
        )
    }
    found = organisations.find_organisation(db, workspace_id=ledger.workspace_id, name="Elders BV")
    assert found is not None
    ledger.organisations = {"Elders BV": found.id or 0}
    return ledger


def database_of(http: TestClient) -> Database:
    """The database of the app this browser talks to, for setting up and checking what the pages do."""
    database: Database = cast(FastAPI, http.app).state.runtime.db
    return database


def account_id_of(http: TestClient, email: str) -> int:
    """The id of the account with this email."""
    from app.models import Facilitator as Account

    found: int | None = database_of(http).read_sync(
        lambda db: db.execute(select(col(Account.id)).where(col(Account.email) == email)).scalar_one()
    )
    assert found is not None
    return found


@pytest.fixture
def ledger(facilitator: Facilitator) -> Ledger:
    """The beheerder's workspace, filled with the known register."""
    account_id = account_id_of(facilitator.http, facilitator.email)
    return database_of(facilitator.http).write_sync(lambda db: fill_register(db, account_id=account_id))


@pytest.fixture
def other_ledger(facilitator: Facilitator) -> Ledger:
    """Another workspace with an action of its own."""
    return database_of(facilitator.http).write_sync(elsewhere)


def sign_in(http: TestClient, email: str) -> Facilitator:
    """Sign a browser in as this account."""
    login = http.get("/f/login")
    response = http.post(
        "/f/login", data={"csrf": csrf_of(login.text), "email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return Facilitator(http=http, email=email)


@pytest.fixture
def member_of(
    ledger: Ledger, facilitator: Facilitator, browser: Callable[[], TestClient]
) -> Callable[[str], Facilitator]:
    """Signs in a new member of the ledger's workspace with a role."""

    def make(role: str) -> Facilitator:
        email = f"{role}-{uuid.uuid4().hex[:6]}@buurtalliantie.nl"
        database_of(facilitator.http).write_sync(
            lambda db: accounts.create_facilitator(
                db, email=email, name=role.title(), password=PASSWORD, workspace_id=ledger.workspace_id, role=role
            )
        )
        return sign_in(browser(), email)

    return make


# the action and organisation pages' fixtures, which their helpers sit beside
from tests.register.pages import colleague, onlooker  # noqa: E402, F401
