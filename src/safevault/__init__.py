"""safevault: Azure Key Vault, safe by default.

``safevault.get_secret("db-password")`` returns a value that is fast (cached, version-aware),
valid (expiry enforced, which Key Vault itself does not do for secrets) and traced
(OpenTelemetry spans that never contain a value). ``safevault.aio`` has the async twins.
"""

from safevault._model._key_rotation import KeyRotation
from safevault._model._keys import Certificate, CertificateWithKey, Key
from safevault._model._policy import CachePolicy, ExpiryPolicy
from safevault._model._rotation import ExpiryNotice, RotationResult, RotationStep
from safevault._model._rotator import Rotator
from safevault._model._secret import Secret
from safevault._model._strategies import AlternatingCredentialRotator, SingleCredentialRotator
from safevault._model._validity import Validity
from safevault._sync._default import configure, default_vault, get_secret, set_secret
from safevault._sync._vault import Vault
from safevault._version import __version__
from safevault.errors import (
    DecryptionError,
    DisabledError,
    ExpiredError,
    ExpiryPolicyError,
    InvalidArgumentError,
    NotYetValidError,
    RotationConflictError,
    RotationError,
    SafeVaultError,
    ValidityError,
    VaultConfigurationError,
)

__all__ = [
    "AlternatingCredentialRotator",
    "CachePolicy",
    "Certificate",
    "CertificateWithKey",
    "DecryptionError",
    "DisabledError",
    "ExpiredError",
    "ExpiryNotice",
    "ExpiryPolicy",
    "ExpiryPolicyError",
    "InvalidArgumentError",
    "Key",
    "KeyRotation",
    "NotYetValidError",
    "RotationConflictError",
    "RotationError",
    "RotationResult",
    "RotationStep",
    "Rotator",
    "SafeVaultError",
    "Secret",
    "SingleCredentialRotator",
    "Validity",
    "ValidityError",
    "Vault",
    "VaultConfigurationError",
    "__version__",
    "configure",
    "default_vault",
    "get_secret",
    "set_secret",
]
