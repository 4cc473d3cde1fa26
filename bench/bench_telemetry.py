"""What telemetry costs: the cache hit under each OpenTelemetry setup, and a full miss with
azure-core's tracing on and off.

    python bench/bench_telemetry.py             # ~1.5 minutes on 2 cores; prints markdown
    python bench/bench_telemetry.py --quick     # a noisy smoke run (~15 s)

OpenTelemetry providers are process-global and cannot be uninstalled, so each setup runs in
its own subprocess (``--child SETUP``), which installs its providers *before* importing
safevault (as an application configuring OpenTelemetry at start-up does):

- ``api``: the OpenTelemetry API only, no SDK: every span is a no-op;
- ``sdk``: ``TracerProvider`` + ``BatchSpanProcessor`` (exporting to a no-op exporter, so
  the cost is recording, not I/O);
- ``sdk+metrics``: that, plus a ``MeterProvider`` with an ``InMemoryMetricReader``;
- ``sdk, sampled out``: ``sdk`` with the ``ALWAYS_OFF`` sampler (no span is recorded).

In each, on one thread, timed in batches with ``bench/_util.py`` (the harness of
``bench_cache.py``), medians of the per-repeat percentiles:

- ``hit``: ``Vault.get_secret`` on a warm entry (production timer and clock);
- ``hit, no telemetry``: the same with ``Telemetry.hit`` replaced by a no-op: the
  difference is what telemetry adds to a hit;
- ``SDK span``: ``tracer.start_span(name).end()`` from the same provider, the SDK's own
  cost of one span; ``SDK span + attrs``: the same span given the seven attributes a hit
  span carries (``set_attributes`` of a prebuilt dict: the SDK's cost only; building the
  dict is safevault's and counts in the hit);
- ``miss``: ``Vault.get_secret`` with ``CachePolicy(enabled=False)`` (every read goes to
  the vault: a whole azure-core pipeline on FakeVault's in-process transport), with
  ``azure.core.settings.settings.tracing_enabled`` off, then on (two more spans per call:
  ``SecretClient.get_secret`` and its HTTP span).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from _util import Dist, calibrate, fmt_ns, machine_info, make_loop, md_table, run_threads

SETUPS = ("api", "sdk", "sdk+metrics", "sdk, sampled out")
HIT_NAME = "db-password"
TARGET_API_HIT_P50_NS = 1_000
TARGET_SDK_OVER_SPAN_NS = 1_000
PACKAGES = ("safevault", "azure-core", "opentelemetry-api", "opentelemetry-sdk")


# -- the child: one setup ---------------------------------------------------------------------


def install(setup: str) -> None:
    """Install the setup's OpenTelemetry providers (before safevault is imported)."""
    if setup == "api":
        return
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    class Discard(SpanExporter):
        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    sampler = ALWAYS_OFF if setup == "sdk, sampled out" else None
    provider = TracerProvider(sampler=sampler)
    provider.add_span_processor(BatchSpanProcessor(Discard()))
    trace.set_tracer_provider(provider)
    if setup == "sdk+metrics":
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader

        metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))


def contenders(setup: str) -> dict[str, tuple[Callable[[Any], object], Any, bool]]:
    """key -> (function, argument, azure-core tracing on)."""
    from opentelemetry import trace

    import safevault
    import safevault._telemetry
    from safevault import CachePolicy
    from safevault.testing import FakeVault

    fake = FakeVault()
    fake.secret_client().set_secret(
        HIT_NAME, "s3cr3t-value", expires_on=datetime.now(timezone.utc) + timedelta(days=90)
    )

    def vault(**options: Any) -> safevault.Vault:
        return safevault.Vault(fake.vault_url, fake.credential, transport=fake.transport, **options)

    warm = vault()
    warm.get_secret(HIT_NAME)

    class NoHitTelemetry(safevault._telemetry.Telemetry):
        def hit(self, method: str, kind: str, item: Any) -> None:
            return None

    untraced = vault()
    untraced._tel = NoHitTelemetry(untraced._tel.host)
    untraced.get_secret(HIT_NAME)
    uncached = vault(cache=CachePolicy(enabled=False))
    uncached.get_secret(HIT_NAME)

    tracer = trace.get_tracer("bench")
    item = warm.get_secret(HIT_NAME)
    attributes = {  # what a hit's span carries, built once: only the SDK's cost is timed
        "safevault.vault.host": "fake.vault.azure.net",
        "safevault.object.kind": "secret",
        "safevault.object.name": item.name,
        "safevault.object.version": item.version,
        "safevault.expires_on": item.expires_on.isoformat(),
        "safevault.cache.result": "hit",
        "safevault.validity": "valid",
    }

    def span(_: object) -> None:
        tracer.start_span("safevault.get_secret").end()

    def span_with_attributes(_: object) -> None:
        s = tracer.start_span("safevault.get_secret")
        if s.is_recording():
            s.set_attributes(attributes)
        s.end()

    def read(v: safevault.Vault) -> object:
        return v.get_secret(HIT_NAME)

    return {
        "hit": (read, warm, False),
        "hit, no telemetry": (read, untraced, False),
        "SDK span": (span, None, False),
        "SDK span + attrs": (span_with_attributes, None, False),
        "miss": (read, uncached, False),
        "miss, azure tracing": (read, uncached, True),
    }


def child(setup: str, duration: float, repeats: int) -> dict[str, Any]:
    install(setup)
    from azure.core.settings import settings

    table = contenders(setup)
    batches = {key: calibrate(fn, arg) for key, (fn, arg, _) in table.items()}
    runs: dict[str, list[Dist]] = {key: [] for key in table}
    for _ in range(repeats):  # repeats interleaved round-robin over the contenders
        for key, (fn, arg, azure_tracing) in table.items():
            settings.tracing_enabled = azure_tracing
            try:
                run = run_threads(make_loop(fn, arg, batches[key]), batches[key], 1, duration)
            finally:
                settings.tracing_enabled.unset_value()
            runs[key].append(Dist.of(run.samples))
    return {
        key: {
            "p50": statistics.median(d.p50 for d in dists),
            "p90": statistics.median(d.p90 for d in dists),
            "batch": batches[key],
        }
        for key, dists in runs.items()
    }


# -- the parent: every setup, one table -----------------------------------------------------------


def measure(setup: str, duration: float, repeats: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", setup]
    command += ["--duration", str(duration), "--repeats", str(repeats)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def report(results: dict[str, dict[str, Any]], duration: float, repeats: int) -> str:
    api_hit = results["api"]["hit"]["p50"]
    rows = []
    for setup in SETUPS:
        r = results[setup]
        hit, bare = r["hit"]["p50"], r["hit, no telemetry"]["p50"]
        rows.append(
            [
                f"`{setup}`",
                fmt_ns(hit),
                fmt_ns(r["hit"]["p90"]),
                f"{hit / api_hit:.1f}x",
                fmt_ns(hit - bare),
                fmt_ns(r["SDK span"]["p50"]),
                fmt_ns(r["SDK span + attrs"]["p50"]),
                fmt_ns(hit - r["SDK span"]["p50"]),
                fmt_ns(hit - r["SDK span + attrs"]["p50"]),
            ]
        )
    hits = md_table(
        [
            "setup",
            "hit p50",
            "hit p90",
            "hit vs `api`",
            "telemetry's share (hit - hit without telemetry)",
            "SDK span p50",
            "SDK span + 7 attrs p50",
            "hit - SDK span",
            "hit - SDK span + attrs",
        ],
        rows,
    )
    miss_rows = []
    for setup in SETUPS:
        r = results[setup]
        off, on = r["miss"]["p50"], r["miss, azure tracing"]["p50"]
        miss_rows.append([f"`{setup}`", fmt_ns(off), fmt_ns(on), f"{on / off:.2f}x"])
    misses = md_table(
        ["setup", "miss p50, azure-core tracing off", "... on", "on / off"], miss_rows
    )
    sdk = results["sdk"]
    checks = [
        (
            f"`api` hit p50 <= {fmt_ns(TARGET_API_HIT_P50_NS)}",
            api_hit <= TARGET_API_HIT_P50_NS,
            fmt_ns(api_hit),
        ),
        (
            "`sdk` hit p50 <= SDK span p50 + 1 us",
            sdk["hit"]["p50"] <= sdk["SDK span"]["p50"] + TARGET_SDK_OVER_SPAN_NS,
            f"{fmt_ns(sdk['hit']['p50'])} vs {fmt_ns(sdk['SDK span']['p50'] + 1000)}",
        ),
        (
            "`sdk` hit p50 <= SDK span + the same attributes p50 + 1 us",
            sdk["hit"]["p50"] <= sdk["SDK span + attrs"]["p50"] + TARGET_SDK_OVER_SPAN_NS,
            f"{fmt_ns(sdk['hit']['p50'])} vs {fmt_ns(sdk['SDK span + attrs']['p50'] + 1000)}",
        ),
    ]
    info = machine_info(PACKAGES)
    lines = [
        f"Measured {info['date']} on {info['cpu']} ({info['usable_cores']} usable cores), "
        f"{info['python']}; " + ", ".join(f"{k} {v}" for k, v in info["packages"].items()),
        f"One thread; {repeats} repeats of {duration:g} s per contender, medians of the "
        "per-repeat percentiles.",
        "",
        "Cache hit, `Vault.get_secret`:",
        "",
        hits,
        "",
        "Full miss (`CachePolicy(enabled=False)`: every read goes through the azure-core "
        "pipeline to FakeVault's in-process transport):",
        "",
        misses,
        "",
        "Targets:",
        "",
        md_table(
            ["target", "met", "measured"],
            [[name, "yes" if ok else "**no**", got] for name, ok, got in checks],
        ),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short, noisy runs")
    parser.add_argument("--child", choices=SETUPS, help=argparse.SUPPRESS)
    parser.add_argument("--duration", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the raw results to this file")
    args = parser.parse_args(argv)
    duration = args.duration or (0.2 if args.quick else 1.0)
    repeats = args.repeats or (3 if args.quick else 5)
    if args.child:
        print(json.dumps(child(args.child, duration, repeats)))
        return 0
    results = {}
    for setup in SETUPS:
        print(f"measuring {setup} ...", file=sys.stderr)
        results[setup] = measure(setup, duration, repeats)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=2)
    print(report(results, duration, repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
