"""A backup taken during a burst of answers restores into a new data folder with every answer acknowledged before it."""

import asyncio
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

from tests.faults.conftest import LivePhone, Room, phone_url, projector_url, server_env, until
from tests.servers import doorbraak_serve, free_port, stop

PHONES = 20


def doorbraak(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run a `doorbraak` command against the SQLite database in data_dir."""
    command = [sys.executable, "-c", "from app.cli import main; main()", *args]
    return subprocess.run(command, env=server_env(data_dir), capture_output=True, text=True, timeout=60, check=False)


def test_a_backup_during_a_burst_restores_every_answer_acknowledged_before_it(room: Room, tmp_path: Path) -> None:
    cookies = room.phone_cookies(PHONES)
    backup_file = tmp_path / "doorbraak.backup"
    acked_at: dict[str, float] = {}  # answer text: when its acknowledgement came
    backup_ran: list[float] = []

    async def scenario() -> None:
        facilitator = await room.facilitator()
        await facilitator.step("1")
        phones = [await LivePhone.open(phone_url(room), headers) for headers in cookies]
        stopping = asyncio.Event()

        async def keep_answering(n: int, phone: LivePhone) -> None:
            k = 0
            while not stopping.is_set():
                text = f"telefoon {n} antwoord {k}"
                reply = await phone.answer(text)
                assert reply["type"] == "ack", reply
                acked_at[text] = time.monotonic()
                k += 1

        burst = [asyncio.create_task(keep_answering(n, phone)) for n, phone in enumerate(phones)]
        try:
            await until(lambda: len(acked_at) >= 300, "the burst under way")
            backup_ran.append(time.monotonic())
            done = await asyncio.to_thread(doorbraak, "backup", str(backup_file), data_dir=room.settings.data_dir)
            backup_ran.append(time.monotonic())
            assert done.returncode == 0, done.stderr
            await asyncio.sleep(0.5)  # and the room goes on after it
        finally:
            stopping.set()
            await asyncio.gather(*burst)
            await asyncio.gather(*(phone.close() for phone in phones))
            await facilitator.close()

    asyncio.run(asyncio.wait_for(scenario(), 120))
    started, finished = backup_ran
    before = {text for text, at in acked_at.items() if at < started}
    during = {text for text, at in acked_at.items() if started <= at <= finished}
    after = {text for text, at in acked_at.items() if at > finished}
    assert during and after, "the backup did not overlap the burst"
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600

    # a new machine: an empty data folder, the backup restored into it, a server started on it
    fresh = tmp_path / "fresh"
    restored = doorbraak("restore", str(backup_file), data_dir=fresh)
    assert restored.returncode == 0, restored.stderr
    assert "kept at" not in restored.stdout  # nothing was there to keep aside
    port = free_port()
    server = doorbraak_serve(port, server_env(fresh), tmp_path / "fresh.log")
    try:
        restored_room = Room(f"http://127.0.0.1:{port}", room.settings, room.demo, port, tmp_path / "fresh.log")

        async def on_the_projector() -> list[str]:
            projector = await LivePhone.open(projector_url(restored_room))
            await until(lambda: projector.frames, "the projector's snapshot")
            await projector.close()
            return [answer["text"] for answer in projector.frames[0]["answers"]]

        shown = asyncio.run(on_the_projector())
    finally:
        stop(server)
    assert before <= set(shown)  # every answer acknowledged before the backup began
    assert len(shown) == len(set(shown))
    assert not after & set(shown)  # and none acknowledged after it ended: one snapshot, taken while it ran

    # the copy is consistent: each stored answer has its event, and the log has no hole
    with sqlite3.connect(fresh / "doorbraak.db") as db:
        answers = db.execute("SELECT count(*) FROM answer").fetchone()[0]
        created = db.execute("SELECT count(*) FROM event WHERE kind = 'answer.created'").fetchone()[0]
        seqs = [
            row[0]
            for row in db.execute("SELECT seq FROM event WHERE workshop_id = ? ORDER BY seq", (room.demo.workshop_id,))
        ]
    assert answers == created == len(shown)
    assert seqs == list(range(1, len(seqs) + 1))
