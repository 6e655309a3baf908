"""The production profile as real processes, for the fault tests and ``bench/``.

``start_production_stack`` runs what ``ASSIST_PROFILE=production python3 scripts/assist.py run``
runs (process definitions from ``scripts/processes.py``: N Rasa replicas on the PostgreSQL
tracker store and the Redis lock store, M action servers, events to RabbitMQ, the analytics
consumer, the backend) on free ports, against one fresh PostgreSQL database on the server named
by ``TEST_DATABASE_URL`` (dropped again by ``stop()``) and a RabbitMQ queue of its own.

It adds one process the run command does not have: ``hub``, a second backend process on the same
database that the chat clients talk to, while the action servers call ``backend``. That is how
production scales the web tier anyway, and it lets a test stop the backend the bot depends on
while the user can still reach the hub (both live in one process otherwise).

The harness patterns are reused (``tests/fullstack/harness.py``: databases, migrations, spawning
in process groups, log files in ``<var>/logs``).
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from backend.security import keys as pii_keys
from scripts.processes import MODEL_PATH, Ports, Proc, process_specs, wait_healthy
from tests.fullstack import harness


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def why_unavailable(model_path: Path) -> str | None:
    """None when PostgreSQL, Redis, RabbitMQ and a model are all here, else why not."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        return "TEST_DATABASE_URL is not set (the production profile needs PostgreSQL)"
    why = harness.postgres_reachable(server_url.replace("postgresql://", "postgresql+psycopg2://"))
    if why:
        return f"PostgreSQL at TEST_DATABASE_URL is not reachable: {why}"
    if not _reachable("127.0.0.1", 6379):
        return "no Redis on 127.0.0.1:6379 (the production lock store)"
    if not _reachable("127.0.0.1", 5672):
        return "no RabbitMQ on 127.0.0.1:5672 (the production event broker)"
    if not Path(model_path).exists():
        return f"no trained model at {model_path}"
    return None


@dataclass
class ProductionStack(harness.Stack):
    hub_port: int = 0
    queue: str = ""

    @property
    def base_url(self) -> str:
        """Where chat clients go: the hub process."""
        return f"http://127.0.0.1:{self.hub_port}"

    @property
    def rasa_urls(self) -> list[str]:
        return self.env["RASA_URLS"].split(",")

    def rasa_name(self, url: str) -> str:
        """The process name of the Rasa replica at ``url``."""
        for proc in self.procs:
            if proc.name.startswith("rasa") and url.endswith(
                f":{proc.argv[proc.argv.index('-p') + 1]}"
            ):
                return proc.name
        raise KeyError(url)

    def actions_of(self, rasa_name: str) -> str:
        """The action server a Rasa replica calls (from its endpoints file)."""
        proc = next(p for p in self.procs if p.name == rasa_name)
        endpoints = Path(proc.argv[proc.argv.index("--endpoints") + 1]).read_text()
        port = endpoints.split("/webhook")[0].rsplit(":", 1)[1]
        for p in self.procs:
            if p.name.startswith("actions") and p.argv[-1] == port:
                return p.name
        raise KeyError(rasa_name)

    def kill(self, name: str) -> None:
        """SIGKILL a process group: a crash, not a shutdown."""
        popen = self.popens[name]
        os.killpg(popen.pid, signal.SIGKILL)
        popen.wait(timeout=10)

    def stop_processes(self) -> None:
        """Stop every process but keep the database and the queue (a full restart)."""
        for name in reversed(list(self.popens)):
            self.stop_process(name)

    def start_all(self, timeout: float = harness.HEALTH_TIMEOUT) -> None:
        for proc in self.procs:
            if not self.alive(proc.name):
                self._spawn(proc)
        bad = wait_healthy(self.procs, timeout=timeout, alive=self.alive)
        if bad:
            raise harness.StackError(f"not healthy after a restart: {bad}\n{self.log_tails()}")

    def stop(self) -> None:
        super().stop()
        if self.queue:
            try:
                import pika

                from backend.analytics.consumer import amqp_parameters

                connection = pika.BlockingConnection(amqp_parameters(dict(os.environ)))
                connection.channel().queue_delete(self.queue)
                connection.close()
            except Exception:  # noqa: BLE001, S110 - best effort clean-up
                pass
            self.queue = ""


def start_production_stack(
    var_dir: Path,
    *,
    model_path: Path = MODEL_PATH,
    replicas: int = 2,
    action_servers: int = 2,
    extra_env: dict[str, str] | None = None,
    health_timeout: float = harness.HEALTH_TIMEOUT,
    separate_hub: bool = True,
) -> ProductionStack:
    """``separate_hub=False``: exactly the run command's processes (clients use the backend)."""
    why = why_unavailable(model_path)
    if why:
        raise harness.StackUnavailable(why)
    server_url = os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg2://")
    started = time.monotonic()
    var_dir = Path(var_dir)
    (var_dir / "logs").mkdir(parents=True, exist_ok=True)
    suffix = secrets.token_hex(4)
    database = f"assist_prod_{suffix}"
    queue = f"assist_events_{suffix}"
    env = {k: v for k, v in os.environ.items() if k not in harness._DROP_ENV}  # noqa: SLF001
    env.update(
        {
            "ASSIST_PROFILE": "production",
            "RASA_REPLICAS": str(replicas),
            "ACTION_SERVERS": str(action_servers),
            "RABBITMQ_QUEUE": queue,
            "ASSIST_SECRET_KEY": secrets.token_urlsafe(32),
            "ASSIST_SERVICE_TOKEN": secrets.token_urlsafe(32),
            "RASA_TOKEN": secrets.token_urlsafe(24),
            # Production refuses to start without the IC encryption keys (backend/security);
            # the stack gets this process's own, so rows a test seeds directly read back there.
            "ASSIST_DATA_KEY": base64.urlsafe_b64encode(pii_keys().data).decode(),
            "ASSIST_LOOKUP_KEY": base64.urlsafe_b64encode(pii_keys().lookup).decode(),
            "OUTBOX_DIR": str(var_dir / "outbox"),
            "DOCUMENTS_DIR": str(var_dir / "documents"),
            "ASSIST_LOG_LEVEL": env.get("ASSIST_LOG_LEVEL", "INFO"),
            "CHAT_RATE_LIMIT_PER_MINUTE": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra_env or {})
    Path(env["OUTBOX_DIR"]).mkdir(parents=True, exist_ok=True)
    Path(env["DOCUMENTS_DIR"]).mkdir(parents=True, exist_ok=True)
    harness.create_postgres_databases(server_url, database)
    env["DATABASE_URL"] = harness.with_database(server_url, database)

    ports = Ports.free(rasa=replicas, actions=action_servers)
    procs = process_specs(ports, env, var_dir, model_path, with_telegram=False)
    backend = procs[0]
    hub_port = ports.backend
    if separate_hub:
        hub_port = Ports.free(rasa=1, actions=1).backend
        hub_argv = list(backend.argv)
        hub_argv[hub_argv.index("--port") + 1] = str(hub_port)
        hub_env = {**backend.env, "ASSIST_PORT": str(hub_port)}
        procs.append(Proc("hub", hub_argv, hub_env, f"http://127.0.0.1:{hub_port}/healthz"))
    stack = ProductionStack(
        kind="production",
        var_dir=var_dir,
        ports=ports,
        env=backend.env,
        database_url=env["DATABASE_URL"],
        tracker_url=env["DATABASE_URL"],
        procs=procs,
        server_url=server_url,
        pg_databases=(database,),
        hub_port=hub_port,
        queue=queue,
    )
    try:
        harness._migrate(env, var_dir / "logs" / "migrate.log")  # noqa: SLF001
        for proc in procs:
            stack._spawn(proc)  # noqa: SLF001
        bad = wait_healthy(procs, timeout=health_timeout, alive=stack.alive)
        if bad:
            raise harness.StackError(
                f"production stack not healthy after {health_timeout:.0f} s: {bad}\n"
                + stack.log_tails()
            )
    except BaseException:
        stack.stop()
        raise
    stack.started_in = time.monotonic() - started
    return stack
