"""The reminder pass: one row whose mails cannot be made keeps no other row's mails."""

import logging
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.actions import service as actions
from app.models import Participant, Workshop
from app.notify import mails, reminders
from app.notify.sender import MailSetup, reminder_pass
from tests.conftest import SECRET_KEY
from tests.notify.conftest import NOW, TODAY, Network, build_network, database, messages, sign_in, unmade


def test_one_row_that_cannot_be_made_keeps_the_other_workspaces_and_rows_reminders(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, browser: Any
) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    meeting_at = datetime.combine(TODAY + timedelta(days=2), datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)

    def more_due(tx: Any) -> str:
        here, there = tx.get(Workshop, network.workshop_id), tx.get(Workshop, network.other_workshop_id)
        here.followup_at = there.followup_at = meeting_at
        elsewhere = tx.get(Participant, network.people["other_workspace"]).workshop_id
        actions.save_action(
            tx, workshop_id=elsewhere, title="Buurtfeest", owner_organisation="Woonstichting", due_on=TODAY
        )
        return str(here.public_id)

    broken_public_id = db.write_sync(more_due)
    # one meeting fails while the pass reads what is due, one action while its mails are written
    real_event, real_reminder = reminders.followup_event, mails.action_reminder

    def event(workshop: Any, **rest: Any) -> Any:
        if workshop.public_id == broken_public_id:
            raise ValueError("Jeugdoverlast Noord")
        return real_event(workshop, **rest)

    def reminder(links: Any, *, action: Any, **rest: Any) -> Any:
        if action.id == network.action_id:
            raise ValueError("olga@woon.nl")
        return real_reminder(links, action=action, **rest)

    monkeypatch.setattr(reminders, "followup_event", event)
    monkeypatch.setattr(mails, "action_reminder", reminder)
    setup: MailSetup = client.app.state.mail
    run = partial(reminder_pass, db, setup, secret=SECRET_KEY, today=TODAY)
    with caplog.at_level(logging.ERROR, logger="doorbraak.mail"):
        assert client.portal.call(partial(run, now=NOW)) > 0

    queued = {(m.kind, m.recipient, m.workspace_id) for m in messages(db)}
    other_workspace = next(w for _, _, w in queued if w != network.workspace_id)
    assert ("action_reminder", "xavier@b.nl", other_workspace) in queued
    assert {("followup_reminder", "otto@woon.nl", network.workspace_id)} <= queued
    assert not any(m.kind == "action_reminder" and m.workspace_id == network.workspace_id for m in messages(db))
    assert all("olga" not in m.recipient for m in messages(db, kind="followup_reminder"))
    assert unmade(db) == {("meeting", network.workshop_id), ("action", network.action_id)}
    logged = [r.getMessage() for r in caplog.records if "could not be made" in r.getMessage()]
    assert len(logged) == 2
    assert f"action {network.action_id} (workspace {network.workspace_id})" in " ".join(logged)
    assert "ValueError" in " ".join(logged)
    assert not any("olga" in line or "Jeugdoverlast" in line for line in logged)

    # the next pass finds the same two: the log does not say it again, the page still does
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="doorbraak.mail"):
        client.portal.call(partial(run, now=NOW + timedelta(hours=1)))
    assert not [r for r in caplog.records if "could not be made" in r.getMessage()]
    boss = browser()
    sign_in(boss, "bea@a.nl")
    assert "konden 2 herinneringen of weekoverzichten niet gemaakt worden" in boss.get("/f/berichten").text
    stranger = browser()
    sign_in(stranger, "xander@b.nl")
    page = stranger.get("/f/berichten")
    assert page.status_code == 200 and "niet gemaakt worden" not in page.text
