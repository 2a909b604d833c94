"""Two server processes on one PostgreSQL and one Redis: each sees the other's events, and Redis may go away."""

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from app.config import Settings
from app.demo.driver import DemoFacilitator, Phone, csrf_of, prepare, ws_url
from app.live.redis_hub import deployment_channel
from tests.servers import doorbraak_serve, free_port, stop, wait_for

PG_URL = os.environ.get("DOORBRAAK_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("DOORBRAAK_TEST_REDIS_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not (PG_URL and REDIS_URL),
        reason="DOORBRAAK_TEST_DATABASE_URL and DOORBRAAK_TEST_REDIS_URL are not both set: scale-out tests skipped",
    ),
]
SECRET = "scale-out-test-secret-" + "x" * 20


class Server:
    """`doorbraak serve` in its own process."""

    def __init__(self, tmp: Path, name: str, redis_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DOORBRAAK_DATABASE_URL": PG_URL or "",
            "DOORBRAAK_BROADCAST_URL": redis_url,
            "DOORBRAAK_SECRET_KEY": SECRET,
            "DOORBRAAK_DATA_DIR": str(tmp / name),
        }
        self.log = tmp / f"{name}.log"
        self.process = doorbraak_serve(self.port, env, self.log)

    def stop(self) -> None:
        stop(self.process)


@contextlib.contextmanager
def two_servers(tmp_path: Path, redis_url: str) -> Iterator[tuple[Server, Server]]:
    """Two workers on the test database, sharing redis_url; stopped afterwards."""
    first, second = Server(tmp_path, "a", redis_url), Server(tmp_path, "b", redis_url)
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


@pytest.fixture
def database() -> Settings:
    """Settings on the emptied test PostgreSQL database."""
    from tests.test_postgres import reset_schema

    reset_schema()
    return Settings(database_url=PG_URL, secret_key=SECRET)


@pytest.fixture
def own_redis() -> Iterator[tuple[str, Any, Any]]:
    """A Redis of this test's own, which it may stop and start again."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed: the Redis restart test needs its own Redis")
    port = free_port()

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close() is None, "redis up")
        return process

    state = {"process": start()}

    def restart(down: bool) -> None:
        if down:
            state["process"].kill()
            state["process"].wait()
        else:
            state["process"] = start()

    def hang(hung: bool) -> None:
        """Stop Redis answering while its connections stay open (SIGSTOP), or let it go on."""
        state["process"].send_signal(signal.SIGSTOP if hung else signal.SIGCONT)

    yield f"redis://127.0.0.1:{port}/0", restart, hang
    state["process"].kill()
    state["process"].wait()


async def projector_frames(url: str, path: str, frames: list[dict[str, Any]], ready: asyncio.Event) -> None:
    """Collect what a projector receives, until cancelled."""
    async with connect(ws_url(url, path.replace("/p/", "/ws/projector/"))) as ws:
        frames.append(json.loads(await ws.recv()))
        ready.set()
        async for raw in ws:
            frames.append(json.loads(raw))


def answers_seen(frames: list[dict[str, Any]]) -> list[str]:
    return [f["data"]["text"] for f in frames if f.get("kind") == "answer.created"]


@contextlib.asynccontextmanager
async def obstacle_round(demo: Any, phone_url: str, projector_url: str) -> AsyncIterator[tuple[Phone, list[Any]]]:
    """A projector on one server, a facilitator and a phone on the other, the obstacle round open."""
    frames: list[dict[str, Any]] = []
    ready = asyncio.Event()
    projector = asyncio.create_task(projector_frames(projector_url, demo.projector_path, frames, ready))
    await ready.wait()
    facilitator = DemoFacilitator(phone_url, demo.workshop_id)
    await facilitator.sign_in(demo.password)
    phone = Phone(phone_url, demo.code, "Ali", "Wijkteam")
    await phone.join()
    await facilitator.step("1")
    await until(lambda: phone.step_index == 1, "the phone follows the step")
    try:
        yield phone, frames
    finally:
        projector.cancel()
        await asyncio.gather(projector, return_exceptions=True)  # let its websocket close properly
        await phone.close()
        await facilitator.close()


async def until(condition: Any, what: str, seconds: float = 15) -> None:
    for _ in range(int(seconds * 20)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {seconds} s")


def test_a_phone_on_one_server_and_a_projector_on_the_other_see_each_other(tmp_path: Path, database: Settings) -> None:
    demo = prepare(database)
    with two_servers(tmp_path, REDIS_URL or "") as (first, second):

        async def scenario() -> None:
            async with obstacle_round(demo, first.url, second.url) as (phone, frames):
                for n in range(5):
                    assert (await phone.answer("obstacles", f"obstakel {n}"))["type"] == "ack"
                await until(lambda: len(answers_seen(frames)) == 5, "B's projector sees A's answers")
                assert answers_seen(frames) == [f"obstakel {n}" for n in range(5)]
                seqs = [f["seq"] for f in frames if f.get("type") == "event"]
                assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))  # in order, none twice

        asyncio.run(scenario())


def test_redis_going_away_loses_nothing_and_answers_never_fail(
    tmp_path: Path, database: Settings, own_redis: tuple[str, Any, Any]
) -> None:
    redis_url, redis_down, _ = own_redis
    demo = prepare(database)
    with two_servers(tmp_path, redis_url) as (first, second):

        async def scenario() -> None:
            async with obstacle_round(demo, first.url, second.url) as (phone, frames):
                await phone.answer("obstacles", "voor de storing")
                redis_down(True)
                for n in range(3):
                    # committed and acknowledged while Redis is away
                    assert (await phone.answer("obstacles", f"tijdens de storing {n}"))["type"] == "ack"
                # the other worker finds them in the event log without a doorbell
                await until(lambda: len(answers_seen(frames)) == 4, "B catches up from the log while Redis is down")
                redis_down(False)
                await phone.answer("obstacles", "na de storing")
                await until(lambda: len(answers_seen(frames)) == 5, "B sees the answer after Redis is back")
                assert answers_seen(frames) == [
                    "voor de storing",
                    *(f"tijdens de storing {n}" for n in range(3)),
                    "na de storing",
                ]

        asyncio.run(scenario())


def test_a_redis_that_hangs_holds_up_no_answer(
    tmp_path: Path, database: Settings, own_redis: tuple[str, Any, Any]
) -> None:
    # a stopped Redis keeps its connections open and never answers: no error comes, only silence. The doorbell and
    # the limits wait for it at most a second, and the writer not at all, so answers are still stored and shown.
    redis_url, _, hang = own_redis
    demo = prepare(database)
    with two_servers(tmp_path, redis_url) as (first, second):

        async def scenario() -> None:
            async with obstacle_round(demo, first.url, second.url) as (phone, frames):
                assert (await phone.answer("obstacles", "voor het hangen"))["type"] == "ack"
                hang(True)
                try:
                    for n in range(3):
                        assert (await phone.answer("obstacles", f"terwijl Redis hangt {n}"))["type"] == "ack"
                    await until(lambda: len(answers_seen(frames)) == 4, "B catches up from the log while Redis hangs")
                finally:
                    hang(False)
                assert (await phone.answer("obstacles", "daarna"))["type"] == "ack"
                await until(lambda: len(answers_seen(frames)) == 5, "B sees the answer after Redis answers again")

        asyncio.run(scenario())


def test_redis_stopped_for_20_seconds_gives_no_500_loses_nothing_and_both_workers_converge_within_5_s(
    tmp_path: Path, database: Settings, own_redis: tuple[str, Any, Any]
) -> None:
    from redis import Redis

    redis_url, redis_down, _ = own_redis
    demo = prepare(database)
    first, second = Server(tmp_path, "a", redis_url), Server(tmp_path, "b", redis_url)
    statuses: list[tuple[str, int]] = []
    acked: list[str] = []

    async def scenario() -> float:
        screens: list[list[dict[str, Any]]] = [[], []]
        ready = [asyncio.Event(), asyncio.Event()]
        projectors = [
            asyncio.create_task(projector_frames(server.url, demo.projector_path, frames, up))
            for server, frames, up in zip((first, second), screens, ready, strict=True)
        ]
        await asyncio.gather(*(up.wait() for up in ready))
        facilitator = DemoFacilitator(first.url, demo.workshop_id)
        await facilitator.sign_in(demo.password)
        phones = [Phone(server.url, demo.code, f"Ali {n}", "Wijkteam") for n, server in enumerate((first, second))]
        await asyncio.gather(*(phone.join() for phone in phones))
        await facilitator.step("1")
        pages = [httpx.AsyncClient(base_url=server.url, timeout=10) for server in (first, second)]
        try:
            await phones[0].answer("obstacles", "voor de storing")
            acked.append("voor de storing")
            redis_down(True)
            outage_ends = time.monotonic() + 20
            k = 0
            while time.monotonic() < outage_ends:
                for n, phone in enumerate(phones):
                    text = f"tijdens de storing {k} via {'ab'[n]}"
                    reply = await phone.answer("obstacles", text)
                    assert reply["type"] == "ack", reply
                    acked.append(text)
                for page in pages:  # a person opening pages meanwhile: the join page, the projector, the board
                    for path in (f"/j/{demo.code}", demo.projector_path, "/healthz"):
                        statuses.append((path, (await page.get(path)).status_code))
                statuses.append(("board", (await facilitator.http.get(f"/f/workshops/{demo.workshop_id}")).status_code))
                k += 1
                await asyncio.sleep(1.0)  # within a phone's answer allowance (one a second)
            redis_down(False)
            back = time.monotonic()
            await phones[1].answer("obstacles", "na de storing")
            acked.append("na de storing")
            await until(
                lambda: all(answers_seen(frames) == acked for frames in screens),
                "both workers' projectors show every answer",
                seconds=5,
            )
            listening = Redis.from_url(redis_url)
            try:
                # both workers ring and hear the doorbell again, not only find events by their periodic check
                await until(
                    lambda: listening.pubsub_numsub(deployment_channel(redis_url))[0][1] == 2,
                    "both workers listen again",
                    5,
                )
            finally:
                listening.close()
            return time.monotonic() - back
        finally:
            for projector in projectors:
                projector.cancel()
            await asyncio.gather(*projectors, return_exceptions=True)
            await asyncio.gather(*(phone.close() for phone in phones), *(page.aclose() for page in pages))
            await facilitator.close()

    try:
        converged_in = asyncio.run(asyncio.wait_for(scenario(), 90))
    finally:
        first.stop()
        second.stop()
    assert converged_in <= 5
    assert len(acked) > 30
    assert [entry for entry in statuses if entry[1] >= 500] == []
    assert {status for _, status in statuses} == {200}


async def phone_frames(url: str, code: str, frames: list[dict[str, Any]], ready: asyncio.Event) -> None:
    """Join a workshop as a phone and collect what its websocket receives, until cancelled."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        page = await http.get(f"/j/{code}")
        form = {"csrf": csrf_of(page.text), "name": "Ali", "organisation": "Woonstichting"}
        await http.post(f"/j/{code}/participant", data=form)
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    async with connect(ws_url(url, f"/ws/phone/{code}"), additional_headers={"Cookie": cookie}) as ws:
        frames.append(json.loads(await ws.recv()))
        ready.set()
        async for raw in ws:
            frames.append(json.loads(raw))


def test_a_phone_on_one_server_is_told_when_the_office_on_the_other_takes_its_organisation_back(
    tmp_path: Path, database: Settings
) -> None:
    demo = prepare(database)
    with two_servers(tmp_path, REDIS_URL or "") as (first, second):

        async def scenario() -> None:
            frames: list[dict[str, Any]] = []
            ready = asyncio.Event()
            phone = asyncio.create_task(phone_frames(first.url, demo.code, frames, ready))
            office = DemoFacilitator(second.url, demo.workshop_id)
            try:
                await asyncio.wait_for(ready.wait(), 15)
                participant = frames[0]["participant"]
                await office.sign_in(demo.password)

                def told() -> list[dict[str, Any]]:
                    return [f["data"] for f in frames if f.get("kind") == "me.changed"]

                for n, belongs in enumerate(("", "ja")):
                    response = await office.http.post(
                        f"/f/workshops/{demo.workshop_id}/deelnemers/{participant}/organisatie",
                        data={"belongs": belongs},
                        headers={"X-CSRF-Token": office.csrf},
                    )
                    assert response.status_code == 303, response.text
                    await until(lambda n=n: len(told()) > n, "the phone on A hears of the change made on B")
                assert told() == [
                    {"participant": participant, "organisation_taken_back": True},
                    {"participant": participant, "organisation_taken_back": False},
                ]
            finally:
                phone.cancel()
                await asyncio.gather(phone, return_exceptions=True)
                await office.close()

        asyncio.run(scenario())


async def phone_close_code(url: str, code: str, ready: asyncio.Event) -> int | None:
    """Join a workshop as a phone, and read its websocket until the server closes it; the code it closed with."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        page = await http.get(f"/j/{code}")
        form = {"csrf": csrf_of(page.text), "name": "Ali", "organisation": "Woonstichting"}
        await http.post(f"/j/{code}/participant", data=form)
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    async with connect(ws_url(url, f"/ws/phone/{code}"), additional_headers={"Cookie": cookie}) as ws:
        await ws.recv()
        ready.set()
        with contextlib.suppress(Exception):
            async for _ in ws:
                pass
        return ws.close_code


async def delete_on(url: str, demo: Any) -> None:
    """Delete the demo workshop through the pages of the server at url, as its facilitator."""
    from app.demo.content import DEMO_TITLE

    office = DemoFacilitator(url, demo.workshop_id)
    try:
        await office.sign_in(demo.password)
        response = await office.http.post(
            f"/f/workshops/{demo.workshop_id}/verwijderen", data={"csrf": office.csrf, "title": DEMO_TITLE}
        )
        assert response.status_code == 303, response.text
    finally:
        await office.close()


def test_deleting_a_workshop_on_one_server_closes_its_phone_on_the_other(tmp_path: Path, database: Settings) -> None:
    from app.live.frames import CloseCode

    demo = prepare(database)
    with two_servers(tmp_path, REDIS_URL or "") as (first, second):

        async def scenario() -> None:
            from redis.asyncio import Redis

            ready = asyncio.Event()
            phone = asyncio.create_task(phone_close_code(first.url, demo.code, ready))
            await asyncio.wait_for(ready.wait(), 15)
            listening = Redis.from_url(REDIS_URL or "")
            async with listening.pubsub() as doorbell:
                await doorbell.subscribe(deployment_channel(REDIS_URL or ""))
                await delete_on(second.url, demo)
                assert await asyncio.wait_for(phone, 15) == CloseCode.WORKSHOP_REMOVED
                # said at once over the doorbell, not left to the other worker's check a second later
                rung = []
                while (message := await doorbell.get_message(timeout=1)) is not None:
                    if message["type"] == "message":
                        rung.append(message["data"].decode())
            await listening.aclose()
            removed = [ring for ring in rung if ring.endswith(":removed")]
            assert len(removed) == 1 and removed[0].startswith(f"{demo.workshop_id}:")

        asyncio.run(scenario())


def test_a_deletion_whose_doorbell_redis_lost_still_closes_the_phone_on_the_other_server(
    tmp_path: Path, database: Settings, own_redis: tuple[str, Any, Any]
) -> None:
    from app.live.frames import CloseCode

    redis_url, redis_down, _ = own_redis
    demo = prepare(database)
    with two_servers(tmp_path, redis_url) as (first, second):

        async def scenario() -> None:
            ready = asyncio.Event()
            phone = asyncio.create_task(phone_close_code(first.url, demo.code, ready))
            await asyncio.wait_for(ready.wait(), 15)
            redis_down(True)
            try:
                await delete_on(second.url, demo)
                # the other server's periodic check finds the workshop gone from the database
                assert await asyncio.wait_for(phone, 15) == CloseCode.WORKSHOP_REMOVED
            finally:
                redis_down(False)

        asyncio.run(scenario())


def test_a_phones_sockets_and_a_projector_links_screens_are_capped_across_both_servers(
    tmp_path: Path, database: Settings
) -> None:
    from redis import Redis
    from websockets.exceptions import InvalidStatus

    from app.live.router import SOCKETS_PER_PHONE
    from app.throttle import PLACE_PREFIX

    with Redis.from_url(REDIS_URL or "") as redis:  # the workshop ids of earlier tests' emptied databases come again
        for key in redis.scan_iter(PLACE_PREFIX + "*"):
            redis.delete(key)
    demo = prepare(database)
    token = demo.projector_path.rsplit("/", 1)[1]
    with two_servers(tmp_path, REDIS_URL or "") as (first, second):
        urls = (first.url, second.url)

        async def storm() -> tuple[int, int, bool]:
            async with httpx.AsyncClient(base_url=first.url) as http:
                page = await http.get(f"/j/{demo.code}")
                form = {"csrf": csrf_of(page.text), "name": "Veel", "organisation": "Tabbladen"}
                await http.post(f"/j/{demo.code}/participant", data=form)
                cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
            opened: list[Any] = []

            async def open_one(url: str, path: str, headers: dict[str, str]) -> bool:
                try:
                    ws = await connect(ws_url(url, path), additional_headers=headers, origin=url)
                except InvalidStatus:
                    return False  # turned down at the handshake
                assert json.loads(await ws.recv())["type"] == "snapshot"
                opened.append(ws)
                return True

            try:
                phone = f"/ws/phone/{demo.code}"
                phones = await asyncio.gather(*(open_one(urls[n % 2], phone, {"Cookie": cookie}) for n in range(20)))
                projector = f"/ws/projector/{token}"
                projectors = await asyncio.gather(*(open_one(urls[n % 2], projector, {}) for n in range(30)))
                # a phone closed on one server frees its place for the other
                await opened[0].close()
                freed = False
                for _ in range(100):
                    if freed := await open_one(second.url, phone, {"Cookie": cookie}):
                        break
                    await asyncio.sleep(0.05)
                return sum(phones), sum(projectors), freed
            finally:
                for ws in opened:
                    await ws.close()

        # each server has half of them open: only a count both share holds them to one cap, not twice it
        assert asyncio.run(storm()) == (SOCKETS_PER_PHONE, database.projector_sockets, True)
