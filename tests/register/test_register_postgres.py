"""The register's filters, sorting, exports and selection again on PostgreSQL (ILIKE, dates, JSON as text)."""

from pathlib import Path

import pytest

from app.config import Settings
from tests.register.test_discuss import (  # noqa: F401
    test_all_of_a_filter_up_to_two_hundred,
    test_refusals_are_clear,
    test_ticked_actions_from_two_workshops_become_the_follow_ups_review,
)
from tests.register.test_exports import (  # noqa: F401
    test_csv_opens_in_dutch_excel_neutralises_formulas_and_holds_every_matching_row,
    test_the_workbook_has_typed_dates_a_frozen_bold_header_and_no_formulas,
)
from tests.register.test_register import (  # noqa: F401
    test_changed_since_counts_from_the_start_of_that_day,
    test_counts_per_status_leave_out_the_status_part_of_the_filter,
    test_each_filter_and_combinations,
    test_filters_by_organisation_as_owner_or_partner_and_by_workshop,
    test_ids_of_another_workspace_are_refused_like_ids_that_do_not_exist,
    test_pages_of_fifty_with_links_that_keep_the_filter,
    test_sorting,
    test_sorting_by_organisation_keeps_its_order_for_hostile_names_after_a_rename_and_a_merge,
    test_sorting_by_organisation_reads_numbers_as_numbers_across_pages,
)
from tests.test_postgres import ON_POSTGRES, postgres_settings

pytestmark = ON_POSTGRES


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at the test PostgreSQL database, emptied first."""
    return postgres_settings(tmp_path)
