"""What the server writes in its log about requests: never the secret in a link that opens something by itself, nor
whom a member searched the participants for."""

import asyncio
import contextlib
import html
import os
import re
import secrets
from pathlib import Path

import httpx
import websockets

from app.config import Settings
from app.live import router as live_router
from app.main import create_app
from app.web import SECRET_PATHS
from tests.servers import doorbraak_serve, free_port, stop, wait_for


def test_the_log_shows_the_requests_to_secret_links_without_their_secrets(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DOORBRAAK_DATABASE_URL", "DOORBRAAK_BROADCAST_URL")}
    env |= {"DOORBRAAK_DATA_DIR": str(tmp_path / "data"), "DOORBRAAK_SECRET_KEY": "s" * 40}
    personal, projector, feed, mail, invitation = (f"{n}.{secrets.token_urlsafe(24)}" for n in range(1, 6))
    requests = [
        f"/m/{personal}",
        f"/m/{personal}/gegevens.json",
        f"/p/{projector}",
        f"/agenda/{feed}.ics",
        f"/afmelden/{mail}",
        f"/status/{mail}?status=klaar",
        f"/weer-aanmelden/{mail}",
        f"/uitnodiging/{invitation}",
        # a member's search of a workshop's participants: for whom is personal data
        "/f/workshops/1/deelnemers?q=ali.yilmaz%40schuldhulp.nl&page=2",
        "/f/workshops/1/deelnemers?page=2&q=Ali+Yilmaz",
        # and of the register, whose search finds contacts by name
        "/f/register?status=open&q=Jan+Smit&q=Smit",
    ]
    port, log = free_port(), tmp_path / "server.log"
    server = doorbraak_serve(port, env, log, log_level="info")
    base = f"http://127.0.0.1:{port}"
    try:
        for path in requests:
            page = httpx.get(base + path, timeout=10)
            # the page's language switch names the page to come back to, secret and all, in its query
            for switch in re.findall(r'href="(/taal/[^"]+)"', page.text):
                httpx.get(base + html.unescape(switch), timeout=10)
        # the same page to go back to, its slashes encoded as another page or browser may write them
        httpx.get(f"{base}/taal/en?next=%2Fm%2F{personal}%2Fgegevens.json", timeout=10)

        async def projector_socket() -> None:
            # refused or accepted and then closed, as an unknown projector link is: either way it is logged
            with contextlib.suppress(websockets.exceptions.WebSocketException):
                async with websockets.connect(f"ws://127.0.0.1:{port}/ws/projector/{projector}", origin=base) as socket:
                    await socket.recv()

        asyncio.run(projector_socket())
        wait_for(lambda: "WebSocket /ws/projector/" in log.read_text(), "the projector's socket in the log")
        wait_for(lambda: "%2Fgegevens.json" in log.read_text(), "the last request in the log")
    finally:
        stop(server)
    said = log.read_text()
    for secret in (personal, projector, feed, mail, invitation, "yilmaz", "Yilmaz", "Smit"):
        assert secret not in said
    # what an operator needs to follow the traffic stays: which kind of link, the rest of the path, the answer
    for shown in (
        '"GET /m/*** HTTP/1.1" 404',
        '"GET /m/***/gegevens.json HTTP/1.1" 404',
        '"GET /agenda/***.ics HTTP/1.1" 404',
        '"GET /status/***?status=klaar HTTP/1.1"',
        '"WebSocket /ws/projector/***"',
        '"GET /taal/en?next=/m/*** HTTP/1.1" 303',
        '"GET /taal/en?next=%2Fm%2F***%2Fgegevens.json HTTP/1.1" 303',
        '"GET /f/workshops/1/deelnemers?q=***&page=2 HTTP/1.1" 303',
        '"GET /f/workshops/1/deelnemers?page=2&q=*** HTTP/1.1" 303',
        '"GET /f/register?status=open&q=***&q=*** HTTP/1.1" 303',
    ):
        assert shown in said, shown


def test_every_route_that_takes_a_secret_link_is_masked_in_the_log(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, environment="test", secret_key="t" * 40))
    paths = [*app.openapi()["paths"], *(getattr(route, "path", "") for route in live_router.router.routes)]
    secret = [path for path in paths if re.search(r"\{(token|link_token)\}", path)]
    assert len(secret) > 10
    for path in secret:
        assert path.startswith(SECRET_PATHS) and path.split("{")[0] in SECRET_PATHS, path
