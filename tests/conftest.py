"""Shared fixtures: an app on a fresh database per test, and the people who use it."""

import json
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.config import Settings
from app.demo.driver import csrf_of
from app.main import create_app
from tests.servers import serving

PASSWORD = "correct horse battery"
# the secret key of the apps the settings fixture makes: tests that derive a link themselves use it
SECRET_KEY = "t" * 40


def sqlite_file(settings: Settings) -> Path:
    """The SQLite file the settings' database lives in."""
    return Path(make_url(settings.resolved_database_url()).database or "")


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to the newest revision once per test run; each test's database is a copy."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("template"), environment="test", secret_key=SECRET_KEY)
    with TestClient(create_app(settings)):
        pass  # the app migrates its database as it starts, and checkpoints it into the one file as it stops
    return sqlite_file(settings)


def migrated_copy(template: Path, settings: Settings) -> Settings:
    """The settings, with the migrated template copied where their SQLite database lives."""
    shutil.copyfile(template, sqlite_file(settings))
    return settings


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    """Settings for a throwaway SQLite database in a temp folder, migrated (a copy of the template)."""
    return migrated_copy(migrated_template, Settings(data_dir=tmp_path, environment="test", secret_key=SECRET_KEY))


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """A fresh app."""
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An anonymous browser, with the app's lifespan running."""
    with TestClient(app) as test_client:
        yield test_client


class LimitsClock:
    """The wall clock the rate limits count their windows by, stopped: a test moves it on by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        """The stopped time."""
        return self.now

    def monotonic(self) -> float:
        """Real: how often expired counters are swept is not what a test of the limits looks at."""
        return time.monotonic()

    def advance(self, seconds: float) -> None:
        """Move the clock on."""
        self.now += seconds


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> LimitsClock:
    """Stop the clock of the limits' memory storage (and of app/throttle.py's waits), so that a slow test run never
    sees a window end mid-test; tests that look at windows ending move it on."""
    clock = LimitsClock()
    monkeypatch.setattr("limits.storage.memory.time", clock)
    monkeypatch.setattr("app.throttle.time", clock)
    return clock


@pytest.fixture
def browser(app: FastAPI, client: TestClient) -> Callable[[], TestClient]:
    """Makes more browsers with their own cookies, on the same running app."""

    def make() -> TestClient:
        other = TestClient(app)
        other.portal = client.portal  # share the running event loop: one writer, one hub
        return other

    return make


@dataclass
class Facilitator:
    """A signed-in facilitator's browser."""

    http: TestClient
    email: str

    def csrf(self) -> str:
        """A valid CSRF token for this browser."""
        return csrf_of(self.http.get("/f/workshops").text)

    def create_workshop(
        self,
        *,
        title: str = "Jeugdoverlast Noord",
        opgave: str = "Samen minder overlast",
        allow_anonymous: bool = False,
        format_key: str = "doorbraak",
    ) -> "Workshop":
        """Create a workshop over HTTP, as the form does."""
        data = {
            "csrf": self.csrf(),
            "title": title,
            "opgave": opgave,
            "held_on": "2026-11-22",
            "format_key": format_key,
        }
        if allow_anonymous:
            data["allow_anonymous"] = "true"
        response = self.http.post("/f/workshops", data=data, follow_redirects=False)
        assert response.status_code == 303, response.text
        workshop_id = int(response.headers["location"].rsplit("/", 1)[1])
        board = self.http.get(f"/f/workshops/{workshop_id}").text
        code = re.search(r'class="code-chip"[^>]*>([^<]+)<', board).group(1).replace(" ", "")  # type: ignore[union-attr]
        token = re.search(r'href="/p/([^"]+)"', board).group(1)  # type: ignore[union-attr]
        return Workshop(id=workshop_id, code=code, projector_token=token, owner=self, format_key=format_key)

    def go(self, workshop: "Workshop", step_id: str) -> httpx.Response:
        """Move a workshop to the step with this id."""
        from app.catalog.service import formats

        index = [step.id for step in formats()[workshop.format_key].steps].index(step_id)
        response = self.step(workshop, index)
        assert response.status_code == 200, response.text
        return response

    def step(self, workshop: "Workshop", to: str | int) -> httpx.Response:
        """Move a workshop to another step."""
        return self.http.post(
            f"/f/workshops/{workshop.id}/step",
            data={"to": str(to)},
            headers={"X-CSRF-Token": self.csrf(), "Accept": "application/json"},
        )


@dataclass
class Workshop:
    """A created workshop as its facilitator sees it."""

    id: int
    code: str
    projector_token: str
    owner: Facilitator
    format_key: str = "doorbraak"


def sign_up(http: TestClient, *, email: str, name: str = "Fenna") -> Facilitator:
    """Create an account through the setup page (first) or the service, and sign in."""
    page = http.get("/setup")
    if "/setup" in str(page.url):
        response = http.post(
            "/setup",
            data={"csrf": csrf_of(page.text), "name": name, "email": email, "password": PASSWORD},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
    else:
        from app.accounts import service as accounts

        runtime = http.app.state.runtime  # type: ignore[attr-defined]
        runtime.db.write_sync(lambda db: accounts.create_facilitator(db, email=email, name=name, password=PASSWORD))
        login = http.get("/f/login")
        response = http.post(
            "/f/login", data={"csrf": csrf_of(login.text), "email": email, "password": PASSWORD}, follow_redirects=False
        )
        assert response.status_code == 303, response.text
    return Facilitator(http=http, email=email)


@pytest.fixture
def facilitator(client: TestClient) -> Facilitator:
    """The first facilitator, signed in."""
    return sign_up(client, email="fenna@buurtalliantie.nl")


@pytest.fixture
def other_facilitator(facilitator: Facilitator, browser: Callable[[], TestClient]) -> Facilitator:
    """A second facilitator with workshops of their own."""
    return sign_up(browser(), email="otto@elders.nl", name="Otto")


@pytest.fixture
def workshop(facilitator: Facilitator) -> Workshop:
    """A doorbraak workshop in its lobby."""
    return facilitator.create_workshop()


@dataclass
class Phone:
    """A participant's phone: a browser that joined a workshop."""

    http: TestClient
    workshop: Workshop

    def connect(self, query: str = "", headers: dict[str, str] | None = None) -> Any:
        """Open the phone's live connection."""
        return self.http.websocket_connect(f"/ws/phone/{self.workshop.code}{query}", headers=headers or {})

    def answer_frame(
        self, text: str, *, step: str = "obstacles", client_id: str | None = None, links_to: int | None = None
    ) -> str:
        """An answer message as the phone script sends it."""
        return json.dumps(
            {
                "type": "answer",
                "client_id": client_id or str(uuid.uuid4()),
                "step": step,
                "text": text,
                "links_to": links_to,
            }
        )


@pytest.fixture
def join(browser: Callable[[], TestClient]) -> Callable[..., Phone]:
    """Joins a new phone to a workshop through the join form."""

    def join_as(workshop: Workshop, name: str = "Ali", organisation: str = "Woonstichting") -> Phone:
        http = browser()
        page = http.get(f"/j/{workshop.code}")
        response = http.post(
            f"/j/{workshop.code}/participant",
            data={"csrf": csrf_of(page.text), "name": name, "organisation": organisation},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return Phone(http=http, workshop=workshop)

    return join_as


def receive_until(ws: Any, predicate: Callable[[dict[str, Any]], bool], limit: int = 50) -> dict[str, Any]:
    """Read frames until one matches; fails rather than waits forever."""
    for _ in range(limit):
        frame = json.loads(ws.receive_text())
        if predicate(frame):
            return frame
    raise AssertionError("expected frame never came")


@pytest.fixture
def live_settings(tmp_path: Path, migrated_template: Path) -> Settings:
    """The settings of the live server (its own SQLite file, a copy of the migrated template)."""
    return migrated_copy(
        migrated_template, Settings(data_dir=tmp_path / "server", environment="test", secret_key="s" * 40)
    )


@pytest.fixture
def live_server(live_settings: Settings) -> Iterator[str]:
    """A real uvicorn server on a free port, for browsers and websocket clients."""
    with serving(create_app(live_settings)) as url:
        yield url
