"""asyncio primitives of the async shell; ``safevault._sync._concurrency`` is the thread twin."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from safevault.errors import VaultConfigurationError

__all__ = ["Background", "Flight", "call_back", "check_transport", "run_all"]

_LOG = logging.getLogger("safevault")
T = TypeVar("T")


def check_transport(options: Mapping[str, Any]) -> None:
    """Refuse to build async clients without a usable async transport."""
    if options.get("transport") is not None:
        return
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        raise VaultConfigurationError(
            'safevault.aio needs an async HTTP transport: pip install "safevault[aio]" '
            "(it adds aiohttp), or pass transport=<an AsyncHttpTransport>."
        ) from None


class Flight(Generic[T]):
    """One in-progress fetch that every concurrent reader of the same object awaits."""

    __slots__ = ("_future",)

    def __init__(self) -> None:
        self._future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._future.add_done_callback(_consume)

    def resolve(self, value: T) -> None:
        if not self._future.done():
            self._future.set_result(value)

    def reject(self, error: BaseException) -> None:
        if not self._future.done():
            self._future.set_exception(error)

    async def wait(self, timeout: float | None) -> bool:
        """Wait until the fetch finished or ``timeout`` passed; True when finished."""
        if not self._future.done():
            await asyncio.wait((self._future,), timeout=timeout)
        return self._future.done()

    def outcome(self) -> T:
        return self._future.result()


def _consume(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # marks it retrieved: no "exception was never retrieved" noise


class Background:
    """Runs refreshes as tasks detached from the caller's trace context."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        task = contextvars.Context().run(asyncio.ensure_future, fn(*args))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def after_fork(self) -> None:
        self._tasks = set()


async def run_all(calls: Sequence[Callable[[], Awaitable[Any]]]) -> None:
    """Run ``calls`` concurrently; raise the first failure."""
    tasks = [asyncio.ensure_future(call()) for call in calls]
    try:
        for task in asyncio.as_completed(tasks):
            await task
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def call_back(callback: Callable[..., Any], *args: Any) -> None:
    """Call a subscriber (sync or async); its failure is logged, never raised."""
    try:
        result = callback(*args)
        if inspect.isawaitable(result):
            await result
    except Exception as error:
        _LOG.warning(
            "safevault: an on_change callback raised %s; reads are unaffected.",
            type(error).__name__,
        )
