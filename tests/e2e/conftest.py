"""Browser fixtures: one Debian Chromium for all browser tests, fresh isolated contexts per test."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, LAPTOP, PHONE, PROJECTOR  # noqa: F401


# Package scope: one browser for every test in tests/e2e, the whole session long when only these run. Not
# "session": Playwright's sync API keeps its event loop running on this thread while it is open, and every
# asyncio test collected after tests/e2e would then fail with "Cannot run the event loop while another loop
# is running".
@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """The system's Chromium, driven by Playwright; skipped where either is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium or set DOORBRAAK_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        sync_api.expect.set_options(timeout=10_000)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_context(chromium: Any, live_server: str) -> Iterator[Callable[..., Any]]:
    """Makes browser contexts (separate cookies and storage, like separate devices) on the live server.

    Every uncaught script error in any page of them fails the test at teardown.
    """
    contexts: list[Any] = []
    errors: list[str] = []

    def make(**options: Any) -> Any:
        context = chromium.new_context(base_url=live_server, locale="nl-NL", **options)
        context.set_default_timeout(10_000)
        context.on("page", lambda page: page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}")))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert not errors, "script errors in the browser:\n" + "\n".join(errors)
