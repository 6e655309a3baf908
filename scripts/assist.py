#!/usr/bin/env python3
"""The README's two commands: `python3 scripts/assist.py run` and `python3 scripts/assist.py test`.

Stdlib only, so it runs on whatever Python a fresh machine has. It builds the two environments
(Rasa 3.6.21 needs Python 3.10; everything else uses a current Python), the widget's npm packages,
the secrets, the model (only when the training data changed) and the database, and then either
runs every process under honcho or runs every test. Each step is skipped when its inputs have not
changed since it last succeeded, which is what makes a second start fast.
"""

from __future__ import annotations

import argparse
import base64
import glob
import hashlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.processes import (  # noqa: E402
    MODEL_DIR,
    MODEL_PATH,
    RASA_VENV,
    REPO,
    VENV,
    Ports,
    process_specs,
    venv_bin,
    wait_healthy,
)

VAR = REPO / "var"
STAMPS = VAR / "stamps"
RASA_REQUIREMENTS = REPO / "bot" / "requirements-rasa.txt"
TRAINING_INPUTS = ["bot/domain/*.yml", "config.yml", "bot/data/**/*.yml"]


def say(msg: str) -> None:
    print(f"==> {msg}", flush=True)


def fail(msg: str, code: int = 1) -> None:
    print(f"\nERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


def run(argv: list[str], **kw) -> None:
    result = subprocess.run(argv, cwd=kw.pop("cwd", REPO), **kw)
    if result.returncode != 0:
        fail(f"command failed ({result.returncode}): {' '.join(map(str, argv))}")


def digest(paths: list[Path], extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for p in sorted(paths):
        h.update(str(p.relative_to(REPO)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def stamp_ok(name: str, value: str) -> bool:
    f = STAMPS / name
    return f.exists() and f.read_text() == value


def stamp_write(name: str, value: str) -> None:
    STAMPS.mkdir(parents=True, exist_ok=True)
    (STAMPS / name).write_text(value)


# --- interpreters -----------------------------------------------------------------------------


def _version_of(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    major, minor = out.stdout.strip().split(".")
    return int(major), int(minor)


def _candidates(version: str) -> list[str]:
    """Where people usually have a given Python: PATH, pyenv, uv, the usual prefixes."""
    found: list[str] = []
    exe = f"python{version}"
    if (p := shutil.which(exe)) is not None:
        found.append(p)
    pyenv_root = os.environ.get("PYENV_ROOT") or (
        subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
        if shutil.which("pyenv")
        else str(Path.home() / ".pyenv")
    )
    found += sorted(glob.glob(f"{pyenv_root}/versions/{version}*/bin/{exe}"), reverse=True)
    if shutil.which("uv"):
        out = subprocess.run(["uv", "python", "find", version], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            found.append(out.stdout.strip())
    found += sorted(
        glob.glob(str(Path.home() / f".local/share/uv/python/cpython-{version}*/bin/{exe}")),
        reverse=True,
    )
    found += [f"/usr/bin/{exe}", f"/usr/local/bin/{exe}", f"/opt/homebrew/bin/{exe}"]
    return found


def find_python(version: tuple[int, int], or_newer: bool = False) -> str | None:
    if sys.version_info[:2] == version or (or_newer and sys.version_info[:2] >= version):
        return sys.executable
    versions = [f"{version[0]}.{version[1]}"]
    if or_newer:
        versions = [f"3.{m}" for m in range(14, version[1] - 1, -1)]
    for v in versions:
        for candidate in _candidates(v):
            got = _version_of(candidate)
            if got and (got == version or (or_newer and got >= version)):
                return candidate
    return None


# --- set-up steps -----------------------------------------------------------------------------


def ensure_venv(
    venv: Path, python: str, requirement_args: list[str], inputs: list[Path], label: str
):
    # Keyed on the interpreter's version, not its path: `run` re-executes itself inside .venv,
    # and the same environment must not look stale from there.
    key = digest(inputs, extra=".".join(map(str, _version_of(python) or (0, 0))))
    if venv.exists() and stamp_ok(f"venv-{venv.name}", key):
        return
    if (venv / "bin" / "python").exists():
        say(f"Updating the {label} environment in {venv.name}/ (its requirements changed)")
    else:
        say(f"Installing the {label} environment in {venv.name}/ (first time: a few minutes)")
    if not (venv / "bin" / "python").exists():
        run([python, "-m", "venv", str(venv)])
    pip = [venv_bin(venv, "python"), "-m", "pip", "--disable-pip-version-check"]
    run(pip + ["install", "-q", "--upgrade", "pip"])
    # No blanket upgrade of setuptools/wheel: Rasa pins them (and packaging) to old releases.
    run(pip + ["install", "-q", *requirement_args])
    stamp_write(f"venv-{venv.name}", key)


def setup_environments() -> None:
    modern = find_python((3, 11), or_newer=True)
    if not modern:
        fail(
            "Python 3.11 or newer is needed for the backend. Install one (e.g. `pyenv install 3.12`"
            " or `uv python install 3.12`) and run this again."
        )
    rasa_py = find_python((3, 10))
    if not rasa_py:
        fail(
            "Rasa 3.6.21 needs Python 3.10 and none was found on PATH, in pyenv or in uv.\n"
            "Install it with one of:\n"
            "  pyenv install 3.10        (then run this command again)\n"
            "  uv python install 3.10\n"
            "  sudo apt-get install python3.10 python3.10-venv   (Debian/Ubuntu with deadsnakes)\n"
            "  brew install python@3.10  (macOS)"
        )
    ensure_venv(VENV, modern, [f"{REPO}[test]"], [REPO / "pyproject.toml"], "backend")
    ensure_venv(RASA_VENV, rasa_py, ["-r", str(RASA_REQUIREMENTS)], [RASA_REQUIREMENTS], "Rasa")


def setup_widget() -> None:
    lock = REPO / "frontend" / "package-lock.json"
    if not lock.exists():
        return
    key = digest([lock, REPO / "scripts" / "build_widget.py"])
    vendor = REPO / "backend" / "static" / "vendor"
    if vendor.exists() and stamp_ok("widget", key):
        return
    if not shutil.which("npm"):
        fail("npm is needed once to fetch the web widget's package (install Node.js 18+).")
    say("Installing the web widget's npm packages")
    run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(REPO / "frontend")])
    run([venv_bin(VENV, "python"), str(REPO / "scripts" / "build_widget.py")])
    stamp_write("widget", key)


def load_secrets() -> dict[str, str]:
    """Secrets from the environment win; missing ones are generated once into var/secrets.env."""
    path = VAR / "secrets.env"
    stored: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                stored[k] = v
    changed = False
    for name in ("ASSIST_SECRET_KEY", "ASSIST_SERVICE_TOKEN", "RASA_TOKEN"):
        if name not in stored:
            stored[name] = secrets.token_urlsafe(32)
            changed = True
    for name in ("ASSIST_DATA_KEY", "ASSIST_LOOKUP_KEY"):  # IC encryption: 32 bytes, base64
        if name not in stored:
            stored[name] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
            changed = True
    if changed:
        VAR.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "# generated by scripts/assist.py; keep out of git\n"
            + "".join(f"{k}={v}\n" for k, v in stored.items())
        )
        path.chmod(0o600)
    return {k: os.environ.get(k, v) for k, v in stored.items()}


def training_digest() -> str:
    files = [
        Path(p)
        for pattern in TRAINING_INPUTS
        for p in glob.glob(str(REPO / pattern), recursive=True)
    ]
    return digest(files)


def ensure_model(force: bool = False) -> None:
    """Train only when domain, config or training data changed since the model was built."""
    key = training_digest()
    if not force and MODEL_PATH.exists() and stamp_ok("model", key):
        return
    say("Training the model (training data changed since the last model)")
    started = time.monotonic()
    run(
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
            str(MODEL_DIR),
            "--fixed-model-name",
            "assist",
            "--quiet",
        ],
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    stamp_write("model", key)
    say(f"Model trained in {time.monotonic() - started:.0f} s")


def migrate(env: dict[str, str]) -> None:
    run(
        [
            venv_bin(VENV, "python"),
            "-c",
            "from backend.db import upgrade_database; upgrade_database()",
        ],
        env=env,
    )


def setup() -> dict[str, str]:
    setup_environments()
    setup_widget()
    env = {**os.environ, **load_secrets()}
    env.setdefault("DATABASE_URL", f"sqlite:///{VAR / 'assist.db'}")
    return env


# --- commands ---------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> None:
    started = time.monotonic()
    env = setup()
    ensure_model()
    say("Applying database migrations")
    migrate(env)
    ports = Ports(args.port, int(env.get("ACTIONS_PORT", 5055)), int(env.get("RASA_PORT", 5005)))
    procs = process_specs(ports, env, VAR)
    names = ", ".join(p.name for p in procs)
    if "telegram" not in names:
        say("Telegram gateway not started (set TELEGRAM_BOT_TOKEN to start it)")
    say(f"Starting {names}")

    from honcho.manager import Manager  # from .venv, re-exec'd below when missing

    manager = Manager()
    for p in procs:
        manager.add_process(p.name, " ".join(_quote(a) for a in p.argv), env=p.env, cwd=str(p.cwd))

    def announce() -> None:
        bad = wait_healthy(procs, timeout=args.timeout)
        if bad:
            print(
                f"\nERROR: not healthy after {args.timeout:.0f} s: {', '.join(bad)} "
                "(see their log lines above)",
                flush=True,
            )
            manager.terminate()
            return
        url = env.get("ASSIST_PUBLIC_URL", f"http://127.0.0.1:{ports.backend}")
        print(
            f"\n{'=' * 64}\n  ASSIST Assistant is ready after {time.monotonic() - started:.0f} s"
            f"\n  Chat page:  {url}/\n  Sign-in:    {url}/login\n  API docs:   {url}/docs"
            f"\n  Outbox:     {env.get('OUTBOX_DIR', VAR / 'outbox')}\n  Ctrl-C stops everything."
            f"\n{'=' * 64}\n",
            flush=True,
        )

    threading.Thread(target=announce, daemon=True).start()
    manager.loop()
    sys.exit(manager.returncode or 0)


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


def ensure_chromium() -> None:
    """Browser tests use Debian's chromium; install it when we are root and it is missing."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say("Installing Debian's chromium for the browser tests")
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"],
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    else:
        say("chromium not found and not root: the browser tests will be skipped")


def cmd_test(args: argparse.Namespace) -> None:
    env = setup()
    ensure_chromium()
    rasa = venv_bin(RASA_VENV, "rasa")
    rasa_env = {**env, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    failures: list[str] = []

    def step(name: str, argv: list[str], step_env: dict[str, str] | None = None) -> None:
        say(name)
        if subprocess.run(argv, cwd=REPO, env=step_env or env).returncode != 0:
            failures.append(name)

    step("Lint (ruff)", [venv_bin(VENV, "ruff"), "check", "."])
    step(
        "Validate the training data",
        [
            rasa,
            "data",
            "validate",
            "--domain",
            "bot/domain",
            "--data",
            "bot/data",
            "--config",
            "config.yml",
            "--fail-on-warnings",
        ],
        rasa_env,
    )
    ensure_model()
    step(
        "Conversation tests (rasa test)",
        [
            rasa,
            "test",
            "core",
            "--stories",
            "tests/conversations",
            "--model",
            str(MODEL_PATH),
            "--fail-on-prediction-errors",
            "--out",
            str(VAR / "results" / "core"),
        ],
        rasa_env,
    )
    nlu_results = VAR / "results" / "nlu"
    shutil.rmtree(nlu_results, ignore_errors=True)  # never gate on an old report
    step(
        "NLU held-out test set (rasa test nlu --nlu tests/nlu)",
        [
            rasa,
            "test",
            "nlu",
            "--nlu",
            "tests/nlu",
            "--domain",
            "bot/domain",
            "--model",
            str(MODEL_PATH),
        ]
        + ["--out", str(nlu_results), "--no-plot"],
        rasa_env,
    )
    step("NLU quality gate", [venv_bin(VENV, "python"), "-m", "bench.nlu_check", str(nlu_results)])
    pytest_args = [venv_bin(VENV, "python"), "-m", "pytest", *args.pytest_args]
    say("Unit, full-stack and browser tests (pytest)")
    code = subprocess.run(pytest_args, cwd=REPO, env=env).returncode
    if code not in (0,):
        failures.append("pytest")
    if failures:
        print(f"\nFAILED steps: {', '.join(failures)}", flush=True)
        sys.exit(1)
    print("\nAll test steps passed.", flush=True)


def cmd_setup(args: argparse.Namespace) -> None:
    env = setup()
    ensure_model(force=args.retrain)
    migrate(env)
    say("Set-up complete")


def main() -> None:
    parser = argparse.ArgumentParser(prog="assist", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="set up and start everything")
    p_run.add_argument("--port", type=int, default=int(os.environ.get("ASSIST_PORT", 8000)))
    p_run.add_argument("--timeout", type=float, default=240.0)
    p_run.set_defaults(func=cmd_run)
    p_test = sub.add_parser("test", help="set up and run every test")
    p_test.add_argument("pytest_args", nargs="*", default=[])
    p_test.set_defaults(func=cmd_test)
    p_setup = sub.add_parser("setup", help="set up without starting")
    p_setup.add_argument("--retrain", action="store_true")
    p_setup.set_defaults(func=cmd_setup)
    args = parser.parse_args()
    if args.command == "run" and not _in_venv():
        # honcho lives in .venv: build it with this interpreter, then continue inside it.
        setup_environments()
        os.execv(venv_bin(VENV, "python"), [venv_bin(VENV, "python"), __file__, *sys.argv[1:]])  # noqa: S606
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.func(args)


def _in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


if __name__ == "__main__":
    main()
