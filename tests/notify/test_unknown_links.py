"""Secret links that name nothing (personal, projector, mail, calendar): each miss counts against its address, which
gets a 429 for misses once past the allowance, while every real link keeps working, from anywhere."""

from datetime import timedelta
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlmodel import col
from starlette.testclient import WebSocketDenialResponse

from app.models import CalendarFeed, MailSuppression, MailToken, Workshop, utcnow
from app.notify import feeds, outbox
from app.workshops import service as workshops
from tests.conftest import SECRET_KEY, LimitsClock
from tests.notify.conftest import Network, build_network, database

# a path that opens a secret link, by how a miss is asked for: (method, path with {token} in it)
LINK_ROUTES = [
    ("GET", "/m/{token}"),
    ("GET", "/m/{token}/vergeet-mij"),
    ("GET", "/m/{token}/gegevens.json"),
    ("GET", "/status/{token}"),
    ("GET", "/afmelden/{token}"),
    ("POST", "/afmelden/{token}"),
    ("GET", "/e-mail-bevestigen/{token}"),
    ("GET", "/agenda/{token}.ics"),
    ("GET", "/p/{token}"),
    ("GET", "/p/{token}/words"),
]


def _from(client: TestClient, address: str) -> TestClient:
    """A browser at this address, on the running app of client."""
    other = TestClient(client.app, client=(address, 50000))
    other.portal = client.portal
    return other


def _allowance(client: TestClient) -> int:
    """How many unknown links (or codes) one address may try in a window."""
    app = cast(FastAPI, client.app)
    return int(app.state.runtime.limits.unknown_codes[0].amount)


def _ask(http: TestClient, method: str, path: str, **kwargs: Any) -> Any:
    # a mail program's one-click unsubscribe (RFC 8058) posts this body, without cookies or a CSRF token
    data = {"List-Unsubscribe": "One-Click"} if method == "POST" else None
    return http.request(method, path, data=data, **kwargs)


@pytest.fixture
def network(client: TestClient) -> Network:
    """The people around one action, in the app's database."""
    return database(client).write_sync(build_network)


def _unsubscribe_link(client: TestClient, network: Network) -> str:
    token, row = outbox.new_token(
        purpose="unsubscribe",
        workspace_id=network.workspace_id,
        address="olga@woon.nl",
        expires_at=utcnow() + timedelta(days=30),
    )
    database(client).write_sync(lambda tx: tx.add(MailToken(**row)))
    return f"/afmelden/{token}"


def _real_links(client: TestClient, network: Network) -> dict[str, str]:
    """One real link of each kind."""
    db = database(client)
    workshop = db.read_sync(lambda tx: tx.get(Workshop, network.workshop_id))
    feed = db.write_sync(
        lambda tx: feeds.create_feed(
            tx, workspace_id=network.workspace_id, scope="participant", participant_id=network.people["owner"]
        )
    )
    return {
        "personal": f"/m/{network.links['owner']}",
        "projector": f"/p/{workshops.projector_token(workshop, secret=SECRET_KEY)}",
        "feed": f"/agenda/{feed}.ics",
        "unsubscribe": _unsubscribe_link(client, network),
    }


@pytest.mark.parametrize(("method", "route"), LINK_ROUTES, ids=[f"{m} {r}" for m, r in LINK_ROUTES])
def test_unknown_links_are_limited_per_address_on_every_route_that_opens_one(
    frozen_clock: LimitsClock, client: TestClient, method: str, route: str
) -> None:
    prober = _from(client, "203.0.113.9")
    allowed = _allowance(client)
    tries = [_ask(prober, method, route.format(token=f"gok{i}")).status_code for i in range(allowed + 2)]
    assert tries == [404] * allowed + [429, 429]
    refused = _ask(prober, method, route.format(token="gok"), headers={"accept-language": "en"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "Too many unknown links tried" in refused.text or "Too many unknown links tried" in str(refused.json())
    # another address is not held back by this one's misses
    assert _ask(_from(client, "198.51.100.4"), method, route.format(token="gok")).status_code == 404
    # the window ends: the address may try again
    frozen_clock.advance(61)
    assert _ask(prober, method, route.format(token="gok")).status_code == 404


def test_real_links_open_from_an_address_past_its_allowance_and_from_others(
    frozen_clock: LimitsClock, client: TestClient, network: Network
) -> None:
    links = _real_links(client, network)
    shared = _from(client, "192.0.2.50")  # a proxy or venue that many people share
    allowed = _allowance(client)
    # misses of all kinds add up to one tally per address
    for i in range(allowed):
        method, route = LINK_ROUTES[i % len(LINK_ROUTES)]
        assert _ask(shared, method, route.format(token=f"gok{i}")).status_code == 404
    assert shared.get("/m/gok").status_code == 429
    for kind, path in links.items():
        assert shared.get(path).status_code == 200, kind
        assert _from(client, "198.51.100.4").get(path).status_code == 200, kind
    # still held back for a miss: a real link's opening forgives none
    assert shared.get("/agenda/gok.ics").status_code == 429
    # join codes are counted apart: a venue's misses on links do not turn away its phones' mistyped codes
    assert shared.get("/j/ZZZZZZ").status_code == 404


def test_a_mail_programs_one_click_unsubscribe_through_a_shared_proxy_past_its_allowance_still_unsubscribes(
    frozen_clock: LimitsClock, client: TestClient, network: Network
) -> None:
    link = _unsubscribe_link(client, network)
    provider = _from(client, "192.0.2.77")  # the mail provider's servers post for all of its users
    allowed = _allowance(client)
    assert {_ask(provider, "POST", f"/afmelden/oud{i}").status_code for i in range(allowed + 1)} == {404, 429}
    done = _ask(provider, "POST", link)
    assert done.status_code == 200
    suppressed = database(client).read_sync(lambda tx: list(tx.execute(select(col(MailSuppression.address))).scalars()))
    assert suppressed == ["olga@woon.nl"]


def test_polls_of_a_revoked_calendar_feed_are_no_misses(
    frozen_clock: LimitsClock, client: TestClient, network: Network
) -> None:
    # a calendar that subscribed goes on asking for a feed the office revoked, from an address it shares with
    # thousands of other subscribers: those asks are answered 404 and hold no one back
    path = _real_links(client, network)["feed"]
    database(client).write_sync(lambda tx: tx.execute(update(CalendarFeed).values(revoked_at=utcnow())))
    calendars = _from(client, "192.0.2.99")
    allowed = _allowance(client)
    assert {calendars.get(path).status_code for _ in range(allowed + 2)} == {404}
    assert calendars.get("/agenda/gok.ics").status_code == 404


def test_a_link_that_expired_is_no_miss(frozen_clock: LimitsClock, client: TestClient, network: Network) -> None:
    path = _unsubscribe_link(client, network)
    database(client).write_sync(
        lambda tx: tx.execute(update(MailToken).values(expires_at=utcnow() - timedelta(days=1)))
    )
    reader = _from(client, "192.0.2.98")
    allowed = _allowance(client)
    assert {reader.get(path).status_code for _ in range(allowed + 2)} == {410}
    assert reader.get("/afmelden/gok").status_code == 404


def _open_projector_socket(http: TestClient, token: str) -> int:
    """The status a projector's websocket gets for this link: 101 where it opens, else its refusal's."""
    try:
        with http.websocket_connect(f"/ws/projector/{token}"):
            return 101
    except WebSocketDenialResponse as refused:
        return refused.status_code


def test_unknown_projector_links_on_the_projectors_socket_count_as_misses(
    frozen_clock: LimitsClock, client: TestClient, network: Network
) -> None:
    # the socket takes the same secret as /p/: guesses there were answered 404 for ever, past the allowance of /p/
    prober = _from(client, "203.0.113.10")
    allowed = _allowance(client)
    tries = [_open_projector_socket(prober, f"gok{i}") for i in range(allowed + 1)]
    assert tries == [404] * allowed + [429]
    # one tally with the pages' misses, and a real projector link still opens from this address
    assert prober.get("/p/gok").status_code == 429
    workshop = database(client).read_sync(lambda tx: tx.get(Workshop, network.workshop_id))
    assert _open_projector_socket(prober, workshops.projector_token(workshop, secret=SECRET_KEY)) == 101
