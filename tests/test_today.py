"""One "today": every page, export, mail and pass asks app.models.local_today, and it counts on the Dutch clock."""

import ast
from datetime import UTC, date, datetime

import pytest

from app import models
from app.config import ROOT


def _own_todays(tree: ast.AST) -> list[str]:
    """The ways of working out today a module writes for itself: date.today(), datetime.now(...).date(),
    local_day(utcnow()) or a function of its own named today or local_today."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in ("today", "local_today"):
            found.append(f"def {node.name}")
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute | ast.Name):
            continue
        called = ast.unparse(node.func)
        if called == "date.today" or (called.endswith(".date") and "datetime.now(" in called):
            found.append(ast.unparse(node))
        if called == "local_day" and node.args and ast.unparse(node.args[0]) == "utcnow()":
            found.append(ast.unparse(node))
    return found


def test_no_module_but_the_models_works_out_today_for_itself() -> None:
    written = {
        str(path.relative_to(ROOT)): found
        for path in sorted((ROOT / "app").rglob("*.py"))
        if path != ROOT / "app" / "models.py" and (found := _own_todays(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert written == {}


def test_the_scan_finds_each_way_of_writing_today() -> None:
    source = (
        "def today():\n    return datetime.now(LOCAL_TIMEZONE).date()\n"
        "a = date.today()\nb = local_day(utcnow())\nc = local_day(now)\n"
    )
    assert sorted(_own_todays(ast.parse(source))) == [
        "date.today()",
        "datetime.now(LOCAL_TIMEZONE).date()",
        "def today",
        "local_day(utcnow())",
    ]


@pytest.mark.parametrize(
    ("utc", "dutch"),
    [
        # the server's clock in UTC: from 23:00 (22:00 in summer) it is already tomorrow in the Netherlands
        (datetime(2026, 12, 6, 23, 30, tzinfo=UTC), date(2026, 12, 7)),
        (datetime(2026, 6, 30, 22, 30, tzinfo=UTC), date(2026, 7, 1)),
        (datetime(2026, 12, 6, 22, 30, tzinfo=UTC), date(2026, 12, 6)),
    ],
)
def test_today_is_the_day_on_the_dutch_clock(monkeypatch: pytest.MonkeyPatch, utc: datetime, dutch: date) -> None:
    monkeypatch.setattr(models, "utcnow", lambda: utc)
    assert models.local_today() == dutch
