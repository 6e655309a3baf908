"""Load: N simulated employers at once through the hub, on the production profile.

``.venv/bin/python -m bench --only load [--load-users 1 20 100] [--load-replicas 1 2] [--runs 3]``

Each simulated employer opens a web chat session and goes through a realistic visit (13 turns):
a greeting, a contribution quote with the wage in the question, a quote where the bot asks for the
wage, an FAQ answer, then a portal ID application (QRG 1: opener, six answers validated by the
action server, confirmation — the backend writes the account, renders the PDF and the email).
All users start together (a barrier); 1 user does three visits in a row. Every
``POST /api/v1/chat/messages`` is timed from the client; a turn answered with an error, a refusal
or an unexpected question counts as failed.

The stack is ``tests/fault/stack.py`` with ``separate_hub=False``: exactly what
``ASSIST_PROFILE=production python3 scripts/assist.py run`` starts (PostgreSQL tracker store and
backend, Redis lock store, RabbitMQ events + the analytics consumer), with ``RASA_REPLICAS`` Rasa
processes and as many action servers. Needs ``TEST_DATABASE_URL``, Redis and RabbitMQ.

Per configuration it prints turns/s and p50/p95/p99; figures are medians over ``--runs`` (one
fewer, at least 2, for 100 users and more).
"""

from __future__ import annotations

import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import Results, median, percentile
from bench.latency import answers
from scripts.processes import MODEL_PATH
from tests.fullstack.chat import (
    ChatError,
    all_text,
    asked_field,
    button_payload,
    drive_portal_form,
    new_client,
    send,
)

QUOTE_QUESTION = "how much SOCSO and EIS for RM2,950?"


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    visits: int = 0
    wall: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def one_visit(base_url: str, load: Load) -> None:
    try:
        with new_client(base_url) as client:

            def timed(message: str) -> list[dict]:
                started = time.perf_counter()
                replies = send(client, message)
                elapsed = time.perf_counter() - started
                with load.lock:
                    load.latencies.append(elapsed)
                return replies

            timed("hello")
            quote = all_text(timed(QUOTE_QUESTION))
            if "RM" not in quote:
                raise ChatError(f"no amount in the quote: {quote[:200]!r}")
            timed("what is the contribution rate")
            timed("RM 3,100")
            timed("what is ASSIST")
            first = timed("I want to apply for a portal ID")
            if asked_field(first) != "name":
                raise ChatError(f"portal ID opener answered {all_text(first)[:200]!r}")
            summary = drive_portal_form(first, answers(), timed)
            timed(button_payload(summary, "/affirm"))
        with load.lock:
            load.visits += 1
    except (ChatError, OSError) as exc:
        with load.lock:
            load.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")


def run_users(base_url: str, users: int, visits_each: int) -> Load:
    load = Load()
    barrier = threading.Barrier(users)

    def user() -> None:
        barrier.wait()
        for _ in range(visits_each):
            one_visit(base_url, load)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        for f in [pool.submit(user) for _ in range(users)]:
            f.result()
    load.wall = time.perf_counter() - started
    return load


def report(results: Results, replicas: int, users: int, loads: list[Load]) -> None:
    label = f"{users} user{'s' if users > 1 else ''}, {replicas} Rasa"
    key = f"load_{replicas}r_{users}u"
    done = [x for x in loads if x.latencies]
    errors = [e for x in loads for e in x.errors]
    turns = sum(len(x.latencies) for x in loads)
    detail = f"{turns} turns over {len(loads)} runs, {sum(x.visits for x in loads)} visits"
    if errors:
        detail += f", {len(errors)} failed (first: {errors[0]})"
    rate = median([len(x.latencies) / x.wall for x in done if x.wall])
    results.add(f"throughput, {label}", rate, "turns/s", detail, key=f"{key}_turns_per_s")
    for p in (50, 95, 99):
        value = median([percentile(x.latencies, p) * 1000 for x in done])
        results.add(f"latency p{p}, {label}", value, "ms", key=f"{key}_p{p}_ms")


def run(
    results: Results,
    runs: int,
    users: list[int],
    replica_counts: list[int],
    model: Path = MODEL_PATH,
) -> None:
    from tests.fault.stack import start_production_stack, why_unavailable

    why = why_unavailable(model)
    if why:
        raise RuntimeError(f"load needs the production services: {why}")
    for replicas in replica_counts:
        with tempfile.TemporaryDirectory(prefix="assist-bench-load-") as tmp:
            print(f"Starting the production profile with {replicas} Rasa replica(s)", flush=True)
            stack = start_production_stack(
                Path(tmp),
                model_path=model,
                replicas=replicas,
                action_servers=replicas,
                separate_hub=False,
            )
            try:
                print(f"    healthy after {stack.started_in:.0f} s", flush=True)
                run_users(stack.base_url, 1, 1)  # warm-up: first turns load TensorFlow graphs
                for n in users:
                    loads = []
                    # 100 users take minutes per run on two cores: one run fewer there.
                    for r in range(runs if n < 100 else max(2, runs - 1)):
                        load = run_users(stack.base_url, n, 3 if n == 1 else 1)
                        print(
                            f"    {n} users, run {r + 1}: {len(load.latencies)} turns in "
                            f"{load.wall:.1f} s, {len(load.errors)} failed visits",
                            flush=True,
                        )
                        loads.append(load)
                    report(results, replicas, n, loads)
            finally:
                stack.stop()
