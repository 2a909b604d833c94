"""The layering in pyproject.toml holds, and import-linter notices when an import breaks it."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from app.config import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run the contracts of root/pyproject.toml on the app package found in root."""
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, check=False
    )


def test_every_contract_is_kept() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_the_architecture_page_shows_the_layers_as_the_contract_states_them() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (app_layers,) = [c["layers"] for c in contracts["contracts"] if c.get("containers") == ["app"]]
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    drawn = page.split("\n## Layers\n", 1)[1].split("```", 2)[1]
    assert [line.strip() for line in drawn.splitlines() if line.strip()] == app_layers


def copy_of_app(tmp_path: Path) -> Path:
    """The app's Python modules and pyproject.toml, in a folder of their own."""
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__", "locale", "templates"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_persistence_importing_a_feature_breaks_the_layers(tmp_path: Path) -> None:
    root = copy_of_app(tmp_path)
    with (root / "app" / "store" / "events.py").open("a") as module:
        module.write("\nfrom app.clusters import service as clusters  # noqa: E402\n")
    done = lint_imports(root)
    assert done.returncode != 0
    assert "app.store is not allowed to import app.clusters" in done.stdout


def test_two_features_of_one_layer_importing_each_other_breaks_the_layers(tmp_path: Path) -> None:
    root = copy_of_app(tmp_path)
    with (root / "app" / "actions" / "service.py").open("a") as module:
        module.write("\nfrom app.clusters import service as clusters  # noqa: E402\n")
    done = lint_imports(root)
    assert done.returncode != 0
    assert "app.actions is not allowed to import app.clusters" in done.stdout


def test_a_module_without_a_place_in_the_layers_is_refused(tmp_path: Path) -> None:
    root = copy_of_app(tmp_path)
    (root / "app" / "newcomer.py").write_text('"""A module nobody placed."""\n')
    done = lint_imports(root)
    assert done.returncode != 0
    assert "app.newcomer" in done.stdout
