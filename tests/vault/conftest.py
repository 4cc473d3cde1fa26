"""Fixtures for Vault behaviour tests: one FakeVault, and Vaults of both flavours on it.

``make_vault(**options)`` returns a sync ``safevault.Vault``, or for the ``aio`` flavour a
thin blocking facade over a real ``safevault.aio.Vault`` whose coroutines run on an event
loop in a helper thread, so one test body checks both shells.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from safevault.testing import FakeVault


class LoopThread:
    """An asyncio event loop running in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


class BlockingAioVault:
    """Calls a ``safevault.aio.Vault``'s coroutine methods to completion on ``loop``."""

    def __init__(self, vault: Any, loop: LoopThread) -> None:
        self._vault = vault
        self._loop = loop
        self.aio = vault

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._vault, name)
        if inspect.iscoroutinefunction(attr):

            def call(*args: Any, **kwargs: Any) -> Any:
                return self._loop.run(attr(*args, **kwargs))

            return call
        return attr

    def __enter__(self) -> BlockingAioVault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.fixture
def fake() -> FakeVault:
    return FakeVault()


@pytest.fixture(params=["sync", "aio"])
def flavor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.stop()


@pytest.fixture
def make_vault(
    fake: FakeVault, flavor: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []
    loop: LoopThread | None = None

    def make(**options: Any) -> Any:
        nonlocal loop
        if flavor == "sync":
            vault = fake.vault(**options)
        else:
            if loop is None:
                loop = LoopThread()

            async def build() -> Any:
                return fake.aio_vault(**options)

            vault = BlockingAioVault(loop.run(build()), loop)
        made.append(vault)
        return vault

    yield make
    for vault in made:
        try:
            vault.close()
        except Exception:  # noqa: S110 - best-effort cleanup
            pass
    if loop is not None:
        loop.stop()
