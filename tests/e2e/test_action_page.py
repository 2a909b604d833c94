"""An action's own page in a real browser: open it from the besluitenlijst, change its status and due date, watch the
history grow and the board follow."""

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from app.config import Settings
from app.models import Action, Volunteer
from app.store.database import Database
from tests.e2e.conftest import PHONE, PROJECTOR
from tests.e2e.test_follow_up import agree
from tests.e2e.test_live_session import next_until, start_session
from tests.e2e.test_office_fit import a_workshop_of_long_words
from tests.e2e.test_register import sign_in
from tests.notify.conftest import join as join_as

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

TITLE = "Eén loket voor schulden en zorg in Noord"


def test_a_member_edits_an_action_on_its_page_and_the_history_and_board_follow(
    new_context: Callable[..., Any],
) -> None:
    session = start_session(new_context)
    board = session.board
    next_until(board, "Afspraken")
    agree(board, TITLE, "Woonstichting Thuis")
    workshop_id = int(board.url.rsplit("/", 1)[1])
    (action,) = board.request.get(f"/api/workshops/{workshop_id}/actions").json()

    # from the workshop's besluitenlijst, each action's title leads to its page
    page = board.context.new_page()
    page.goto(f"/f/workshops/{workshop_id}/besluitenlijst")
    page.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(re.compile(rf"/f/acties/{action['id']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    history = page.locator("#geschiedenis li.change")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Afgesproken met status open")
    expect(history.first).to_contain_text("Fenna Facilitator")
    expect(page.locator("#afspraak")).to_contain_text("Jeugdoverlast Noord")

    form = page.locator("#wijzigen")
    form.get_by_label("Status").select_option("bezig")
    form.get_by_label("Deadline").fill("2027-03-15")
    form.get_by_role("button", name="Wijzigingen opslaan").click()

    expect(page).to_have_url(re.compile(rf"/f/acties/{action['id']}\?gedaan=opgeslagen$"))
    expect(page.get_by_role("status")).to_contain_text("Opgeslagen.")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text("Status: open → bezig")
    expect(history.nth(1)).to_contain_text("Deadline: geen → 15 maart 2027")
    for entry in (history.nth(0), history.nth(1)):
        expect(entry).to_contain_text("Fenna Facilitator")
    expect(page.locator("h1 + .record-badges")).to_contain_text("Bezig")
    # the board heard it at once: the action's status field there moved with it
    expect(board.locator("#action-list select")).to_have_value("bezig")

    # an emptied title comes back with its message, and the rest of the form as it was typed
    form.get_by_label("Titel").fill("")
    form.get_by_label("Contactpersoon").fill("Fatima")
    form.get_by_role("button", name="Wijzigingen opslaan").click()
    expect(form.locator("#error-title")).to_have_text("Geef de actie een titel.")
    expect(form.get_by_label("Contactpersoon")).to_have_value("Fatima")
    expect(history).to_have_count(3)


# where each bracket around a volunteer's organisation is drawn, and its link
BRACKETS = """item => {
  const link = item.querySelector("a");
  const at = (sign) => {
    const walker = document.createTreeWalker(item, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const index = node.data.indexOf(sign);
      if (index >= 0) {
        const range = document.createRange();
        range.setStart(node, index);
        range.setEnd(node, index + 1);
        const box = range.getBoundingClientRect();
        return { left: box.left, right: box.right, inLink: link.contains(node) };
      }
    }
    return null;
  };
  const box = link.getBoundingClientRect();
  return { link: link.textContent, left: box.left, right: box.right, open: at("("), close: at(")") };
}"""


@pytest.mark.parametrize("screen", [PHONE, PROJECTOR], ids=["390x844", "1920x1080"])
def test_only_a_volunteers_organisation_is_the_link_between_its_brackets(
    new_context: Callable[..., Any], live_server: str, live_settings: Settings, screen: dict[str, Any], tmp_path: Path
) -> None:
    workshop_id = a_workshop_of_long_words(live_server)
    people = [("Anna de Vries", "Gemeente Heerlen"), ("محمد العلي", "مؤسسة الحي"), ("Sami", "مؤسسة الحي")]
    db = Database(live_settings.resolved_database_url())

    def volunteer(tx: Any) -> int:
        action_id = tx.execute(select(col(Action.id)).where(col(Action.workshop_id) == workshop_id)).scalar_one()
        for name, organisation in people:
            tx.add(Volunteer(action_id=action_id, participant_id=join_as(tx, workshop_id, name, organisation).id))
        return int(action_id)

    action_id = db.write_sync(volunteer)
    db.close()
    page = sign_in(new_context, "f@x.nl", **screen)
    page.goto(f"/f/acties/{action_id}")
    helpers = page.locator("#afspraak .volunteers li")
    expect(helpers).to_have_count(3)
    for index, (name, organisation) in enumerate(people):
        drawn = helpers.nth(index).evaluate(BRACKETS)
        assert drawn["link"] == organisation, drawn
        # "(" just before the link and ")" just after it, neither inside it, whichever way the names run
        assert not drawn["open"]["inLink"] and not drawn["close"]["inLink"], drawn
        assert drawn["open"]["right"] <= drawn["left"] + 0.5 and drawn["close"]["left"] >= drawn["right"] - 0.5, drawn
        expect(helpers.nth(index)).to_contain_text(name)
    shots = Path(os.environ.get("DOORBRAAK_SCREENSHOTS", tmp_path))
    size = "{width}x{height}".format(**screen["viewport"])
    page.locator("#afspraak").screenshot(path=shots / f"actie-vrijwilligers-{size}.png")
