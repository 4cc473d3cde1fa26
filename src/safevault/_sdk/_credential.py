"""Credential wrappers that only ever ask for the Key Vault scope.

Key Vault's challenge tells the client which resource to get a token for. A hostile host
(reached with ``verify_challenge_resource=False``, or an emulator) could name another
resource and collect a token for it. safevault's wrapper ignores the scope a challenge asks
for and always requests the vault cloud's own scope, so the worst such a host can obtain is
a Key Vault token. It also marks failures of the credential itself, which never reached the
vault, so the cache can treat them as transient.
"""

from __future__ import annotations

import base64
import contextlib
import inspect
import json
import logging
from collections.abc import Callable
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.credentials_async import AsyncTokenCredential

from safevault.errors import InvalidArgumentError

__all__ = ["AsyncScopedCredential", "ScopedCredential", "is_credential_failure"]

_LOG = logging.getLogger("safevault")
_MARK = "_safevault_credential_failure"


def is_credential_failure(error: BaseException) -> bool:
    """True when ``error`` came from the credential, not from an answer of the vault."""
    return bool(getattr(error, _MARK, False))


def _mark(error: BaseException) -> None:
    with contextlib.suppress(AttributeError, TypeError):  # exotic exception types
        setattr(error, _MARK, True)


def principal_of(token: str) -> str | None:
    """The caller's object id (or app id) from an access token's claims, or None.

    The token is decoded without verification and used for nothing else: the claims only
    label audit spans. The token itself is never kept or recorded.
    """
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(claims, dict):
        return None
    for claim in ("oid", "appid", "azp"):
        value = claims.get(claim)
        if isinstance(value, str) and value:
            return value
    return None


def check_credential(credential: object, *, asynchronous: bool) -> None:
    """Refuse, before any request, what cannot be a token credential of the shell's kind.

    :raises InvalidArgumentError: no callable ``get_token`` (a key or a secret passed as the
        credential, say: never quoted), or a sync credential for ``safevault.aio`` and the
        other way round.
    """
    get_token = getattr(credential, "get_token", None)
    if isinstance(credential, (str, bytes, bytearray)) or not callable(get_token):
        raise InvalidArgumentError(
            f"credential must be a token credential such as "
            f"azure.identity{'.aio' if asynchronous else ''}.DefaultAzureCredential() "
            f"(an object with get_token), got a {type(credential).__name__}; or pass None "
            "for DefaultAzureCredential."
        )
    if asynchronous and not inspect.iscoroutinefunction(get_token):
        raise InvalidArgumentError(
            f"{type(credential).__name__} is a synchronous credential: safevault.aio.Vault "
            "needs an async one (from azure.identity.aio), or use safevault.Vault."
        )
    if not asynchronous and inspect.iscoroutinefunction(get_token):
        raise InvalidArgumentError(
            f"{type(credential).__name__} is an async credential: safevault.Vault needs a "
            "synchronous one (from azure.identity), or use safevault.aio.Vault."
        )


def _note_scope(requested: tuple[str, ...], scope: str) -> None:
    if requested and requested != (scope,):
        _LOG.debug("A challenge asked for another token scope; requesting %s instead.", scope)


class ScopedCredential:
    """A :class:`TokenCredential` that asks ``inner`` for ``scope`` only."""

    @staticmethod
    def check(credential: object) -> None:
        """Refuse what is not a synchronous token credential (see :func:`check_credential`)."""
        check_credential(credential, asynchronous=False)

    def __init__(
        self,
        inner: TokenCredential,
        scope: str,
        on_principal: Callable[[str | None], None] | None = None,
    ) -> None:
        self._inner = inner
        self.scope = scope
        self._on_principal = on_principal

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        _note_scope(scopes, self.scope)
        try:
            token = self._inner.get_token(
                self.scope, claims=claims, tenant_id=tenant_id, enable_cae=enable_cae, **kwargs
            )
        except Exception as error:
            _mark(error)
            raise
        if self._on_principal is not None:
            self._on_principal(principal_of(token.token))
        return token

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if callable(close):
            close()


class AsyncScopedCredential:
    """An :class:`AsyncTokenCredential` that asks ``inner`` for ``scope`` only."""

    @staticmethod
    def check(credential: object) -> None:
        """Refuse what is not an async token credential (see :func:`check_credential`)."""
        check_credential(credential, asynchronous=True)

    def __init__(
        self,
        inner: AsyncTokenCredential,
        scope: str,
        on_principal: Callable[[str | None], None] | None = None,
    ) -> None:
        self._inner = inner
        self.scope = scope
        self._on_principal = on_principal

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        _note_scope(scopes, self.scope)
        try:
            token = await self._inner.get_token(
                self.scope, claims=claims, tenant_id=tenant_id, enable_cae=enable_cae, **kwargs
            )
        except Exception as error:
            _mark(error)
            raise
        if self._on_principal is not None:
            self._on_principal(principal_of(token.token))
        return token

    async def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if callable(close):
            await close()

    async def __aenter__(self) -> AsyncScopedCredential:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()
