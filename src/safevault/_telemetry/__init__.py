"""OpenTelemetry spans and metrics: identifiers only, never a value, never breaking a call.

Tracer and meter are named ``"safevault"``. Every public call makes one span
``safevault.<method>``; a cache hit's span is started and ended without being made current
(it has no children and this keeps the hit path cheap), every other call's span is current
so the Azure SDK's own spans nest under it. A failure inside telemetry is logged at debug
level and swallowed.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.trace import SpanKind, Status, StatusCode

from safevault._version import __version__

__all__ = [
    "ExpiryObserved",
    "Operation",
    "Telemetry",
    "error_type",
    "record_request",
    "unwatch_expiry",
    "watch_expiry",
]

_LOG = logging.getLogger("safevault")
TRACER = trace.get_tracer("safevault", __version__)
METER = metrics.get_meter("safevault", __version__)

CACHE_REQUESTS = METER.create_counter(
    "safevault.cache.requests", unit="{request}", description="Reads by cache result."
)
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

# a hit span's attributes, built on the first hit of each cache entry (and gone with it)
_HIT_ATTRIBUTES: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()

_RESULT_ATTRS: Mapping[str, Mapping[str, str]] = {
    r: {"result": r} for r in ("hit", "miss", "stale", "refresh")
}
_HIT = _RESULT_ATTRS["hit"]
_SPAN_NAMES: dict[str, str] = {}


def _tracing_configured() -> bool:
    """False while no TracerProvider is installed (only the OpenTelemetry API is in use).

    Reads the API's global without the cost of ``get_tracer_provider()`` (which consults the
    environment on every call). Should the API ever drop that global, this answers True and
    every hit makes its (no-op) span as before.
    """
    return getattr(trace, "_TRACER_PROVIDER", True) is not None


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


class Telemetry:
    """Telemetry for one vault: its host goes on every span.

    ``principal`` is the calling identity (``enduser.id``) when the vault was built with
    ``audit_principal=True``: set once per token by the credential wrapper.
    """

    __slots__ = ("host", "principal")

    def __init__(self, host: str) -> None:
        self.host = host
        self.principal: str | None = None

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
        """Record a cache hit: the hit counter, and a span that is never made current.

        The hit path's cost: no span at all while no TracerProvider is installed; otherwise
        the span's attributes are built once per cache entry and handed to ``start_span``.
        """
        try:
            CACHE_REQUESTS.add(1, _HIT)
            if not _tracing_configured():
                return  # the API's no-op tracer: a span nobody can see, not worth 0.3 us
            attrs = _HIT_ATTRIBUTES.get(entry)
            if attrs is None:
                item = entry.item
                attrs = self._base(kind, item.name)
                attrs.update(item_attributes(item))
                attrs["safevault.cache.result"] = "hit"
                attrs["safevault.validity"] = "valid" if item.expires_on else "no_expiry"
                _HIT_ATTRIBUTES[entry] = attrs
            # given at the start, the attributes are copied once, without the span's lock
            TRACER.start_span(_SPAN_NAMES.get(method) or span_name(method), attributes=attrs).end()
        except Exception:
            _LOG.debug("telemetry: hit span failed", exc_info=True)

    def operation(
        self, method: str, kind: str | None = None, name: str | None = None, **attrs: Any
    ) -> Operation:
        """Start the current span of a public call (use as a context manager)."""
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
    def cache_result(op: Operation, result: str) -> None:
        op.set("safevault.cache.result", result)
        try:
            CACHE_REQUESTS.add(1, _RESULT_ATTRS[result])
        except Exception:
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
        """(seconds to expiry, attributes) of each cached latest version with an expiry."""
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
    for vault in list(_WATCHED):
        try:
            for seconds, attributes in vault._expiry_observations():
                yield Observation(seconds, attributes)
        except Exception:
            _LOG.debug("telemetry: time_to_expiry callback failed", exc_info=True)


TIME_TO_EXPIRY = METER.create_observable_gauge(
    "safevault.object.time_to_expiry",
    callbacks=[_observe_expiry],
    unit="s",
    description="Seconds until the cached latest version of each object expires.",
)
