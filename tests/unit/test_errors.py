"""The error tree, and errors that never carry text from a handled exception."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from azure.core.exceptions import AzureError

import safevault
import safevault.aio
from safevault import errors


def test_tree():
    assert issubclass(errors.SafeVaultError, AzureError)
    for name in ("VaultConfigurationError", "InvalidArgumentError", "ExpiryPolicyError"):
        cls = getattr(errors, name)
        assert issubclass(cls, errors.SafeVaultError) and issubclass(cls, ValueError)
    for cls in (errors.ExpiredError, errors.NotYetValidError, errors.DisabledError):
        assert issubclass(cls, errors.ValidityError)
    assert issubclass(errors.RotationConflictError, errors.RotationError)
    assert issubclass(errors.DecryptionError, errors.SafeVaultError)


def test_handled_exception_text_is_not_copied():
    try:
        raise RuntimeError("password=hunter2")
    except RuntimeError:
        error = errors.RotationError("apply failed", name="db", step="apply")
    assert "hunter2" not in error.exc_msg
    assert error.exc_value is None and error.inner_exception is None
    assert "hunter2" not in repr(error) and "hunter2" not in str(error)
    assert (error.name, error.step) == ("db", "apply")


def test_validity_attributes():
    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    error = errors.ExpiredError("x", kind="secret", name="n", version="v", expires_on=when)
    assert (error.kind, error.name, error.version, error.expires_on) == ("secret", "n", "v", when)
    nyv = errors.NotYetValidError("x", kind="key", name="n", version=None, not_before=when)
    assert nyv.not_before == when
    disabled = errors.DisabledError("x", kind="secret", name="n", version=None)
    assert (error.validity, nyv.validity, disabled.validity) == (
        "expired",
        "not_yet_valid",
        "disabled",
    )


def test_reexported():
    for name in errors.__all__:
        assert getattr(safevault, name) is getattr(errors, name)
        assert getattr(safevault.aio, name) is getattr(errors, name)


def test_error_is_catchable_as_value_error():
    with pytest.raises(ValueError):
        raise errors.InvalidArgumentError("bad")
