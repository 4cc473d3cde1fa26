"""OpenTelemetry spans and metrics: identifiers only, never a value, never breaking a call.

Tracer and meter are named ``"safevault"``. Every public call makes one span
``safevault.<method>``, current so the Azure SDK's own spans nest under it; except a cache
hit, which makes no span (unless the vault was built with ``audit_hits=True``): it is counted
in process and, when the caller's current span is recording, adds one ``safevault.cache.hit``
event to it. ``safevault.cache.requests`` is an observable counter that reports the in-process
counts at collection time, so a hit makes no call into the metrics SDK. No metric attribute
holds an object's name or version. A failure inside telemetry is logged at debug level and
swallowed.
"""

from __future__ import annotations

import itertools
import logging
import os
import weakref
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.metrics import _internal as _metrics_api
from opentelemetry.trace import SpanKind, Status, StatusCode

from safevault._version import __version__

__all__ = [
    "CLIENT_REQUEST_ID",
    "HIT_EVENT",
    "ExpiryObserved",
    "Operation",
    "Telemetry",
    "cache_counts",
    "count",
    "error_type",
    "measuring_requests",
    "record_request",
    "unwatch_expiry",
    "watch_expiry",
]

_LOG = logging.getLogger("safevault")
TRACER = trace.get_tracer("safevault", __version__)
METER = metrics.get_meter("safevault", __version__)

REQUEST_DURATION = METER.create_histogram(
    "safevault.vault.request.duration", unit="s", description="Duration of requests to the vault."
)
VALIDITY_REFUSALS = METER.create_counter(
    "safevault.validity.refusals", unit="{read}", description="Reads refused by validity."
)
EXPIRING_READS = METER.create_counter(
    "safevault.validity.expiring_reads",
    unit="{read}",
    description="Reads of objects inside ExpiryPolicy.warn_before of their expiry.",
)

ROTATION_RUNS = METER.create_counter(
    "safevault.rotation.runs", unit="{run}", description="rotate_secret calls by outcome."
)

_SPAN_NAMES: dict[str, str] = {}

CLIENT_REQUEST_ID = "az.client_request_id"  # azure-core's name for x-ms-client-request-id
HIT_EVENT = "safevault.cache.hit"

# -- safevault.cache.requests: counted in process, reported at collection time -----------------
#
# One ``itertools.count`` per (kind, result): ``next()`` on it is a single C call, atomic under
# the GIL, so threads count without a lock and without calling the metrics SDK.

_KINDS = ("secret", "key", "certificate")
_RESULTS = ("hit", "miss", "stale", "refresh")
_COUNTS: dict[tuple[str, str], Iterator[int]] = {}
HITS: dict[str, Iterator[int]] = {}  # kind -> the hit counter (the hit path's shortcut)


def _reset_counts() -> None:
    """Start every count at zero (at import, and in a child process after ``os.fork``)."""
    _COUNTS.clear()
    for kind in _KINDS:
        for result in _RESULTS:
            _COUNTS[kind, result] = itertools.count()
        HITS[kind] = _COUNTS[kind, "hit"]


_reset_counts()
if hasattr(os, "register_at_fork"):  # a child reports its own reads, not its parent's
    os.register_at_fork(after_in_child=_reset_counts)


def _value(counter: Iterator[int]) -> int:
    """The next value ``counter`` would give (= how many times it was advanced), unadvanced."""
    return int(repr(counter)[6:-1])  # "count(N)"


def count(kind: str, result: str) -> None:
    """Count one read of ``kind`` with cache ``result`` (hit, miss, stale, refresh)."""
    counter = _COUNTS.get((kind, result))
    if counter is None:  # an unknown pair: counted all the same (setdefault is atomic)
        counter = _COUNTS.setdefault((kind, result), itertools.count())
    next(counter)


def cache_counts() -> dict[tuple[str, str], int]:
    """The in-process counts by (kind, result) since start (or the fork), zeros left out."""
    counts = {key: _value(counter) for key, counter in list(_COUNTS.items())}
    return {key: n for key, n in counts.items() if n}


def _observe_cache_requests(options: CallbackOptions) -> Iterable[Observation]:
    try:
        for (kind, result), n in cache_counts().items():
            yield Observation(n, {"kind": kind, "result": result})
    except Exception:  # pragma: no cover - defensive
        _LOG.debug("telemetry: cache.requests callback failed", exc_info=True)


CACHE_REQUESTS = METER.create_observable_counter(
    "safevault.cache.requests",
    callbacks=[_observe_cache_requests],
    unit="{request}",
    description="Reads by kind and cache result (counted in process, reported at collection).",
)


def _tracing_configured() -> bool:
    """False while no TracerProvider is installed (only the OpenTelemetry API is in use).

    Reads the API's global without the cost of ``get_tracer_provider()`` (which consults the
    environment on every call). Should the API ever drop that global, this answers True and
    every hit makes its (no-op) span as before.
    """
    return getattr(trace, "_TRACER_PROVIDER", True) is not None


def _metrics_configured() -> bool:
    """False while no MeterProvider is installed: every instrument is the API's no-op.

    Reads the API's global, as :func:`_tracing_configured` does; should the API ever drop
    it, this answers True and every measurement is made as before.
    """
    return getattr(_metrics_api, "_METER_PROVIDER", True) is not None


def span_name(method: str) -> str:
    name = _SPAN_NAMES.get(method)
    if name is None:
        name = _SPAN_NAMES[method] = f"safevault.{method}"
    return name


def error_type(error: BaseException) -> str:
    """The ``error.type`` of an exception: its class name, never its message."""
    return type(error).__name__


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def item_attributes(item: Any) -> dict[str, Any]:
    """Identifier attributes of a returned object (name, version, expiry): never its value."""
    attrs: dict[str, Any] = {"safevault.object.version": item.version}
    expires_on = getattr(item, "expires_on", None)
    if expires_on is not None:
        attrs["safevault.expires_on"] = expires_on.isoformat()
    return attrs


class Operation:
    """The current span of one public call; every method is safe to call in any state.

    ``telemetry`` is the vault's :class:`Telemetry`: when its ``principal`` became known during
    the call (the call fetched the vault's first token), ``end`` records it as ``enduser.id``.
    """

    __slots__ = ("_span", "_telemetry", "_token")

    def __init__(
        self,
        span: trace.Span | None,
        token: object | None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._span = span
        self._token = token
        self._telemetry = telemetry

    def set(self, key: str, value: Any) -> None:
        if value is None or self._span is None:
            return
        try:
            self._span.set_attribute(key, value)
        except Exception:  # pragma: no cover - defensive
            _LOG.debug("telemetry: set_attribute failed", exc_info=True)

    def set_item(self, item: Any, validity: str | None = None) -> None:
        if self._span is None:
            return
        try:
            if self._span.is_recording():
                self._span.set_attributes(item_attributes(item))
                if validity is not None:
                    self._span.set_attribute("safevault.validity", validity)
        except Exception:
            _LOG.debug("telemetry: set_item failed", exc_info=True)

    def event(self, name: str, attributes: Mapping[str, Any] | None = None) -> None:
        if self._span is None:
            return
        try:
            self._span.add_event(name, dict(attributes or {}))
        except Exception:
            _LOG.debug("telemetry: add_event failed", exc_info=True)

    def fail(self, error: BaseException) -> None:
        if self._span is None:
            return
        try:
            kind = error_type(error)
            self._span.set_attribute("error.type", kind)
            self._span.set_status(Status(StatusCode.ERROR, kind))
        except Exception:
            _LOG.debug("telemetry: fail failed", exc_info=True)

    def end(self, error: BaseException | None = None) -> None:
        if error is not None:
            self.fail(error)
        if self._telemetry is not None:
            self.set("enduser.id", self._telemetry.principal)
        try:
            if self._token is not None:
                otel_context.detach(self._token)  # type: ignore[arg-type]
        except Exception:
            _LOG.debug("telemetry: detach failed", exc_info=True)
        try:
            if self._span is not None:
                self._span.end()
        except Exception:
            _LOG.debug("telemetry: span end failed", exc_info=True)

    def __enter__(self) -> Operation:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.end(exc)


_NO_OPERATION = Operation(None, None)


class Telemetry:
    """Telemetry for one vault: its host goes on every span.

    ``principal`` is the calling identity (``enduser.id``) when the vault was built with
    ``audit_principal=True``: set once per token by the credential wrapper. ``audit_hits``
    (``Vault(audit_hits=True)``) gives every cache hit a span of its own.
    """

    __slots__ = ("audit_hits", "host", "principal")

    def __init__(self, host: str, *, audit_hits: bool = False) -> None:
        self.host = host
        self.principal: str | None = None
        self.audit_hits = audit_hits

    def _base(self, kind: str, name: str) -> dict[str, Any]:
        attrs = {
            "safevault.vault.host": self.host,
            "safevault.object.kind": kind,
            "safevault.object.name": name,
        }
        if self.principal is not None:
            attrs["enduser.id"] = self.principal
        return attrs

    def hit(self, method: str, kind: str, entry: Any) -> None:
        """Record a cache hit: counted in process; an event on the caller's recording span.

        With ``audit_hits`` the hit has a span of its own instead (never made current: it has
        no children). The attributes are built on an entry's first recorded hit and kept on
        it (``entry.audit``). Nothing more while no TracerProvider is installed.
        """
        try:
            next(HITS[kind])
            if not _tracing_configured():
                return  # the API's no-op tracer: nobody can see a span or an event
            if self.audit_hits:
                attrs = entry.audit
                if attrs is None:
                    attrs = entry.audit = self._hit_span_attributes(kind, entry)
                TRACER.start_span(
                    _SPAN_NAMES.get(method) or span_name(method), attributes=attrs
                ).end()
                return
            span = trace.get_current_span()
            if span.is_recording():
                attrs = entry.audit
                if attrs is None:
                    attrs = entry.audit = self._hit_event_attributes(kind, entry)
                span.add_event(HIT_EVENT, attrs)
        except Exception:
            _LOG.debug("telemetry: hit record failed", exc_info=True)

    def _hit_event_attributes(self, kind: str, entry: Any) -> dict[str, Any]:
        item = entry.item
        attrs: dict[str, Any] = {
            "safevault.vault.host": self.host,
            "safevault.object.kind": kind,
            "safevault.object.name": item.name,
            "safevault.object.version": item.version,
        }
        if entry.correlation is not None:
            attrs[CLIENT_REQUEST_ID] = entry.correlation
        return attrs

    def _hit_span_attributes(self, kind: str, entry: Any) -> dict[str, Any]:
        item = entry.item
        attrs = self._base(kind, item.name)
        attrs.update(item_attributes(item))
        attrs["safevault.cache.result"] = "hit"
        attrs["safevault.validity"] = "valid" if item.expires_on else "no_expiry"
        if entry.correlation is not None:
            attrs[CLIENT_REQUEST_ID] = entry.correlation
        return attrs

    def operation(
        self, method: str, kind: str | None = None, name: str | None = None, **attrs: Any
    ) -> Operation:
        """Start the current span of a public call (use as a context manager).

        While no TracerProvider is installed every span is the API's no-op: the call gets a
        shared operation that records nothing, without touching the context.
        """
        if not _tracing_configured():
            return _NO_OPERATION
        try:
            attributes: dict[str, Any] = {"safevault.vault.host": self.host}
            if self.principal is not None:
                attributes["enduser.id"] = self.principal
            if kind is not None:
                attributes["safevault.object.kind"] = kind
            if name is not None:
                attributes["safevault.object.name"] = name
            for key, value in attrs.items():
                if value is not None:
                    attributes[f"safevault.{key}"] = value
            span = TRACER.start_span(
                span_name(method), kind=SpanKind.INTERNAL, attributes=attributes
            )
            token = otel_context.attach(trace.set_span_in_context(span))
            return Operation(span, token, self)
        except Exception:
            _LOG.debug("telemetry: span start failed", exc_info=True)
            return Operation(None, None)

    @staticmethod
    def cache_result(op: Operation, kind: str, result: str) -> None:
        op.set("safevault.cache.result", result)
        try:
            count(kind, result)
        except Exception:  # pragma: no cover - defensive
            _LOG.debug("telemetry: counter failed", exc_info=True)

    @staticmethod
    def refusal(op: Operation, kind: str, validity: str) -> None:
        op.set("safevault.validity", validity)
        op.event("safevault.read_refused", {"safevault.validity": validity})
        try:
            VALIDITY_REFUSALS.add(1, {"kind": kind, "validity": validity})
        except Exception:
            _LOG.debug("telemetry: counter failed", exc_info=True)

    @staticmethod
    def expiring(op: Operation, kind: str, expires_on: datetime | None) -> None:
        op.event("safevault.near_expiry", {"safevault.expires_on": _iso(expires_on) or ""})
        try:
            EXPIRING_READS.add(1, {"kind": kind})
        except Exception:
            _LOG.debug("telemetry: counter failed", exc_info=True)

    @staticmethod
    def rotation_run(outcome: str) -> None:
        try:
            ROTATION_RUNS.add(1, {"outcome": outcome})
        except Exception:
            _LOG.debug("telemetry: counter failed", exc_info=True)


def measuring_requests() -> bool:
    """Whether a request's duration is recorded at all (a MeterProvider is installed): the
    pipeline policy names the operation only then."""
    return _metrics_configured()


def record_request(operation: str, outcome: str, seconds: float) -> None:
    """One request to the vault into ``safevault.vault.request.duration`` (the pipeline
    policy in ``safevault._sdk._requests`` calls this for every request)."""
    try:
        REQUEST_DURATION.record(seconds, {"operation": operation, "outcome": outcome})
    except Exception:
        _LOG.debug("telemetry: histogram failed", exc_info=True)


# -- the time-to-expiry gauge --------------------------------------------------------------


class ExpiryObserved(Protocol):
    """What the time-to-expiry gauge reads from a vault."""

    def _expiry_observations(self) -> Iterable[tuple[float, dict[str, str]]]:
        """(seconds to expiry, attributes) of cached latest versions with an expiry.

        The attributes name the vault's host and the object kind only (never a name or a
        version): the gauge reports the smallest value per attribute set.
        """
        ...


_WATCHED: weakref.WeakSet[ExpiryObserved] = weakref.WeakSet()


def watch_expiry(vault: ExpiryObserved) -> None:
    """Report ``vault``'s cached objects on the ``safevault.object.time_to_expiry`` gauge."""
    try:
        _WATCHED.add(vault)
    except TypeError:  # pragma: no cover - not weak-referenceable
        _LOG.debug("telemetry: cannot watch %r", type(vault).__name__)


def unwatch_expiry(vault: ExpiryObserved) -> None:
    """Stop reporting a (closed) vault on the time-to-expiry gauge."""
    _WATCHED.discard(vault)


def _observe_expiry(options: CallbackOptions) -> Iterable[Observation]:
    soonest: dict[tuple[tuple[str, str], ...], float] = {}
    for vault in list(_WATCHED):
        try:
            for seconds, attributes in vault._expiry_observations():
                key = tuple(sorted(attributes.items()))
                if seconds < soonest.get(key, float("inf")):
                    soonest[key] = seconds
        except Exception:
            _LOG.debug("telemetry: time_to_expiry callback failed", exc_info=True)
    for key, seconds in soonest.items():
        yield Observation(seconds, dict(key))


TIME_TO_EXPIRY = METER.create_observable_gauge(
    "safevault.object.time_to_expiry",
    callbacks=[_observe_expiry],
    unit="s",
    description="Seconds until the soonest expiry among the cached latest versions, per vault "
    "and kind.",
)
