"""Run a small script inside Rasa's own environment (.venv-rasa, Python 3.10) and read its result.

Rasa cannot be imported in the test environment (Python 3.11), so checks of Rasa's loaders and
of our patches to Rasa write a script that prints ``RESULT <json>`` and run it there.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from scripts.processes import RASA_VENV, venv_bin


def run_in_rasa(
    tmp_path: Path,
    script: str,
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> dict[str, Any]:
    """The ``RESULT`` JSON the script printed; fails showing stderr; skips without .venv-rasa."""
    python = Path(venv_bin(RASA_VENV, "python"))
    if not python.exists():
        pytest.skip(".venv-rasa is not set up")
    path = tmp_path / "rasa_probe.py"
    path.write_text(script)
    done = subprocess.run(
        [str(python), str(path), *args],
        env={
            **os.environ,
            "RASA_TELEMETRY_ENABLED": "false",
            "PYTHONWARNINGS": "ignore",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT ") :])
