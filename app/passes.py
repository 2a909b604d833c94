"""Work the server does beside its requests: a pass run shortly after start, then at its interval."""

import asyncio
import logging
from collections.abc import Awaitable, Callable


async def repeat(
    first_s: float, every_s: float, run: Callable[[], Awaitable[object]], *, failed: str, log: logging.Logger
) -> None:
    """Run a pass shortly after start, then at its interval, for as long as the server runs; a failure goes to the
    log under the pass's own name."""
    await asyncio.sleep(first_s)
    while True:
        try:
            await run()
        except Exception:  # a failed run is retried at the next one; the server keeps serving
            log.exception(failed)
        await asyncio.sleep(every_s)
