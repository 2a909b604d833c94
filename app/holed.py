"""A page rendered and compressed once, with holes where each request puts its own text (a CSRF token, a name)."""

# gzip's deflate data is a series of blocks, and a block may start wherever the one before it ended on a whole byte.
# So each stretch of the page between two holes is compressed once on its own (flushed to a byte boundary), and a
# request's text goes between them as stored blocks, uncompressed; what the request adds is those blocks, the
# concatenation and the checksum of the whole. A browser inflates the result as any one gzip stream.

import re
import secrets
import struct
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# gzip's header: deflate, no name or time, unknown system (RFC 1952, section 2.3)
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# a stored block holds at most this many bytes (RFC 1951, section 3.2.4)
STORED_MAX = 0xFFFF


def new_marker() -> str:
    """Text to render where a hole goes: letters and digits no page holds by chance and escaping leaves alone."""
    return f"hole{secrets.token_hex(16)}"


def markers(names: Iterable[str]) -> dict[str, str]:
    """A fresh marker for each hole."""
    return {name: new_marker() for name in names}


def _deflated(part: bytes, *, last: bool, level: int) -> bytes:
    """A stretch of the page as deflate blocks of its own, ended on a byte boundary (or as the stream's last block)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(part) + compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def _stored(data: bytes) -> bytes:
    """Bytes as stored blocks, none the last: each header's bits on a byte of their own, LEN and its complement."""
    blocks = [
        b"\x00" + struct.pack("<HH", len(chunk), STORED_MAX ^ len(chunk)) + chunk
        for chunk in (data[start : start + STORED_MAX] for start in range(0, len(data), STORED_MAX))
    ]
    return b"".join(blocks)


@dataclass(frozen=True, slots=True)
class HoledPage:
    """A rendered page split at its holes, plain and deflated: filled per request without rendering or compressing."""

    parts: tuple[bytes, ...]
    deflated: tuple[bytes, ...]
    # the hole between parts[i] and parts[i + 1], by name
    holes: tuple[str, ...]

    @classmethod
    def of(cls, html: str, holes: Mapping[str, str], *, level: int = 5) -> "HoledPage":
        """The page rendered with each hole's marker (holes: name to marker) where that hole goes."""
        by_marker = {marker: name for name, marker in holes.items()}
        pieces = re.split(f"({'|'.join(map(re.escape, by_marker))})", html) if by_marker else [html]
        parts = tuple(piece.encode() for piece in pieces[::2])
        last = len(parts) - 1
        return cls(
            parts,
            tuple(_deflated(part, last=index == last, level=level) for index, part in enumerate(parts)),
            tuple(by_marker[marker] for marker in pieces[1::2]),
        )

    def plain(self, fills: Mapping[str, str]) -> bytes:
        """The page with each hole filled (fills: name to text, already escaped for where it goes)."""
        encoded = {name: text.encode() for name, text in fills.items()}
        out = [self.parts[0]]
        for hole, part in zip(self.holes, self.parts[1:], strict=True):
            out += (encoded[hole], part)
        return b"".join(out)

    def gzipped(self, fills: Mapping[str, str]) -> bytes:
        """The filled page as a gzip stream."""
        encoded = {name: text.encode() for name, text in fills.items()}
        stored = {name: _stored(data) for name, data in encoded.items()}
        out = [GZIP_HEADER, self.deflated[0]]
        checksum = zlib.crc32(self.parts[0])
        size = len(self.parts[0])
        for hole, part, deflated in zip(self.holes, self.parts[1:], self.deflated[1:], strict=True):
            data = encoded[hole]
            out += (stored[hole], deflated)
            checksum = zlib.crc32(part, zlib.crc32(data, checksum))
            size += len(data) + len(part)
        out.append(struct.pack("<II", checksum, size & 0xFFFFFFFF))
        return b"".join(out)
