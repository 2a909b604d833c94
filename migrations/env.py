"""Alembic environment: runs migrations on the connection app.store.database hands it, or on the configured URL."""

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from app import models  # noqa: F401  (registers every table on the metadata)
from app.store.database import normalise_url

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    """Migrate: with a connection passed in by the app, or a URL from the Alembic config."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = create_engine(normalise_url(config.get_main_option("sqlalchemy.url") or ""))
    with engine.begin() as conn:
        _migrate(conn)
    engine.dispose()


def _migrate(connection: object) -> None:
    # batch mode: SQLite can only change a table's constraints by copying it
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
