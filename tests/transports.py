"""Transports that wrap FakeVault's own (importable as ``transports``): subclass and override
``send`` to watch, hold or change requests and answers; the rest is passed through."""

from __future__ import annotations

from typing import Any

from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport


class Wrapping(HttpTransport):  # type: ignore[type-arg]
    """A sync transport passing everything to ``inner`` (e.g. ``fake.transport``)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def send(self, request: Any, **kwargs: Any) -> Any:
        return self._inner.send(request, **kwargs)

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def __enter__(self) -> Wrapping:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def sleep(self, duration: float) -> None:
        self._inner.sleep(duration)


class AsyncWrapping(AsyncHttpTransport):  # type: ignore[type-arg]
    """An async transport passing everything to ``inner`` (e.g. ``fake.async_transport``)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def send(self, request: Any, **kwargs: Any) -> Any:
        return await self._inner.send(request, **kwargs)

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> AsyncWrapping:
        return self

    async def __aexit__(self, *args: object) -> None:
        return None

    async def sleep(self, duration: float) -> None:
        await self._inner.sleep(duration)
