"""safevault for asyncio: the same names as :mod:`safevault`, with ``async def`` methods.

Needs an async transport: ``pip install "safevault[aio]"`` (aiohttp). The list of names is
``safevault.__all__``; this face takes the shell's names (``Vault``, ``configure`` ...) from
the async shell and every other name from ``safevault`` itself.
"""

from safevault import (
    AlternatingCredentialRotator as AlternatingCredentialRotator,
)
from safevault import CachePolicy as CachePolicy
from safevault import Certificate as Certificate
from safevault import CertificateWithKey as CertificateWithKey
from safevault import DecryptionError as DecryptionError
from safevault import DisabledError as DisabledError
from safevault import ExpiredError as ExpiredError
from safevault import ExpiryNotice as ExpiryNotice
from safevault import ExpiryPolicy as ExpiryPolicy
from safevault import ExpiryPolicyError as ExpiryPolicyError
from safevault import InvalidArgumentError as InvalidArgumentError
from safevault import Key as Key
from safevault import KeyRotation as KeyRotation
from safevault import NotYetValidError as NotYetValidError
from safevault import RotationConflictError as RotationConflictError
from safevault import RotationError as RotationError
from safevault import RotationResult as RotationResult
from safevault import RotationStep as RotationStep
from safevault import Rotator as Rotator
from safevault import SafeVaultError as SafeVaultError
from safevault import Secret as Secret
from safevault import SingleCredentialRotator as SingleCredentialRotator
from safevault import Validity as Validity
from safevault import ValidityError as ValidityError
from safevault import VaultConfigurationError as VaultConfigurationError
from safevault import __all__ as _FACE
from safevault import __version__ as __version__
from safevault._async._default import configure as configure
from safevault._async._default import default_vault as default_vault
from safevault._async._default import get_secret as get_secret
from safevault._async._default import set_secret as set_secret
from safevault._async._vault import Vault as Vault

__all__ = list(_FACE)  # the one list is safevault's
