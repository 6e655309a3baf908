"""Start the whole system (backend + hub, action server, Rasa) on free ports for one database.

Used by the full-stack tests (``tests/fullstack/conftest.py``), the browser test and ``bench/``;
it has no pytest dependency. The process definitions come from ``scripts/processes.py``; this
module only gives each run its own var dir, databases, secrets and log files::

    from tests.fullstack.harness import start_stack

    stack = start_stack("sqlite", Path("/tmp/run"))   # or "postgresql", server_url=...
    try:
        ...  # stack.base_url, stack.database_url, stack.outbox_dir
    finally:
        stack.stop()

For PostgreSQL two uniquely named databases (backend, Rasa tracker store) are created on the
server named by ``server_url`` (``TEST_DATABASE_URL``) and dropped again by ``stop()``.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from scripts.processes import (
    MODEL_PATH,
    REPO,
    VENV,
    Ports,
    Proc,
    process_specs,
    tracker_store_yaml,
    venv_bin,
    wait_healthy,
)

HEALTH_TIMEOUT = float(os.environ.get("ASSIST_STACK_HEALTH_TIMEOUT", "300"))

# Variables from the caller's environment that must not leak into a test stack.
_DROP_ENV = (
    "DATABASE_URL",
    "OUTBOX_DIR",
    "DOCUMENTS_DIR",
    "ASSIST_PUBLIC_URL",
    "ASSIST_BACKEND_URL",
    "RASA_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USER",
    "SMTP_PASSWORD",
)


class StackError(RuntimeError):
    """The stack could not be prepared or did not become healthy (message has log tails)."""


class StackUnavailable(RuntimeError):
    """A precondition outside this repo is missing (no model, database server unreachable)."""


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database ``name``."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _pg_connect(url: str, dbname: str | None = None):  # type: ignore[no-untyped-def]
    import psycopg2

    u = urlsplit(url.replace("+psycopg2", ""))
    conn = psycopg2.connect(
        host=u.hostname or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password or None,
        dbname=dbname or (u.path or "/postgres").lstrip("/") or "postgres",
        connect_timeout=5,
    )
    conn.autocommit = True
    return conn


def postgres_reachable(url: str) -> str | None:
    """None when the server answers, else why not (for a skip message)."""
    try:
        _pg_connect(url).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable here"
        return f"{type(exc).__name__}: {str(exc).strip()}"
    return None


def create_postgres_databases(server_url: str, *names: str) -> None:
    conn = _pg_connect(server_url)
    try:
        with conn.cursor() as cur:
            for name in names:
                cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def drop_postgres_databases(server_url: str, *names: str) -> None:
    conn = _pg_connect(server_url)
    try:
        with conn.cursor() as cur:
            for name in names:
                try:
                    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                except Exception:  # noqa: BLE001 - PostgreSQL < 13 has no FORCE
                    cur.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                        (name,),
                    )
                    cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        conn.close()


def tail(path: Path, lines: int = 40) -> str:
    try:
        content = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(content[-lines:]) or "(empty log)"


@dataclass
class Stack:
    kind: str
    var_dir: Path
    ports: Ports
    env: dict[str, str]
    database_url: str
    tracker_url: str | None
    procs: list[Proc]
    popens: dict[str, subprocess.Popen] = field(default_factory=dict)
    server_url: str | None = None
    pg_databases: tuple[str, ...] = ()
    started_in: float = 0.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.backend}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.actions}"

    @property
    def tracker_database_url(self) -> str:
        """Where Rasa's SQL tracker store keeps events (SQLAlchemy URL)."""
        return self.tracker_url or f"sqlite:///{self.var_dir / 'rasa_tracker.db'}"

    @property
    def outbox_dir(self) -> Path:
        return Path(self.env["OUTBOX_DIR"])

    @property
    def documents_dir(self) -> Path:
        return Path(self.env["DOCUMENTS_DIR"])

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "logs"

    @property
    def secret_key(self) -> str:
        return self.env["ASSIST_SECRET_KEY"]

    @property
    def service_token(self) -> str:
        return self.env["ASSIST_SERVICE_TOKEN"]

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def log_tails(self, lines: int = 40) -> str:
        return "\n".join(
            f"----- {p.name} ({self.log_path(p.name)}) -----\n{tail(self.log_path(p.name), lines)}"
            for p in self.procs
        )

    def alive(self, name: str) -> bool:
        popen = self.popens.get(name)
        return popen is not None and popen.poll() is None

    def pid(self, name: str) -> int | None:
        popen = self.popens.get(name)
        return popen.pid if popen else None

    def _spawn(self, proc: Proc) -> None:
        with self.log_path(proc.name).open("a") as log:
            self.popens[proc.name] = subprocess.Popen(
                proc.argv,
                cwd=proc.cwd,
                env=proc.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def stop_process(self, name: str, timeout: float = 15.0) -> None:
        """Stop one process (SIGTERM to its group, SIGKILL after ``timeout``)."""
        popen = self.popens.get(name)
        if popen is None or popen.poll() is not None:
            return
        try:
            os.killpg(popen.pid, signal.SIGTERM)
            popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(popen.pid, signal.SIGKILL)
            popen.wait(timeout=10)
        except ProcessLookupError:
            pass

    def start_process(self, name: str, timeout: float = HEALTH_TIMEOUT) -> None:
        """Start one (stopped) process again and wait until it is healthy."""
        proc = next(p for p in self.procs if p.name == name)
        self._spawn(proc)
        if wait_healthy([proc], timeout=timeout, alive=self.alive):
            raise StackError(f"{name} not healthy after a restart:\n{self.log_tails()}")

    def stop(self) -> None:
        """Terminate every process (SIGTERM to its group, SIGKILL after 15 s); drop PG databases."""
        for popen in reversed(list(self.popens.values())):
            if popen.poll() is None:
                try:
                    os.killpg(popen.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 15
        for popen in self.popens.values():
            try:
                popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                popen.wait(timeout=10)
        self.popens.clear()
        if self.server_url and self.pg_databases:
            drop_postgres_databases(self.server_url, *self.pg_databases)
            self.pg_databases = ()


def _migrate(env: dict[str, str], log: Path) -> None:
    with log.open("w") as out:
        result = subprocess.run(
            [
                venv_bin(VENV, "python"),
                "-c",
                "from backend.db import upgrade_database; upgrade_database()",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=300,
        )
    if result.returncode != 0:
        raise StackError(f"migrations failed ({result.returncode}):\n{tail(log, 60)}")


def start_stack(
    kind: str,
    var_dir: Path,
    *,
    server_url: str | None = None,
    model_path: Path = MODEL_PATH,
    extra_env: dict[str, str] | None = None,
    health_timeout: float = HEALTH_TIMEOUT,
) -> Stack:
    """Fresh databases, migrations, the three processes on free ports, healthy — or StackError."""
    if not Path(model_path).exists():
        raise StackUnavailable(
            f"no trained model at {model_path}; run `python3 scripts/assist.py setup` "
            "(or `python3 scripts/assist.py test`, which trains it) first"
        )
    started = time.monotonic()
    var_dir = Path(var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    (var_dir / "logs").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
    env.update(
        {
            "ASSIST_SECRET_KEY": secrets.token_urlsafe(32),
            "ASSIST_SERVICE_TOKEN": secrets.token_urlsafe(32),
            "RASA_TOKEN": secrets.token_urlsafe(24),
            "OUTBOX_DIR": str(var_dir / "outbox"),
            "DOCUMENTS_DIR": str(var_dir / "documents"),
            "ASSIST_LOG_LEVEL": env.get("ASSIST_LOG_LEVEL", "INFO"),
            "PYTHONUNBUFFERED": "1",
            # the helpline is staffed around the clock in tests (handoff, issue 6)
            "HELPLINE_HOURS": env.get("HELPLINE_HOURS", "always"),
        }
    )
    env.update(extra_env or {})
    Path(env["OUTBOX_DIR"]).mkdir(parents=True, exist_ok=True)
    Path(env["DOCUMENTS_DIR"]).mkdir(parents=True, exist_ok=True)

    pg_databases: tuple[str, ...] = ()
    tracker_url: str | None = None
    if kind == "sqlite":
        database_url = f"sqlite:///{var_dir / 'assist.db'}"
    elif kind == "postgresql":
        if not server_url:
            raise StackUnavailable("TEST_DATABASE_URL is not set")
        if server_url.startswith("postgresql://"):
            server_url = "postgresql+psycopg2://" + server_url[len("postgresql://") :]
        why = postgres_reachable(server_url)
        if why:
            raise StackUnavailable(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {why}")
        suffix = secrets.token_hex(4)
        backend_db, tracker_db = f"assist_test_{suffix}", f"assist_tracker_{suffix}"
        create_postgres_databases(server_url, backend_db, tracker_db)
        pg_databases = (backend_db, tracker_db)
        database_url = with_database(server_url, backend_db)
        tracker_url = with_database(server_url, tracker_db)
    else:
        raise ValueError(f"unknown database kind {kind!r}")
    env["DATABASE_URL"] = database_url

    ports = Ports.free()
    procs = process_specs(ports, env, var_dir, model_path, with_telegram=False)
    if tracker_url:
        # The tracker store gets its own database on the same server (process_specs points it
        # at DATABASE_URL's): rewrite the generated endpoints file Rasa is started with.
        (var_dir / "endpoints.yml").write_text(
            "action_endpoint:\n"
            f"  url: http://127.0.0.1:{ports.actions}/webhook\n"
            + tracker_store_yaml(tracker_url, var_dir)
            + "lock_store:\n  type: in_memory\n"
        )
    stack = Stack(
        kind=kind,
        var_dir=var_dir,
        ports=ports,
        env=procs[0].env,
        database_url=database_url,
        tracker_url=tracker_url,
        procs=procs,
        server_url=server_url,
        pg_databases=pg_databases,
    )
    try:
        _migrate(env, var_dir / "logs" / "migrate.log")
        for proc in procs:
            stack._spawn(proc)
        bad = wait_healthy(procs, timeout=health_timeout, alive=stack.alive)
        if bad:
            states = ", ".join(
                f"{n} (exited {stack.popens[n].poll()})" if not stack.alive(n) else f"{n} (running)"
                for n in bad
            )
            raise StackError(
                f"{kind} stack not healthy after {health_timeout:.0f} s: {states}\n"
                + stack.log_tails()
            )
    except BaseException:
        stack.stop()
        raise
    stack.started_in = time.monotonic() - started
    return stack


# --- one shared stack per database kind for the whole pytest session -------------------------

_running: dict[str, Stack] = {}


def acquire(kind: str, var_dir_factory, server_url: str | None = None) -> Stack:  # type: ignore[no-untyped-def]
    """The running stack for ``kind``; starts it (stopping any other kind first) when needed.

    ``ASSIST_TEST_MODEL`` names another model file than ``models/assist.tar.gz``.
    Only one stack runs at a time, so a 2-CPU machine is not asked to run two Rasa servers.
    ``var_dir_factory`` is called with a name and returns a fresh directory.
    """
    stack = _running.get(kind)
    if stack is not None and all(stack.alive(p.name) for p in stack.procs):
        return stack
    for other in list(_running):
        _running.pop(other).stop()
    model = Path(os.environ.get("ASSIST_TEST_MODEL") or MODEL_PATH)
    stack = start_stack(
        kind, var_dir_factory(f"stack-{kind}"), server_url=server_url, model_path=model
    )
    _running[kind] = stack
    return stack


def stop_all() -> None:
    while _running:
        _, stack = _running.popitem()
        stack.stop()
