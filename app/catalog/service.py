"""Loads and validates the session formats in session_templates/."""

import logging
import re
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.config import ROOT

log = logging.getLogger(__name__)
TEMPLATES_DIR = ROOT / "session_templates"
StepType = Literal[
    "lobby", "open_text", "cluster", "dot_vote", "grade", "choice", "mosaic", "actions", "action_review", "close"
]
GRADE_MIN, GRADE_MAX = 1, 10
# settings that only make sense for some step types; anything else on a step is a mistake in the file
SETTINGS_BY_TYPE: dict[str, frozenset[str]] = {
    "open_text": frozenset({"max_length", "multiple", "links_to", "themes"}),
    "cluster": frozenset({"source"}),
    "dot_vote": frozenset({"source"}),
    "grade": frozenset({"low", "high", "target", "tile", "low_label", "high_label"}),
    "choice": frozenset({"options", "multiple"}),
}
# what every step may have, whatever its type
COMMON_SETTINGS = frozenset({"id", "type", "title", "prompt", "help", "timer"})
NEEDS_PROMPT = frozenset({"open_text", "dot_vote", "grade", "choice"})


class Localised(BaseModel):
    """A text in Dutch and, where written, English."""

    model_config = ConfigDict(extra="forbid")
    nl: str = Field(min_length=1)
    en: str | None = None


class StepSpec(BaseModel):
    """One step of a format: its type, its texts, and the settings that type takes."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    type: StepType
    title: Localised
    prompt: Localised | None = None
    help: Localised | None = None
    # any step: the countdown the board starts by default, in seconds (at most two hours)
    timer: int | None = Field(default=None, ge=10, le=7200)
    # open_text: how long one answer may be, one answer or many, the earlier step it answers, a theme per answer
    max_length: int | None = Field(default=None, ge=10, le=1000)
    multiple: bool | None = None
    links_to: str | None = None
    themes: bool | None = None
    # cluster and dot_vote: the open_text step whose answers they work on
    source: str | None = None
    # grade: the scale (within 1-10), the grade the network aims for, and the mosaic tile it feeds
    low: int | None = None
    high: int | None = None
    target: float | None = None
    tile: Localised | None = None
    low_label: Localised | None = None
    high_label: Localised | None = None
    # choice: what a phone can pick from
    options: list[Localised] | None = Field(default=None, min_length=2, max_length=12)

    @model_validator(mode="after")
    def _settings_fit_the_type(self) -> "StepSpec":
        allowed = SETTINGS_BY_TYPE.get(self.type, frozenset())
        for name in sorted(self.model_fields_set - COMMON_SETTINGS - allowed):
            raise ValueError(f"{name} is not a setting of a {self.type} step")
        if self.type in NEEDS_PROMPT and self.prompt is None:
            raise ValueError(f"a {self.type} step needs a prompt")
        if self.type in ("cluster", "dot_vote") and self.source is None:
            raise ValueError(f"a {self.type} step needs a source: the open_text step whose answers it uses")
        if self.type == "choice" and self.options is None:
            raise ValueError("a choice step needs options (at least two)")
        if self.type == "grade":
            self._check_scale()
        return self

    def _check_scale(self) -> None:
        low = GRADE_MIN if self.low is None else self.low
        high = GRADE_MAX if self.high is None else self.high
        for name, value in (("low", low), ("high", high), ("target", self.target)):
            if value is not None and not GRADE_MIN <= value <= GRADE_MAX:
                raise ValueError(f"{name} {value} is outside the grades {GRADE_MIN}-{GRADE_MAX}")
        if low >= high:
            raise ValueError(f"low {low} must be below high {high}")
        if self.target is not None and not low <= self.target <= high:
            raise ValueError(f"target {self.target} is outside this step's scale {low}-{high}")


STEP_DEFAULTS: dict[tuple[str, str], Any] = {
    ("open_text", "max_length"): 200,
    ("open_text", "multiple"): True,
    ("open_text", "themes"): False,
    ("choice", "multiple"): False,
    ("grade", "low"): GRADE_MIN,
    ("grade", "high"): GRADE_MAX,
}


class FormatSpec(BaseModel):
    """A session format: its name and its steps in order."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")
    name: Localised
    description: Localised
    steps: list[StepSpec] = Field(min_length=2)

    @field_validator("steps")
    @classmethod
    def _steps_fit_together(cls, steps: list[StepSpec]) -> list[StepSpec]:
        seen: dict[str, StepSpec] = {}
        for step in steps:
            if step.id in seen:
                raise ValueError(f"duplicate step id {step.id!r}")
            for field in ("links_to", "source"):
                name = getattr(step, field)
                if name is not None and (name not in seen or seen[name].type != "open_text"):
                    raise ValueError(f"step {step.id!r}: {field} {name!r} is not an earlier open_text step")
            seen[step.id] = step
        if any(step.type == "mosaic" for step in steps) and not any(step.tile for step in steps):
            raise ValueError("a mosaic step needs grade steps with a tile to show")
        if steps[0].type != "lobby":
            raise ValueError("the first step must be a lobby")
        if steps[-1].type != "close":
            raise ValueError("the last step must be a close step")
        return steps

    def step_dicts(self) -> list[dict[str, Any]]:
        """The steps as plain data, copied into a workshop when it is created."""
        return [step_dict(step) for step in self.steps]


def step_dict(step: StepSpec) -> dict[str, Any]:
    """A step as plain data with its type's defaults written out, so readers need not know them."""
    data = step.model_dump(exclude_none=True)
    for (kind, name), value in STEP_DEFAULTS.items():
        if kind == step.type:
            data.setdefault(name, value)
    return data


class FormatFileError(Exception):
    """A format file that cannot be used, with the file and the fields at fault."""


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error on one line: where (line and column, counted from 1) and what."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark else problem


def load_format(path: Path) -> FormatSpec:
    """Read and validate one format file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FormatFileError(f"{path.name}: invalid YAML: {_yaml_problem(exc)}") from exc
    try:
        spec = FormatSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc']) or '(file)'}: {err['msg']}" for err in exc.errors()
        )
        raise FormatFileError(f"{path.name}: {problems}") from exc
    if spec.key != path.stem:
        raise FormatFileError(f"{path.name}: key: {spec.key!r} does not match the file name")
    return spec


@cache
def formats(directory: Path = TEMPLATES_DIR) -> dict[str, FormatSpec]:
    """Every valid format by key; a bad file is logged and skipped so the server still starts."""
    found: dict[str, FormatSpec] = {}
    for path in sorted(directory.glob("*.yaml")):
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", path.stem):
            continue
        try:
            spec = load_format(path)
        except FormatFileError as exc:
            log.error("skipping session format: %s", exc)
            continue
        found[spec.key] = spec
    return found
