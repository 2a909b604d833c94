"""Static files: compressed, cached for a year under a versioned URL, fresh under any other, and named by one helper."""

import gzip
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.assets import CACHE_A_YEAR, CACHE_CHECK_FIRST, StaticFolder, accepts_gzip, static
from app.config import ROOT

STATIC = ROOT / "static"
TEMPLATES = ROOT / "app" / "templates"


def test_a_versioned_url_is_cached_for_a_year_and_sent_gzipped(client: TestClient) -> None:
    url = static.url("css/app.css")
    assert re.fullmatch(r"/static/[0-9a-f]{12}/css/app\.css", url)
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == CACHE_A_YEAR
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "accept-encoding"
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    original = (STATIC / "css" / "app.css").read_bytes()
    assert int(response.headers["content-length"]) < len(original) / 3
    assert response.content == original  # decoded by the client
    # strict as every other response
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("accept", ["", "identity", "gzip;q=0", "br", "gzip; q=0.0, br"])
def test_a_browser_that_does_not_take_gzip_gets_the_plain_file(client: TestClient, accept: str) -> None:
    response = client.get(static.url("js/live.js"), headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.content == (STATIC / "js" / "live.js").read_bytes()
    assert response.headers["content-length"] == str(len(response.content))


def test_unversioned_and_other_versions_still_work_but_are_checked_again(client: TestClient) -> None:
    current = static.current().version
    other = "0" * 12 if current != "0" * 12 else "1" * 12
    for url in ("/static/js/phone.js", f"/static/{other}/js/phone.js"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == CACHE_CHECK_FIRST
        assert response.content == (STATIC / "js" / "phone.js").read_bytes()
        again = client.get(url, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304 and again.content == b""


def test_the_gzipped_and_the_plain_file_have_their_own_etags(client: TestClient) -> None:
    url = static.url("js/live.js")
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert packed.headers["etag"] != plain.headers["etag"]
    revalidated = client.get(url, headers={"Accept-Encoding": "identity", "If-None-Match": packed.headers["etag"]})
    assert revalidated.status_code == 200 and revalidated.content == plain.content


def test_only_files_of_the_folder_are_served(client: TestClient) -> None:
    version = static.current().version
    for url in ("/static/nope.js", f"/static/{version}/nope.js", "/static/../app/config.py", f"/static/{version}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Deze pagina bestaat niet." in response.text
    assert client.head(static.url("js/live.js")).status_code == 200
    assert client.post(static.url("js/live.js")).status_code == 405


def test_a_change_to_any_file_gives_every_url_a_new_version(tmp_path: Path) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "phone.js").write_text('import { el } from "./live.js";\n')
    (tmp_path / "js" / "live.js").write_text("export const el = 1;\n")
    folder = StaticFolder(tmp_path, recheck_every=0)
    before = folder.url("js/phone.js")
    assert folder.url("js/phone.js") == before  # nothing changed, nothing read again

    # only live.js changes: phone.js's URL changes too, so a browser resolves "./live.js" to the new one
    (tmp_path / "js" / "live.js").write_text("export const el = 22;\n")
    after = folder.url("js/phone.js")
    assert after != before
    assert folder.current().files["js/live.js"].body == b"export const el = 22;\n"


def test_the_folder_is_checked_for_changes_at_most_once_per_interval(tmp_path: Path) -> None:
    (tmp_path / "app.css").write_text("body { color: black }")
    now = [100.0]
    folder = StaticFolder(tmp_path, recheck_every=1.0, clock=lambda: now[0])
    before = folder.url("app.css")
    (tmp_path / "app.css").write_text("body { color: navy }")
    now[0] += 0.5
    assert folder.url("app.css") == before
    now[0] += 0.5
    assert folder.url("app.css") != before


def test_gzip_is_kept_only_where_it_makes_a_file_smaller(tmp_path: Path) -> None:
    (tmp_path / "tiny.txt").write_text("x")
    (tmp_path / "big.css").write_text("body { color: black }\n" * 200)
    files = StaticFolder(tmp_path).current().files
    assert files["tiny.txt"].gzipped is None
    packed = files["big.css"].gzipped
    assert packed is not None and gzip.decompress(packed) == files["big.css"].body


@pytest.mark.parametrize(
    ("header", "takes"),
    [
        ("gzip, deflate, br, zstd", True),
        ("GZIP", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("gzip;q=nonsense", False),
        ("deflate, br", False),
        ("", False),
    ],
)
def test_accept_encoding_is_read_with_its_weights(header: str, takes: bool) -> None:
    assert accepts_gzip(header) is takes


def test_pages_name_static_files_only_through_the_helper_and_only_files_that_exist() -> None:
    named = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "/static/" not in text, f"{template.relative_to(ROOT)} names a static file without static_url()"
        named += re.findall(r"(?:static|module|data)_url\(\"([^\"]+)\"\)", text)
    assert "js/phone.js" in named
    for path in named:
        assert (STATIC / path).is_file(), f"static_url({path!r}) names no file"


def test_the_modules_import_each_other_by_relative_url_so_imports_carry_the_version() -> None:
    imports = {
        module.name: re.findall(r"""(?:\bfrom|\bimport)\s*\(?\s*["']([^"']+)["']""", module.read_text())
        for module in (STATIC / "js").glob("*.js")
    }
    assert "./live.js" in imports["phone.js"]
    for module, specifiers in imports.items():
        for specifier in specifiers:
            assert specifier.startswith("./"), f"{module} imports {specifier!r}: not relative to itself"


# a phone's first load: these pages leave office.css out (tests/e2e/test_phone_weight.py weighs them)
PHONE_PAGES = ("participant/home.html", "participant/join.html", "participant/phone.html")


def phone_sources() -> str:
    """The phone's pages with every template they extend or include, and every module they load, as one text."""
    templates: set[str] = set()
    todo = list(PHONE_PAGES)
    while todo:
        name = todo.pop()
        if name not in templates:
            templates.add(name)
            source = (TEMPLATES / name).read_text(encoding="utf-8")
            todo += re.findall(r'(?:include|extends) "([^"]+)"', source)
            todo += re.findall(r'per_language\("([^"]+)"\)', source)
    text = "".join((TEMPLATES / name).read_text(encoding="utf-8") for name in templates)
    modules: set[str] = set()
    todo = re.findall(r'module_url\("js/([\w.]+)"\)', text)
    while todo:
        name = todo.pop()
        if name not in modules:
            modules.add(name)
            todo += re.findall(r'from "\./([\w.]+)"', (STATIC / "js" / name).read_text(encoding="utf-8"))
    assert {"join.js", "phone.js", "live.js", "phone_steps.js"} <= modules
    return text + "".join((STATIC / "js" / name).read_text(encoding="utf-8") for name in modules)


def test_office_css_holds_no_rule_a_phones_page_could_match() -> None:
    text = phone_sources()
    # every word of the pages and modules may be a class; a class they put together (`status-${x}`, "level-{{ n }}")
    # counts by its start
    words = set(re.findall(r"[A-Za-z_][\w-]*", text))
    starts = tuple(re.findall(r"([A-Za-z_][\w-]*-)(?:\$\{|\{\{)", text))
    office = re.sub(r"/\*.*?\*/", "", (STATIC / "css" / "office.css").read_text(encoding="utf-8"), flags=re.S)
    selectors = [
        s.strip() for head in re.findall(r"([^{}]+)\{[^{}]*\}", office) for s in re.split(r",(?![^(]*\))", head)
    ]
    assert len(selectors) > 300
    for selector in selectors:
        names = re.findall(r"[.#]([A-Za-z_][\w-]*)", selector)
        foreign = [name for name in names if name not in words and not name.startswith(starts)]
        assert foreign, f"office.css: {selector!r} could match on a phone's join or live page: it belongs in app.css"


def test_a_phones_first_page_leaves_the_office_css_out_and_other_pages_load_it(client: TestClient) -> None:
    home = client.get("/").text
    assert static.url("css/app.css") in home and "office.css" not in home
    privacy = client.get("/privacy").text
    assert privacy.index(static.url("css/app.css")) < privacy.index(static.url("css/office.css"))
    for page in PHONE_PAGES:
        assert "{% block office_css %}{% endblock %}" in (TEMPLATES / page).read_text(encoding="utf-8")


@pytest.mark.parametrize(("accept", "compressed"), [("gzip, deflate, br", True), ("gzip;q=0", False), ("", False)])
def test_pages_go_out_compressed_to_a_browser_that_takes_gzip(
    client: TestClient, accept: str, compressed: bool
) -> None:
    response = client.get("/privacy", headers={"Accept-Encoding": accept})
    assert response.status_code == 200 and "Wat we bewaren" in response.text
    assert (response.headers.get("content-encoding") == "gzip") is compressed
