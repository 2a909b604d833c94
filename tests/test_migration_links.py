"""Migration 0010 stops storing personal and projector links; the links handed out before keep working, on SQLite and
PostgreSQL."""

import json
import os
import secrets
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.models import Participant, Workshop
from app.store.database import ROOT, Database
from app.workshops import service as workshops
from tests.test_migration_workspaces import fill_before_workspaces

SECRET = "m" * 40


def _links_handed_out(url: str) -> tuple[str, str, int, int]:
    """A workshop and participant stored at 0009 with tokens as new_token made them: (projector, personal, ids)."""
    projector, personal = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    engine = sa.create_engine(url)
    with engine.begin() as c:
        workshop_id = c.execute(sa.text("SELECT min(id) FROM workshop")).scalar_one()
        participant_id = c.execute(
            sa.text("SELECT min(id) FROM participant WHERE workshop_id = :w"), {"w": workshop_id}
        ).scalar_one()
        c.execute(
            sa.text("UPDATE workshop SET projector_token = :t, steps = :s WHERE id = :w"),
            {"t": projector, "s": json.dumps([{"id": "lobby", "type": "lobby", "title": "Welkom"}]), "w": workshop_id},
        )
        c.execute(sa.text("UPDATE participant SET link_token = :t WHERE id = :p"), {"t": personal, "p": participant_id})
    engine.dispose()
    return projector, personal, workshop_id, participant_id


def check_old_links_survive(db: Database, settings: Settings) -> None:
    """Fill, stop at 0009, hand out links, migrate to the newest revision, and open the links in the app."""
    db.migrate("0005")
    fill_before_workspaces(db.url)
    db.migrate("0009")
    projector, personal, workshop_id, participant_id = _links_handed_out(db.url)
    db.migrate()
    with db.write_engine.connect() as c:
        columns = {
            table: {col["name"] for col in sa.inspect(c).get_columns(table)} for table in ("workshop", "participant")
        }
        assert "projector_token" not in columns["workshop"] and "link_token" not in columns["participant"]
        stored = [
            str(value)
            for table in ("workshop", "participant")
            for row in c.execute(sa.text(f"SELECT * FROM {table}")).all()
            for value in row
        ]
        salts = [salt for (salt,) in c.execute(sa.text("SELECT link_salt FROM participant")).all()]
    assert not any(projector in value or personal in value for value in stored)
    assert all(salts) and len(set(salts)) == len(salts)  # a random salt for every row
    with TestClient(create_app(settings)) as http:
        assert http.get(f"/m/{personal}").status_code == 200
        assert http.get(f"/p/{projector}").status_code == 200
        with http.websocket_connect(f"/ws/projector/{projector}") as screen:
            assert screen.receive_json()["type"] == "snapshot"
        # the app now shows the derived links; they work beside the old ones
        app: Any = http.app
        runtime = app.state.runtime
        participant = runtime.db.read_sync(lambda tx: tx.get(Participant, participant_id))
        workshop = runtime.db.read_sync(lambda tx: tx.get(Workshop, workshop_id))
        assert http.get(f"/m/{workshops.link_token(participant, secret=SECRET)}").status_code == 200
        assert http.get(f"/p/{workshops.projector_token(workshop, secret=SECRET)}").status_code == 200
        # an old link of one kind opens nothing of the other, and a made-up one nothing at all
        assert http.get(f"/p/{personal}").status_code == 404
        assert http.get(f"/m/{projector}").status_code == 404
        assert http.get(f"/m/{secrets.token_urlsafe(24)}").status_code == 404


def test_links_from_before_0010_keep_working_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    check_old_links_survive(db, Settings(data_dir=tmp_path, environment="test", secret_key=SECRET, database_url=url))
    db.close()


def test_going_back_to_0009_gives_every_row_a_new_plain_token(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    db.migrate("0005")
    fill_before_workspaces(url)
    db.migrate()
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    command.downgrade(config, "0009")
    with db.write_engine.connect() as c:
        links = [token for (token,) in c.execute(sa.text("SELECT link_token FROM participant")).all()]
        projectors = [token for (token,) in c.execute(sa.text("SELECT projector_token FROM workshop")).all()]
    for tokens in (links, projectors):
        assert tokens and all(len(token) >= 32 for token in tokens) and len(set(tokens)) == len(tokens)
    db.migrate()  # and up again
    db.close()


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("DOORBRAAK_TEST_DATABASE_URL"),
    reason="DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped",
)
def test_links_from_before_0010_keep_working_on_postgresql(tmp_path: Path) -> None:
    from tests.test_postgres import reset_schema

    url = os.environ["DOORBRAAK_TEST_DATABASE_URL"]
    reset_schema()
    db = Database(url)
    try:
        check_old_links_survive(
            db, Settings(data_dir=tmp_path, environment="test", secret_key=SECRET, database_url=url)
        )
    finally:
        db.close()
        reset_schema()
