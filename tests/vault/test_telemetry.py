"""Spans and metrics of the secrets operations: identifiers only, nesting, failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from azure.core.exceptions import ResourceNotFoundError
from opentelemetry import trace as otel_trace
from opentelemetry.trace import SpanKind, StatusCode

from otel_support import pipeline
from safevault import CachePolicy, ExpiredError, ExpiryPolicy
from safevault._telemetry import Telemetry


@pytest.fixture
def spans():
    exporter, _ = pipeline()
    exporter.clear()
    return exporter


def finished(exporter, name=None):
    return [s for s in exporter.get_finished_spans() if name is None or s.name == name]


def metric_points(metric_name):
    _, reader = pipeline()
    data = reader.get_metrics_data()
    points = []
    for rm in data.resource_metrics if data else []:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if metric.name == metric_name:
                    points.extend(metric.data.data_points)
    return points


def test_miss_then_hit_spans(fake, make_vault, spans):
    fake.secret_client().set_secret("db", "value-xyz")
    vault = make_vault(cache=CachePolicy(jitter=0), audit_hits=True)
    vault.get_secret("db")
    vault.get_secret("db")
    got = finished(spans, "safevault.get_secret")
    assert [s.attributes["safevault.cache.result"] for s in got] == ["miss", "hit"]
    for span in got:
        assert span.kind is SpanKind.INTERNAL
        assert span.attributes["safevault.vault.host"] == "fake.vault.azure.net"
        assert span.attributes["safevault.object.kind"] == "secret"
        assert span.attributes["safevault.object.name"] == "db"
        assert span.attributes["safevault.validity"] == "no_expiry"
        assert len(span.attributes["safevault.object.version"]) == 32
        assert "value-xyz" not in str(span.to_json())


def test_write_span_and_expiry_attribute(fake, make_vault, spans):
    vault = make_vault()
    secret = vault.set_secret("db", "value-xyz")
    (span,) = finished(spans, "safevault.set_secret")
    assert span.attributes["safevault.expires_on"] == secret.expires_on.isoformat()
    assert span.attributes["safevault.object.version"] == secret.version
    assert "value-xyz" not in str(span.to_json())


def test_failure_span_has_error_type_and_no_service_text(fake, make_vault, spans):
    vault = make_vault()
    with pytest.raises(ResourceNotFoundError):
        vault.get_secret("missing")
    (span,) = finished(spans, "safevault.get_secret")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ResourceNotFoundError"
    assert span.status.description == "ResourceNotFoundError"
    assert "was not found" not in str(span.to_json())
    assert not span.events or all(e.name != "exception" for e in span.events)


def test_refused_read_event_and_metric(fake, make_vault, spans):
    fake.secret_client().set_secret("old", "v", expires_on=fake.clock() - timedelta(days=1))
    before = sum(p.value for p in metric_points("safevault.validity.refusals"))
    with pytest.raises(ExpiredError):
        make_vault().get_secret("old")
    (span,) = finished(spans, "safevault.get_secret")
    assert span.attributes["safevault.validity"] == "expired"
    assert span.attributes["error.type"] == "ExpiredError"
    assert any(e.name == "safevault.read_refused" for e in span.events)
    after = sum(p.value for p in metric_points("safevault.validity.refusals"))
    assert after == before + 1


def test_near_expiry_event(fake, make_vault, spans):
    fake.secret_client().set_secret("soon", "v", expires_on=fake.clock() + timedelta(days=3))
    make_vault().get_secret("soon")
    (span,) = finished(spans, "safevault.get_secret")
    assert span.attributes["safevault.validity"] == "expiring"
    assert any(e.name == "safevault.near_expiry" for e in span.events)


def test_stale_event_with_age(fake, make_vault, spans):
    fake.secret_client().set_secret("s", "v")
    vault = make_vault(cache=CachePolicy(ttl=timedelta(minutes=1), refresh_ahead=False, jitter=0))
    vault.get_secret("s")
    fake.advance(timedelta(minutes=2))
    fake.inject(503, times=5)
    vault.get_secret("s")
    span = finished(spans, "safevault.get_secret")[-1]
    assert span.attributes["safevault.cache.result"] == "stale"
    (event,) = [e for e in span.events if e.name == "safevault.stale_served"]
    assert event.attributes["safevault.stale.age_s"] >= 120


def test_sdk_spans_nest_under_safevault_span(fake, make_vault, spans):
    from azure.core.settings import settings

    fake.secret_client().set_secret("s", "v")
    spans.clear()
    settings.tracing_enabled = True
    try:
        vault = make_vault(audit_hits=True)
        vault.get_secret("s")
        vault.get_secret("s")
    finally:
        settings.tracing_enabled = False
    ours = finished(spans, "safevault.get_secret")
    assert len(ours) == 2
    miss, hit = ours
    children = [s for s in finished(spans) if s.parent and s.parent.span_id == miss.context.span_id]
    assert any(s.name == "SecretClient.get_secret" for s in children)
    assert not [s for s in finished(spans) if s.parent and s.parent.span_id == hit.context.span_id]


def test_cache_counter_by_result(fake, make_vault, spans):
    def count(result):
        return sum(
            p.value
            for p in metric_points("safevault.cache.requests")
            if p.attributes["result"] == result
        )

    fake.secret_client().set_secret("s", "v")
    hits, misses = count("hit"), count("miss")
    vault = make_vault()
    vault.get_secret("s")
    vault.get_secret("s")
    vault.get_secret("s")
    assert (count("hit") - hits, count("miss") - misses) == (2, 1)
    durations = metric_points("safevault.vault.request.duration")
    assert any(p.attributes == {"operation": "get_secret", "outcome": "ok"} for p in durations)


def test_a_tracer_that_raises_does_not_break_reads(fake, make_vault, monkeypatch):
    class Broken:
        def start_span(self, *a, **k):
            raise RuntimeError("tracer down")

    monkeypatch.setattr("safevault._telemetry.TRACER", Broken())
    fake.secret_client().set_secret("s", "v")
    vault = make_vault(expiry=ExpiryPolicy())
    assert vault.get_secret("s").value == "v"
    assert vault.get_secret("s").value == "v"
    assert vault.set_secret("t", "w").version


def test_operation_is_current_for_misses():
    pipeline()
    tel = Telemetry("h")
    with tel.operation("get_secret", "secret", "n") as op:
        current = otel_trace.get_current_span()
        assert current.is_recording()
        op.set("safevault.cache.result", "miss")
    assert not otel_trace.get_current_span().is_recording()
