"""A page compressed once around its holes: any fill gives the gzip stream of the filled page."""

import gzip
import zlib

import pytest

from app.holed import HoledPage, new_marker


@pytest.mark.parametrize(
    "shape",
    [
        "<p>{hole}</p>",
        "{hole}<p>at the start and the end</p>{hole}",
        "<meta content='{hole}'><form><input value='{hole}'></form>" + "<option>Partner</option>" * 300,
        "{hole}{hole}",
        "no hole at all",
        "",
    ],
)
@pytest.mark.parametrize("fill", ["Ab-_9" * 9, "", "één · ✓"])
def test_the_stream_inflates_to_the_filled_page(shape: str, fill: str) -> None:
    marker = new_marker()
    page = HoledPage.of(shape.format(hole=marker), marker)
    expected = shape.format(hole=fill).encode()
    assert page.plain(fill) == expected
    assert gzip.decompress(page.gzipped(fill)) == expected
    # one gzip member, as a browser reads it: nothing left over after the stream's end
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert inflater.decompress(page.gzipped(fill)) == expected
    assert inflater.eof and inflater.unused_data == b""


def test_a_page_of_many_options_stays_small() -> None:
    marker = new_marker()
    html = f"<input value='{marker}'>" + "".join(f"<option>Partner {n}</option>" for n in range(200))
    packed = HoledPage.of(html, marker).gzipped("x" * 43)
    assert len(packed) < len(html) / 5


def test_a_fill_longer_than_a_stored_block_is_refused() -> None:
    marker = new_marker()
    with pytest.raises(ValueError, match="stored block"):
        HoledPage.of(f"<p>{marker}</p>", marker).gzipped("x" * 70_000)


def test_markers_differ() -> None:
    assert new_marker() != new_marker()
