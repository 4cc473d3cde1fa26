"""A failed call's exception holds no value: not the request body, not the bearer token.

azure-core errors pass through with the same type, status, error code and message, but the
request they keep (``error.response.request``), the transport's own copy of it and anything
``pickle`` would write out lose the body and the ``Authorization`` header first. Argument
errors never quote what was passed where a name belongs.
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

import safevault
import safevault.aio
from adversarial._reach import holds
from safevault import InvalidArgumentError
from safevault.testing import FakeVault, FakeVaultServer

VALUE = "Zq-value-ghijklmnopqrstuv"


def _set_failing(vault: Any, fake: FakeVault, fault: Any) -> BaseException:
    fake.inject(fault, times=5, match=("PUT", "/secrets/victim"))
    try:
        with pytest.raises((HttpResponseError, ServiceRequestError, ServiceResponseError)) as info:
            vault.set_secret("victim", VALUE)
    finally:
        fake.clear_faults()
    return info.value


async def _aset_failing(vault: Any, fake: FakeVault, fault: Any) -> BaseException:
    fake.inject(fault, times=5, match=("PUT", "/secrets/victim"))
    try:
        with pytest.raises((HttpResponseError, ServiceRequestError, ServiceResponseError)) as info:
            await vault.set_secret("victim", VALUE)
    finally:
        fake.clear_faults()
    return info.value


def _assert_clean(error: BaseException) -> None:
    assert not holds(error, VALUE), "the value is reachable from the exception (or its pickle)"
    assert not holds(error, "Bearer "), "the bearer token is reachable from the exception"
    response = getattr(error, "response", None)
    if response is not None:
        assert response.request.content is None
        assert "Authorization" not in response.request.headers


def _same_as_the_sdk(error: BaseException, fake: FakeVault) -> None:
    """What the plain SDK client raises for the same answer: type, status, code, message."""
    fake.inject(400, match=("PUT", "/secrets/victim"))
    with pytest.raises(HttpResponseError) as raw:
        fake.secret_client().set_secret("victim", "other")
    assert type(error) is type(raw.value)
    assert error.status_code == raw.value.status_code == 400  # type: ignore[attr-defined]
    assert error.error.code == raw.value.error.code  # type: ignore[attr-defined]
    assert error.message == raw.value.message  # type: ignore[attr-defined]


def test_in_process_sync() -> None:
    fake = FakeVault()
    with fake.vault() as vault:
        error = _set_failing(vault, fake, 400)
    _assert_clean(error)
    _same_as_the_sdk(error, fake)


def test_in_process_aio() -> None:
    fake = FakeVault()

    async def run() -> BaseException:
        async with fake.aio_vault() as vault:
            return await _aset_failing(vault, fake, 400)

    error = asyncio.run(run())
    _assert_clean(error)
    _same_as_the_sdk(error, fake)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVaultServer]:
    with FakeVaultServer() as srv:
        yield srv


def _options(server: FakeVaultServer) -> dict[str, Any]:
    return {
        "allow_any_host": True,
        "verify_challenge_resource": False,
        "connection_verify": str(server.ca_file),
        "retry_total": 0,
    }


@pytest.mark.parametrize("fault", [400, 503, ServiceRequestError], ids=["400", "503", "dropped"])
def test_over_https_with_requests(server: FakeVaultServer, fault: Any) -> None:
    """The requests transport keeps a prepared request (body, headers) on its response and on
    its connection errors."""
    vault = safevault.Vault(server.url, credential=server.fake.credential, **_options(server))
    with vault:
        error = _set_failing(vault, server.fake, fault)
    _assert_clean(error)
    internal = getattr(getattr(error, "response", None), "_internal_response", None)
    if internal is not None:
        assert internal.request.body is None
        assert "Authorization" not in internal.request.headers


@pytest.mark.parametrize("fault", [400, 503, ServiceRequestError], ids=["400", "503", "dropped"])
def test_over_https_with_aiohttp(server: FakeVaultServer, fault: Any) -> None:
    """aiohttp keeps the request's headers (the bearer token) in its response's request info."""

    async def run() -> BaseException:
        async with safevault.aio.Vault(
            server.url, credential=server.fake.async_credential, **_options(server)
        ) as vault:
            return await _aset_failing(vault, server.fake, fault)

    error = asyncio.run(run())
    _assert_clean(error)
    internal = getattr(getattr(error, "response", None), "_internal_response", None)
    if internal is not None:
        assert "Authorization" not in internal.request_info.headers


def test_successful_calls_still_work_after_redaction(server: FakeVaultServer) -> None:
    """The redaction happens after the last attempt: a retried write still carries its body."""
    options = {**_options(server), "retry_total": 2}
    with safevault.Vault(server.url, credential=server.fake.credential, **options) as vault:
        server.fake.inject(503, match=("PUT", "/secrets/retried"))
        written = vault.set_secret("retried", VALUE)
        vault.invalidate()
        assert vault.get_secret("retried").value == VALUE
        assert written.version


@pytest.mark.parametrize(
    "call",
    [
        lambda v: v.set_secret("Zq value ghijklmnop!", "db-password"),
        lambda v: v.get_secret("Zq value ghijklmnop!"),
        lambda v: v.get_secret("Zq-value/ghijklmnop"),
        lambda v: v.create_key("Zq value ghijklmnop!"),
        lambda v: v.get_certificate("Zq value ghijklmnop!"),
        lambda v: v.invalidate("Zq value ghijklmnop!"),
        lambda v: v.get_secret("x" * 128 + "Zq value ghijklmnop"),
    ],
)
def test_a_value_in_the_name_position_is_never_quoted(call: Any) -> None:
    """``set_secret(value, name)`` by mistake: the error must not repeat the value."""
    fake = FakeVault()
    with fake.vault() as vault, pytest.raises(InvalidArgumentError) as info:
        call(vault)
    assert not holds(info.value, "Zq value") and not holds(info.value, "Zq-value")
    assert not holds(info.value, "ghijklmnop")
    assert "name" in str(info.value)
    assert fake.requests == []


def test_pickled_error_round_trips_without_the_value() -> None:
    """An error reporter that pickles the exception (multiprocessing, task queues) gets the
    status and code, and no value."""
    fake = FakeVault()
    with fake.vault() as vault:
        error = _set_failing(vault, fake, 400)
    restored = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert restored.status_code == 400
    assert VALUE not in repr(vars(restored))
