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
import time
from pathlib import Path

import httpx

from bench.common import Results, median, peak_rss_mib, percentile, rss_mib
from bench.drive import Load, portal_id_visit, run_users
from scripts.processes import MODEL_PATH
from tests.fullstack.chat import new_client, send
from tests.fullstack.harness import Stack, start_stack


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
        portal_id_visit(stack, Load())  # warm-up: first predictions are slower
        if memory:
            print("Rasa's memory", flush=True)
            idle = rss_mib(rasa_pid)
            results.add("Rasa RSS, idle", idle, "MiB", "after one warm-up", "rasa_idle_mib")
        if latency:
            print(f"Turn latency, 1 user ({runs} runs × {conversations} applications)", flush=True)
            loads = [run_users(stack, 1, conversations, portal_id_visit) for _ in range(runs)]
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
            loads = [run_users(stack, users, 1, portal_id_visit) for _ in range(runs)]
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
