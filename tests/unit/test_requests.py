"""Request telemetry names each request from its method and path (no call site names it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from safevault._sdk._requests import operation_of, outcome_of

VAULT = "https://x.vault.azure.net"
ROUTE = re.compile(r'route\("([A-Z]+)", f?"([^"]+)"\)')


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("GET", "/secrets/db/", "get_secret"),
        ("GET", "/secrets/db/0123abcd", "get_secret"),
        ("GET", "/secrets/db/versions", "list_secret_versions"),
        ("GET", "/secrets", "list_secrets"),
        ("PUT", "/secrets/db", "set_secret"),
        ("PATCH", "/secrets/db/0123", "update_secret_properties"),
        ("POST", "/keys/k/0123/unwrapkey", "unwrap_key"),
        ("POST", "/keys/k/wrapkey", "wrap_key"),
        ("POST", "/keys/k/create", "create_key"),
        ("PUT", "/keys/k/rotationpolicy", "update_key_rotation_policy"),
        ("GET", "/certificates/c/pending", "get_certificate_operation"),
        ("POST", "/certificates/c/create", "create_certificate"),
        ("GET", "/nowhere", "other"),
    ],
)
def test_operation_of_a_request(method: str, path: str, operation: str) -> None:
    assert operation_of(method, f"{VAULT}{path}?api-version=7.6") == operation


def test_every_operation_fakevault_serves_has_a_name() -> None:
    """FakeVault's routes are Key Vault's REST API: each one is named."""
    sources = Path(__file__).parents[2] / "src" / "safevault" / "testing"
    routes = {
        (m.group(1), m.group(2))
        for path in sources.glob("*.py")
        for m in ROUTE.finditer(path.read_text())
        if "{segment}" not in m.group(2)
    }
    assert len(routes) > 40
    unnamed = sorted(
        (method, template)
        for method, template in routes
        if operation_of(method, VAULT + template.replace("{name}", "n").replace("{version}", "v"))
        == "other"
    )
    assert unnamed == []


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "ok"),
        (204, "ok"),
        (401, "ClientAuthenticationError"),
        (403, "HttpResponseError"),
        (404, "ResourceNotFoundError"),
        (409, "ResourceExistsError"),
        (429, "HttpResponseError"),
        (503, "HttpResponseError"),
    ],
)
def test_outcome_is_the_class_the_sdk_raises(status: int, outcome: str) -> None:
    assert outcome_of(status) == outcome
