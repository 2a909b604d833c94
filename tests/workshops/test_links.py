"""Personal and projector links: derived from the row with the secret key, never stored, and refused when forged."""

from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import WebSocketDenialResponse

from app import security
from app.models import Participant, Workshop
from app.workshops import service as workshops
from tests.conftest import SECRET_KEY, Facilitator, Phone
from tests.conftest import Workshop as CreatedWorkshop
from tests.exports.test_personal import personal_link


def _db(facilitator: Facilitator) -> Any:
    app: Any = facilitator.http.app
    return app.state.runtime.db


def _rows(facilitator: Facilitator, model: Any) -> list[str]:
    """Every value of every row of a table, as text."""
    table = model.__table__
    values: list[str] = _db(facilitator).read_sync(
        lambda tx: [str(value) for row in tx.execute(select(table)).all() for value in row]
    )
    return values


def _link_of(phone: Phone) -> str:
    return personal_link(phone).removeprefix("/m/")


def _altered(token: str) -> str:
    """The token with its last character changed."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def test_neither_table_holds_a_link_in_plain_text(
    facilitator: Facilitator, workshop: CreatedWorkshop, join: Any
) -> None:
    link = _link_of(join(workshop))
    projector = workshop.projector_token
    assert facilitator.http.get(f"/p/{projector}").status_code == 200
    stored = _rows(facilitator, Participant) + _rows(facilitator, Workshop)
    for token in (link, projector):
        secret_part = token.split(".")[-1]
        assert not any(secret_part in value for value in stored), token


def test_the_links_are_derived_from_the_id_and_differ_per_row(
    facilitator: Facilitator, workshop: CreatedWorkshop, join: Any
) -> None:
    first, second = _link_of(join(workshop)), _link_of(join(workshop, name="Bo"))
    other = facilitator.create_workshop(title="Tweede")
    assert first != second and workshop.projector_token != other.projector_token
    for token in (first, second, workshop.projector_token, other.projector_token):
        row_id, mac = token.split(".")
        assert row_id.isdigit() and len(mac) == 32  # 192 bits of HMAC
    assert workshop.projector_token.split(".")[0] == str(workshop.id)


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(_altered, id="altered"),
        pytest.param(lambda token: token.split(".")[0] + "." + "A" * 32, id="forged-mac"),
        pytest.param(lambda token: "999999." + token.split(".")[1], id="other-id"),
        pytest.param(lambda token: "0" + token, id="leading-zero"),
        pytest.param(lambda token: token + "A", id="longer"),
        pytest.param(lambda token: token.replace(".", ""), id="no-dot"),
        pytest.param(lambda token: "99999999999999999999." + "A" * 32, id="huge-id"),
        pytest.param(lambda token: token[:-1] + "é", id="not-ascii"),
        pytest.param(lambda token: "x" * 5000, id="very-long"),
        pytest.param(lambda token: token.split(".")[0] + ".", id="no-mac"),
        pytest.param(lambda token: "." + token.split(".")[1], id="no-id"),
    ],
)
def test_a_forged_or_altered_link_is_unknown(
    facilitator: Facilitator, workshop: CreatedWorkshop, join: Any, browser: Any, forge: Any
) -> None:
    link = _link_of(join(workshop))
    visitor = browser()
    assert visitor.get(f"/m/{link}").status_code == 200
    assert visitor.get(f"/p/{workshop.projector_token}").status_code == 200
    bad_link, bad_projector = forge(link), forge(workshop.projector_token)
    assert visitor.get(f"/m/{bad_link}").status_code == 404
    assert visitor.get(f"/m/{bad_link}/gegevens.json").status_code == 404
    assert visitor.get(f"/p/{bad_projector}").status_code == 404
    assert visitor.get(f"/p/{bad_projector}/words", params={"step": "obstacles"}).status_code == 404
    with pytest.raises(WebSocketDenialResponse) as refused, visitor.websocket_connect(f"/ws/projector/{bad_projector}"):
        pass
    assert refused.value.status_code == 404


def test_a_link_of_one_kind_never_opens_the_other(
    facilitator: Facilitator, workshop: CreatedWorkshop, join: Any, browser: Any
) -> None:
    link = _link_of(join(workshop))
    db = _db(facilitator)
    # the participant's and the workshop's rows share an id: only the kind tells their tokens apart
    shared = db.read_sync(lambda tx: tx.get(Workshop, workshop.id).id == tx.execute(select(Participant.id)).scalar())
    assert shared and link.split(".")[0] == workshop.projector_token.split(".")[0]
    visitor = browser()
    assert visitor.get(f"/p/{link}").status_code == 404
    assert visitor.get(f"/m/{workshop.projector_token}").status_code == 404
    with pytest.raises(WebSocketDenialResponse) as refused, visitor.websocket_connect(f"/ws/projector/{link}"):
        pass
    assert refused.value.status_code == 404


def test_a_link_made_with_another_secret_key_is_unknown(
    facilitator: Facilitator, workshop: CreatedWorkshop, join: Any, browser: Any
) -> None:
    link = _link_of(join(workshop))
    db = _db(facilitator)
    participant = db.read_sync(lambda tx: tx.execute(select(Participant)).scalar_one())
    made = db.read_sync(lambda tx: tx.get(Workshop, workshop.id))
    assert workshops.link_token(participant, secret=SECRET_KEY) == link
    assert workshops.projector_token(made, secret=SECRET_KEY) == workshop.projector_token
    other_secret = "o" * 40
    assert browser().get(f"/m/{workshops.link_token(participant, secret=other_secret)}").status_code == 404
    assert browser().get(f"/p/{workshops.projector_token(made, secret=other_secret)}").status_code == 404


def test_the_projector_socket_opens_with_its_link(facilitator: Facilitator, workshop: CreatedWorkshop) -> None:
    with facilitator.http.websocket_connect(f"/ws/projector/{workshop.projector_token}") as projector:
        assert projector.receive_json()["type"] == "snapshot"


def test_a_new_salt_ends_the_link(facilitator: Facilitator, workshop: CreatedWorkshop, join: Any, browser: Any) -> None:
    link = _link_of(join(workshop))
    db = _db(facilitator)

    def rotate(tx: Any) -> None:
        tx.execute(select(Participant)).scalar_one().link_salt = security.new_salt()

    db.write_sync(rotate)
    assert browser().get(f"/m/{link}").status_code == 404
