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
from app.actions import review
from app.answers import service as answers
from app.catalog.service import formats
from app.exports.data import DecisionList, load_decision_list
from app.models import Action, ActionPartner, Answer, Cluster, Participant, Volunteer, Vote, Workshop
from app.organisations.service import name_key, owner_key
from app.responses import service as responses
from app.running import service as running
from app.store.database import Database
from app.workshops import service as workshops

TITLE = "Jeugdoverlast Noord: ëé en IJsselmeer"
OPGAVE = "Samen zorgen dat jongeren in Noord zich thuis voelen.\nDe wijk wil één aanpak."
INJECTION = '=HYPERLINK("http://x","klik")'
AT_SUM = "@SUM(A1)"
PHONE_NUMBER = "+31 6 1234"
SEMICOLON_ORGANISATION = 'Politie; team "Noord"'
FOLLOWUP_AT = datetime(2026, 12, 6, 13, 0, tzinfo=UTC)  # 14:00 in Amsterdam
FOLLOWUP_PLACE = "Buurthuis De Piëzo, zaal 2"
# the netwerkmozaiek's seven blocks, each graded by three people; Deelname is the weakest
MOSAIC_GRADES = {
    "opgave_cijfer": (6, 7, 8),
    "waarde_cijfer": (7, 7, 7),
    "samen_doen_cijfer": (8, 6, 7),
    "verankering_cijfer": (9, 9, 9),
    "deelname_cijfer": (5, 3, 4),
    "binding_cijfer": (8, 8, 8),
    "organisatie_cijfer": (7, 7, 6),
}
THEMED_INJECTION = "-1 bankje in het park, =HYPERLINK()"
NOTE_INJECTION = "=cmd|' /C calc'!A0"


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
        name_key=name_key(name),
        organisation=organisation,
        anonymous=anonymous,
        link_salt=security.new_salt(),
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
        workspace_id=_workspace_of(db, workshop_id),
        title="Inloopspreekuur jeugdzorg",
        description="Elke woensdag 14–16 uur in het buurthuis.\nOok voor ouders.",
        owner_organisation="Woonstichting Thuis",
        owner_key=owner_key("Woonstichting Thuis"),
        contact_person=PHONE_NUMBER,
        due_on=date(2026, 12, 15),
        status="bezig",
        obstacle_id=wachtlijst.id,
        contribution_id=inloop.id,
    )
    formule = Action(
        workshop_id=workshop_id,
        workspace_id=_workspace_of(db, workshop_id),
        title=INJECTION,
        description="\tbegint met een tab",
        owner_organisation=AT_SUM,
        owner_key=owner_key(AT_SUM),
        contact_person="-Piet",
        obstacle_id=secret.id,
    )
    weg = Action(
        workshop_id=workshop_id,
        workspace_id=_workspace_of(db, workshop_id),
        title="Verwijderde actie",
        owner_organisation="Niemand",
        owner_key=owner_key("Niemand"),
        due_on=date(2026, 12, 20),
        deleted_at=datetime(2026, 11, 22, 15, 0, tzinfo=UTC),
    )
    een_loket = Action(
        workshop_id=workshop_id,
        workspace_id=_workspace_of(db, workshop_id),
        title="Eén loket 🎉",
        owner_organisation="Gemeente IJsselstein",
        owner_key=owner_key("Gemeente IJsselstein"),
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
    db.close()


@pytest.fixture
def filled(database: Database) -> Filled:
    """A doorbraak workshop with the awkward data in it."""

    def setup(db: Session) -> Filled:
        owner = accounts.create_facilitator(db, email="fenna@buurt.nl", name="Fenna", password="x" * 12)
        workshop = running.create_workshop(
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


def _workspace_of(db: Session, workshop_id: int) -> int:
    workshop = db.get(Workshop, workshop_id)
    assert workshop is not None
    return workshop.workspace_id


def _at_step(db: Session, workshop_id: int, step_id: str) -> None:
    """Move the workshop to a step, as the facilitator's board would, so the services accept its input."""
    workshop = db.get(Workshop, workshop_id)
    assert workshop is not None
    workshop.step_index = [step["id"] for step in workshop.steps].index(step_id)
    db.flush()


def _say(db: Session, workshop_id: int, participant_id: int, step_id: str, text: str, theme: str | None = None) -> None:
    answers.submit_answer(
        db,
        workshop_id=workshop_id,
        participant_id=participant_id,
        step_id=step_id,
        text=text,
        client_id=str(uuid.uuid4()),
        theme=theme,
    )


def new_workshop(db: Session, *, facilitator_id: int, key: str, title: str) -> int:
    """A workshop of this format, in its lobby."""
    workshop = running.create_workshop(
        db,
        facilitator_id=facilitator_id,
        title=title,
        opgave="Hoe staat ons netwerk ervoor?",
        held_on=date(2026, 11, 22),
        spec=formats()[key],
        allow_anonymous=True,
    )
    return workshop.id or 0


def fill_mosaic(db: Session, *, workshop_id: int) -> None:
    """Three people grade the seven blocks (MOSAIC_GRADES) and answer two of the open questions."""
    people = [_participant(db, workshop_id, name, "Buurtteam") for name in ("Ali", "Bea", "Cor")]
    for step_id, grades in MOSAIC_GRADES.items():
        _at_step(db, workshop_id, step_id)
        for person, grade in zip(people, grades, strict=True):
            responses.submit_response(db, workshop_id=workshop_id, participant_id=person, step_id=step_id, value=grade)
    _at_step(db, workshop_id, "opgave_vraag")
    _say(db, workshop_id, people[0], "opgave_vraag", "Helder op papier, vaag in de wijk")
    _at_step(db, workshop_id, "deelname_vraag")
    _say(db, workshop_id, people[1], "deelname_vraag", "Bewoners ontbreken aan tafel")
    _at_step(db, workshop_id, "mozaiek")


def fill_residents(db: Session, *, workshop_id: int) -> None:
    """Residents' answers under themes (one without, one a formula) and their choice where to start."""
    people = [_participant(db, workshop_id, "", workshops.ANONYMOUS_ORGANISATION, anonymous=True) for _ in range(3)]
    _at_step(db, workshop_id, "trots")
    _say(db, workshop_id, people[0], "trots", "Het buurtfeest in juni", theme="wonen")
    _say(db, workshop_id, people[1], "trots", "De moestuin achter de school", theme="leren")
    _say(db, workshop_id, people[2], "trots", "De mensen")
    _at_step(db, workshop_id, "beter")
    _say(db, workshop_id, people[0], "beter", THEMED_INJECTION, theme="veiligheid")
    _say(db, workshop_id, people[1], "beter", "Meer licht op de stoep", theme="veiligheid")
    _at_step(db, workshop_id, "beginnen")
    for person, option in zip(people, (3, 3, 0), strict=True):
        responses.submit_response(db, workshop_id=workshop_id, participant_id=person, step_id="beginnen", value=option)


@dataclass(frozen=True)
class FollowUp:
    """Ids of the follow-up and the earlier workshop it looks back on."""

    workshop_id: int
    earlier_id: int
    moved_action_id: int


def fill_followup(db: Session, *, workshop_id: int) -> FollowUp:
    """An earlier workshop with four actions; owners report on two of them in this follow-up."""
    follow_up = db.get(Workshop, workshop_id)
    assert follow_up is not None
    earlier = new_workshop(db, facilitator_id=follow_up.facilitator_id, key="doorbraak", title="Eerste doorbraak")
    actions = {
        title: Action(
            workshop_id=earlier,
            workspace_id=follow_up.workspace_id,
            title=title,
            owner_organisation=owner,
            owner_key=owner_key(owner),
            status=status,
            due_on=due,
        )
        for title, owner, status, due in (
            ("Huiskamer in de flat", "Woonstichting Thuis", "open", date(2026, 12, 1)),
            ("Wijkagent op het plein", "Politie", "bezig", None),
            ("Al klaar", "Gemeente", "klaar", None),
            ("Niemand meldt zich", "Buurtwerk", "open", None),
        )
    }
    db.add_all(actions.values())
    db.flush()
    review.set_review_source(db, workshop=follow_up, review_of=earlier)
    owner = _participant(db, workshop_id, "Wim", "Woonstichting Thuis")
    _at_step(db, workshop_id, "stand")
    moved = actions["Huiskamer in de flat"].id or 0
    review.report_progress(
        db,
        workshop_id=workshop_id,
        participant_id=owner,
        action_id=moved,
        status="bezig",
        note="Eerste gesprek gevoerd",
    )
    # a phone reports only on its own organisation's actions: the police report on theirs
    police = _participant(db, workshop_id, "Petra", "Politie")
    review.report_progress(
        db,
        workshop_id=workshop_id,
        participant_id=police,
        action_id=actions["Wijkagent op het plein"].id or 0,
        status="bezig",
        note=NOTE_INJECTION,
    )
    _at_step(db, workshop_id, "vastgelopen")
    _say(db, workshop_id, owner, "vastgelopen", "Een sleutel van het buurthuis")
    return FollowUp(workshop_id=workshop_id, earlier_id=earlier, moved_action_id=moved)
