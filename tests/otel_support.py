"""One OpenTelemetry SDK pipeline per test process (providers can be set only once)."""

from __future__ import annotations

import threading

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

_lock = threading.Lock()
_pipeline: tuple[InMemorySpanExporter, InMemoryMetricReader] | None = None


def pipeline() -> tuple[InMemorySpanExporter, InMemoryMetricReader]:
    """The process-wide span exporter and metric reader, installed on first use."""
    global _pipeline
    with _lock:
        if _pipeline is None:
            exporter = InMemorySpanExporter()
            provider = TracerProvider()
            provider.add_span_processor(SimpleSpanProcessor(exporter))
            trace.set_tracer_provider(provider)
            reader = InMemoryMetricReader()
            metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
            _pipeline = (exporter, reader)
        return _pipeline
