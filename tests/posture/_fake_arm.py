"""An in-process Azure Resource Manager for the posture tests (test-only).

The real azure-mgmt clients talk to it through an azure-core transport: vault GET,
diagnostic settings list, role assignments list (``atScope()``, paged with ``nextLink``),
role definitions by id, metric and activity-log alert lists, and 403s on demand. Requests to
any other host go to a FakeVault's transport, so one transport serves ``fetch``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from azure.core.pipeline.transport import HttpTransport
from azure.core.rest import HttpRequest, HttpResponse

from safevault.testing import FakeVault
from safevault.testing._http import FakeResponse
from safevault.testing._transport import FakeHttpResponse

ARM = "management.azure.com"
SUBSCRIPTION = "00000000-0000-0000-0000-00000000feed"
RESOURCE_GROUP = "rg-posture"
SUB_ID = f"/subscriptions/{SUBSCRIPTION}"
RG_ID = f"{SUB_ID}/resourceGroups/{RESOURCE_GROUP}"


def vault_id(name: str) -> str:
    return f"{RG_ID}/providers/Microsoft.KeyVault/vaults/{name}"


def _error(status: int, code: str, message: str) -> FakeResponse:
    return FakeResponse(status, {"error": {"code": code, "message": message}})


class FakeArm:
    """The ARM state and its REST answers."""

    def __init__(self, page_size: int = 2) -> None:
        self.vaults: dict[str, dict[str, Any]] = {}
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        self.role_assignments: list[dict[str, Any]] = []
        self.role_definitions: dict[str, dict[str, Any]] = {}
        self.metric_alerts: list[dict[str, Any]] = []
        self.activity_alerts: list[dict[str, Any]] = []
        self.forbidden: list[str] = []
        self.page_size = page_size
        self.requests: list[tuple[str, str, int]] = []

    def add_vault(self, doc: dict[str, Any]) -> None:
        self.vaults[doc["id"].lower()] = doc

    def handle(self, method: str, url: str) -> FakeResponse:
        parts = urlsplit(url)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query))
        answer = self._route(method, path, query)
        self.requests.append((method, path, answer.status))
        return answer

    def _route(self, method: str, path: str, query: dict[str, str]) -> FakeResponse:
        low = path.lower().rstrip("/")
        if method != "GET":
            return _error(405, "MethodNotAllowed", "read-only fake")
        if any(f.lower() in low for f in self.forbidden):
            return _error(
                403,
                "AuthorizationFailed",
                "The client does not have authorization to perform action over scope.",
            )
        if low.endswith("/providers/microsoft.insights/diagnosticsettings"):
            resource = low.rsplit("/providers/microsoft.insights/diagnosticsettings", 1)[0]
            return FakeResponse(200, {"value": self.diagnostics.get(resource, [])})
        if low.endswith("/providers/microsoft.authorization/roleassignments"):
            return self._assignments(path, low, query)
        if "/providers/microsoft.authorization/roledefinitions/" in low:
            guid = low.rsplit("/", 1)[1]
            found = self.role_definitions.get(guid)
            if found is None:
                return _error(404, "RoleDefinitionDoesNotExist", "no such role definition")
            return FakeResponse(200, found)
        if low == f"{SUB_ID}/providers/microsoft.insights/metricalerts".lower():
            return FakeResponse(200, {"value": self.metric_alerts})
        if low == f"{SUB_ID}/providers/microsoft.insights/activitylogalerts".lower():
            return FakeResponse(200, {"value": self.activity_alerts})
        if low in self.vaults:
            return FakeResponse(200, self.vaults[low])
        if "/providers/microsoft.keyvault/vaults/" in low:
            return _error(404, "ResourceNotFound", "The Resource was not found.")
        return _error(404, "NotFound", f"no route for {path}")

    def _assignments(self, path: str, low: str, query: dict[str, str]) -> FakeResponse:
        scope = low.rsplit("/providers/microsoft.authorization/roleassignments", 1)[0]
        if query.get("$filter") != "atScope()":
            return _error(400, "UnsupportedFilter", "the fake answers atScope() only")

        def covers(assignment: dict[str, Any]) -> bool:
            s = assignment["properties"]["scope"].lower().rstrip("/")
            return (
                s.startswith("/providers/microsoft.management/managementgroups/")
                or scope == s
                or scope.startswith(s + "/")
            )

        matching = [a for a in self.role_assignments if covers(a)]
        start = int(query.get("$skiptoken", "0"))
        page = matching[start : start + self.page_size]
        body: dict[str, Any] = {"value": page}
        if start + self.page_size < len(matching):
            params = {
                "$filter": "atScope()",
                "api-version": query.get("api-version", ""),
                "$skiptoken": str(start + self.page_size),
            }
            body["nextLink"] = f"https://{ARM}{path}?{urlencode(params)}"
        return FakeResponse(200, body)


class RoutingTransport(HttpTransport[HttpRequest, HttpResponse]):
    """ARM requests to a FakeArm, everything else to a FakeVault."""

    def __init__(self, arm: FakeArm, vault: FakeVault) -> None:
        self.arm = arm
        self.vault = vault

    def send(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if urlsplit(request.url).hostname == ARM:
            return FakeHttpResponse(request, self.arm.handle(request.method, request.url))
        return self.vault.transport.send(request, **kwargs)

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def __enter__(self) -> RoutingTransport:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def sleep(self, duration: float) -> None:
        return None


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2)
