"""Training time: ``rasa train`` of the real domain and data from scratch (empty cache).

Each run trains into its own temp dir with its own Rasa cache (``RASA_CACHE_DIRECTORY``), so no
run reuses another's work; ``models/assist.tar.gz`` is not touched.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import Results, median
from scripts.processes import RASA_VENV, REPO, venv_bin


def train_once(workdir: Path) -> float:
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_CACHE_DIRECTORY": str(workdir / "cache"),
    }
    log = workdir / "train.log"
    started = time.monotonic()
    with log.open("w") as out:
        result = subprocess.run(
            [
                venv_bin(RASA_VENV, "rasa"),
                "train",
                "--domain",
                "bot/domain",
                "--config",
                "config.yml",
                "--data",
                "bot/data",
                "--out",
                str(workdir / "models"),
                "--fixed-model-name",
                "bench",
                "--quiet",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise RuntimeError(f"rasa train failed ({result.returncode}):\n{tail}")
    return elapsed


def run(results: Results, runs: int) -> None:
    print(f"Training time ({runs} runs, empty cache each)", flush=True)
    times = []
    for i in range(runs):
        with tempfile.TemporaryDirectory(prefix="assist-bench-train-") as tmp:
            times.append(train_once(Path(tmp)))
        print(f"    run {i + 1}: {times[-1]:.1f} s", flush=True)
    results.add(
        "training time",
        median(times),
        "s",
        f"runs: {', '.join(f'{t:.0f}' for t in times)}",
        key="train_s",
    )
