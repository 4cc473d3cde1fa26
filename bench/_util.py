"""Measurement helpers for the benchmarks: timed batches on N threads, percentiles, reports.

Every contender is measured by the same code: a loop that makes ``batch`` calls is timed with
``time.perf_counter_ns`` and the time divided by ``batch`` is one sample (so sub-microsecond
calls are not swamped by the clock's own cost). ``batch`` is chosen per contender so that a
sample lasts about ``SAMPLE_NS``, which keeps samples short next to the GIL's switch
interval when several threads run. GC stays enabled throughout.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

SAMPLE_NS = 50_000  # target duration of one timed batch
MAX_BATCH = 1_000

Loop = Callable[[], object]


def make_loop(fn: Callable[[Any], object], arg: Any, batch: int) -> Loop:
    """A loop calling ``fn(arg)`` ``batch`` times: the same loop for every contender."""
    calls = range(batch)

    def loop() -> None:
        for _ in calls:
            fn(arg)

    return loop


def calibrate(fn: Callable[[Any], object], arg: Any, budget_ns: int = 30_000_000) -> int:
    """The batch size that makes one sample last about ``SAMPLE_NS`` (also warms ``fn`` up)."""
    pc = time.perf_counter_ns
    calls = 0
    start = pc()
    while True:
        fn(arg)
        calls += 1
        elapsed = pc() - start
        if elapsed >= budget_ns or (calls >= 10_000 and elapsed >= budget_ns // 10):
            break
    per_call = elapsed / calls
    return max(1, min(MAX_BATCH, round(SAMPLE_NS / per_call)))


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0-100) of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100.0 * len(sorted_values) + 0.5)))
    return float(sorted_values[rank - 1])


@dataclass
class Dist:
    """Percentiles of one set of samples (nanoseconds)."""

    n: int
    p50: float
    p90: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Dist:
        ordered = sorted(values)
        return cls(
            n=len(ordered),
            p50=percentile(ordered, 50),
            p90=percentile(ordered, 90),
            p99=percentile(ordered, 99),
            max=float(ordered[-1]) if ordered else float("nan"),
        )


@dataclass
class Run:
    """One timed run: per-call samples of every thread, total calls, wall time."""

    threads: int
    batch: int
    samples: list[float] = field(default_factory=list)
    ops: int = 0
    wall_ns: int = 0

    @property
    def throughput(self) -> float:
        return self.ops / (self.wall_ns / 1e9) if self.wall_ns else 0.0


def run_threads(
    loop: Loop,
    batch: int,
    threads: int,
    duration_s: float,
) -> Run:
    """Run ``loop`` back to back on ``threads`` threads for ``duration_s``."""
    barrier = threading.Barrier(threads)
    duration_ns = int(duration_s * 1e9)
    results: list[tuple[list[float], int, int, int]] = []
    lock = threading.Lock()
    pc = time.perf_counter_ns

    def worker() -> None:
        samples: list[float] = []
        append = samples.append
        ops = 0
        barrier.wait()
        start = pc()
        end = start + duration_ns
        while True:
            t0 = pc()
            loop()
            t1 = pc()
            append((t1 - t0) / batch)
            ops += batch
            if t1 >= end:
                break
        finish = pc()
        with lock:
            results.append((samples, ops, start, finish))

    workers = [threading.Thread(target=worker, name=f"bench-{i}") for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    run = Run(threads=threads, batch=batch)
    for samples, ops, _, _ in results:
        run.samples.extend(samples)
        run.ops += ops
    run.wall_ns = max(r[3] for r in results) - min(r[2] for r in results)
    return run


@dataclass
class Summary:
    """Medians over repeats of one contender at one thread count."""

    threads: int
    batch: int
    p50: float
    p90: float
    p99: float
    throughput: float
    repeats: int

    @classmethod
    def of(cls, runs: Sequence[Run]) -> Summary:
        dists = [Dist.of(run.samples) for run in runs]
        return cls(
            threads=runs[0].threads,
            batch=runs[0].batch,
            p50=statistics.median(d.p50 for d in dists),
            p90=statistics.median(d.p90 for d in dists),
            p99=statistics.median(d.p99 for d in dists),
            throughput=statistics.median(run.throughput for run in runs),
            repeats=len(runs),
        )


# -- formatting --------------------------------------------------------------------------


def fmt_ns(ns: float) -> str:
    """A duration in the unit that suits it: ``912 ns``, ``1.23 us``, ``245 us``, ``10.1 ms``."""
    if ns != ns:  # NaN
        return "n/a"
    if ns < 1_000:
        return f"{ns:.0f} ns"
    if ns < 10_000:
        return f"{ns / 1e3:.2f} us"
    if ns < 1_000_000:
        return f"{ns / 1e3:.0f} us"
    if ns < 10_000_000:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e6:.1f} ms"


def fmt_rate(per_s: float) -> str:
    if per_s >= 1e6:
        return f"{per_s / 1e6:.2f} M/s"
    if per_s >= 1e3:
        return f"{per_s / 1e3:.1f} k/s"
    return f"{per_s:.0f} /s"


def fmt_bytes(n: float) -> str:
    if abs(n) >= 1024 * 1024:
        return f"{n / (1024 * 1024):.2f} MiB"
    if abs(n) >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n:.0f} B"


def md_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join("---" for _ in headers) + " |",
    ]
    lines.extend("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows)
    return "\n".join(lines)


# -- environment -------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info(packages: Sequence[str]) -> dict[str, Any]:
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(affinity) if affinity is not None else os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": platform.platform(),
        "switch_interval_ms": sys.getswitchinterval() * 1e3,
        "packages": {name: package_version(name) for name in packages},
    }


# -- the report file ---------------------------------------------------------------------

BEGIN = "<!-- bench:results:begin (generated by bench/bench_cache.py; do not edit) -->"
END = "<!-- bench:results:end -->"


def write_section(path: Path, content: str, template: str) -> None:
    """Put ``content`` between the markers of ``path`` (the rest of the file is kept)."""
    block = f"{BEGIN}\n{content.rstrip()}\n{END}"
    text = path.read_text(encoding="utf-8") if path.exists() else template
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
