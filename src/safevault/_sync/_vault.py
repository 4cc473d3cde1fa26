"""The sync ``Vault``: every public method, assembled from one mixin per responsibility.

GENERATED from ``safevault/aio/_vault.py`` by ``scripts/unasync.py``: do not edit.
"""

from __future__ import annotations

from safevault._sync._certificates import CertificatesMixin
from safevault._sync._envelope_ops import EncryptionMixin
from safevault._sync._expiry_scan import ExpiryScanMixin
from safevault._sync._rotation import RotationMixin
from safevault._sync._secrets import SecretsMixin

__all__ = ["Vault"]


class Vault(SecretsMixin, RotationMixin, EncryptionMixin, CertificatesMixin, ExpiryScanMixin):
    """One Key Vault, safe by default: cached, version-aware, expiry-enforcing, traced.

    :param str vault_url: ``https://<name>.vault.azure.net`` (or a sovereign cloud's suffix).
    :param credential: an ``TokenCredential``; None uses
        ``azure.identity.DefaultAzureCredential()``. Only the Key Vault scope is ever
        requested from it.
    :keyword expiry: the :class:`~safevault.ExpiryPolicy` (defaults: 90-day default lifetime,
        365-day maximum, strict reads).
    :keyword cache: the :class:`~safevault.CachePolicy` (default ttl 10 minutes).
    :keyword clock: ``Callable[[], datetime]`` (tz-aware UTC) used for validity decisions.
    :keyword timer: ``Callable[[], float]`` (monotonic seconds) used for ttl and backoff.
    :keyword allow_any_host: accept a host outside Key Vault's DNS suffixes (emulators only).
    :keyword audit_principal: record the calling identity (the object id or app id from the
        access token's claims, decoded without trusting it, once per token) as
        ``enduser.id`` on every span. Off by default.
    :keyword client_kwargs: passed to every SDK client (``transport``, ``api_version``,
        ``verify_challenge_resource``, ``retry_total`` ...). ``logging_enable=True`` is refused.
    :raises VaultConfigurationError: a URL that is not a Key Vault's, or no usable transport.
    :raises InvalidArgumentError: ``logging_enable=True`` or an invalid policy argument.
    """
