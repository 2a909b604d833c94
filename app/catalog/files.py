"""Format files in and out: a format as YAML to download, and an uploaded file read by the shipped files' loader."""

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from app.catalog.service import FormatFileError, FormatSpec, load_format
from app.errors import DomainError
from app.i18n import N_

MAX_UPLOAD = 64 * 1024
MAX_STEPS = 40
HEADER = "# A Doorbraak session format. Check it with: doorbraak templates check {file}\n"


def spec_data(spec: FormatSpec) -> dict[str, Any]:
    """A format as the plain data a format file holds."""
    return spec.model_dump(mode="json", exclude_none=True)


def format_yaml(data: Mapping[str, Any]) -> str:
    """A format's data as a YAML file that `load_format` reads back."""
    body = yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False, width=100)
    return HEADER.format(file=f"{data.get('key', 'format')}.yaml") + body


def read_upload(data: bytes, filename: str) -> FormatSpec:
    """An uploaded format file, checked by the very loader the shipped files go through (blocking: temp file)."""
    if len(data) > MAX_UPLOAD:
        raise DomainError(
            "file_too_large", N_("Dit bestand is te groot: een werkvorm mag hoogstens 64 KB zijn."), status=413
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DomainError(
            "not_utf8", N_("Dit bestand is geen UTF-8-tekst. Sla het op als UTF-8 en probeer het opnieuw."), status=422
        ) from exc
    # the loader names the file in its messages and checks the key against it, so keep the name people gave it
    name = Path(filename.replace("\\", "/")).name.strip()
    if not name.lower().endswith((".yaml", ".yml")) or len(name) > 120 or "\x00" in name or name.startswith("."):
        raise DomainError(
            "not_yaml", N_("Kies een .yaml-bestand met een gewone naam, zoals mijn-werkvorm.yaml."), status=422
        )
    with tempfile.TemporaryDirectory(prefix="doorbraak-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            spec = load_format(path)
        except FormatFileError as exc:
            problem = str(exc)
            problem = problem if len(problem) <= 600 else problem[:600] + "…"
            raise DomainError(
                "bad_format_file", N_("Dit bestand kunnen we niet gebruiken. {problem}"), status=422, problem=problem
            ) from exc
    if len(spec.steps) > MAX_STEPS:
        raise DomainError(
            "too_many_steps", N_("Een werkvorm heeft hoogstens {limit} stappen."), status=422, limit=MAX_STEPS
        )
    return spec
