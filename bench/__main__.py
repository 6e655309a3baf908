"""Benchmarks: ``.venv/bin/python -m bench`` (from the repo root, after set-up).

Parts (default: warm, start, train, latency, memory; ``--cold`` adds cold set-up):

- ``cold``    — fresh clone + ``python3 scripts/assist.py setup`` (opt-in: ``--cold``; minutes)
- ``warm``    — ``python3 scripts/assist.py run`` until every process is healthy
- ``start``   — the processes alone: migrate an empty SQLite file, start all three → healthy
- ``train``   — ``rasa train`` of the real data with an empty cache
- ``latency`` — turn latency through the hub (p50/p95), 1 user and ``--users`` (20) at once,
                with the action server and the backend in the loop
- ``memory``  — Rasa's resident memory idle, after load, and peak
- ``textfile``— parse + validate a 10,000-line contribution text file; one receipt PDF
                (``bench/textfile_import.py``, also runnable on its own)
- ``load``    — the production profile (PostgreSQL, Redis, RabbitMQ) under ``--load-users``
                (1 20 100) simulated employers for ``--load-replicas`` (1 2) Rasa processes:
                turns/s, p50/p95/p99 (``bench/load.py``; opt-in: ``--only load``)

Figures are medians over ``--runs`` runs (default 3; ``--cold-runs`` for the cold set-up).
Examples::

    .venv/bin/python -m bench                       # everything but cold set-up
    .venv/bin/python -m bench --only latency memory --runs 5
    .venv/bin/python -m bench --cold --only cold
    .venv/bin/python -m bench --json var/bench.json # also write the figures as JSON
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import cold, latency, train, warm  # noqa: E402
from bench.common import Results, machine  # noqa: E402
from scripts.processes import MODEL_PATH  # noqa: E402

PARTS = ("cold", "warm", "start", "train", "latency", "memory", "textfile", "load")


def run_textfile(results: Results, runs: int, lines: int = 10_000) -> None:
    from bench import textfile_import as tf
    from bench.common import median

    print(f"Text file import ({lines:,} lines) and receipt PDF ({runs} runs)", flush=True)
    text, workers = tf.make_file(lines)
    parse = tf.time_parse(text, workers, runs)
    results.add("text file parse + validate", median(parse), "s", f"{lines:,} lines", "textfile_s")
    pdf = tf.time_receipt(runs)
    results.add("receipt PDF render", median(pdf) * 1000, "ms", key="receipt_pdf_ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="ASSIST benchmarks")
    parser.add_argument("--only", nargs="+", choices=PARTS, help="run only these parts")
    parser.add_argument("--skip", nargs="+", choices=PARTS, default=[], help="leave these out")
    parser.add_argument("--cold", action="store_true", help="include the cold set-up (minutes)")
    parser.add_argument("--cold-runs", type=int, default=1)
    parser.add_argument(
        "--cold-no-cache", action="store_true", help="cold set-up without pip/npm caches"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median shown)")
    parser.add_argument("--users", type=int, default=20, help="concurrent users for latency")
    parser.add_argument(
        "--conversations", type=int, default=3, help="applications per run for the 1-user latency"
    )
    parser.add_argument("--model", type=Path, default=MODEL_PATH, help="model for latency/memory")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--load-users", type=int, nargs="+", default=[1, 20, 100])
    parser.add_argument("--load-replicas", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)

    parts = list(args.only) if args.only else [p for p in PARTS if p not in ("cold", "load")]
    if args.cold and "cold" not in parts:
        parts.insert(0, "cold")
    if "cold" in parts and not (args.cold or args.only):
        parts.remove("cold")
    parts = [p for p in parts if p not in args.skip]
    if any(p in parts for p in ("start", "latency", "memory", "load")) and not args.model.exists():
        print(f"No model at {args.model}: run `python3 scripts/assist.py setup`.", file=sys.stderr)
        return 2

    py = platform.python_version()
    print(f"ASSIST benchmarks: {', '.join(parts)} — {machine()}, Python {py}")
    results = Results()
    failures: list[str] = []
    started = time.monotonic()
    steps = [
        ("cold", lambda: cold.run(results, args.cold_runs, args.cold_no_cache)),
        ("warm", lambda: warm.run(results, args.runs)),
        ("start", lambda: warm.run_processes(results, args.runs, args.model)),
        ("train", lambda: train.run(results, args.runs)),
    ]
    for name, step in steps:
        if name in parts:
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - report and go on with the other parts
                failures.append(f"{name}: {exc}")
                print(f"  {name} FAILED: {exc}", flush=True)
    if "textfile" in parts:
        try:
            run_textfile(results, max(args.runs, 3))
        except Exception as exc:  # noqa: BLE001
            failures.append(f"textfile: {exc}")
            print(f"  textfile FAILED: {exc}", flush=True)
    if "latency" in parts or "memory" in parts:
        try:
            latency.run(
                results,
                args.runs,
                users=args.users,
                conversations=args.conversations,
                latency="latency" in parts,
                memory="memory" in parts,
                model=args.model,
            )
        except Exception as exc:  # noqa: BLE001
            failures.append(f"latency/memory: {exc}")
            print(f"  latency/memory FAILED: {exc}", flush=True)

    if "load" in parts:
        from bench import load

        try:
            load.run(results, args.runs, args.load_users, args.load_replicas, args.model)
        except Exception as exc:  # noqa: BLE001
            failures.append(f"load: {exc}")
            print(f"  load FAILED: {exc}", flush=True)

    print(f"\nResults (medians over the runs; {time.monotonic() - started:.0f} s in all)")
    print(results.table())
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": machine(), **results.data}, indent=2))
    if failures:
        print("\nFailed parts:\n  " + "\n  ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
