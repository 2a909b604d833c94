"""The workspace's and the invitation's pages again on PostgreSQL, which refuses text that SQLite takes."""

import os
from pathlib import Path

import pytest

from app.config import Settings
from tests.workspaces.test_http import (  # noqa: F401
    test_an_address_with_a_control_character_is_no_account_on_an_invitation,
)

PG_URL = os.environ.get("DOORBRAAK_TEST_DATABASE_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL tests skipped"),
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at the test PostgreSQL database, emptied first."""
    from tests.test_postgres import reset_schema

    reset_schema()
    return Settings(data_dir=tmp_path, environment="test", secret_key="p" * 40, database_url=PG_URL)
