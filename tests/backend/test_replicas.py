"""The hub with several Rasa replicas: one replica per sender, the next one when it is down.

Driven through the real hub endpoint (FastAPI TestClient, SQLite) with Rasa replaced by an
httpx.MockTransport per replica host, and through scripts/processes.py's production profile.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from backend.db import upgrade_database
from backend.hub import rasa_client, replicas
from backend.hub.rasa_client import RasaUnavailable
from backend.main import create_app
from backend.settings import Settings
from scripts.processes import Ports, process_specs

URLS = ["http://rasa-a.test", "http://rasa-b.test", "http://rasa-c.test"]


class Replicas:
    """Three fake Rasa servers; ``down`` ones refuse connections, ``slow`` ones time out."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []  # (host, sender, text)
        self.down: set[str] = set()
        self.read_timeout: set[str] = set()

    def handler(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        body = json.loads(request.content)
        if host in self.read_timeout:
            self.calls.append((host, body["sender"], body["message"]))
            raise httpx.ReadTimeout("no answer", request=request)
        self.calls.append((host, body["sender"], body["message"]))
        return httpx.Response(200, json=[{"text": f"{host} got {body['message']}"}])

    def hosts_for(self, sender: str) -> list[str]:
        return [h for h, s, _ in self.calls if s == sender]


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch):
    fake = Replicas()
    monkeypatch.setenv("RASA_URLS", ",".join(URLS))
    rasa_client.use_transport(httpx.MockTransport(fake.handler))
    yield fake
    rasa_client.use_transport(None)


@pytest.fixture
def client(tmp_path: Path, fakes: Replicas):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    upgrade_database(url)
    app = create_app()
    app.state.settings = Settings(
        database_url=url,
        assist_secret_key="test-secret",
        assist_service_token="svc",  # noqa: S106
        rasa_url=URLS[0],
    )
    with TestClient(app) as c:
        yield c


def gateway(client: TestClient, sender: str, text: str) -> dict[str, Any]:
    response = client.post(
        "/internal/v1/hub/messages",
        json={"sender_id": sender, "text": text},
        headers={"Authorization": "Bearer svc"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_ranking_is_stable_and_spreads_senders() -> None:
    senders = [f"tg-{n}" for n in range(600)]
    first = Counter(replicas.ranking(s, URLS)[0] for s in senders)
    assert set(first) == set(URLS) and min(first.values()) > 120, first
    assert all(
        replicas.ranking(s, URLS) == replicas.ranking(s, list(reversed(URLS))) for s in senders
    )
    # Removing a replica moves only the senders it owned.
    two = URLS[:2]
    moved = [s for s in senders if replicas.ranking(s, URLS)[0] in two]
    assert all(replicas.ranking(s, two)[0] == replicas.ranking(s, URLS)[0] for s in moved)


def test_each_sender_always_reaches_the_same_replica(client: TestClient, fakes: Replicas) -> None:
    for n in range(12):
        for turn in range(3):
            gateway(client, f"tg-{n}", f"hello {turn}")
    for n in range(12):
        hosts = fakes.hosts_for(f"tg-{n}")
        assert len(hosts) == 3 and len(set(hosts)) == 1, hosts
        assert f"http://{hosts[0]}" == replicas.ranking(f"tg-{n}", URLS)[0]
    assert len({h for h, _, _ in fakes.calls}) > 1  # the load is spread


def test_a_replica_down_sends_its_senders_to_the_next(client: TestClient, fakes: Replicas) -> None:
    sender = "tg-4242"
    home, second, _ = (u.removeprefix("http://") for u in replicas.ranking(sender, URLS))
    gateway(client, sender, "one")
    fakes.down.add(home)
    body = gateway(client, sender, "two")
    assert body["messages"][0]["text"] == f"{second} got two"
    assert "error" not in body
    gateway(client, sender, "three")  # still down: straight to the next
    fakes.down.clear()
    assert fakes.hosts_for(sender) == [home, second, second]


def test_a_replica_that_may_have_processed_the_turn_is_not_replayed(
    client: TestClient, fakes: Replicas
) -> None:
    sender = "tg-777"
    home = replicas.ranking(sender, URLS)[0].removeprefix("http://")
    fakes.read_timeout.add(home)
    body = gateway(client, sender, "pay now")
    assert body.get("error") == "unavailable"
    assert "temporarily unavailable" in body["messages"][0]["text"]
    assert fakes.hosts_for(sender) == [home]  # sent once, never to a second replica


def test_all_replicas_down_is_unavailable_not_a_hang(client: TestClient, fakes: Replicas) -> None:
    fakes.down.update(u.removeprefix("http://") for u in URLS)
    body = gateway(client, "tg-1", "hello")
    assert body.get("error") == "unavailable"


def test_one_url_uses_the_hubs_own_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_URLS", "http://only.test")
    client = rasa_client.RasaClient("http://only.test")
    assert replicas.router_for(client) is client
    monkeypatch.delenv("RASA_URLS")
    assert replicas.router_for(client) is client
    assert replicas.url_for("web-x", "http://default.test") == "http://default.test"


def test_router_retries_a_recovered_replica_after_the_pause() -> None:
    fake = Replicas()
    router = replicas.ReplicaRouter(
        URLS[:2], transport=httpx.MockTransport(fake.handler), retry_after=0.0
    )
    sender = "web-abc"
    home = replicas.ranking(sender, URLS[:2])[0].removeprefix("http://")

    async def go() -> None:
        fake.down.add(home)
        await router.send(sender, "a", {})
        fake.down.clear()
        await router.send(sender, "b", {})  # back home once it answers again
        fake.down.update({"rasa-a.test", "rasa-b.test"})
        with pytest.raises(RasaUnavailable):
            await router.send(sender, "c", {})
        await router.aclose()

    asyncio.run(go())
    assert fake.hosts_for(sender)[-1] == home


def test_production_profile_starts_n_rasa_and_m_action_servers(tmp_path: Path) -> None:
    env = {
        "ASSIST_PROFILE": "production",
        "DATABASE_URL": "postgresql+psycopg2://assist:pw@db:5432/assist",
        "RASA_REPLICAS": "3",
        "ACTION_SERVERS": "2",
    }
    ports = Ports.free(rasa=3, actions=2)
    procs = {p.name: p for p in process_specs(ports, env, tmp_path)}
    assert {"rasa", "rasa-1", "rasa-2", "actions", "actions-1", "analytics"} <= set(procs)
    urls = procs["backend"].env["RASA_URLS"].split(",")
    assert urls == [f"http://127.0.0.1:{ports.rasa_port(i)}" for i in range(3)]
    assert (
        len({ports.rasa_port(i) for i in range(3)} | {ports.actions_port(j) for j in range(2)}) == 5
    )
    action_urls = []
    for i, name in enumerate(["rasa", "rasa-1", "rasa-2"]):
        argv = procs[name].argv
        assert argv[argv.index("-p") + 1] == str(ports.rasa_port(i))
        config = yaml.safe_load(Path(argv[argv.index("--endpoints") + 1]).read_text())
        assert config["lock_store"]["type"] == "redis"
        assert config["event_broker"]["type"] == "pika"
        assert config["event_broker"]["password"] == "${RABBITMQ_PASSWORD}"  # never inline
        action_urls.append(config["action_endpoint"]["url"])
    assert action_urls == [
        f"http://127.0.0.1:{ports.actions_port(0)}/webhook",
        f"http://127.0.0.1:{ports.actions_port(1)}/webhook",
        f"http://127.0.0.1:{ports.actions_port(0)}/webhook",
    ]


def test_replica_counts_are_checked(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="RASA_REPLICAS above 1 needs ASSIST_PROFILE=production"):
        process_specs(Ports(), {"RASA_REPLICAS": "2"}, tmp_path)
    with pytest.raises(SystemExit, match="whole number"):
        process_specs(
            Ports(),
            {
                "ASSIST_PROFILE": "production",
                "DATABASE_URL": "postgresql://x/y",
                "RASA_REPLICAS": "0",
            },
            tmp_path,
        )
    default = {p.name for p in process_specs(Ports(), {}, tmp_path)}
    assert default == {"backend", "actions", "rasa", "analytics"}
