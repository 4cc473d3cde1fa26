# GENERATED from src/safevault/_async/_default.py by scripts/unasync.py: do not edit.
"""The module-level default vault: ``configure()``, ``default_vault()``, ``get_secret()`` ..."""

from __future__ import annotations

import os
import threading
from typing import Any
from urllib.parse import urlsplit

from safevault._model._secret import Secret
from safevault._sync._vault import Vault
from safevault._telemetry import Telemetry
from safevault.errors import VaultConfigurationError

__all__ = ["configure", "default_vault", "get_secret", "set_secret"]

ENV_VARS = ("SAFEVAULT_VAULT_URL", "AZURE_KEYVAULT_URL")

_lock = threading.Lock()
_default: Vault | None = None


def configure(vault_url: str | None = None, credential: Any = None, **options: Any) -> Vault:
    """Set (and return) the default vault used by the module-level functions.

    :param vault_url: the vault URL; None reads ``SAFEVAULT_VAULT_URL``, then
        ``AZURE_KEYVAULT_URL``.
    :param credential: as for :class:`Vault` (None: DefaultAzureCredential).
    :keyword options: any other :class:`Vault` keyword (``expiry``, ``cache`` ...).
    :raises VaultConfigurationError: no URL given or found in the environment.
    """
    global _default
    url = _vault_url(vault_url)
    with Telemetry(urlsplit(url).hostname or "").operation("configure"):
        vault = Vault(url, credential, **options)
        with _lock:
            _default = vault
        return vault


def default_vault() -> Vault:
    """The default vault: the configured one, else one built from the environment.

    :raises VaultConfigurationError: nothing configured and no URL in the environment.
    """
    vault = _default
    host = vault._location.host if vault is not None else ""
    with Telemetry(host).operation("default_vault"):
        return _default_vault()


def _default_vault() -> Vault:
    global _default
    vault = _default
    if vault is not None:
        return vault
    with _lock:
        if _default is None:
            _default = Vault(_vault_url(None))
        return _default


def get_secret(name: str, *, version: str | None = None) -> Secret:
    """``default_vault().get_secret(name, version=version)``."""
    return _default_vault().get_secret(name, version=version)


def set_secret(name: str, value: str, **kw: Any) -> Secret:
    """``default_vault().set_secret(name, value, **kw)``."""
    return _default_vault().set_secret(name, value, **kw)


def _vault_url(given: str | None) -> str:
    if given:
        return given
    for var in ENV_VARS:
        value = os.environ.get(var, "").strip()
        if value:
            return value
    raise VaultConfigurationError(
        "No vault configured: call safevault.configure('https://<name>.vault.azure.net') "
        "or set SAFEVAULT_VAULT_URL (or AZURE_KEYVAULT_URL). safevault never falls back "
        "to a local or fake vault."
    )


def _reset() -> None:
    """Forget the default vault (for tests)."""
    global _default
    with _lock:
        _default = None
