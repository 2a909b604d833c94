"""Text cleaning, join codes, tokens, password hashes and rate limits."""

import asyncio
import contextlib
import random
import socket
import stat
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from argon2 import extract_parameters, profiles
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from app import security, web
from app.config import Settings
from app.live.protocol import MAX_HEAD
from app.main import create_app
from tests.servers import serving


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Geen   budget  ", "Geen budget"),
        ("Geen\u200bbud\u200dget", "Geenbudget"),
        ("abc\u202edcba\u202c", "abcdcba"),
        ("\u2066isolate\u2069 \ufeffbom", "isolate bom"),
        ("regel 1\r\nregel 2", "regel 1\nregel 2"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("bel\x07l", "bell"),
        ("e\u0301cole", "\u00e9cole"),
        ("\u200b\u200b", ""),
    ],
)
def test_clean_text_removes_invisible_and_direction_characters(raw: str, clean: str) -> None:
    assert security.clean_text(raw) == clean


def test_the_quick_path_for_one_visible_line_cleans_as_every_step_would() -> None:
    # letters, accents (composed and combining), and each kind of character the full clean-up removes or tidies
    alphabet = ["a", "B", " ", "\u00e9", "e\u0301", "\u212b", "\u00ad", "\u200b", "\u202e", "\u2066", "\ufeff"]
    alphabet += ["\u00a0", "\t", "\n", "\r", "\x07", "\x7f", "\u0085", "\u3000", "!"]
    pick = random.Random(7)
    texts = ["".join(pick.choices(alphabet, k=pick.randint(0, 12))) for _ in range(5000)]
    assert sum(security._quick(text) for text in texts) > 500  # the quick path is really taken
    assert [security.clean_text(text) for text in texts] == [security._clean_fully(text) for text in texts]


def test_join_codes_avoid_look_alike_characters() -> None:
    codes = {security.new_join_code() for _ in range(2000)}
    assert len(codes) > 1990
    used = set("".join(codes))
    assert not used & set("0O1IL")
    assert all(len(code) == 6 for code in codes)


def test_typed_codes_are_normalised() -> None:
    assert security.normalise_join_code(" abc-234 ") == "ABC234"
    assert security.normalise_join_code("abc 234") == "ABC234"
    assert security.normalise_join_code("ABC\x00234") == security.normalise_join_code("%ABC") == ""


def test_passwords_are_argon2_and_verify() -> None:
    digest = security.hash_password("een lang wachtwoord")
    assert digest.startswith("$argon2id$")
    assert security.verify_password(digest, "een lang wachtwoord")
    assert not security.verify_password(digest, "fout")
    assert not security.verify_password("not-a-hash", "fout")


@pytest.mark.parametrize("environment", ["production", "development"])
def test_outside_the_test_suite_passwords_get_argon2s_real_parameters(environment: str, tmp_path: Path) -> None:
    create_app(Settings(environment=environment, data_dir=tmp_path, secret_key="p" * 40))
    try:
        parameters = extract_parameters(security.hash_password("een lang wachtwoord"))
    finally:
        security.use_password_parameters(Settings(environment="test"))  # the suite's own again, for the tests after
    assert parameters == profiles.RFC_9106_LOW_MEMORY


@pytest.mark.parametrize("environment", ["production", "test"])
def test_a_sign_in_without_an_account_verifies_a_hash_like_an_accounts(
    environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []
    monkeypatch.setattr(security, "verify_password", lambda digest, password: verified.append(digest) or False)
    security.use_password_parameters(Settings(environment=environment))
    try:
        security.verify_without_account("geraden")
        an_accounts = security.hash_password("een lang wachtwoord")
    finally:
        security.use_password_parameters(Settings(environment="test"))
    assert extract_parameters(verified[0]) == extract_parameters(an_accounts)


def test_the_test_suite_hashes_with_argon2s_least_parameters(settings: Settings) -> None:
    create_app(settings)
    digest = security.hash_password("een lang wachtwoord")
    assert extract_parameters(digest) == profiles.CHEAPEST
    assert security.verify_password(digest, "een lang wachtwoord")
    assert not security.verify_password(digest, "fout")


@pytest.mark.parametrize(
    ("raw", "number"),
    [("7", 7), (" 12 ", 12), ("0", None), ("²", None), ("٣", None), ("1_0", None), ("-3", None), ("+3", None)]
    + [("3.0", None), ("", None), (str(2**31 - 1), 2**31 - 1), (str(2**31), None), ("9" * 5000, None)],
)
def test_whole_numbers_are_read_strictly_and_within_bounds(raw: str, number: int | None) -> None:
    assert security.whole_number(raw) == number


def test_a_derived_token_depends_on_its_secret_kind_row_and_salt() -> None:
    given = {"secret": "s" * 40, "kind": "personal link", "row_id": 42, "salt": security.new_salt()}
    token = security.derived_token(**given)
    assert token == security.derived_token(**given) and token.startswith("42.")
    assert security.derived_token_row(token) == 42
    assert security.derived_token_matches(token, **given)
    for changed in ({"secret": "o" * 40}, {"kind": "projector link"}, {"row_id": 43}, {"salt": security.new_salt()}):
        assert not security.derived_token_matches(token, **(given | changed))
    assert not security.derived_token_matches(token[:-1] + "\u00e9", **given)


@pytest.mark.parametrize(
    "text",
    ["", ".", "42.", "42", "042." + "A" * 32, "42." + "A" * 31, "42." + "A" * 33, "4 2." + "A" * 32]
    + ["42." + "A" * 31 + "=", "-42." + "A" * 32, "9" * 20 + "." + "A" * 32, security.new_token()],
)
def test_only_text_of_the_derived_form_names_a_row(text: str) -> None:
    assert security.derived_token_row(text) is None


def test_the_data_directory_and_the_database_are_created_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh" / "data", environment="test")
    with TestClient(create_app(settings)) as client:
        assert client.get("/setup").status_code == 200
        files = {path.name: stat.S_IMODE(path.stat().st_mode) for path in settings.data_dir.iterdir()}
        assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
    assert files["doorbraak.db"] == files["secret_key"] == 0o600
    assert files.get("doorbraak.db-wal", 0o600) == 0o600  # SQLite gives its log the database's mode


def test_hsts_is_sent_over_https_only(app: FastAPI) -> None:
    with TestClient(app, base_url="https://doorbraak.example") as secure:
        assert secure.get("/setup").headers["strict-transport-security"] == "max-age=31536000"
    with TestClient(app) as plain:
        assert "strict-transport-security" not in plain.get("/setup").headers


@pytest.mark.parametrize(
    ("https_by", "sent"),
    [
        ({"public_url": "https://doorbraak.example"}, True),
        ({"cookie_secure": True}, True),
        ({"public_url": "http://192.168.1.20:8000"}, False),
        ({"public_url": "https://doorbraak.example", "cookie_secure": False}, False),
    ],
    ids=["an https DOORBRAAK_PUBLIC_URL", "DOORBRAAK_COOKIE_SECURE", "an http public URL", "forced off"],
)
def test_hsts_follows_the_cookies_rule_behind_a_proxy_that_is_not_believed(
    settings: Settings, https_by: dict[str, object], sent: bool
) -> None:
    # a TLS proxy that DOORBRAAK_TRUSTED_PROXIES does not name makes every request read as plain http
    with TestClient(create_app(settings.model_copy(update=https_by))) as http:
        page = http.get("/setup")
        style = http.get(web.static.url("css/app.css"))
    assert style.status_code == 200
    for response in (page, style):
        assert ("strict-transport-security" in response.headers) is sent, response.url


def _raw_post(url: str, path: str, head: dict[str, str], body: bytes) -> bytes:
    """Send a request's head and the start of its body over a plain socket, and read what comes back."""
    host, port = url.removeprefix("http://").split(":")
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", *(f"{name}: {value}" for name, value in head.items())]
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        return answer


def test_a_body_declared_too_large_is_refused_before_it_is_read(app: FastAPI) -> None:
    accept = "/f/workshops/1/suggestions/accept"
    with serving(app) as url:
        # 100 MB declared, 1 kB sent: the answer comes without waiting for the rest, from anyone, signed in or not
        head = {"Content-Type": "application/json", "Accept": "application/json", "Content-Length": "100000000"}
        answer = _raw_post(url, accept, head, b"{" + b" " * 1000)
        assert answer.startswith(b"HTTP/1.1 413")
        with httpx.Client(base_url=url) as http:
            at_the_limit = b'{"piles": []}' + b" " * (web.MAX_BODY - 13)
            refused = http.post(accept, content=at_the_limit, headers={"content-type": "application/json"})
            assert refused.status_code == 403  # read, and refused for what it is: no CSRF token
            over = http.post(accept, content=at_the_limit + b" ", headers={"accept": "application/json"})
            assert over.status_code == 413
            assert over.json() == {"detail": "Dit is te veel om in één keer te versturen.", "code": "too_large"}


def test_a_chunked_body_is_refused_once_it_passes_the_limit(app: FastAPI) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"piles": ['
        while sent < web.MAX_BODY * 3 // 2:  # past the app's limit, within the protocol's (MAX_REQUEST)
            sent += 65536
            yield b" " * 65536

    with serving(app) as url, httpx.Client(base_url=url) as http:
        headers = {"content-type": "application/json", "accept": "application/json", "accept-language": "en"}
        try:
            answer = http.post("/f/workshops/1/suggestions/accept", content=chunks(), headers=headers)
        except httpx.TransportError:
            pytest.fail(f"the connection broke after {sent} bytes instead of answering")
        assert answer.status_code == 413
        assert answer.json() == {"detail": "This is too much to send at once.", "code": "too_large"}
        assert http.get("/setup").status_code == 200  # the server goes on serving


def test_a_burst_of_wrong_sign_ins_at_once_checks_no_more_passwords_than_one_after_another(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    verify = security.verify_password

    def slow_verify(digest: str, password: str) -> bool:
        checked.append(password)
        time.sleep(0.02)  # argon2's real parameters take a tenth of a second or more; the suite's own take nothing
        return verify(digest, password)

    monkeypatch.setattr(security, "verify_password", slow_verify)

    async def burst(url: str) -> list[int]:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            await http.get("/setup")
            form = {"csrf": http.cookies["dbk_csrf"], "email": "iemand@buurt.nl"}
            answers = await asyncio.gather(
                *(http.post("/f/login", data=form | {"password": f"geraden {n}"}) for n in range(40))
            )
            return [answer.status_code for answer in answers]

    with serving(app) as url:
        statuses = Counter(asyncio.run(burst(url)))
    allowance = min(rule.amount for rule in app.state.runtime.limits.sign_ins_per_address)
    # forty guesses at once: as many are checked as one after another would be (each is counted before its check),
    # the rest are told to wait
    assert statuses[401] == allowance
    # past the turns and their queue, a sign-in is told at once to retry in a moment (503): how many depends on how
    # fast they arrive, which test_sign_ins_past_the_queue_are_told_to_retry_at_once holds apart
    assert statuses[401] + statuses[429] + statuses[503] == 40 and len(checked) == statuses[401]


async def test_sign_ins_past_the_queue_are_told_to_retry_at_once(settings: Settings) -> None:
    from app.auth import SignInAttempt, password_refusal

    turn = security.password_turn()
    release = anyio.Event()
    waiting = 2 + security.PASSWORD_QUEUE

    async def hold() -> None:
        async with turn:
            await release.wait()

    async with anyio.create_task_group() as holders:
        for _ in range(waiting):  # two in their turn, the queue full behind them
            holders.start_soon(hold)
        await anyio.wait_all_tasks_blocked()
        assert turn.statistics().tasks_waiting == security.PASSWORD_QUEUE
        attempt = SignInAttempt(account="a", address="b", browser=None)
        # told before anything is read of the request or the password
        with anyio.fail_after(5):
            refused = await password_refusal(None, attempt, None, "geraden")  # type: ignore[arg-type]
        release.set()
    assert refused is not None and refused.status == 503 and refused.retry_after == security.PASSWORD_RETRY_AFTER


def _form_post(app: FastAPI) -> Request:
    """A sign-in form's request as the routes get it, from one address, without cookies."""

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "app": app, "method": "POST", "path": "/", "headers": [], "client": ("10.1.2.3", 5000)}
    return Request(scope, receive)


async def test_a_sign_in_gives_the_account_for_its_right_password_and_the_same_words_otherwise(app: FastAPI) -> None:
    from app.auth import Refusal, SignInAttempt, account_signing_in
    from app.models import Facilitator

    email = "mees@buurt.nl"
    account = Facilitator(id=1, email=email, name="Mees", password_hash=security.hash_password("goed geheim"))
    request = _form_post(app)
    attempt = SignInAttempt.of(request, email)
    assert await account_signing_in(request, attempt, account, "goed geheim") is account
    refusal = Refusal(401, "E-mailadres of wachtwoord klopt niet.")
    # a wrong password and an unknown address read alike, whatever the password
    assert await account_signing_in(request, attempt, account, "fout") == refusal
    assert await account_signing_in(request, attempt, None, "goed geheim") == refusal


def _endless(url: str, start: bytes, limit: int) -> bytes:
    """Send the start of a request and then more of its last line than limit allows; what came back by the time
    the server ended the connection."""
    host, port = url.removeprefix("http://").split(":")
    answer: list[bytes] = []
    ended = threading.Event()
    with socket.create_connection((host, int(port)), timeout=10) as sock:

        def read() -> None:
            try:
                while chunk := sock.recv(65536):
                    answer.append(chunk)
                ended.set()
            except ConnectionResetError:  # the server closed with our bytes unread
                ended.set()
            except TimeoutError:
                pass

        reader = threading.Thread(target=read)
        reader.start()
        sent = 0
        with contextlib.suppress(OSError):
            sock.sendall(start)
            while sent < 4 * limit:
                sock.sendall(b"a" * 65536)
                sent += 65536
        reader.join(timeout=15)
        assert ended.is_set(), "the server kept the connection open"
    return b"".join(answer)


def test_a_request_head_longer_than_any_browser_sends_ends_the_connection(app: FastAPI) -> None:
    with serving(app) as url:
        answer = _endless(url, b"GET /setup HTTP/1.1\r\nHost: x\r\nX-Long: ", MAX_HEAD)
        assert answer.startswith(b"HTTP/1.1 431 ")
        # a chunked body's trailer is headers again, read after the head
        head = b"POST /f/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        trailer = head + b"Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-Trailer: "
        assert _endless(url, trailer, MAX_HEAD) == b""  # the form is never whole, so never answered
        with httpx.Client(base_url=url) as http:
            # a long head a browser could send (big cookies) passes; the server goes on serving
            assert http.get("/setup", headers={"x-long": "a" * 100_000}).status_code == 200


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Jeugd\r\noverlast\n\n\tNoord\n", "Jeugd overlast Noord"),
        ("Netwerk\u2028Noord", "Netwerk Noord"),
        ("  één  regel ", "één regel"),
        ("\n\n", ""),
    ],
)
def test_a_line_folds_its_line_breaks_and_tabs_into_one_space(raw: str, clean: str) -> None:
    assert security.clean_line(raw) == clean
