"""What the sync shell does differently from the async one: the thread primitives, and the SDK
calls and rotator results whose forms differ. ``_asyncio.py`` is the twin."""

from __future__ import annotations

import contextvars
import inspect
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from azure.core.exceptions import ServiceRequestError
from azure.keyvault.certificates import (
    CertificateClient,
    CertificateOperation,
    CertificatePolicy,
    KeyVaultCertificate,
)

from safevault.errors import SafeVaultError

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
_MAX_BACKGROUND = 4


def check_transport(options: Mapping[str, Any]) -> None:
    """The sync SDK clients bring their own transport (requests)."""


class Flight(Generic[T]):
    """One in-progress fetch that every concurrent reader of the same object waits for.

    A lock held from creation until the fetch ends: each waiter acquires and releases it in
    turn (cheaper to make than an Event, which a flight usually never needs).
    """

    __slots__ = ("_done", "_error", "_lock", "_value")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self._done = False
        self._value: T | None = None
        self._error: BaseException | None = None

    def resolve(self, value: T) -> None:
        if not self._done:
            self._value = value
            self._finish()

    def reject(self, error: BaseException) -> None:
        if not self._done:
            self._error = error
            self._finish()

    def _finish(self) -> None:
        if not self._done:
            self._done = True
            self._lock.release()

    def wait(self, timeout: float | None) -> bool:
        """Wait until the fetch finished or ``timeout`` passed; True when finished."""
        if self._done:
            return True
        if self._lock.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            self._lock.release()
            return True
        return self._done

    @property
    def settled(self) -> bool:
        """True once the fetch resolved or rejected the flight."""
        return self._done

    @property
    def error(self) -> BaseException | None:
        """The failure of a finished fetch (None when it succeeded)."""
        return self._error

    @property
    def value(self) -> T:
        """The result of a finished fetch that succeeded."""
        return self._value  # type: ignore[return-value]


def interrupted() -> BaseException:
    """What readers of a flight get when its fetch was stopped before it finished."""
    return ServiceRequestError(
        "The vault read was interrupted before it finished (the vault was closed, or the "
        "reading thread was stopped); read again."
    )


class Background:
    """Runs refreshes on a small pool of daemon threads (made on first use)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    def lead(self, flight: Flight[Any], fn: Callable[..., Any], *args: Any) -> None:
        """The fetch a reader leads runs in the reader's own thread (threads are not
        cancelled; the asyncio twin runs it as a task of its own)."""
        try:
            fn(*args)
        finally:
            if not flight.settled:  # the fetch raised outside what it handles
                flight.reject(interrupted())

    def spawn(self, flight: Flight[Any], fn: Callable[..., Any], *args: Any) -> None:
        """A background refresh on the pool; if the pool drops it (close()), its flight is
        rejected so that no reader waits for it forever."""
        executor = self._executor
        if executor is None:
            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        max_workers=_MAX_BACKGROUND, thread_name_prefix="safevault-refresh"
                    )
                executor = self._executor
        try:
            future: Future[Any] = executor.submit(fn, *args)
        except RuntimeError:  # the pool was shut down meanwhile (close())
            flight.reject(interrupted())
            return
        future.add_done_callback(_log_failure)
        # a refresh the pool dropped (close()) or that failed outside its fetch (a bug)
        future.add_done_callback(lambda f: None if flight.settled else flight.reject(interrupted()))

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def after_fork(self) -> None:
        self._lock = threading.Lock()
        self._executor = None  # the parent's worker threads do not exist in the child


def _log_failure(future: Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        _LOG.debug("safevault: background refresh failed: %s", type(future.exception()).__name__)


def run_bounded(calls: Sequence[Callable[[], Any]], limit: int) -> list[Any]:
    """Run ``calls`` concurrently, at most ``limit`` at a time, in order of the list.

    :returns: for each call, in order, its result or the exception it raised: a failure
        stops no other call.

    The calls run on a pool of at most ``limit`` threads made for this batch (none for a
    single call, which runs in the caller's thread), each call in a copy of the caller's
    context, so their spans join the caller's trace. Threads cannot be cancelled: when the
    caller is interrupted (KeyboardInterrupt), the calls not started are dropped and those
    in progress finish in their threads.
    """
    if len(calls) <= 1:
        return [_outcome(call) for call in calls]
    pool = ThreadPoolExecutor(
        max_workers=min(limit, len(calls)), thread_name_prefix="safevault-read"
    )
    try:
        futures = [pool.submit(contextvars.copy_context().run, _outcome, call) for call in calls]
        results = [future.result() for future in futures]
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)  # every call has finished: only lets the idle threads exit
    return results


def _outcome(call: Callable[[], Any]) -> Any:
    """The result of ``call()``, or the exception it raised."""
    try:
        return call()
    except Exception as error:
        return error


def call_back(callback: Callable[..., Any], *args: Any) -> None:
    """Call a subscriber; its failure is logged, never raised."""
    try:
        callback(*args)
    except Exception as error:
        _LOG.warning(
            "safevault: an on_change callback raised %s; reads are unaffected.",
            type(error).__name__,
        )


def sleep(seconds: float) -> None:
    """Pause this thread (a rotation waiting for a rival to step aside)."""
    time.sleep(seconds)


# -- SDK calls whose sync form differs --------------------------------------------------


def create_certificate(
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
    poller = client.begin_create_certificate(name, policy, tags=tags, **kwargs)
    result = poller.result(timeout)
    if not poller.done() or result is None:
        raise timed_out(name, timeout)
    return result


def timed_out(name: str, timeout: float) -> SafeVaultError:
    return SafeVaultError(
        f"Creating certificate {name!r} did not finish within {timeout:g} s; the operation may "
        f"still complete in the vault (see CertificateClient.get_certificate_operation). "
        f"Pass a longer timeout= if the issuer is slow."
    )


def settle(result: Any) -> Any:
    """A rotator method's result in the sync shell, which cannot await: refuse a coroutine
    (an ``async def`` method) instead of skipping the step it stands for."""
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if close is not None:
            close()
        raise TypeError(
            "This rotator method is async: use it with safevault.aio.Vault, "
            "or make the method a plain def for safevault.Vault."
        )
    return result
