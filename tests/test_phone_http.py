"""The join storm's lean HTTP client (app/bench/phone_http.py), against a real socket server on 127.0.0.1."""

import asyncio
import contextlib
import gzip
from collections.abc import AsyncIterator, Callable

import pytest

from app.bench.phone_http import PhoneHTTP

Answer = Callable[[bytes, int], bytes | None]


class CannedServer:
    """A TCP server that answers each request head it reads with answer(request, connection number)."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                reply = self.answer(request, number)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"


@contextlib.asynccontextmanager
async def serving(answer: Answer) -> AsyncIterator[CannedServer]:
    """A canned server on a free port of 127.0.0.1 while the block runs."""
    canned = CannedServer(answer)
    canned.server = await asyncio.start_server(canned.handle, "127.0.0.1", 0)
    try:
        yield canned
    finally:
        canned.server.close()


def ok(body: bytes, *headers: str) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\n"
        + "".join(f"{h}\r\n" for h in headers).encode()
        + f"content-length: {len(body)}\r\n\r\n".encode()
        + body
    )


async def test_requests_share_a_kept_alive_connection_and_send_back_their_cookies() -> None:
    def answer(request: bytes, _: int) -> bytes:
        if request.startswith(b"POST"):
            cookie = b"set-cookie: dbk_p_ABC=tok123; Path=/; HttpOnly\r\n"
            return b"HTTP/1.1 303 See Other\r\nlocation: /j/ABC\r\n" + cookie + b"content-length: 0\r\n\r\n"
        return ok(b"<p>hallo</p>", "set-cookie: csrf=abc; Path=/")

    async with serving(answer) as server:
        http = PhoneHTTP(server.url)
        try:
            first = await http.request("GET", "/j/ABC")
            posted = await http.request(
                "POST", "/j/ABC/participant", form={"name": "Ali & Bo"}, headers={"Origin": "x"}
            )
            again = await http.request("GET", posted.headers["location"])
        finally:
            await http.close()
    assert (first.status, first.text, posted.status, again.status) == (200, "<p>hallo</p>", 303, 200)
    assert server.connections == 1
    assert b"name=Ali+%26+Bo" in server.requests[1] and b"Origin: x" in server.requests[1]
    assert b"Cookie: csrf=abc; dbk_p_ABC=tok123" in server.requests[2]
    assert http.cookies == {"csrf": "abc", "dbk_p_ABC": "tok123"}


async def test_a_gzipped_or_chunked_body_is_read_whole() -> None:
    page = "<html>" + "woningtekort " * 200 + "</html>"
    packed = gzip.compress(page.encode())

    def answer(request: bytes, _: int) -> bytes:
        if b"/chunked" in request:
            return b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhallo\r\n7;x=1\r\n wereld\r\n0\r\n\r\n"
        return ok(packed, "content-encoding: gzip")

    async with serving(answer) as server:
        http = PhoneHTTP(server.url)
        try:
            compressed = await http.request("GET", "/page")
            chunked = await http.request("GET", "/chunked")
            after = await http.request("GET", "/page")
        finally:
            await http.close()
    assert compressed.body == packed and compressed.text == page
    assert chunked.text == "hallo wereld"
    assert after.text == page and server.connections == 1


async def test_a_connection_the_server_closed_is_retried_once_on_a_new_one() -> None:
    # the first connection answers once, then closes without answering: as uvicorn does to one idle for 5 s
    def answer(request: bytes, connection: int) -> bytes | None:
        if connection == 1 and len(server.requests) > 1:
            return None
        return ok(b"ja")

    async with serving(answer) as server:
        http = PhoneHTTP(server.url)
        try:
            assert (await http.request("GET", "/a")).text == "ja"
            assert (await http.request("GET", "/b")).text == "ja"
        finally:
            await http.close()
    assert server.connections == 2


async def test_a_refused_request_raises_for_its_status_and_an_expired_cookie_is_dropped() -> None:
    def answer(request: bytes, _: int) -> bytes:
        return b"HTTP/1.1 429 Too Many Requests\r\nset-cookie: csrf=; Max-Age=0; Path=/\r\ncontent-length: 2\r\n\r\nno"

    async with serving(answer) as server:
        http = PhoneHTTP(server.url, cookies={"csrf": "old"})
        try:
            reply = await http.request("GET", "/j/ABC")
        finally:
            await http.close()
    with pytest.raises(RuntimeError, match="HTTP 429"):
        reply.raise_for_status()
    assert http.cookies == {}
