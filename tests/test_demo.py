"""The demo drives simulated phones over real websockets through every step of a session."""

import asyncio
import json

from websockets.asyncio.client import connect

from app.config import Settings
from app.demo.content import ACTIONS, CLUSTERS, CONTRIBUTIONS, FOLLOWUP_PLACE, OBSTACLES
from app.demo.driver import prepare, run_demo


def test_demo_runs_a_room_through_every_step(live_server: str, live_settings: Settings) -> None:
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
    focus = [c for c in snapshot["clusters"] if c["focus"]]
    assert len(focus) == 1 and focus[0]["name"] == CLUSTERS[0][0]
    # the contribution round was limited to the focus cluster's obstacles
    assert {a["links_to"] for a in contributions} <= set(focus[0]["answers"])
    assert sum(c["votes"] for c in snapshot["clusters"]) == 4 * 3
    assert {c[2] for c in CLUSTERS} <= {c["tension"] for c in snapshot["clusters"]}
    assert [a["title"] for a in snapshot["actions"]] == [a[1] for a in ACTIONS]
    assert sum(len(a["volunteers"]) for a in snapshot["actions"]) >= 1
    assert snapshot["workshop"]["followup"]["place"] == FOLLOWUP_PLACE
    assert snapshot["room"]["count"] == 4
    assert snapshot["workshop"]["steps"][snapshot["workshop"]["step_index"]]["id"] == "actions"
