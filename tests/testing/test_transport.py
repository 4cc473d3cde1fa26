"""FakeVault's wire: transports, the 401 challenge, credentials, hosts and the request log."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from azure.core.exceptions import ResourceNotFoundError, ServiceRequestError
from azure.core.rest import HttpRequest
from azure.keyvault.secrets._shared import HttpChallengeCache

from safevault.testing import FakeVault

CHALLENGE = (
    'Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47",'
    ' resource="https://vault.azure.net"'
)


@pytest.fixture(autouse=True)
def _fresh_challenge_cache() -> Iterator[None]:
    HttpChallengeCache.clear()
    yield
    HttpChallengeCache.clear()


def _send(fake: FakeVault, method: str, url: str, **kw: object) -> object:
    return fake.transport.send(HttpRequest(method, url, **kw))  # type: ignore[arg-type]


def test_unauthenticated_request_gets_the_challenge() -> None:
    fake = FakeVault()
    response = fake.transport.send(HttpRequest("GET", f"{fake.vault_url}/secrets?api-version=7.6"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    assert response.json()["error"]["code"] == "Unauthorized"
    assert fake.requests == [("GET", "/secrets", 401)]


def test_every_unauthenticated_request_is_challenged() -> None:
    fake = FakeVault()
    fake.secret_client().set_secret("a", "v")
    response = fake.transport.send(
        HttpRequest("GET", f"{fake.vault_url}/secrets/a/?api-version=7.6", headers={})
    )
    assert response.status_code == 401
    basic = fake.transport.send(
        HttpRequest(
            "GET",
            f"{fake.vault_url}/secrets/a/?api-version=7.6",
            headers={"Authorization": "Basic x"},
        )
    )
    assert basic.status_code == 401


def test_authorized_raw_request_is_served() -> None:
    fake = FakeVault()
    response = fake.transport.send(
        HttpRequest(
            "PUT",
            f"{fake.vault_url}/secrets/raw?api-version=7.6",
            headers={"Authorization": "Bearer anything"},
            json={"value": "v", "tags": {"k": "v"}},
        )
    )
    assert response.status_code == 200
    body = json.loads(response.text())
    assert body["value"] == "v"
    assert body["id"].startswith(f"{fake.vault_url}/secrets/raw/")
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.read() == response.content


def test_missing_api_version_is_400() -> None:
    fake = FakeVault()
    response = fake.transport.send(
        HttpRequest("GET", f"{fake.vault_url}/secrets", headers={"Authorization": "Bearer t"})
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadParameter"


@pytest.mark.parametrize("version", ["7.0", "7.3", "7.6", "2016-10-01", "2025-07-01", "2026-04-01"])
def test_every_supported_api_version_is_accepted(version: str) -> None:
    fake = FakeVault()
    response = fake.transport.send(
        HttpRequest(
            "GET",
            f"{fake.vault_url}/secrets?api-version={version}",
            headers={"Authorization": "Bearer t"},
        )
    )
    assert response.status_code == 200
    assert response.json() == {"value": [], "nextLink": None}


def test_unknown_route_and_method() -> None:
    fake = FakeVault()
    auth = {"Authorization": "Bearer t"}
    nowhere = fake.transport.send(
        HttpRequest("GET", f"{fake.vault_url}/nowhere?api-version=7.6", headers=auth)
    )
    assert nowhere.status_code == 404
    wrong = fake.transport.send(
        HttpRequest("POST", f"{fake.vault_url}/secrets/x?api-version=7.6", headers=auth)
    )
    assert wrong.status_code == 405


def test_port_443_is_the_same_vault() -> None:
    fake = FakeVault()
    fake.secret_client().set_secret("p", "v")
    response = fake.transport.send(
        HttpRequest(
            "GET",
            "https://fake.vault.azure.net:443/secrets/p/?api-version=7.6",
            headers={"Authorization": "Bearer t"},
        )
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "https://other.vault.azure.net/secrets?api-version=7.6",
        "https://fake.vault.azure.net:8443/secrets?api-version=7.6",
        "http://fake.vault.azure.net/secrets?api-version=7.6",
    ],
)
def test_other_hosts_do_not_resolve(url: str) -> None:
    fake = FakeVault()
    with pytest.raises(ServiceRequestError):
        fake.transport.send(HttpRequest("GET", url))
    assert fake.requests == []


def test_custom_vault_url() -> None:
    fake = FakeVault(vault_url="https://mine.vault.azure.net/")
    assert fake.vault_url == "https://mine.vault.azure.net"
    secret = fake.secret_client().set_secret("s", "v")
    assert secret.id.startswith("https://mine.vault.azure.net/secrets/s/")


def test_vault_url_must_be_https() -> None:
    with pytest.raises(ValueError):
        FakeVault(vault_url="http://fake.vault.azure.net")


def test_requests_log_has_decoded_paths_without_query() -> None:
    fake = FakeVault()
    client = fake.secret_client()
    client.set_secret("a-b", "v")
    with pytest.raises(ResourceNotFoundError):
        client.get_secret("missing")
    list(client.list_properties_of_secret_versions("a-b", max_page_size=5))
    assert fake.requests == [
        ("PUT", "/secrets/a-b", 401),
        ("PUT", "/secrets/a-b", 200),
        ("GET", "/secrets/missing/", 404),
        ("GET", "/secrets/a-b/versions", 200),
    ]


def test_credential_records_scopes_and_tokens_live_an_hour() -> None:
    import time

    fake = FakeVault()
    fake.secret_client().set_secret("a", "v")
    assert fake.credential.scopes == [("https://vault.azure.net/.default",)]
    token = fake.credential.get_token("x/.default")
    assert token.token.startswith("fake-token-")
    assert 3590 <= token.expires_on - time.time() <= 3600


async def test_async_credential_records_scopes() -> None:
    fake = FakeVault()
    async with fake.aio_secret_client() as client:
        await client.set_secret("a", "v")
    assert fake.async_credential.scopes == [("https://vault.azure.net/.default",)]
    assert fake.credential.scopes == []


def test_foreign_challenge_resource_gets_no_token() -> None:
    fake = FakeVault()
    fake.challenge_resource = "https://evil.example.com"
    with pytest.raises(ValueError, match="does not match"):
        fake.secret_client().set_secret("a", "v")
    assert fake.credential.scopes == []
    assert fake.requests == [("PUT", "/secrets/a", 401)]


def test_transport_sleep_returns_at_once_and_records() -> None:
    import time

    fake = FakeVault()
    start = time.monotonic()
    fake.transport.sleep(30)
    assert time.monotonic() - start < 1
    assert fake.sleeps == [30]


async def test_async_transport() -> None:
    fake = FakeVault()
    await fake.async_transport.sleep(12)
    assert fake.sleeps == [12]
    async with fake.async_transport as transport:
        await transport.open()
        response = await transport.send(
            HttpRequest("GET", f"{fake.vault_url}/secrets?api-version=7.6")
        )
        assert response.status_code == 401
        assert await response.read() == response.content
        await response.close()
        await transport.close()


def test_transport_context_manager_and_reuse_after_close() -> None:
    fake = FakeVault()
    with fake.secret_client() as client:
        client.set_secret("a", "v")
    with fake.transport as transport:
        transport.open()
    assert fake.secret_client().get_secret("a").value == "v"
