"""Answers through the plain form (no script), cleaning, and one-answer steps."""

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts import service as accounts
from app.answers import service as answers
from app.catalog.service import formats
from app.errors import DomainError
from app.models import Answer
from app.running import service as running
from app.store.database import Database
from app.workshops import service as workshops
from tests.conftest import Facilitator, Workshop, csrf_of
from tests.rooms import staff_of


def post_answer(phone: Any, workshop: Workshop, text: str, client_id: str, step: str = "obstacles") -> Any:
    token = csrf_of(phone.http.get(f"/j/{workshop.code}").text)
    return phone.http.post(
        f"/j/{workshop.code}/answers",
        data={"csrf": token, "client_id": client_id, "step": step, "text": text},
        follow_redirects=False,
    )


def board_answers(facilitator: Facilitator, workshop: Workshop) -> list[dict[str, Any]]:
    with facilitator.http.websocket_connect(f"/ws/board/{workshop.id}") as board:
        return board.receive_json()["answers"]  # type: ignore[no-any-return]


def test_plain_form_answer_is_stored_once_even_when_resent(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop)
    facilitator.step(workshop, "next")
    page = phone.http.get(f"/j/{workshop.code}").text
    assert 'action="/j/' in page and 'name="client_id"' in page  # the form works without the script
    client_id = str(uuid.uuid4())
    first = post_answer(phone, workshop, "Geen tijd", client_id)
    again = post_answer(phone, workshop, "Geen tijd", client_id)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"].endswith("?sent=1")
    assert [a["text"] for a in board_answers(facilitator, workshop)] == ["Geen tijd"]
    assert "Ontvangen" in phone.http.get(first.headers["location"]).text


def test_plain_form_errors_are_pages_with_the_reason(facilitator: Facilitator, workshop: Workshop, join: Any) -> None:
    phone = join(workshop)
    response = post_answer(phone, workshop, "te vroeg", str(uuid.uuid4()))
    assert response.status_code == 409 and "Deze vraag is gesloten" in response.text
    facilitator.step(workshop, "next")
    response = post_answer(phone, workshop, "x" * 500, str(uuid.uuid4()))
    assert response.status_code == 422 and "maximaal 200 tekens" in response.text
    response = post_answer(phone, workshop, "ok", "geen-uuid")
    assert response.status_code == 422 and "client_id" in response.text
    assert board_answers(facilitator, workshop) == []


def test_stored_answers_are_cleaned_of_invisible_characters(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop)
    facilitator.step(workshop, "next")
    post_answer(phone, workshop, "  Wacht\u200blijst \u202egnol\u202c  ", str(uuid.uuid4()))
    assert [a["text"] for a in board_answers(facilitator, workshop)] == ["Wachtlijst gnol"]


def test_a_client_id_used_by_someone_else_is_not_their_answer(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    alice, mallory = join(workshop, name="Alice"), join(workshop, name="Mallory")
    facilitator.step(workshop, "next")
    client_id = str(uuid.uuid4())
    assert post_answer(alice, workshop, "van Alice", client_id).status_code == 303
    response = post_answer(mallory, workshop, "overschrijven", client_id)
    assert response.status_code == 409
    assert [a["text"] for a in board_answers(facilitator, workshop)] == ["van Alice"]


def test_plain_form_answers_are_rate_limited(
    frozen_clock: None, facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    phone = join(workshop)
    facilitator.step(workshop, "next")
    statuses = [post_answer(phone, workshop, f"nr {n}", str(uuid.uuid4())).status_code for n in range(12)]
    assert statuses.count(303) == 10 and statuses[-1] == 429


@pytest.fixture
def database(tmp_path: Path) -> Any:
    """A database used synchronously, as services see it."""
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    db.migrate()
    yield db
    db.close()


def test_single_answer_steps_refuse_a_second_answer(database: Database) -> None:
    spec = formats()["doorbraak"].model_copy(deep=True)
    spec.steps[1].multiple = False

    def setup(db: Any) -> tuple[int, int]:
        owner = accounts.create_facilitator(db, email="a@b.nl", name="A", password="x" * 12)
        workshop = running.create_workshop(
            db, facilitator_id=owner.id, title="T", opgave="O", held_on=date.today(), spec=spec, allow_anonymous=False
        )
        workshops.join_workshop(db, workshop_id=workshop.id, name="P", organisation="O", anonymous=False)
        running.move_step(db, workshop_id=workshop.id, member=staff_of(db, workshop.id), to="next")
        return workshop.id, 1

    workshop_id, participant_id = database.write_sync(setup)

    def submit(text: str, client_id: str) -> answers.Ack:
        return database.write_sync(
            lambda db: answers.submit_answer(
                db,
                workshop_id=workshop_id,
                participant_id=participant_id,
                step_id="obstacles",
                text=text,
                client_id=client_id,
            )
        )

    submit("eerste", "00000000-0000-4000-8000-000000000001")
    with pytest.raises(DomainError) as refused:
        submit("tweede", "00000000-0000-4000-8000-000000000002")
    assert refused.value.code == "already_answered"
    stored = database.read_sync(lambda db: [a.text for a in db.execute(select(Answer)).scalars()])
    assert stored == ["eerste"]
