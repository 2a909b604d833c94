"""A page compressed once around its holes: any fills give the gzip stream of the filled page."""

import gzip
import zlib

import pytest

from app.holed import HoledPage, markers


@pytest.mark.parametrize(
    "shape",
    [
        "<p>{csrf}</p>",
        "{csrf}<p>at the start and the end</p>{name}",
        "<meta content='{csrf}'><p title='{name}'>{name}</p><input value='{csrf}'>" + "<option>Partner</option>" * 300,
        "{csrf}{name}{csrf}",
        "no hole at all",
        "",
    ],
)
@pytest.mark.parametrize(
    "fills",
    [
        {"csrf": "Ab-_9" * 9, "name": "Fatima &amp; co"},
        {"csrf": "", "name": ""},
        {"csrf": "één · ✓", "name": "x" * 70_000},  # longer than one stored block
    ],
)
def test_the_stream_inflates_to_the_filled_page(shape: str, fills: dict[str, str]) -> None:
    holes = markers(["csrf", "name"])
    page = HoledPage.of(shape.format(**holes), holes)
    expected = shape.format(**fills).encode()
    assert page.plain(fills) == expected
    assert gzip.decompress(page.gzipped(fills)) == expected
    # one gzip member, as a browser reads it: nothing left over after the stream's end
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert inflater.decompress(page.gzipped(fills)) == expected
    assert inflater.eof and inflater.unused_data == b""


def test_a_page_of_many_options_stays_small() -> None:
    holes = markers(["csrf"])
    html = f"<input value='{holes['csrf']}'>" + "".join(f"<option>Partner {n}</option>" for n in range(200))
    packed = HoledPage.of(html, holes).gzipped({"csrf": "x" * 43})
    assert len(packed) < len(html) / 5


def test_every_hole_must_be_filled() -> None:
    holes = markers(["csrf", "name"])
    page = HoledPage.of(f"<p>{holes['csrf']}</p><p>{holes['name']}</p>", holes)
    with pytest.raises(KeyError):
        page.gzipped({"csrf": "x"})


def test_markers_differ() -> None:
    first, second = markers(["a", "b"]).values()
    assert first != second
