"""FakeVault: an in-process Key Vault data plane the real Azure SDK clients talk to."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ._clock import FakeClock
from ._credentials import AsyncFakeCredential, FakeCredential
from ._faults import Fault
from ._service import FakeService
from ._state import VaultState
from ._transport import AsyncFakeTransport, FakeTransport

if TYPE_CHECKING:
    from azure.keyvault.certificates import CertificateClient
    from azure.keyvault.certificates.aio import CertificateClient as AsyncCertificateClient
    from azure.keyvault.keys import KeyClient
    from azure.keyvault.keys.aio import KeyClient as AsyncKeyClient
    from azure.keyvault.keys.crypto import CryptographyClient
    from azure.keyvault.keys.crypto.aio import CryptographyClient as AsyncCryptographyClient
    from azure.keyvault.secrets import SecretClient
    from azure.keyvault.secrets.aio import SecretClient as AsyncSecretClient

    import safevault
    import safevault.aio

__all__ = ["FakeVault"]

DEFAULT_VAULT_URL = "https://fake.vault.azure.net"


class FakeVault:
    """An in-process Azure Key Vault (secrets, keys, certificates) served via azure-core.

    Every request without a bearer token gets Key Vault's 401 challenge; requests with any
    bearer token are served. Thread-safe: one lock guards all state.

    :param vault_url: the URL the fake answers for.
    :param clock: the base clock to follow (default: the wall clock); ``advance()`` adds to it.
    """

    def __init__(
        self,
        *,
        vault_url: str = DEFAULT_VAULT_URL,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._clock = FakeClock(clock)
        self._service = FakeService(vault_url, self._clock)
        self.vault_url: str = self._service.vault_url
        self.transport = FakeTransport(self._service)
        self.async_transport = AsyncFakeTransport(self._service)
        self.credential = FakeCredential()
        self.async_credential = AsyncFakeCredential()

    def __repr__(self) -> str:
        return f"FakeVault(vault_url={self.vault_url!r})"

    # -- observation -------------------------------------------------------------------------

    @property
    def state(self) -> VaultState:
        """The vault's objects (for white-box tests; hold ``state.lock`` while reading)."""
        return self._service.state

    @property
    def requests(self) -> list[tuple[str, str, int]]:
        """``(method, path, status)`` of every request served, in order (status 0: raised)."""
        return self._service.requests

    @property
    def sleeps(self) -> list[float]:
        """Every delay the transports' ``sleep()`` was asked for, in order."""
        return self._service.sleeps

    @property
    def challenge_resource(self) -> str:
        """The resource the 401 challenge names (default ``https://vault.azure.net``)."""
        return self._service.challenge_resource

    @challenge_resource.setter
    def challenge_resource(self, value: str) -> None:
        self._service.challenge_resource = value

    # -- time --------------------------------------------------------------------------------

    def clock(self) -> datetime:
        """The fake's current time.

        :returns: a tz-aware UTC datetime.
        """
        return self._clock.now()

    def timer(self) -> float:
        """Monotonic seconds following the fake clock (``advance()`` moves them).

        :returns: seconds from an arbitrary origin.
        """
        return self._clock.timer()

    def advance(self, delta: timedelta) -> None:
        """Move the fake clock forward.

        :param delta: how far (not negative).
        """
        self._clock.advance(delta)

    # -- faults ------------------------------------------------------------------------------

    def inject(
        self,
        fault: int | type[BaseException],
        *,
        times: int = 1,
        retry_after: float | None = None,
        match: tuple[str | None, str] | None = None,
    ) -> None:
        """Make the next matching authorized requests fail.

        A status answers with Key Vault's error JSON for it (429 Throttled, 403 Forbidden with
        innererror ForbiddenByRbac, 500 InternalServerError, 503 ServiceUnavailable, ...; a 401
        carries no challenge header, so the SDK raises ClientAuthenticationError). An exception
        class (e.g. ``ServiceRequestError``) is raised by the transport instead of answering.
        The 401 challenge exchange is never hit; faults queue in injection order.

        :param fault: an HTTP status (400-599) or an exception class.
        :param times: how many matching requests it hits.
        :param retry_after: seconds for a ``Retry-After`` header (status faults only).
        :param match: ``(method, path substring)``; method None or ``"*"`` matches any.
        """
        if isinstance(fault, bool) or not (
            (isinstance(fault, int) and 400 <= fault <= 599)
            or (isinstance(fault, type) and issubclass(fault, BaseException))
        ):
            raise ValueError("fault must be an HTTP status 400-599 or an exception class")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError("times must be a positive int")
        if retry_after is not None and not isinstance(fault, int):
            raise ValueError("retry_after only applies to status faults")
        if match is not None and (len(match) != 2 or not isinstance(match[1], str)):
            raise ValueError("match must be a (method, path substring) pair")
        with self._service.state.lock:
            self._service.faults.add(Fault(fault, times, retry_after, match))

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        with self._service.state.lock:
            self._service.faults.clear()

    def rate_limit(self, per_10s: int | None) -> None:
        """Answer 429 Throttled (no Retry-After) above ``per_10s`` requests per 10 s.

        :param per_10s: authorized requests admitted in any 10 s window of the fake clock;
            None turns the limit off.
        """
        with self._service.state.lock:
            self._service.limiter.configure(per_10s)

    # -- clients -----------------------------------------------------------------------------

    def _sync_options(self, kw: dict[str, Any]) -> dict[str, Any]:
        return {"credential": self.credential, "transport": self.transport, **kw}

    def _async_options(self, kw: dict[str, Any]) -> dict[str, Any]:
        return {"credential": self.async_credential, "transport": self.async_transport, **kw}

    def vault(self, **options: Any) -> safevault.Vault:
        """A ``safevault.Vault`` on this fake, sharing its clock and timer.

        :param options: more keyword arguments for ``safevault.Vault``.
        :returns: the vault client.
        """
        from safevault import Vault

        opts = self._sync_options(
            {"clock": self.clock, "timer": self.timer, **options},
        )
        return Vault(self.vault_url, **opts)

    def aio_vault(self, **options: Any) -> safevault.aio.Vault:
        """A ``safevault.aio.Vault`` on this fake, sharing its clock and timer.

        :param options: more keyword arguments for ``safevault.aio.Vault``.
        :returns: the async vault client.
        """
        from safevault.aio import Vault

        opts = self._async_options(
            {"clock": self.clock, "timer": self.timer, **options},
        )
        return Vault(self.vault_url, **opts)

    def secret_client(self, **kw: Any) -> SecretClient:
        """A real sync ``SecretClient`` on this fake.

        :param kw: more keyword arguments for the SDK client.
        :returns: the client.
        """
        from azure.keyvault.secrets import SecretClient

        opts = self._sync_options(kw)
        return SecretClient(self.vault_url, opts.pop("credential"), **opts)

    def key_client(self, **kw: Any) -> KeyClient:
        """A real sync ``KeyClient`` on this fake.

        :param kw: more keyword arguments for the SDK client.
        :returns: the client.
        """
        from azure.keyvault.keys import KeyClient

        opts = self._sync_options(kw)
        return KeyClient(self.vault_url, opts.pop("credential"), **opts)

    def certificate_client(self, **kw: Any) -> CertificateClient:
        """A real sync ``CertificateClient`` on this fake.

        :param kw: more keyword arguments for the SDK client.
        :returns: the client.
        """
        from azure.keyvault.certificates import CertificateClient

        opts = self._sync_options(kw)
        return CertificateClient(self.vault_url, opts.pop("credential"), **opts)

    def crypto_client(self, key_id: str, **kw: Any) -> CryptographyClient:
        """A real sync ``CryptographyClient`` for ``key_id`` on this fake.

        :param key_id: the key's identifier.
        :param kw: more keyword arguments for the SDK client.
        :returns: the client.
        """
        from azure.keyvault.keys.crypto import CryptographyClient

        opts = self._sync_options(kw)
        return CryptographyClient(key_id, opts.pop("credential"), **opts)

    def aio_secret_client(self, **kw: Any) -> AsyncSecretClient:
        """A real async ``SecretClient`` on this fake.

        :param kw: more keyword arguments for the SDK client.
        :returns: the client.
        """
        from azure.keyvault.secrets.aio import SecretClient

        opts = self._async_options(kw)
        return SecretClient(self.vault_url, opts.pop("credential"), **opts)

    def aio_key_client(self, **kw: Any) -> AsyncKeyClient:
        """A real async ``KeyClient`` on this fake.

        :param kw: more keyword arguments for the SDK client.
        :returns: the client.
        """
        from azure.keyvault.keys.aio import KeyClient

        opts = self._async_options(kw)
        return KeyClient(self.vault_url, opts.pop("credential"), **opts)

    def aio_certificate_client(self, **kw: Any) -> AsyncCertificateClient:
        """A real async ``CertificateClient`` on this fake.

        :param kw: more keyword arguments for the SDK client.
        :returns: the client.
        """
        from azure.keyvault.certificates.aio import CertificateClient

        opts = self._async_options(kw)
        return CertificateClient(self.vault_url, opts.pop("credential"), **opts)

    def aio_crypto_client(self, key_id: str, **kw: Any) -> AsyncCryptographyClient:
        """A real async ``CryptographyClient`` for ``key_id`` on this fake.

        :param key_id: the key's identifier.
        :param kw: more keyword arguments for the SDK client.
        :returns: the client.
        """
        from azure.keyvault.keys.crypto.aio import CryptographyClient

        opts = self._async_options(kw)
        return CryptographyClient(key_id, opts.pop("credential"), **opts)
