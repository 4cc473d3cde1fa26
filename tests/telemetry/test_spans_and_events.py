"""Names, kinds, attributes, parent/child links, events and metrics of each operation.

Sync and async (``flavor``). ``tests/vault/test_telemetry.py`` already covers the secret
miss/hit pair, the expired-read event, near expiry and stale-served events of secrets: this
file covers the other kinds, the other policy decisions, rotation, and the gauge.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from safevault import (
    DisabledError,
    ExpiredError,
    ExpiryPolicy,
    NotYetValidError,
    RotationConflictError,
    RotationError,
    Rotator,
)
from safevault.testing import FakeVault
from telemetry._support import (
    HOST,
    children,
    dump,
    events,
    metric_points,
    metric_sum,
    named,
    ours,
    run,
)

CALLER = trace.get_tracer("tests.telemetry")
DAYS_60 = timedelta(days=60)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# -- cache hits of every kind -------------------------------------------------------------------


def _make_secret(fake: FakeVault, name: str) -> Any:
    return fake.secret_client().set_secret(name, "value-1", expires_on=fake.clock() + DAYS_60)


def _make_key(fake: FakeVault, name: str) -> Any:
    return fake.key_client().create_ec_key(name, expires_on=fake.clock() + DAYS_60)


def _make_certificate(fake: FakeVault, name: str) -> Any:
    with fake.vault() as helper:
        return helper.create_certificate(name, subject="CN=hit.example.com")


@pytest.mark.parametrize(
    ("kind", "make", "method"),
    [
        ("secret", _make_secret, "get_secret"),
        ("key", _make_key, "get_key"),
        ("certificate", _make_certificate, "get_certificate"),
    ],
)
async def test_a_hit_is_a_childless_span_in_the_callers_trace(
    fake: FakeVault,
    make_vault: Any,
    spans: InMemorySpanExporter,
    kind: str,
    make: Any,
    method: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = unique(kind[:3])
    made = make(fake, name)
    version = getattr(made, "version", None) or made.properties.version
    vault = make_vault(audit_hits=True)  # a hit has a span of its own only when asked
    read = getattr(vault, method)
    await run(read(name))
    spans.clear()
    attached: list[object] = []
    attach = otel_context.attach

    def counting_attach(context: Any) -> object:
        attached.append(context)
        return attach(context)

    with CALLER.start_as_current_span("caller") as caller:
        monkeypatch.setattr(otel_context, "attach", counting_attach)
        got = await run(read(name))
        monkeypatch.undo()
    assert attached == []  # the hit's span was never made current
    finished = spans.get_finished_spans()
    (hit,) = named(finished, f"safevault.{method}")
    assert got.version == version
    assert hit.kind is SpanKind.INTERNAL
    assert hit.parent is not None and hit.parent.span_id == caller.get_span_context().span_id
    assert not children(finished, hit)
    assert not hit.events
    assert hit.status.status_code is StatusCode.UNSET
    attributes = dict(hit.attributes)
    # the client request id of the read that fetched the value (azure-core's attribute name)
    assert len(str(attributes.pop("az.client_request_id"))) == 36
    assert attributes == {
        "safevault.vault.host": HOST,
        "safevault.object.kind": kind,
        "safevault.object.name": name,
        "safevault.object.version": version,
        "safevault.cache.result": "hit",
        "safevault.validity": "valid",
        "safevault.expires_on": got.expires_on.isoformat(),
    }


async def test_hits_of_keys_are_counted(fake: FakeVault, make_vault: Any) -> None:
    name = unique("key")
    _make_key(fake, name)
    vault = make_vault()
    before = metric_sum("safevault.cache.requests", result="hit")
    for _ in range(3):
        await run(vault.get_key(name))
    assert metric_sum("safevault.cache.requests", result="hit") - before == 2


# -- refused reads, and reads the policy lets through --------------------------------------------


def _store(fake: FakeVault, name: str, validity: str) -> None:
    now = fake.clock()
    client = fake.secret_client()
    if validity == "expired":
        client.set_secret(name, "value-r", expires_on=now - timedelta(days=1))
    elif validity == "not_yet_valid":
        client.set_secret(name, "value-r", not_before=now + timedelta(days=1))
    else:
        client.set_secret(name, "value-r", enabled=False)


@pytest.mark.parametrize(
    ("validity", "error"),
    [
        ("expired", ExpiredError),
        ("not_yet_valid", NotYetValidError),
        ("disabled", DisabledError),
    ],
)
async def test_a_refused_read_says_which_validity(
    fake: FakeVault,
    make_vault: Any,
    spans: InMemorySpanExporter,
    validity: str,
    error: type[Exception],
) -> None:
    name = unique("refused")
    _store(fake, name, validity)
    before = metric_sum("safevault.validity.refusals", kind="secret", validity=validity)
    with pytest.raises(error):
        await run(make_vault().get_secret(name))
    (span,) = named(spans.get_finished_spans(), "safevault.get_secret")
    assert span.attributes["safevault.validity"] == validity
    assert span.attributes["error.type"] == error.__name__
    assert span.status.status_code is StatusCode.ERROR
    assert events(span, "safevault.read_refused") == [{"safevault.validity": validity}]
    after = metric_sum("safevault.validity.refusals", kind="secret", validity=validity)
    assert after - before == 1
    assert "value-r" not in dump(spans.get_finished_spans())


async def test_an_expired_key_is_refused_for_reads_and_encryption(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter
) -> None:
    name = unique("old-key")
    fake.key_client().create_rsa_key(name, size=2048, expires_on=fake.clock() - timedelta(days=1))
    vault = make_vault()
    before = metric_sum("safevault.validity.refusals", kind="key", validity="expired")
    with pytest.raises(ExpiredError):
        await run(vault.get_key(name))
    with pytest.raises(ExpiredError):
        await run(vault.encrypt(name, b"data"))
    finished = spans.get_finished_spans()
    for method in ("get_key", "encrypt"):
        (span,) = named(finished, f"safevault.{method}")
        assert span.attributes["safevault.object.kind"] == "key"
        assert span.attributes["safevault.validity"] == "expired"
        assert span.attributes["error.type"] == "ExpiredError"
        assert events(span, "safevault.read_refused") == [{"safevault.validity": "expired"}]
    after = metric_sum("safevault.validity.refusals", kind="key", validity="expired")
    assert after - before == 2


async def test_a_read_served_under_warn_records_the_ignored_validity(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter
) -> None:
    name = unique("warned")
    _store(fake, name, "expired")
    secret = await run(make_vault(expiry=ExpiryPolicy(on_read="warn")).get_secret(name))
    assert secret.value == "value-r"
    (span,) = named(spans.get_finished_spans(), "safevault.get_secret")
    assert span.attributes["safevault.validity"] == "expired"
    assert "error.type" not in span.attributes
    assert span.status.status_code is StatusCode.UNSET
    assert events(span, "safevault.validity_ignored") == [{"safevault.validity": "expired"}]
    assert not events(span, "safevault.read_refused")


async def test_a_key_near_expiry_is_an_event_and_a_count(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter
) -> None:
    name = unique("soon-key")
    key = fake.key_client().create_ec_key(name, expires_on=fake.clock() + timedelta(days=3))
    before = metric_sum("safevault.validity.expiring_reads", kind="key")
    await run(make_vault().get_key(name))
    (span,) = named(spans.get_finished_spans(), "safevault.get_key")
    assert span.attributes["safevault.validity"] == "expiring"
    assert events(span, "safevault.near_expiry") == [
        {"safevault.expires_on": key.properties.expires_on.isoformat()}
    ]
    assert metric_sum("safevault.validity.expiring_reads", kind="key") - before == 1


async def test_a_retry_with_a_newer_version_is_an_event(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter
) -> None:
    name = unique("retried")
    old = fake.secret_client().set_secret(name, "value-old").properties.version
    vault = make_vault(audit_hits=True)  # the cached reads show as hit spans
    await run(vault.get_secret(name))
    new = fake.secret_client().set_secret(name, "value-new").properties.version
    seen: list[str] = []

    def use(secret: Any) -> str:
        seen.append(secret.version)
        if secret.version == old:
            raise PermissionError("the old password was rejected")
        return "ok"

    spans.clear()
    assert await run(vault.call_with_secret(name, use, retry_on=(PermissionError,))) == "ok"
    assert seen == [old, new]
    finished = spans.get_finished_spans()
    (span,) = named(finished, "safevault.call_with_secret")
    assert events(span, "safevault.retry_with_newer_version") == [{"safevault.object.version": new}]
    reads = named(finished, "safevault.get_secret")
    # the cached version twice (first try, then the check for a newer one), then a forced
    # read from the vault
    results = [r.attributes["safevault.cache.result"] for r in reads]
    assert results[:2] == ["hit", "hit"] and results[2] in ("miss", "refresh")
    assert len(results) == 3
    assert {r.parent.span_id for r in reads} == {span.context.span_id}
    assert "value-" not in dump(finished)


async def test_a_failed_request_is_timed_with_its_error_type(
    fake: FakeVault, make_vault: Any
) -> None:
    def count(outcome: str) -> int:
        return sum(
            p.count
            for p in metric_points("safevault.vault.request.duration")
            if p.attributes == {"operation": "get_key", "outcome": outcome}
        )

    before = count("HttpResponseError")
    fake.inject(403)
    with pytest.raises(Exception, match="Forbidden"):
        await run(make_vault().get_key(unique("key")))
    assert count("HttpResponseError") - before == 1


# -- rotation -------------------------------------------------------------------------------------


class RecordingRotator(Rotator):
    """Generates a recognisable value; ``fail_at`` makes one step raise; ``on_apply`` runs
    inside apply (e.g. another writer)."""

    def __init__(self, fail_at: str | None = None, on_apply: Any = None) -> None:
        self.fail_at = fail_at
        self.on_apply = on_apply
        self.values: list[str] = []

    def generate(self, current: Any) -> str:
        value = f"rotated-value-{uuid.uuid4().hex}"
        self.values.append(value)
        return value

    def apply(self, new_value: str, current: Any) -> None:
        if self.on_apply is not None:
            self.on_apply()
        if self.fail_at == "apply":
            raise RuntimeError(f"the database refused {new_value}")

    def verify(self, new_value: str) -> None:
        return None


def _runs(outcome: str) -> float:
    return metric_sum("safevault.rotation.runs", outcome=outcome)


def _rotation(spans: InMemorySpanExporter) -> tuple[Any, list[Any]]:
    finished = spans.get_finished_spans()
    (root,) = named(finished, "safevault.rotate_secret")
    steps = [s for s in finished if s.name.startswith("safevault.rotation.")]
    return root, steps


async def test_a_rotation_traces_each_step(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter
) -> None:
    name = unique("rot")
    fake.secret_client().set_secret(name, "value-before")
    rotator = RecordingRotator()
    before = _runs("rotated")
    result = await run(make_vault().rotate_secret(name, rotator))
    assert result.rotated
    root, steps = _rotation(spans)
    expected = [
        "generate",
        "store_pending",
        "check_before_apply",
        "apply",
        "verify",
        "check_before_promote",
        "promote",
    ]
    assert [s.name for s in steps] == [f"safevault.rotation.{step}" for step in expected]
    for span in steps:
        assert span.kind is SpanKind.INTERNAL
        assert span.parent is not None and span.parent.span_id == root.context.span_id
        assert span.attributes["safevault.rotation.step"] == span.name.rsplit(".", 1)[1]
        assert span.attributes["safevault.object.name"] == name
        assert span.status.status_code is StatusCode.UNSET
    assert root.attributes["safevault.object.version"] == result.new_version
    recorded = events(root, "safevault.rotation.step")
    assert recorded == [
        {"safevault.rotation.step": s.step, "safevault.rotation.outcome": s.outcome}
        for s in result.steps
    ]
    assert [e["safevault.rotation.step"] for e in recorded] == expected
    assert {e["safevault.rotation.outcome"] for e in recorded} == {"ok"}
    assert _runs("rotated") - before == 1
    text = dump(spans.get_finished_spans())
    assert rotator.values and rotator.values[0] not in text
    assert "value-before" not in text


async def test_a_failed_step_is_an_error_span_and_a_failed_run(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter
) -> None:
    name = unique("rot")
    fake.secret_client().set_secret(name, "value-before")
    rotator = RecordingRotator(fail_at="apply")
    before = _runs("failed")
    with pytest.raises(RotationError):
        await run(make_vault().rotate_secret(name, rotator))
    root, steps = _rotation(spans)
    (apply,) = [s for s in steps if s.name == "safevault.rotation.apply"]
    assert apply.status.status_code is StatusCode.ERROR
    assert apply.attributes["error.type"] == "RotationError"
    assert root.status.status_code is StatusCode.ERROR
    assert root.attributes["error.type"] == "RotationError"
    assert events(root, "safevault.rotation.step")[-1] == {
        "safevault.rotation.step": "apply",
        "safevault.rotation.outcome": "failed",
    }
    assert "safevault.rotation.verify" not in {s.name for s in steps}
    assert _runs("failed") - before == 1
    text = dump(spans.get_finished_spans())
    assert "the database refused" not in text  # the rotator's own message stays out too
    assert rotator.values[0] not in text


async def test_a_skipped_rotation_has_no_step_spans(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter
) -> None:
    name = unique("rot")
    fake.secret_client().set_secret(name, "value-before")
    before = _runs("skipped")
    result = await run(
        make_vault().rotate_secret(name, RecordingRotator(), if_older_than=timedelta(days=1))
    )
    assert not result.rotated
    root, steps = _rotation(spans)
    assert steps == []
    assert events(root, "safevault.rotation.step") == [
        {"safevault.rotation.step": "check_age", "safevault.rotation.outcome": "skipped"}
    ]
    assert root.status.status_code is StatusCode.UNSET
    assert _runs("skipped") - before == 1


async def test_an_overlapping_rotation_is_a_conflict(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter
) -> None:
    name = unique("rot")
    client = fake.secret_client()
    client.set_secret(name, "value-before")
    rotator = RecordingRotator(on_apply=lambda: client.set_secret(name, "value-other-writer"))
    before = _runs("conflict")
    with pytest.raises(RotationConflictError):
        await run(make_vault().rotate_secret(name, rotator))
    root, steps = _rotation(spans)
    (check,) = [s for s in steps if s.name == "safevault.rotation.check_before_promote"]
    assert check.attributes["error.type"] == "RotationConflictError"
    assert root.attributes["error.type"] == "RotationConflictError"
    assert events(root, "safevault.rotation.step")[-1] == {
        "safevault.rotation.step": "check_before_promote",
        "safevault.rotation.outcome": "conflict",
    }
    assert _runs("conflict") - before == 1


# -- the time-to-expiry gauge -------------------------------------------------------------------


def _time_to_expiry(host: str, kind: str) -> list[Any]:
    return [
        p
        for p in metric_points("safevault.object.time_to_expiry")
        if p.attributes.get("safevault.vault.host") == host
        and p.attributes.get("safevault.object.kind") == kind
    ]


def _own_fake() -> tuple[FakeVault, str]:
    """A FakeVault on a host of its own: the gauge reports per vault host and kind."""
    host = f"{unique('gauge')}.vault.azure.net"
    return FakeVault(vault_url=f"https://{host}"), host


def _vault(fake: FakeVault, flavor: str) -> Any:
    return fake.vault() if flavor == "sync" else fake.aio_vault()


async def test_the_gauge_reports_the_soonest_expiry_per_kind(flavor: str) -> None:
    fake, host = _own_fake()
    soon, late, key, forever = unique("s"), unique("s"), unique("k"), unique("none")
    client = fake.secret_client()
    client.set_secret(soon, "value-1", expires_on=fake.clock() + timedelta(days=20))
    stored = client.set_secret(late, "value-1", expires_on=fake.clock() + DAYS_60)
    _make_key(fake, key)
    client.set_secret(forever, "value-forever")
    vault = _vault(fake, flavor)
    try:
        assert _time_to_expiry(host, "secret") == []
        await run(vault.get_secret(forever))
        assert _time_to_expiry(host, "secret") == []  # no expiry, nothing to count down
        await run(vault.get_secret(late))
        await run(vault.get_secret(soon))
        await run(vault.get_key(key))
        (point,) = _time_to_expiry(host, "secret")
        assert point.attributes == {"safevault.vault.host": host, "safevault.object.kind": "secret"}
        assert abs(point.value - timedelta(days=20).total_seconds()) < 60  # the soonest
        (point,) = _time_to_expiry(host, "key")
        assert abs(point.value - DAYS_60.total_seconds()) < 60
        fake.advance(timedelta(days=10))
        (point,) = _time_to_expiry(host, "secret")
        assert abs(point.value - timedelta(days=10).total_seconds()) < 60
        vault.invalidate(soon)
        (point,) = _time_to_expiry(host, "secret")
        assert abs(point.value - timedelta(days=50).total_seconds()) < 60
        vault.invalidate(late)
        assert _time_to_expiry(host, "secret") == []
        # a version read by id is not "the latest": not reported
        await run(vault.get_secret(late, version=stored.properties.version))
        assert _time_to_expiry(host, "secret") == []
    finally:
        await run(vault.close())


async def test_a_closed_vault_stops_reporting(flavor: str) -> None:
    fake, host = _own_fake()
    name = unique("gauge-closed")
    _make_secret(fake, name)
    vault = _vault(fake, flavor)
    await run(vault.get_secret(name))
    assert len(_time_to_expiry(host, "secret")) == 1
    await run(vault.close())
    assert _time_to_expiry(host, "secret") == []


def test_a_failing_vault_does_not_stop_the_gauge() -> None:
    class Broken:
        def _expiry_observations(self) -> Any:
            raise RuntimeError("broken")

    from safevault._telemetry import watch_expiry

    fake, host = _own_fake()
    name = unique("gauge-ok")
    _make_secret(fake, name)
    broken = Broken()
    watch_expiry(broken)
    with fake.vault() as vault:
        vault.get_secret(name)
        assert len(_time_to_expiry(host, "secret")) == 1
    del broken


# -- every span of every operation keeps to the contract --------------------------------------


async def test_spans_of_a_session_carry_identifiers_only(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter
) -> None:
    """A session touching all three kinds: no value, tag value or private key in any span."""
    vault = make_vault()
    tag_value = f"tag-value-{uuid.uuid4().hex}"
    await run(vault.set_secret("s", "value-of-s", tags={"owner": tag_value}))
    await run(vault.get_secret("s"))
    await run(vault.create_key("k", key_type="EC", tags={"owner": tag_value}))
    cert = await run(vault.create_certificate("c", subject="CN=c.example.com"))
    await run(vault.get_certificate_with_key("c"))
    text = dump(spans.get_finished_spans())
    assert "value-of-s" not in text
    assert tag_value not in text
    assert "PRIVATE KEY" not in text
    assert cert.version in text  # identifiers are there
    for span in ours(spans.get_finished_spans()):
        assert span.attributes["safevault.vault.host"] == HOST
