"""Loads and validates the session formats in session_templates/."""

import logging
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from app import steps as step_types
from app.config import ROOT
from app.security import clean_text

log = logging.getLogger(__name__)
TEMPLATES_DIR = ROOT / "session_templates"
# a format's key: its file's name, and part of download addresses
FORMAT_KEY = r"^[a-z][a-z0-9_-]{0,39}$"


class Localised(BaseModel):
    """A text in Dutch and, where written, English."""

    model_config = ConfigDict(extra="forbid")
    nl: str = Field(min_length=1)
    en: str | None = None

    @field_validator("nl", "en", mode="before")
    @classmethod
    def _cleaned(cls, value: Any) -> Any:
        """A text as every user text is kept (an uploaded file's too): no NUL, direction override or invisible mark."""
        return clean_text(value) if isinstance(value, str) else value


class StepSpec(BaseModel):
    """One step of a format as a file holds it: every setting any type takes; app/steps.py says which."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    type: step_types.StepKind
    title: Localised
    prompt: Localised | None = None
    help: Localised | None = None
    timer: int | None = Field(default=None, ge=step_types.TIMER_SECONDS[0], le=step_types.TIMER_SECONDS[1])
    max_length: int | None = Field(default=None, ge=step_types.ANSWER_LENGTH[0], le=step_types.ANSWER_LENGTH[1])
    multiple: bool | None = None
    links_to: str | None = None
    themes: bool | None = None
    source: str | None = None
    low: int | None = None
    high: int | None = None
    target: float | None = None
    tile: Localised | None = None
    low_label: Localised | None = None
    high_label: Localised | None = None
    options: list[Localised] | None = Field(
        default=None, min_length=step_types.OPTION_COUNT[0], max_length=step_types.OPTION_COUNT[1]
    )
    _typed: step_types.Step = PrivateAttr()

    @model_validator(mode="after")
    def _fits_its_type(self) -> "StepSpec":
        self._typed = step_types.checked(self.model_dump(exclude_none=True), given=self.model_fields_set)
        return self

    @property
    def typed(self) -> step_types.Step:
        """The step as its type's typed step, defaults filled in."""
        return self._typed


class FormatSpec(BaseModel):
    """A session format: its name and its steps in order."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=FORMAT_KEY)
    name: Localised
    description: Localised
    steps: list[StepSpec] = Field(min_length=2)

    @field_validator("steps")
    @classmethod
    def _steps_fit_together(cls, specs: list[StepSpec]) -> list[StepSpec]:
        step_types.check_list([spec.typed for spec in specs])
        return specs

    def step_dicts(self) -> list[dict[str, Any]]:
        """The steps as plain data, copied into a workshop when it is created."""
        return [step_dict(step) for step in self.steps]


def step_dict(step: StepSpec) -> dict[str, Any]:
    """A step as plain data with its type's defaults written out, so readers need not know them."""
    return dict(step_types.with_defaults(step.model_dump(exclude_none=True)))


def is_format_key(text: str) -> bool:
    """Whether a text is a key a format can have (anything else names none, and never reaches a query)."""
    return re.fullmatch(FORMAT_KEY, text) is not None


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
    except RecursionError as exc:
        # PyYAML builds nested lists and mappings by recursion: a few KB of "[[[[" reach Python's limit
        raise FormatFileError(f"{path.name}: invalid YAML: nested too deeply") from exc
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
