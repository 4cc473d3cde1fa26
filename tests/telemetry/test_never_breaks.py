"""Telemetry never changes a call's result: broken exporters, processors, tracers, spans,
instruments and context do not alter any value, error or request sent.

One scenario (hits, misses, writes, refused and failed reads, rotation, keys, listings) runs
on a fresh FakeVault with healthy telemetry, then again with one part of telemetry broken;
the results and the number of requests the vault saw must be the same, and the broken part
must have been called (else the test proves nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter

import safevault._telemetry
from safevault import Rotator
from safevault.testing import FakeVault
from telemetry._support import run


class Broken(RuntimeError):
    pass


class Calls:
    """Counts the calls a broken part received."""

    def __init__(self) -> None:
        self.n = 0

    def hit(self) -> None:
        self.n += 1
        raise Broken("telemetry is down")


class RaisingExporter(SpanExporter):
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def export(self, spans: Any) -> Any:
        self.calls.hit()

    def shutdown(self) -> None:
        return None


class RaisingProcessor(SpanProcessor):
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.calls.hit()

    def on_end(self, span: Any) -> None:
        self.calls.hit()


class RaisingSpan:
    """A span whose every method raises (``is_recording`` says yes, to reach them all)."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def is_recording(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        def broken(*args: Any, **kwargs: Any) -> Any:
            self.calls.hit()

        return broken


class Tracer:
    def __init__(self, calls: Calls, make_span: Callable[[], Any] | None = None) -> None:
        self.calls = calls
        self.make_span = make_span

    def start_span(self, *args: Any, **kwargs: Any) -> Any:
        if self.make_span is None:
            self.calls.hit()
        return self.make_span()


class Instrument:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.calls.hit()

    def record(self, *args: Any, **kwargs: Any) -> None:
        self.calls.hit()


def _provider_with(processor: SpanProcessor) -> Any:
    provider = TracerProvider()
    provider.add_span_processor(processor)
    return provider.get_tracer("safevault")


def break_exporter(mp: pytest.MonkeyPatch, calls: Calls) -> None:
    tracer = _provider_with(SimpleSpanProcessor(RaisingExporter(calls)))
    mp.setattr(safevault._telemetry, "TRACER", tracer)


def break_processor(mp: pytest.MonkeyPatch, calls: Calls) -> None:
    mp.setattr(safevault._telemetry, "TRACER", _provider_with(RaisingProcessor(calls)))


def break_tracer(mp: pytest.MonkeyPatch, calls: Calls) -> None:
    mp.setattr(safevault._telemetry, "TRACER", Tracer(calls))


def break_spans(mp: pytest.MonkeyPatch, calls: Calls) -> None:
    mp.setattr(safevault._telemetry, "TRACER", Tracer(calls, lambda: RaisingSpan(calls)))


def break_instruments(mp: pytest.MonkeyPatch, calls: Calls) -> None:
    for name in (
        "CACHE_REQUESTS",
        "REQUEST_DURATION",
        "VALIDITY_REFUSALS",
        "EXPIRING_READS",
        "ROTATION_RUNS",
    ):
        assert hasattr(safevault._telemetry, name), name
        mp.setattr(safevault._telemetry, name, Instrument(calls))


def break_context(mp: pytest.MonkeyPatch, calls: Calls) -> None:
    def broken(*args: Any) -> Any:
        calls.hit()

    mp.setattr(safevault._telemetry, "otel_context", SimpleNamespace(attach=broken, detach=broken))


BREAKAGES = {
    "exporter raises": break_exporter,
    "span processor raises": break_processor,
    "tracer raises": break_tracer,
    "span methods raise": break_spans,
    "instruments raise": break_instruments,
    "context attach raises": break_context,
}


class NoopRotator(Rotator):
    def apply(self, new_value: str, current: Any) -> None:
        return None

    def verify(self, new_value: str) -> None:
        return None


class FailingRotator(NoopRotator):
    def verify(self, new_value: str) -> None:
        raise ValueError("the target refused the new value")


def prepare(fake: FakeVault) -> None:
    now = fake.clock()
    secrets = fake.secret_client()
    secrets.set_secret("s", "value-s", expires_on=now + timedelta(days=60))
    secrets.set_secret("old", "value-old", expires_on=now - timedelta(days=1))
    secrets.set_secret("soon", "value-soon", expires_on=now + timedelta(days=3))
    secrets.set_secret("r", "value-r")
    secrets.set_secret("r2", "value-r2")
    fake.key_client().create_ec_key("k", expires_on=now + timedelta(days=60))


def summary(result: Any) -> Any:
    """What a result says, without the random parts (version ids, generated values)."""
    if isinstance(result, list):
        return [summary(item) for item in result]
    if isinstance(result, dict):  # get_secrets
        return {name: summary(item) for name, item in result.items()}
    if hasattr(result, "steps"):  # RotationResult
        return ("rotation", result.rotated, [(s.step, s.outcome) for s in result.steps])
    if hasattr(result, "status") and hasattr(result, "kind"):  # ExpiryNotice
        return ("notice", result.kind, result.name, str(result.status))
    if hasattr(result, "value"):  # Secret
        return ("secret", result.name, result.value)
    if hasattr(result, "key_type"):  # Key
        return ("key", result.name, result.key_type)
    return result if result is None or isinstance(result, (str, bool, int)) else type(result)


async def scenario(fake: FakeVault, vault: Any) -> list[tuple[str, Any]]:
    """Every kind of call, in order; each result or error type, and the requests sent."""
    out: list[tuple[str, Any]] = []

    async def step(label: str, call: Callable[[], Any]) -> None:
        try:
            out.append((label, summary(await run(call()))))
        except Exception as error:
            out.append((label, type(error).__name__))

    await step("miss", lambda: vault.get_secret("s"))
    await step("hit", lambda: vault.get_secret("s"))
    await step("write", lambda: vault.set_secret("t", "value-t"))
    await step("hit after write", lambda: vault.get_secret("t"))
    await step("not found", lambda: vault.get_secret("missing"))
    await step("not found again (negative cache)", lambda: vault.get_secret("missing"))
    await step("expired: refused", lambda: vault.get_secret("old"))
    await step("near expiry", lambda: vault.get_secret("soon"))
    await step("versions", lambda: vault.get_secret_versions("s"))
    await step("preload", lambda: vault.preload("s", "soon"))
    await step("get_secrets", lambda: vault.get_secrets(["s", "soon", "missing"], errors="return"))
    await step("call_with_secret", lambda: vault.call_with_secret("s", len, retry_on=(KeyError,)))
    await step("key miss", lambda: vault.get_key("k"))
    await step("key hit", lambda: vault.get_key("k"))
    await step("rotation", lambda: vault.rotate_secret("r", NoopRotator()))
    await step("failed rotation", lambda: vault.rotate_secret("r2", FailingRotator()))
    await step("expiry scan", lambda: vault.expiring(kinds=("secret",)))
    await step("on_change", lambda: callable(vault.on_change("s", lambda old, new: None)))
    await step("invalidate", lambda: vault.invalidate("s"))
    fake.inject(403)
    await step("forbidden", lambda: vault.get_secret("s"))
    await step("close", lambda: vault.close())
    # The 401 challenge exchange happens once per vault URL and process (the SDK caches the
    # challenge), so it is left out of the count.
    out.append(("requests sent", sum(1 for *_, status in fake.requests if status != 401)))
    return out


async def play(flavor: str) -> list[tuple[str, Any]]:
    fake = FakeVault()
    prepare(fake)
    vault = fake.vault() if flavor == "sync" else fake.aio_vault()
    return await scenario(fake, vault)


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
async def test_broken_telemetry_changes_no_result(
    flavor: str,
    breakage: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    healthy = await play(flavor)
    assert ("hit", ("secret", "s", "value-s")) in healthy
    assert ("expired: refused", "ExpiredError") in healthy
    assert ("failed rotation", "RotationError") in healthy
    assert ("forbidden", "HttpResponseError") in healthy
    calls = Calls()
    BREAKAGES[breakage](monkeypatch, calls)
    with caplog.at_level(logging.DEBUG):
        broken = await play(flavor)
    monkeypatch.undo()
    assert broken == healthy
    assert calls.n > 0, "the broken part was never called"
    if breakage != "exporter raises":  # the SDK's span processor swallows exporter errors
        assert any(r.getMessage().startswith("telemetry:") for r in caplog.records)
    assert not [
        r for r in caplog.records if r.levelno >= logging.WARNING and "telemetry" in r.getMessage()
    ]
