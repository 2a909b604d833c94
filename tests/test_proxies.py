"""Who the client is: X-Forwarded-For only from DOORBRAAK_TRUSTED_PROXIES (a real uvicorn server), and the Host
header only from DOORBRAAK_ALLOWED_HOSTS."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse

from app.config import Settings
from app.demo.driver import csrf_of
from app.main import create_app
from app.runtime import host_allowed, origin_allowed
from tests.conftest import LimitsClock, migrated_copy
from tests.servers import serving


def served(tmp_path: Path, template: Path, **extra: Any) -> Iterator[httpx.Client]:
    """A real uvicorn server, started as `doorbraak serve` starts it, on an app with these settings."""
    settings = Settings(data_dir=tmp_path, environment="test", secret_key="t" * 40, **extra)
    with serving(create_app(migrated_copy(template, settings))) as url, httpx.Client(base_url=url) as http:
        yield http


@pytest.fixture
def trusting_nobody(tmp_path: Path, migrated_template: Path) -> Iterator[httpx.Client]:
    """A server with DOORBRAAK_TRUSTED_PROXIES empty, as by default."""
    yield from served(tmp_path, migrated_template)


@pytest.fixture
def behind_a_proxy(tmp_path: Path, migrated_template: Path) -> Iterator[httpx.Client]:
    """A server that believes a proxy on 127.0.0.1."""
    yield from served(tmp_path, migrated_template, trusted_proxies=["127.0.0.0/8"])


def guesses(http: httpx.Client, count: int, *, rotate: bool) -> list[int]:
    """Unknown join codes, each from another made-up address in X-Forwarded-For where rotate says so."""
    return [
        http.get(f"/j/ZZZZZ{n % 10}", headers={"x-forwarded-for": f"198.51.100.{n if rotate else 1}"}).status_code
        for n in range(count)
    ]


def wrong_passwords(http: httpx.Client, count: int) -> list[int]:
    """Wrong passwords for as many accounts (so only the address's allowance counts them), each from another
    made-up address in X-Forwarded-For."""
    token = csrf_of(http.get("/").text)
    return [
        http.post(
            "/f/login",
            data={"csrf": token, "email": f"gast{n}@buurtalliantie.nl", "password": "gok"},
            headers={"x-forwarded-for": f"203.0.113.{n}"},
        ).status_code
        for n in range(count)
    ]


def test_a_rotating_x_forwarded_for_does_not_slip_past_the_limits(
    frozen_clock: LimitsClock, trusting_nobody: httpx.Client
) -> None:
    assert guesses(trusting_nobody, 21, rotate=True)[-1] == 429
    assert wrong_passwords(trusting_nobody, 11)[-1] == 429


def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_limit(
    frozen_clock: LimitsClock, behind_a_proxy: httpx.Client
) -> None:
    assert set(guesses(behind_a_proxy, 21, rotate=True)) == {404}
    assert guesses(behind_a_proxy, 21, rotate=False)[-1] == 429


def test_only_the_listed_proxies_are_believed(
    frozen_clock: LimitsClock, tmp_path: Path, migrated_template: Path
) -> None:
    for http in served(tmp_path, migrated_template, trusted_proxies=["10.0.0.0/8"]):
        assert guesses(http, 21, rotate=True)[-1] == 429


@pytest.fixture
def hosted(tmp_path: Path, migrated_template: Path) -> Iterator[TestClient]:
    """An app that answers to doorbraak.example.org only."""
    settings = Settings(
        data_dir=tmp_path, environment="test", secret_key="t" * 40, allowed_hosts=["doorbraak.example.org"]
    )
    with TestClient(create_app(migrated_copy(migrated_template, settings))) as client:
        yield client


def test_a_host_header_not_allowed_gets_a_400(hosted: TestClient) -> None:
    assert hosted.get("/", headers={"host": "doorbraak.example.org"}).status_code == 200
    assert hosted.get("/", headers={"host": "evil.example"}).status_code == 400
    with (
        pytest.raises(WebSocketDenialResponse) as refused,
        hosted.websocket_connect("/ws/phone/ZZZZZZ", headers={"host": "evil.example"}),
    ):
        pass
    assert refused.value.status_code == 400
    # the container's health check asks by address
    assert hosted.get("/healthz", headers={"host": "127.0.0.1:8000"}).status_code == 200


def test_origins_come_from_allowed_hosts_only(hosted: TestClient) -> None:
    settings = hosted.app.state.runtime.settings

    class Seen:
        def __init__(self, host: str, origin: str) -> None:
            self.headers = {"host": host, "origin": origin}

    assert origin_allowed(Seen("doorbraak.example.org", "https://doorbraak.example.org"), settings)
    assert not origin_allowed(Seen("evil.example", "https://evil.example"), settings)
    assert host_allowed("doorbraak.example.org:8443", ["doorbraak.example.org"])
    assert host_allowed("a.example.org", ["*.example.org"]) and not host_allowed("example.org.evil", ["*.example.org"])
