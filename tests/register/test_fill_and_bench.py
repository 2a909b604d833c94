"""`doorbraak fill-register` at a small scale, and `doorbraak bench register` at a tiny one (no timing asserts)."""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.cli import main
from app.config import Settings
from app.demo.driver import csrf_of
from app.main import create_app
from app.models import (
    ACTION_STATUSES,
    Action,
    ActionChange,
    ActionPartner,
    Organisation,
    Participant,
    Volunteer,
    Workshop,
    local_today,
)
from app.store.database import Database


def test_fill_register_writes_what_it_was_asked_for(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'filled.db'}"
    main(["fill-register", "--workshops", "20", "--actions", "500", "--history", "1500", "--organisations", "30",
          "--database-url", url])  # fmt: skip
    out = capsys.readouterr().out
    filled = re.search(r"filled workspace (\d+)", out)
    signed = re.search(r"sign in as (\S+) with password (\S+),", out)
    assert filled is not None and signed is not None, out
    workspace_id = int(filled.group(1))
    email, password = signed.groups()
    db = Database(url)

    def check(session: Session) -> dict[str, int]:
        def count(model: Any, *where: Any) -> int:
            found: int = session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
            return found

        in_workspace = col(Action.workspace_id) == workspace_id
        actions = session.execute(select(Action).where(in_workspace)).scalars().all()
        organisations = set(
            session.execute(
                select(col(Organisation.id)).where(col(Organisation.workspace_id) == workspace_id)
            ).scalars()
        )
        assert {a.owner_organisation_id for a in actions} <= organisations
        assert {a.status for a in actions} == set(ACTION_STATUSES)
        today = local_today()
        dated = [a.due_on for a in actions if a.due_on]
        assert min(dated) < today < max(dated)  # due dates around today
        assert all(abs((d - today).days) <= 200 for d in dated)
        # partners are other organisations of the network; volunteers were in the action's workshop
        for action_id, organisation_id in session.execute(
            select(col(ActionPartner.action_id), col(ActionPartner.organisation_id))
        ):
            owner = next(a.owner_organisation_id for a in actions if a.id == action_id)
            assert organisation_id in organisations and organisation_id != owner
        for workshop_of_action, workshop_of_person in session.execute(
            select(col(Action.workshop_id), col(Participant.workshop_id))
            .join(Volunteer, col(Volunteer.action_id) == col(Action.id))
            .join(Participant, col(Participant.id) == col(Volunteer.participant_id))
        ):
            assert workshop_of_action == workshop_of_person
        # a closed workshop stands at its closing step, as one closed on its board does; an open one at its start
        for workshop in session.execute(select(Workshop).where(col(Workshop.workspace_id) == workspace_id)).scalars():
            closing = len(workshop.steps) - 1
            assert workshop.step_index == (closing if workshop.closed_at else 0)
            assert workshop.steps[closing]["type"] == "close"
        # an action's last change is its newest history entry
        last = select(col(ActionChange.action_id), func.max(col(ActionChange.at))).group_by(col(ActionChange.action_id))
        newest = {i: at.replace(tzinfo=UTC) for i, at in session.execute(last)}
        for action in actions:
            assert abs(action.updated_at - newest[action.id or 0]) < timedelta(seconds=1)
            assert action.updated_at <= datetime.now(UTC)
        return {
            "actions": len(actions),
            "workshops": count(Workshop, col(Workshop.workspace_id) == workspace_id),
            "organisations": len(organisations),
            "history": count(ActionChange),
            "partners": count(ActionPartner),
            "volunteers": count(Volunteer),
            "deleted": sum(1 for a in actions if a.deleted_at is not None),
        }

    counts = db.read_sync(check)
    db.close()
    assert counts["actions"] == 500 and counts["workshops"] == 20 and counts["organisations"] == 30
    assert counts["history"] == 1500
    assert counts["partners"] > 0 and counts["volunteers"] > 0

    # the account it prints signs in and sees the workspace's register
    settings = Settings(data_dir=tmp_path / "data", database_url=url, environment="test", secret_key="f" * 40)
    with TestClient(create_app(settings)) as http:
        page = http.get("/f/login")
        http.post("/f/login", data={"csrf": csrf_of(page.text), "email": email, "password": password})
        register = http.get("/f/register")
        assert f"{500 - counts['deleted']} afspraken" in register.text
        assert "pagina 1 van" in register.text


def test_bench_register_runs_at_a_tiny_scale(capsys: pytest.CaptureFixture[str]) -> None:
    main(["bench", "register", "--workshops", "4", "--actions", "60", "--history", "150", "--organisations", "6",
          "--requests", "2", "--json"])  # fmt: skip
    output = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(output[-1])
    assert figures["database"] == "sqlite"
    assert figures["filled_actions"] == 60 and figures["filled_history"] == 150
    assert set(figures["filters"]) == {"one organisation", "overdue", "status + theme", "text search", "changed since"}
    for name, f in figures["filters"].items():
        assert f["rows"] >= 0, name
        for kind in ("page", "csv"):
            assert 0 < f[f"{kind}_p50_ms"] <= f[f"{kind}_p95_ms"], name
    assert set(figures["sorts"]) == {"all by due date", "all by organisation", "all by status"}
    for name, f in figures["sorts"].items():
        assert 0 < f["page_p50_ms"] <= f["page_p95_ms"], name
    assert figures["requests_per_filter"] == 2
    assert any(line.startswith("all filters") for line in output)
    assert any(line.startswith("all by organisation") for line in output)
