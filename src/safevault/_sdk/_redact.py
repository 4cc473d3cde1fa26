"""Answered requests lose their body and their bearer token before anyone else can see them.

An azure-core ``HttpResponseError`` keeps the response, the response keeps the request, and
the request keeps its body: a failed ``set_secret`` carried the value on
``error.response.request`` (and in ``pickle.dumps(error)``), and every error carried the
``Authorization`` header. :class:`RedactionPolicy` runs outermost in every SDK client safevault
builds, so once a call's retries are over (answered or failed) the request object, and the
transport's own copy of it (``requests``' prepared request, ``aiohttp``'s request info), hold
neither. The error still passes through unchanged in type, status, error code and message.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import SansIOHTTPPolicy

__all__ = ["RedactionPolicy", "redact_request"]

_BODY_ATTRIBUTES = ("_data", "_files", "data", "files", "body", "_body")
_SENSITIVE_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")


def _drop_headers(headers: Any) -> None:
    for name in _SENSITIVE_HEADERS:
        try:
            headers.pop(name, None)
        except Exception:  # noqa: S112 - a read-only header mapping: nothing to remove
            continue


def redact_request(request: Any) -> None:
    """Remove the body and the credentials of ``request`` (an azure-core request), in place."""
    attributes = getattr(request, "__dict__", None)
    if isinstance(attributes, dict):
        for name in _BODY_ATTRIBUTES:
            if attributes.get(name) is not None:
                attributes[name] = None
    headers = getattr(request, "headers", None)
    if headers is not None:
        _drop_headers(headers)


def _redact_transport_response(internal: Any) -> None:
    """The transport's own record of the request: requests' ``PreparedRequest`` (with the
    body), aiohttp's ``RequestInfo`` (with the headers)."""
    for response in (internal, *(getattr(internal, "history", None) or ())):
        prepared = getattr(response, "request", None)
        if prepared is not None and hasattr(prepared, "body"):
            with contextlib.suppress(Exception):
                prepared.body = None
            _drop_headers(getattr(prepared, "headers", None) or {})
    info = getattr(internal, "_request_info", None)
    if info is not None and hasattr(info, "headers"):
        with contextlib.suppress(Exception):
            headers = {k: v for k, v in info.headers.items() if k not in _SENSITIVE_HEADERS}
            from multidict import CIMultiDict, CIMultiDictProxy

            kept = CIMultiDictProxy(CIMultiDict(headers))
            internal._request_info = type(info)(info.url, info.method, kept, info.real_url)


class RedactionPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Outermost policy: after the last attempt, redact the request and the transport's copy."""

    def on_response(
        self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]
    ) -> None:
        redact_request(request.http_request)
        internal = getattr(response.http_response, "_internal_response", None)
        if internal is not None:
            _redact_transport_response(internal)

    def on_exception(self, request: PipelineRequest[Any]) -> None:
        redact_request(request.http_request)
        _redact_exception(sys.exc_info()[1])


def _redact_exception(error: BaseException | None) -> None:
    """A transport's exception (requests' ``ConnectionError`` ...) keeps the prepared request,
    body included, and azure-core wraps it (``inner_exception``, ``exc_value``, ``__cause__``)."""
    seen: set[int] = set()
    pending: list[Any] = [error]
    while pending and len(seen) < 16:
        link = pending.pop()
        if link is None or id(link) in seen:
            continue
        seen.add(id(link))
        prepared = getattr(link, "request", None)
        if prepared is not None:
            if hasattr(prepared, "body"):
                with contextlib.suppress(Exception):
                    prepared.body = None
                _drop_headers(getattr(prepared, "headers", None) or {})
            else:
                redact_request(prepared)
        response = getattr(link, "response", None)
        internal = getattr(response, "_internal_response", None) or response
        if internal is not None and not isinstance(internal, (str, bytes)):
            _redact_transport_response(internal)
        pending.extend(
            getattr(link, name, None)
            for name in ("inner_exception", "exc_value", "__cause__", "__context__")
        )
