"""Warm start: ``python3 scripts/assist.py run`` on an already set-up checkout until every process
answers its health check (set-up steps skipped by their stamps, migrations up to date, model
loaded). Free ports are used so a running instance is not disturbed; the repo's ``var/`` is used
as a real start would. The first start is not counted (it may still retrain or migrate).

Also "process start": only migrations + the three processes (``tests.fullstack.harness``), which
tells the set-up checks' share of the warm start apart from the processes' own start-up.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Results, median
from scripts.processes import MODEL_PATH, REPO, Ports, is_healthy
from tests.fullstack.harness import start_stack


def start_once(timeout: float = 600.0) -> float:
    ports = Ports.free()
    env = {
        **os.environ,
        "ASSIST_PORT": str(ports.backend),
        "ACTIONS_PORT": str(ports.actions),
        "RASA_PORT": str(ports.rasa),
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.pop("ASSIST_PUBLIC_URL", None)
    urls = [
        f"http://127.0.0.1:{ports.backend}/healthz",
        f"http://127.0.0.1:{ports.actions}/health",
        f"http://127.0.0.1:{ports.rasa}/",
    ]
    with tempfile.NamedTemporaryFile("w+", prefix="assist-bench-run-", suffix=".log") as log:
        started = time.monotonic()
        proc = subprocess.Popen(
            [shutil.which("python3") or sys.executable, "scripts/assist.py"]
            + ["run", "--port", str(ports.backend)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            pending = list(urls)
            while pending:
                if proc.poll() is not None:
                    log.seek(0)
                    tail = "\n".join(log.read().splitlines()[-30:])
                    raise RuntimeError(f"assist.py run exited {proc.returncode}:\n{tail}")
                if time.monotonic() - started > timeout:
                    raise RuntimeError(f"not healthy after {timeout:.0f} s: {pending}")
                pending = [u for u in pending if not is_healthy(u, timeout=1.0)]
                if pending:
                    time.sleep(0.2)
            return time.monotonic() - started
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: honcho stops its children
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def processes_only(model: Path) -> float:
    """Migrations on an empty SQLite file plus the three processes until healthy."""
    with tempfile.TemporaryDirectory(prefix="assist-bench-warm-") as tmp:
        stack = start_stack("sqlite", Path(tmp), model_path=model)
        stack.stop()
        return stack.started_in


def run_processes(results: Results, runs: int, model: Path = MODEL_PATH) -> None:
    print(f"Process start ({runs} runs: migrate + backend, actions, Rasa → healthy)", flush=True)
    times = [processes_only(model) for _ in range(runs)]
    results.add(
        "process start (no set-up checks)",
        median(times),
        "s",
        f"runs: {', '.join(f'{t:.1f}' for t in times)}",
        key="process_start_s",
    )


def run(results: Results, runs: int) -> None:
    print(f"Warm start ({runs} runs of `scripts/assist.py run` → all healthy)", flush=True)
    start_once()  # the first start may still apply migrations or retrain: not counted
    times = []
    for i in range(runs):
        times.append(start_once())
        print(f"    run {i + 1}: {times[-1]:.1f} s", flush=True)
    results.add(
        "warm start",
        median(times),
        "s",
        f"runs: {', '.join(f'{t:.1f}' for t in times)}",
        key="warm_start_s",
    )
