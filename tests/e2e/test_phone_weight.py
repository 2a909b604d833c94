"""A phone's first load stays light: what Chromium transfers from the join page to the live phone page."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.browser import PHONE
from tests.e2e.test_live_session import start_session

pytestmark = pytest.mark.e2e
expect: Any = pytest.importorskip("playwright.sync_api").expect

# issue 13: a room on venue wifi or 4G joins in seconds
FIRST_LOAD_LIMIT = 50_000
VERSIONED = re.compile(r"/static/[0-9a-f]{12}/")
# a network's list of organisations: the join page then offers it, and join.js fetches the names to suggest
NETWORK = [
    f"{kind} {place}"
    for kind in (
        "Gemeente",
        "Woonstichting",
        "Stichting Welzijn en Maatschappelijke Dienstverlening",
        "Wijkteam",
        "GGD",
        "Basisschool De Regenboog",
        "Jongerenwerk",
        "Politie basisteam",
    )
    for place in ("Heerlen", "Kerkrade", "Landgraaf", "Brunssum", "Parkstad-Zuid")
]


def transferred(responses: list[Any]) -> list[tuple[int, str]]:
    """Bytes over the wire per response, headers and (compressed) body; 0 where the browser's cache answered."""
    listing = []
    for response in responses:
        sizes = response.request.sizes()
        encoding = response.headers.get("content-encoding", "")
        listing.append(
            (
                sizes["responseHeadersSize"] + sizes["responseBodySize"],
                f"{response.request.method} {response.url} {encoding}",
            )
        )
    return listing


def add_the_network(board: Any, names: list[str] = NETWORK) -> None:
    """The office's list of organisations, through the list page's form."""
    csrf = board.evaluate("document.querySelector('meta[name=csrf-token]').content")
    for name in names:
        response = board.context.request.post("/f/organisaties", form={"csrf": csrf, "name": name})
        assert response.ok, name


@pytest.mark.parametrize("organisations", [0, len(NETWORK)])
def test_a_phone_joins_and_reaches_its_live_page_in_at_most_50_kb(
    new_context: Callable[..., Any], organisations: int
) -> None:
    session = start_session(new_context)
    if organisations:
        add_the_network(session.board)
    responses: list[Any] = []
    phone = new_context(**PHONE).new_page()
    phone.on("response", lambda response: responses.append(response))

    # as a real phone does: the QR code's link, the join form, then the live phone page
    phone.goto(f"/j/{session.code}")
    form = phone.locator("#join-form")
    form.get_by_label("Je naam").fill("Ali")
    if organisations:
        form.get_by_label("Je organisatie").fill("woonst heer")
        phone.get_by_role("option", name="Woonstichting Heerlen").click()
    else:
        form.get_by_label("Je organisatie").fill("Woonstichting")
    form.get_by_role("button", name="Meedoen").click()
    expect(phone.locator("#status")).to_have_attribute("data-state", "online")
    phone.wait_for_load_state("networkidle")

    first = transferred(responses)
    total = sum(size for size, _ in first)
    listing = "\n".join(f"{size:>7} {what}" for size, what in first)
    print(f"\nphone first load: {total} bytes in {len(first)} responses\n{listing}")
    assert total <= FIRST_LOAD_LIMIT, f"the phone's first load is {total} bytes:\n{listing}"

    # every static file came gzipped from a versioned URL; each page's modules as one file (app/bundles.py): one
    # request and one round trip, not one per wave of imports
    static = [r for r in responses if "/static/" in r.url]
    paths = sorted(VERSIONED.split(r.url, 1)[1] for r in static)
    assert "css/app.css" in paths
    assert "img/favicon.svg" not in paths  # the icon is written into the page (data_url)
    assert "css/office.css" not in paths  # the office's pages' styles (static/css/app.css says why)
    scripts = [path for path in paths if path.endswith(".js")]
    assert scripts == (["bundle/js/join.js"] if organisations else []) + ["bundle/js/phone.js"]
    for response in static:
        assert VERSIONED.search(response.url), f"{response.url} has no version"
        assert response.headers["content-encoding"] == "gzip", response.url
        assert "immutable" in response.headers["cache-control"], response.url

    # coming back (a phone that woke up, a reload) fetches no static file again
    responses.clear()
    phone.reload()
    expect(phone.locator("#status")).to_have_attribute("data-state", "online")
    phone.wait_for_load_state("networkidle")
    again = [(size, what) for size, what in transferred(responses) if "/static/" in what]
    assert again and all(size == 0 for size, _ in again), again
