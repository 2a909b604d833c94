"""Migration 0020 keeps an unsubscribe kept by casefold (cor@straße.de as cor@strasse.de) for the address it came
from, now that addresses match by lower case."""

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from app.addresses import address_key
from app.store.database import Database
from tests.test_migration_workspaces import fill_before_workspaces

AT = datetime(2026, 11, 1, tzinfo=UTC)


def test_0020_suppresses_the_lower_case_key_of_an_address_kept_by_casefold(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        db.migrate("0005")
        fill_before_workspaces(db.url)
        db.migrate("0019")
        with db.write_engine.begin() as c:
            workspace = c.execute(sa.text("SELECT min(id) FROM workspace")).scalar_one()
            for n, address in enumerate(["Cor@straße.de", "jan@strasse.de", "piet@straße.de"]):
                c.execute(
                    sa.text(
                        "INSERT INTO mailtoken (token_hash, purpose, workspace_id, address, created_at, expires_at)"
                        " VALUES (:h, 'unsubscribe', :w, :a, :at, :at)"
                    ),
                    {"h": f"{n:064d}", "w": workspace, "a": address, "at": AT},
                )
            # Cor unsubscribed before the fix (kept by casefold), Jan of strasse.de too; Piet did not
            for address in ["cor@strasse.de", "jan@strasse.de"]:
                c.execute(
                    sa.text("INSERT INTO mailsuppression (workspace_id, address, created_at) VALUES (:w, :a, :at)"),
                    {"w": workspace, "a": address, "at": AT},
                )
        db.migrate("0020")
        with db.write_engine.connect() as c:
            kept = set(c.execute(sa.text("SELECT address FROM mailsuppression")).scalars())
        assert address_key("Cor@straße.de") in kept
        assert address_key("piet@straße.de") not in kept
        assert kept == {"cor@strasse.de", "jan@strasse.de", "cor@straße.de"}
    finally:
        db.close()
