"""A workshop full of awkward data (Dutch letters, emoji, formula injection) and its besluitenlijst."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app import security
from app.accounts import service as accounts
from app.catalog.service import formats
from app.db import Database
from app.exports.data import DecisionList, load_decision_list
from app.models import Action, ActionPartner, Answer, Cluster, Participant, Volunteer, Vote, Workshop
from app.workshops import service as workshops

TITLE = "Jeugdoverlast Noord: ëé en IJsselmeer"
OPGAVE = "Samen zorgen dat jongeren in Noord zich thuis voelen.\nDe wijk wil één aanpak."
INJECTION = '=HYPERLINK("http://x","klik")'
AT_SUM = "@SUM(A1)"
PHONE_NUMBER = "+31 6 1234"
SEMICOLON_ORGANISATION = 'Politie; team "Noord"'
FOLLOWUP_AT = datetime(2026, 12, 6, 13, 0, tzinfo=UTC)  # 14:00 in Amsterdam
FOLLOWUP_PLACE = "Buurthuis De Piëzo, zaal 2"


@dataclass(frozen=True)
class Filled:
    """Ids of what fill_workshop wrote."""

    workshop_id: int
    public_id: str
    action_ids: tuple[int, ...]
    deleted_action_id: int


def _participant(db: Session, workshop_id: int, name: str, organisation: str, *, anonymous: bool = False) -> int:
    participant = Participant(
        workshop_id=workshop_id,
        token_hash=security.token_digest(security.new_token()),
        name=name,
        organisation=organisation,
        anonymous=anonymous,
        link_token=security.new_token(),
    )
    db.add(participant)
    db.flush()
    return participant.id or 0


def _answer(db: Session, workshop_id: int, participant_id: int, step_id: str, text: str, **fields: object) -> Answer:
    answer = Answer(
        workshop_id=workshop_id,
        participant_id=participant_id,
        step_id=step_id,
        text=text,
        client_id=str(uuid.uuid4()),
        **fields,
    )
    db.add(answer)
    db.flush()
    return answer


def fill_workshop(db: Session, *, workshop_id: int) -> Filled:
    """Participants, obstacles, clusters, votes, contributions, actions and volunteers, straight into the tables."""
    workshop = db.get(Workshop, workshop_id)
    assert workshop is not None
    workshop.title = TITLE
    workshop.opgave = OPGAVE
    workshop.starts_at = time(13, 30)
    workshop.followup_at = FOLLOWUP_AT
    workshop.followup_place = FOLLOWUP_PLACE
    open_steps = [step for step in workshop.steps if step["type"] == "open_text"]
    obstacles = next(step["id"] for step in open_steps if not step.get("links_to"))
    contributions = next(step["id"] for step in open_steps if step.get("links_to"))
    ali = _participant(db, workshop_id, "Ali", "Woonstichting Thuis")
    eline = _participant(db, workshop_id, "Eline Smeets", "Gemeente IJsselstein")
    anonymous = _participant(db, workshop_id, "", workshops.ANONYMOUS_ORGANISATION, anonymous=True)
    zoe = _participant(db, workshop_id, "Zoë de Vries", SEMICOLON_ORGANISATION)

    zorg = Cluster(
        workshop_id=workshop_id, name="Zorg & wachtlijsten", tension="financiering", theme="gezondheid", focus=True
    )
    regie = Cluster(workshop_id=workshop_id, name="Regie", tension="besturing", theme="veiligheid")
    empty = Cluster(workshop_id=workshop_id, name="Nog leeg")
    db.add_all([zorg, regie, empty])
    db.flush()
    for voter, cluster, dots in ((ali, zorg, 2), (eline, zorg, 3), (zoe, regie, 2)):
        db.add_all(
            [Vote(workshop_id=workshop_id, participant_id=voter, cluster_id=cluster.id or 0) for _ in range(dots)]
        )

    wachtlijst = _answer(db, workshop_id, ali, obstacles, "Wachtlijsten bij de jeugdzorg 😀🎉", cluster_id=zorg.id)
    hyperlink = _answer(db, workshop_id, eline, obstacles, INJECTION, cluster_id=regie.id)
    _answer(db, workshop_id, zoe, obstacles, 'Geen "regie"; niemand\nvoelt zich eigenaar', cluster_id=zorg.id)
    _answer(db, workshop_id, anonymous, obstacles, AT_SUM, cluster_id=regie.id)
    secret = _answer(db, workshop_id, ali, obstacles, "Geheim obstakel", hidden=True, cluster_id=zorg.id)
    _answer(db, workshop_id, eline, obstacles, "-1 schuldhulp zonder cluster")

    inloop = _answer(db, workshop_id, ali, contributions, "Wij openen een inloopspreekuur", links_to=wachtlijst.id)
    loket = _answer(db, workshop_id, eline, contributions, "Wij regelen één loket", links_to=hyperlink.id)
    _answer(db, workshop_id, anonymous, contributions, "Ik help mee 🤝", links_to=wachtlijst.id)
    _answer(db, workshop_id, zoe, contributions, "Verborgen bijdrage", links_to=wachtlijst.id, hidden=True)
    _answer(db, workshop_id, zoe, contributions, "Wijkagent schuift aan", links_to=secret.id)

    spreekuur = Action(
        workshop_id=workshop_id,
        title="Inloopspreekuur jeugdzorg",
        description="Elke woensdag 14–16 uur in het buurthuis.\nOok voor ouders.",
        owner_organisation="Woonstichting Thuis",
        contact_person=PHONE_NUMBER,
        due_on=date(2026, 12, 15),
        status="bezig",
        obstacle_id=wachtlijst.id,
        contribution_id=inloop.id,
    )
    formule = Action(
        workshop_id=workshop_id,
        title=INJECTION,
        description="\tbegint met een tab",
        owner_organisation=AT_SUM,
        contact_person="-Piet",
        obstacle_id=secret.id,
    )
    weg = Action(
        workshop_id=workshop_id,
        title="Verwijderde actie",
        owner_organisation="Niemand",
        due_on=date(2026, 12, 20),
        deleted_at=datetime(2026, 11, 22, 15, 0, tzinfo=UTC),
    )
    een_loket = Action(
        workshop_id=workshop_id,
        title="Eén loket 🎉",
        owner_organisation="Gemeente IJsselstein",
        due_on=date(2027, 1, 31),
        status="klaar",
        contribution_id=loket.id,
    )
    db.add_all([spreekuur, formule, weg, een_loket])
    db.flush()
    db.add_all(
        [
            ActionPartner(action_id=spreekuur.id or 0, organisation="Gemeente IJsselstein"),
            ActionPartner(action_id=spreekuur.id or 0, organisation=SEMICOLON_ORGANISATION),
            Volunteer(action_id=spreekuur.id or 0, participant_id=eline),
            Volunteer(action_id=spreekuur.id or 0, participant_id=anonymous),
            Volunteer(action_id=spreekuur.id or 0, participant_id=zoe),
            Volunteer(action_id=formule.id or 0, participant_id=ali),
            Volunteer(action_id=weg.id or 0, participant_id=ali),
        ]
    )
    db.flush()
    return Filled(
        workshop_id=workshop_id,
        public_id=workshop.public_id,
        action_ids=(spreekuur.id or 0, formule.id or 0, een_loket.id or 0),
        deleted_action_id=weg.id or 0,
    )


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A migrated database used synchronously, as the command line does."""
    db = Database(f"sqlite:///{tmp_path / 'exports.db'}")
    db.migrate()
    yield db
    db.write_engine.dispose()
    db.read_engine.dispose()


@pytest.fixture
def filled(database: Database) -> Filled:
    """A doorbraak workshop with the awkward data in it."""

    def setup(db: Session) -> Filled:
        owner = accounts.create_facilitator(db, email="fenna@buurt.nl", name="Fenna", password="x" * 12)
        workshop = workshops.create_workshop(
            db,
            facilitator_id=owner.id or 0,
            title="T",
            opgave="O",
            held_on=date(2026, 11, 22),
            spec=formats()["doorbraak"],
            allow_anonymous=True,
        )
        return fill_workshop(db, workshop_id=workshop.id or 0)

    return database.write_sync(setup)


@pytest.fixture
def decisions(database: Database, filled: Filled) -> DecisionList:
    """The besluitenlijst of the filled workshop."""
    return database.read_sync(lambda db: load_decision_list(db, workshop_id=filled.workshop_id))
