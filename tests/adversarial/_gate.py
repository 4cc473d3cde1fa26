"""Transports that hold chosen requests at a gate: a vault that hangs until the test says so.

They wrap FakeVault's own transports; a request matching ``(method, path prefix)`` sets
``arrived`` and then waits for ``gate`` (a ``threading.Event``) before FakeVault answers it.
The test waits for ``arrived`` instead of sleeping, and opens the gate when it is done.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any
from urllib.parse import urlsplit

from safevault.testing import FakeVault
from transports import AsyncWrapping, Wrapping

WAIT = 30.0  # real seconds: a bound on hand-offs between threads, never reached when all is well


class Gate:
    """Which requests to hold, and the two events tests synchronise on."""

    def __init__(self, method: str, path_prefix: str) -> None:
        self.method = method
        self.path_prefix = path_prefix.lower()
        self.gate = threading.Event()
        self.arrived = threading.Event()
        self.answered = threading.Event()  # a held request was answered by the vault
        self.held = 0
        self.closed = False  # while False, matching requests pass without waiting

    def close(self) -> None:
        """Start holding matching requests."""
        self.gate.clear()
        self.arrived.clear()
        self.closed = True

    def open(self) -> None:
        """Let held (and later) requests through."""
        self.closed = False
        self.gate.set()

    def matches(self, request: Any) -> bool:
        path = urlsplit(request.url).path.lower()
        return self.closed and request.method == self.method and path.startswith(self.path_prefix)

    def wait_arrived(self) -> None:
        assert self.arrived.wait(WAIT), "the gated request never reached the vault"


class GatedTransport(Wrapping):
    def __init__(self, fake: FakeVault, gate: Gate) -> None:
        super().__init__(fake.transport)
        self._gate = gate

    def send(self, request: Any, **kwargs: Any) -> Any:
        if self._gate.matches(request):
            self._gate.held += 1
            self._gate.arrived.set()
            assert self._gate.gate.wait(WAIT), "the test never opened the gate"
            response = self._inner.send(request, **kwargs)
            self._gate.answered.set()
            return response
        return self._inner.send(request, **kwargs)


class AsyncGatedTransport(AsyncWrapping):
    def __init__(self, fake: FakeVault, gate: Gate) -> None:
        super().__init__(fake.async_transport)
        self._gate = gate

    async def send(self, request: Any, **kwargs: Any) -> Any:
        if self._gate.matches(request):
            self._gate.held += 1
            self._gate.arrived.set()
            opened = await asyncio.get_running_loop().run_in_executor(
                None, self._gate.gate.wait, WAIT
            )
            assert opened, "the test never opened the gate"
            response = await self._inner.send(request, **kwargs)
            self._gate.answered.set()
            return response
        return await self._inner.send(request, **kwargs)


def gated_options(fake: FakeVault, gate: Gate, flavor: str) -> dict[str, Any]:
    """``make_vault`` options that put the gate in front of ``fake``."""
    if flavor == "sync":
        return {"transport": GatedTransport(fake, gate)}
    return {"transport": AsyncGatedTransport(fake, gate)}
