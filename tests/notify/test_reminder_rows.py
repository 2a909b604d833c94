"""The reminder pass on SQLite and PostgreSQL: a database error in one row's block rolls back that row alone, so
the rows after it are still made (on PostgreSQL an error aborts the whole transaction otherwise)."""

from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from app.config import Settings
from app.main import create_app
from app.models import Workshop
from app.notify import mails
from app.notify.sender import MailSetup, reminder_pass
from tests.conftest import SECRET_KEY, migrated_copy
from tests.notify.conftest import NOW, TODAY, Network, build_network, database, messages, sign_in, unmade
from tests.test_postgres import PG_URL, postgres_settings


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path, migrated_template: Path) -> Settings:
    """Settings for a fresh database on SQLite, then on the test PostgreSQL."""
    if request.param == "sqlite":
        return migrated_copy(migrated_template, Settings(data_dir=tmp_path, environment="test", secret_key=SECRET_KEY))
    if not PG_URL:
        pytest.skip("DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    return postgres_settings(tmp_path).model_copy(update={"secret_key": SECRET_KEY})


def test_a_database_error_in_one_meetings_block_keeps_the_meetings_after_it(client: TestClient) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    meeting_at = datetime.combine(TODAY + timedelta(days=2), datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)

    def both_meet(tx: Any) -> None:
        for workshop_id in (network.workshop_id, network.other_workshop_id):
            tx.get(Workshop, workshop_id).followup_at = meeting_at

    db.write_sync(both_meet)
    broken = network.workshop_id
    assert broken < network.other_workshop_id  # the broken meeting's block runs first

    def fail_on_the_broken_meeting(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        # a real error of the database, in the transaction the pass reads in, while the broken meeting's people
        # are read
        values = parameters.values() if isinstance(parameters, dict) else parameters
        if "participant.workshop_id =" in statement and broken in values:
            cursor.execute("SELECT * FROM no_such_table")

    event.listen(db.read_engine, "before_cursor_execute", fail_on_the_broken_meeting)
    try:
        setup: MailSetup = client.app.state.mail
        client.portal.call(partial(reminder_pass, db, setup, secret=SECRET_KEY, today=TODAY, now=NOW))
    finally:
        event.remove(db.read_engine, "before_cursor_execute", fail_on_the_broken_meeting)

    assert unmade(db) == {("meeting", broken)}
    followups = {(m.recipient, m.workspace_id) for m in messages(db, kind="followup_reminder")}
    assert ("otto@woon.nl", network.workspace_id) in followups
    assert ("olga@woon.nl", network.workspace_id) not in followups
    assert messages(db, kind="action_reminder")


def test_every_worker_shows_what_the_latest_pass_could_not_make_until_it_is_made_again(
    client: TestClient, settings: Settings, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = database(client)
    network: Network = db.write_sync(build_network)
    real_reminder = mails.action_reminder

    def reminder(links: Any, *, action: Any, **rest: Any) -> Any:
        if action.id == network.action_id:
            raise ValueError("olga@woon.nl")
        return real_reminder(links, action=action, **rest)

    monkeypatch.setattr(mails, "action_reminder", reminder)
    # a second worker: its own app, process memory and event loop on the same database
    with TestClient(create_app(settings)) as other:
        run = partial(reminder_pass, db, client.app.state.mail, secret=SECRET_KEY, today=TODAY)
        client.portal.call(partial(run, now=NOW))
        assert unmade(db) == {("action", network.action_id)}
        sign_in(other, "bea@a.nl")
        alert = "kon 1 herinnering of weekoverzicht niet gemaakt worden"
        assert alert in other.get("/f/berichten").text
        boss = browser()
        sign_in(boss, "bea@a.nl")
        assert alert in boss.get("/f/berichten").text
        stranger = browser()
        sign_in(stranger, "xander@b.nl")
        assert "niet gemaakt worden" not in stranger.get("/f/berichten").text

        # mended, the other worker's pass makes it: gone from both workers' pages
        monkeypatch.setattr(mails, "action_reminder", real_reminder)
        later = partial(reminder_pass, database(other), other.app.state.mail, secret=SECRET_KEY, today=TODAY)
        other.portal.call(partial(later, now=NOW + timedelta(hours=1)))
        assert unmade(db) == set()
        assert "niet gemaakt worden" not in other.get("/f/berichten").text
        assert "niet gemaakt worden" not in boss.get("/f/berichten").text
        assert any(m.kind == "action_reminder" and m.workspace_id == network.workspace_id for m in messages(db))
