"""The cheapest fan-out Python can do: a bare `websockets` server with the bench's message pattern.

Each "answer" gets an ack to its sender and an event to the staff screens (the projector and the facilitator's
board); a "step" goes to every connection. No database, no validation: the bench divides our CPU per delivered
message by this server's.
"""

import argparse
import asyncio
import json

from websockets.asyncio.server import ServerConnection, broadcast, serve


class Room:
    """The connections of the one room the bench fills."""

    def __init__(self) -> None:
        self.everyone: set[ServerConnection] = set()
        self.staff: set[ServerConnection] = set()
        self.seq = 0

    def event(self, kind: str, data: dict[str, object]) -> str:
        """An event frame shaped like the app's, encoded once."""
        self.seq += 1
        return json.dumps({"type": "event", "seq": self.seq, "kind": kind, "data": data}, separators=(",", ":"))

    async def handle(self, connection: ServerConnection) -> None:
        """Serve one connection until it closes."""
        path = connection.request.path if connection.request else ""
        # like the app: every connection gets step changes, the projector and the board every answer too
        self.everyone.add(connection)
        if path.startswith(("/ws/projector", "/ws/board")):
            self.staff.add(connection)
        try:
            await connection.send(json.dumps({"type": "snapshot", "seq": self.seq}))
            async for raw in connection:
                message = json.loads(raw)
                if message.get("type") == "answer":
                    client_id = message["client_id"]
                    answer = {"client_id": client_id, "step": message["step"], "text": message["text"]}
                    broadcast(self.staff, self.event("answer.created", answer))
                    await connection.send(json.dumps({"type": "ack", "client_id": client_id, "duplicate": False}))
                elif message.get("type") == "step":
                    broadcast(self.everyone, self.event("step.changed", {"step_index": message["step_index"]}))
        finally:
            self.everyone.discard(connection)
            self.staff.discard(connection)


async def run(port: int) -> None:
    """Serve on 127.0.0.1 until killed."""
    room = Room()
    # no keepalive pings: its 2,000 phones join within two seconds, so their pings came as one wave every 20 s
    # that fell into every other measured round (ours are spread over the join storm's twenty seconds and stay in)
    async with serve(room.handle, "127.0.0.1", port, compression=None, max_queue=None, ping_interval=None) as server:
        print(f"baseline listening on {port}", flush=True)
        await server.serve_forever()


def main() -> None:
    """Entry point: `python -m app.bench.baseline --port N`."""
    parser = argparse.ArgumentParser(description="Bare websockets fan-out server for the benchmark baseline.")
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    try:
        import uvloop
    except ImportError:
        asyncio.run(run(port))
    else:
        # the event loop uvicorn picks for our server where uvloop is installed: the ratio compares the code,
        # not the loop underneath it
        uvloop.run(run(port))


if __name__ == "__main__":
    main()
