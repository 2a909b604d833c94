"""A joining phone's HTTP/1.1, as lean as the load generator can make it, so the join storm measures the server.

With httpx each request of a join cost the load generator 1.1-1.6 ms of CPU (its request and response models,
header normalising, decoding every gzipped body), about as much per join as the server's own work: the generator,
not the server, set how fast 2,000 phones got in. This client makes the requests a browser makes (kept-alive
connections, at most six at once, its cookies, gzip accepted) and reads what the server answers (a body by its
length or in chunks); a body is only decompressed when it is read as text.
"""

import asyncio
import contextlib
import gzip
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

# a browser keeps up to six connections to one host
CONNECTIONS = 6


class ClosedEarly(ConnectionError):
    """The server closed a kept-alive connection before answering on it."""


@dataclass(slots=True)
class Reply:
    """A response: its status, its headers by lower-case name (a repeated one's values joined), its body as sent."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """The body as text, decompressed where it came gzipped."""
        body = self.body
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return body.decode()

    def raise_for_status(self) -> None:
        """Raise for a status of 400 or more, as a failed join."""
        if self.status >= 400:
            raise RuntimeError(f"HTTP {self.status}")


@dataclass
class PhoneHTTP:
    """One phone's connections to the server and its cookies."""

    base_url: str
    tls: ssl.SSLContext | None = None
    timeout: float = 60.0
    cookies: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (443 if self._https else 80)
        self._host_header = parts.netloc
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._open: set[asyncio.StreamWriter] = set()
        self._slots = asyncio.Semaphore(CONNECTIONS)

    async def request(
        self, method: str, path: str, *, form: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        """Send one request and read its response; once more on a fresh connection if a kept-alive one was closed
        before it answered (uvicorn closes one idle for 5 s, and a browser then retries)."""
        body = urlencode(form).encode() if form is not None else b""
        head = self._head(method, path, headers or {}, form is not None, len(body))
        async with self._slots, asyncio.timeout(self.timeout):
            try:
                return await self._exchange(head + body, reuse=True)
            except ClosedEarly:
                return await self._exchange(head + body, reuse=False)

    def _head(self, method: str, path: str, headers: dict[str, str], has_form: bool, length: int) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self._host_header}", "Accept: */*", "Accept-Encoding: gzip"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{name}={value}" for name, value in self.cookies.items()))
        if has_form:
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {length}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _exchange(self, request: bytes, *, reuse: bool) -> Reply:
        reused = reuse and bool(self._idle)
        if reused:
            reader, writer = self._idle.pop()
        else:
            reader, writer = await asyncio.open_connection(
                self._host, self._port, ssl=self.tls if self._https else None
            )
            self._open.add(writer)
        try:
            writer.write(request)
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
                raise (ClosedEarly() if reused else exc) from exc
            reply = await self._reply(reader, head)
        except BaseException:
            self._forget(writer)
            raise
        if reply.headers.get("connection", "").lower() == "close":
            self._forget(writer)
        else:
            self._idle.append((reader, writer))
        return reply

    async def _reply(self, reader: asyncio.StreamReader, head: bytes) -> Reply:
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                self._keep_cookie(value)
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        if status in (204, 304) or 100 <= status < 200:
            body = b""
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunks(reader)
        else:
            body = await reader.read()
            headers["connection"] = "close"
        return Reply(status, headers, body)

    @staticmethod
    async def _chunks(reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                # the trailer, if any, ends with an empty line
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)

    def _keep_cookie(self, header: str) -> None:
        pair, *attributes = header.split(";")
        name, _, value = pair.strip().partition("=")
        expired = any(a.strip().lower() in ("max-age=0", 'max-age="0"') for a in attributes)
        if expired:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value.strip('"')

    def _forget(self, writer: asyncio.StreamWriter) -> None:
        self._open.discard(writer)
        writer.close()

    async def close(self) -> None:
        """Close every connection."""
        writers = list(self._open)
        self._idle.clear()
        self._open.clear()
        for writer in writers:
            writer.close()
        for writer in writers:
            with contextlib.suppress(OSError, ssl.SSLError):
                await writer.wait_closed()
