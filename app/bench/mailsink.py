"""An SMTP server that counts what it accepts, for `doorbraak bench mail` (run as its own process).

`python -m app.bench.mailsink` listens on a free port of 127.0.0.1 with aiosmtpd (the test extras), prints
"port N", and then answers every line on standard input with the number of messages it has accepted; it stops
when standard input closes.
"""

import sys
import threading
from typing import Any


class Counter:
    """aiosmtpd's handler: accept every message, count it, keep nothing."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        """Count one accepted message."""
        with self._lock:
            self.count += 1
        return "250 OK"


def main() -> None:
    """Serve until standard input closes."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    print(f"port {port}", flush=True)
    try:
        for _ in sys.stdin:
            print(counter.count, flush=True)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
