"""PostgreSQL cutting the server's connections, or taking none for a while: a read is done again, a page says so."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.testclient import TestClient, WebSocketDenialResponse

from app.config import Settings
from app.models import Workshop
from app.store.database import Database, normalise_url, unreachable
from tests.conftest import Phone
from tests.test_postgres import ON_POSTGRES, PG_URL, postgres_settings

pytestmark = ON_POSTGRES


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on the emptied test PostgreSQL database."""
    return postgres_settings(tmp_path)


@contextmanager
def postgres_taking_no_connections() -> Iterator[None]:
    """The test database refuses new connections and its open ones are cut, as while PostgreSQL restarts; only this
    database's connections are touched, and it takes connections again afterwards."""
    url = make_url(normalise_url(PG_URL or ""))
    # from the server's maintenance database: PostgreSQL refuses to shut the database one is connected to
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as admin:
        quoted = admin.dialect.identifier_preparer.quote(url.database or "")
        admin.execute(text(f"ALTER DATABASE {quoted} ALLOW_CONNECTIONS false"))
        try:
            admin.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": url.database},
            )
            yield
        finally:
            admin.execute(text(f"ALTER DATABASE {quoted} ALLOW_CONNECTIONS true"))
    engine.dispose()


def test_a_read_whose_connection_is_cut_midway_is_read_again_on_a_fresh_one(settings: Settings) -> None:
    db = Database(settings.resolved_database_url())
    db.migrate()
    tries: list[int] = []

    def cut_once(session: Session) -> int:
        backend = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        tries.append(backend)
        if len(tries) == 1:
            # as an operator's pg_terminate_backend, a failover or an idle timeout cuts it while a page reads
            session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return int(session.execute(text("SELECT count(*) FROM workshop")).scalar_one())

    try:
        assert db.read_sync(cut_once) == 0
    finally:
        db.close()
    assert len(tries) == 2 and tries[0] != tries[1]  # read again, on another connection


def test_while_postgresql_takes_no_connections_pages_and_phones_hear_503_and_why_then_all_works_again(
    app: Any, workshop: Workshop, join: Callable[..., Phone]
) -> None:
    phone = join(workshop)
    visitor = TestClient(app, raise_server_exceptions=False)
    with postgres_taking_no_connections():
        page = visitor.get(f"/j/{workshop.code}")
        assert page.status_code == 503
        assert "database is even niet bereikbaar" in page.text
        assert page.headers["retry-after"] == "5"
        english = visitor.get(f"/j/{workshop.code}", headers={"Accept-Language": "en"})
        assert "database cannot be reached" in english.text
        script = visitor.get(f"/j/{workshop.code}", headers={"Accept": "application/json"})
        assert script.json()["code"] == "database_unavailable"
        with pytest.raises(WebSocketDenialResponse) as refused, phone.connect():
            pass
        assert refused.value.status_code == 503
        assert "database is even niet bereikbaar" in refused.value.text
        assert visitor.get("/healthz").status_code == 200  # the process lives: no reason to restart it
    assert visitor.get(f"/j/{workshop.code}").status_code == 200
    with phone.connect() as live:
        assert live.receive_json()["type"] == "snapshot"


def test_a_statement_postgresql_refuses_as_beyond_its_limits_is_a_fault_not_an_unreachable_database(
    settings: Settings,
) -> None:
    """psycopg files program limits (SQLSTATE class 54) and objects in the wrong state (55) under OperationalError too:
    those fail again however long one waits, so they are the 500 they are, logged with their traceback."""
    db = Database(settings.resolved_database_url())
    db.migrate()
    try:
        with pytest.raises(OperationalError) as too_large:
            db.read_sync(lambda session: session.execute(text("SELECT repeat('x', 1073741824)")).scalar_one())
        with pytest.raises(OperationalError) as cut:
            db.read_sync(lambda session: session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())")))
    finally:
        db.close()
    assert not unreachable(too_large.value)
    assert unreachable(cut.value)
