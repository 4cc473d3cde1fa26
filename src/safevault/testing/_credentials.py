"""Stub token credentials for FakeVault (the fake serves any bearer token)."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from azure.core.credentials import AccessToken

__all__ = ["TOKEN_LIFETIME", "AsyncFakeCredential", "FakeCredential"]

TOKEN_LIFETIME = 3600


class _TokenSource:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self.scopes: list[tuple[str, ...]] = []

    def issue(self, scopes: tuple[str, ...]) -> AccessToken:
        with self._lock:
            self.scopes.append(scopes)
            serial = next(self._counter)
        # expires_on is wall-clock time: the SDK compares it with time.time().
        return AccessToken(f"fake-token-{serial}", int(time.time()) + TOKEN_LIFETIME)


class FakeCredential(_TokenSource):
    """A sync TokenCredential whose tokens live one hour; records the scopes asked for."""

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """A token for ``scopes``.

        :param scopes: the scopes asked for (recorded in :attr:`scopes`).
        :param claims: ignored.
        :param tenant_id: ignored.
        :param enable_cae: ignored.
        :param kwargs: ignored.
        :returns: an AccessToken valid for one hour.
        """
        return self.issue(scopes)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> FakeCredential:
        return self

    def __exit__(self, *args: object) -> None:
        return None


class AsyncFakeCredential(_TokenSource):
    """An async TokenCredential whose tokens live one hour; records the scopes asked for."""

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """A token for ``scopes``.

        :param scopes: the scopes asked for (recorded in :attr:`scopes`).
        :param claims: ignored.
        :param tenant_id: ignored.
        :param enable_cae: ignored.
        :param kwargs: ignored.
        :returns: an AccessToken valid for one hour.
        """
        return self.issue(scopes)

    async def close(self) -> None:
        """Nothing to release."""

    async def __aenter__(self) -> AsyncFakeCredential:
        return self

    async def __aexit__(self, *args: object) -> None:
        return None
