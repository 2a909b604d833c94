"""A name or title stored with a line break (before names were one line) is still confirmed by typing it on one."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.errors import DomainError
from app.models import Participant, Workshop
from app.privacy import service as privacy
from tests.notify.conftest import Network, build_network, database


def test_a_participant_whose_stored_name_has_a_line_break_can_be_forgotten(client: TestClient) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    olga = network.people["owner"]
    db.write_sync(lambda tx: setattr(tx.get(Participant, olga), "name", "Olga\nde  Vries"))

    def forget(typed: str) -> Any:
        return lambda tx: privacy.forget_on_request(tx, participant=tx.get(Participant, olga), typed=typed)

    with pytest.raises(DomainError):
        db.write_sync(forget("Olga de Wit"))
    # a form's field holds one line: what the page shows is what the member types
    db.write_sync(forget("olga de vries"))
    assert db.read_sync(lambda tx: tx.get(Participant, olga).name) != "Olga\nde  Vries"


def test_a_workshop_whose_stored_title_has_a_line_break_can_be_deleted(client: TestClient) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    db.write_sync(lambda tx: setattr(tx.get(Workshop, network.workshop_id), "title", "Jeugdoverlast\r\nNoord"))

    def delete(tx: Any) -> None:
        privacy.delete_workshop(tx, workshop=tx.get(Workshop, network.workshop_id), typed_title="Jeugdoverlast Noord")

    db.write_sync(delete)
    assert db.read_sync(lambda tx: tx.get(Workshop, network.workshop_id)) is None
