"""A real uvicorn server in a background thread, for tests that need real sockets."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from app.cli import uvicorn_options


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve app on a free port as `doorbraak serve` would (protocol checked now); yields its base URL."""
    options = {k: v for k, v in uvicorn_options().items() if k != "factory"}
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not (server.started and server.servers):
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
