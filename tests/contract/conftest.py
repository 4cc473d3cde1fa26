"""Contract suite: Key Vault behaviour asserted through the real Azure SDK clients only.

The same tests run against several backends, chosen by environment variables:

* ``fake`` (default): :class:`safevault.testing.FakeVault`, in-process.
* ``lowkey``: the Lowkey Vault emulator, with ``SAFEVAULT_TEST_BACKEND=lowkey`` (or a
  comma-separated list such as ``fake,lowkey``); server at ``SAFEVAULT_LOWKEY_URL``
  (default ``https://127.0.0.1:8443``).
* ``real``: an Azure Key Vault at ``SAFEVAULT_TEST_VAULT_URL`` through ``DefaultAzureCredential``;
  added automatically when that variable is set, skipped when ``real`` is requested without it.

Writing a contract test
-----------------------
Take the ``backend`` fixture (a :class:`tests.contract._backend.Backend`)::

    def test_something(backend):
        client = backend.secret_client()          # sync SDK client; closed at teardown
        client.set_secret(backend.name, "v")      # backend.name: unique per test ("t-1a2b3c4d")

    async def test_something_async(backend):
        async with backend.aio_secret_client() as client:   # async clients: use ``async with``
            await client.set_secret(backend.name, "v")

``backend`` offers ``secret_client``, ``key_client``, ``certificate_client``,
``crypto_client(key_id)`` and their ``aio_*`` twins (``**kw`` goes to the SDK client),
``vault_url``, ``name``, ``new_name(prefix)`` (more unique names), ``kind``
(``"fake"``/``"lowkey"``/``"real"``), ``fake`` (the FakeVault on the fake backend, else None),
``purgeable`` and ``purgeable_backend()`` (a backend whose vault allows purge: Lowkey's default
vault answers 500 to purge, so there it is a second vault made through Lowkey's management API),
``add_cleanup(fn)`` (best-effort teardown for real vaults) and ``expect(...)``.

Where Lowkey Vault diverges from Azure, assert Azure's documented behaviour and make the
divergence explicit -- never skip::

    @pytest.mark.lowkey_divergence(reason="Lowkey answers 404 for a disabled secret")
    def test_disabled(backend):
        status = backend.expect(azure=403, lowkey=404, reason="Lowkey answers 404 for ...")

``expect`` refuses a divergence on a test without the marker. Tests of FakeVault's own controls
(``inject``, ``advance``, ``rate_limit``, the request log) do not belong here but in
``tests/testing/``.

Fixtures: ``backend``; ``purgeable_backend`` (= ``backend.purgeable_backend()``);
``clear_challenge_caches`` (empties the SDK's process-global challenge caches of the secrets,
keys and certificates packages); ``secret_ops`` / ``purgeable_secret_ops`` (parametrized
``sync``/``aio``: one async facade over the sync and the async SecretClient, see ``_twins.py``,
so one test body covers both twins).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from ._backend import Backend, make_backend, selected_kinds
from ._twins import AioSecrets, SyncSecrets


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend_kind" in metafunc.fixturenames:
        metafunc.parametrize("backend_kind", selected_kinds(), scope="session")


@pytest.fixture
def backend(backend_kind: str, request: pytest.FixtureRequest) -> Iterator[Backend]:
    """The backend a contract test runs against."""
    be = make_backend(backend_kind, request.node)
    try:
        yield be
    finally:
        be.close()


@pytest.fixture
def purgeable_backend(backend: Backend) -> Backend:
    """A backend whose vault allows purge."""
    return backend.purgeable_backend()


@pytest.fixture
def clear_challenge_caches() -> Iterator[None]:
    """Empty the SDK's process-global challenge caches before and after the test."""

    def clear() -> None:
        from azure.keyvault.certificates._shared import HttpChallengeCache as certs_cache
        from azure.keyvault.keys._shared import HttpChallengeCache as keys_cache
        from azure.keyvault.secrets._shared import HttpChallengeCache as secrets_cache

        for cache in (secrets_cache, keys_cache, certs_cache):
            cache.clear()

    clear()
    yield
    clear()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/contract/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.contract)


@pytest.fixture(params=["sync", "aio"])
async def secret_ops(request: pytest.FixtureRequest, backend: Backend) -> AsyncIterator[Any]:
    """The secrets operations of the sync or the async SDK client (see ``_twins.py``)."""
    async with open_secret_ops(backend, request.param) as ops:
        yield ops


@pytest.fixture(params=["sync", "aio"])
async def purgeable_secret_ops(
    request: pytest.FixtureRequest, purgeable_backend: Backend
) -> AsyncIterator[Any]:
    """Like ``secret_ops``, on a vault where purge works."""
    async with open_secret_ops(purgeable_backend, request.param) as ops:
        yield ops


@contextlib.asynccontextmanager
async def open_secret_ops(backend: Backend, flavor: str) -> AsyncIterator[Any]:
    """Open the twin adapter of ``flavor`` (``"sync"`` or ``"aio"``) on ``backend``."""
    if flavor == "sync":
        yield SyncSecrets(backend.secret_client())
        return
    async with backend.aio_secret_client() as client:
        yield AioSecrets(client)
