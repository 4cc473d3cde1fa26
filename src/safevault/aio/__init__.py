"""safevault for asyncio: the same names as :mod:`safevault`, with ``async def`` methods.

Needs an async transport: ``pip install "safevault[aio]"`` (aiohttp).
"""

from safevault._keymodels import Certificate, CertificateWithKey, Key
from safevault._keyrotation import KeyRotation
from safevault._models import Secret
from safevault._policy import CachePolicy, ExpiryPolicy
from safevault._rotation_models import ExpiryNotice, RotationResult, RotationStep
from safevault._rotator import Rotator
from safevault._strategies import AlternatingCredentialRotator, SingleCredentialRotator
from safevault._validity import Validity
from safevault.aio._default import configure, default_vault, get_secret, set_secret
from safevault.aio._vault import Vault
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
    "configure",
    "default_vault",
    "get_secret",
    "set_secret",
]
