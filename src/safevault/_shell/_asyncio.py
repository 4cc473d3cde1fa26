"""What the async shell does differently from the sync one: the asyncio primitives, and the SDK
calls and rotator results whose forms differ. ``_threads.py`` is the twin: the same names,
for threads; ``scripts/unasync.py`` maps one module to the other."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from azure.core.exceptions import ServiceRequestError
from azure.keyvault.certificates import CertificateOperation, CertificatePolicy, KeyVaultCertificate
from azure.keyvault.certificates.aio import CertificateClient

from safevault.errors import SafeVaultError, VaultConfigurationError

__all__ = [
    "Background",
    "Flight",
    "call_back",
    "check_transport",
    "create_certificate",
    "interrupted",
    "run_bounded",
    "settle",
    "sleep",
    "timed_out",
]

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
        """Wait until the fetch finished or ``timeout`` passed; True when finished.

        Cancelling the waiter cancels only its wait, never the fetch other readers await.
        """
        if not self._future.done() and (timeout is None or timeout > 0):
            await asyncio.wait((self._future,), timeout=timeout)
        return self._future.done()

    @property
    def settled(self) -> bool:
        """True once the fetch resolved or rejected the flight."""
        return self._future.done()

    @property
    def error(self) -> BaseException | None:
        """The failure of a finished fetch (None when it succeeded)."""
        if self._future.cancelled():
            return interrupted()
        return self._future.exception()

    @property
    def value(self) -> T:
        """The result of a finished fetch that succeeded."""
        return self._future.result()


def _release(flight: Flight[Any], task: asyncio.Task[Any]) -> None:
    """No reader waits forever: a task cancelled before it ran (close()) or failing outside
    the fetch it guards (a bug) rejects its flight, if it did not settle it itself."""
    if task.cancelled():
        if not flight.settled:
            flight.reject(interrupted())
        return
    error = task.exception()
    if error is not None:
        _LOG.debug("safevault: a vault read failed unexpectedly: %s", type(error).__name__)
        if not flight.settled:
            flight.reject(interrupted())


def _consume(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # marks it retrieved: no "exception was never retrieved" noise


def interrupted() -> BaseException:
    """What readers of a flight get when its fetch was stopped before it finished."""
    return ServiceRequestError(
        "The vault read was interrupted before it finished (the vault was closed, or its "
        "task was cancelled); read again."
    )


class Background:
    """Runs fetches as tasks of their own, which no reader's cancellation can stop."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def _track(self, flight: Flight[Any], task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda done: _release(flight, done))

    def spawn(self, flight: Flight[Any], fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """A background refresh: a task detached from the caller's trace context."""
        self._track(flight, contextvars.Context().run(asyncio.ensure_future, fn(*args)))

    def lead(self, flight: Flight[Any], fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """The fetch a reader leads: a task in the reader's context (its spans nest under the
        reader's), so that cancelling the reader does not cancel the readers that follow."""
        self._track(flight, asyncio.ensure_future(fn(*args)))

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def after_fork(self) -> None:
        self._tasks = set()


async def run_bounded(calls: Sequence[Callable[[], Awaitable[Any]]], limit: int) -> list[Any]:
    """Run ``calls`` concurrently, at most ``limit`` at a time, in order of the list.

    :returns: for each call, in order, its result or the exception it raised: a failure
        stops no other call.

    A fixed set of ``limit`` worker tasks (fewer for fewer calls) takes the calls one after
    another; each task runs in a copy of the caller's context, so their spans join the
    caller's trace. Cancelling the caller cancels the calls in progress, starts no more, and
    returns once every worker has stopped (nothing is left running, nothing unretrieved).
    """
    if len(calls) <= 1:
        return [await _outcome(call) for call in calls]
    results: list[Any] = [None] * len(calls)
    pending = iter(range(len(calls)))  # shared: each worker takes the next call

    async def worker() -> None:
        for index in pending:
            results[index] = await _outcome(calls[index])

    workers = [asyncio.ensure_future(worker()) for _ in range(min(limit, len(calls)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    return results


async def _outcome(call: Callable[[], Awaitable[Any]]) -> Any:
    """The result of ``call()``, or the exception it raised."""
    try:
        return await call()
    except Exception as error:
        return error


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


async def sleep(seconds: float) -> None:
    """Pause this task (a rotation waiting for a rival to step aside)."""
    await asyncio.sleep(seconds)


# -- SDK calls whose async form differs -------------------------------------------------


async def create_certificate(
    client: CertificateClient,
    name: str,
    policy: CertificatePolicy,
    *,
    tags: dict[str, str] | None,
    timeout: float,
    **kwargs: Any,
) -> KeyVaultCertificate | CertificateOperation:
    """Create a certificate and wait for the operation, at most ``timeout`` seconds.

    :returns: the certificate, or the operation when it ended without one (failed, cancelled).
    :raises SafeVaultError: the operation did not finish within ``timeout``.
    """
    try:
        result: KeyVaultCertificate | CertificateOperation = await asyncio.wait_for(
            client.create_certificate(name, policy, tags=tags, **kwargs), timeout
        )
    except asyncio.TimeoutError:
        raise timed_out(name, timeout) from None
    return result


def timed_out(name: str, timeout: float) -> SafeVaultError:
    return SafeVaultError(
        f"Creating certificate {name!r} did not finish within {timeout:g} s; the operation may "
        f"still complete in the vault (see CertificateClient.get_certificate_operation). "
        f"Pass a longer timeout= if the issuer is slow."
    )


async def settle(result: Any) -> Any:
    """A rotator method's (or callback's) result, awaited if it is awaitable."""
    if inspect.isawaitable(result):
        return await result
    return result
