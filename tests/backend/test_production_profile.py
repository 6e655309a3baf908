"""ASSIST_PROFILE=production in scripts/processes.py, and Rasa itself reading our endpoint files.

The Rasa checks run Rasa 3.6.21's own loaders (in .venv-rasa) against the real PostgreSQL and
Redis when they are reachable: the generated endpoints give a SQLTrackerStore that keeps a
tracker and a RedisLockStore that takes a lock, and deploy/rasa/endpoints.yml parses.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from backend.settings import REPO_ROOT
from scripts.processes import Ports, process_specs
from tests.backend.rasa_probe import run_in_rasa
from tests.postgres import fresh_database

PG = "postgresql+psycopg2://assist:pw@db.internal:5433/assist"


def endpoints(var_dir: Path) -> dict:
    return yaml.safe_load((var_dir / "endpoints.yml").read_text())


def test_default_profile_unchanged(tmp_path: Path) -> None:
    procs = process_specs(Ports(), {}, tmp_path)
    config = endpoints(tmp_path)
    assert config["lock_store"] == {"type": "in_memory"}
    assert config["tracker_store"] == {
        "type": "bot.tracker_store.CachedSQLTrackerStore",
        "dialect": "sqlite",
        "db": str(tmp_path / "rasa_tracker.db"),
    }
    backend = next(p for p in procs if p.name == "backend")
    assert backend.env["RASA_TRACKER_DB_URL"] == f"sqlite:///{tmp_path / 'rasa_tracker.db'}"
    process_specs(Ports(), {"ASSIST_PROFILE": "default"}, tmp_path)
    assert endpoints(tmp_path) == config


def test_production_profile_redis_lock_and_postgres_tracker(tmp_path: Path) -> None:
    env = {"ASSIST_PROFILE": "production", "DATABASE_URL": PG}
    procs = process_specs(Ports(), env, tmp_path)
    config = endpoints(tmp_path)
    assert config["lock_store"] == {"type": "redis", "url": "127.0.0.1", "port": 6379, "db": 1}
    assert config["tracker_store"] == {
        "type": "bot.tracker_store.CachedSQLTrackerStore",
        "dialect": "postgresql",
        "url": "db.internal",
        "port": 5433,
        "db": "assist",
        "username": "assist",
        "password": "${RASA_TRACKER_PASSWORD}",
    }
    rasa = next(p for p in procs if p.name == "rasa")
    assert rasa.env["RASA_TRACKER_PASSWORD"] == "pw"
    assert "pw" not in (tmp_path / "endpoints.yml").read_text()
    backend = next(p for p in procs if p.name == "backend")
    assert backend.env["RASA_TRACKER_DB_URL"] == PG

    env.update(REDIS_HOST="redis.internal", REDIS_PORT="6380", REDIS_PASSWORD="s3cret")
    process_specs(Ports(), env, tmp_path)
    lock = endpoints(tmp_path)["lock_store"]
    assert lock == {
        "type": "redis",
        "url": "redis.internal",
        "port": 6380,
        "db": 1,
        "password": "${REDIS_PASSWORD}",
    }
    assert "s3cret" not in (tmp_path / "endpoints.yml").read_text()


def test_rasa_stock_tracker_store_on_request(tmp_path: Path) -> None:
    """ASSIST_TRACKER_STORE=sql gives Rasa's own store (same settings); a typo is refused."""
    process_specs(
        Ports(),
        {"ASSIST_PROFILE": "production", "DATABASE_URL": PG, "ASSIST_TRACKER_STORE": "sql"},
        tmp_path,
    )
    assert endpoints(tmp_path)["tracker_store"]["type"] == "SQL"
    assert endpoints(tmp_path)["tracker_store"]["url"] == "db.internal"
    with pytest.raises(SystemExit, match="ASSIST_TRACKER_STORE must be one of"):
        process_specs(Ports(), {"ASSIST_TRACKER_STORE": "redis"}, tmp_path)


def test_production_profile_refuses_sqlite_and_unknown_profiles(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="needs DATABASE_URL=postgresql"):
        process_specs(Ports(), {"ASSIST_PROFILE": "production"}, tmp_path)
    with pytest.raises(SystemExit, match="ASSIST_PROFILE must be one of"):
        process_specs(Ports(), {"ASSIST_PROFILE": "staging"}, tmp_path)


# --- Rasa's own loaders ---

PROBE = r"""
import asyncio, json, sys
sys.path.insert(0, sys.argv[3])  # the repository root, as scripts/rasa_serve.py puts it
from rasa.core.utils import AvailableEndpoints
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

path, connect = sys.argv[1], sys.argv[2] == "connect"
ep = AvailableEndpoints.read_endpoints(path)
out = {
    "tracker": [ep.tracker_store.type, ep.tracker_store.url, ep.tracker_store.kwargs],
    "lock": [ep.lock_store.type, ep.lock_store.url, ep.lock_store.kwargs],
    "action": ep.action.url,
    "broker": [ep.event_broker.type, ep.event_broker.url, ep.event_broker.kwargs]
    if ep.event_broker else None,
}

async def main():
    lock_store = LockStore.create(ep.lock_store)
    out["lock_class"] = type(lock_store).__name__
    async with lock_store.lock("probe-sender"):
        out["lock_held"] = True
    slots = "slots:\n  language:\n    type: text\n    mappings:\n    - type: custom\n"
    domain = Domain.from_yaml(slots)
    store = TrackerStore.create(ep.tracker_store, domain=domain)
    out["store_class"] = type(store).__name__
    events = [UserUttered("hi"), SlotSet("language", "ms")]
    await store.save(DialogueStateTracker.from_events("probe-sender", events))
    out["slot"] = (await store.retrieve("probe-sender")).get_slot("language")

if connect:
    asyncio.run(main())
print("RESULT " + json.dumps(out))
"""


def run_probe(tmp_path: Path, endpoints_file: Path, connect: bool, **env: str) -> dict:
    mode = "connect" if connect else "parse"
    return run_in_rasa(
        tmp_path, PROBE, str(endpoints_file), mode, str(REPO_ROOT), env=env, cwd=tmp_path
    )


def test_rasa_reads_deploy_endpoints(tmp_path: Path) -> None:
    result = run_probe(
        tmp_path,
        REPO_ROOT / "deploy" / "rasa" / "endpoints.yml",
        connect=False,
        POSTGRES_PASSWORD="pg-secret",
        REDIS_PASSWORD="redis-secret",
        RABBITMQ_PASSWORD="mq-secret",
    )
    tracker_type, tracker_host, tracker_kwargs = result["tracker"]
    assert (tracker_type, tracker_host) == ("bot.tracker_store.CachedSQLTrackerStore", "postgres")
    assert tracker_kwargs["password"] == "pg-secret" and tracker_kwargs["dialect"] == "postgresql"
    lock_type, lock_host, lock_kwargs = result["lock"]
    assert (lock_type, lock_host, lock_kwargs["password"]) == ("redis", "redis", "redis-secret")
    assert result["action"] == "http://actions:5055/webhook"
    broker_type, broker_host, broker_kwargs = result["broker"]
    assert (broker_type, broker_host) == ("pika", "rabbitmq")
    assert broker_kwargs["password"] == "mq-secret" and broker_kwargs["queues"] == ["rasa_events"]


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.postgres
def test_rasa_uses_production_profile_stores(tmp_path: Path) -> None:
    if not _reachable("127.0.0.1", 6379):
        pytest.skip("no Redis on 127.0.0.1:6379")
    with fresh_database("assist_tracker") as url:
        env = {"ASSIST_PROFILE": "production", "DATABASE_URL": url}
        rasa = next(p for p in process_specs(Ports(), env, tmp_path) if p.name == "rasa")
        result = run_probe(tmp_path, tmp_path / "endpoints.yml", connect=True, **rasa.env)
        assert result["lock_class"] == "RedisLockStore" and result["lock_held"]
        assert result["store_class"] == "CachedSQLTrackerStore" and result["slot"] == "ms"
        with sa.create_engine(url).connect() as conn:
            count = conn.execute(
                sa.text("SELECT COUNT(*) FROM events WHERE sender_id = 'probe-sender'")
            ).scalar_one()
        assert count >= 2


SERVE_PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import jsonschema.validators as v
import rasa_serve
rasa_serve.install_cached_action_validation()
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

checks = []
original = v.Draft202012Validator.check_schema
v.Draft202012Validator.check_schema = classmethod(lambda cls, s: checks.append(1) or original(s))
action = RemoteAction("action_x", None)
ok = all(
    action._validate_action_result({"events": [{"event": "slot", "name": "a", "value": n}],
                                    "responses": [{"text": "hi"}]})
    for n in range(20)
)
try:
    action._validate_action_result({"events": [{"event": "slot"}], "responses": "oops"})
    refused = None
except ValidationError as e:
    refused = e.message
print("RESULT " + json.dumps({"ok": ok, "refused": refused, "schema_checks": len(checks)}))
"""


def test_rasa_serve_validates_action_replies_without_rechecking_the_schema(tmp_path: Path) -> None:
    """scripts/rasa_serve.py: same acceptance and errors, no meta-schema check per reply."""
    result = run_in_rasa(tmp_path, SERVE_PROBE, str(REPO_ROOT / "scripts"))
    assert result["ok"] is True
    assert "Failed to validate Action server response" in result["refused"]
    assert result["schema_checks"] <= 1  # the invalid reply goes through Rasa's own check once


RULES_PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import rasa_serve
from rasa.core.policies.rule_policy import RulePolicy

keys = [json.dumps([{"prev_action": {"action_name": f"a{i}"}}]) for i in range(1500)]
before = [RulePolicy._rule_key_to_state(k) for k in keys]
rasa_serve.install_rule_key_cache()
parse = RulePolicy._rule_key_to_state
for _ in range(3):  # every prediction walks all rules in the same order
    after = [parse(k) for k in keys]
info = parse.cache_info()
print("RESULT " + json.dumps({"same": before == after, "misses": info.misses, "hits": info.hits}))
"""


def test_rasa_serve_parses_each_rule_key_once(tmp_path: Path) -> None:
    """1,500 rules walked three times: parsed 1,500 times, not 4,500 (Rasa's 1,000-entry LRU)."""
    result = run_in_rasa(tmp_path, RULES_PROBE, str(REPO_ROOT / "scripts"))
    assert result == {"same": True, "misses": 1500, "hits": 3000}


PAYLOAD_PROBE = r"""
import asyncio, json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
sys.path.insert(0, sys.argv[1])
import rasa_serve
from rasa.utils.endpoints import EndpointConfig

bodies = []

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"events": [], "responses": []}')

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
state = {"sender_id": "tg-1", "tracker": {"events": [
    {"event": "user", "text": "gaji RM3,000 — pekerja Encik Ahmad bin Abu 😀 / 'ok' \"x\"",
     "timestamp": 1700000000.1234567, "parse_data": {"intent": {"name": "inform",
     "confidence": 0.987654321012345}}, "metadata": {}},
    {"event": "slot", "name": "wage", "value": None}]}, "domain": {"n": [1, 2.5, True]}}
endpoint = EndpointConfig(f"http://127.0.0.1:{server.server_port}/webhook")

async def main():
    await endpoint.request(json=state, method="post")
    rasa_serve.install_fast_action_payloads()
    reply = await endpoint.request(json=state, method="post")
    return reply

reply = asyncio.run(main())
print("RESULT " + json.dumps({
    "same_values": [json.loads(b) for b in bodies] == [state, state],
    "fast_is_utf8": "😀".encode() in bodies[1] and "😀".encode() not in bodies[0],
    "reply": reply,
}))
"""


def test_rasa_serve_action_call_bodies_carry_the_same_json(tmp_path: Path) -> None:
    """The action server receives the same values (Malay, emoji, quotes, floats, null)."""
    result = run_in_rasa(tmp_path, PAYLOAD_PROBE, str(REPO_ROOT / "scripts"))
    assert result == {
        "same_values": True,
        "fast_is_utf8": True,
        "reply": {"events": [], "responses": []},
    }
