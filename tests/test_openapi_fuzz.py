"""Requests made from the OpenAPI document (schemathesis) against a real server, signed in: no 500, and every
response is one the document describes, in status, content type and body (issue 16, point 4).

The routes of phones, the projector and links in mails open only with a real code or token: every other case of
theirs gets the real one (and the browser is a joined phone too), so what such a route does past its lookup is
fuzzed as well, not only its 404.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.demo.driver import csrf_of
from app.main import create_app
from app.models import Participant
from app.store.database import Database
from app.workshops import service as workshops
from tests.conftest import PASSWORD, migrated_copy
from tests.servers import serving
from tests.test_postgres import PG_URL, reset_schema

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# cases per operation: about 120 operations, so a run of a minute or two on a busy machine
EXAMPLES = 6
# these end the session the other cases use: what they do is tested in tests/accounts
SIGNING_OUT = {("POST", "/f/logout"), ("POST", "/f/account/overal-uitloggen"), ("POST", "/f/account/wachtwoord")}


@dataclass
class Signed:
    """A real server, the cookies of a browser signed in and joined as a phone, and the real secrets of paths."""

    url: str
    cookies: dict[str, str]
    secrets: dict[tuple[str, str], str]
    turns: dict[str, int] = field(default_factory=dict)

    def fill(self, case: schemathesis.Case) -> None:
        """Give every other case of a path with secrets (join code, projector, personal or calendar link) real ones."""
        path = case.operation.path
        real = {name: value for (prefix, name), value in self.secrets.items() if path.startswith(prefix)}
        self.turns[path] = self.turns.get(path, 0) + 1
        if real and self.turns[path] % 2:
            case.path_parameters = {**(case.path_parameters or {}), **real}


def found(pattern: str, page: str) -> str:
    """The first group of a pattern the page must hold."""
    match = re.search(pattern, page)
    assert match is not None, pattern
    return match.group(1)


def on_postgresql(tmp_path: Path) -> Settings:
    """Settings on the test PostgreSQL database, emptied and migrated."""
    reset_schema()
    database = Database(PG_URL or "")
    database.migrate()
    database.close()
    return Settings(data_dir=tmp_path, environment="test", secret_key="z" * 40, database_url=PG_URL)


# PostgreSQL refuses what SQLite takes (a NUL in text, an id past its INTEGER): a 500 there only shows there
@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not PG_URL, reason="DOORBRAAK_TEST_DATABASE_URL is not set: PostgreSQL run skipped"),
            ],
        ),
    ]
)
def signed_in_server(request: pytest.FixtureRequest, tmp_path: Path, migrated_template: Path) -> Iterator[Signed]:
    """A real server with a facilitator signed in, a workshop made, a phone joined and a calendar feed made."""
    if request.param == "postgresql":
        settings = on_postgresql(tmp_path)
    else:
        settings = migrated_copy(
            migrated_template, Settings(data_dir=tmp_path, environment="test", secret_key="z" * 40)
        )
    app = create_app(settings)
    with serving(app) as url, httpx.Client(base_url=url) as http, httpx.Client(base_url=url) as phone:
        page = http.get("/setup")
        form = {"csrf": csrf_of(page.text), "name": "Fenna", "email": "fenna@buurt.nl", "password": PASSWORD}
        assert http.post("/setup", data=form).status_code == 303
        workshop = {
            "csrf": csrf_of(http.get("/f/workshops").text),
            "title": "Overlast",
            "opgave": "Samen",
            "held_on": "2026-11-22",
        }
        assert http.post("/f/workshops", data=workshop).status_code == 303
        board = http.get("/f/workshops/1").text
        code = found(r'class="code-chip"[^>]*>([^<]+)<', board).replace(" ", "")
        projector = found(r'href="/p/([^"]+)"', board)
        joining = {"csrf": csrf_of(phone.get(f"/j/{code}").text), "name": "Ali", "organisation": "Woonstichting"}
        assert phone.post(f"/j/{code}/participant", data=joining).status_code == 303
        feed = http.post("/f/agenda", data={"csrf": workshop["csrf"], "scope": "workspace"}).text
        calendar = found(r"/agenda/([^/\"]+)\.ics", feed)
        runtime = app.state.runtime
        ali = runtime.db.read_sync(lambda db: db.get(Participant, 1))
        cookie = workshops.participant_cookie(code)
        secrets = {
            ("/j/", "code"): code,
            ("/p/", "token"): projector,
            ("/m/", "link_token"): workshops.link_token(ali, secret=runtime.secret_key),
            ("/agenda/", "token"): calendar,
        }
        yield Signed(url, {**dict(http.cookies), cookie: phone.cookies[cookie]}, secrets)


def test_the_api_answers_as_its_openapi_document_says(signed_in_server: Signed) -> None:
    url, cookies = signed_in_server.url, signed_in_server.cookies
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    headers = {"x-csrf-token": cookies["dbk_csrf"], "accept": "application/json"}
    failures: set[str] = set()
    answered: set[str] = set()  # the operations that did what was asked at least once
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SIGNING_OUT:
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            signed_in_server.fill(case)
            response = case.call(base_url=url, headers=headers, cookies=cookies, allow_redirects=False)
            if response.status_code < 300:
                answered.add(f"{case.method} {case.operation.path}")
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:
                for failure in group.exceptions:
                    failures.add(f"{case.method} {case.operation.path} -> {response.status_code}: {failure.title}")

        check()
    assert not failures, "\n".join(sorted(failures))
    # signed in, the cases reach the facilitator's pages and the workshop (id 1), not only refusals
    assert {"GET /f/workshops", "GET /f/workshops/{workshop_id}", "GET /f/register"} <= answered
    # and with the real codes and links, a phone's, the projector's and a calendar's routes past their lookup
    assert {"GET /j/{code}", "GET /p/{token}", "POST /m/{link_token}/agenda", "GET /agenda/{token}.ics"} <= answered
    print(f"{len(answered)} operations answered 2xx:", *sorted(answered), sep="\n")
