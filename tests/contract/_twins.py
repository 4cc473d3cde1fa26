"""One async interface over the sync and the async SecretClient, so each test runs on both.

The sync flavour calls the real sync ``SecretClient`` in a worker thread; the aio flavour
awaits the real ``azure.keyvault.secrets.aio.SecretClient``. Exceptions come straight from the
SDK in both cases.
"""

from __future__ import annotations

import asyncio
from typing import Any

PageList = list[tuple[list[Any], str | None]]


class SyncSecrets:
    """The sync SDK client behind an async facade."""

    flavor = "sync"

    def __init__(self, client: Any) -> None:
        self.client = client

    async def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def set(self, name: str, value: str, **kw: Any) -> Any:
        return await self._call(self.client.set_secret, name, value, **kw)

    async def get(self, name: str, version: str | None = None) -> Any:
        return await self._call(self.client.get_secret, name, version)

    async def update(self, name: str, version: str | None = None, **kw: Any) -> Any:
        return await self._call(self.client.update_secret_properties, name, version, **kw)

    async def list_secrets(self, **kw: Any) -> list[Any]:
        return await self._call(lambda: list(self.client.list_properties_of_secrets(**kw)))

    async def list_versions(self, name: str, **kw: Any) -> list[Any]:
        return await self._call(
            lambda: list(self.client.list_properties_of_secret_versions(name, **kw))
        )

    async def version_pages(self, name: str, **kw: Any) -> PageList:
        def run() -> PageList:
            pages = self.client.list_properties_of_secret_versions(name, **kw).by_page()
            out: PageList = []
            for page in pages:
                out.append((list(page), pages.continuation_token))
            return out

        return await self._call(run)

    async def secret_pages(self, **kw: Any) -> PageList:
        def run() -> PageList:
            pages = self.client.list_properties_of_secrets(**kw).by_page()
            return [(list(page), pages.continuation_token) for page in pages]

        return await self._call(run)

    async def delete(self, name: str) -> Any:
        def run() -> Any:
            poller = self.client.begin_delete_secret(name, _polling_interval=1)
            poller.wait()
            return poller.result()

        return await self._call(run)

    async def get_deleted(self, name: str) -> Any:
        return await self._call(self.client.get_deleted_secret, name)

    async def list_deleted(self, **kw: Any) -> list[Any]:
        return await self._call(lambda: list(self.client.list_deleted_secrets(**kw)))

    async def recover(self, name: str) -> Any:
        def run() -> Any:
            poller = self.client.begin_recover_deleted_secret(name, _polling_interval=1)
            poller.wait()
            return poller.result()

        return await self._call(run)

    async def purge(self, name: str) -> None:
        await self._call(self.client.purge_deleted_secret, name)

    async def backup(self, name: str) -> bytes:
        result: bytes = await self._call(self.client.backup_secret, name)
        return result

    async def restore(self, blob: bytes) -> Any:
        return await self._call(self.client.restore_secret_backup, blob)


class AioSecrets:
    """The async SDK client, awaited directly."""

    flavor = "aio"

    def __init__(self, client: Any) -> None:
        self.client = client

    async def set(self, name: str, value: str, **kw: Any) -> Any:
        return await self.client.set_secret(name, value, **kw)

    async def get(self, name: str, version: str | None = None) -> Any:
        return await self.client.get_secret(name, version)

    async def update(self, name: str, version: str | None = None, **kw: Any) -> Any:
        return await self.client.update_secret_properties(name, version, **kw)

    async def list_secrets(self, **kw: Any) -> list[Any]:
        return [p async for p in self.client.list_properties_of_secrets(**kw)]

    async def list_versions(self, name: str, **kw: Any) -> list[Any]:
        return [p async for p in self.client.list_properties_of_secret_versions(name, **kw)]

    async def _pages(self, paged: Any) -> PageList:
        pages = paged.by_page()
        out: PageList = []
        async for page in pages:
            out.append(([p async for p in page], pages.continuation_token))
        return out

    async def version_pages(self, name: str, **kw: Any) -> PageList:
        return await self._pages(self.client.list_properties_of_secret_versions(name, **kw))

    async def secret_pages(self, **kw: Any) -> PageList:
        return await self._pages(self.client.list_properties_of_secrets(**kw))

    async def delete(self, name: str) -> Any:
        return await self.client.delete_secret(name, _polling_interval=1)

    async def get_deleted(self, name: str) -> Any:
        return await self.client.get_deleted_secret(name)

    async def list_deleted(self, **kw: Any) -> list[Any]:
        return [d async for d in self.client.list_deleted_secrets(**kw)]

    async def recover(self, name: str) -> Any:
        return await self.client.recover_deleted_secret(name, _polling_interval=1)

    async def purge(self, name: str) -> None:
        await self.client.purge_deleted_secret(name)

    async def backup(self, name: str) -> bytes:
        result: bytes = await self.client.backup_secret(name)
        return result

    async def restore(self, blob: bytes) -> Any:
        return await self.client.restore_secret_backup(blob)
