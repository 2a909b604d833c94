"""An address that unsubscribed long ago comes back in real browsers: refused on Mijn afspraken, one confirmation
mail asked for, and its owner's yes on another device; every page fits a small phone."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from app.config import Settings
from app.models import MailSuppression, OutboxMessage, Participant
from app.store.database import Database
from app.workshops import service as workshops
from tests.notify.conftest import Network, build_network

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect
SMALL_PHONE = {"viewport": {"width": 360, "height": 800}, "is_mobile": True, "has_touch": True}
LONG_ADDRESS = "ursula.van.der.heijden-samenwerkingsverbandbuurtaanpak@sport.example.nl"


def fits(page: Any) -> bool:
    """Nothing sticks out sideways."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_an_unsubscribed_address_comes_back_by_its_owners_yes_on_another_phone(
    new_context: Callable[..., Any], live_settings: Settings
) -> None:
    db = Database(live_settings.resolved_database_url())
    network: Network = db.write_sync(build_network)
    db.write_sync(lambda tx: tx.add(MailSuppression(workspace_id=network.workspace_id, address=LONG_ADDRESS)))
    piet = db.read_sync(lambda tx: tx.get(Participant, network.people["partner"]))
    link = workshops.link_token(piet, secret=live_settings.resolved_secret_key())

    phone = new_context(**SMALL_PHONE).new_page()
    phone.goto(f"/m/{link}#e-mail")
    phone.get_by_role("textbox", name="Je e-mailadres").fill(LONG_ADDRESS)
    phone.get_by_role("button", name="Stuur mij herinneringen").click()
    expect(phone.get_by_role("alert")).to_contain_text("Dit adres heeft gevraagd om geen e-mail meer")
    assert fits(phone)
    phone.get_by_role("button", name="Stuur een bevestigingsmail").click()
    expect(phone.get_by_role("status")).to_contain_text("dan is er nu een bevestigingsmail onderweg")
    assert fits(phone)

    # the mail waits in the outbox (no mail server in this test): its link, opened on the owner's own phone
    body = db.read_sync(
        lambda tx: tx.execute(
            select(OutboxMessage.body_text).where(col(OutboxMessage.kind) == "resubscribe")
        ).scalar_one()
    )
    (path,) = re.findall(r"(/weer-aanmelden/[\w-]+)", body)
    owner = new_context(**SMALL_PHONE).new_page()
    owner.goto(path)
    expect(owner.get_by_role("heading", level=1)).to_have_text("Weer aanmelden")
    assert fits(owner)
    suppressed = select(col(MailSuppression.address)).where(col(MailSuppression.workspace_id) == network.workspace_id)
    assert db.read_sync(lambda tx: list(tx.execute(suppressed).scalars())) == [LONG_ADDRESS]
    owner.get_by_role("button", name="Ja, ik wil weer herinneringen").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("Je bent weer aangemeld")
    assert fits(owner)
    assert db.read_sync(lambda tx: list(tx.execute(suppressed).scalars())) == []
