"""The follow-up's look back again on PostgreSQL, whose clock columns come back with their zone."""

from pathlib import Path

import pytest

from app.config import Settings
from tests.actions.test_review import (  # noqa: F401
    bea,
    network,
    test_a_report_in_the_follow_up_still_counts_from_where_the_session_left_it,
    test_a_session_never_stepped_to_its_close_was_over_at_the_end_of_its_day,
    test_an_action_reviewed_twice_moves_from_where_the_last_follow_up_left_it,
    test_what_moved_between_the_sessions_shows_as_moved_without_reporting_it_again,
)
from tests.conftest import SECRET_KEY
from tests.test_postgres import ON_POSTGRES, postgres_settings

pytestmark = ON_POSTGRES


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at the test PostgreSQL database, emptied first, with the secret the network's links use."""
    return postgres_settings(tmp_path).model_copy(update={"secret_key": SECRET_KEY})
