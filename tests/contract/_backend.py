"""Backends for the contract suite: FakeVault, Lowkey Vault, or a real Azure Key Vault.

Everything optional (requests, aiohttp, azure-identity) is imported lazily so that this module
imports cleanly on a machine that only runs the fake backend.
"""

from __future__ import annotations

import contextlib
import os
import uuid
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from safevault.testing import FakeVault

KINDS = ("fake", "lowkey", "real")
LOWKEY_DEFAULT_URL = "https://127.0.0.1:8443"
LOWKEY_PURGEABLE_URL = "https://127.0.0.2:8443"
LOWKEY_API_VERSION = "7.6"


def selected_kinds() -> list[str]:
    """The backends this run covers.

    :returns: the kinds named in ``SAFEVAULT_TEST_BACKEND`` (comma-separated, default ``fake``),
        plus ``real`` when ``SAFEVAULT_TEST_VAULT_URL`` is set.
    """
    raw = os.environ.get("SAFEVAULT_TEST_BACKEND", "fake")
    kinds = [k.strip().lower() for k in raw.split(",") if k.strip()] or ["fake"]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise pytest.UsageError(f"SAFEVAULT_TEST_BACKEND: unknown backend(s) {unknown}")
    if os.environ.get("SAFEVAULT_TEST_VAULT_URL") and "real" not in kinds:
        kinds.append("real")
    return kinds


class DummyCredential:
    """Any bearer token: Lowkey Vault only checks that the header is present."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        import time

        return AccessToken("lowkey-dummy-token", int(time.time()) + 3600)


class AsyncDummyCredential:
    """Async twin of :class:`DummyCredential`."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        import time

        return AccessToken("lowkey-dummy-token", int(time.time()) + 3600)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> AsyncDummyCredential:
        return self

    async def __aexit__(self, *args: object) -> None:
        return None


def _lowkey_sync_kwargs() -> dict[str, Any]:
    import urllib3
    from azure.core.pipeline.transport import RequestsTransport

    warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
    return {
        "credential": DummyCredential(),
        "api_version": LOWKEY_API_VERSION,
        "verify_challenge_resource": False,
        "transport": RequestsTransport(connection_verify=False),
    }


def _lowkey_async_kwargs() -> dict[str, Any]:
    from azure.core.pipeline.transport import AioHttpTransport

    return {
        "credential": AsyncDummyCredential(),
        "api_version": LOWKEY_API_VERSION,
        "verify_challenge_resource": False,
        "transport": AioHttpTransport(connection_verify=False),
    }


_lowkey_purgeable_ready: set[str] = set()


def ensure_lowkey_purgeable_vault(base_url: str) -> str:
    """Create (once) Lowkey's purgeable vault through its management API.

    :param base_url: the Lowkey server, e.g. ``https://127.0.0.1:8443``.
    :returns: the purgeable vault's URL.
    """
    if base_url in _lowkey_purgeable_ready:
        return LOWKEY_PURGEABLE_URL
    import requests
    import urllib3

    warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
    body: dict[str, Any] = {
        "baseUri": LOWKEY_PURGEABLE_URL,
        "recoveryLevel": "Recoverable+Purgeable",
        "recoverableDays": 90,
    }
    resp = requests.post(
        f"{base_url.rstrip('/')}/management/vault",
        json=body,
        headers={"Content-Type": "application/json"},
        verify=False,  # noqa: S501 - Lowkey serves a self-signed certificate
        timeout=30,
    )
    if resp.status_code >= 300:
        listing = requests.get(
            f"{base_url.rstrip('/')}/management/vault",
            verify=False,  # noqa: S501 - Lowkey serves a self-signed certificate
            timeout=30,
        )
        if LOWKEY_PURGEABLE_URL not in listing.text:
            pytest.fail(
                f"could not create Lowkey's purgeable vault: {resp.status_code} {resp.text[:300]}"
            )
    _lowkey_purgeable_ready.add(base_url)
    return LOWKEY_PURGEABLE_URL


class Backend:
    """What a contract test talks to; see ``tests/contract/conftest.py`` for the guide.

    :param kind: ``"fake"``, ``"lowkey"`` or ``"real"``.
    :param vault_url: the vault the clients address.
    :param node: the running test item (used to check divergence markers).
    :param fake: the FakeVault when ``kind == "fake"``.
    :param purgeable: whether purge works on this vault.
    """

    def __init__(
        self,
        kind: str,
        vault_url: str,
        node: pytest.Item,
        *,
        fake: FakeVault | None = None,
        purgeable: bool = True,
        lowkey_base: str | None = None,
    ) -> None:
        self.kind = kind
        self.vault_url = vault_url
        self.fake = fake
        self.purgeable = purgeable
        self.name = f"t-{uuid.uuid4().hex[:8]}"
        self.names = [self.name]
        self._node = node
        self._lowkey_base = lowkey_base
        self._cleanups: list[Callable[[], object]] = []
        self._sync_clients: list[Any] = []
        self._purgeable_twin: Backend | None = None

    # -- naming and expectations ---------------------------------------------------------------

    def new_name(self, prefix: str = "t") -> str:
        """Another unique object name for this test.

        :param prefix: the name's prefix.
        :returns: ``{prefix}-{8 hex chars}``.
        """
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.names.append(name)
        return name

    def expect(self, *, azure: Any, lowkey: Any = None, reason: str | None = None) -> Any:
        """The value this backend must produce where Lowkey Vault diverges from Azure.

        The test must also carry ``@pytest.mark.lowkey_divergence(reason=...)`` when
        ``lowkey`` differs from ``azure``, so every divergence is explicit.

        :param azure: Azure's documented behaviour (asserted on the fake and real backends).
        :param lowkey: what Lowkey Vault does instead (None: same as Azure).
        :param reason: why Lowkey differs.
        :returns: the value to assert on this backend.
        """
        if lowkey is not None and lowkey != azure:
            if not reason:
                raise ValueError("expect(): a Lowkey divergence needs a reason")
            if self._node.get_closest_marker("lowkey_divergence") is None:
                raise pytest.UsageError(
                    f"{self._node.nodeid}: mark the test @pytest.mark.lowkey_divergence"
                )
            if self.kind == "lowkey":
                return lowkey
        return azure

    def add_cleanup(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` (best effort) when the test ends; used for real vaults.

        :param fn: a callable taking no arguments.
        """
        self._cleanups.append(fn)

    # -- the purgeable vault -------------------------------------------------------------------

    def purgeable_backend(self) -> Backend:
        """A backend on a vault where purge works (Lowkey's default vault answers 500).

        :returns: this backend, or for Lowkey one on its purgeable vault.
        """
        if self.purgeable:
            return self
        if self._purgeable_twin is None:
            assert self._lowkey_base is not None
            url = ensure_lowkey_purgeable_vault(self._lowkey_base)
            twin = Backend("lowkey", url, self._node, purgeable=True)
            twin.name = self.name
            twin.names = self.names
            self._purgeable_twin = twin
        return self._purgeable_twin

    # -- sync clients ----------------------------------------------------------------------------

    def _sync_kwargs(self) -> dict[str, Any]:
        if self.kind == "lowkey":
            return _lowkey_sync_kwargs()
        from azure.identity import DefaultAzureCredential

        return {"credential": DefaultAzureCredential()}

    def _make(self, cls: Any, fake_factory: str, *args: Any, **kw: Any) -> Any:
        if self.fake is not None:
            client = getattr(self.fake, fake_factory)(*args, **kw)
        else:
            options = self._sync_kwargs()
            options.update(kw)
            credential = options.pop("credential")
            if args:
                client = cls(*args, credential, **options)
            else:
                client = cls(self.vault_url, credential, **options)
        self._sync_clients.append(client)
        return client

    def secret_client(self, **kw: Any) -> Any:
        """A sync ``SecretClient`` on this backend.

        :param kw: passed to the SDK client.
        :returns: the client.
        """
        from azure.keyvault.secrets import SecretClient

        return self._make(SecretClient, "secret_client", **kw)

    def key_client(self, **kw: Any) -> Any:
        """A sync ``KeyClient`` on this backend.

        :param kw: passed to the SDK client.
        :returns: the client.
        """
        from azure.keyvault.keys import KeyClient

        return self._make(KeyClient, "key_client", **kw)

    def certificate_client(self, **kw: Any) -> Any:
        """A sync ``CertificateClient`` on this backend.

        :param kw: passed to the SDK client.
        :returns: the client.
        """
        from azure.keyvault.certificates import CertificateClient

        return self._make(CertificateClient, "certificate_client", **kw)

    def crypto_client(self, key_id: str, **kw: Any) -> Any:
        """A sync ``CryptographyClient`` for ``key_id`` on this backend.

        :param key_id: the key's identifier.
        :param kw: passed to the SDK client.
        :returns: the client.
        """
        from azure.keyvault.keys.crypto import CryptographyClient

        return self._make(CryptographyClient, "crypto_client", key_id, **kw)

    # -- async clients (use them with ``async with``) --------------------------------------------

    def _async_kwargs(self) -> dict[str, Any]:
        if self.kind == "lowkey":
            return _lowkey_async_kwargs()
        from azure.identity.aio import DefaultAzureCredential

        return {"credential": DefaultAzureCredential()}

    def _make_async(self, cls: Any, fake_factory: str, *args: Any, **kw: Any) -> Any:
        if self.fake is not None:
            return getattr(self.fake, fake_factory)(*args, **kw)
        options = self._async_kwargs()
        options.update(kw)
        credential = options.pop("credential")
        if args:
            return cls(*args, credential, **options)
        return cls(self.vault_url, credential, **options)

    def aio_secret_client(self, **kw: Any) -> Any:
        """An async ``SecretClient``; use it with ``async with``.

        :param kw: passed to the SDK client.
        :returns: the client.
        """
        from azure.keyvault.secrets.aio import SecretClient

        return self._make_async(SecretClient, "aio_secret_client", **kw)

    def aio_key_client(self, **kw: Any) -> Any:
        """An async ``KeyClient``; use it with ``async with``.

        :param kw: passed to the SDK client.
        :returns: the client.
        """
        from azure.keyvault.keys.aio import KeyClient

        return self._make_async(KeyClient, "aio_key_client", **kw)

    def aio_certificate_client(self, **kw: Any) -> Any:
        """An async ``CertificateClient``; use it with ``async with``.

        :param kw: passed to the SDK client.
        :returns: the client.
        """
        from azure.keyvault.certificates.aio import CertificateClient

        return self._make_async(CertificateClient, "aio_certificate_client", **kw)

    def aio_crypto_client(self, key_id: str, **kw: Any) -> Any:
        """An async ``CryptographyClient`` for ``key_id``; use it with ``async with``.

        :param key_id: the key's identifier.
        :param kw: passed to the SDK client.
        :returns: the client.
        """
        from azure.keyvault.keys.crypto.aio import CryptographyClient

        return self._make_async(CryptographyClient, "aio_crypto_client", key_id, **kw)

    # -- teardown --------------------------------------------------------------------------------

    def cleanup_secrets(self) -> None:
        """Delete and purge (best effort) the secrets this test may have created."""
        from azure.core.exceptions import HttpResponseError

        client = self.secret_client()
        for name in self.names:
            with contextlib.suppress(HttpResponseError):
                client.begin_delete_secret(name, _polling_interval=1).wait()
            if self.purgeable:
                with contextlib.suppress(HttpResponseError):
                    client.purge_deleted_secret(name)

    def close(self) -> None:
        """Run cleanups (best effort) and close the sync clients."""
        if self.kind != "fake":
            try:
                self.cleanup_secrets()
            except Exception as exc:  # best effort: never mask the test's own outcome
                warnings.warn(f"contract cleanup failed: {exc!r}", stacklevel=1)
        for fn in reversed(self._cleanups):
            try:
                fn()
            except Exception as exc:  # best effort: never mask the test's own outcome
                warnings.warn(f"contract cleanup failed: {exc!r}", stacklevel=1)
        self._cleanups.clear()
        for client in self._sync_clients:
            try:
                client.close()
            except Exception as exc:
                warnings.warn(f"closing a client failed: {exc!r}", stacklevel=1)
        self._sync_clients.clear()
        if self._purgeable_twin is not None:
            self._purgeable_twin.close()


def make_backend(kind: str, node: pytest.Item) -> Backend:
    """Build the backend of ``kind`` for one test.

    :param kind: ``"fake"``, ``"lowkey"`` or ``"real"``.
    :param node: the running test item.
    :returns: the backend; skips the test when ``real`` is not configured.
    """
    if kind == "fake":
        fake = FakeVault()
        return Backend("fake", fake.vault_url, node, fake=fake)
    if kind == "lowkey":
        base = os.environ.get("SAFEVAULT_LOWKEY_URL", LOWKEY_DEFAULT_URL).rstrip("/")
        return Backend("lowkey", base, node, purgeable=False, lowkey_base=base)
    url = os.environ.get("SAFEVAULT_TEST_VAULT_URL")
    if not url:
        pytest.skip("real backend: SAFEVAULT_TEST_VAULT_URL is not set")
    return Backend("real", url.rstrip("/"), node)
