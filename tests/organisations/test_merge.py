"""Merging a duplicate into an organisation: nothing is lost, nothing is doubled, the old names still find it."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.demo.driver import csrf_of
from app.models import Action, ActionChange, ActionPartner, Organisation, OrganisationName, Participant
from app.organisations import service as organisations
from tests.conftest import Facilitator
from tests.organisations.conftest import Office, add_action, form, organisations_of, workspace_of


def census(db: Session) -> dict[str, Any]:
    """Everything a merge must keep: participants, actions, partner places, and who points where."""
    return {
        "participants": db.execute(select(func.count()).select_from(Participant)).scalar_one(),
        "actions": db.execute(select(func.count()).select_from(Action)).scalar_one(),
        "partners": db.execute(select(func.count()).select_from(ActionPartner)).scalar_one(),
        "people": sorted(db.execute(select(col(Participant.name), col(Participant.organisation))).all()),
        "owners": dict(db.execute(select(col(Action.title), col(Action.owner_organisation))).all()),
        "partner_names": sorted(
            db.execute(
                select(col(Action.title), col(ActionPartner.organisation)).join(
                    Action, col(Action.id) == col(ActionPartner.action_id)
                )
            ).all()
        ),
    }


@pytest.fixture
def duplicate(app: FastAPI, office: Office, join: Callable[..., Any]) -> dict[str, Any]:
    """A confirmed Gemeente Heerlen, and "Gemeente Hrln" typed by phones and used on actions in every way."""
    form(
        office.beheerder, "/f/organisaties", {"name": "Gemeente Heerlen", "short_name": "GH", "aliases": "Gem Heerlen"}
    )
    workshop = office.beheerder.create_workshop()
    join(workshop, "Ali", "Gemeente Hrln")
    join(workshop, "Bea", "gemeente hrln")
    join(workshop, "Cas", "Gemeente Heerlen")
    join(workshop, "Dirk", "Politie")
    add_action(office.beheerder, workshop.id, "Gemeente Hrln", ["GH", "Woonstichting"], title="eigenaar en partner")
    add_action(office.beheerder, workshop.id, "Politie", ["Gemeente Hrln", "Gemeente Heerlen"], title="twee partners")
    add_action(office.beheerder, workshop.id, "Politie", ["Woonstichting", "Gemeente Hrln"], title="een partner")
    add_action(office.beheerder, workshop.id, "Gemeente Hrln", title="alleen eigenaar")
    add_action(office.beheerder, workshop.id, "Politie", ["Woonstichting"], title="niets mee te maken")
    by_name = organisations_of(app, office.workspace_id)
    return {"workshop": workshop, "source": by_name["Gemeente Hrln"], "target": by_name["Gemeente Heerlen"]}


def test_merging_moves_everything_and_keeps_the_target_once_per_action(
    app: FastAPI, office: Office, duplicate: dict[str, Any]
) -> None:
    db = app.state.runtime.db
    source, target = duplicate["source"], duplicate["target"]
    before = db.read_sync(census)
    response = form(office.beheerder, f"/f/organisaties/{source.id}/samenvoegen", {"into": str(target.id)})
    assert response.status_code == 303
    notice = "Samengevoegd met Gemeente Heerlen. Meegegaan: deelnemers 2 · eigenaar van acties 2 · partner in acties 2."
    assert notice in office.beheerder.http.get(response.headers["location"]).text
    after = db.read_sync(census)

    # nobody and no action lost; two partner places were doubles of the target and went
    assert (after["participants"], after["actions"]) == (before["participants"], before["actions"])
    assert after["partners"] == before["partners"] - 2
    assert after["people"] == [
        ("Ali", "Gemeente Heerlen"),
        ("Bea", "Gemeente Heerlen"),
        ("Cas", "Gemeente Heerlen"),
        ("Dirk", "Politie"),
    ]
    assert after["owners"] == {
        "eigenaar en partner": "Gemeente Heerlen",
        "twee partners": "Politie",
        "een partner": "Politie",
        "alleen eigenaar": "Gemeente Heerlen",
        "niets mee te maken": "Politie",
    }
    assert after["partner_names"] == [
        ("een partner", "Gemeente Heerlen"),
        ("een partner", "Woonstichting"),
        ("eigenaar en partner", "Woonstichting"),
        ("niets mee te maken", "Woonstichting"),
        ("twee partners", "Gemeente Heerlen"),
    ]

    def pointers(db: Session) -> tuple[set[Any], ...]:
        return (
            set(db.execute(select(col(Participant.organisation_id))).scalars()),
            set(db.execute(select(col(Action.owner_organisation_id))).scalars()),
            set(db.execute(select(col(ActionPartner.organisation_id))).scalars()),
            set(db.execute(select(col(OrganisationName.organisation_id))).scalars()),
        )

    for ids in db.read_sync(pointers):
        assert source.id not in ids
    assert db.read_sync(lambda s: s.get(Organisation, source.id)) is None


def test_the_duplicates_names_find_the_target_from_now_on(
    app: FastAPI, office: Office, duplicate: dict[str, Any], join: Callable[..., Any]
) -> None:
    source, target = duplicate["source"], duplicate["target"]
    form(office.beheerder, f"/f/organisaties/{source.id}/samenvoegen", {"into": str(target.id)})
    merged = organisations_of(app, office.workspace_id)["Gemeente Heerlen"]
    assert (merged.id, merged.short_name, merged.aliases, merged.confirmed) == (
        target.id,
        "GH",
        ["Gem Heerlen", "Gemeente Hrln"],
        True,
    )
    join(duplicate["workshop"], "Eva", "GEMEENTE HRLN")
    assert "Gemeente Hrln" not in organisations_of(app, office.workspace_id)
    found = app.state.runtime.db.read_sync(
        lambda db: organisations.find_organisation(db, workspace_id=office.workspace_id, name="gemeente hrln")
    )
    assert found.id == target.id


def test_every_changed_action_gets_its_history(app: FastAPI, office: Office, duplicate: dict[str, Any]) -> None:
    source, target = duplicate["source"], duplicate["target"]
    form(office.beheerder, f"/f/organisaties/{source.id}/samenvoegen", {"into": str(target.id)})

    def history(db: Session) -> list[tuple[Any, ...]]:
        return list(
            db.execute(
                select(col(Action.title), col(ActionChange.kind), col(ActionChange.before), col(ActionChange.after))
                .join(Action, col(Action.id) == col(ActionChange.action_id))
                .where(col(ActionChange.kind) != "created")
                .order_by(col(ActionChange.id))
            ).all()
        )

    assert app.state.runtime.db.read_sync(history) == [
        ("eigenaar en partner", "owner", "Gemeente Hrln", "Gemeente Heerlen"),
        ("eigenaar en partner", "partners", "Gemeente Heerlen, Woonstichting", "Woonstichting"),
        ("twee partners", "partners", "Gemeente Hrln, Gemeente Heerlen", "Gemeente Heerlen"),
        ("een partner", "partners", "Woonstichting, Gemeente Hrln", "Woonstichting, Gemeente Heerlen"),
        ("alleen eigenaar", "owner", "Gemeente Hrln", "Gemeente Heerlen"),
    ]


def test_the_exports_then_show_one_name(office: Office, duplicate: dict[str, Any]) -> None:
    workshop, source, target = duplicate["workshop"], duplicate["source"], duplicate["target"]
    csv_before = office.beheerder.http.get(f"/f/workshops/{workshop.id}/export/actions.csv").text
    assert "Gemeente Hrln" in csv_before
    form(office.beheerder, f"/f/organisaties/{source.id}/samenvoegen", {"into": str(target.id)})
    for name in ("actions.csv", "besluitenlijst.md"):
        exported = office.beheerder.http.get(f"/f/workshops/{workshop.id}/export/{name}").text
        assert "Gemeente Hrln" not in exported
        assert "Gemeente Heerlen" in exported
    page = office.beheerder.http.get(f"/f/workshops/{workshop.id}/besluitenlijst").text
    assert "Gemeente Hrln" not in page


def test_refused_merges_say_why_and_change_nothing(
    app: FastAPI, office: Office, duplicate: dict[str, Any], other_facilitator: Facilitator
) -> None:
    source, target = duplicate["source"], duplicate["target"]
    form(other_facilitator, "/f/organisaties", {"name": "Elders"})
    (elsewhere,) = organisations_of(app, workspace_of(app, other_facilitator.email)).values()
    db = app.state.runtime.db
    before = db.read_sync(census)
    cases = [
        (source.id, str(source.id), 422, "kan niet met zichzelf samengaan"),
        (source.id, "9999", 404, "De organisatie om mee samen te voegen bestaat niet."),
        (source.id, str(elsewhere.id), 404, "De organisatie om mee samen te voegen bestaat niet."),
        (elsewhere.id, str(target.id), 404, "Deze organisatie bestaat niet."),
        (9999, str(target.id), 404, "Deze organisatie bestaat niet."),
        (source.id, "nee", 422, "into"),
        (source.id, "", 422, "into"),
    ]
    for organisation_id, into, status, says in cases:
        response = form(office.beheerder, f"/f/organisaties/{organisation_id}/samenvoegen", {"into": into})
        assert (response.status_code, says in response.text) == (status, True), (organisation_id, into)
    # the other workspace cannot merge ours into theirs, nor theirs into ours
    response = form(other_facilitator, f"/f/organisaties/{elsewhere.id}/samenvoegen", {"into": str(target.id)})
    assert response.status_code == 404
    assert db.read_sync(census) == before
    assert {"Gemeente Hrln", "Gemeente Heerlen"} <= set(organisations_of(app, office.workspace_id))


def test_signed_out_cannot_merge(app: FastAPI, office: Office, duplicate: dict[str, Any], browser: Any) -> None:
    stranger = browser()
    page = stranger.get("/")
    response = stranger.post(
        f"/f/organisaties/{duplicate['source'].id}/samenvoegen",
        data={"csrf": csrf_of(page.text), "into": str(duplicate["target"].id)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/f/login")
    assert "Gemeente Hrln" in organisations_of(app, office.workspace_id)
