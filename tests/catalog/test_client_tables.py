"""The phone's and the projector's tables of step views name exactly the step types the server's registry has."""

import re
from pathlib import Path

import pytest

from app.steps import STEP_TYPES

STATIC_JS = Path(__file__).resolve().parents[2] / "static" / "js"
# each client's one table from step type to view: (file, name of the table)
TABLES = [("phone.js", "VIEWS"), ("projector.js", "DRAW")]


def table_keys(source: str, name: str) -> list[str]:
    """The keys of the object literal `const <name> = {...}` in a script: entries at its top level only."""
    source = re.sub(r"//[^\n]*", "", source)
    start = re.search(rf"\bconst {name} = \{{", source)
    assert start, f"no `const {name} = {{` in the script"
    depth, entries, entry = 1, [], ""
    for char in source[start.end() :]:
        depth += {"{": 1, "(": 1, "[": 1, "}": -1, ")": -1, "]": -1}.get(char, 0)
        if depth == 0:
            break
        if depth == 1 and char == ",":
            entries.append(entry)
            entry = ""
        else:
            entry += char
    entries.append(entry)
    # `key: value`, `"key": value` or the shorthand `key`
    return [entry.split(":")[0].strip().strip("\"'") for entry in entries if entry.strip()]


def test_the_parser_reads_keys_of_every_form_and_only_the_top_level() -> None:
    source = """
        const OTHER = { lobby: 1 };
        const VIEWS = {
          lobby: lobbyView, // a comment: with, punctuation
          "open_text": wrap((step) => ({ nested: step, also: [1, 2] })),
          close,
        };
    """
    assert table_keys(source, "VIEWS") == ["lobby", "open_text", "close"]


@pytest.mark.parametrize(("script", "table"), TABLES)
def test_a_client_table_has_a_view_for_every_step_type_and_no_other(script: str, table: str) -> None:
    keys = table_keys((STATIC_JS / script).read_text(encoding="utf-8"), table)
    assert len(keys) == len(set(keys)), f"{script}: a type twice in {table}"
    missing, unknown = set(STEP_TYPES) - set(keys), set(keys) - set(STEP_TYPES)
    assert not missing, f"{script}: {table} has no view for {sorted(missing)} (app/steps.py has them)"
    assert not unknown, f"{script}: {table} has views for {sorted(unknown)}, which app/steps.py lacks"
