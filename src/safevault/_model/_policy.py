"""The two policies a :class:`~safevault.Vault` runs under: expiry and caching."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from safevault.errors import InvalidArgumentError

__all__ = ["MAX_DURATION", "CachePolicy", "ExpiryPolicy"]

OnRead = Literal["strict", "warn", "ignore"]
MAX_DURATION = timedelta(days=36525)  # 100 years: far from datetime's year-9999 overflow


def _flag(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidArgumentError(
            f"{name} must be True or False, got {type(value).__name__} (a non-empty string "
            "such as 'no' would count as True)."
        )


def _positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"{name} must be a positive integer.")


def _non_negative(name: str, value: timedelta) -> None:
    if not isinstance(value, timedelta):
        raise InvalidArgumentError(
            f"{name} must be a datetime.timedelta, got {type(value).__name__}."
        )
    if value < timedelta(0):
        raise InvalidArgumentError(f"{name} must not be negative; got {value}.")
    if value > MAX_DURATION:
        raise InvalidArgumentError(f"{name} must be at most {MAX_DURATION.days} days (100 years).")


@dataclass(frozen=True)
class ExpiryPolicy:
    """What safevault enforces about ``not_before`` / ``expires_on``, on create and on read.

    Key Vault itself does not enforce a secret's expiry on reads; safevault does.

    :keyword default_lifetime: expiry applied on create when the caller gives none (90 days).
    :keyword max_lifetime: a create whose expiry is further away is refused (365 days).
    :keyword max_certificate_months: the longest certificate validity accepted (12).
    :keyword require_expiry: refuse creates that end up with no expiry (True).
    :keyword on_read: ``"strict"`` refuses expired / not-yet-valid reads, ``"warn"`` serves them
        with a warning, ``"ignore"`` serves them silently. Disabled objects are always refused.
    :keyword warn_before: reads inside this window before expiry record a near-expiry event.
    :keyword clock_skew: tolerance applied to ``not_before`` only; an expiry is never extended.
    """

    default_lifetime: timedelta | None = timedelta(days=90)
    max_lifetime: timedelta | None = timedelta(days=365)
    max_certificate_months: int = 12
    require_expiry: bool = True
    on_read: OnRead = "strict"
    warn_before: timedelta = timedelta(days=30)
    clock_skew: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        for name in ("default_lifetime", "max_lifetime"):
            value = getattr(self, name)
            if value is not None:
                _non_negative(name, value)
                if value == timedelta(0):
                    raise InvalidArgumentError(f"{name} must be positive, or None to turn it off.")
        _non_negative("warn_before", self.warn_before)
        _non_negative("clock_skew", self.clock_skew)
        if not isinstance(self.on_read, str) or self.on_read not in ("strict", "warn", "ignore"):
            raise InvalidArgumentError("on_read must be 'strict', 'warn' or 'ignore'.")
        _positive_int("max_certificate_months", self.max_certificate_months)
        _flag("require_expiry", self.require_expiry)
        if (
            self.default_lifetime is not None
            and self.max_lifetime is not None
            and self.default_lifetime > self.max_lifetime
        ):
            raise InvalidArgumentError(
                f"default_lifetime ({self.default_lifetime}) exceeds max_lifetime "
                f"({self.max_lifetime}); lower the default or raise the maximum."
            )


@dataclass(frozen=True)
class CachePolicy:
    """How long safevault trusts what it read, and what it does when the vault fails.

    :keyword ttl: how long a cached entry is trusted before it is revalidated (10 minutes).
    :keyword jitter: each entry's ttl is randomised by +- this fraction (0.1).
    :keyword refresh_ahead: refresh in the background once an entry lived 80% of its ttl.
    :keyword refresh_timeout: past the ttl, how long a reader waits for the revalidation
        before it gets the last good value (5 seconds).
    :keyword max_stale: how long past its ttl the last good value may be served on a
        transient failure; never past the object's own expiry (1 hour).
    :keyword negative_ttl: how long a 404 or 403 is remembered (30 seconds).
    :keyword max_entries: bound on cached versions, approximate LRU (1024).
    :keyword enabled: False sends every read to the vault (still checked and traced).
    """

    ttl: timedelta = timedelta(minutes=10)
    jitter: float = 0.1
    refresh_ahead: bool = True
    refresh_timeout: timedelta = timedelta(seconds=5)
    max_stale: timedelta = timedelta(hours=1)
    negative_ttl: timedelta = timedelta(seconds=30)
    max_entries: int = 1024
    enabled: bool = True

    def __post_init__(self) -> None:
        for name in ("ttl", "refresh_timeout", "max_stale", "negative_ttl"):
            _non_negative(name, getattr(self, name))
        if self.ttl <= timedelta(0):
            raise InvalidArgumentError(
                "ttl must be positive; use enabled=False to turn caching off."
            )
        if (
            isinstance(self.jitter, bool)
            or not isinstance(self.jitter, (int, float))
            or not 0 <= self.jitter < 1
        ):
            raise InvalidArgumentError("jitter must be a number in [0, 1), e.g. 0.1.")
        _positive_int("max_entries", self.max_entries)
        _flag("refresh_ahead", self.refresh_ahead)
        _flag("enabled", self.enabled)
