"""A live server loads the export libraries, HTTP client and stemmers only when they are used (memory per process)."""

import subprocess
import sys

LOADED_ON_FIRST_USE = ("fpdf", "openpyxl", "icalendar", "redis", "httpx", "Stemmer", "zxcvbn")


def test_serving_loads_no_export_library_or_http_client(tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = (
        "import sys, app.cli\n"
        "from app.main import create_app\n"
        "create_app()\n"
        f"print(' '.join(m for m in {LOADED_ON_FIRST_USE!r} if m in sys.modules))\n"
    )
    env = {"DOORBRAAK_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split() == []
