"""Small helpers: medians, percentiles, process memory from /proc, a result table."""

from __future__ import annotations

import math
import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            kids += [int(k) for k in text]
    except OSError:
        pass
    return kids


def process_tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += _children(p)
    return out


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its descendants, MiB."""
    return sum(_status_kib(p, "VmRSS") for p in process_tree(pid)) / 1024


def peak_rss_mib(pid: int) -> float:
    """Peak resident memory (VmHWM) of the process and its descendants, MiB."""
    return sum(_status_kib(p, "VmHWM") for p in process_tree(pid)) / 1024


@dataclass
class Results:
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    data: dict[str, object] = field(default_factory=dict)

    def add(self, name: str, value: float, unit: str, detail: str = "", key: str = "") -> None:
        shown = "n/a" if math.isnan(value) else f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
        self.rows.append((name, f"{shown} {unit}", detail))
        self.data[key or name] = value
        print(f"  {name}: {shown} {unit}  {detail}".rstrip(), flush=True)

    def table(self) -> str:
        if not self.rows:
            return "(nothing measured)"
        w0 = max(len(r[0]) for r in self.rows)
        w1 = max(len(r[1]) for r in self.rows)
        lines = [f"{'measurement':<{w0}}  {'median':>{w1}}  detail", "-" * (w0 + w1 + 12)]
        lines += [f"{n:<{w0}}  {v:>{w1}}  {d}" for n, v, d in self.rows]
        return "\n".join(lines)


def machine() -> str:
    cpus = os.cpu_count()
    try:
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
        return f"{cpus} CPUs, {mem:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        return f"{cpus} CPUs"
