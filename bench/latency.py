"""Turn latency through the hub, with Rasa, the action server and the backend in the loop, and
Rasa's memory.

Each virtual user opens a chat session and applies for a portal ID (QRG 1): the opener, six form
answers (validated by the action server) and the confirmation (the action server calls the
backend, which writes the account, renders the PDF and writes the email). Every
``POST /api/v1/chat/messages`` is timed from the client. One user runs ``--conversations``
applications one after another; then ``--users`` users (20) run one application each at once.
Rasa's resident memory (its process tree) is read from /proc when idle after a warm-up and after
the load.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.common import Results, median, peak_rss_mib, percentile, rss_mib
from scripts.processes import MODEL_PATH
from tests.fullstack.chat import (
    ChatError,
    button_payload,
    drive_portal_form,
    new_client,
    send,
)
from tests.fullstack.harness import Stack, start_stack


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    completed: int = 0
    wall: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def turns(self) -> int:
        return len(self.latencies)


def answers() -> dict[str, str]:
    tag = secrets.token_hex(5)
    return {
        "name": "Bench User Tan",
        "mykad": f"9001{secrets.randbelow(28) + 1:02d}-14-{secrets.randbelow(9000) + 1000}",
        "email": f"bench.{tag}@example.com",
        "mobile": "012-345 6789",
        "company": "Bench Trading Sdn Bhd",
        "role": "Director",
    }


def one_application(base_url: str, load: Load) -> None:
    try:
        with new_client(base_url) as client:

            def timed(text: str, kind: str = "form") -> list[dict]:
                started = time.perf_counter()
                replies = send(client, text)
                elapsed = time.perf_counter() - started
                with load.lock:
                    load.latencies.append(elapsed)
                    load.by_kind.setdefault(kind, []).append(elapsed)
                return replies

            first = timed("I want to apply for a portal ID", "opener")
            summary = drive_portal_form(first, answers(), timed)
            timed(button_payload(summary, "/affirm"), "confirm")
        with load.lock:
            load.completed += 1
    except (ChatError, OSError) as exc:
        with load.lock:
            load.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")


def run_users(base_url: str, users: int, conversations: int) -> Load:
    load = Load()
    barrier = threading.Barrier(users)

    def user() -> None:
        barrier.wait()
        for _ in range(conversations):
            one_application(base_url, load)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        for f in [pool.submit(user) for _ in range(users)]:
            f.result()
    load.wall = time.perf_counter() - started
    return load


def report(results: Results, label: str, key: str, loads: list[Load]) -> None:
    p50s = [percentile(x.latencies, 50) * 1000 for x in loads if x.latencies]
    p95s = [percentile(x.latencies, 95) * 1000 for x in loads if x.latencies]
    rates = [x.turns / x.wall for x in loads if x.wall]
    turns = sum(x.turns for x in loads)
    done = sum(x.completed for x in loads)
    errors = [e for x in loads for e in x.errors]
    detail = f"{turns} turns, {done} applications completed"
    if errors:
        detail += f", {len(errors)} failed (first: {errors[0]})"
    results.add(f"turn latency p50, {label}", median(p50s), "ms", detail, key=f"{key}_p50_ms")
    kinds = []
    for kind in ("opener", "form", "confirm"):
        values = [v for x in loads for v in x.by_kind.get(kind, [])]
        if values:
            kinds.append(f"{kind} p50 {percentile(values, 50) * 1000:,.0f}")
    results.add(
        f"turn latency p95, {label}",
        median(p95s),
        "ms",
        "; ".join(kinds) + (" ms" if kinds else ""),
        key=f"{key}_p95_ms",
    )
    results.add(f"throughput, {label}", median(rates), "turns/s", key=f"{key}_turns_per_s")


def hub_overhead(stack: Stack, turns: int = 20) -> tuple[float, float]:
    """Median latency of a greeting through the hub and straight to Rasa's REST channel (s)."""
    via_hub, direct = [], []
    with new_client(stack.base_url) as client:
        for _ in range(turns):
            started = time.perf_counter()
            send(client, "hello")
            via_hub.append(time.perf_counter() - started)
    with httpx.Client(base_url=stack.rasa_url, timeout=60) as rasa:
        sender = f"bench-{secrets.token_hex(6)}"
        for _ in range(turns):
            started = time.perf_counter()
            response = rasa.post(
                "/webhooks/rest/webhook",
                params={"token": stack.env.get("RASA_TOKEN", "")},
                json={"sender": sender, "message": "hello", "metadata": {"channel": "web"}},
            )
            response.raise_for_status()
            direct.append(time.perf_counter() - started)
    return median(via_hub), median(direct)


def run(
    results: Results,
    runs: int,
    users: int = 20,
    conversations: int = 3,
    latency: bool = True,
    memory: bool = True,
    stack: Stack | None = None,
    model: Path = MODEL_PATH,
) -> None:
    own = stack is None
    tmp = tempfile.TemporaryDirectory(prefix="assist-bench-stack-") if own else None
    try:
        if own:
            print("Starting backend, action server and Rasa on free ports (SQLite)", flush=True)
            # Simulated users type faster than people: the hub's per-sender limit is off here.
            stack = start_stack(
                "sqlite",
                Path(tmp.name),
                model_path=model,
                extra_env={"CHAT_RATE_LIMIT_PER_MINUTE": "0"},
            )
            print(f"    healthy after {stack.started_in:.1f} s", flush=True)
        rasa_pid = stack.pid("rasa")
        one_application(stack.base_url, Load())  # warm-up: first predictions are slower
        if memory:
            print("Rasa's memory", flush=True)
            idle = rss_mib(rasa_pid)
            results.add("Rasa RSS, idle", idle, "MiB", "after one warm-up", "rasa_idle_mib")
        if latency:
            base = stack.base_url
            print(f"Turn latency, 1 user ({runs} runs × {conversations} applications)", flush=True)
            loads = [run_users(base, 1, conversations) for _ in range(runs)]
            report(results, "1 user", "one_user", loads)
            hub, direct = hub_overhead(stack)
            results.add(
                "greeting via hub − straight to Rasa",
                (hub - direct) * 1000,
                "ms",
                f"hub {hub * 1000:,.0f} ms, Rasa alone {direct * 1000:,.0f} ms (20 turns each)",
                key="hub_overhead_ms",
            )
            print(f"Turn latency, {users} users at once ({runs} runs × 1 application)", flush=True)
            loads = [run_users(base, users, 1) for _ in range(runs)]
            report(results, f"{users} users", "many_users", loads)
        if memory:
            mib = rss_mib
            results.add("Rasa RSS, after load", mib(rasa_pid), "MiB", key="rasa_loaded_mib")
            results.add("Rasa peak RSS", peak_rss_mib(rasa_pid), "MiB", "VmHWM", "rasa_peak_mib")
            results.add("action server RSS", mib(stack.pid("actions")), "MiB", key="actions_mib")
            results.add("backend RSS", mib(stack.pid("backend")), "MiB", key="backend_mib")
    finally:
        if own and stack is not None:
            stack.stop()
        if tmp is not None:
            tmp.cleanup()
