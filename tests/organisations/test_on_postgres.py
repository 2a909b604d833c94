"""The merges and the join list on PostgreSQL, where foreign keys and unique names are checked row by row."""

from pathlib import Path

import pytest

from app.config import Settings
from tests.organisations.test_join import (  # noqa: F401
    network,
    test_joining_by_the_list_or_by_typing,
    test_the_list_holds_confirmed_organisations_and_names_used_in_the_workshop_only,
)
from tests.organisations.test_list import (  # noqa: F401
    test_a_name_of_another_organisation_is_refused_naming_it,
    test_renaming_reaches_participants_actions_and_partners,
)
from tests.organisations.test_merge import (  # noqa: F401
    duplicate,
    test_every_changed_action_gets_its_history,
    test_merging_moves_everything_and_keeps_the_target_once_per_action,
    test_refused_merges_say_why_and_change_nothing,
)
from tests.organisations.test_workspace_merge import (  # noqa: F401
    test_format_keys_a_has_get_the_first_free_suffix,
    test_members_move_keeping_the_higher_role_and_signed_in_browsers_follow,
    test_merging_brings_everything_of_b_into_a,
    test_organisations_with_a_name_a_knows_merge_and_a_taken_alias_is_dropped,
    two,
)
from tests.test_postgres import ON_POSTGRES, postgres_settings

pytestmark = ON_POSTGRES


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at the test PostgreSQL database, emptied first."""
    return postgres_settings(tmp_path)
