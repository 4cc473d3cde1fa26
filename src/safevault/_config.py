"""Vault URL checks and the keyword arguments every SDK client is built with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from safevault.errors import InvalidArgumentError, VaultConfigurationError

__all__ = ["VaultLocation", "client_options", "locate_vault"]

# DNS suffix of a cloud's vaults -> the only token scope safevault ever asks for there.
_CLOUD_SCOPES: Mapping[str, str] = {
    ".vault.azure.net": "https://vault.azure.net/.default",
    ".vault.azure.cn": "https://vault.azure.cn/.default",
    ".vault.usgovcloudapi.net": "https://vault.usgovcloudapi.net/.default",
}
_PUBLIC_SCOPE = "https://vault.azure.net/.default"

# Reads must not amplify a throttling storm: the cache backs off per object and serves the
# last good value, so the SDK itself retries little, never waits long, never retries 429
# without a Retry-After, and never retries a 4xx that merely carries Retry-After.
RETRY_DEFAULTS: Mapping[str, Any] = {
    "retry_total": 2,
    "retry_connect": 1,
    "retry_read": 1,
    "retry_status": 1,
    "retry_backoff_factor": 0.5,
    "retry_backoff_max": 4,
}
RETRY_AFTER_MAX = 5.0


@dataclass(frozen=True)
class VaultLocation:
    """A checked vault URL: ``url`` without trailing slash, its ``host`` and token ``scope``."""

    url: str
    host: str
    scope: str


def locate_vault(vault_url: object, *, allow_any_host: bool = False) -> VaultLocation:
    """Check a vault URL; refuse anything but ``https://<name>.vault.<cloud suffix>``.

    :raises VaultConfigurationError: not https, no host, a path, or a host outside Key Vault's
        DNS suffixes while ``allow_any_host`` is False.
    """
    if not isinstance(vault_url, str) or not vault_url.strip():
        raise VaultConfigurationError(
            "No vault URL: pass e.g. 'https://myvault.vault.azure.net', or set SAFEVAULT_VAULT_URL."
        )
    parts = urlsplit(vault_url.strip())
    if parts.scheme.lower() != "https":
        raise VaultConfigurationError(
            f"The vault URL must start with https:// (got {parts.scheme or 'no'} scheme); "
            "Key Vault only speaks TLS."
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise VaultConfigurationError(
            "The vault URL has no host: use https://<name>.vault.azure.net"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise VaultConfigurationError(
            "The vault URL must be the vault's root, like https://myvault.vault.azure.net "
            "(no path, query or fragment)."
        )
    if parts.username or parts.password:
        raise VaultConfigurationError("The vault URL must not carry credentials.")
    scope = next((s for suffix, s in _CLOUD_SCOPES.items() if host.endswith(suffix)), None)
    if scope is None:
        if not allow_any_host:
            raise VaultConfigurationError(
                f"{host!r} is not a Key Vault host (*.vault.azure.net, *.vault.azure.cn, "
                "*.vault.usgovcloudapi.net). For an emulator pass allow_any_host=True."
            )
        scope = _PUBLIC_SCOPE
    netloc = host if parts.port in (None, 443) else f"{host}:{parts.port}"
    return VaultLocation(url=f"https://{netloc}", host=host, scope=scope)


def client_options(client_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments passed to every SDK client: the caller's, over safe defaults.

    :raises InvalidArgumentError: ``logging_enable=True`` (azure-core's network trace logs
        request and response bodies, i.e. secret values, and the Authorization header).
    """
    if client_kwargs.get("logging_enable"):
        raise InvalidArgumentError(
            "logging_enable=True is refused: azure-core's network trace would log secret "
            "values and bearer tokens. Use safevault's spans, or HttpLoggingPolicy's "
            "redacted headers, instead."
        )
    options = dict(RETRY_DEFAULTS)
    options.update(client_kwargs)
    options.pop("logging_enable", None)
    return options
