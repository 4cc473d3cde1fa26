"""Every request to the vault, timed by one pipeline policy and named from its method and path.

:class:`RequestTelemetryPolicy` runs outermost in every SDK client safevault builds (one
record per call, retries and the authentication challenge included; a page of a listing is
one call). It records ``safevault.vault.request.duration`` with the operation Key Vault's REST
API names for the request (``get_secret``, ``unwrap_key`` ...), found from the method and the
path template, and the outcome: ``ok``, or the class of the error the SDK raises for the
answer (``ResourceNotFoundError`` for a 404 ...) or the transport raised.

It also leaves the client request id of the call (the ``x-ms-client-request-id`` header that
azure-core's ``RequestIdPolicy`` sets, reused by the challenge and the retries of one call) in
:data:`CLIENT_REQUEST` for the code that made the call: a cache entry keeps the id of the fetch
that produced it.
"""

from __future__ import annotations

import re
import sys
import time
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import SansIOHTTPPolicy

from safevault._telemetry import measuring_requests, record_request

__all__ = ["CLIENT_REQUEST", "RequestTelemetryPolicy", "operation_of", "outcome_of"]

CLIENT_REQUEST: ContextVar[str | None] = ContextVar("safevault_client_request", default=None)
_CLIENT_REQUEST_HEADER = "x-ms-client-request-id"

_START = "safevault.request_started"
_N = r"[^/]+"  # a name or a version id in a path

# (method, path template) -> operation; the first match wins.
_OPERATIONS: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(rf"^{template}/?$", re.IGNORECASE), name)
    for method, template, name in [
        ("GET", r"/secrets", "list_secrets"),
        ("GET", rf"/secrets/{_N}/versions", "list_secret_versions"),
        ("POST", r"/secrets/restore", "restore_secret"),
        ("POST", rf"/secrets/{_N}/backup", "backup_secret"),
        ("GET", rf"/secrets/{_N}(/{_N})?", "get_secret"),
        ("PUT", rf"/secrets/{_N}", "set_secret"),
        ("PATCH", rf"/secrets/{_N}/{_N}", "update_secret_properties"),
        ("DELETE", rf"/secrets/{_N}", "delete_secret"),
        ("GET", r"/deletedsecrets", "list_deleted_secrets"),
        ("GET", rf"/deletedsecrets/{_N}", "get_deleted_secret"),
        ("POST", rf"/deletedsecrets/{_N}/recover", "recover_deleted_secret"),
        ("DELETE", rf"/deletedsecrets/{_N}", "purge_deleted_secret"),
        ("GET", r"/keys", "list_keys"),
        ("GET", rf"/keys/{_N}/versions", "list_key_versions"),
        ("POST", rf"/keys/{_N}/create", "create_key"),
        ("POST", rf"/keys/{_N}/rotate", "rotate_key"),
        ("GET", rf"/keys/{_N}/rotationpolicy", "get_key_rotation_policy"),
        ("PUT", rf"/keys/{_N}/rotationpolicy", "update_key_rotation_policy"),
        ("POST", rf"/keys/{_N}(/{_N})?/encrypt", "encrypt"),
        ("POST", rf"/keys/{_N}(/{_N})?/decrypt", "decrypt"),
        ("POST", rf"/keys/{_N}(/{_N})?/wrapkey", "wrap_key"),
        ("POST", rf"/keys/{_N}(/{_N})?/unwrapkey", "unwrap_key"),
        ("POST", rf"/keys/{_N}(/{_N})?/sign", "sign"),
        ("POST", rf"/keys/{_N}(/{_N})?/verify", "verify"),
        ("POST", r"/keys/restore", "restore_key"),
        ("POST", rf"/keys/{_N}/backup", "backup_key"),
        ("GET", rf"/keys/{_N}(/{_N})?", "get_key"),
        ("PUT", rf"/keys/{_N}", "import_key"),
        ("PATCH", rf"/keys/{_N}(/{_N})?", "update_key_properties"),
        ("DELETE", rf"/keys/{_N}", "delete_key"),
        ("GET", r"/deletedkeys", "list_deleted_keys"),
        ("GET", rf"/deletedkeys/{_N}", "get_deleted_key"),
        ("POST", rf"/deletedkeys/{_N}/recover", "recover_deleted_key"),
        ("DELETE", rf"/deletedkeys/{_N}", "purge_deleted_key"),
        ("GET", r"/certificates", "list_certificates"),
        ("GET", rf"/certificates/{_N}/versions", "list_certificate_versions"),
        ("POST", rf"/certificates/{_N}/create", "create_certificate"),
        ("GET", rf"/certificates/{_N}/pending", "get_certificate_operation"),
        ("PATCH", rf"/certificates/{_N}/pending", "cancel_certificate_operation"),
        ("DELETE", rf"/certificates/{_N}/pending", "delete_certificate_operation"),
        ("GET", rf"/certificates/{_N}/policy", "get_certificate_policy"),
        ("PATCH", rf"/certificates/{_N}/policy", "update_certificate_policy"),
        ("GET", rf"/certificates/{_N}(/{_N})?", "get_certificate"),
        ("PATCH", rf"/certificates/{_N}(/{_N})?", "update_certificate_properties"),
        ("DELETE", rf"/certificates/{_N}", "delete_certificate"),
        ("GET", r"/deletedcertificates", "list_deleted_certificates"),
        ("GET", rf"/deletedcertificates/{_N}", "get_deleted_certificate"),
        ("POST", rf"/deletedcertificates/{_N}/recover", "recover_deleted_certificate"),
        ("DELETE", rf"/deletedcertificates/{_N}", "purge_deleted_certificate"),
    ]
]

# What the SDK clients raise for an error answer (their error_map), by status
_ERROR_CLASS = {
    304: "ResourceNotModifiedError",
    401: "ClientAuthenticationError",
    404: "ResourceNotFoundError",
    409: "ResourceExistsError",
    412: "ResourceModifiedError",
}


# the templates by method and collection (the path's first segment), for a short search
_BY_COLLECTION: dict[tuple[str, str], list[tuple[re.Pattern[str], str]]] = {}
for _verb, _template, _name in _OPERATIONS:
    _collection = _template.pattern.split("/")[1].lower()
    _BY_COLLECTION.setdefault((_verb, _collection), []).append((_template, _name))


def operation_of(method: str, url: str) -> str:
    """The Key Vault operation a request is: ``get_secret``, ``unwrap_key`` ... (``other``)."""
    path = urlsplit(url).path
    collection = path.split("/", 2)[1].lower() if path.count("/") else ""
    for template, name in _BY_COLLECTION.get((method.upper(), collection), ()):
        if template.match(path):
            return name
    return "other"


def outcome_of(status: int) -> str:
    """``ok``, or the class of the error the SDK raises for an answer with ``status``."""
    if status < 300:
        return "ok"
    return _ERROR_CLASS.get(status, "HttpResponseError")


class RequestTelemetryPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Outermost: times each call of an SDK client, retries and challenge included."""

    def on_request(self, request: PipelineRequest[Any]) -> None:
        request.context[_START] = time.perf_counter()

    def on_response(
        self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]
    ) -> None:
        self._record(request, outcome_of(response.http_response.status_code))

    def on_exception(self, request: PipelineRequest[Any]) -> None:
        error = sys.exc_info()[1]
        self._record(request, type(error).__name__ if error is not None else "error")

    @staticmethod
    def _record(request: PipelineRequest[Any], outcome: str) -> None:
        started = request.context.get(_START)
        if started is None:
            return
        http = request.http_request
        CLIENT_REQUEST.set(http.headers.get(_CLIENT_REQUEST_HEADER))
        if not measuring_requests():
            return  # the histogram is the API's no-op: naming the operation would be wasted
        record_request(operation_of(http.method, http.url), outcome, time.perf_counter() - started)
