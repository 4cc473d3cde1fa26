# GENERATED from src/safevault/_async/_secrets.py by scripts/unasync.py: do not edit.
"""Secrets: the safe read path and the safe write path."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from safevault._core._arguments import (
    check_content_type,
    check_duration,
    check_name,
    check_secret_value,
    check_tags,
    check_version,
    check_when,
)
from safevault._core._validity import assess, resolve_create_window
from safevault._model._secret import Secret
from safevault._model._validity import Validity
from safevault._sdk._convert import secret_from_sdk
from safevault._shell._threads import run_all, settle
from safevault._sync._shell import VaultShell
from safevault._telemetry import Operation
from safevault.errors import InvalidArgumentError, ValidityError

__all__ = ["SecretsMixin"]

T = TypeVar("T")
FORCED_READ_INTERVAL = 30.0  # call_with_secret: forced re-reads of one name at most this often


class SecretsMixin(VaultShell):
    """``get_secret``, ``get_secret_versions``, ``preload``, ``set_secret``, cache control."""

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
        cached: Secret | None = self._cached(
            self._secret_cache, "get_secret", "secret", name, version
        )
        if cached is not None:
            return cached
        check_name(name)
        version = check_version(version)
        with self._tel.operation("get_secret", "secret", name) as op:
            return self._read_secret(op, name, version)

    def _read_secret(
        self, op: Operation, name: str, version: str | None, refuse: bool = True
    ) -> Secret:
        def fetch() -> Secret:
            secret = self._secrets.get_secret(name, version)
            return secret_from_sdk(secret)

        secret: Secret = self._read(self._secret_cache, "secret", name, version, fetch, op, refuse)
        return secret

    def get_secret_versions(
        self, name: str, *, valid_only: bool = True, limit: int = 2
    ) -> list[Secret]:
        """The newest versions of a secret, with values, newest first.

        Useful during a rotation: accept the current and the previous value. Ordered by
        ``created_on`` then ``updated_on``. Disabled versions are never listed: Key Vault
        does not release their values. Requires secrets/list and secrets/get permissions.

        :param str name: the secret's name.
        :keyword bool valid_only: skip expired and not-yet-valid versions (True); False lists
            them too, with their values, whatever ``ExpiryPolicy.on_read`` says.
        :keyword int limit: how many versions to return at most (2).
        :rtype: list[~safevault.Secret]
        """
        check_name(name)
        if not isinstance(valid_only, bool):
            raise InvalidArgumentError("valid_only must be True or False.")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise InvalidArgumentError("limit must be a positive integer.")
        with self._tel.operation("get_secret_versions", "secret", name) as op:
            listing = [p for p in self._secrets.list_properties_of_secret_versions(name)]
            listing.sort(
                key=lambda p: (p.created_on or _EPOCH, p.updated_on or _EPOCH), reverse=True
            )
            now = self._clock()
            chosen = []
            for props in listing:
                validity = assess(
                    enabled=bool(props.enabled),
                    not_before=props.not_before,
                    expires_on=props.expires_on,
                    now=now,
                    policy=self._expiry,
                )
                if validity is Validity.DISABLED:
                    continue
                if valid_only and validity in (Validity.EXPIRED, Validity.NOT_YET_VALID):
                    continue
                if props.version:
                    chosen.append(props.version)
                if len(chosen) >= limit:
                    break
            results = []
            for version in chosen:
                try:
                    results.append(self._read_secret(op, name, version, valid_only))
                except ValidityError:
                    continue  # changed since the listing (disabled, or expired meanwhile)
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
            self._remember_write(self._secret_cache, name, item)
            return item

    # -- reads that follow rotation -------------------------------------------------------

    def call_with_secret(
        self,
        name: str,
        fn: Callable[[Secret], T],
        *,
        retry_on: tuple[type[BaseException], ...],
    ) -> T:
        """Call ``fn(secret)``; if it raises one of ``retry_on``, retry once with a newer value.

        The "credential rejected" errors of your client go in ``retry_on``. On such an error
        the secret is re-read past the cache (at most once per 30 s per name, so a failing
        downstream cannot hammer the vault) and ``fn`` is called once more if a newer version
        exists. With ``safevault.aio``, ``fn`` may be a coroutine function.
        """
        check_name(name)
        if not isinstance(retry_on, tuple) or not all(
            isinstance(e, type) and issubclass(e, BaseException) for e in retry_on
        ):
            raise InvalidArgumentError("retry_on must be a tuple of exception classes.")
        with self._tel.operation("call_with_secret", "secret", name) as op:
            secret = self.get_secret(name)
            try:
                result: T = settle(fn(secret))
                return result
            except retry_on:
                newer = self._newer_than(name, secret)
                if newer is None:
                    raise
                op.event(
                    "safevault.retry_with_newer_version",
                    {"safevault.object.version": newer.version},
                )
                retried: T = settle(fn(newer))
                return retried

    def _newer_than(self, name: str, secret: Secret) -> Secret | None:
        cached: Secret = self.get_secret(name)
        if cached.version != secret.version:
            return cached
        forced = self._forced_reads
        now = self._timer()
        last = forced.get(name.lower())
        if last is not None and now - last < FORCED_READ_INTERVAL:
            return None
        forced[name.lower()] = now
        self._secret_cache.expire(name)
        fresh: Secret = self.get_secret(name)
        return fresh if fresh.version != secret.version else None


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _bind(fn: Callable[..., Any], name: str) -> Callable[[], Any]:
    return lambda: fn(name)
