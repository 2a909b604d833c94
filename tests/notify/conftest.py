"""Fixtures between sessions: a real SMTP server (aiosmtpd) on 127.0.0.1 (SMTP_PORTS), and a network of people."""

import asyncio
import email
import os
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app import models
from app.accounts import service as accounts
from app.actions import service as actions
from app.catalog.service import formats
from app.config import Settings
from app.demo.driver import csrf_of
from app.main import create_app
from app.models import LOCAL_TIMEZONE, Action, OutboxMessage, Participant, UnmadeMail, Workshop, utcnow
from app.notify.outbox import Backoff
from app.notify.sender import MailSetup, Sender
from app.organisations import service as organisations
from app.running import service as running
from app.workshops import service as workshops
from tests.conftest import PASSWORD, SECRET_KEY


def _smtp_ports() -> range:
    """The ports the tests' SMTP servers may take: DOORBRAAK_TEST_SMTP_PORTS="first-last", else 8681-8689."""
    first, _, last = os.environ.get("DOORBRAAK_TEST_SMTP_PORTS", "8681-8689").partition("-")
    return range(int(first), int(last or first) + 1)


# engineers sharing a machine each give their own range, so their test runs never race for a port
SMTP_PORTS = _smtp_ports()
# the day the tests' scheduler passes run on; due dates are set relative to it
TODAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


class AppClock:
    """The app's clock (app.models.utcnow) as a test between sessions sees it: from NOW at the test's start, running on
    with the machine's, moved on when the test says. What the app writes (an action agreed, a date moved, a claim)
    then happens on the tests' days, which the passes are run on, whatever day the machine's clock says."""

    def __init__(self) -> None:
        self.started = datetime.now(UTC)
        self.ahead = timedelta(0)

    def now(self) -> datetime:
        """The app's now."""
        return NOW + self.ahead + (datetime.now(UTC) - self.started)

    def advance(self, by: timedelta) -> None:
        """Move the app's clock on."""
        self.ahead += by


@pytest.fixture(autouse=True)
def app_clock(monkeypatch: pytest.MonkeyPatch) -> AppClock:
    """Every test between sessions on the tests' clock (AppClock)."""
    clock = AppClock()

    class _Shifted(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            moment = clock.now()
            return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)

    # utcnow() reads the datetime of its module's globals: every import of it, and Sender's clock, follow
    monkeypatch.setattr(models, "datetime", _Shifted)
    return clock


class Inbox:
    """What the test's SMTP server received, in order; waits for messages rather than sleeping."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.delay = 0.0
        self._arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        """aiosmtpd's hook: keep the message as the email package reads it."""
        if self.delay:
            await asyncio.sleep(self.delay)  # a slow server: the sender's threads wait, the test can act meanwhile
        message = email.message_from_bytes(envelope.content, policy=default)
        with self._arrived:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 20) -> list[EmailMessage]:
        """At least count messages, or fail after the timeout."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout):
                raise AssertionError(f"expected {count} messages, got {len(self.messages)}")
            return list(self.messages)

    def ids(self) -> list[str]:
        """The Message-IDs received, in order (repeats included)."""
        with self._arrived:
            return [str(m["Message-ID"]) for m in self.messages]


def free_smtp_port() -> int:
    """A port of SMTP_PORTS that nothing listens on now."""
    for port in SMTP_PORTS:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {SMTP_PORTS} for the test's SMTP server (DOORBRAAK_TEST_SMTP_PORTS)")


@dataclass
class SmtpServer:
    """An SMTP server the test runs: its inbox, port, and how to stop and start it again."""

    inbox: Inbox
    port: int
    login: tuple[str, str] | None = None
    controller: Any = None
    starts: list[Any] = field(default_factory=list)

    @property
    def url(self) -> str:
        """DOORBRAAK_SMTP_URL for it."""
        user = f"{self.login[0]}:{self.login[1]}@" if self.login else ""
        return f"smtp://{user}127.0.0.1:{self.port}?from=noreply@example.org"

    def start(self) -> None:
        """Listen (again) on its port."""
        from aiosmtpd.controller import Controller

        options: dict[str, Any] = {}
        if self.login:
            expected = self.login

            def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
                from aiosmtpd.smtp import AuthResult

                given = (data.login.decode(), data.password.decode())
                # handled=False: aiosmtpd answers the client itself (235, or 535 for a wrong password)
                return AuthResult(success=given == expected, handled=False)

            options = {"authenticator": check, "auth_required": True, "auth_require_tls": False}
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()

    def stop(self) -> None:
        """Stop listening: the sender finds the server down."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1, on a port of SMTP_PORTS, keeping what it receives."""
    server = SmtpServer(inbox=Inbox(), port=free_smtp_port())
    server.start()
    yield server
    server.stop()


@dataclass
class Network:
    """Workspace A: a workshop with an action and its people, a second workshop; a participant of workspace B."""

    workspace_id: int
    workshop_id: int
    other_workshop_id: int
    action_id: int
    people: dict[str, int]
    links: dict[str, str]


def join(
    tx: Any, workshop_id: int, name: str, organisation: str, email: str | None = None, *, confirmed: bool = True
) -> Participant:
    """A participant through the service, with an address if given (confirmed by its owner, unless told not)."""
    token = workshops.join_workshop(tx, workshop_id=workshop_id, name=name, organisation=organisation, anonymous=False)
    participant = workshops.participant_by_token(tx, workshop_id=workshop_id, token=token)
    assert participant is not None
    participant.email = email
    participant.search_text = organisations.search_text(name, email)
    participant.email_confirmed_at = utcnow() if email and confirmed else None
    tx.flush()
    return participant


def new_workshop(tx: Any, facilitator_id: int, title: str, key: str = "doorbraak") -> Workshop:
    """A workshop of the facilitator's workspace."""
    return running.create_workshop(
        tx,
        facilitator_id=facilitator_id,
        title=title,
        opgave="Samen minder overlast",
        held_on=TODAY - timedelta(days=10),
        spec=formats()[key],
        allow_anonymous=False,
    )


def build_network(tx: Any) -> Network:
    """The people of the authorisation matrix around one action, owned by Woonstichting with Gemeente as partner."""
    boss = accounts.create_facilitator(tx, email="bea@a.nl", name="Bea", password=PASSWORD)
    here = new_workshop(tx, boss.id, "Jeugdoverlast Noord")
    there = new_workshop(tx, boss.id, "Tweede ronde")
    people = {
        "owner": join(tx, here.id, "Olga", "Woonstichting", "olga@woon.nl"),
        "partner": join(tx, here.id, "Piet", "Gemeente", "piet@gemeente.nl"),
        "volunteer": join(tx, here.id, "Vera", "Buurtwerk", "vera@buurtwerk.nl"),
        "contact": join(tx, here.id, "Cor", "Bibliotheek", "cor@bieb.nl"),
        "unrelated": join(tx, here.id, "Ursula", "Sportclub", "ursula@sport.nl"),
        "owner_elsewhere": join(tx, there.id, "Otto", "woonstichting", "otto@woon.nl"),
        "partner_elsewhere": join(tx, there.id, "Bas", "Gemeente", "bas@gemeente.nl"),
    }
    view = actions.save_action(
        tx,
        workshop_id=here.id,
        title="Huiskamer in de flat",
        owner_organisation="Woonstichting",
        partners=["Gemeente"],
        contact_person="Cor",
        contact_email="Cor@Bieb.nl",
        due_on=TODAY + timedelta(days=2),
    )
    actions.volunteer(
        tx, workshop_id=here.id, participant_id=people["volunteer"].id, action_id=view["id"], joining=True
    )
    stranger = accounts.create_facilitator(tx, email="xander@b.nl", name="Xander", password=PASSWORD)
    elsewhere = new_workshop(tx, stranger.id, "Ander netwerk")
    people["other_workspace"] = join(tx, elsewhere.id, "Xavier", "Woonstichting", "xavier@b.nl")
    return Network(
        workspace_id=here.workspace_id,
        workshop_id=here.id or 0,
        other_workshop_id=there.id or 0,
        action_id=view["id"],
        people={name: p.id or 0 for name, p in people.items()},
        links={name: workshops.link_token(p, secret=SECRET_KEY) for name, p in people.items()},
    )


def messages(db: Any, **where: Any) -> list[OutboxMessage]:
    """The outbox's rows (matching the given fields), oldest first."""

    def read(tx: Any) -> list[OutboxMessage]:
        query = select(OutboxMessage).order_by(col(OutboxMessage.id))
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(tx.execute(query).scalars())

    return db.read_sync(read)


def unmade(db: Any) -> set[tuple[str, int]]:
    """What the latest reminder pass could not make, as kept for every worker: (kind, row id)."""
    return {(row.kind, row.row_id) for row in db.read_sync(lambda tx: tx.execute(select(UnmadeMail)).scalars().all())}


def action_of(db: Any, action_id: int) -> Action:
    """An action as stored now."""
    return db.read_sync(lambda tx: tx.get(Action, action_id))


def local(day: date, hour: int) -> datetime:
    """A moment on the room's clock."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TIMEZONE)


def run_async(portal: Any) -> Callable[..., Any]:
    """Runs a coroutine function on the app's own event loop (where its writer lives)."""
    return portal.call


def database(client: Any) -> Any:
    """The app's Database (its writer runs on the test client's event loop)."""
    return client.app.state.runtime.db


def sign_in(http: Any, email: str) -> None:
    """Sign a browser in as this account (made with the tests' password)."""
    page = http.get("/f/login")
    response = http.post(
        "/f/login", data={"csrf": csrf_of(page.text), "email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def mail_app(settings: Settings, smtp_server: SmtpServer) -> FastAPI:
    """An app whose settings name the test's SMTP server."""
    return create_app(settings.model_copy(update={"smtp_url": smtp_server.url, "public_url": "http://testserver"}))


@pytest.fixture
def mail_client(mail_app: FastAPI) -> Any:
    """A browser of that app."""
    with TestClient(mail_app) as http:
        yield http


def send_all(http: TestClient) -> int:
    """The sender, on the app's loop, until nothing is due."""
    setup: MailSetup = http.app.state.mail
    assert setup.config is not None and setup.sending

    async def drain() -> int:
        sender = Sender(
            database(http), setup.config, backoff=Backoff(first=timedelta(0)), base_url=setup.links.base_url
        )
        try:
            return await sender.drain()
        finally:
            sender.close()

    return http.portal.call(drain)
