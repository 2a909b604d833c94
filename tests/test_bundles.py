"""A page's module and its imports as one file (app/bundles.py), and the pages that load it."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.assets import BUNDLES, CACHE_A_YEAR, StaticFolder, static
from app.bundles import NotBundled, bundle
from app.config import ROOT


def modules(**texts: str) -> dict[str, str]:
    """Module texts by their path in the static folder: modules(live="...") -> {"js/live.js": "..."}."""
    return {f"js/{name}.js": text for name, text in texts.items()}


def test_each_module_comes_once_after_what_it_imports_with_its_names() -> None:
    tree = modules(
        page='import { a, b as shown } from "./left.js";\nimport { c } from "./right.js";\nshown(a, c);\n',
        left='import { base } from "./base.js";\nexport const a = base + 1;\nexport function b(x) { return x; }\n',
        right='import { base } from "./base.js";\nexport class c {}\n',
        base="export const base = 1;\nconst hidden = 2;\n",
    )
    made = bundle("js/page.js", tree.__getitem__)
    order = re.findall(r"^// (\S+)$", made, flags=re.MULTILINE)
    assert order == ["js/base.js", "js/left.js", "js/right.js", "js/page.js"]
    assert "const { a, b: shown } = __module_js_left;" in made
    assert "return { base };" in made  # what is not exported stays inside its module
    assert "import" not in made and "export" not in made


def test_a_bundle_leaves_out_whole_line_comments_but_never_text() -> None:
    tree = modules(
        page=(
            'import { a } from "./a.js";\n// why the page does this\n/**\n * a doc comment\n */\n'
            'a(); // said beside the code\nconst url = "https://example.org/x"; /* kept */\n'
        ),
        a='  // indented, inside a function\'s body too\nexport const a = () => `one ${"`two`"}`;\n',
    )
    made = bundle("js/page.js", tree.__getitem__)
    assert "why the page" not in made and "a doc comment" not in made and "indented" not in made
    assert "a(); // said beside the code" in made and '"https://example.org/x"; /* kept */' in made
    assert re.findall(r"^// (\S+)$", made, flags=re.MULTILINE) == ["js/a.js", "js/page.js"]
    # a template literal over lines: a "//" line inside it is the string's text, so the module keeps every line
    tree = modules(page="// a comment\nconst help = `first line\n// not a comment\n`;\n")
    assert "\n// not a comment\n" in bundle("js/page.js", tree.__getitem__)
    # a string continued on the next line in a file saved with Windows line ends (backslash, CR, LF), and code after
    # a line separator (U+2028), which ends a "//" comment for a browser: kept, every character
    for text in ("const s = 'one \\\r\n// two';\r\n", "// note\u2028globalThis.ran = true;\n"):
        assert text in bundle("js/page.js", modules(page=text).__getitem__)


def test_imports_are_found_by_their_path_from_the_importing_module() -> None:
    tree = {
        "js/pages/page.js": 'import { x } from "../shared/x.js";\nx();\n',
        "js/shared/x.js": "export function x() {}\n",
    }
    assert "const { x } = __module_js_shared_x;" in bundle("js/pages/page.js", tree.__getitem__)


@pytest.mark.parametrize(
    ("tree", "why"),
    [
        (
            modules(page='import { a } from "./a.js";\n', a='import { p } from "./page.js";\nexport const a = 1;\n'),
            "each other",
        ),
        (modules(page="export let counter = 0;\n"), "another way"),
        (modules(page="export default function () {}\n"), "another way"),
        (modules(page="export { a };\nconst a = 1;\n"), "another way"),
        (modules(page='import "./side.js";\n', side=""), "another way"),
        (modules(page='const later = await import("./a.js");\n', a=""), "another way"),
        (modules(page="await fetch('/');\n"), "top level"),
        (modules(page='import { gone } from "./gone.js";\n'), "cannot be read"),
        (modules(page='import { a-b } from "./a.js";\n', a=""), "cannot read"),
    ],
)
def test_a_module_written_another_way_is_not_bundled(tree: dict[str, str], why: str) -> None:
    with pytest.raises(NotBundled, match=why):
        bundle("js/page.js", tree.__getitem__)


def test_every_page_script_has_its_bundle() -> None:
    named = {
        name
        for template in (ROOT / "app" / "templates").rglob("*.html")
        for name in re.findall(r'module_url\("([^"]+)"\)', template.read_text(encoding="utf-8"))
    }
    assert "js/phone.js" in named
    bundled = static.current().bundled
    # a page whose script imports nothing needs no bundle; every other must have one, or it loads module by module
    importing = {name for name in named if "import " in (ROOT / "static" / name).read_text(encoding="utf-8")}
    assert importing and importing <= bundled.keys()


def test_a_page_names_its_bundle_which_is_served_for_a_year(client: TestClient) -> None:
    version = static.current().version
    url = f"/static/{version}/{BUNDLES}js/phone.js"
    assert static.module_url("js/phone.js") == url
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["cache-control"] == CACHE_A_YEAR
    assert response.headers["content-type"].startswith("text/javascript")
    assert "__module_js_live" in response.text


def test_a_module_that_cannot_be_bundled_is_loaded_as_it_is(tmp_path: Path) -> None:
    folder = tmp_path
    (folder / "js").mkdir()
    (folder / "js" / "page.js").write_text('import { a } from "./a.js";\n')
    (folder / "js" / "a.js").write_text("export let a = 1;\n")
    files = StaticFolder(folder)
    assert files.module_url("js/page.js").endswith("/js/page.js")
    assert not files.module_url("js/page.js").endswith(f"/{BUNDLES}js/page.js")


def test_only_a_module_no_other_imports_is_bundled(tmp_path: Path) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "page.js").write_text('import { a } from "./shared.js";\na();\n')
    (tmp_path / "js" / "shared.js").write_text('import { b } from "./base.js";\nexport function a() { b(); }\n')
    (tmp_path / "js" / "base.js").write_text("export function b() {}\n")
    # shared.js imports too, but a page never names it: bundling it would be start-up work for nothing
    assert StaticFolder(tmp_path).current().bundled == {"js/page.js": f"{BUNDLES}js/page.js"}
