"""A server killed with SIGKILL during a burst: acknowledged answers survive once, resends complete the rest."""

import asyncio
import json
import os
import signal
import subprocess
import uuid
from pathlib import Path

from sqlalchemy import select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.config import Settings
from app.demo.driver import DemoFacilitator, Phone, prepare, ws_url
from app.models import Answer
from app.store.database import Database
from tests.servers import doorbraak_serve, free_port

SECRET = "crash-test-secret-" + "x" * 20


def start_server(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    # one phone sends the whole burst here, so it gets a room's worth of answer allowance
    env = {
        **os.environ,
        "DOORBRAAK_DATA_DIR": str(data_dir),
        "DOORBRAAK_SECRET_KEY": SECRET,
        "DOORBRAAK_LIMIT_ANSWERS_PER_PHONE": "1000/second",
        "DOORBRAAK_LIMIT_ANSWERS_PER_ADDRESS": "100000/minute",
    }
    env.pop("DOORBRAAK_DATABASE_URL", None)
    env.pop("DOORBRAAK_BROADCAST_URL", None)
    return doorbraak_serve(port, env, log)


def test_sigkill_during_a_burst_keeps_every_acknowledged_answer_exactly_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SECRET)
    demo = prepare(settings)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(tmp_path, port, tmp_path / "server.log")
    texts = {str(uuid.uuid4()): f"antwoord {n}" for n in range(120)}
    acked_before_crash: set[str] = set()

    async def burst_then_crash(phone: Phone) -> None:
        cookie = "; ".join(f"{k}={v}" for k, v in phone.http.cookies.items())
        async with connect(ws_url(base, f"/ws/phone/{demo.code}"), additional_headers={"Cookie": cookie}) as ws:
            await ws.recv()  # snapshot
            for client_id, text in texts.items():
                await ws.send(json.dumps({"type": "answer", "client_id": client_id, "step": "obstacles", "text": text}))
            try:
                async for raw in ws:
                    frame = json.loads(raw)
                    if frame["type"] == "ack":
                        acked_before_crash.add(frame["client_id"])
                        if len(acked_before_crash) == 5:
                            server.send_signal(signal.SIGKILL)  # mid-burst, without warning
            except ConnectionClosed:
                pass

    async def resend_all(phone: Phone) -> dict[str, int]:
        cookie = "; ".join(f"{k}={v}" for k, v in phone.http.cookies.items())
        acks: dict[str, int] = {}
        async with connect(ws_url(base, f"/ws/phone/{demo.code}"), additional_headers={"Cookie": cookie}) as ws:
            await ws.recv()
            for client_id, text in texts.items():
                await ws.send(json.dumps({"type": "answer", "client_id": client_id, "step": "obstacles", "text": text}))
                while True:  # one at a time: the rate limit allows 10 at once, then one a second
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    if frame["type"] == "ack":
                        acks[frame["client_id"]] = frame["answer_id"]
                        break
                    if frame["type"] == "error" and frame["code"] == "rate_limited":
                        await asyncio.sleep(frame["retry_after"])
                        await ws.send(
                            json.dumps({"type": "answer", "client_id": client_id, "step": "obstacles", "text": text})
                        )
        return acks

    async def scenario() -> dict[str, int]:
        nonlocal server
        facilitator = DemoFacilitator(base, demo.workshop_id)
        await facilitator.sign_in(demo.password)
        await facilitator.step("1")
        await facilitator.close()
        phone = Phone(base, demo.code, "Ali", "Wijkteam")
        page = await phone.http.get(f"/j/{demo.code}")
        from app.demo.driver import csrf_of

        await phone.http.post(
            f"/j/{demo.code}/participant", data={"csrf": csrf_of(page.text), "name": "Ali", "organisation": "Wijkteam"}
        )
        await burst_then_crash(phone)
        server.wait(timeout=10)
        server = start_server(tmp_path, port, tmp_path / "server.log")
        acks = await resend_all(phone)
        await phone.http.aclose()
        return acks

    try:
        acks = asyncio.run(scenario())
    finally:
        server.kill()
        server.wait()

    assert len(acked_before_crash) >= 5
    db = Database(settings.resolved_database_url())
    stored = db.read_sync(lambda s: [(a.client_id, a.text) for a in s.execute(select(Answer)).scalars()])
    db.close()
    client_ids = [client_id for client_id, _ in stored]
    assert len(client_ids) == len(set(client_ids))  # nothing doubled
    assert acked_before_crash <= set(client_ids)  # nothing acknowledged was lost
    assert set(client_ids) == set(texts) and set(acks) == set(texts)  # the resends filled in the rest
    assert dict(stored) == texts
