"""The sync ``Vault``: the I/O shell around ``safevault._base`` and ``safevault._cache``.

GENERATED from ``safevault/aio/_vault.py`` by ``scripts/unasync.py``: do not edit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from azure.core.credentials import TokenCredential
from azure.keyvault.secrets import SecretClient

from safevault._base import VaultBase
from safevault._cache import CacheCore, Key, Step
from safevault._convert import secret_from_sdk
from safevault._credential import ScopedCredential
from safevault._failures import Failure, classify
from safevault._fork import register_fork_handler
from safevault._models import Secret
from safevault._policy import CachePolicy, ExpiryPolicy
from safevault._retry import BoundedRetryPolicy
from safevault._sync._concurrency import Background, Flight, call_back, check_transport, run_all
from safevault._telemetry import Operation, Telemetry
from safevault._validation import (
    check_content_type,
    check_duration,
    check_name,
    check_secret_value,
    check_tags,
    check_version,
    check_when,
)
from safevault._validity import Validity, assess, resolve_create_window
from safevault.errors import DisabledError, ExpiredError, InvalidArgumentError, ValidityError

__all__ = ["Vault"]

Fetch = Callable[[], Any]


class Vault(VaultBase[Flight[Any]]):
    """One Key Vault, safe by default: cached, version-aware, expiry-enforcing, traced.

    :param str vault_url: ``https://<name>.vault.azure.net`` (or a sovereign cloud's suffix).
    :param credential: an ``TokenCredential``; None uses
        ``azure.identity.DefaultAzureCredential()``. Only the Key Vault scope is ever
        requested from it.
    :keyword expiry: the :class:`~safevault.ExpiryPolicy` (defaults: 90-day default lifetime,
        365-day maximum, strict reads).
    :keyword cache: the :class:`~safevault.CachePolicy` (default ttl 10 minutes).
    :keyword clock: ``Callable[[], datetime]`` (tz-aware UTC) used for validity decisions.
    :keyword timer: ``Callable[[], float]`` (monotonic seconds) used for ttl and backoff.
    :keyword allow_any_host: accept a host outside Key Vault's DNS suffixes (emulators only).
    :keyword client_kwargs: passed to every SDK client (``transport``, ``api_version``,
        ``verify_challenge_resource``, ``retry_total`` ...). ``logging_enable=True`` is refused.
    :raises VaultConfigurationError: a URL that is not a Key Vault's, or no usable transport.
    :raises InvalidArgumentError: ``logging_enable=True`` or an invalid policy argument.
    """

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
        **client_kwargs: Any,
    ) -> None:
        super().__init__(
            vault_url,
            expiry=expiry,
            cache=cache,
            clock=clock,
            timer=timer,
            allow_any_host=allow_any_host,
            client_kwargs=client_kwargs,
        )
        check_transport(self._client_options)
        if "retry_policy" not in self._client_options:
            self._client_options["retry_policy"] = BoundedRetryPolicy(**self._retry_options)
        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
            self._owns_credential = True
        else:
            self._owns_credential = False
        self._credential = ScopedCredential(credential, self._location.scope)
        self._secrets = SecretClient(self.vault_url, self._credential, **self._client_options)
        self._background = Background()
        register_fork_handler(self)

    def _after_fork(self) -> None:
        super()._after_fork()
        self._background.after_fork()

    def close(self) -> None:
        """Stop background refreshes and close the SDK clients (and a default credential)."""
        self._background.close()
        self._secrets.close()
        if self._owns_credential:
            self._credential.close()

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- secrets: reads -----------------------------------------------------------------

    def get_secret(self, name: str, *, version: str | None = None) -> Secret:
        """Get a secret's value: from the cache when fresh, else from the vault.

        The value is checked against the :class:`~safevault.ExpiryPolicy` (Key Vault does not
        enforce a secret's expiry; safevault does). Requires secrets/get permission.

        :param str name: the secret's name (case-insensitive).
        :keyword str version: a version id; None reads the latest version.
        :returns: the secret, whose repr never shows the value.
        :rtype: ~safevault.Secret
        :raises ExpiredError: expired, under ``on_read="strict"``.
        :raises NotYetValidError: before its ``not_before``, under ``on_read="strict"``.
        :raises DisabledError: the version (or the latest version) is disabled.
        :raises ~azure.core.exceptions.ResourceNotFoundError: no such secret or version.
        :raises ~azure.core.exceptions.HttpResponseError: the vault refused the read (403 ...).
        """
        try:
            entry = self._secret_cache.entries.get((name.lower(), version))
        except AttributeError:
            entry = None
        if entry is not None:
            now = self._timer()
            if now < entry.hit_until:
                entry.last_used = now
                item = entry.item
                self._tel.hit(
                    "get_secret",
                    "secret",
                    item.name,
                    item,
                    "valid" if item.expires_on is not None else "no_expiry",
                )
                return item
        check_name(name)
        version = check_version(version or None)
        with self._tel.operation("get_secret", "secret", name) as op:
            return self._read_secret(op, name, version)

    def _read_secret(self, op: Operation, name: str, version: str | None) -> Secret:
        key: Key = (name.lower(), version)

        def fetch() -> Secret:
            with Telemetry.vault_request("get_secret"):
                secret = self._secrets.get_secret(name, version)
            return secret_from_sdk(secret)

        try:
            item, result = self._resolve(self._secret_cache, key, fetch, op, "secret", name)
            Telemetry.cache_result(op, result)
            checked: Secret = self._checked(self._secret_cache, "secret", item, op)
            return checked
        except ValidityError as error:
            Telemetry.refusal(op, "secret", _validity_of(error))
            raise

    def get_secret_versions(
        self, name: str, *, valid_only: bool = True, limit: int = 2
    ) -> list[Secret]:
        """The newest versions of a secret, with values, newest first.

        Useful during a rotation: accept the current and the previous value. Ordered by
        ``created_on`` then ``updated_on``. Requires secrets/list and secrets/get permissions.

        :param str name: the secret's name.
        :keyword bool valid_only: skip disabled, expired and not-yet-valid versions.
        :keyword int limit: how many versions to return at most (2).
        :rtype: list[~safevault.Secret]
        """
        check_name(name)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise InvalidArgumentError("limit must be a positive integer.")
        with self._tel.operation("get_secret_versions", "secret", name) as op:
            with Telemetry.vault_request("list_secret_versions"):
                listing = [p for p in self._secrets.list_properties_of_secret_versions(name)]
            listing.sort(
                key=lambda p: (p.created_on or _EPOCH, p.updated_on or _EPOCH), reverse=True
            )
            now = self._clock()
            chosen = []
            for props in listing:
                if valid_only:
                    validity = assess(
                        enabled=bool(props.enabled),
                        not_before=props.not_before,
                        expires_on=props.expires_on,
                        now=now,
                        policy=self._expiry,
                    )
                    if validity in (Validity.DISABLED, Validity.EXPIRED, Validity.NOT_YET_VALID):
                        continue
                if props.version:
                    chosen.append(props.version)
                if len(chosen) >= limit:
                    break
            results = []
            for version in chosen:
                try:
                    results.append(self._read_secret(op, name, version))
                except ValidityError:
                    if not valid_only:
                        raise
            return results

    def preload(self, *names: str) -> None:
        """Warm the cache at start-up, reading ``names`` concurrently.

        :raises: the first failure (ExpiredError, ResourceNotFoundError ...).
        """
        for name in names:
            check_name(name)
        with self._tel.operation("preload", "secret"):
            run_all([_bind(self.get_secret, name) for name in names])

    # -- secrets: writes ----------------------------------------------------------------

    def set_secret(
        self,
        name: str,
        value: str,
        *,
        expires_on: datetime | None = None,
        expires_in: timedelta | None = None,
        not_before: datetime | None = None,
        content_type: str | None = None,
        tags: Mapping[str, str] | None = None,
        enabled: bool = True,
    ) -> Secret:
        """Store a new version of a secret, with an expiry the policy accepts.

        Everything is checked before any request: the name, the value (a str of at most
        25 KiB), the dates, and the :class:`~safevault.ExpiryPolicy` (a default lifetime is
        applied when no expiry is given). Requires secrets/set permission.

        :param str name: the secret's name.
        :param str value: the value; never logged, traced or shown in a repr.
        :keyword expires_on: when the version expires (tz-aware).
        :keyword expires_in: or: how long from now it lives.
        :keyword not_before: when the version becomes valid (tz-aware).
        :keyword str content_type: e.g. ``"text/plain"``.
        :keyword tags: str-to-str tags (at most 15).
        :keyword bool enabled: whether the version can be read.
        :rtype: ~safevault.Secret
        :raises InvalidArgumentError: a bad argument; nothing was sent.
        :raises ExpiryPolicyError: the policy refused the expiry; nothing was sent.
        """
        check_name(name)
        check_secret_value(value)
        content_type = check_content_type(content_type)
        tag_map = check_tags(tags)
        expires_on = check_when("expires_on", expires_on)
        not_before = check_when("not_before", not_before)
        expires_in = check_duration("expires_in", expires_in)
        if not isinstance(enabled, bool):
            raise InvalidArgumentError("enabled must be True or False.")
        not_before, expires_on = resolve_create_window(
            self._expiry,
            self._clock(),
            expires_on=expires_on,
            expires_in=expires_in,
            not_before=not_before,
        )
        with self._tel.operation("set_secret", "secret", name) as op:
            with Telemetry.vault_request("set_secret"):
                secret = self._secrets.set_secret(
                    name,
                    value,
                    enabled=enabled,
                    not_before=not_before,
                    expires_on=expires_on,
                    content_type=content_type,
                    tags=tag_map,
                )
            item = secret_from_sdk(secret)
            op.set_item(item)
            _, old, announce = self._secret_cache.store(
                (name.lower(), None),
                item,
                self._timer(),
                self._clock(),
                version=item.version,
                write=True,
            )
            if announce:
                self._notify(name.lower(), old, item)
            return item

    # -- cache control --------------------------------------------------------------------

    def invalidate(self, name: str | None = None) -> None:
        """Drop cached entries (of one name, or all), negative answers and backoff."""
        if name is not None:
            check_name(name)
        with self._tel.operation("invalidate", "secret", name):
            self._secret_cache.invalidate(name)

    def on_change(
        self, name: str, callback: Callable[[Secret | None, Secret], Any]
    ) -> Callable[[], None]:
        """Call ``callback(old, new)`` once per new latest version the cache learns of.

        Callbacks run outside any lock ; one that raises is
        logged and does not affect reads.

        :returns: a function that unsubscribes.
        """
        check_name(name)
        if not callable(callback):
            raise InvalidArgumentError("callback must be callable as callback(old, new).")
        with self._tel.operation("on_change", "secret", name):
            return self._secret_cache.subscribe(name, callback)

    # -- the read algorithm ---------------------------------------------------------------

    def _resolve(
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
        if step is Step.SERVE:
            assert plan.entry is not None
            return plan.entry.item, "hit"
        if step is Step.SERVE_AND_REFRESH:
            assert plan.entry is not None
            self._refresh_in_background(core, key, fetch, kind, name)
            return plan.entry.item, "hit"
        if step is Step.SERVE_STALE:
            assert plan.entry is not None
            return self._stale(op, plan.entry, now), "stale"
        if step is Step.RAISE:
            assert plan.error is not None
            raise plan.error.with_traceback(None)
        if step is Step.REVALIDATE:
            flight = self._refresh_in_background(core, key, fetch, kind, name)
            if not flight.wait(self._refresh_timeout):
                entry = core.stale(key, self._timer())
                if entry is not None:
                    return self._stale(op, entry, self._timer()), "stale"
                flight.wait(None)
            result = "refresh"
        else:
            flight, leader = core.join(key, Flight)
            if leader:
                self._fly(core, key, fetch, flight, kind, name)
            else:
                flight.wait(None)
            result = "miss"
        try:
            return flight.outcome(), result
        except Exception as error:
            if classify(error) is Failure.TRANSIENT:
                entry = core.stale(key, self._timer())
                if entry is not None:
                    return self._stale(op, entry, self._timer()), "stale"
            raise

    def _refresh_in_background(
        self, core: CacheCore[Any, Flight[Any]], key: Key, fetch: Fetch, kind: str, name: str
    ) -> Flight[Any]:
        flight, leader = core.join(key, Flight)
        if leader:
            self._background.spawn(self._fly, core, key, fetch, flight, kind, name)
        return flight

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
        try:
            item = fetch()
        except Exception as error:
            mapped = self._map_error(error, kind, name, key[1])
            failure = classify(error)
            if failure is Failure.TRANSIENT:
                core.record_transient(key, self._timer(), mapped)
            elif failure is Failure.NEGATIVE:
                core.record_negative(key, self._timer(), mapped)
            core.land(key, flight)
            flight.reject(mapped)
            return
        except BaseException as error:  # cancelled: release the waiters, then propagate
            core.land(key, flight)
            flight.reject(error)
            raise
        _, old, announce = core.store(key, item, self._timer(), self._clock(), version=item.version)
        core.land(key, flight)
        flight.resolve(item)
        if announce:
            self._notify(key[0], old, item)

    def _stale(self, op: Operation, entry: Any, now: float) -> Any:
        op.event(
            "safevault.stale_served", {"safevault.stale.age_s": max(0.0, now - entry.fetched_at)}
        )
        return entry.item

    def _notify(self, name: str, old: Any, new: Any) -> None:
        for callback in self._secret_cache.subscribers(name):
            call_back(callback, old, new)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _bind(fn: Callable[..., Any], name: str) -> Callable[[], Any]:
    return lambda: fn(name)


def _validity_of(error: ValidityError) -> str:
    if isinstance(error, DisabledError):
        return "disabled"
    if isinstance(error, ExpiredError):
        return "expired"
    return "not_yet_valid"
