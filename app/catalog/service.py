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
StepType = Literal["lobby", "open_text", "cluster", "dot_vote", "actions", "close"]


class Localised(BaseModel):
    """A text in Dutch and, where written, English."""

    model_config = ConfigDict(extra="forbid")
    nl: str = Field(min_length=1)
    en: str | None = None


class StepSpec(BaseModel):
    """One step of a format."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    type: StepType
    title: Localised
    prompt: Localised | None = None
    help: Localised | None = None
    max_length: int = Field(default=200, ge=10, le=1000)
    multiple: bool = True
    links_to: str | None = None
    # the open_text step whose answers a cluster or dot_vote step works on
    source: str | None = None

    @model_validator(mode="after")
    def _settings_fit_the_type(self) -> "StepSpec":
        if self.type in ("open_text", "dot_vote") and self.prompt is None:
            raise ValueError(f"a {self.type} step needs a prompt")
        if self.type in ("cluster", "dot_vote") and self.source is None:
            raise ValueError(f"a {self.type} step needs a source: the open_text step whose answers it uses")
        return self


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
        if steps[0].type != "lobby":
            raise ValueError("the first step must be a lobby")
        if steps[-1].type != "close":
            raise ValueError("the last step must be a close step")
        return steps

    def step_dicts(self) -> list[dict[str, Any]]:
        """The steps as plain data, copied into a workshop when it is created."""
        return [step.model_dump(exclude_none=True) for step in self.steps]


class FormatFileError(Exception):
    """A format file that cannot be used, with the file and the fields at fault."""


def load_format(path: Path) -> FormatSpec:
    """Read and validate one format file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FormatFileError(f"{path.name}: invalid YAML: {exc}") from exc
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
