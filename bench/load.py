"""Load: N simulated employers at once through the hub, on the production profile.

``.venv/bin/python -m bench --only load [--load-users 1 20 100] [--load-replicas 1 2] [--runs 3]``

Each simulated employer goes through a realistic visit (22 turns, ``bench/drive.py``): a
greeting, a contribution quote with the wage in the question, a quote where the bot asks for the
wage, an FAQ answer; a portal ID application (QRG 1: opener, six answers validated by the action
server, confirmation — the backend writes the account, renders the PDF and the email); then, as
an employer already registered and logged in, a contribution submission for last month, both
acts, three employees (QRG 5-6: 9 turns; the backend computes and stores the ACR/ECR). All
users start together (a barrier); 1 user does three visits in a row. Every
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
from pathlib import Path

from bench.common import Results, median, percentile
from bench.drive import Load, employer_visit, run_users
from scripts.processes import MODEL_PATH

# Where the time goes: each kind of turn's median, printed beside p95.
KINDS = ("chat", "quote", "opener", "form", "confirm", "contribution", "submit")


def report(results: Results, replicas: int, users: int, loads: list[Load]) -> None:
    label = f"{users} user{'s' if users > 1 else ''}, {replicas} Rasa"
    key = f"load_{replicas}r_{users}u"
    done = [x for x in loads if x.latencies]
    errors = [e for x in loads for e in x.errors]
    turns = sum(x.turns for x in loads)
    detail = f"{turns} turns over {len(loads)} runs, {sum(x.completed for x in loads)} visits"
    if errors:
        detail += f", {len(errors)} failed (first: {errors[0]})"
    rate = median([len(x.latencies) / x.wall for x in done if x.wall])
    results.add(f"throughput, {label}", rate, "turns/s", detail, key=f"{key}_turns_per_s")
    kinds = []
    for kind in KINDS:
        values = [v for x in done for v in x.by_kind.get(kind, [])]
        if values:
            kinds.append(f"{kind} {percentile(values, 50) * 1000:,.0f}")
    for p in (50, 95, 99):
        value = median([percentile(x.latencies, p) * 1000 for x in done])
        note = "p50 by turn kind, ms: " + "; ".join(kinds) if p == 95 and kinds else ""
        results.add(f"latency p{p}, {label}", value, "ms", note, key=f"{key}_p{p}_ms")


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
                run_users(stack, 1, 1, employer_visit)  # warm-up: first turns load TF graphs
                for n in users:
                    loads = []
                    # 100 users take minutes per run on two cores: one run fewer there.
                    for r in range(runs if n < 100 else max(2, runs - 1)):
                        load = run_users(stack, n, 3 if n == 1 else 1, employer_visit)
                        print(
                            f"    {n} users, run {r + 1}: {load.turns} turns in "
                            f"{load.wall:.1f} s, {len(load.errors)} failed visits",
                            flush=True,
                        )
                        loads.append(load)
                    report(results, replicas, n, loads)
            finally:
                stack.stop()
