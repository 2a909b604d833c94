"""uvicorn's websocket protocol, plus a way for the app to write a text frame on its own turn of the event loop."""

# An ASGI send passes through Starlette's WebSocket, the exception middleware's wrapper and uvicorn's own send:
# four coroutines to put some bytes on a socket, for every frame of a fan-out to 2,000 phones. This protocol
# offers the app, as an ASGI extension in the websocket's scope, a plain function that writes a frame at once
# when the socket can take it; when it cannot (paused, closing) the app sends the ASGI way, which waits or raises
# as before. The frame comes ready for the wire (text_frame): a server's frame is not masked, so an event fanned out
# to 2,000 phones is framed once, not once per phone.

import struct
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import OPEN

WRITE_NOW = "doorbraak.write_now"


def text_frame(text: str) -> bytes:
    """A text message as one unfragmented, unmasked websocket frame: what a server writes to any of its clients."""
    data = text.encode()
    length = len(data)
    # FIN and the text opcode, then the length in the shortest of its three forms (RFC 6455, section 5.2)
    if length < 126:
        return bytes((0x81, length)) + data
    if length < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, length) + data
    return struct.pack("!BBQ", 0x81, 127, length) + data


class DirectWriteProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets protocol, with write_now in scope["extensions"][WRITE_NOW]."""

    def handle_connect(self, event: Any) -> None:
        """Accept as uvicorn does, then offer write_now to the app (a refused handshake has no scope)."""
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][WRITE_NOW] = self.write_now

    def write_now(self, frame: bytes) -> bool:
        """Write a text_frame now; False if it would have to wait or cannot go, so the app sends it the ASGI way."""
        if not self.handshake_complete or self.close_sent or self.disconnected or self.initial_response is not None:
            return False
        if not self.writable.is_set():  # the transport is paused: the ASGI send waits for it
            return False
        conn = self.conn
        # the frame is plain: a connection that is closing, compresses, is midway through a fragmented message or
        # has its own bytes waiting sends the ASGI way, which knows what to do with each
        if conn.state is not OPEN or conn.extensions or conn.expect_continuation_frame or conn.writes:
            return False
        self.transport.write(frame)
        return True
