"""The register in real browsers: a meekijker narrows it down, and a follow-up reviews a selection from it."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from app.accounts import service as accounts
from app.config import Settings
from app.models import local_today
from app.store.database import Database
from app.store.events import Tx
from tests.conftest import PASSWORD
from tests.e2e.conftest import LAPTOP, PHONE
from tests.e2e.test_live_session import next_until
from tests.register.conftest import add_action, new_workshop, workspace_of

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect


@dataclass
class Network:
    """A workspace with two facilitators' workshops, a meekijker, and a follow-up in its lobby."""

    actions: dict[str, int]
    followup_id: int


@pytest.fixture
def network(live_server: str, live_settings: Settings) -> Iterator[Network]:
    """Fenna's and Otto's workshops with their actions, Mees reading along, and Fenna's vervolgsessie."""
    database = Database(live_settings.resolved_database_url())

    def build(db: Tx) -> Network:
        today = local_today()
        fenna = accounts.create_facilitator(db, email="fenna@buurtalliantie.nl", name="Fenna", password=PASSWORD)
        workspace_id = workspace_of(db, fenna.id or 0)
        otto = accounts.create_facilitator(
            db, email="otto@buurtalliantie.nl", name="Otto", password=PASSWORD, workspace_id=workspace_id,
            role="facilitator",
        )  # fmt: skip
        accounts.create_facilitator(
            db, email="mees@buurtalliantie.nl", name="Mees", password=PASSWORD, workspace_id=workspace_id,
            role="meekijker",
        )  # fmt: skip
        noord = new_workshop(
            db, account_id=fenna.id or 0, title="Doorbraak Noord", opgave="Jongeren in Noord",
            held_on=today - timedelta(days=40),
        )  # fmt: skip
        oost = new_workshop(
            db, account_id=otto.id or 0, title="Doorbraak Oost", opgave="Eenzaamheid in Oost",
            held_on=today - timedelta(days=20),
        )  # fmt: skip
        long_name = "Woningcorporatie Thuis in Parkstad en omstreken, afdeling Wijkbeheer Noord-Oost"
        actions = {
            "huiskamer": add_action(
                db, workshop_id=noord, title="Huiskamer in de flat", owner="Woonstichting Thuis",
                partners=("Gemeente Heerlen",), due_on=today - timedelta(days=5), volunteers=2,
            ),
            "speeltuin": add_action(
                db, workshop_id=noord, title="Speeltuin opknappen", owner="Woonstichting Thuis",
                due_on=today + timedelta(days=30),
            ),
            "wijkagent": add_action(
                db, workshop_id=oost, title="Wijkagent op school", owner="Politie Limburg",
                partners=("Woonstichting Thuis",), due_on=today - timedelta(days=2), status="bezig",
            ),
            "maatjes": add_action(
                db, workshop_id=oost, title="Maatjesproject ouderen", owner=long_name,
                due_on=today - timedelta(days=9),
            ),
        }  # fmt: skip
        vervolg = new_workshop(
            db, account_id=fenna.id or 0, title="Vervolg Noord en Oost", opgave="Wat is er gebeurd?",
            held_on=today, key="vervolgsessie",
        )  # fmt: skip
        return Network(actions=actions, followup_id=vervolg)

    yield database.write_sync(build)
    database.close()


def sign_in(new_context: Callable[..., Any], email: str, **options: Any) -> Any:
    """A browser signed in as this member."""
    page = new_context(**options).new_page()
    page.goto("/f/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(re.compile(r"/f/workshops$"))
    return page


def rows(page: Any) -> Any:
    """The register's rows."""
    return page.locator(".register-table tbody tr")


def test_a_meekijker_filters_the_register_to_one_organisations_overdue_actions(
    new_context: Callable[..., Any], network: Network
) -> None:
    page = sign_in(new_context, "mees@buurtalliantie.nl", **LAPTOP)
    page.get_by_role("link", name="Register").click()
    expect(rows(page)).to_have_count(4)
    # reading along: nothing to tick, no follow-up to fill
    expect(page.locator('input[name="action"]')).to_have_count(0)

    page.locator(".filter-more summary").click()
    page.get_by_label("Organisatie (eigenaar of partner)").select_option(label="Woonstichting Thuis")
    page.get_by_role("button", name="Filteren").click()
    # owner of two, partner in a third
    expect(rows(page)).to_have_count(3)
    page.locator(".quick-links").get_by_role("link", name="Over tijd").click()
    expect(rows(page)).to_have_count(2)
    expect(page).to_have_url(re.compile(r"organisation=\d+&due=overdue"))
    expect(rows(page).nth(0)).to_contain_text("Huiskamer in de flat")  # five days over, first
    expect(rows(page).nth(1)).to_contain_text("Wijkagent op school")
    expect(rows(page).nth(0).locator(".overdue-flag")).to_have_text("over tijd")
    expect(page.locator(".results-head h2")).to_contain_text("2 afspraken")

    # the address is the view: opened again, it shows the same
    again = new_context(**PHONE)
    again.add_cookies(page.context.cookies())
    phone = again.new_page()
    phone.goto(page.url)
    expect(rows(phone)).to_have_count(2)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def report(phone: Any, title: str, status: str, note: str) -> None:
    """An owner opens their action on the phone, sets its status and says what happened."""
    card = phone.locator("#step .review-card", has_text=title)
    card.locator(".review-head").click()
    card.get_by_text(status, exact=True).click()
    card.get_by_label("Wat is er gebeurd? (één zin)").fill(note)
    card.get_by_role("button", name="Doorgeven").click()
    expect(card).to_contain_text("Doorgegeven ✓")


def test_a_follow_up_reviews_a_register_selection_spanning_two_workshops(
    new_context: Callable[..., Any], network: Network
) -> None:
    fenna = sign_in(new_context, "fenna@buurtalliantie.nl", **LAPTOP)
    fenna.goto("/f/register")
    for title in ("Huiskamer in de flat", "Wijkagent op school"):
        fenna.get_by_role("checkbox", name=f"Kiezen: {title}").check()
    expect(fenna.locator("[data-picked]")).to_have_text("2")
    fenna.get_by_label("Bespreken in vervolgworkshop").select_option(str(network.followup_id))
    fenna.get_by_role("button", name=re.compile("Aangevinkte afspraken bespreken")).click()
    expect(fenna).to_have_url(re.compile(rf"/f/workshops/{network.followup_id}$"))
    expect(fenna.locator("#status")).to_have_attribute("data-state", "online")

    code = fenna.locator(".code-chip").inner_text().replace(" ", "")
    phones = {}
    for name, organisation in (("Ali", "Woonstichting Thuis"), ("Piet", "Politie Limburg")):
        phone = new_context(**PHONE).new_page()
        phone.goto(f"/j/{code}")
        phone.get_by_label("Je naam").fill(name)
        phone.get_by_label("Je organisatie").fill(organisation)
        phone.get_by_role("button", name="Meedoen").click()
        expect(phone.locator(".me")).to_contain_text(name)
        phones[name] = phone
    next_until(fenna, "Hoe staat het?")

    source = fenna.locator("#review-source select")
    expect(source.locator("option:checked")).to_have_text("Selectie uit het register (2 afspraken)")
    for phone in phones.values():
        cards = phone.locator("#step .review-card")
        expect(cards).to_have_count(2)
        # two workshops: each card says which one its action was agreed in
        expect(cards.filter(has_text="Huiskamer in de flat")).to_contain_text("Doorbraak Noord")
        expect(cards.filter(has_text="Wijkagent op school")).to_contain_text("Doorbraak Oost")
    # each owner finds their own organisation's action first
    expect(phones["Piet"].locator("#step .review-card").first).to_contain_text("Wijkagent op school")

    report(phones["Ali"], "Huiskamer in de flat", "Klaar", "Open sinds maandag")
    report(phones["Piet"], "Wijkagent op school", "Vastgelopen", "Geen rooster gekregen")
    results = fenna.locator("#results-panel")
    expect(results.locator("#results-summary")).to_have_text(
        "2 van 2 afspraken uit 2 workshops zijn in beweging gekomen."
    )
    expect(results.locator(".review-item", has_text="Huiskamer in de flat")).to_contain_text("Doorbraak Noord")
    expect(results.locator(".review-item.moved")).to_have_count(2)

    # the register follows what the owners reported
    fenna.goto("/f/register?status=klaar")
    expect(rows(fenna)).to_have_count(1)
    expect(rows(fenna).first).to_contain_text("Huiskamer in de flat")
    fenna.goto("/f/register?status=vastgelopen")
    expect(rows(fenna)).to_have_count(1)
    expect(rows(fenna).first).to_contain_text("Wijkagent op school")
    # and the follow-up, with a report in, is no longer offered for another selection
    fenna.goto("/f/register")
    expect(fenna.get_by_label("Bespreken in vervolgworkshop")).to_have_count(0)
