"""Secrets: Key Vault's error answers, their JSON shape and the SDK exception types."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest

from ._backend import Backend

INVALID_NAMES = ["under_score", "dot.name", "a" * 128, "spa ce", "ümlaut"]


@pytest.mark.parametrize("name", INVALID_NAMES, ids=["underscore", "dot", "128", "space", "umlaut"])
async def test_invalid_name_is_400_bad_parameter(secret_ops: Any, name: str) -> None:
    with pytest.raises(HttpResponseError) as info:
        await secret_ops.set(name, "v")
    assert info.value.status_code == 400
    assert info.value.error.code == "BadParameter"


async def test_longest_valid_name_is_accepted(backend: Backend, secret_ops: Any) -> None:
    name = backend.name + "-" + "x" * (127 - len(backend.name) - 1)
    backend.names.append(name)
    assert len(name) == 127
    assert (await secret_ops.set(name, "v")).name == name


async def test_value_over_25_kib_is_400(backend: Backend, secret_ops: Any) -> None:
    with pytest.raises(HttpResponseError) as info:
        await secret_ops.set(backend.name, "é" * 12_800 + "x")  # 25,601 bytes
    assert info.value.status_code == 400
    assert info.value.error.code == "BadParameter"
    with pytest.raises(ResourceNotFoundError):
        await secret_ops.get(backend.name)


async def test_content_type_over_255_chars_is_400(backend: Backend, secret_ops: Any) -> None:
    await secret_ops.set(backend.name, "v", content_type="c" * 255)
    with pytest.raises(HttpResponseError) as info:
        await secret_ops.set(backend.name, "v", content_type="c" * 256)
    assert info.value.status_code == 400
    assert info.value.error.code == "BadParameter"
    assert len(await secret_ops.list_versions(backend.name)) == 1


async def test_missing_secret_is_404_secret_not_found(backend: Backend, secret_ops: Any) -> None:
    with pytest.raises(ResourceNotFoundError) as info:
        await secret_ops.get(backend.name)
    err = info.value
    assert err.status_code == 404
    assert err.error.code == "SecretNotFound"
    assert f"A secret with (name/id) {backend.name} was not found in this key vault" in (
        err.error.message
    )


async def test_missing_version_is_404(backend: Backend, secret_ops: Any) -> None:
    await secret_ops.set(backend.name, "v")
    missing = "0" * 32
    with pytest.raises(ResourceNotFoundError) as info:
        await secret_ops.get(backend.name, missing)
    assert info.value.error.code == "SecretNotFound"
    assert missing in info.value.error.message


async def test_error_body_is_key_vault_error_json(backend: Backend, secret_ops: Any) -> None:
    with pytest.raises(ResourceNotFoundError) as info:
        await secret_ops.get(backend.name)
    body = info.value.response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "SecretNotFound"
    assert isinstance(body["error"]["message"], str)
    assert info.value.response.headers["Content-Type"].startswith("application/json")


def test_unknown_api_version_is_400(backend: Backend) -> None:
    client = backend.secret_client()
    response = client.send_request(HttpRequest("GET", "/secrets?api-version=1999-01-01"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadParameter"


@pytest.mark.parametrize("api_version", ["7.5", "7.6"])
def test_supported_api_versions_are_served(backend: Backend, api_version: str) -> None:
    client = backend.secret_client(api_version=api_version)
    client.set_secret(backend.name, "v")
    assert client.get_secret(backend.name).value == "v"


@pytest.mark.usefixtures("clear_challenge_caches")
def test_first_request_is_challenged_without_body(backend: Backend) -> None:
    sent: list[tuple[str | None, bytes]] = []
    statuses: list[int] = []

    def on_request(request: Any) -> None:
        http = request.http_request
        content = http.content or b""
        body = content.encode() if isinstance(content, str) else bytes(content)
        sent.append((http.headers.get("Authorization"), body))

    def on_response(response: Any) -> None:
        statuses.append(response.http_response.status_code)

    client = backend.secret_client(raw_request_hook=on_request, raw_response_hook=on_response)
    client.set_secret(backend.name, "challenge-me")
    assert statuses == [401, 200]
    assert sent[0] == (None, b"")
    assert sent[1][0] is not None and sent[1][0].startswith("Bearer ")
    assert b"challenge-me" in sent[1][1]
    challenge = client.get_secret(backend.name)  # the challenge is now cached
    assert challenge.value == "challenge-me"
    assert statuses == [401, 200, 200]


@pytest.mark.usefixtures("clear_challenge_caches")
async def test_first_async_request_is_challenged(backend: Backend) -> None:
    statuses: list[int] = []
    async with backend.aio_secret_client(
        raw_response_hook=lambda r: statuses.append(r.http_response.status_code)
    ) as client:
        with pytest.raises(ResourceNotFoundError):
            await client.get_secret(backend.name)
    assert statuses == [401, 404]
