"""The four processes of the system, described once for the run command, the tests and bench/.

Stdlib only: the bootstrap imports this before any virtual environment exists.
"""

from __future__ import annotations

import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"
RASA_VENV = REPO / ".venv-rasa"
MODEL_DIR = REPO / "models"
MODEL_PATH = MODEL_DIR / "assist.tar.gz"


def venv_bin(venv: Path, name: str) -> str:
    sub = "Scripts" if os.name == "nt" else "bin"
    return str(venv / sub / name)


@dataclass
class Ports:
    backend: int = 8000
    actions: int = 5055
    rasa: int = 5005

    @classmethod
    def free(cls) -> Ports:
        """Three free loopback ports, for tests that must not collide with a running instance."""
        socks, ports = [], []
        for _ in range(3):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
        for s in socks:
            s.close()
        return cls(*ports)


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    health_url: str | None = None
    cwd: Path = field(default=REPO)


def tracker_store_yaml(database_url: str, var_dir: Path) -> str:
    """Rasa's SQL tracker store on the same engine as the backend (its own database or file)."""
    if database_url.startswith("postgresql"):
        from urllib.parse import urlparse

        u = urlparse(database_url.replace("+psycopg2", ""))
        lines = [
            "tracker_store:",
            "  type: SQL",
            "  dialect: postgresql",
            f"  url: {u.hostname or '127.0.0.1'}",
            f"  port: {u.port or 5432}",
            f"  db: {(u.path or '/postgres').lstrip('/')}",
        ]
        if u.username:
            lines.append(f"  username: {u.username}")
        if u.password:
            lines.append("  password: ${RASA_TRACKER_PASSWORD}")
        return "\n".join(lines) + "\n"
    return f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {var_dir / 'rasa_tracker.db'}\n"


PROFILES = ("default", "production")


def profile_of(env: Mapping[str, str]) -> str:
    """``ASSIST_PROFILE``: ``default`` (embedded, one Rasa process) or ``production``."""
    name = (env.get("ASSIST_PROFILE") or "default").strip().lower()
    if name not in PROFILES:
        raise SystemExit(f"ASSIST_PROFILE must be one of {', '.join(PROFILES)}, not {name!r}.")
    return name


def lock_store_yaml(env: Mapping[str, str]) -> str:
    """In memory by default; Redis in the production profile (several Rasa processes)."""
    if profile_of(env) != "production":
        return "lock_store:\n  type: in_memory\n"
    lines = [
        "lock_store:",
        "  type: redis",
        f"  url: {env.get('REDIS_HOST') or '127.0.0.1'}",
        f"  port: {int(env.get('REDIS_PORT') or 6379)}",
        f"  db: {int(env.get('REDIS_DB') or 1)}",
    ]
    if env.get("REDIS_PASSWORD"):
        lines.append("  password: ${REDIS_PASSWORD}")  # Rasa fills it in from its environment
    return "\n".join(lines) + "\n"


def tracker_database_url(database_url: str, var_dir: Path) -> str:
    """The tracker store as a SQLAlchemy URL, for the backend's data-protection code."""
    if database_url.startswith("postgresql"):
        return database_url
    return f"sqlite:///{var_dir / 'rasa_tracker.db'}"


def write_endpoints(
    var_dir: Path, ports: Ports, database_url: str, env: Mapping[str, str] | None = None
) -> Path:
    """Rasa reads endpoints from a file; ours is generated so ports and stores follow settings.

    ``ASSIST_PROFILE=production`` needs a PostgreSQL ``DATABASE_URL`` (the tracker store goes
    there) and uses the Redis lock store (``REDIS_HOST``/``REDIS_PORT``/``REDIS_PASSWORD``,
    default 127.0.0.1:6379).
    """
    env = env or {}
    if profile_of(env) == "production" and not database_url.startswith("postgresql"):
        raise SystemExit(
            "ASSIST_PROFILE=production needs DATABASE_URL=postgresql+psycopg2://user@host/db "
            "(Rasa's tracker store and the backend share PostgreSQL)."
        )
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "endpoints.yml"
    path.write_text(
        "action_endpoint:\n"
        f"  url: http://127.0.0.1:{ports.actions}/webhook\n"
        + tracker_store_yaml(database_url, var_dir)
        + lock_store_yaml(env)
    )
    return path


def process_specs(
    ports: Ports,
    env: dict[str, str],
    var_dir: Path,
    model_path: Path = MODEL_PATH,
    with_telegram: bool | None = None,
) -> list[Proc]:
    """The processes to start, in start order, with the environment each one needs."""
    base = dict(env)
    base.setdefault("PYTHONUNBUFFERED", "1")
    base["ASSIST_PORT"] = str(ports.backend)
    base["ASSIST_BACKEND_URL"] = f"http://127.0.0.1:{ports.backend}"
    base["RASA_URL"] = f"http://127.0.0.1:{ports.rasa}"
    base.setdefault("ASSIST_PUBLIC_URL", f"http://127.0.0.1:{ports.backend}")
    database_url = base.get("DATABASE_URL", f"sqlite:///{var_dir / 'assist.db'}")
    base["DATABASE_URL"] = database_url
    base.setdefault("OUTBOX_DIR", str(var_dir / "outbox"))
    base.setdefault("DOCUMENTS_DIR", str(var_dir / "documents"))
    base.setdefault("RASA_TRACKER_DB_URL", tracker_database_url(database_url, var_dir))
    endpoints = write_endpoints(var_dir, ports, database_url, base)
    if database_url.startswith("postgresql"):
        from urllib.parse import urlparse

        password = urlparse(database_url).password
        if password:
            base["RASA_TRACKER_PASSWORD"] = password

    procs = [
        Proc(
            "backend",
            [
                venv_bin(VENV, "python"),
                "-m",
                "uvicorn",
                "backend.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(ports.backend),
                "--no-access-log",
            ],
            base,
            f"http://127.0.0.1:{ports.backend}/healthz",
        ),
        Proc(
            "actions",
            [
                venv_bin(VENV, "python"),
                "-m",
                "rasa_sdk",
                "--actions",
                "bot.actions",
                "-p",
                str(ports.actions),
            ],
            {**base, "SANIC_HOST": "127.0.0.1"},
            f"http://127.0.0.1:{ports.actions}/health",
        ),
        Proc(
            "rasa",
            [
                venv_bin(RASA_VENV, "rasa"),
                "run",
                "-i",
                "127.0.0.1",
                "-p",
                str(ports.rasa),
                "--enable-api",
                "--auth-token",
                base.get("RASA_TOKEN", ""),
                "--model",
                str(model_path),
                "--endpoints",
                str(endpoints),
                "--credentials",
                str(REPO / "credentials.yml"),
            ],
            {
                **base,
                "RASA_TELEMETRY_ENABLED": "false",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                "PYTHONWARNINGS": "ignore",
            },
            f"http://127.0.0.1:{ports.rasa}/status?token={base.get('RASA_TOKEN', '')}",
        ),
    ]
    if with_telegram is None:
        with_telegram = bool(base.get("TELEGRAM_BOT_TOKEN"))
    if with_telegram:
        procs.append(Proc("telegram", [venv_bin(VENV, "python"), "-m", "gateway.telegram"], base))
    return procs


def is_healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (loopback only)
            return 200 <= resp.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_healthy(procs: list[Proc], timeout: float, alive=lambda name: True) -> list[str]:
    """Poll every health URL until all answer; returns the names still unhealthy at the deadline."""
    pending = {p.name: p.health_url for p in procs if p.health_url}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for name, url in list(pending.items()):
            if not alive(name):
                return [name]
            if is_healthy(url):
                del pending[name]
        if pending:
            time.sleep(0.5)
    return sorted(pending)
