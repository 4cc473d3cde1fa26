"""``KeyRotation``: a key's rotation policy, checked against Key Vault's limits on construction.

Key Vault rotates a key by itself when its rotation policy says so (a ``Rotate`` lifetime
action) and gives every version it makes the policy's ``expiryTime``. Its documented limits
("Configure cryptographic key auto-rotation in Azure Key Vault") are checked here, before any
request, so a bad policy fails with a message that says what to change instead of a 400:

- ``expires_in`` (the lifetime of each new version) is at least 28 days;
- exactly one rotation trigger: ``rotate_after`` (time after a version's creation) or
  ``rotate_before_expiry`` (time before its expiry, which needs ``expires_in``);
- the rotation happens at least 7 days after creation and at least 7 days before expiry;
- a ``Notify`` action (Event Grid ``KeyNearExpiry``) fires before expiry, so it needs
  ``expires_in`` and must be shorter than it.

Durations are whole days: the service speaks ISO 8601 (``P90D``). Reading a policy back, months
count as 30 days and years as 365 days. Pure: no I/O; the conversions to and from the SDK's
``KeyRotationPolicy`` are in ``safevault._sdk._convert_keys``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from safevault._model._policy import MAX_DURATION, ExpiryPolicy
from safevault.errors import ExpiryPolicyError, InvalidArgumentError

__all__ = ["KeyRotation", "format_duration", "parse_duration"]

MIN_EXPIRES_IN = timedelta(days=28)
MIN_TRIGGER_GAP = timedelta(days=7)


class _DefaultBeforeExpiry(timedelta):
    """The default of ``rotate_before_expiry`` (30 days), told apart from an explicit value.

    ``KeyRotation(rotate_after=...)`` drops it (one trigger only); an explicit
    ``rotate_before_expiry`` next to ``rotate_after`` is refused.
    """

    def __repr__(self) -> str:
        return "datetime.timedelta(days=30)"


_DEFAULT_BEFORE_EXPIRY = _DefaultBeforeExpiry(days=30)

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
_UNITS = {
    "years": timedelta(days=365),
    "months": timedelta(days=30),
    "weeks": timedelta(weeks=1),
    "days": timedelta(days=1),
    "hours": timedelta(hours=1),
    "minutes": timedelta(minutes=1),
    "seconds": timedelta(seconds=1),
}


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration (``P90D``, ``P1Y2M``, ``PT48H``) as a timedelta.

    A month counts as 30 days and a year as 365 days (Key Vault does not say how it counts).

    :raises ValueError: not an ISO 8601 duration.
    """
    match = _DURATION.match(text.strip().upper()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    total = timedelta(0)
    for unit, value in match.groupdict().items():
        if value:
            total += int(value) * _UNITS[unit]
    return total


def format_duration(value: timedelta) -> str:
    """A whole number of days as ISO 8601 (``P90D``)."""
    return f"P{value.days}D"


def _check_days(name: str, value: object) -> timedelta | None:
    if value is None:
        return None
    if not isinstance(value, timedelta):
        raise InvalidArgumentError(
            f"KeyRotation.{name} must be a datetime.timedelta, got {type(value).__name__}."
        )
    if value <= timedelta(0):
        raise InvalidArgumentError(f"KeyRotation.{name} must be positive; got {value}.")
    if value > MAX_DURATION:
        raise InvalidArgumentError(
            f"KeyRotation.{name} must be at most {MAX_DURATION.days} days (100 years)."
        )
    if value != timedelta(days=value.days):
        raise InvalidArgumentError(
            f"KeyRotation.{name} must be a whole number of days (Key Vault takes ISO 8601 "
            f"durations such as P30D); got {value}."
        )
    return timedelta(days=value.days)


def _days(value: timedelta) -> str:
    return f"{value.days} days"


@dataclass(frozen=True)
class KeyRotation:
    """When Key Vault rotates a key by itself, and how long each new version lives.

    The defaults rotate 30 days before a 90-day expiry, so in normal operation a key never
    reaches its expiry. Key Vault's limits are checked on construction.

    :keyword rotate_after: rotate this long after a version is created (then
        ``rotate_before_expiry`` must not be given).
    :keyword rotate_before_expiry: rotate this long before a version expires (30 days).
    :keyword expires_in: the lifetime Key Vault gives each version it creates (90 days); at
        least 28 days, and at most the vault's ``ExpiryPolicy.max_lifetime`` (checked on use).
    :keyword notify_before_expiry: when Key Vault publishes the Event Grid ``KeyNearExpiry``
        event (30 days before expiry); None for no notification.
    :raises InvalidArgumentError: a value Key Vault would refuse; the message says which limit.
    """

    rotate_after: timedelta | None = None
    rotate_before_expiry: timedelta | None = _DEFAULT_BEFORE_EXPIRY
    expires_in: timedelta | None = timedelta(days=90)
    notify_before_expiry: timedelta | None = timedelta(days=30)

    def __post_init__(self) -> None:
        before = self.rotate_before_expiry
        if before is _DEFAULT_BEFORE_EXPIRY:
            before = None if self.rotate_after is not None else timedelta(days=30)
        after = _check_days("rotate_after", self.rotate_after)
        before = _check_days("rotate_before_expiry", before)
        expires_in = _check_days("expires_in", self.expires_in)
        notify = _check_days("notify_before_expiry", self.notify_before_expiry)
        object.__setattr__(self, "rotate_after", after)
        object.__setattr__(self, "rotate_before_expiry", before)
        object.__setattr__(self, "expires_in", expires_in)
        object.__setattr__(self, "notify_before_expiry", notify)
        if after is not None and before is not None:
            raise InvalidArgumentError(
                "KeyRotation takes exactly one trigger: rotate_after or rotate_before_expiry, "
                "not both (pass rotate_before_expiry=None with rotate_after=...)."
            )
        if after is None and before is None:
            raise InvalidArgumentError(
                "KeyRotation needs a trigger: rotate_after=... or rotate_before_expiry=...."
            )
        if expires_in is not None and expires_in < MIN_EXPIRES_IN:
            raise InvalidArgumentError(
                f"KeyRotation.expires_in is {_days(expires_in)}; Key Vault requires at least "
                f"28 days."
            )
        if after is not None:
            if after < MIN_TRIGGER_GAP:
                raise InvalidArgumentError(
                    f"KeyRotation.rotate_after is {_days(after)}; Key Vault rotates at least "
                    f"7 days after creation."
                )
            if expires_in is not None and after > expires_in - MIN_TRIGGER_GAP:
                raise InvalidArgumentError(
                    f"KeyRotation.rotate_after ({_days(after)}) must be at least 7 days before "
                    f"expires_in ({_days(expires_in)}): Key Vault rotates at least 7 days "
                    f"before expiry."
                )
        if before is not None:
            if expires_in is None:
                raise InvalidArgumentError(
                    "KeyRotation.rotate_before_expiry needs expires_in (Key Vault counts it "
                    "from the expiry the policy gives each version)."
                )
            if before < MIN_TRIGGER_GAP:
                raise InvalidArgumentError(
                    f"KeyRotation.rotate_before_expiry is {_days(before)}; Key Vault rotates at "
                    f"least 7 days before expiry."
                )
            if before > expires_in - MIN_TRIGGER_GAP:
                raise InvalidArgumentError(
                    f"KeyRotation.rotate_before_expiry ({_days(before)}) leaves less than 7 days "
                    f"after creation with expires_in={_days(expires_in)}: Key Vault rotates at "
                    f"least 7 days after creation."
                )
        if notify is not None:
            if expires_in is None:
                raise InvalidArgumentError(
                    "KeyRotation.notify_before_expiry needs expires_in; pass "
                    "notify_before_expiry=None for a policy without expiry."
                )
            if notify >= expires_in:
                raise InvalidArgumentError(
                    f"KeyRotation.notify_before_expiry ({_days(notify)}) must be shorter than "
                    f"expires_in ({_days(expires_in)})."
                )

    # -- checks on use ------------------------------------------------------------------------

    def check_against(self, policy: ExpiryPolicy) -> None:
        """Refuse a rotation whose versions would break the vault's :class:`ExpiryPolicy`.

        :raises ExpiryPolicyError: ``expires_in`` beyond ``max_lifetime``, or no ``expires_in``
            while the policy requires an expiry.
        """
        if self.expires_in is None:
            if policy.require_expiry:
                raise ExpiryPolicyError(
                    "ExpiryPolicy requires an expiry on every key, but this KeyRotation gives "
                    "new versions none: pass KeyRotation(expires_in=...)."
                )
            return
        if policy.max_lifetime is not None and self.expires_in > policy.max_lifetime:
            raise ExpiryPolicyError(
                f"KeyRotation.expires_in ({_days(self.expires_in)}) is longer than the policy's "
                f"max_lifetime ({_days(policy.max_lifetime)}); pass a shorter expires_in or "
                f"raise max_lifetime."
            )

    def check_first_version(self, lifetime: timedelta | None) -> None:
        """Refuse a first version the policy could not rotate in time.

        The first version's expiry comes from ``create_key`` (the expiry policy), not from the
        rotation policy; the same 7-day limits apply to it, so it is rotated before it expires.

        :param lifetime: from creation to the first version's expiry (None: no expiry).
        :raises InvalidArgumentError: the trigger would fire too early or after the expiry.
        """
        if self.rotate_before_expiry is not None:
            if lifetime is None:
                raise InvalidArgumentError(
                    "KeyRotation.rotate_before_expiry needs the key's first version to expire: "
                    "pass expires_in=... to create_key, or use KeyRotation(rotate_after=...)."
                )
            if self.rotate_before_expiry > lifetime - MIN_TRIGGER_GAP:
                raise InvalidArgumentError(
                    f"The key's first version expires in {_lifetime(lifetime)}, but the rotation "
                    f"fires {_days(self.rotate_before_expiry)} before expiry, less than 7 days "
                    f"after creation: pass a longer expires_in to create_key or a shorter "
                    f"KeyRotation.rotate_before_expiry."
                )
        elif (
            self.rotate_after is not None
            and lifetime is not None
            and self.rotate_after > lifetime - MIN_TRIGGER_GAP
        ):
            raise InvalidArgumentError(
                f"The key's first version expires in {_lifetime(lifetime)}, before or within "
                f"7 days of its rotation ({_days(self.rotate_after)} after creation): pass a "
                f"longer expires_in to create_key or a shorter KeyRotation.rotate_after."
            )


def _lifetime(value: timedelta) -> str:
    if value >= timedelta(days=1):
        return f"{value.total_seconds() / 86400:.1f} days"
    return f"{value.total_seconds() / 3600:.1f} hours"
