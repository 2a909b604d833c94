"""The office renames an organisation, then merges it into another: the open board, projector and phones follow."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.test_live_session import join, next_until, open_projector, start_session
from tests.e2e.test_phone_actions import agree_many

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect


def edit_organisation(office: Any, name: str) -> None:
    """Open an organisation's form from the office's list."""
    office.goto("/f/organisaties")
    office.get_by_role("link", name=f"Bewerken of samenvoegen: {name}").click()


def test_a_rename_and_a_merge_reach_the_open_room_without_a_reload(new_context: Callable[..., Any]) -> None:
    session = start_session(new_context)
    board = session.board
    office = board.context.new_page()
    office.goto("/f/organisaties")
    office.get_by_text("Organisatie toevoegen").click()
    office.get_by_role("textbox", name="Naam", exact=True).fill("Gemeente Heerlen")
    office.get_by_role("button", name="Toevoegen").click()
    projector = open_projector(new_context, session)
    ali = join(new_context, session.code, "Ali", "Gemeente Heerlen")
    bo = join(new_context, session.code, "Bo", "Buurtteam Hrln")
    next_until(board, "Afspraken")
    action = {"title": "Spreekuur", "owner_organisation": "Buurtteam Hrln", "partners": ["Gemeente Heerlen"]}
    agree_many(board, [action])
    bo.get_by_role("button", name="Ik doe mee").click()

    board_action = board.locator("#action-list li.action-item")
    projector_who = projector.locator("article.note.action .who")
    ali_meta = ali.locator("#step .action-meta")
    expect(board_action).to_contain_text("Eigenaar: Buurtteam Hrln · samen met Gemeente Heerlen")
    expect(board_action).to_contain_text("Doen mee: Bo · Buurtteam Hrln")
    expect(projector_who).to_have_text("Buurtteam Hrln + Gemeente Heerlen")
    expect(ali_meta).to_have_text(re.compile(r"^Buurtteam Hrln · samen met jouw organisatie"))
    expect(board.locator("#organisations")).to_contain_text("Buurtteam Hrln · 1")

    edit_organisation(office, "Buurtteam Hrln")
    office.get_by_role("textbox", name="Naam", exact=True).fill("Buurtteam Heerlen")
    office.get_by_role("button", name="Opslaan").click()
    expect(office.locator(".notice")).to_contain_text("Opgeslagen: Buurtteam Heerlen")

    expect(board_action).to_contain_text("Eigenaar: Buurtteam Heerlen · samen met Gemeente Heerlen")
    expect(board_action).to_contain_text("Doen mee: Bo · Buurtteam Heerlen")
    expect(board.locator("#organisations")).to_contain_text("Buurtteam Heerlen · 1")
    expect(projector_who).to_have_text("Buurtteam Heerlen + Gemeente Heerlen")
    expect(ali_meta).to_have_text(re.compile(r"^Buurtteam Heerlen · samen met jouw organisatie"))
    expect(bo.locator("p.me")).to_have_text("Bo · Buurtteam Heerlen")

    edit_organisation(office, "Buurtteam Heerlen")
    office.get_by_label("Samenvoegen met").select_option(label="Gemeente Heerlen")
    office.get_by_role("button", name="Samenvoegen").click()
    expect(office.locator(".notice")).to_contain_text("Samengevoegd met Gemeente Heerlen")

    # the owner and the partner are one organisation now: named once
    expect(board_action).to_contain_text("Eigenaar: Gemeente Heerlen")
    expect(board_action).not_to_contain_text("samen met")
    expect(board_action).to_contain_text("Doen mee: Bo · Gemeente Heerlen")
    expect(board.locator("#organisations")).to_have_text("Gemeente Heerlen · 2")
    expect(projector_who).to_have_text("Gemeente Heerlen")
    # Ali's organisation owns it now, and Bo went along with the merge: both find it their own
    expect(ali_meta).to_have_text(re.compile(r"^Jouw organisatie"))
    expect(bo.locator("#step .action-meta")).to_have_text(re.compile(r"^Jouw organisatie"))
    expect(bo.locator("p.me")).to_have_text("Bo · Gemeente Heerlen")
    assert session.dialogs == []
