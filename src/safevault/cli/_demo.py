"""``safevault demo``: the main job, end to end, on an embedded FakeVault (no Azure needed)."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TextIO

from safevault.cli._common import EXIT_OK

__all__ = ["register", "run_demo"]


def register(commands: Any) -> None:
    demo = commands.add_parser(
        "demo", help="run the main job on an embedded FakeVault (no Azure needed)"
    )
    demo.set_defaults(run=run_demo)


class _Out:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.step = 0

    def section(self, title: str) -> None:
        self.step += 1
        print(f"\n{self.step}. {title}", file=self.stream)

    def line(self, text: str = "") -> None:
        print(f"   {text}" if text else "", file=self.stream)


def _install_tracing() -> Any:
    """An in-memory span exporter, when the OpenTelemetry SDK is installed."""
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
            InMemorySpanExporter,
        )
    except ImportError:
        return None
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


def _median_ns(fn: Callable[[], object], rounds: int, per_round: int = 1) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        for _ in range(per_round):
            fn()
        samples.append((time.perf_counter_ns() - start) / per_round)
    return statistics.median(samples)


def run_demo(args: argparse.Namespace | None = None, stream: TextIO | None = None) -> int:
    """Run the demo; returns the exit code."""
    from safevault import (
        CachePolicy,
        ExpiredError,
        ExpiryPolicyError,
        Rotator,
    )
    from safevault.testing import FakeVault

    out = _Out(stream or sys.stdout)
    fake = FakeVault()
    print("safevault demo: an in-process FakeVault at " + fake.vault_url, file=out.stream)

    vault = fake.vault(cache=CachePolicy(ttl=timedelta(minutes=10)))

    out.section("Expiry is enforced when secrets are created")
    secret = vault.set_secret("db-password", "correct-horse-battery-staple")
    out.line(f"set_secret('db-password') -> version {secret.version[:8]}…")
    out.line(f"no expiry given: the policy applied one: expires_on={secret.expires_on:%Y-%m-%d}")
    out.line("its repr never shows the value:")
    out.line(f"  {secret!r}")
    try:
        vault.set_secret("api-token", "x", expires_in=timedelta(days=400))
    except ExpiryPolicyError as error:
        out.line(f"expires_in=400 days refused before any request: {error.message}")

    out.section("Reads are cached, version-aware and cheap")
    vault.invalidate()

    def miss() -> object:
        vault.invalidate("db-password")
        return vault.get_secret("db-password")

    miss_ns = _median_ns(miss, rounds=30)
    vault.get_secret("db-password")
    hit_ns = _median_ns(lambda: vault.get_secret("db-password"), rounds=30, per_round=2000)
    out.line(f"miss (through the Azure SDK to the vault): {miss_ns / 1000:8.1f} µs")
    out.line(f"hit  (lock-free, from the cache):          {hit_ns / 1000:8.3f} µs")
    out.line(f"a hit is {miss_ns / hit_ns:,.0f}x cheaper than a miss")
    before = len(fake.requests)
    for _ in range(1000):
        vault.get_secret("DB-Password")
    out.line(f"1,000 more reads (any letter case) sent {len(fake.requests) - before} requests")
    out.line("(timed with the OpenTelemetry API only; tracing is switched on from here)")
    exporter = _install_tracing()

    out.section("An expired secret is refused (Key Vault itself would return it)")
    other_writer = fake.secret_client()
    other_writer.set_secret("legacy-token", "old", expires_on=fake.clock() - timedelta(days=3))
    out.line("another service wrote 'legacy-token' with an expiry 3 days ago")
    try:
        vault.get_secret("legacy-token")
    except ExpiredError as error:
        out.line(f"get_secret('legacy-token') -> ExpiredError: {error.message}")

    out.section("A key rotates and old data still decrypts")
    key = vault.create_key("orders-key", size=2048)
    out.line(
        f"create_key -> version {key.version[:8]}…, expires {key.expires_on:%Y-%m-%d}, "
        "rotation policy attached"
    )
    blob = vault.encrypt("orders-key", b"order #1001: 3 widgets")
    out.line(f"encrypt -> {len(blob)} bytes (envelope: AES-256-GCM data key wrapped by the key)")
    for _ in range(2):
        rotated = vault.rotate_key("orders-key")
    out.line(f"rotate_key twice -> current version {rotated.version[:8]}…")
    vault.invalidate()
    out.line(f"decrypt(old blob) -> {vault.decrypt(blob, key_name='orders-key')!r}")

    out.section("A secret rotates without ever losing a working credential")
    target = {"password": secret.value}

    class DatabaseRotator(Rotator):
        def apply(self, new_value: str, current: Any) -> None:
            target["password"] = new_value

        def verify(self, new_value: str) -> None:
            if target["password"] != new_value:
                raise RuntimeError("login failed")

    result = vault.rotate_secret("db-password", DatabaseRotator())
    out.line(" -> ".join(step.step for step in result.steps))
    old, new = (result.old_version or "")[:8], (result.new_version or "")[:8]
    out.line(f"rotated: {old}… -> {new}… (the old value is revoked by a later run, after grace)")
    current = vault.get_secret("db-password").value
    out.line(f"readers now get the new value: {current == target['password']}")

    out.section("The expiry scan (properties only, never values)")
    other_writer.set_secret("smtp-password", "x", expires_on=fake.clock() + timedelta(days=9))
    other_writer.set_secret("forever-token", "x")
    for notice in vault.expiring(within=timedelta(days=30)):
        when = f"{notice.expires_on:%Y-%m-%d}" if notice.expires_on else "-"
        out.line(f"{notice.status:<14} {notice.kind:<12} {notice.name:<20} {when}")

    _posture(out)

    if exporter is not None:
        out.section("The spans recorded since step 3 (identifiers only, never values)")
        spans = exporter.get_finished_spans()
        counts: dict[str, int] = {}
        for span in spans:
            counts[span.name] = counts.get(span.name, 0) + 1
        for name, count in sorted(counts.items()):
            out.line(f"{count:6,d} x {name}")
        last = next(s for s in reversed(spans) if s.name == "safevault.get_secret")
        out.line("the last get_secret span's attributes:")
        for key, value in sorted((last.attributes or {}).items()):
            out.line(f"    {key} = {value}")
        leaked = any("correct-horse-battery-staple" in str(dict(s.attributes or {})) for s in spans)
        out.line(f"any span containing a secret value: {leaked}")
    else:
        out.line()
        out.line('(install opentelemetry-sdk to see the spans: pip install "safevault[demo]")')
    vault.close()
    print(
        "\ndemo finished: everything above ran against the real Azure SDK clients.", file=out.stream
    )
    return EXIT_OK


def _posture(out: _Out) -> None:
    try:
        from safevault.cli._demo_data import sample_template
        from safevault.posture import check, load_arm
    except ImportError:
        return
    out.section("Posture check of a sample ARM template")
    with sample_template() as path:
        report = check(load_arm(str(path)))
    counts: dict[str, int] = {}
    for finding in report.findings:
        counts[str(finding.verdict.value)] = counts.get(str(finding.verdict.value), 0) + 1
    out.line(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    for finding in [f for f in report.findings if f.verdict.value == "FAIL"][:5]:
        out.line(f"FAIL {finding.rule_id:<10} {finding.title}")
