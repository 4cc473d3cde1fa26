# GENERATED from src/safevault/_async/_secrets.py by scripts/unasync.py: do not edit.
"""Secrets: the safe read path and the safe write path."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, TypeVar, overload

from safevault._core._arguments import (
    check_concurrency,
    check_content_type,
    check_duration,
    check_errors,
    check_name,
    check_names,
    check_secret_value,
    check_tags,
    check_version,
    check_when,
)
from safevault._core._validity import assess, resolve_create_window
from safevault._model._secret import Secret
from safevault._model._validity import Validity
from safevault._sdk._convert import secret_from_sdk
from safevault._shell._threads import run_bounded, settle
from safevault._sync._shell import VaultShell
from safevault._telemetry import Operation
from safevault.errors import InvalidArgumentError, ValidityError

__all__ = ["SecretsMixin"]

T = TypeVar("T")
FORCED_READ_INTERVAL = 30.0  # call_with_secret: forced re-reads of one name at most this often
DEFAULT_CONCURRENCY = 16  # get_secrets, preload: reads in flight at once, by default


class SecretsMixin(VaultShell):
    """``get_secret``, ``get_secrets``, ``get_secret_versions``, ``preload``, ``set_secret``,
    ``call_with_secret``."""

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

    @overload
    def get_secrets(
        self,
        names: Iterable[str],
        *,
        errors: Literal["raise"] = "raise",
        max_concurrency: int = DEFAULT_CONCURRENCY,
    ) -> dict[str, Secret]: ...

    @overload
    def get_secrets(
        self,
        names: Iterable[str],
        *,
        errors: Literal["return"],
        max_concurrency: int = DEFAULT_CONCURRENCY,
    ) -> dict[str, Secret | Exception]: ...

    def get_secrets(
        self,
        names: Iterable[str],
        *,
        errors: str = "raise",
        max_concurrency: int = DEFAULT_CONCURRENCY,
    ) -> dict[str, Any]:
        """Get many secrets at once: from the cache when fresh, the misses read concurrently.

        Each name is read as :meth:`get_secret` reads it (same cache, single flight, expiry
        policy, and one ``safevault.get_secret`` span per name, under this call's
        ``safevault.get_secrets`` span). Cached names are served at once; the misses are
        read at most ``max_concurrency`` at a time (16 by default; with the sync ``Vault``,
        on that many threads at most, made for the call), so 100 cold names take about
        ``ceil(100 / 16)`` round trips instead of 100. A failed read never stops the others.

        Names are case-insensitive, as Key Vault's are: a name given twice, in any spelling,
        is read once, and every spelling given is a key of the result, mapped to the same
        secret (or the same exception). The result follows the order of ``names``.

        Every argument is checked before any request is sent.

        :param names: the secrets' names: a list (or any iterable) of str; a single str is
            refused (pass ``["name"]``).
        :keyword str errors: ``"raise"`` (default): wait for every read to finish, then
            raise the failure of the first name, in the order given, that failed (the names
            read meanwhile stay cached). ``"return"``: never raise for a read; a name that
            failed maps to the exception :meth:`get_secret` would have raised.
        :keyword int max_concurrency: how many reads may be in flight at once (16).
        :returns: ``{name: Secret}`` in the order of ``names``; with ``errors="return"``,
            ``{name: Secret or Exception}``.
        :rtype: dict[str, ~safevault.Secret]
        :raises InvalidArgumentError: a bad argument (a str for ``names``, an invalid name, an
            unknown ``errors``, a ``max_concurrency`` below 1); nothing was sent.
        :raises: with ``errors="raise"``, what :meth:`get_secret` raises for the first name
            that failed (ExpiredError, ResourceNotFoundError, HttpResponseError ...).
        """
        listed = check_names(names)
        mode = check_errors(errors)
        limit = check_concurrency(max_concurrency)
        with self._tel.operation("get_secrets", "secret"):
            return self._get_many(listed, mode, limit)

    def preload(self, *names: str) -> None:
        """Warm the cache at start-up, reading ``names`` concurrently.

        The path of :meth:`get_secrets` (at most 16 reads in flight): every read finishes,
        then the first name, in the order given, that failed raises.

        :raises InvalidArgumentError: an invalid name; nothing was sent.
        :raises: the first failure (ExpiredError, ResourceNotFoundError ...).
        """
        listed = check_names(names)
        with self._tel.operation("preload", "secret"):
            self._get_many(listed, "raise", DEFAULT_CONCURRENCY)

    def _get_many(self, names: list[str], errors: str, limit: int) -> dict[str, Any]:
        """Read checked ``names``, each once whatever its case, ``limit`` misses at a time."""
        first: dict[str, str] = {}  # lower-cased name -> its first spelling, in input order
        for name in names:
            first.setdefault(name.lower(), name)
        outcomes: dict[str, Any] = {}
        misses: list[str] = []
        for key, name in first.items():
            # get_secret's own hit path, served here: a fresh entry needs no worker
            cached = self._cached(self._secret_cache, "get_secret", "secret", name, None)
            if cached is None:
                misses.append(name)
            else:
                outcomes[key] = cached
        read = run_bounded([_bind(self.get_secret, name) for name in misses], limit)
        outcomes.update(zip([name.lower() for name in misses], read))
        if errors == "raise":
            for key in first:
                failure = outcomes[key]
                if isinstance(failure, Exception):
                    raise failure  # a fresh object: get_secret raised it for this call
        return {name: outcomes[name.lower()] for name in names}

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
