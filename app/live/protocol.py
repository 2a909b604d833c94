"""uvicorn's websocket protocol, plus a way for the app to write a text frame on its own turn of the event loop."""

# An ASGI send passes through Starlette's WebSocket, the exception middleware's wrapper and uvicorn's own send:
# four coroutines to put some bytes on a socket, for every frame of a fan-out to 2,000 phones. This protocol
# offers the app, as an ASGI extension in the websocket's scope, a plain function that writes a frame at once
# when the socket can take it; when it cannot (paused, closing) the app sends the ASGI way, which waits or raises
# as before.

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState

WRITE_NOW = "doorbraak.write_now"


class DirectWriteProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets protocol, with write_now in scope["extensions"][WRITE_NOW]."""

    def handle_connect(self, event: Any) -> None:
        """Accept as uvicorn does, then offer write_now to the app (a refused handshake has no scope)."""
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][WRITE_NOW] = self.write_now

    def write_now(self, text: str) -> bool:
        """Write a text frame now; False if it would have to wait or cannot go, so the app sends it the ASGI way."""
        if not self.handshake_complete or self.close_sent or self.disconnected or self.initial_response is not None:
            return False
        if not self.writable.is_set():  # the transport is paused: the ASGI send waits for it
            return False
        try:
            self.conn.send_text(text.encode())
        except InvalidState:  # closing: the ASGI send says so
            return False
        self.transport.write(b"".join(self.conn.data_to_send()))
        return True
