# GENERATED from src/safevault/_async/_shell.py by scripts/unasync.py: do not edit.
"""The shell's machinery: SDK clients, lifecycle, and the cached read algorithm.

The public methods live in mixins (``_secrets.py`` ...), all
built on :class:`VaultShell`; ``_vault.py`` assembles them into ``Vault``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from azure.core.credentials import TokenCredential
from azure.keyvault.certificates import CertificateClient
from azure.keyvault.keys import KeyClient
from azure.keyvault.secrets import SecretClient

from safevault._core._cache import CacheCore, Key, Read, Step
from safevault._model._policy import CachePolicy, ExpiryPolicy
from safevault._sdk._credential import ScopedCredential
from safevault._sdk._failures import Failure, classify, fresh, retry_after_of, scrub
from safevault._sdk._fork import register_fork_handler
from safevault._sdk._requests import CLIENT_REQUEST
from safevault._sdk._retry import BoundedRetryPolicy
from safevault._shell._base import VaultBase
from safevault._shell._threads import (
    Background,
    Flight,
    call_back,
    check_transport,
    interrupted,
)
from safevault._telemetry import Operation, Telemetry, unwatch_expiry
from safevault.errors import ValidityError

__all__ = ["Fetch", "VaultShell"]

Fetch = Callable[[], Any]
ShellT = TypeVar("ShellT", bound="VaultShell")


class VaultShell(VaultBase[Flight[Any]]):
    """SDK clients, lifecycle and the read algorithm shared by every public method."""

    def __init__(
        self,
        vault_url: str,
        credential: TokenCredential | None = None,
        *,
        expiry: ExpiryPolicy | None = None,
        cache: CachePolicy | None = None,
        clock: Callable[[], datetime] | None = None,
        timer: Callable[[], float] | None = None,
        allow_any_host: bool = False,
        audit_principal: bool = False,
        audit_hits: bool = False,
        **client_kwargs: Any,
    ) -> None:
        super().__init__(
            vault_url,
            expiry=expiry,
            cache=cache,
            clock=clock,
            timer=timer,
            allow_any_host=allow_any_host,
            audit_principal=audit_principal,
            client_kwargs=client_kwargs,
            audit_hits=audit_hits,
        )
        if credential is not None:
            ScopedCredential.check(credential)
        check_transport(self._client_options)
        if "retry_policy" not in self._client_options:
            self._client_options["retry_policy"] = BoundedRetryPolicy(**self._retry_options)
        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
            self._owns_credential = True
        else:
            self._owns_credential = False
        self._credential = ScopedCredential(
            credential, self._location.scope, self._set_principal if audit_principal else None
        )
        self._secrets = SecretClient(self.vault_url, self._credential, **self._client_options)
        self._keys = KeyClient(self.vault_url, self._credential, **self._client_options)
        self._certificates = CertificateClient(
            self.vault_url, self._credential, **self._client_options
        )
        self._background = Background()
        register_fork_handler(self)

    def _after_fork(self) -> None:
        super()._after_fork()
        self._background.after_fork()

    def close(self) -> None:
        """Stop background refreshes and close the SDK clients (and a default credential)."""
        with self._tel.operation("close"):
            self._close()

    def _close(self) -> None:
        unwatch_expiry(self)
        self._background.close()
        self._secrets.close()
        self._keys.close()
        self._certificates.close()
        if self._owns_credential:
            self._credential.close()

    def __enter__(self: ShellT) -> ShellT:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the checked read and the remembered write ------------------------------------

    def _read(
        self,
        core: CacheCore[Any, Flight[Any]],
        kind: str,
        name: str,
        version: str | None,
        fetch: Fetch,
        op: Operation,
        refuse: bool = True,
    ) -> Any:
        """The checked path of a read: through the cache, then the expiry policy."""
        try:
            item, result = self._resolve(core, (name.lower(), version), fetch, op, kind, name)
            Telemetry.cache_result(op, kind, result)
            return self._checked(core, kind, item, op, refuse)
        except ValidityError as error:
            Telemetry.refusal(op, kind, error.validity)
            raise

    def _remember_write(self, core: CacheCore[Any, Flight[Any]], name: str, item: Any) -> None:
        """Cache what this vault just wrote as the latest version, and tell subscribers.

        The entry keeps the client request id of the write (the last request this context
        sent), so the hits it serves point at the write's audit record.
        """
        _, old, announce = core.store(
            (name.lower(), None),
            item,
            self._timer(),
            self._clock(),
            version=item.version,
            write=True,
            correlation=CLIENT_REQUEST.get(),
        )
        if announce:
            self._notify(core, name.lower(), old, item)

    # -- the hit path ------------------------------------------------------------------------

    def _cached(
        self,
        core: CacheCore[Any, Flight[Any]],
        method: str,
        kind: str,
        name: str,
        version: str | None,
    ) -> Any:
        """The hit path: the cached item when it may be served without a check, else None.

        One dict read, one timer read and comparison, one wall-clock read and comparison (the
        monotonic timer does not see the wall clock jump; an entry without expiry compares
        against infinity), no lock.
        """
        try:
            entry = core.entries.get((name.lower(), version))
        except (AttributeError, TypeError):
            return None  # not a str: the checked path reports it
        if entry is None:
            return None
        now = self._timer()
        if now >= entry.hit_until or self._wall() >= entry.wall_until:
            return None
        entry.last_used = now
        self._tel.hit(method, kind, entry)
        return entry.item

    # -- the read algorithm -------------------------------------------------------------------

    def _resolve(
        self,
        core: CacheCore[Any, Flight[Any]],
        key: Key,
        fetch: Fetch,
        op: Operation,
        kind: str,
        name: str,
    ) -> tuple[Any, str]:
        """Find ``key``'s item: cached, revalidated, fetched or stale; and how.

        The cache decides (:meth:`CacheCore.read`); this only carries the decision out.
        """
        read = core.read(key, self._timer(), Flight, self._refresh_timeout)
        if read.step in (Step.SERVE, Step.SERVE_STALE, Step.RAISE):
            return self._planned(op, read)
        flight = read.flight
        assert flight is not None
        if read.lead and read.step is Step.FETCH:
            self._background.lead(flight, self._fly, core, key, fetch, flight, kind, name)
        elif read.lead:
            self._background.spawn(flight, self._refresh, core, key, fetch, flight, kind, name)
        if read.step is Step.SERVE_AND_REFRESH:
            assert read.entry is not None
            return read.entry.item, "hit"
        if read.step is Step.REVALIDATE:
            if not flight.wait(read.wait):
                core.overdue(key, flight)  # nobody else waits for this revalidation
                if self._servable_stale(read.entry):
                    return self._stale(op, read.entry), "stale"
                flight.wait(None)
            result = "refresh"
        else:
            flight.wait(None)
            result = "miss"
        error = flight.error
        if error is None:
            return flight.value, result
        if classify(error) is Failure.TRANSIENT and self._servable_stale(read.entry):
            return self._stale(op, read.entry), "stale"
        raise fresh(error)

    def _servable_stale(self, entry: Any) -> bool:
        return entry is not None and self._timer() < entry.stale_until

    def _refresh(
        self,
        core: CacheCore[Any, Flight[Any]],
        key: Key,
        fetch: Fetch,
        flight: Flight[Any],
        kind: str,
        name: str,
    ) -> None:
        """A background revalidation: its own span, so the audit trail shows every read."""
        with self._tel.operation("refresh", kind, name, **{"object.version": key[1]}) as op:
            self._fly(core, key, fetch, flight, kind, name)
            if flight.error is None:
                op.set_item(flight.value)
                Telemetry.cache_result(op, kind, "refresh")
            else:
                op.fail(flight.error)

    def _fly(
        self,
        core: CacheCore[Any, Flight[Any]],
        key: Key,
        fetch: Fetch,
        flight: Flight[Any],
        kind: str,
        name: str,
    ) -> None:
        """Lead one fetch: store its result or remember its failure, then release waiters."""
        started = self._timer()
        request = CLIENT_REQUEST.set(None)
        try:
            item = fetch()
        except Exception as error:
            mapped = scrub(self._map_error(error, kind, name, key[1]))
            failure = classify(error)
            core.land_failure(
                key,
                flight,
                mapped,
                self._timer(),
                negative=failure is Failure.NEGATIVE,
                stale_ok=failure is Failure.TRANSIENT,
                retry_after=retry_after_of(error),
            )
            flight.reject(mapped)
            return
        except BaseException:  # cancelled (the vault closed): release the waiters, propagate
            core.land(key, flight)
            flight.reject(interrupted())
            raise
        finally:
            correlation = CLIENT_REQUEST.get()
            CLIENT_REQUEST.reset(request)
        entry, old, announce = core.land_item(
            key, flight, item, self._timer(), self._clock(), started, correlation
        )
        flight.resolve(entry.item)
        if announce:
            self._notify(core, key[0], old, item)

    def _planned(self, op: Operation, read: Read[Any, Any]) -> tuple[Any, str]:
        """The outcome of a read that needs no fetch."""
        if read.step is Step.RAISE:
            assert read.error is not None
            raise fresh(read.error)
        assert read.entry is not None
        if read.step is Step.SERVE_STALE:
            return self._stale(op, read.entry), "stale"
        return read.entry.item, "hit"

    def _stale(self, op: Operation, entry: Any) -> Any:
        age = max(0.0, self._timer() - entry.fetched_at)
        op.event("safevault.stale_served", {"safevault.stale.age_s": age})
        return entry.item

    def _notify(self, core: CacheCore[Any, Flight[Any]], name: str, old: Any, new: Any) -> None:
        for callback in core.subscribers(name):
            call_back(callback, old, new)
