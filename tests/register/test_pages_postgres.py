"""The action's and the organisation's pages on PostgreSQL: their queries (outer joins, grouping on a nullable
flag, dates without one sorted last) run there as on SQLite."""

import os
from pathlib import Path

import pytest

from app.config import Settings
from tests.register.test_action_page import (  # noqa: F401
    test_bad_input_comes_back_with_its_message_and_everything_typed,
    test_every_kind_of_change_is_in_the_history_newest_first_with_who_and_when,
)
from tests.register.test_organisation_page import (  # noqa: F401
    test_the_lists_of_what_an_organisation_owns_shares_helps_with_and_lets_slip,
    test_the_share_leaves_out_other_workspaces,
    test_the_share_partners_own_counts_every_action_and_the_open_ones,
)
from tests.test_postgres import PG_URL, reset_schema

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("DOORBRAAK_TEST_DATABASE_URL"), reason="PostgreSQL tests skipped"),
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at the test PostgreSQL database, emptied first."""
    reset_schema()
    return Settings(data_dir=tmp_path, environment="test", secret_key="p" * 40, database_url=PG_URL)
