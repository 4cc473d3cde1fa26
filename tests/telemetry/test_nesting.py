"""With azure-core's native OpenTelemetry tracing on, the SDK's spans nest under safevault's.

``azure.core.settings.settings.tracing_enabled = True`` makes every SDK client method a span
(``SecretClient.get_secret``) with a CLIENT span per HTTP request under it; both must sit
under the ``safevault.<method>`` span of the call that made them. Cache hits send nothing,
so their spans have no children.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.settings import settings
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from safevault import CachePolicy
from safevault.testing import FakeVault
from telemetry._calls import POSTURE_CALLS, VAULT_CALLS, Ctx
from telemetry._support import (
    SERVICE_TEXT,
    ancestors,
    children,
    dump,
    named,
    ours,
    run,
)

# Calls that send no request: nothing of the SDK's to nest.
NO_IO = {"invalidate", "on_change", "close"}
KNOWN_BUGS: dict[tuple[str, str], str] = {}  # (flavor, name) -> xfail reason


@pytest.fixture
def azure_tracing() -> Iterator[None]:
    settings.tracing_enabled = True
    try:
        yield
    finally:
        settings.tracing_enabled.unset_value()  # back to the environment's, or the default


def _params() -> list[Any]:
    params = []
    for flavor in ("sync", "aio"):
        for name in sorted(VAULT_CALLS):
            reason = KNOWN_BUGS.get((flavor, name))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(flavor, name, id=f"{flavor}-{name}", marks=marks))
    return params


def _assert_nested(finished: Any, root: Any) -> list[Any]:
    """Every span that is not safevault's has a safevault ancestor under ``root``."""
    sdk = [s for s in finished if s.instrumentation_scope.name != "safevault"]
    for span in sdk:
        chain = ancestors(finished, span)
        assert chain, f"{span.name} is a root: it did not join safevault's trace"
        assert chain[-1].context.span_id == root.context.span_id, f"{span.name} escaped"
        assert any(a.instrumentation_scope.name == "safevault" for a in chain)
        assert span.context.trace_id == root.context.trace_id
    return sdk


@pytest.mark.usefixtures("azure_tracing")
@pytest.mark.parametrize(("flavor", "name"), _params())
async def test_the_sdks_spans_nest_under_each_call(
    flavor: str,
    name: str,
    spans: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    call = VAULT_CALLS[name]
    fake = FakeVault()
    ctx = Ctx(fake, flavor, monkeypatch)
    if call.setup is not None:
        call.setup(ctx)
    ctx.vault = fake.vault() if flavor == "sync" else fake.aio_vault()
    try:
        spans.clear()
        await run(call.run(ctx))
        finished = spans.get_finished_spans()
    finally:
        await run(ctx.vault.close())
    (root,) = named(finished, f"safevault.{name}")
    sdk = _assert_nested(finished, root)
    if name in NO_IO:
        assert sdk == []
        return
    # SDK method spans, and HTTP spans (under the method span, or for the pages of a
    # listing, which azure-core fetches outside the method's span, under safevault's)
    assert {s.kind for s in sdk} >= {SpanKind.INTERNAL, SpanKind.CLIENT}


@pytest.mark.usefixtures("azure_tracing")
async def test_a_miss_nests_secretclient_get_secret_and_its_http_span(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter
) -> None:
    fake.secret_client().set_secret("s", "value-s")
    vault = make_vault()
    spans.clear()
    await run(vault.get_secret("s"))
    finished = spans.get_finished_spans()
    (ours_,) = named(finished, "safevault.get_secret")
    (sdk,) = children(finished, ours_)
    assert sdk.name == "SecretClient.get_secret"
    http = children(finished, sdk)
    assert http and {h.kind for h in http} == {SpanKind.CLIENT}
    assert {h.attributes["http.request.method"] for h in http} == {"GET"}


@pytest.mark.usefixtures("azure_tracing")
@pytest.mark.parametrize(
    ("method", "make"),
    [
        ("get_secret", lambda fake: fake.secret_client().set_secret("o", "value-o")),
        ("get_key", lambda fake: fake.key_client().create_ec_key("o")),
        (
            "get_certificate",
            lambda fake: fake.vault().create_certificate("o", subject="CN=o.example.com"),
        ),
    ],
)
async def test_hits_have_no_child_spans(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter, method: str, make: Any
) -> None:
    make(fake)
    vault = make_vault(audit_hits=True)  # a hit has a span of its own only when asked
    read = getattr(vault, method)
    await run(read("o"))
    requests = len(fake.requests)
    spans.clear()
    for _ in range(3):
        await run(read("o"))
    finished = spans.get_finished_spans()
    assert len(fake.requests) == requests
    hits = named(finished, f"safevault.{method}")
    assert [h.attributes["safevault.cache.result"] for h in hits] == ["hit"] * 3
    assert list(finished) == hits  # nothing else was traced
    for hit in hits:
        assert not children(finished, hit)


@pytest.mark.usefixtures("azure_tracing")
def test_posture_fetch_nests_the_management_sdk_spans(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = POSTURE_CALLS["fetch"]
    ctx = Ctx(FakeVault(), "sync", monkeypatch)
    assert call.setup is not None
    call.setup(ctx)
    spans.clear()
    call.run(ctx)
    finished = spans.get_finished_spans()
    (root,) = named(finished, "safevault.fetch")
    sdk = _assert_nested(finished, root)
    assert any(s.name.startswith("SecretClient.") for s in sdk)
    assert any(s.kind is SpanKind.CLIENT for s in sdk)


@pytest.mark.usefixtures("azure_tracing")
async def test_only_the_sdks_own_spans_quote_the_service(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter
) -> None:
    """safevault's spans stay clean; azure-core's span status quotes the service's answer.

    The docs page says so (turning azure-core tracing on exports the service's error text
    in the SDK's spans); this test keeps that sentence true.
    """
    fake.secret_client().set_secret("s", "value-s")
    vault = make_vault()
    fake.inject(403)
    with pytest.raises(HttpResponseError):
        await run(vault.get_secret("s"))
    finished = spans.get_finished_spans()
    assert SERVICE_TEXT not in dump(ours(finished))
    (sdk,) = named(finished, "SecretClient.get_secret")
    assert sdk.status.status_code is StatusCode.ERROR
    assert SERVICE_TEXT in (sdk.status.description or "")


@pytest.mark.usefixtures("azure_tracing")
async def test_a_background_refresh_has_a_span_of_its_own(
    fake: FakeVault, make_vault: Any, spans: InMemorySpanExporter
) -> None:
    """A refresh that outlives the read which started it is detached from that read's
    trace (``Background`` in both shells), but is still audited: a ``safevault.refresh``
    span with the SDK's spans nested under it."""
    fake.secret_client().set_secret("s", "value-s")
    vault = make_vault(cache=CachePolicy(ttl=timedelta(minutes=1), jitter=0, refresh_ahead=True))
    await run(vault.get_secret("s"))
    fake.advance(timedelta(seconds=50))  # past 80% of the ttl: served, and refreshed behind
    spans.clear()
    await run(vault.get_secret("s"))
    for _ in range(500):  # the refresh runs on a thread (sync) or a task (aio)
        if named(spans.get_finished_spans(), "safevault.refresh"):
            break
        await asyncio.sleep(0.01)
    finished = spans.get_finished_spans()
    (read,) = named(finished, "safevault.get_secret")
    assert read.attributes["safevault.cache.result"] == "hit"
    assert not children(finished, read)
    (refresh,) = named(finished, "safevault.refresh")
    assert refresh.parent is None
    assert refresh.context.trace_id != read.context.trace_id
    assert refresh.attributes["safevault.object.name"] == "s"
    assert refresh.attributes["safevault.cache.result"] == "refresh"
    (sdk,) = named(finished, "SecretClient.get_secret")
    assert sdk.parent is not None
    assert sdk.parent.span_id == refresh.context.span_id
