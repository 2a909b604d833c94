"""A page rendered and compressed once, with holes where each request puts its own text (a CSRF token)."""

# gzip's deflate data is a series of blocks, and a block may start wherever the one before it ended on a whole byte.
# So each stretch of the page between two holes is compressed once on its own (flushed to a byte boundary), and a
# request's text goes between them as a stored block, uncompressed; what the request adds is that block, the
# concatenation and the checksum of the whole. A browser inflates the result as any one gzip stream.

import secrets
import struct
import zlib
from dataclasses import dataclass

# gzip's header: deflate, no name or time, unknown system (RFC 1952, section 2.3)
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# a stored block holds at most this many bytes (RFC 1951, section 3.2.4)
STORED_MAX = 0xFFFF


def new_marker() -> str:
    """Text to render where a hole goes: letters and digits no page holds by chance and escaping leaves alone."""
    return f"hole{secrets.token_hex(16)}"


def _deflated(part: bytes, *, last: bool, level: int) -> bytes:
    """A stretch of the page as deflate blocks of its own, ended on a byte boundary (or as the stream's last block)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(part) + compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


@dataclass(frozen=True, slots=True)
class HoledPage:
    """A rendered page split at its holes, plain and deflated: filled per request without rendering or compressing."""

    parts: tuple[bytes, ...]
    deflated: tuple[bytes, ...]

    @classmethod
    def of(cls, html: str, marker: str, *, level: int = 5) -> "HoledPage":
        """The page rendered with marker in every hole."""
        parts = tuple(part.encode() for part in html.split(marker))
        last = len(parts) - 1
        return cls(parts, tuple(_deflated(part, last=index == last, level=level) for index, part in enumerate(parts)))

    def plain(self, fill: str) -> bytes:
        """The page with fill in every hole."""
        return fill.encode().join(self.parts)

    def gzipped(self, fill: str) -> bytes:
        """The page with fill in every hole, as a gzip stream."""
        data = fill.encode()
        if len(data) > STORED_MAX:
            raise ValueError("a hole's text must fit one stored block")
        # a stored block that is not the last: its header bits on a byte of their own, then LEN and its complement
        stored = b"\x00" + struct.pack("<HH", len(data), STORED_MAX ^ len(data)) + data
        checksum = zlib.crc32(self.parts[0])
        for part in self.parts[1:]:
            checksum = zlib.crc32(part, zlib.crc32(data, checksum))
        size = sum(map(len, self.parts)) + len(data) * (len(self.parts) - 1)
        return GZIP_HEADER + stored.join(self.deflated) + struct.pack("<II", checksum, size & 0xFFFFFFFF)
