"""Real servers for tests that need real sockets: uvicorn in a background thread, or `doorbraak serve` in a process."""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from app.cli import uvicorn_options

# where set (say "18300-18399"), the ports the servers of these tests take, so people sharing a machine keep apart
PORTS = os.environ.get("DOORBRAAK_TEST_PORTS", "")


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve app as `doorbraak serve` would (protocol checked now); yields its base URL.

    On a free port: one of DOORBRAAK_TEST_PORTS where that is set, so the browser tests keep to them too.
    """
    options = {k: v for k, v in uvicorn_options().items() if k != "factory"}
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port() if PORTS else 0, log_level="warning", **options)
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


def free_port() -> int:
    """A TCP port nobody listens on now: from DOORBRAAK_TEST_PORTS where that is set, else one the system picks."""
    low, _, high = PORTS.partition("-")
    candidates = range(int(low), int(high or low) + 1) if low else [0]
    offset = os.getpid() % len(candidates)  # parallel test processes start their search at different ports
    for port in [*candidates[offset:], *candidates[:offset]]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError(f"no free port in DOORBRAAK_TEST_PORTS={PORTS}")


def wait_for(check: Callable[[], Any], what: str, seconds: float = 20) -> None:
    """Poll check until it is true; fails after seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {seconds} s")


# how long a server process may take to answer its first request: a fresh venv compiles and migrates first, and CI
# shares two cores with whatever else runs (20 s was passed once there); a wait, not a measure of speed
SERVER_START_S = 60


def doorbraak_serve(
    port: int, env: dict[str, str], log: Path, *, log_level: str = "warning"
) -> "subprocess.Popen[bytes]":
    """`doorbraak serve` on a port, in a process of its own with these settings, once it answers."""
    command = [sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(port)]
    with log.open("a") as out:  # the child keeps its own handle on the log
        process = subprocess.Popen([*command, "--log-level", log_level], env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_for(
        lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200,
        f"server on {port}",
        SERVER_START_S,
    )
    return process


def stop(process: "subprocess.Popen[bytes]") -> None:
    """Stop a server process as an operator would, killing it if it does not stop within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
