"""What the sync and async ``Vault`` share: construction checks and the decisions they apply.

Nothing here does I/O. The shells (``safevault._sync._vault`` generated from
``safevault._async._vault``) only call the SDK around these.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

from safevault._core._cache import CacheCore
from safevault._core._kinds import KINDS
from safevault._core._validity import assess, refusal
from safevault._model._policy import CachePolicy, ExpiryPolicy
from safevault._model._secret import Secret
from safevault._model._validity import Validity
from safevault._sdk._config import (
    RETRY_DEFAULTS,
    VaultLocation,
    check_client_keywords,
    client_options,
    locate_vault,
)
from safevault._sdk._failures import is_disabled_answer
from safevault._telemetry import Operation, Telemetry, watch_expiry
from safevault.errors import DisabledError, InvalidArgumentError

__all__ = ["VaultBase"]

_LOG = logging.getLogger("safevault")
F = TypeVar("F")
_SERVE_INVALID = ExpiryPolicy(on_read="ignore")  # refuses only disabled objects
# The Vault's own keyword options (for the "did you mean" of an unknown keyword).
OWN_OPTIONS = (
    "credential",
    "expiry",
    "cache",
    "clock",
    "timer",
    "allow_any_host",
    "audit_principal",
    "audit_hits",
)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _check_clock(clock: object) -> None:
    """A clock is called once now, so a wrong one fails here and not at the first read."""
    if clock is None:
        return
    if not callable(clock):
        raise InvalidArgumentError("clock must be a callable returning an aware datetime.")
    now = clock()
    if not isinstance(now, datetime):
        raise InvalidArgumentError(
            f"clock must return a datetime, got {type(now).__name__}: e.g. "
            "lambda: datetime.now(timezone.utc)."
        )
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidArgumentError(
            "clock returned a naive datetime: it must be timezone-aware, e.g. "
            "lambda: datetime.now(timezone.utc)."
        )


def _check_timer(timer: object) -> None:
    if timer is None:
        return
    if not callable(timer):
        raise InvalidArgumentError("timer must be a callable returning monotonic seconds.")
    now = timer()
    if isinstance(now, bool) or not isinstance(now, (int, float)):
        raise InvalidArgumentError(
            f"timer must return seconds as a float (like time.monotonic), got {type(now).__name__}."
        )


class VaultBase(Generic[F]):
    """Checked configuration, clocks, caches and telemetry of one vault."""

    def __init__(
        self,
        vault_url: str,
        *,
        expiry: ExpiryPolicy | None,
        cache: CachePolicy | None,
        clock: Callable[[], datetime] | None,
        timer: Callable[[], float] | None,
        allow_any_host: bool,
        audit_principal: bool,
        client_kwargs: Mapping[str, Any],
        audit_hits: bool = False,
    ) -> None:
        check_client_keywords(client_kwargs, OWN_OPTIONS)
        for flag, value in (
            ("allow_any_host", allow_any_host),
            ("audit_principal", audit_principal),
            ("audit_hits", audit_hits),
        ):
            if not isinstance(value, bool):
                raise InvalidArgumentError(f"{flag} must be True or False.")
        self._location: VaultLocation = locate_vault(vault_url, allow_any_host=allow_any_host)
        if expiry is None:
            expiry = ExpiryPolicy()
        if cache is None:
            cache = CachePolicy()
        if not isinstance(expiry, ExpiryPolicy):
            raise InvalidArgumentError("expiry must be a safevault.ExpiryPolicy.")
        if not isinstance(cache, CachePolicy):
            raise InvalidArgumentError("cache must be a safevault.CachePolicy.")
        _check_clock(clock)
        _check_timer(timer)
        self._expiry = expiry
        self._cache_policy = cache
        self._clock: Callable[[], datetime] = clock or _utc_now
        self._timer: Callable[[], float] = timer or time.monotonic
        # wall-clock seconds for the hit path's expiry check: the clock's, cheaply
        self._wall: Callable[[], float] = (
            time.time if clock is None else lambda: self._clock().timestamp()
        )
        options = client_options(client_kwargs)
        self._retry_options = {k: options.pop(k) for k in RETRY_DEFAULTS if k in options}
        self._client_options = options
        self._refresh_timeout = cache.refresh_timeout.total_seconds()
        self._tel = Telemetry(self._location.host, audit_hits=audit_hits)
        # one cache per kind of object (the table in _core/_kinds); the shells' hot paths
        # reach theirs through an attribute
        self._caches: dict[str, CacheCore[Any, F]] = {
            kind: CacheCore(cache, expiry) for kind in KINDS
        }
        self._secret_cache: CacheCore[Secret, F] = self._caches["secret"]
        self._key_cache: CacheCore[Any, F] = self._caches["key"]
        self._certificate_cache: CacheCore[Any, F] = self._caches["certificate"]
        self._forced_reads: dict[str, float] = {}  # call_with_secret: name -> timer
        watch_expiry(self)

    @property
    def vault_url(self) -> str:
        """The vault's URL, e.g. ``https://myvault.vault.azure.net``."""
        return self._location.url

    @property
    def expiry_policy(self) -> ExpiryPolicy:
        return self._expiry

    @property
    def cache_policy(self) -> CachePolicy:
        return self._cache_policy

    def __repr__(self) -> str:
        return f"{type(self).__module__.split('.')[0]}.Vault({self.vault_url!r})"

    def _set_principal(self, principal: str | None) -> None:
        """Record the calling identity for ``enduser.id`` (``audit_principal=True``)."""
        self._tel.principal = principal

    def _expiry_observations(self) -> Iterator[tuple[float, dict[str, str]]]:
        """(seconds to the soonest expiry, attributes) per kind among the cached latest
        versions with an expiry: identifiers of the vault and the kind, never of an object."""
        now = self._clock()
        for kind, core in self._caches.items():
            soonest = None
            for (_, version), entry in list(core.entries.items()):
                expires_on = getattr(entry.item, "expires_on", None)
                if (
                    version is None
                    and expires_on is not None
                    and (soonest is None or expires_on < soonest)
                ):
                    soonest = expires_on
            if soonest is not None:
                yield (
                    (soonest - now).total_seconds(),
                    {"safevault.vault.host": self._location.host, "safevault.object.kind": kind},
                )

    def _after_fork(self) -> None:
        for core in self._caches.values():
            core.after_fork()

    # -- decisions applied by both shells -------------------------------------------------

    def _map_error(
        self, error: BaseException, kind: str, name: str, version: str | None
    ) -> BaseException:
        """Key Vault's 403 ``SecretDisabled`` becomes :class:`DisabledError`; the rest passes."""
        if is_disabled_answer(error):
            mapped = DisabledError(
                f"The {kind} {name!r} (version {version or 'latest'}) is disabled in the "
                f"vault; enable it or read another version.",
                kind=kind,
                name=name,
                version=version,
            )
            mapped.__cause__ = None
            return mapped
        return error

    def _checked(
        self, core: CacheCore[Any, F], kind: str, item: Any, op: Operation, refuse: bool = True
    ) -> Any:
        """Apply the expiry policy to an object about to be returned.

        :param refuse: False serves an expired or not-yet-valid object whatever ``on_read``
            says (``get_secret_versions(valid_only=False)``); a disabled one is still refused.
        """
        validity = assess(
            enabled=item.enabled,
            not_before=item.not_before,
            expires_on=item.expires_on,
            now=self._clock(),
            policy=self._expiry,
        )
        op.set_item(item, validity.value)
        if validity is Validity.VALID or validity is Validity.NO_EXPIRY:
            return item  # the common case: nothing to refuse, warn or record
        error = refusal(
            validity,
            self._expiry if refuse else _SERVE_INVALID,
            kind=kind,
            name=item.name,
            version=item.version,
            not_before=item.not_before,
            expires_on=item.expires_on,
        )
        if error is not None:
            raise error
        if validity is Validity.EXPIRING:
            Telemetry.expiring(op, kind, item.expires_on)
            if core.first_warning(item.name.lower(), item.version):
                _LOG.warning(
                    "safevault: %s %r version %s expires at %s; rotate it before then.",
                    kind,
                    item.name,
                    item.version,
                    item.expires_on.isoformat(),
                )
        elif validity in (Validity.EXPIRED, Validity.NOT_YET_VALID):
            op.event("safevault.validity_ignored", {"safevault.validity": validity.value})
            if self._expiry.on_read == "warn" and core.first_warning(
                item.name.lower(), f"{item.version}/{validity.value}"
            ):
                _LOG.warning(
                    "safevault: serving %s %r version %s although it is %s (on_read='warn').",
                    kind,
                    item.name,
                    item.version,
                    validity.value.replace("_", " "),
                )
        return item
