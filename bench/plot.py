"""Plot the cache benchmark's JSON results (``bench_cache.py --json``) for the docs.

python bench/plot.py results.json docs/benchmarks
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main(results: Path, out_dir: Path) -> None:
    data = json.loads(results.read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    labels = data["labels"]
    hits = data["hits"]
    names = list(hits)
    p50 = [hits[n]["1"]["p50"] for n in names]

    fig, ax = plt.subplots(figsize=(8, 3.6))
    bars = ax.barh([labels[n] for n in names], p50, color="#3b6ea5")
    ax.set_xscale("log")
    ax.set_xlim(right=max(p50) * 20)
    ax.set_xlabel("p50 per read, 1 thread (ns, log scale)")
    ax.set_title("One read: safevault's cache hit side by side")
    for bar, value in zip(bars, p50):
        text = f"{value / 1000:.2f} µs" if value >= 1000 else f"{value:.0f} ns"
        ax.text(bar.get_width() * 1.1, bar.get_y() + bar.get_height() / 2, text, va="center")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(out_dir / "cache_hit.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 3.6))
    scaling = [
        hits[n]["8"]["throughput"] / hits[n]["1"]["throughput"] if "8" in hits[n] else 0
        for n in names
    ]
    ax.barh([labels[n] for n in names], scaling, color="#6a9f58")
    ax.axvline(0.8, color="#aa3333", linestyle="--", label="target 0.8x")
    ax.set_xlabel("total throughput, 8 threads / 1 thread")
    ax.set_title("Does the read path survive threads? (the GIL caps it at 1.0x)")
    ax.legend(loc="lower right")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(out_dir / "thread_scaling.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
