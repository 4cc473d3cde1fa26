"""Cache hits with tracing on: counted, evented on the caller's span, no span of their own.

A hit makes no span unless the vault was built with ``audit_hits=True`` (see
``test_spans_and_events.py`` for that span). It is counted in ``safevault.cache.requests``
{kind, result} (an observable counter fed by in-process counts) and, when the caller's current
span is recording, adds one ``safevault.cache.hit`` event to it naming the object, its
version and the client request id of the read that fetched the value. Every vault request,
write, refusal and miss keeps its span. No metric attribute holds a name or a version.
Sync and async (``flavor``), through the real SDK clients on FakeVault.
"""

from __future__ import annotations

import os
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from safevault import CachePolicy, ExpiredError
from safevault.testing import FakeVault
from telemetry._support import HOST, events, metric_points, metric_sum, named, run
from transports import AsyncWrapping, Wrapping

CALLER = trace.get_tracer("tests.telemetry.hits")
DAYS_60 = timedelta(days=60)
REQUEST_ID = "x-ms-client-request-id"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Headers(Wrapping):
    """Records the client request id of every GET (and PUT) that answered 200."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.ids: list[str] = []
        self.puts: list[str] = []

    def send(self, request: Any, **kwargs: Any) -> Any:
        response = super().send(request, **kwargs)
        if response.status_code == 200 and request.method in ("GET", "PUT"):
            (self.ids if request.method == "GET" else self.puts).append(request.headers[REQUEST_ID])
        return response


class AsyncHeaders(AsyncWrapping):
    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.ids: list[str] = []
        self.puts: list[str] = []

    async def send(self, request: Any, **kwargs: Any) -> Any:
        response = await super().send(request, **kwargs)
        if response.status_code == 200 and request.method in ("GET", "PUT"):
            (self.ids if request.method == "GET" else self.puts).append(request.headers[REQUEST_ID])
        return response


def _watched(fake: FakeVault, flavor: str) -> Headers | AsyncHeaders:
    return Headers(fake.transport) if flavor == "sync" else AsyncHeaders(fake.async_transport)


def _make(fake: FakeVault, kind: str, name: str) -> Any:
    if kind == "secret":
        return fake.secret_client().set_secret(name, "value-1", expires_on=fake.clock() + DAYS_60)
    if kind == "key":
        return fake.key_client().create_ec_key(name, expires_on=fake.clock() + DAYS_60)
    with fake.vault() as helper:
        return helper.create_certificate(name, subject="CN=hit.example.com")


def _hits(kind: str) -> float:
    return metric_sum("safevault.cache.requests", kind=kind, result="hit")


KINDS = pytest.mark.parametrize("kind", ["secret", "key", "certificate"])


@KINDS
async def test_a_hit_outside_a_span_is_counted_and_makes_no_span(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter, kind: str
) -> None:
    name = unique(kind[:3])
    _make(fake, kind, name)
    vault = make_vault()
    read = getattr(vault, f"get_{kind}")
    await run(read(name))
    (miss,) = named(spans.get_finished_spans(), f"safevault.get_{kind}")
    assert miss.attributes["safevault.cache.result"] == "miss"
    requests, before = len(fake.requests), _hits(kind)
    spans.clear()
    for _ in range(3):
        await run(read(name))
    assert len(fake.requests) == requests  # they were hits
    assert spans.get_finished_spans() == ()
    assert _hits(kind) - before == 3


@KINDS
async def test_a_hit_inside_a_recording_span_adds_one_event_to_it(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter, flavor: str, kind: str
) -> None:
    name = unique(kind[:3])
    _make(fake, kind, name)
    wire = _watched(fake, flavor)
    vault = make_vault(transport=wire)
    read = getattr(vault, f"get_{kind}")
    got = await run(read(name))
    (fetch_id,) = wire.ids  # the one read that released the value
    before = _hits(kind)
    spans.clear()
    with CALLER.start_as_current_span("handle-request"):
        await run(read(name))
        await run(read(name))
    finished = spans.get_finished_spans()
    (caller,) = finished  # no span of the hits' own
    expected = {
        "safevault.vault.host": HOST,
        "safevault.object.kind": kind,
        "safevault.object.name": name,
        "safevault.object.version": got.version,
        "az.client_request_id": fetch_id,
    }
    assert events(caller, "safevault.cache.hit") == [expected, expected]
    assert [e.name for e in caller.events] == ["safevault.cache.hit"] * 2
    assert _hits(kind) - before == 2


async def test_a_hit_names_the_read_that_fetched_its_version(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter, flavor: str
) -> None:
    """After a refresh finds a new version, hits point at the refresh's request, not the
    first read's."""
    name = unique("sec")
    client = fake.secret_client()
    client.set_secret(name, "value-1")
    wire = _watched(fake, flavor)
    vault = make_vault(transport=wire, cache=CachePolicy(ttl=timedelta(minutes=10), jitter=0))
    await run(vault.get_secret(name))
    client.set_secret(name, "value-2")
    fake.advance(timedelta(minutes=11))  # past the ttl: the next read revalidates
    new = await run(vault.get_secret(name))
    first, second = wire.ids
    spans.clear()
    with CALLER.start_as_current_span("handle-request"):
        await run(vault.get_secret(name))
    (caller,) = spans.get_finished_spans()
    (event,) = events(caller, "safevault.cache.hit")
    assert event["safevault.object.version"] == new.version
    assert event["az.client_request_id"] == second != first


async def test_a_hit_of_a_written_value_names_the_write(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter, flavor: str
) -> None:
    name = unique("sec")
    wire = _watched(fake, flavor)
    vault = make_vault(transport=wire)
    written = await run(vault.set_secret(name, "value-1"))
    spans.clear()
    with CALLER.start_as_current_span("handle-request"):
        await run(vault.get_secret(name))
    (caller,) = spans.get_finished_spans()
    (event,) = events(caller, "safevault.cache.hit")
    assert wire.ids == []  # served from what the write cached
    assert event["safevault.object.version"] == written.version
    assert event["az.client_request_id"] == wire.puts[-1]


async def test_a_hit_inside_a_span_that_is_not_recording_adds_nothing(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter
) -> None:
    """A sampled-out caller: no event is built or added, the hit is still counted."""
    added: list[str] = []

    class SampledOut(NonRecordingSpan):
        def add_event(self, name: str, *args: Any, **kwargs: Any) -> None:
            added.append(name)

    name = unique("sec")
    _make(fake, "secret", name)
    vault = make_vault()
    await run(vault.get_secret(name))
    before = _hits("secret")
    spans.clear()
    context = SpanContext(0x1, 0x2, is_remote=False, trace_flags=TraceFlags(0))
    with trace.use_span(SampledOut(context)):
        await run(vault.get_secret(name))
    assert added == []
    assert spans.get_finished_spans() == ()
    assert _hits("secret") - before == 1


def test_hits_from_many_threads_are_counted_exactly(fake: FakeVault) -> None:
    """In-process counts take no lock: none is lost when 8 threads hit at once."""
    name = unique("sec")
    _make(fake, "secret", name)
    threads_n, per_thread = 8, 2_000
    with fake.vault() as vault:
        vault.get_secret(name)
        before = _hits("secret")
        start = threading.Barrier(threads_n, timeout=60)

        def hit() -> None:
            start.wait()
            for _ in range(per_thread):
                vault.get_secret(name)

        workers = [threading.Thread(target=hit) for _ in range(threads_n)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert not any(worker.is_alive() for worker in workers)
        assert _hits("secret") - before == threads_n * per_thread


async def test_every_request_write_refusal_and_miss_keeps_its_span(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter
) -> None:
    """With hits out of the trace, everything else is still there: one span each."""
    name, expired, missing = unique("sec"), unique("old"), unique("none")
    fake.secret_client().set_secret(expired, "value-old", expires_on=fake.clock() - DAYS_60)
    vault = make_vault(cache=CachePolicy(ttl=timedelta(minutes=10), jitter=0))
    spans.clear()
    await run(vault.set_secret(name, "value-1"))  # a write
    vault.invalidate(name)
    await run(vault.get_secret(name))  # a miss
    with pytest.raises(ExpiredError):
        await run(vault.get_secret(expired))  # a refusal
    with pytest.raises(ResourceNotFoundError):
        await run(vault.get_secret(missing))  # a failed request
    fake.advance(timedelta(minutes=11))
    await run(vault.get_secret(name))  # a revalidation past the ttl
    await run(vault.get_secret(name))  # a hit: no span
    finished = spans.get_finished_spans()
    reads = named(finished, "safevault.get_secret")
    assert [s.attributes["safevault.object.name"] for s in reads] == [
        name,
        expired,
        missing,
        name,
    ]
    assert [s.attributes.get("safevault.cache.result") for s in reads] == [
        "miss",
        "miss",
        None,  # the request failed: no cache result
        "refresh",
    ]
    assert reads[1].attributes["error.type"] == "ExpiredError"
    assert [e.name for e in reads[1].events] == ["safevault.read_refused"]
    assert reads[2].attributes["error.type"] == "ResourceNotFoundError"
    (write,) = named(finished, "safevault.set_secret")
    assert write.attributes["safevault.object.name"] == name
    assert len(named(finished, "safevault.invalidate")) == 1


# -- no metric attribute holds a name or a version ----------------------------------------------

# Every attribute key safevault's metrics may carry: none can hold an object's identity.
METRIC_ATTRIBUTES = frozenset(
    {
        "kind",
        "result",
        "validity",
        "operation",
        "outcome",
        "safevault.vault.host",
        "safevault.object.kind",
    }
)
SAFEVAULT_METRICS = (
    "safevault.cache.requests",
    "safevault.vault.request.duration",
    "safevault.validity.refusals",
    "safevault.validity.expiring_reads",
    "safevault.rotation.runs",
    "safevault.object.time_to_expiry",
)


async def test_no_metric_attribute_holds_a_name_or_a_version(
    fake: FakeVault, make_vault: Any
) -> None:
    """A session over every kind and every metric; then every point of every metric."""
    secret, key, old, soon = unique("sec"), unique("key"), unique("old"), unique("soon")
    cert = unique("crt")
    client = fake.secret_client()
    versions = {client.set_secret(secret, "value-1").properties.version}
    versions.add(
        client.set_secret(old, "value-old", expires_on=fake.clock() - DAYS_60).properties.version
    )
    versions.add(
        client.set_secret(
            soon, "value-soon", expires_on=fake.clock() + timedelta(days=3)
        ).properties.version
    )
    versions.add(_make(fake, "key", key).properties.version)
    versions.add(_make(fake, "certificate", cert).version)
    vault = make_vault()
    for _ in range(2):
        await run(vault.get_secret(secret))
        await run(vault.get_key(key))
        await run(vault.get_certificate(cert))
        await run(vault.get_secret(soon))  # inside warn_before: an expiring read
        with pytest.raises(ExpiredError):
            await run(vault.get_secret(old))
    versions.add((await run(vault.set_secret(secret, "value-2"))).version)
    names = {secret, key, old, soon, cert}
    seen: set[str] = set()
    for metric in SAFEVAULT_METRICS:
        for point in metric_points(metric):
            attributes = dict(point.attributes)
            seen.add(metric)
            assert set(attributes) <= METRIC_ATTRIBUTES, (metric, attributes)
            text = " ".join(str(v) for v in attributes.values())
            assert not any(n in text for n in names), (metric, attributes)
            assert not any(v in text for v in versions), (metric, attributes)
    assert {
        "safevault.cache.requests",
        "safevault.vault.request.duration",
        "safevault.validity.refusals",
        "safevault.validity.expiring_reads",
        "safevault.object.time_to_expiry",
    } <= seen


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_counts_its_own_hits_only(fake: FakeVault) -> None:
    """Counts are cumulative per process: a child reports its own reads, not its parent's."""
    from safevault._telemetry import cache_counts

    name = unique("sec")
    _make(fake, "secret", name)
    with fake.vault() as vault:
        vault.get_secret(name)
        vault.get_secret(name)
        assert cache_counts().get(("secret", "hit"), 0) >= 1
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report its counts before and after one hit, then leave
            try:
                before = cache_counts().get(("secret", "hit"), 0)
                vault.get_secret(name)
                after = cache_counts().get(("secret", "hit"), 0)
                os.write(write, f"{before} {after}".encode())
            finally:
                os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            reported = pipe.read()
        _, status = os.waitpid(pid, 0)
        assert status == 0
        assert reported == "0 1"
