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
    """Where each process listens. Replica ``i`` of Rasa (action server) listens on
    ``rasa_extra[i - 1]`` (``actions_extra[i - 1]``) when given, else on ``rasa + i``."""

    backend: int = 8000
    actions: int = 5055
    rasa: int = 5005
    rasa_extra: list[int] = field(default_factory=list)
    actions_extra: list[int] = field(default_factory=list)

    @classmethod
    def free(cls, rasa: int = 1, actions: int = 1) -> Ports:
        """Free loopback ports, for tests that must not collide with a running instance."""
        socks, ports = [], []
        for _ in range(1 + rasa + actions):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
        for s in socks:
            s.close()
        backend, rasa_ports, action_ports = ports[0], ports[1 : 1 + rasa], ports[1 + rasa :]
        return cls(backend, action_ports[0], rasa_ports[0], rasa_ports[1:], action_ports[1:])

    def rasa_port(self, i: int) -> int:
        return self.rasa if i == 0 else _nth(self.rasa_extra, i, self.rasa)

    def actions_port(self, i: int) -> int:
        return self.actions if i == 0 else _nth(self.actions_extra, i, self.actions)


def _nth(extra: list[int], i: int, base: int) -> int:
    return extra[i - 1] if i - 1 < len(extra) else base + i


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    health_url: str | None = None
    cwd: Path = field(default=REPO)


# ``ASSIST_TRACKER_STORE``: ``cached`` (default) is Rasa's SQL store without re-reading the whole
# conversation every turn (bot/tracker_store.py, same rows and events); ``sql`` is Rasa's own.
TRACKER_STORE_TYPES = {"cached": "bot.tracker_store.CachedSQLTrackerStore", "sql": "SQL"}


def tracker_store_type(env: Mapping[str, str] | None = None) -> str:
    name = ((env or {}).get("ASSIST_TRACKER_STORE") or "cached").strip().lower()
    if name not in TRACKER_STORE_TYPES:
        raise SystemExit(
            f"ASSIST_TRACKER_STORE must be one of {', '.join(TRACKER_STORE_TYPES)}, not {name!r}."
        )
    return TRACKER_STORE_TYPES[name]


def tracker_store_yaml(
    database_url: str, var_dir: Path, env: Mapping[str, str] | None = None
) -> str:
    """Rasa's SQL tracker store on the same engine as the backend (its own database or file)."""
    kind = tracker_store_type(env)
    if database_url.startswith("postgresql"):
        from urllib.parse import urlparse

        u = urlparse(database_url.replace("+psycopg2", ""))
        lines = [
            "tracker_store:",
            f"  type: {kind}",
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
    return (
        f"tracker_store:\n  type: {kind}\n  dialect: sqlite\n  db: {var_dir / 'rasa_tracker.db'}\n"
    )


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


def redis_url(env: Mapping[str, str]) -> str:
    """The Redis the lock store uses, as a URL for the backend's per-sender turn lock."""
    from urllib.parse import quote

    password = env.get("REDIS_PASSWORD") or ""
    auth = f":{quote(password, safe='')}@" if password else ""
    host = env.get("REDIS_HOST") or "127.0.0.1"
    return (
        f"redis://{auth}{host}:{int(env.get('REDIS_PORT') or 6379)}/{int(env.get('REDIS_DB') or 1)}"
    )


def replica_counts(env: Mapping[str, str]) -> tuple[int, int]:
    """(Rasa processes, action servers): ``RASA_REPLICAS`` and ``ACTION_SERVERS``.

    Both default to 1 in the default profile (its in-memory lock store cannot be shared) and to
    2 in the production profile, where the Redis lock store and the PostgreSQL tracker store let
    several Rasa processes share conversations and the hub pins each sender to one of them.
    """
    production = profile_of(env) == "production"
    counts = []
    for name in ("RASA_REPLICAS", "ACTION_SERVERS"):
        raw = (env.get(name) or ("2" if production else "1")).strip()
        if not raw.isdigit() or not 1 <= int(raw) <= 16:
            raise SystemExit(f"{name} must be a whole number from 1 to 16, not {raw!r}.")
        counts.append(int(raw))
    if counts[0] > 1 and not production:
        raise SystemExit(
            "RASA_REPLICAS above 1 needs ASSIST_PROFILE=production (a shared lock store)."
        )
    return counts[0], counts[1]


def event_broker_yaml(env: Mapping[str, str], var_dir: Path) -> str:
    """Where Rasa publishes its events for the analytics consumer (backend/analytics/consumer.py).

    Production: RabbitMQ through Rasa's pika broker (``RABBITMQ_HOST``/``RABBITMQ_PORT``/
    ``RABBITMQ_USER``/``RABBITMQ_PASSWORD``, default 127.0.0.1:5672 guest/guest; queue
    ``RABBITMQ_QUEUE``, default ``rasa_events``). Default profile: Rasa's file broker, one JSON
    event per line in ``var/rasa_events.jsonl``, which the same consumer tails — so analytics
    never read the tracker store and need no message broker on a laptop.
    """
    if profile_of(env) != "production":
        return f"event_broker:\n  type: file\n  path: {var_dir / 'rasa_events.jsonl'}\n"
    return (
        "event_broker:\n"
        "  type: pika\n"
        f"  url: {env.get('RABBITMQ_HOST') or '127.0.0.1'}\n"
        f"  port: {int(env.get('RABBITMQ_PORT') or 5672)}\n"
        f"  username: {env.get('RABBITMQ_USER') or 'guest'}\n"
        "  password: ${RABBITMQ_PASSWORD}\n"  # Rasa fills it in from its environment
        "  queues:\n"
        f"    - {env.get('RABBITMQ_QUEUE') or 'rasa_events'}\n"
    )


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
    replicas, action_servers = replica_counts(env)
    first = var_dir / "endpoints.yml"
    for i in range(replicas):
        # Replica i calls action server i mod M (each file differs only in that URL).
        path = first if i == 0 else var_dir / f"endpoints-rasa-{i}.yml"
        path.write_text(
            "action_endpoint:\n"
            f"  url: http://127.0.0.1:{ports.actions_port(i % action_servers)}/webhook\n"
            + tracker_store_yaml(database_url, var_dir, env)
            + lock_store_yaml(env)
            + event_broker_yaml(env, var_dir)
        )
    return first


def replica_name(kind: str, i: int) -> str:
    """``rasa``, ``rasa-1``, ``rasa-2``… (the first keeps the plain name tests and tools use)."""
    return kind if i == 0 else f"{kind}-{i}"


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

    if with_telegram is None:
        with_telegram = bool(base.get("TELEGRAM_BOT_TOKEN"))
    if with_telegram:
        # The gateway's loopback HTTP server carries the proactive endpoint (reminders, payment
        # results, agent replies) and /metrics; the backend needs its address to reach Telegram.
        base.setdefault("TELEGRAM_GATEWAY_PORT", "8444")
        base.setdefault("TELEGRAM_GATEWAY_URL", f"http://127.0.0.1:{base['TELEGRAM_GATEWAY_PORT']}")
    replicas, action_servers = replica_counts(base)
    rasa_urls = [f"http://127.0.0.1:{ports.rasa_port(i)}" for i in range(replicas)]
    # The hub pins each sender to one of these by a stable hash (backend/hub/replicas.py).
    base["RASA_URLS"] = ",".join(rasa_urls)
    if profile_of(base) == "production":
        base.setdefault("RABBITMQ_PASSWORD", "guest")
        # Several backend processes may serve one sender: the hub's turn lock lives in Redis.
        base.setdefault("REDIS_URL", redis_url(base))
    else:
        base.setdefault("RASA_EVENTS_FILE", str(var_dir / "rasa_events.jsonl"))
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
    ]
    for j in range(action_servers):
        port = ports.actions_port(j)
        procs.append(
            Proc(
                replica_name("actions", j),
                [
                    venv_bin(VENV, "python"),
                    "-m",
                    "rasa_sdk",
                    "--actions",
                    "bot.actions",
                    "-p",
                    str(port),
                ],
                {**base, "SANIC_HOST": "127.0.0.1"},
                f"http://127.0.0.1:{port}/health",
            )
        )
    for i in range(replicas):
        port = ports.rasa_port(i)
        endpoints_file = endpoints if i == 0 else var_dir / f"endpoints-rasa-{i}.yml"
        procs.append(
            Proc(
                replica_name("rasa", i),
                [
                    # `rasa run` with action replies validated against a pre-checked schema
                    venv_bin(RASA_VENV, "python"),
                    str(REPO / "scripts" / "rasa_serve.py"),
                    "run",
                    "-i",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "--enable-api",
                    # One argument: a generated token may start with "-", which argparse
                    # would take for an option if it were separate.
                    f"--auth-token={base.get('RASA_TOKEN', '')}",
                    "--model",
                    str(model_path),
                    "--endpoints",
                    str(endpoints_file),
                    "--credentials",
                    str(REPO / "credentials.yml"),
                ],
                {
                    **base,
                    "RASA_TELEMETRY_ENABLED": "false",
                    "TF_CPP_MIN_LOG_LEVEL": "2",
                    "PYTHONWARNINGS": "ignore",
                },
                f"http://127.0.0.1:{port}/status?token={base.get('RASA_TOKEN', '')}",
            )
        )
    # Rasa's events → the backend's analytics tables (RabbitMQ in production, else the file).
    procs.append(
        Proc("analytics", [venv_bin(VENV, "python"), "-m", "backend.analytics.consumer"], base)
    )
    if with_telegram:
        # A wrong token or an unreachable Telegram must not stop the other processes (honcho
        # stops them all when one exits): the gateway says why and stays up.
        gateway_env = {"TELEGRAM_STAY_UP_ON_ERROR": "1", **base}
        procs.append(
            Proc("telegram", [venv_bin(VENV, "python"), "-m", "gateway.telegram"], gateway_env)
        )
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
