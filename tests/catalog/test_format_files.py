"""Format files: the shipped ones load, and every kind of mistake in a file is named precisely."""

import logging
import shutil
from pathlib import Path

import pytest

from app.catalog.service import TEMPLATES_DIR, FormatFileError, formats, load_format
from app.cli import main

SHIPPED = ("doorbraak", "bewonersgesprek", "netwerkmozaiek", "vervolgsessie")
GOOD = """\
key: {key}
name: {{nl: Proef, en: Trial}}
description: {{nl: Een proef., en: A trial.}}
steps:
  - {{id: lobby, type: lobby, title: {{nl: Welkom}}}}
{steps}
  - {{id: close, type: close, title: {{nl: Klaar}}}}
"""


def write(folder: Path, key: str, steps: str) -> Path:
    path = folder / f"{key}.yaml"
    path.write_text(GOOD.format(key=key, steps=steps), encoding="utf-8")
    return path


def test_every_shipped_format_loads_with_both_languages() -> None:
    found = formats()
    assert set(SHIPPED) <= set(found)
    for key in SHIPPED:
        spec = found[key]
        texts = [spec.name, spec.description]
        for step in spec.steps:
            texts += [t for t in (step.title, step.prompt, step.help, step.tile) if t is not None]
            texts += step.options or []
        assert all(text.en for text in texts), f"{key} has a text without English"


def test_the_mosaic_format_grades_all_seven_building_blocks() -> None:
    spec = formats()["netwerkmozaiek"]
    tiles = [step.tile.nl for step in spec.steps if step.type == "grade" and step.tile]
    assert tiles == ["Opgave", "Waarde", "Samen doen", "Verankering", "Deelname", "Binding", "Organisatie"]
    assert [step.type for step in spec.steps].count("open_text") == 7


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ("  - {id: q, type: poll, title: {nl: Q}, prompt: {nl: Vraag}}", "steps.1.type: Input should be 'lobby'"),
        ("  - {id: q, type: open_text, title: {nl: Q}}", "steps.1: Value error, a open_text step needs a prompt"),
        (
            "  - {id: q, type: grade, title: {nl: Q}, prompt: {nl: Vraag}, high: 11}",
            "steps.1: Value error, high 11 is outside the grades 1-10",
        ),
        (
            "  - {id: q, type: grade, title: {nl: Q}, prompt: {nl: Vraag}, low: 0}",
            "steps.1: Value error, low 0 is outside the grades 1-10",
        ),
        (
            "  - {id: q, type: grade, title: {nl: Q}, prompt: {nl: Vraag}, target: 12}",
            "steps.1: Value error, target 12.0 is outside the grades 1-10",
        ),
        (
            "  - {id: q, type: open_text, title: {nl: Q}, prompt: {nl: Vraag}}\n"
            "  - {id: q, type: open_text, title: {nl: R}, prompt: {nl: Vraag twee}}",
            "steps: Value error, duplicate step id 'q'",
        ),
        (
            "  - {id: q, type: open_text, title: {nl: Q}, prompt: {nl: Vraag}, options: [{nl: a}, {nl: b}]}",
            "steps.1: Value error, options is not a setting of a open_text step",
        ),
        ("  - {id: q, type: choice, title: {nl: Q}, prompt: {nl: Vraag}}", "a choice step needs options"),
        ("  - {id: m, type: mosaic, title: {nl: M}}", "a mosaic step needs grade steps with a tile"),
    ],
)
def test_a_bad_file_is_named_with_its_field_and_problem(tmp_path: Path, steps: str, expected: str) -> None:
    path = write(tmp_path, "proef", steps)
    with pytest.raises(FormatFileError) as caught:
        load_format(path)
    assert str(caught.value).startswith("proef.yaml: ")
    assert expected in str(caught.value)


def test_invalid_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "kapot.yaml"
    path.write_text("key: kapot\nsteps: [\n  - {id: a\n", encoding="utf-8")
    with pytest.raises(FormatFileError, match=r"kapot\.yaml: invalid YAML: .*line \d+"):
        load_format(path)


def test_the_server_starts_with_the_good_files_and_logs_the_bad(tmp_path: Path, caplog) -> None:
    shutil.copy(TEMPLATES_DIR / "doorbraak.yaml", tmp_path)
    write(tmp_path, "kapot", "  - {id: q, type: grade, title: {nl: Q}, prompt: {nl: Vraag}, high: 11}")
    with caplog.at_level(logging.ERROR):
        found = formats.__wrapped__(tmp_path)
    assert list(found) == ["doorbraak"]
    assert "kapot.yaml: steps.1: Value error, high 11 is outside the grades 1-10" in caplog.text


def test_templates_check_passes_the_shipped_files(capsys) -> None:
    main(["templates", "check"])
    out = capsys.readouterr().out
    assert all(f"ok   {key}.yaml" in out for key in SHIPPED)


def test_templates_check_fails_on_a_bad_file_and_says_why(tmp_path: Path, capsys) -> None:
    write(tmp_path, "goed", "  - {id: q, type: grade, title: {nl: Q}, prompt: {nl: Vraag}}")
    write(tmp_path, "fout", "  - {id: q, type: grade, title: {nl: Q}}")
    with pytest.raises(SystemExit) as stopped:
        main(["templates", "check", str(tmp_path)])
    assert stopped.value.code == "1 of 2 format files have errors"
    out = capsys.readouterr().out
    assert "bad  fout.yaml: steps.1: Value error, a grade step needs a prompt" in out
    assert "ok   goed.yaml" in out
