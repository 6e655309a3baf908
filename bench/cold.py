"""Cold set-up: a fresh clone of this repository (committed files only) in a temp dir, then
``python3 scripts/assist.py setup`` there — both virtual environments, the widget's npm packages,
secrets, model training and migrations. Takes minutes and downloads packages, so it only runs
with ``--cold``. pip's and npm's own download caches are left in place (as on a developer's
machine that has installed Python packages before); pass ``--cold-no-cache`` to disable them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import Results, median
from scripts.processes import REPO


def setup_once(no_cache: bool, keep: bool = False) -> float:
    tmp = Path(tempfile.mkdtemp(prefix="assist-bench-cold-"))
    try:
        clone = tmp / "assist"
        subprocess.run(
            ["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone)], check=True
        )
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "DATABASE_URL")}
        if no_cache:
            env["PIP_NO_CACHE_DIR"] = "1"
            env["npm_config_cache"] = str(tmp / "npm-cache")
        log = tmp / "setup.log"
        started = time.monotonic()
        with log.open("w") as out:
            result = subprocess.run(
                [shutil.which("python3") or "python3", "scripts/assist.py", "setup"],
                cwd=clone,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        elapsed = time.monotonic() - started
        if result.returncode != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            raise RuntimeError(f"setup in a fresh clone failed ({result.returncode}):\n{tail}")
        return elapsed
    finally:
        if keep:
            print(f"    kept {tmp}", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(results: Results, runs: int, no_cache: bool = False) -> None:
    print(f"Cold set-up ({runs} run(s) of `scripts/assist.py setup` in a fresh clone)", flush=True)
    times = []
    for i in range(runs):
        times.append(setup_once(no_cache))
        print(f"    run {i + 1}: {times[-1]:.0f} s", flush=True)
    results.add(
        "cold set-up",
        median(times),
        "s",
        f"runs: {', '.join(f'{t:.0f}' for t in times)}"
        + (" (no pip/npm cache)" if no_cache else ""),
        key="cold_setup_s",
    )
