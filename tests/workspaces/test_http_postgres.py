"""The workspace's and the invitation's pages again on PostgreSQL, which refuses text that SQLite takes."""

from pathlib import Path

import pytest

from app.config import Settings
from tests.test_postgres import ON_POSTGRES, postgres_settings
from tests.workspaces.test_http import (  # noqa: F401
    test_an_address_with_a_control_character_is_no_account_on_an_invitation,
)

pytestmark = ON_POSTGRES


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at the test PostgreSQL database, emptied first."""
    return postgres_settings(tmp_path)
