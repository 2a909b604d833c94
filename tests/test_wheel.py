"""The wheel runs on its own: built as the Dockerfile builds it, installed apart from the checkout, served elsewhere."""

import os
import re
import sqlite3
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory

from app.demo.driver import csrf_of
from tests.conftest import PASSWORD
from tests.servers import SERVER_START_S, free_port, wait_for

CHECKOUT = Path(__file__).resolve().parents[1]


def run(*command: str | Path, cwd: Path | None = None) -> str:
    """Run a command to completion; its output is the failure message when it fails."""
    done = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel, not the checkout; its dependencies come from the project's venv."""
    scratch = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", scratch / "dist", CHECKOUT)
    (wheel,) = (scratch / "dist").glob("doorbraak-*.whl")
    venv = scratch / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    site_packages = run(venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
    # the project's libraries without downloading them again; a .pth line only adds a folder, so the editable
    # install's own .pth in that folder (which would put the checkout on the path) is not run
    (Path(site_packages.strip()) / "project_libraries.pth").write_text(sysconfig.get_path("purelib"))
    run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--no-deps", "--no-index", wheel)
    return venv


@pytest.fixture
def server(venv: Path, tmp_path: Path) -> Iterator[str]:
    """`doorbraak serve` from the installed wheel, started in an empty folder far from the checkout."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOORBRAAK_") and k != "PYTHONPATH"}
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [venv / "bin" / "doorbraak", "serve", "--port", str(port), "--log-level", "warning"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: process.poll() is None and httpx.get(f"{base}/healthz").status_code == 200,
            "server up",
            SERVER_START_S,
        )
        yield base
    except AssertionError:
        raise AssertionError(f"the installed server did not start:\n{log.read_text()}") from None
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_installed_package_reads_nothing_from_the_checkout(venv: Path, tmp_path: Path) -> None:
    where = "import app.config as c; print(c.ROOT, c.default_data_dir())"
    root, data_dir = run(venv / "bin" / "python", "-c", where, cwd=tmp_path).split()
    assert Path(root).is_relative_to(venv) and not Path(root).is_relative_to(CHECKOUT)
    assert Path(data_dir) == tmp_path / "data"


def test_the_installed_server_serves_pages_static_files_formats_and_a_migrated_database(
    server: str, tmp_path: Path
) -> None:
    with httpx.Client(base_url=server) as browser:
        setup = browser.get("/setup")
        assert setup.status_code == 200 and "Doorbraak" in setup.text
        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', setup.text).group(1)  # type: ignore[union-attr]
        css = browser.get(stylesheet)
        assert css.status_code == 200
        assert css.text == (CHECKOUT / "static" / "css" / "app.css").read_text(encoding="utf-8")

        account = {"csrf": csrf_of(setup.text), "name": "Fenna", "email": "fenna@buurtalliantie.nl"}
        created = browser.post("/setup", data=account | {"password": PASSWORD})
        assert created.status_code == 303, created.text
        workshops = browser.get("/f/workshops").text
        for shipped in sorted((CHECKOUT / "session_templates").glob("*.yaml")):
            assert f'<option value="{shipped.stem}"' in workshops, f"format {shipped.stem} is not offered"
            assert browser.get(f"/f/formats/{shipped.name}").text == shipped.read_text(encoding="utf-8")

    # the default data folder is the working directory's data/, migrated to the newest revision
    with sqlite3.connect(tmp_path / "data" / "doorbraak.db") as db:
        (revision,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
    assert revision == ScriptDirectory(str(CHECKOUT / "migrations")).get_current_head()
