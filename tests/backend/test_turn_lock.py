"""Two messages of one sender reaching two backend processes at once are processed one by one.

The per-sender lock used to live in one process only; behind a load balancer (or a Telegram
update retried to another backend) two turns of one conversation could reach Rasa together. With
``REDIS_URL`` the hub takes a Redis lock too. Tested with two real backend processes on one
database, a slow stand-in for Rasa that notes whether two turns ever overlap, and the local Redis
(skipped with the reason when there is none).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from backend.db import get_sessionmaker, upgrade_database
from backend.hub.turn_lock import TurnBusy, TurnLocks
from backend.models import ConversationMessage
from scripts.processes import Ports, is_healthy, redis_url

REPO = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TOKEN = "turn-lock-service-token"


def redis_or_skip() -> str:
    try:
        import redis

        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means: no Redis here
        pytest.skip(f"no Redis at {REDIS} ({type(exc).__name__}); set TEST_REDIS_URL")
    return REDIS


async def overlaps(locks: list[TurnLocks], sender: str, hold_for: float = 0.2) -> int:
    """Run one turn per lock object at the same instant; how many ran while another did."""
    running = 0
    worst = 0

    async def turn(locks: TurnLocks) -> None:
        nonlocal running, worst
        async with locks.hold(sender):
            running += 1
            worst = max(worst, running)
            await asyncio.sleep(hold_for)
            running -= 1

    await asyncio.gather(*(turn(x) for x in locks))
    return worst


def test_two_hub_instances_without_redis_overlap_with_redis_do_not() -> None:
    """The problem and the fix, with two lock objects standing for two backend processes."""
    url = redis_or_skip()
    sender = f"tg-{uuid.uuid4().int % 10**9}"
    assert asyncio.run(overlaps([TurnLocks(), TurnLocks()], sender)) == 2
    assert asyncio.run(overlaps([TurnLocks(url), TurnLocks(url), TurnLocks(url)], sender)) == 1
    # One process alone never overlaps either way.
    same = TurnLocks()
    assert asyncio.run(overlaps([same, same], sender)) == 1


def test_a_lock_held_too_long_is_reported_and_expires() -> None:
    url = redis_or_skip()
    sender = f"tg-{uuid.uuid4().int % 10**9}"

    async def go() -> None:
        holder = TurnLocks(url, ttl=1.0, wait=0.2)
        waiter = TurnLocks(url, ttl=1.0, wait=0.2)
        async with holder.hold(sender):
            with pytest.raises(TurnBusy):
                async with waiter.hold(sender):
                    pass
        # A process killed while holding it: the key expires after ttl.
        crashed = TurnLocks(url, ttl=0.5, wait=0.1)
        lock = crashed._redis().lock("assist:turn:" + sender, timeout=0.5)  # noqa: SLF001
        assert await lock.acquire()
        await asyncio.sleep(0.7)
        async with TurnLocks(url, ttl=1.0, wait=0.2).hold(sender):
            pass

    asyncio.run(go())


def test_unreachable_redis_falls_back_to_the_process_lock() -> None:
    async def go() -> int:
        dead = "redis://127.0.0.1:1/0"
        return await overlaps([TurnLocks(dead), TurnLocks(dead)], "tg-1", hold_for=0.05)

    assert asyncio.run(go()) == 2  # both turns ran (answered), each under its own process lock


def test_redis_url_follows_the_lock_store_settings() -> None:
    assert redis_url({}) == "redis://127.0.0.1:6379/1"
    env = {"REDIS_HOST": "cache", "REDIS_PORT": "6380", "REDIS_DB": "2", "REDIS_PASSWORD": "p@s"}
    assert redis_url(env) == "redis://:p%40s@cache:6380/2"


# --- two real backend processes ---


class SlowRasa:
    """Rasa's REST webhook, answering after ``delay`` and noting overlapping turns."""

    def __init__(self, delay: float = 0.6) -> None:
        self.delay = delay
        self.running = 0
        self.worst = 0
        self.seen: list[str] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer._lock:
                    outer.running += 1
                    outer.worst = max(outer.worst, outer.running)
                    outer.seen.append(body["message"])
                time.sleep(outer.delay)
                with outer._lock:
                    outer.running -= 1
                reply = json.dumps(
                    [{"recipient_id": body["sender"], "text": "ok " + body["message"]}]
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(reply.encode())

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def two_backends(tmp_path: Path) -> Iterator[tuple[list[str], SlowRasa, str]]:
    url = redis_or_skip()
    database_url = f"sqlite:///{tmp_path / 'assist.db'}"
    upgrade_database(database_url)
    rasa = SlowRasa()
    ports = [Ports.free(1, 1).backend, Ports.free(1, 1).backend]
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ASSIST_SERVICE_TOKEN": TOKEN,
        "RASA_URL": rasa.url,
        "RASA_URLS": "",
        "REDIS_URL": url,
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "DOCUMENTS_DIR": str(tmp_path / "documents"),
        "ASSIST_LOG_LEVEL": "WARNING",
    }
    procs = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "uvicorn", "backend.main:app", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 90
        while not all(is_healthy(f"{b}/healthz") for b in bases):
            assert time.monotonic() < deadline, "backends did not start"
            assert all(p.poll() is None for p in procs), "a backend exited at start"
            time.sleep(0.3)
        yield bases, rasa, database_url
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)
        rasa.server.shutdown()


def test_same_sender_on_two_backend_processes_is_processed_in_turn_once(two_backends) -> None:  # type: ignore[no-untyped-def]
    bases, rasa, database_url = two_backends
    sender = f"tg-{uuid.uuid4().int % 10**9}"

    async def send_both() -> list[dict]:  # type: ignore[type-arg]
        async with httpx.AsyncClient(timeout=30) as client:

            async def post(base: str, text: str) -> dict:  # type: ignore[type-arg]
                res = await client.post(
                    f"{base}/internal/v1/hub/messages",
                    json={"sender_id": sender, "channel": "telegram", "text": text},
                    headers={"Authorization": f"Bearer {TOKEN}"},
                )
                assert res.status_code == 200, res.text
                return res.json()

            return await asyncio.gather(post(bases[0], "first"), post(bases[1], "second"))

    replies = asyncio.run(send_both())
    assert [r["messages"][0]["text"] for r in replies] == ["ok first", "ok second"]
    assert rasa.worst == 1, "two turns of one sender reached Rasa at the same time"
    assert sorted(rasa.seen) == ["first", "second"]  # each once
    with get_sessionmaker(database_url)() as db:
        rows = db.query(ConversationMessage).filter_by(sender_id=sender).order_by("id").all()
    texts = [(r.direction, r.text) for r in rows]
    # Each question is followed by its own answer: the turns did not interleave.
    assert len(texts) == 4
    for question, answer in zip(texts[::2], texts[1::2], strict=True):
        assert question[0] == "in" and answer == ("out", f"ok {question[1]}")


def test_no_database_connection_is_held_while_rasa_works(tmp_path: Path) -> None:
    """The action server calls the backend during a turn: a turn waiting on Rasa must not keep
    a pooled connection, or 20 users at once exhaust the pool and those calls time out."""
    from fastapi.testclient import TestClient

    from backend.db import get_engine
    from backend.hub import rasa_client
    from backend.main import create_app
    from backend.settings import Settings

    url = f"sqlite:///{tmp_path / 'assist.db'}"
    upgrade_database(url)
    held: list[int] = []

    def rasa(request: httpx.Request) -> httpx.Response:
        held.append(get_engine(url).pool.checkedout())
        sender = json.loads(request.content)["sender"]
        return httpx.Response(200, json=[{"recipient_id": sender, "text": "Hello!"}])

    rasa_client.use_transport(httpx.MockTransport(rasa))
    try:
        app = create_app(
            Settings(database_url=url, assist_service_token=TOKEN, rasa_url="http://rasa.test")
        )
        with TestClient(app) as client:
            res = client.post(
                "/internal/v1/hub/messages",
                json={"sender_id": "tg-7", "channel": "telegram", "text": "hello"},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
    finally:
        rasa_client.use_transport(None)
    assert res.json()["messages"][0]["text"] == "Hello!"
    assert held == [0]


def test_the_hub_never_waits_for_a_database_connection_on_the_event_loop(tmp_path: Path) -> None:
    """A pool wait on the event loop stops the loop, and with it the clean-up that gives the other
    requests' connections back: at 20 users every contribution visit hung for two minutes.
    Every connection a turn takes (refused, answered, Rasa down) is taken off the loop."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from backend.db import get_engine
    from backend.hub import rasa_client
    from backend.main import create_app
    from backend.settings import Settings

    url = f"sqlite:///{tmp_path / 'assist.db'}"
    upgrade_database(url)
    loop_threads: set[int] = set()
    checkouts: list[int] = []
    event.listen(get_engine(url), "checkout", lambda *_: checkouts.append(threading.get_ident()))
    answers = iter([200, 200, 503])

    def rasa(request: httpx.Request) -> httpx.Response:
        loop_threads.add(threading.get_ident())  # the transport runs on the event loop
        sender = json.loads(request.content)["sender"]
        status = next(answers)
        body = [
            {"recipient_id": sender, "text": "Hi", "buttons": [{"title": "A", "payload": "/a"}]}
        ]
        return httpx.Response(status, json=body if status == 200 else {})

    rasa_client.use_transport(httpx.MockTransport(rasa))
    try:
        app = create_app(
            Settings(database_url=url, assist_service_token=TOKEN, rasa_url="http://rasa.test")
        )
        with TestClient(app) as client:
            replies = [
                client.post(
                    "/internal/v1/hub/messages",
                    json={"sender_id": "tg-8", "channel": "telegram", "text": text},
                    headers={"Authorization": f"Bearer {TOKEN}"},
                ).json()
                for text in ("hello", "/a", "/typed_intent", "again")
            ]
    finally:
        rasa_client.use_transport(None)
    assert replies[0]["messages"][0]["text"] == "Hi"
    assert replies[2]["refused"] == "command_not_offered"
    assert replies[3]["error"] == "unavailable"
    assert loop_threads and checkouts
    assert not loop_threads & set(checkouts)
