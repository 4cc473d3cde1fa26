"""The shell's machinery: SDK clients, lifecycle, and the cached read algorithm.

The public methods live in mixins (``_secrets.py`` ...), all
built on :class:`VaultShell`; ``_vault.py`` assembles them into ``Vault``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from azure.core.credentials_async import AsyncTokenCredential
from azure.keyvault.certificates.aio import CertificateClient
from azure.keyvault.keys.aio import KeyClient
from azure.keyvault.secrets.aio import SecretClient

from safevault._core._cache import INF, CacheCore, Key, Plan, Step
from safevault._model._policy import CachePolicy, ExpiryPolicy
from safevault._sdk._credential import AsyncScopedCredential
from safevault._sdk._failures import Failure, classify, fresh, retry_after_of, scrub
from safevault._sdk._fork import register_fork_handler
from safevault._sdk._retry import AsyncBoundedRetryPolicy
from safevault._shell._asyncio import (
    Background,
    Flight,
    call_back,
    check_transport,
    interrupted,
)
from safevault._shell._base import VaultBase
from safevault._telemetry import Operation, Telemetry, unwatch_expiry
from safevault.errors import ValidityError

__all__ = ["Fetch", "VaultShell"]

Fetch = Callable[[], Awaitable[Any]]
ShellT = TypeVar("ShellT", bound="VaultShell")


class VaultShell(VaultBase[Flight[Any]]):
    """SDK clients, lifecycle and the read algorithm shared by every public method."""

    def __init__(
        self,
        vault_url: str,
        credential: AsyncTokenCredential | None = None,
        *,
        expiry: ExpiryPolicy | None = None,
        cache: CachePolicy | None = None,
        clock: Callable[[], datetime] | None = None,
        timer: Callable[[], float] | None = None,
        allow_any_host: bool = False,
        audit_principal: bool = False,
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
        )
        if credential is not None:
            AsyncScopedCredential.check(credential)
        check_transport(self._client_options)
        if "retry_policy" not in self._client_options:
            self._client_options["retry_policy"] = AsyncBoundedRetryPolicy(**self._retry_options)
        if credential is None:
            from azure.identity.aio import DefaultAzureCredential

            credential = DefaultAzureCredential()
            self._owns_credential = True
        else:
            self._owns_credential = False
        self._credential = AsyncScopedCredential(
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

    async def close(self) -> None:
        """Stop background refreshes and close the SDK clients (and a default credential)."""
        with self._tel.operation("close"):
            await self._close()

    async def _close(self) -> None:
        unwatch_expiry(self)
        await self._background.close()
        await self._secrets.close()
        await self._keys.close()
        await self._certificates.close()
        if self._owns_credential:
            await self._credential.close()

    async def __aenter__(self: ShellT) -> ShellT:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- the checked read and the remembered write ------------------------------------

    async def _read(
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
            item, result = await self._resolve(core, (name.lower(), version), fetch, op, kind, name)
            Telemetry.cache_result(op, result)
            return self._checked(core, kind, item, op, refuse)
        except ValidityError as error:
            Telemetry.refusal(op, kind, error.validity)
            raise

    async def _remember_write(
        self, core: CacheCore[Any, Flight[Any]], name: str, item: Any
    ) -> None:
        """Cache what this vault just wrote as the latest version, and tell subscribers."""
        _, old, announce = core.store(
            (name.lower(), None),
            item,
            self._timer(),
            self._clock(),
            version=item.version,
            write=True,
        )
        if announce:
            await self._notify(core, name.lower(), old, item)

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

        One dict read, one timer read and comparison (and, for an object with an expiry, one
        wall-clock read: the monotonic timer does not see the wall clock jump), no lock.
        """
        try:
            entry = core.entries.get((name.lower(), version))
        except (AttributeError, TypeError):
            return None  # not a str: the checked path reports it
        if entry is None:
            return None
        now = self._timer()
        if now >= entry.hit_until or (entry.wall_until < INF and self._wall() >= entry.wall_until):
            return None
        entry.last_used = now
        self._tel.hit(method, kind, entry)
        return entry.item

    # -- the read algorithm -------------------------------------------------------------------

    async def _resolve(
        self,
        core: CacheCore[Any, Flight[Any]],
        key: Key,
        fetch: Fetch,
        op: Operation,
        kind: str,
        name: str,
    ) -> tuple[Any, str]:
        """Find ``key``'s item: cached, revalidated, fetched or stale; and how."""
        now = self._timer()
        plan = core.plan(key, now)
        step = plan.step
        if step in (Step.SERVE, Step.SERVE_STALE, Step.RAISE):
            return self._planned(op, plan)
        if step is Step.SERVE_AND_REFRESH:
            assert plan.entry is not None
            self._refresh_in_background(core, key, fetch, kind, name)
            return plan.entry.item, "hit"
        if step is Step.REVALIDATE:
            flight = self._refresh_in_background(core, key, fetch, kind, name)
            budget = core.wait_budget(key, self._timer(), self._refresh_timeout)
            if not await flight.wait(budget):
                core.overdue(key, flight)  # nobody else waits for this revalidation
                entry = core.stale(key, self._timer())
                if entry is not None:
                    return self._stale(op, entry, self._timer()), "stale"
                await flight.wait(None)
            result = "refresh"
        else:
            joined, leader, replanned = core.join(key, Flight, self._timer())
            if replanned is not None:
                return self._planned(op, replanned)
            assert joined is not None
            flight = joined
            if leader:
                self._background.lead(flight, self._fly, core, key, fetch, flight, kind, name)
            await flight.wait(None)
            result = "miss"
        error = flight.error
        if error is None:
            return flight.value, result
        if classify(error) is Failure.TRANSIENT:
            entry = core.stale(key, self._timer())
            if entry is not None:
                return self._stale(op, entry, self._timer()), "stale"
        raise fresh(error)

    def _refresh_in_background(
        self, core: CacheCore[Any, Flight[Any]], key: Key, fetch: Fetch, kind: str, name: str
    ) -> Flight[Any]:
        flight, leader, replanned = core.join(key, Flight, self._timer())
        if replanned is not None:
            done: Flight[Any] = Flight()
            if replanned.entry is not None:
                done.resolve(replanned.entry.item)
            elif replanned.error is not None:
                done.reject(replanned.error)
            return done
        assert flight is not None
        if leader:
            self._background.spawn(flight, self._refresh, core, key, fetch, flight, kind, name)
        return flight

    async def _refresh(
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
            await self._fly(core, key, fetch, flight, kind, name)
            if flight.error is None:
                op.set_item(flight.value)
                Telemetry.cache_result(op, "refresh")
            else:
                op.fail(flight.error)

    async def _fly(
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
        try:
            item = await fetch()
        except Exception as error:
            mapped = scrub(self._map_error(error, kind, name, key[1]))
            failure = classify(error)
            if failure is Failure.NEGATIVE:
                core.record_negative(key, self._timer(), mapped)
            else:
                core.record_backoff(
                    key,
                    self._timer(),
                    mapped,
                    stale_ok=failure is Failure.TRANSIENT,
                    retry_after=retry_after_of(error),
                )
            core.land(key, flight)
            flight.reject(mapped)
            return
        except BaseException:  # cancelled (the vault closed): release the waiters, propagate
            core.land(key, flight)
            flight.reject(interrupted())
            raise
        entry, old, announce = core.store(
            key, item, self._timer(), self._clock(), version=item.version, started_at=started
        )
        core.land(key, flight)
        flight.resolve(entry.item)
        if announce:
            await self._notify(core, key[0], old, item)

    def _planned(self, op: Operation, plan: Plan[Any]) -> tuple[Any, str]:
        """The outcome of a plan that needs no fetch."""
        if plan.step is Step.RAISE:
            assert plan.error is not None
            raise fresh(plan.error)
        assert plan.entry is not None
        if plan.step is Step.SERVE_STALE:
            return self._stale(op, plan.entry, self._timer()), "stale"
        return plan.entry.item, "hit"

    def _stale(self, op: Operation, entry: Any, now: float) -> Any:
        op.event(
            "safevault.stale_served", {"safevault.stale.age_s": max(0.0, now - entry.fetched_at)}
        )
        return entry.item

    async def _notify(
        self, core: CacheCore[Any, Flight[Any]], name: str, old: Any, new: Any
    ) -> None:
        for callback in core.subscribers(name):
            await call_back(callback, old, new)
