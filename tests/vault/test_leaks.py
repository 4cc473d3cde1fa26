"""No secret value in any repr, error, log record, span or metric, whatever the value.

Hypothesis generates the values: free unicode text, JSON-looking text and text that looks
like an error message or a traceback. Each value embeds a *canary*: twelve letters outside
the hex alphabet behind a fixed prefix, which no version id, timestamp or message of the
SDK can contain by chance. Searching the captured text for the canary catches a leak of the
value in any form that keeps a part of it (quoted, JSON-escaped, truncated after the canary);
the whole value is searched as well.

Every example runs on a fresh FakeVault through the real SDK clients, with the root logger
at DEBUG capturing every record (formatted with its exception text) and the process-wide
OpenTelemetry SDK pipeline (``otel_support``) collecting spans and metrics. The value does
travel inside the SDK's HTTP request and response bodies: those are not a leak and are not
searched (HTTP request/response objects are skipped when walking an exception's attributes).
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import TracebackType
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.pipeline.transport import HttpRequest as LegacyHttpRequest
from azure.core.pipeline.transport import HttpResponse as LegacyHttpResponse
from azure.core.rest import HttpRequest, HttpResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otel_support import pipeline
from safevault import (
    CachePolicy,
    DisabledError,
    ExpiredError,
    ExpiryPolicyError,
    InvalidArgumentError,
    SafeVaultError,
)
from safevault.testing import FakeVault

CANARY_PREFIX = "Zq"
CANARY_LETTERS = "ghijklmnopqrstuvwxyz"  # no hex digit: cannot occur inside a version id
TTL = timedelta(seconds=60)
POLICY = CachePolicy(ttl=TTL, jitter=0.0)
TOO_LONG_BYTES = 25 * 1024 + 1
HTTP_OBJECTS = (HttpRequest, HttpResponse, LegacyHttpRequest, LegacyHttpResponse)

LEAK_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# -- values ----------------------------------------------------------------------------------


@st.composite
def secret_values(draw: st.DrawFn) -> tuple[str, str]:
    """``(value, canary)``: a 1..200 character value that contains ``canary``."""
    canary = CANARY_PREFIX + draw(st.text(alphabet=CANARY_LETTERS, min_size=12, max_size=12))
    kind = draw(st.sampled_from(["text", "json", "error"]))
    body = draw(st.text(min_size=0, max_size=120))
    if kind == "text":
        cut = draw(st.integers(min_value=0, max_value=len(body)))
        value = body[:cut] + canary + body[cut:]
    elif kind == "json":
        value = json.dumps(
            {"password": canary, "user": body[:30], "host": body[30:60]}, ensure_ascii=False
        )
    else:
        template = draw(
            st.sampled_from(
                [
                    "(Forbidden) Caller is not authorized: {c} {b}",
                    "Operation returned an invalid status 'Not Found'\nContent: {c}{b}",
                    'Traceback (most recent call last):\n  File "x.py", line 1\n'
                    "ValueError: {c} {b}",
                    '{{"error":{{"code":"Unauthorized","message":"{c}"}}}}{b}',
                    "Code: SecretNotFound\nMessage: {c}\n{b}",
                ]
            )
        )
        value = template.format(c=canary, b=body[:60])
    value = value[:200]
    assert canary in value and 1 <= len(value) <= 200
    return value, canary


# -- capture ---------------------------------------------------------------------------------


class _Capture(logging.Handler):
    """Formats every record it sees, with its exception text and stack."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.texts.append(self.format(record))
            self.texts.append(repr(record.msg))
            self.texts.append(repr(record.args))
        except Exception as error:  # a record that cannot be formatted is itself a finding
            self.texts.append(f"<unformattable record {record.name}: {error!r}>")


@contextmanager
def _all_logs() -> Iterator[_Capture]:
    handler = _Capture()
    root = logging.getLogger()
    touched = [root, logging.getLogger("azure"), logging.getLogger("safevault")]
    levels = [logger.level for logger in touched]
    root.addHandler(handler)
    for logger in touched:
        logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for logger, level in zip(touched, levels):
            logger.setLevel(level)


class Observed:
    """Everything a test wants searched: returned objects and raised errors."""

    def __init__(self) -> None:
        self.returned: list[tuple[str, Any]] = []
        self.raised: list[tuple[str, BaseException, bool]] = []  # (where, error, own chain?)

    def ret(self, where: str, obj: Any) -> Any:
        self.returned.append((where, obj))
        return obj

    def err(self, where: str, error: BaseException, *, chain: bool = True) -> BaseException:
        """Record ``error``; ``chain=False`` when it was raised inside the test's own
        ``except`` of an exception quoting the value (its traceback chain then legitimately
        shows the test's exception; its attributes still must not)."""
        self.raised.append((where, error, chain))
        return error


def _exception_texts(
    error: BaseException, depth: int = 0, seen: set[int] | None = None
) -> Iterator[str]:
    """repr/str of ``error`` and, recursively, of its attributes (``vars``) and ``args``."""
    yield from _texts_of(error, depth, seen if seen is not None else set())


def _texts_of(obj: Any, depth: int, seen: set[int]) -> Iterator[str]:
    if depth > 6 or id(obj) in seen or isinstance(obj, (type, TracebackType, *HTTP_OBJECTS)):
        return
    if obj is None or isinstance(obj, (bool, int, float)):
        return
    seen.add(id(obj))
    if isinstance(obj, (str, bytes)):
        yield obj if isinstance(obj, str) else obj.decode("utf-8", "replace")
        return
    try:
        yield repr(obj)
        yield str(obj)
    except Exception as error:
        yield f"<unprintable {type(obj).__name__}: {error!r}>"
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _texts_of(key, depth + 1, seen)
            yield from _texts_of(value, depth + 1, seen)
        return
    if isinstance(obj, (list, tuple, set, frozenset)):
        for item in obj:
            yield from _texts_of(item, depth + 1, seen)
        return
    if isinstance(obj, BaseException):
        yield from _texts_of(obj.args, depth + 1, seen)
    module = type(obj).__module__ or ""
    if isinstance(obj, BaseException) or module.startswith(("azure", "safevault")):
        attrs = getattr(obj, "__dict__", None)
        if isinstance(attrs, dict):
            for key, value in attrs.items():
                yield key
                yield from _texts_of(value, depth + 1, seen)
        # slotted objects (Secret, Key, Certificate, cache entries) have no __dict__
        for cls in type(obj).__mro__:
            slots = cls.__dict__.get("__slots__", ())
            for slot in (slots,) if isinstance(slots, str) else slots:
                if slot not in ("__dict__", "__weakref__") and hasattr(obj, slot):
                    yield slot
                    yield from _texts_of(getattr(obj, slot), depth + 1, seen)


def _span_texts(spans: Any) -> Iterator[tuple[str, str]]:
    for span in spans:
        where = f"span {span.name}"
        yield where, span.name
        yield where, span.to_json()
        yield where, span.status.description or ""
        for key, value in (span.attributes or {}).items():
            yield where, f"{key}={value}"
        for event in span.events:
            yield f"{where} event {event.name}", event.name
            for key, value in (event.attributes or {}).items():
                yield f"{where} event {event.name}", f"{key}={value}"


def _metric_texts(reader: Any) -> Iterator[tuple[str, str]]:
    data = reader.get_metrics_data()
    if data is None:
        return
    yield "metrics", data.to_json()
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    for key, value in (point.attributes or {}).items():
                        yield f"metric {metric.name}", f"{key}={value}"


def _assert_no_leak(
    value: str, canary: str, observed: Observed, logs: _Capture, spans: Any, reader: Any
) -> None:
    def check(where: str, text: str) -> None:
        assert canary not in text and value not in text, f"the secret value leaked into {where}"

    for where, obj in observed.returned:
        check(f"repr of {where}", repr(obj))
        check(f"str of {where}", str(obj))
    for where, error, own_chain in observed.raised:
        for text in _exception_texts(error):
            check(f"{where}: {type(error).__name__} or its attributes", text)
        if own_chain:
            formatted = "".join(traceback.format_exception(error))
            check(f"{where}: the formatted traceback of {type(error).__name__}", formatted)
    for text in logs.texts:
        check("a log record", text)
    for where, text in _span_texts(spans):
        check(where, text)
    for where, text in _metric_texts(reader):
        check(where, text)


def _expect(observed: Observed, where: str, kind: type[BaseException], fn: Any, **kw: Any) -> Any:
    with pytest.raises(kind) as info:
        fn()
    return observed.err(where, info.value, **kw)


# -- the scenarios, sync ----------------------------------------------------------------------


def _sync_scenarios(fake: FakeVault, value: str, observed: Observed) -> None:
    client = fake.secret_client()
    too_long = value * (TOO_LONG_BYTES // len(value.encode("utf-8")) + 1)
    with fake.vault(cache=POLICY) as vault:
        # Writes and reads: miss, hit, versions.
        observed.ret("set_secret", vault.set_secret("leak-a", value))
        vault.invalidate("leak-a")
        observed.ret("get_secret (miss)", vault.get_secret("leak-a"))
        observed.ret("get_secret (hit)", vault.get_secret("leak-a"))
        observed.ret("get_secret_versions", vault.get_secret_versions("leak-a"))

        # A transient 503 past the ttl: the stale value is served.
        fake.advance(TTL + timedelta(seconds=1))
        fake.inject(503, times=5, match=("GET", "/secrets/leak-a/"))
        observed.ret("get_secret (stale)", vault.get_secret("leak-a"))
        fake.clear_faults()

        # 403 (RBAC) on a secret holding the value, then remembered; 404 of an unknown name.
        client.set_secret("leak-b", value)
        fake.inject(403, match=("GET", "/secrets/leak-b/"))
        _expect(observed, "403", HttpResponseError, lambda: vault.get_secret("leak-b"))
        _expect(observed, "403 again", HttpResponseError, lambda: vault.get_secret("leak-b"))
        _expect(observed, "404", ResourceNotFoundError, lambda: vault.get_secret("leak-none"))

        # Refused reads: expired, disabled (by this vault, and by the vault's 403).
        vault.set_secret("leak-c", value, expires_in=timedelta(seconds=5))
        vault.set_secret("leak-d", value, enabled=False)
        version = client.set_secret("leak-e", value).properties.version
        client.update_secret_properties("leak-e", version, enabled=False)
        fake.advance(timedelta(seconds=6))
        _expect(observed, "expired", ExpiredError, lambda: vault.get_secret("leak-c"))
        _expect(observed, "disabled", DisabledError, lambda: vault.get_secret("leak-d"))
        _expect(observed, "SecretDisabled", DisabledError, lambda: vault.get_secret("leak-e"))

        # Refused writes, checked before any request.
        _expect(
            observed,
            "too long",
            InvalidArgumentError,
            lambda: vault.set_secret("leak-a", too_long),
        )
        _expect(
            observed,
            "expiry policy",
            ExpiryPolicyError,
            lambda: vault.set_secret("leak-a", value, expires_in=timedelta(days=400)),
        )

        # Errors raised while another exception quoting the value is being handled.
        try:
            raise RuntimeError(value)
        except RuntimeError:
            for where, kind, call in [
                (
                    "bad name in except",
                    InvalidArgumentError,
                    lambda: vault.set_secret("bad name!", value),
                ),
                (
                    "too long in except",
                    InvalidArgumentError,
                    lambda: vault.set_secret("leak-a", too_long),
                ),
                (
                    "expiry policy in except",
                    ExpiryPolicyError,
                    lambda: vault.set_secret("leak-a", value, expires_in=timedelta(days=400)),
                ),
                ("expired in except", ExpiredError, lambda: vault.get_secret("leak-c")),
                ("disabled in except", DisabledError, lambda: vault.get_secret("leak-d")),
            ]:
                _expect(observed, where, kind, call, chain=False)
            vault.invalidate("leak-e")  # the 403 SecretDisabled is mapped while handling
            _expect(
                observed,
                "SecretDisabled in except",
                DisabledError,
                lambda: vault.get_secret("leak-e"),
                chain=False,
            )


# -- the scenarios, async ---------------------------------------------------------------------


async def _aexpect(
    observed: Observed, where: str, kind: type[BaseException], coro: Any, **kw: Any
) -> Any:
    with pytest.raises(kind) as info:
        await coro
    return observed.err(where, info.value, **kw)


async def _aio_scenarios(fake: FakeVault, value: str, observed: Observed) -> None:
    client = fake.secret_client()
    too_long = value * (TOO_LONG_BYTES // len(value.encode("utf-8")) + 1)
    async with fake.aio_vault(cache=POLICY) as vault:
        observed.ret("aio set_secret", await vault.set_secret("leak-a", value))
        vault.invalidate("leak-a")
        observed.ret("aio get_secret (miss)", await vault.get_secret("leak-a"))
        observed.ret("aio get_secret (hit)", await vault.get_secret("leak-a"))
        observed.ret("aio get_secret_versions", await vault.get_secret_versions("leak-a"))

        fake.advance(TTL + timedelta(seconds=1))
        fake.inject(503, times=5, match=("GET", "/secrets/leak-a/"))
        observed.ret("aio get_secret (stale)", await vault.get_secret("leak-a"))
        fake.clear_faults()

        client.set_secret("leak-b", value)
        fake.inject(403, match=("GET", "/secrets/leak-b/"))
        await _aexpect(observed, "aio 403", HttpResponseError, vault.get_secret("leak-b"))
        await _aexpect(observed, "aio 403 again", HttpResponseError, vault.get_secret("leak-b"))
        await _aexpect(observed, "aio 404", ResourceNotFoundError, vault.get_secret("leak-none"))

        await vault.set_secret("leak-c", value, expires_in=timedelta(seconds=5))
        await vault.set_secret("leak-d", value, enabled=False)
        version = client.set_secret("leak-e", value).properties.version
        client.update_secret_properties("leak-e", version, enabled=False)
        fake.advance(timedelta(seconds=6))
        await _aexpect(observed, "aio expired", ExpiredError, vault.get_secret("leak-c"))
        await _aexpect(observed, "aio disabled", DisabledError, vault.get_secret("leak-d"))
        await _aexpect(observed, "aio SecretDisabled", DisabledError, vault.get_secret("leak-e"))

        await _aexpect(
            observed, "aio too long", InvalidArgumentError, vault.set_secret("leak-a", too_long)
        )
        await _aexpect(
            observed,
            "aio expiry policy",
            ExpiryPolicyError,
            vault.set_secret("leak-a", value, expires_in=timedelta(days=400)),
        )

        try:
            raise RuntimeError(value)
        except RuntimeError:
            await _aexpect(
                observed,
                "aio bad name in except",
                InvalidArgumentError,
                vault.set_secret("bad name!", value),
                chain=False,
            )
            await _aexpect(
                observed,
                "aio expiry policy in except",
                ExpiryPolicyError,
                vault.set_secret("leak-a", value, expires_in=timedelta(days=400)),
                chain=False,
            )
            await _aexpect(
                observed,
                "aio expired in except",
                ExpiredError,
                vault.get_secret("leak-c"),
                chain=False,
            )
            await _aexpect(
                observed,
                "aio too long in except",
                InvalidArgumentError,
                vault.set_secret("leak-a", too_long),
                chain=False,
            )
            await _aexpect(
                observed,
                "aio disabled in except",
                DisabledError,
                vault.get_secret("leak-d"),
                chain=False,
            )
            vault.invalidate("leak-e")
            await _aexpect(
                observed,
                "aio SecretDisabled in except",
                DisabledError,
                vault.get_secret("leak-e"),
                chain=False,
            )


# -- the tests --------------------------------------------------------------------------------


@contextmanager
def _observing() -> Iterator[tuple[Observed, _Capture, Any, Any]]:
    exporter, reader = pipeline()
    exporter.clear()
    reader.get_metrics_data()  # (cumulative: earlier points stay, and are searched too)
    with _all_logs() as logs:
        yield Observed(), logs, exporter, reader


def _assert_really_captured(logs: _Capture, exporter: Any, reader: Any) -> None:
    """The searches are only meaningful if records, spans and metrics were really captured."""
    assert any(text.startswith("azure.core.") for text in logs.texts), "no azure.core record"
    names = {span.name for span in exporter.get_finished_spans()}
    assert {"safevault.get_secret", "safevault.set_secret"} <= names, names
    metrics = reader.get_metrics_data()
    assert metrics is not None and "safevault.cache.requests" in metrics.to_json()


@LEAK_SETTINGS
@given(secret_values())
def test_no_leak_sync(drawn: tuple[str, str]) -> None:
    value, canary = drawn
    with _observing() as (observed, logs, exporter, reader):
        _sync_scenarios(FakeVault(), value, observed)
    _assert_really_captured(logs, exporter, reader)
    assert len(observed.raised) == 14
    _assert_no_leak(value, canary, observed, logs, exporter.get_finished_spans(), reader)


@LEAK_SETTINGS
@given(secret_values())
def test_no_leak_aio(drawn: tuple[str, str]) -> None:
    value, canary = drawn
    with _observing() as (observed, logs, exporter, reader):
        asyncio.run(_aio_scenarios(FakeVault(), value, observed))
    _assert_really_captured(logs, exporter, reader)
    assert len(observed.raised) == 14
    _assert_no_leak(value, canary, observed, logs, exporter.get_finished_spans(), reader)


# -- errors remembered by the cache and raised to another caller -------------------------------
# Caller A reads while handling an exception that quotes A's secret; the answers (404, the 503
# of a cold read, SecretDisabled) are remembered and raised again to caller B, who handles
# nothing: neither their attributes nor B's formatted traceback may show A's secret.


def _cross_caller_sync(fake: FakeVault, value: str, observed: Observed) -> None:
    client = fake.secret_client()
    version = client.set_secret("cross-disabled", value).properties.version
    client.update_secret_properties("cross-disabled", version, enabled=False)
    with fake.vault(cache=POLICY) as vault:
        fake.inject(503, times=5, match=("GET", "/secrets/cross-cold/"))
        try:
            raise RuntimeError(value)  # caller A, handling an exception that quotes its secret
        except RuntimeError:
            for name in ("cross-missing", "cross-cold", "cross-disabled"):
                with pytest.raises(
                    HttpResponseError if name != "cross-disabled" else DisabledError
                ):
                    vault.get_secret(name)
        # Caller B, handling nothing: the remembered answers are raised to it.
        _expect(
            observed,
            "B: remembered 404",
            ResourceNotFoundError,
            lambda: vault.get_secret("cross-missing"),
        )
        _expect(
            observed,
            "B: backoff after 503",
            HttpResponseError,
            lambda: vault.get_secret("cross-cold"),
        )
        _expect(
            observed,
            "B: remembered SecretDisabled",
            DisabledError,
            lambda: vault.get_secret("cross-disabled"),
        )


async def _cross_caller_aio(fake: FakeVault, value: str, observed: Observed) -> None:
    client = fake.secret_client()
    version = client.set_secret("cross-disabled", value).properties.version
    client.update_secret_properties("cross-disabled", version, enabled=False)
    async with fake.aio_vault(cache=POLICY) as vault:
        fake.inject(503, times=5, match=("GET", "/secrets/cross-cold/"))
        try:
            raise RuntimeError(value)
        except RuntimeError:
            for name in ("cross-missing", "cross-cold", "cross-disabled"):
                with pytest.raises(
                    HttpResponseError if name != "cross-disabled" else DisabledError
                ):
                    await vault.get_secret(name)
        await _aexpect(
            observed,
            "aio B: remembered 404",
            ResourceNotFoundError,
            vault.get_secret("cross-missing"),
        )
        await _aexpect(
            observed, "aio B: backoff after 503", HttpResponseError, vault.get_secret("cross-cold")
        )
        await _aexpect(
            observed,
            "aio B: remembered SecretDisabled",
            DisabledError,
            vault.get_secret("cross-disabled"),
        )


CROSS_SETTINGS = settings(max_examples=10, deadline=None)


@CROSS_SETTINGS
@given(secret_values())
def test_remembered_errors_do_not_carry_another_callers_secret_sync(drawn: tuple[str, str]) -> None:
    value, canary = drawn
    with _observing() as (observed, logs, exporter, reader):
        _cross_caller_sync(FakeVault(), value, observed)
    assert len(observed.raised) == 3
    _assert_no_leak(value, canary, observed, logs, exporter.get_finished_spans(), reader)


@CROSS_SETTINGS
@given(secret_values())
def test_remembered_errors_do_not_carry_another_callers_secret_aio(drawn: tuple[str, str]) -> None:
    value, canary = drawn
    with _observing() as (observed, logs, exporter, reader):
        asyncio.run(_cross_caller_aio(FakeVault(), value, observed))
    assert len(observed.raised) == 3
    _assert_no_leak(value, canary, observed, logs, exporter.get_finished_spans(), reader)


def test_safevault_errors_built_while_handling_drop_the_handled_exception() -> None:
    """The plain, fixed-value version of the ``except`` scenarios, for a readable failure."""
    secret = "Zq-plain-canary-ghijkmnpqr"
    fake = FakeVault()
    with fake.vault() as vault:
        try:
            raise RuntimeError(secret)
        except RuntimeError:
            with pytest.raises(InvalidArgumentError) as info:
                vault.set_secret("bad name!", secret)
    error = info.value
    assert isinstance(error, SafeVaultError)
    assert error.exc_value is None and error.inner_exception is None
    assert secret not in error.exc_msg and secret not in repr(error) and secret not in str(error)
