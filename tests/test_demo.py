"""The demo drives simulated phones over real websockets through both rounds."""

import asyncio
import json

from websockets.asyncio.client import connect

from app.config import Settings
from app.demo.content import CONTRIBUTIONS, OBSTACLES
from app.demo.driver import prepare, run_demo


def test_demo_runs_a_room_through_both_rounds(live_server: str, live_settings: Settings) -> None:
    demo = prepare(live_settings)
    said: list[str] = []
    asyncio.run(run_demo(live_server, demo, phones=4, pace=0.01, say=said.append))
    assert said[-1].startswith("demo: done")

    async def projector_snapshot() -> dict:  # type: ignore[type-arg]
        token = demo.projector_path.rsplit("/", 1)[1]
        async with connect(live_server.replace("http", "ws") + f"/ws/projector/{token}") as ws:
            return json.loads(await ws.recv())  # type: ignore[no-any-return]

    snapshot = asyncio.run(projector_snapshot())
    texts = [a["text"] for a in snapshot["answers"]]
    assert sorted(t for t in texts if t in OBSTACLES) == sorted(OBSTACLES)
    assert sorted(t for t in texts if t in CONTRIBUTIONS) == sorted(CONTRIBUTIONS)
    contributions = [a for a in snapshot["answers"] if a["step"] == "contributions"]
    assert all(a["links_to"] for a in contributions)
    assert snapshot["room"]["count"] == 4
    assert snapshot["workshop"]["step_index"] == 2
