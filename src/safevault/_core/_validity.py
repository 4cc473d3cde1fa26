"""Validity decisions: pure functions of an object's window, the time and the policy.

Key Vault does not enforce ``not_before``/``expires_on`` on secret reads; these functions
are how safevault does, on create (:func:`resolve_create_window`) and on read (:func:`assess`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from safevault._model._policy import ExpiryPolicy
from safevault._model._validity import Validity
from safevault.errors import (
    DisabledError,
    ExpiredError,
    ExpiryPolicyError,
    InvalidArgumentError,
    NotYetValidError,
    ValidityError,
)

__all__ = ["Validity", "assess", "refusal", "resolve_create_window"]


def assess(
    *,
    enabled: bool,
    not_before: datetime | None,
    expires_on: datetime | None,
    now: datetime,
    policy: ExpiryPolicy,
) -> Validity:
    """Classify an object's validity at ``now``; ``clock_skew`` widens ``not_before`` only."""
    if not enabled:
        return Validity.DISABLED
    if expires_on is not None and now >= expires_on:
        return Validity.EXPIRED
    if not_before is not None and now + policy.clock_skew < not_before:
        return Validity.NOT_YET_VALID
    if expires_on is None:
        return Validity.NO_EXPIRY
    if expires_on - now <= policy.warn_before:
        return Validity.EXPIRING
    return Validity.VALID


def refusal(
    validity: Validity,
    policy: ExpiryPolicy,
    *,
    kind: str,
    name: str,
    version: str | None,
    not_before: datetime | None,
    expires_on: datetime | None,
) -> ValidityError | None:
    """The error a read must raise for ``validity`` under ``policy``, or None to serve it."""
    if validity is Validity.DISABLED:
        return DisabledError(
            f"The {kind} {name!r} (version {version or 'latest'}) is disabled in the vault; "
            f"enable it or read another version.",
            kind=kind,
            name=name,
            version=version,
        )
    if policy.on_read != "strict":
        return None
    if validity is Validity.EXPIRED and expires_on is not None:
        return ExpiredError(
            f"The {kind} {name!r} (version {version}) expired at {expires_on.isoformat()}; "
            f"rotate it or set a new version with a later expiry "
            f"(or read with ExpiryPolicy(on_read='warn')).",
            kind=kind,
            name=name,
            version=version,
            expires_on=expires_on,
        )
    if validity is Validity.NOT_YET_VALID and not_before is not None:
        return NotYetValidError(
            f"The {kind} {name!r} (version {version}) is not valid before "
            f"{not_before.isoformat()}; read an earlier version or wait.",
            kind=kind,
            name=name,
            version=version,
            not_before=not_before,
        )
    return None


def resolve_create_window(
    policy: ExpiryPolicy,
    now: datetime,
    *,
    expires_on: datetime | None,
    expires_in: timedelta | None,
    not_before: datetime | None,
    kind: str = "secret",
) -> tuple[datetime | None, datetime | None]:
    """Apply ``policy`` to a create: return ``(not_before, expires_on)`` or raise.

    :raises InvalidArgumentError: both ``expires_on`` and ``expires_in`` were given.
    :raises ExpiryPolicyError: no expiry where one is required, an expiry in the past or
        beyond ``max_lifetime``, or ``not_before`` not before the expiry.
    """
    if expires_on is not None and expires_in is not None:
        raise InvalidArgumentError("Pass expires_on or expires_in, not both.")
    if expires_in is not None:
        expiry: datetime | None = now + expires_in
    elif expires_on is not None:
        expiry = expires_on
    elif policy.default_lifetime is not None:
        expiry = now + policy.default_lifetime
    else:
        expiry = None
    if expiry is None:
        if policy.require_expiry:
            raise ExpiryPolicyError(
                f"ExpiryPolicy requires an expiry on every {kind}: pass expires_in= or "
                f"expires_on=, or set ExpiryPolicy(default_lifetime=...)."
            )
        return not_before, None
    if expiry <= now:
        raise ExpiryPolicyError(
            f"The expiry {expiry.isoformat()} is not in the future; pass a later expires_on."
        )
    if policy.max_lifetime is not None and expiry - now > policy.max_lifetime:
        raise ExpiryPolicyError(
            f"The expiry {expiry.isoformat()} is further away than the policy's max_lifetime "
            f"({policy.max_lifetime.days} days); pass an earlier expiry or raise max_lifetime."
        )
    if not_before is not None and not_before >= expiry:
        raise ExpiryPolicyError(
            f"not_before ({not_before.isoformat()}) must be earlier than the expiry "
            f"({expiry.isoformat()})."
        )
    return not_before, expiry


def notice_status(
    *,
    not_before: datetime | None,
    expires_on: datetime | None,
    now: datetime,
    within: timedelta,
) -> str | None:
    """The expiry-scan status of an object (None when it needs no attention)."""
    if expires_on is None:
        return "no_expiry"
    if expires_on <= now:
        return "expired"
    if not_before is not None and not_before > now:
        return "not_yet_valid"
    if expires_on - now <= within:
        return "expiring"
    return None
