"""Shared helpers of the vault tests: request counting, a failing credential, a stamping transport.

Nothing here replaces safevault's own classes: every test drives the real Azure SDK clients
that ``safevault.Vault`` builds, on :class:`safevault.testing.FakeVault`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport

from safevault.testing import FakeVault

# Tokens this close to their expiry (seconds of real time) are refreshed by azure-core before
# every request; ours live less than that so the SDK asks the credential each time.
SHORT_TOKEN_LIFETIME = 200


def secret_path_matches(path: str, name: str) -> bool:
    """True for ``/secrets/<name>`` and ``/secrets/<name>/<version>`` (not ``/versions``)."""
    parts = path.strip("/").split("/")
    if len(parts) not in (2, 3) or parts[0] != "secrets" or parts[1].lower() != name.lower():
        return False
    return len(parts) == 2 or parts[2] != "versions"


def secret_gets(
    fake: FakeVault, name: str, *, since: int = 0, status: int | None = None
) -> list[tuple[str, str, int]]:
    """The GETs of secret ``name`` in ``fake.requests[since:]`` (optionally of one status)."""
    return [
        r
        for r in fake.requests[since:]
        if r[0] == "GET" and secret_path_matches(r[1], name) and (status is None or r[2] == status)
    ]


def non_challenge(fake: FakeVault, *, since: int = 0) -> list[tuple[str, str, int]]:
    """Requests since ``since`` other than 401s (challenge exchanges of a fresh SDK policy)."""
    return [r for r in fake.requests[since:] if r[2] != 401]


class FlakyCredential:
    """A sync TokenCredential around ``inner`` that fails on demand, like an IMDS hiccup.

    Its tokens expire within azure-core's refresh window (of real time), so the SDK asks it
    for a token before every request.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.fail = False
        self.calls = 0
        self.failures = 0

    def _token(self, token: AccessToken) -> AccessToken:
        return AccessToken(token.token, int(time.time()) + SHORT_TOKEN_LIFETIME)

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls += 1
        if self.fail:
            self.failures += 1
            raise ClientAuthenticationError("imds down")
        return self._token(self._inner.get_token(*scopes, **kwargs))

    def close(self) -> None:
        return None


class AsyncFlakyCredential(FlakyCredential):
    """The async twin of :class:`FlakyCredential`."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:  # type: ignore[override]
        self.calls += 1
        if self.fail:
            self.failures += 1
            raise ClientAuthenticationError("imds down")
        return self._token(await self._inner.get_token(*scopes, **kwargs))

    async def close(self) -> None:  # type: ignore[override]
        return None


# (fake timer, method, path, status, x-ms-client-request-id): the SDK keeps the request id
# across its own retries of one call, so equal ids mark a retry, different ids separate calls.
Stamp = tuple[float, str, str, int, str]


class StampingTransport(HttpTransport):  # type: ignore[type-arg]
    """Passes requests to FakeVault's transport and logs each one as a :data:`Stamp`.

    The fake's own request log has no timestamps; this one lets a test place every request
    on the fake time line, and tell an SDK retry (same client request id) from another call.
    Status 0 marks a request whose transport raised.
    """

    def __init__(self, fake: FakeVault) -> None:
        self._inner = fake.transport
        self._timer: Callable[[], float] = fake.timer
        self._lock = threading.Condition()
        self._in_flight = 0
        self.log: list[Stamp] = []

    def send(self, request: Any, **kwargs: Any) -> Any:
        stamp = self._timer()
        path = unquote(urlsplit(request.url).path)
        status = 0
        with self._lock:
            self._in_flight += 1
        try:
            response = self._inner.send(request, **kwargs)
            status = response.status_code
            return response
        finally:
            with self._lock:
                request_id = str(request.headers.get("x-ms-client-request-id", ""))
                self.log.append((stamp, request.method, path, status, request_id))
                self._in_flight -= 1
                self._lock.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Block until no request is in flight (a background refresh started by the last
        reads may still be talking to the vault when the readers are done)."""
        with self._lock:
            assert self._lock.wait_for(lambda: self._in_flight == 0, timeout), "requests hung"

    def open(self) -> None:
        self._inner.open()

    def close(self) -> None:
        return None

    def __enter__(self) -> StampingTransport:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def sleep(self, duration: float) -> None:
        self._inner.sleep(duration)


class GatedTransport(HttpTransport):  # type: ignore[type-arg]
    """FakeVault's transport, holding back the answers to GETs while the gate is closed.

    The fake serves the request at once (its answer is fixed at that moment); only the
    delivery of the answer to the SDK waits, like a slow network on the way back.
    """

    def __init__(self, fake: FakeVault) -> None:
        self._inner = fake.transport
        self.gate = threading.Event()
        self.gate.set()
        self.held = threading.Event()

    def send(self, request: Any, **kwargs: Any) -> Any:
        response = self._inner.send(request, **kwargs)
        if request.method == "GET" and not self.gate.is_set():
            self.held.set()
            if not self.gate.wait(30):
                raise RuntimeError("GatedTransport: the gate was never opened")
        return response

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def __enter__(self) -> GatedTransport:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def sleep(self, duration: float) -> None:
        self._inner.sleep(duration)


class AsyncGatedTransport(AsyncHttpTransport):  # type: ignore[type-arg]
    """The async twin of :class:`GatedTransport` (create it inside the running loop)."""

    def __init__(self, fake: FakeVault) -> None:
        import asyncio

        self._inner = fake.async_transport
        self.gate = asyncio.Event()
        self.gate.set()
        self.held = asyncio.Event()

    async def send(self, request: Any, **kwargs: Any) -> Any:
        response = await self._inner.send(request, **kwargs)
        if request.method == "GET" and not self.gate.is_set():
            self.held.set()
            await self.gate.wait()
        return response

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> AsyncGatedTransport:
        return self

    async def __aexit__(self, *args: object) -> None:
        return None

    async def sleep(self, duration: float) -> None:
        await self._inner.sleep(duration)
