"""Pure validity decisions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from safevault import ExpiryPolicy, ExpiryPolicyError, InvalidArgumentError, Validity
from safevault._core._validity import assess, refusal, resolve_create_window

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
P = ExpiryPolicy()


@pytest.mark.parametrize(
    ("enabled", "nbf", "exp", "expected"),
    [
        (False, None, None, Validity.DISABLED),
        (False, None, NOW - timedelta(days=1), Validity.DISABLED),
        (True, None, NOW, Validity.EXPIRED),
        (True, None, NOW - timedelta(seconds=1), Validity.EXPIRED),
        (True, NOW + timedelta(minutes=6), None, Validity.NOT_YET_VALID),
        (True, NOW + timedelta(minutes=4), None, Validity.NO_EXPIRY),
        (True, None, None, Validity.NO_EXPIRY),
        (True, None, NOW + timedelta(days=30), Validity.EXPIRING),
        (True, None, NOW + timedelta(days=31), Validity.VALID),
    ],
)
def test_assess(enabled, nbf, exp, expected):
    assert assess(enabled=enabled, not_before=nbf, expires_on=exp, now=NOW, policy=P) is expected


def test_refusal_by_policy():
    args = {"kind": "secret", "name": "n", "version": "v", "not_before": None, "expires_on": NOW}
    assert refusal(Validity.EXPIRED, P, **args) is not None
    assert refusal(Validity.EXPIRED, ExpiryPolicy(on_read="warn"), **args) is None
    assert refusal(Validity.DISABLED, ExpiryPolicy(on_read="ignore"), **args) is not None
    assert refusal(Validity.VALID, P, **args) is None
    nyv = {**args, "not_before": NOW}
    assert type(refusal(Validity.NOT_YET_VALID, P, **nyv)).__name__ == "NotYetValidError"


def test_create_window():
    assert resolve_create_window(P, NOW, expires_on=None, expires_in=None, not_before=None) == (
        None,
        NOW + timedelta(days=90),
    )
    nbf, exp = resolve_create_window(
        P, NOW, expires_on=None, expires_in=timedelta(days=1), not_before=NOW
    )
    assert (nbf, exp) == (NOW, NOW + timedelta(days=1))
    with pytest.raises(InvalidArgumentError):
        resolve_create_window(P, NOW, expires_on=NOW, expires_in=timedelta(days=1), not_before=None)
    with pytest.raises(ExpiryPolicyError, match="max_lifetime"):
        resolve_create_window(
            P, NOW, expires_on=NOW + timedelta(days=366), expires_in=None, not_before=None
        )
    exactly = resolve_create_window(
        P, NOW, expires_on=NOW + timedelta(days=365), expires_in=None, not_before=None
    )
    assert exactly[1] == NOW + timedelta(days=365)
