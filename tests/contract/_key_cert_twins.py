"""Sync/async twins for the key, cryptography and certificate contract tests.

:class:`Twin` runs one test body against the sync SDK clients (each call in a worker thread)
or the ``.aio`` clients (awaited), so every contract test exists in both flavours. Method names
are the SDK's; the few that differ between the two (pollers) have their own helpers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest

from ._backend import Backend


class Twin:
    """The key, crypto and certificate clients of one flavour (``"sync"`` or ``"aio"``)."""

    def __init__(self, backend: Backend, flavor: str, stack: contextlib.AsyncExitStack) -> None:
        self.backend = backend
        self.flavor = flavor
        self.aio = flavor == "aio"
        self._stack = stack
        self._keys: Any = None
        self._certs: Any = None
        self._secrets: Any = None
        self.interval = 0 if backend.kind == "fake" else 1  # poller sleep, seconds

    async def _client(self, factory: str, *args: Any) -> Any:
        if not self.aio:
            return getattr(self.backend, factory)(*args)
        client = getattr(self.backend, f"aio_{factory}")(*args)
        return await self._stack.enter_async_context(client)

    async def _run(self, fn: Any, *args: Any, **kw: Any) -> Any:
        if self.aio:
            return await fn(*args, **kw)
        return await asyncio.to_thread(fn, *args, **kw)

    # -- KeyClient ---------------------------------------------------------------------------

    async def key_client(self) -> Any:
        """The ``KeyClient`` (made on first use)."""
        if self._keys is None:
            self._keys = await self._client("key_client")
        return self._keys

    async def cert_client(self) -> Any:
        """The ``CertificateClient`` (made on first use)."""
        if self._certs is None:
            self._certs = await self._client("certificate_client")
        return self._certs

    async def keys(self, method: str, *args: Any, **kw: Any) -> Any:
        """Call ``KeyClient.<method>``."""
        return await self._run(getattr(await self.key_client(), method), *args, **kw)

    async def key_list(self, method: str, *args: Any, **kw: Any) -> list[Any]:
        """All items of a ``KeyClient`` listing."""
        return await self._collect(await self._paged("keys", method, *args, **kw))

    async def key_pages(self, method: str, *args: Any, **kw: Any) -> list[list[Any]]:
        """A ``KeyClient`` listing, page by page."""
        return await self._collect_pages(await self._paged("keys", method, *args, **kw))

    async def delete_key(self, name: str) -> Any:
        return await self._poll("keys", "delete_key", name)

    async def recover_key(self, name: str) -> Any:
        return await self._poll("keys", "recover_deleted_key", name)

    async def send(
        self, method: str, path: str, body: Any = None, *, via: str = "keys"
    ) -> tuple[int, Any]:
        """A raw request through ``KeyClient.send_request`` (the client's own pipeline)."""
        request = HttpRequest(method, path, json=body)
        client = await (self.key_client() if via == "keys" else self.cert_client())
        response = await self._run(client.send_request, request)
        if self.aio:
            await response.read()
        return response.status_code, (response.json() if response.content else None)

    # -- SecretClient ------------------------------------------------------------------------

    async def secrets(self, method: str, *args: Any, **kw: Any) -> Any:
        """Call ``SecretClient.<method>`` (to read a certificate's backing secret)."""
        if self._secrets is None:
            self._secrets = await self._client("secret_client")
        return await self._run(getattr(self._secrets, method), *args, **kw)

    # -- CryptographyClient ------------------------------------------------------------------

    async def crypto(self, key_id: str, method: str, *args: Any, **kw: Any) -> Any:
        """Call ``CryptographyClient(key_id).<method>`` (a fresh client per key id)."""
        client = await self._client("crypto_client", key_id)
        return await self._run(getattr(client, method), *args, **kw)

    # -- CertificateClient -------------------------------------------------------------------

    async def certs(self, method: str, *args: Any, **kw: Any) -> Any:
        """Call ``CertificateClient.<method>``."""
        return await self._run(getattr(await self.cert_client(), method), *args, **kw)

    async def cert_list(self, method: str, *args: Any, **kw: Any) -> list[Any]:
        return await self._collect(await self._paged("certs", method, *args, **kw))

    async def create_certificate(self, name: str, policy: Any, **kw: Any) -> Any:
        """``begin_create_certificate(...).result()`` or ``await create_certificate(...)``."""
        client = await self.cert_client()
        if self.aio:
            return await client.create_certificate(
                name, policy, _polling_interval=self.interval, **kw
            )

        def run() -> Any:
            return client.begin_create_certificate(
                name, policy, _polling_interval=self.interval, **kw
            ).result()

        return await asyncio.to_thread(run)

    async def delete_certificate(self, name: str) -> Any:
        return await self._poll("certs", "delete_certificate", name)

    async def recover_certificate(self, name: str) -> Any:
        return await self._poll("certs", "recover_deleted_certificate", name)

    # -- plumbing ------------------------------------------------------------------------------

    async def _paged(self, which: str, method: str, *args: Any, **kw: Any) -> Any:
        client = await (self.key_client() if which == "keys" else self.cert_client())
        return getattr(client, method)(*args, **kw)

    async def _collect(self, paged: Any) -> list[Any]:
        if self.aio:
            return [item async for item in paged]
        return await asyncio.to_thread(list, paged)

    async def _collect_pages(self, paged: Any) -> list[list[Any]]:
        if self.aio:
            return [[item async for item in page] async for page in paged.by_page()]
        return await asyncio.to_thread(lambda: [list(page) for page in paged.by_page()])

    async def _poll(self, which: str, method: str, name: str) -> Any:
        client = await (self.key_client() if which == "keys" else self.cert_client())
        if self.aio:
            return await getattr(client, method)(name, _polling_interval=self.interval)

        def run() -> Any:
            poller = getattr(client, f"begin_{method}")(name, _polling_interval=self.interval)
            poller.wait()
            return poller.result()

        return await asyncio.to_thread(run)


@contextlib.asynccontextmanager
async def open_twin(backend: Backend, flavor: str) -> AsyncIterator[Twin]:
    """A :class:`Twin` of ``flavor``; async clients are closed on exit."""
    async with contextlib.AsyncExitStack() as stack:
        yield Twin(backend, flavor, stack)
    if backend.kind == "real":
        _cleanup_real(backend)


def _cleanup_real(backend: Backend) -> None:
    """Best effort: delete and purge the keys and certificates a test made on a real vault."""
    keys, certs = backend.key_client(), backend.certificate_client()
    for name in backend.names:
        for delete, purge in (
            (certs.begin_delete_certificate, certs.purge_deleted_certificate),
            (keys.begin_delete_key, keys.purge_deleted_key),
        ):
            with contextlib.suppress(HttpResponseError):
                delete(name).wait()
            with contextlib.suppress(HttpResponseError):
                purge(name)


def error_code(error: HttpResponseError) -> str | None:
    """The ``error.code`` of a Key Vault error answer."""
    return error.error.code if error.error is not None else None
