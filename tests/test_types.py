"""Every type-ignore comment names its error code, and their number does not grow (docs/architecture.md, "Types")."""

import re

from app.config import ROOT

# built in two parts so that this file does not count itself
IGNORE = re.compile(r"#\s*type:\s*" + r"ignore\b(\[[^\]]*\])?")
# after issue 13's type work: app/ is type-checked (mypy reports an ignore it no longer needs); the tests are not
MOST_IN_APP = 14
MOST_IN_ALL = 108


def ignores(folder: str) -> list[tuple[str, str | None]]:
    """(file:line, its error codes or None) for each ignore in the Python files under folder."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in IGNORE.finditer(line):
                found.append((f"{path.relative_to(ROOT)}:{number}", match.group(1)))
    return found


def test_every_ignore_names_its_error_code() -> None:
    bare = [where for folder in ("app", "tests", "scripts") for where, codes in ignores(folder) if codes is None]
    assert bare == []


def test_the_ignores_do_not_grow() -> None:
    in_app = len(ignores("app"))
    assert in_app <= MOST_IN_APP, f"{in_app} ignores in app/: fix the type, or say in docs/architecture.md why not"
    in_all = in_app + len(ignores("tests")) + len(ignores("scripts"))
    assert in_all <= MOST_IN_ALL


def test_the_pattern_tells_a_bare_ignore_from_one_with_its_code() -> None:
    line = "x = f()  # type: " + "ignore"
    bare, coded = IGNORE.search(line), IGNORE.search(line + "[arg-type]")
    assert bare is not None and bare.group(1) is None
    assert coded is not None and coded.group(1) == "[arg-type]"
