"""Cross-validation of the NLU on the training data (``bot/data``), with the project's config.

    .venv/bin/python -m bench.nlu_cv              # 3 folds (about 3 x the NLU training time)
    .venv/bin/python -m bench.nlu_cv --folds 5 --out var/results/nlu-cv

Runs ``rasa test nlu --cross-validation`` in the Rasa environment, then prints the intent
accuracy and macro-F1 over the folds' test parts and the most frequent confusion pairs (the
ones worth new examples or a merge). Slow by nature, so it is a benchmark, not a CI step; the CI
gate is the held-out set (``bench/nlu_check.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.nlu_check import confusion_pairs  # noqa: E402

RASA = REPO / ".venv-rasa" / "bin" / "rasa"


def run(folds: int, out: Path) -> dict[str, float]:
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    started = time.monotonic()
    subprocess.run(
        [
            str(RASA),
            "test",
            "nlu",
            "--nlu",
            "bot/data",
            "--domain",
            "bot/domain",
            "--config",
            "config.yml",
            "--cross-validation",
            "--folds",
            str(folds),
            "--out",
            str(out),
            "--no-plot",
        ],
        cwd=REPO,
        env=env,
        check=True,
    )
    report = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    return {
        "folds": folds,
        "seconds": round(time.monotonic() - started),
        "accuracy": report["accuracy"],
        "macro_f1": report["macro avg"]["f1-score"],
        "weighted_f1": report["weighted avg"]["f1-score"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "var" / "results" / "nlu-cv")
    parser.add_argument("--pairs", type=int, default=10)
    args = parser.parse_args(argv)
    figures = run(args.folds, args.out)
    print(
        f"Cross-validation ({figures['folds']} folds, {figures['seconds']} s): intent accuracy "
        f"{figures['accuracy']:.3f}, macro-F1 {figures['macro_f1']:.3f}, "
        f"weighted-F1 {figures['weighted_f1']:.3f}"
    )
    if (args.out / "intent_errors.json").exists():
        print("Most frequent confusions (true -> predicted):")
        for true, predicted, count in confusion_pairs(args.out, args.pairs):
            print(f"  {count:3d} x {true} -> {predicted}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
