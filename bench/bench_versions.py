"""Two versions of safevault side by side, in one run: the hit path and the cold miss.

    python bench/bench_versions.py --baseline <git ref> [--rounds 6] [--out BENCHMARKS.md]

The baseline is checked out from git into a temporary directory; each measurement runs in a
fresh interpreter whose ``sys.path`` starts with that version's ``src`` (or this checkout's),
alternating baseline and current round by round, so both see the same machine state. Each
round measures, with the public API only:

* the cache hit: p50 of ``Vault.get_secret`` on a cached secret (OpenTelemetry API only);
* the cold miss: p50 of ``Vault.get_secret`` on a name not cached, and in the same loop,
  interleaved, the raw ``SecretClient.get_secret`` (the control: the miss's overhead over it
  is what safevault adds).

The table gives the median over the rounds, and the median over the rounds of the ratio
current / baseline of the two measurements each round made back to back.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _util import fmt_ns, machine_info, md_table
from collect import replace_block

ROOT = Path(__file__).resolve().parent.parent
SECTION = "versions"

WORKER = r"""
import json, sys, time
from datetime import datetime, timedelta, timezone
from safevault import CachePolicy
from safevault.testing import FakeVault

def p50(values):
    values = sorted(values)
    return values[len(values) // 2]

expiry = datetime.now(timezone.utc) + timedelta(days=60)
fake = FakeVault()
client = fake.secret_client()
client.set_secret("hit", "s3cr3t-" + "x" * 25, expires_on=expiry)
vault = fake.vault(timer=None, clock=None, cache=CachePolicy(ttl=timedelta(hours=1)))
vault.get_secret("hit")
get = vault.get_secret
pc = time.perf_counter_ns
batch, samples = 2000, []
for _ in range(150):
    t0 = pc()
    for _ in range(batch):
        get("hit")
    samples.append((pc() - t0) / batch)
hit = p50(samples)

names = [f"cold-{i:03d}" for i in range(150)]
for name in names:
    client.set_secret(name, "v" * 32, expires_on=expiry)
cold = fake.vault(timer=None, clock=None)
miss, raw = [], []
for warm in range(3):
    cold.invalidate()
    for name in names:
        t0 = pc(); cold.get_secret(name); t1 = pc(); client.get_secret(name).value; t2 = pc()
        if warm:
            miss.append(t1 - t0); raw.append(t2 - t1)
print(json.dumps({"hit": hit, "miss": p50(miss), "raw": p50(raw)}))
"""


def _measure(src: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", WORKER], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _checkout(ref: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="git ref of the version to compare")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--out", type=Path, help="write the table into this markdown file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="safevault-baseline-") as tmp:
        baseline_src = _checkout(args.baseline, Path(tmp))
        runs: dict[str, list[dict[str, float]]] = {"baseline": [], "current": []}
        for _ in range(args.rounds):
            runs["baseline"].append(_measure(baseline_src))
            runs["current"].append(_measure(ROOT / "src"))
    median = {
        who: {k: statistics.median(r[k] for r in rounds) for k in ("hit", "miss", "raw")}
        for who, rounds in runs.items()
    }
    for who in median:
        median[who]["overhead"] = median[who]["miss"] / median[who]["raw"] - 1
    b, c = median["baseline"], median["current"]
    rows = [
        ("cache hit, p50", fmt_ns(b["hit"]), fmt_ns(c["hit"]), f"{c['hit'] / b['hit']:.3f}"),
        ("cold miss, p50", fmt_ns(b["miss"]), fmt_ns(c["miss"]), f"{c['miss'] / b['miss']:.3f}"),
        (
            "raw SecretClient.get_secret (control)",
            fmt_ns(b["raw"]),
            fmt_ns(c["raw"]),
            f"{c['raw'] / b['raw']:.3f}",
        ),
        (
            "cold-miss overhead over the raw call",
            f"{b['overhead']:+.1%}",
            f"{c['overhead']:+.1%}",
            f"{c['overhead'] - b['overhead']:+.1%} pts",
        ),
    ]
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    info = machine_info(["safevault", "azure-core", "azure-keyvault-secrets"])
    table = md_table(
        ("measure", f"baseline ({args.baseline})", f"current ({commit})", "current / baseline"),
        rows,
    )
    text = (
        f"Command: `python bench/bench_versions.py --baseline {args.baseline} "
        f"--rounds {args.rounds}`; medians of {args.rounds} alternating rounds, each in a fresh "
        f"interpreter; {info.get('cpu', '')}, Python {info.get('python', '')}.\n\n{table}\n"
    )
    print(text)
    if args.out is not None:
        command = f"python bench/bench_versions.py --baseline {args.baseline}"
        report = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        args.out.write_text(replace_block(report, SECTION, text, command), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
