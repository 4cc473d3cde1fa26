"""The errors safevault raises on top of azure-core's.

::

    SafeVaultError(azure.core.exceptions.AzureError)
    ├── VaultConfigurationError(SafeVaultError, ValueError)
    ├── InvalidArgumentError(SafeVaultError, ValueError)
    ├── ExpiryPolicyError(SafeVaultError, ValueError)     create refused by ExpiryPolicy
    ├── ValidityError                                     read refused; .kind .name .version
    │   ├── ExpiredError           .expires_on
    │   ├── NotYetValidError       .not_before
    │   └── DisabledError
    ├── DecryptionError
    └── RotationError                                     .name .step
        └── RotationConflictError

azure-core errors (``ResourceNotFoundError``, ``ClientAuthenticationError``,
``HttpResponseError`` ...) pass through with the same type, status, error code and message,
but without the request body or the ``Authorization`` header (on ``error.response.request``
and the transport's own request objects, so not in ``pickle.dumps(error)`` either). A failure
remembered by the cache is raised to each caller as a fresh copy.

No message, repr or attribute of these errors ever carries a secret value. ``AzureError``
copies the exception being handled (``sys.exc_info()``) into ``exc_value`` and ``exc_msg``;
safevault's errors drop that copy, because a handled exception (a rotator's, a target's) may
quote a password. Chaining (``raise ... from err``) keeps the cause for debugging.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from azure.core.exceptions import AzureError

__all__ = [
    "DecryptionError",
    "DisabledError",
    "ExpiredError",
    "ExpiryPolicyError",
    "InvalidArgumentError",
    "NotYetValidError",
    "RotationConflictError",
    "RotationError",
    "SafeVaultError",
    "ValidityError",
    "VaultConfigurationError",
]


class SafeVaultError(AzureError):
    """Base of every error safevault raises itself."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        # Forget the exception that was being handled: its text may quote a value.
        self.exc_type = type(self)
        self.exc_value = None
        self.exc_traceback = None
        self.exc_msg = self.message
        self.inner_exception = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class VaultConfigurationError(SafeVaultError, ValueError):
    """The vault is not configured, or configured in a way safevault refuses."""


class InvalidArgumentError(SafeVaultError, ValueError):
    """An argument is invalid; nothing was sent to the vault."""


class ExpiryPolicyError(SafeVaultError, ValueError):
    """A create was refused by the :class:`~safevault.ExpiryPolicy`; nothing was sent."""


class ValidityError(SafeVaultError):
    """A read was refused because the object is not valid now.

    :ivar kind: ``"secret"``, ``"key"`` or ``"certificate"``.
    :ivar name: the object's name.
    :ivar version: the object's version, when known.
    :ivar validity: why it was refused (the ``safevault.validity`` span attribute).
    """

    validity = "invalid"

    def __init__(self, message: str, *, kind: str, name: str, version: str | None) -> None:
        super().__init__(message)
        self.kind = kind
        self.name = name
        self.version = version


class ExpiredError(ValidityError):
    """The object's ``expires_on`` has passed."""

    validity = "expired"

    def __init__(
        self, message: str, *, kind: str, name: str, version: str | None, expires_on: datetime
    ) -> None:
        super().__init__(message, kind=kind, name=name, version=version)
        self.expires_on = expires_on


class NotYetValidError(ValidityError):
    """The object's ``not_before`` is still in the future."""

    validity = "not_yet_valid"

    def __init__(
        self, message: str, *, kind: str, name: str, version: str | None, not_before: datetime
    ) -> None:
        super().__init__(message, kind=kind, name=name, version=version)
        self.not_before = not_before


class DisabledError(ValidityError):
    """The object (or the version asked for) is disabled."""

    validity = "disabled"


class DecryptionError(SafeVaultError):
    """A ciphertext could not be decrypted: malformed, tampered, or not ours to open."""


class RotationError(SafeVaultError):
    """A rotation step failed; the vault is left in a state the next run resumes from.

    :ivar name: the secret's name.
    :ivar step: the step that failed (``generate``, ``store_pending``, ``apply`` ...).
    """

    def __init__(self, message: str, *, name: str, step: str) -> None:
        super().__init__(message)
        self.name = name
        self.step = step


class RotationConflictError(RotationError):
    """Another rotation of the same secret overlapped this one; this one did not promote."""
