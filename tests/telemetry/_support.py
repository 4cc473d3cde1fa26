"""Helpers of the telemetry tests: JWT-shaped credentials, span and metric readers."""

from __future__ import annotations

import base64
import inspect
import json
import threading
from collections.abc import Iterable, Sequence
from typing import Any

from azure.core.credentials import AccessToken
from opentelemetry.sdk.trace import ReadableSpan

from otel_support import pipeline

HOST = "fake.vault.azure.net"
OID = "11111111-2222-3333-4444-555555555555"
CLAIMS = {"oid": OID, "appid": "22222222-0000-0000-0000-000000000000", "tid": "tenant"}

# The attribute names API.md section 4 allows on safevault's spans: identifiers only.
CONTRACT_ATTRIBUTES = frozenset(
    {
        "safevault.vault.host",
        "safevault.object.kind",
        "safevault.object.name",
        "safevault.object.version",
        "safevault.cache.result",
        "safevault.expires_on",
        "safevault.validity",
        "safevault.rotation.step",
        "error.type",
        "enduser.id",
    }
)
# The text of FakeVault's injected 403 answer: the service's words, never to reach a span.
SERVICE_TEXT = "Caller is not authorized to perform action on resource"


async def run(result: Any) -> Any:
    """The result of a sync call, or of an async call's awaitable."""
    if inspect.isawaitable(result):
        return await result
    return result


# -- credentials that issue JWT-shaped tokens --------------------------------------------------


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT-shaped token (header.payload.signature) carrying ``claims``."""
    return f"{_segment({'alg': 'RS256', 'typ': 'JWT'})}.{_segment(claims)}.c2lnbmF0dXJl"


class _Issued:
    def __init__(self, claims: dict[str, Any]) -> None:
        self.claims = claims
        self.tokens: list[str] = []
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        return len(self.tokens)

    def wrap(self, inner: AccessToken) -> AccessToken:
        token = jwt({**self.claims, "jti": inner.token})
        with self._lock:
            self.tokens.append(token)
        return AccessToken(token, inner.expires_on)


class JwtCredential(_Issued):
    """Wraps FakeVault's sync credential: each token is a JWT with an ``oid`` claim.

    FakeVault's own tokens are ``fake-token-<n>``, not JWTs, so they carry no principal.
    ``claims`` replaces the default ``{"oid": OID, "appid": ...}``.
    """

    def __init__(self, inner: Any, claims: dict[str, Any] | None = None) -> None:
        super().__init__(claims or dict(CLAIMS))
        self._inner = inner

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self.wrap(self._inner.get_token(*scopes, **kwargs))

    def close(self) -> None:
        """Nothing to release."""


class AsyncJwtCredential(_Issued):
    """The async twin of :class:`JwtCredential`."""

    def __init__(self, inner: Any, claims: dict[str, Any] | None = None) -> None:
        super().__init__(claims or dict(CLAIMS))
        self._inner = inner

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self.wrap(await self._inner.get_token(*scopes, **kwargs))

    async def close(self) -> None:
        """Nothing to release."""


# -- spans --------------------------------------------------------------------------------------


def named(spans: Iterable[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


def ours(spans: Iterable[ReadableSpan]) -> list[ReadableSpan]:
    """safevault's spans (its instrumentation scope), in finishing order."""
    return [
        s for s in spans if s.instrumentation_scope and s.instrumentation_scope.name == "safevault"
    ]


def children(spans: Sequence[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    pid = parent.context.span_id
    return [s for s in spans if s.parent is not None and s.parent.span_id == pid]


def descendants(spans: Sequence[ReadableSpan], root: ReadableSpan) -> list[ReadableSpan]:
    found: list[ReadableSpan] = []
    frontier = [root]
    while frontier:
        kids = children(spans, frontier.pop())
        found.extend(kids)
        frontier.extend(kids)
    return found


def ancestors(spans: Sequence[ReadableSpan], span: ReadableSpan) -> list[ReadableSpan]:
    by_id = {s.context.span_id: s for s in spans}
    chain: list[ReadableSpan] = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        chain.append(span)
    return chain


def dump(spans: Iterable[ReadableSpan]) -> str:
    """Everything the spans would export (attributes, events, status, resource) as text."""
    return "\n".join(s.to_json() for s in spans)


def events(span: ReadableSpan, name: str) -> list[dict[str, Any]]:
    return [dict(e.attributes or {}) for e in span.events if e.name == name]


# -- metrics ------------------------------------------------------------------------------------


def metric_points(metric_name: str) -> list[Any]:
    _, reader = pipeline()
    data = reader.get_metrics_data()
    points: list[Any] = []
    for rm in data.resource_metrics if data else []:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if metric.name == metric_name:
                    points.extend(metric.data.data_points)
    return points


def metric_sum(metric_name: str, **attributes: str) -> float:
    """The cumulative value of a counter over the points matching ``attributes``."""
    return sum(
        p.value
        for p in metric_points(metric_name)
        if all(p.attributes.get(k) == v for k, v in attributes.items())
    )
