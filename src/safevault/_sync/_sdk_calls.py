"""SDK calls whose sync and async forms differ (hand-written twin of ``aio/_sdk_calls.py``).

The generated mixins call these by the same names in both flavours. Sync: the SDK's
``begin_create_certificate`` returns an ``LROPoller`` polling in a thread, waited on here for
at most ``timeout`` seconds (a poller cannot be cancelled; on timeout its thread finishes on
its own when the operation ends).
"""

from __future__ import annotations

from typing import Any

from azure.keyvault.certificates import (
    CertificateClient,
    CertificateOperation,
    CertificatePolicy,
    KeyVaultCertificate,
)

from safevault.errors import SafeVaultError

__all__ = ["create_certificate"]


def create_certificate(
    client: CertificateClient,
    name: str,
    policy: CertificatePolicy,
    *,
    tags: dict[str, str] | None,
    timeout: float,
    **kwargs: Any,
) -> KeyVaultCertificate | CertificateOperation:
    """Create a certificate and wait for the operation, at most ``timeout`` seconds.

    :returns: the certificate, or the operation when it ended without one (failed, cancelled).
    :raises SafeVaultError: the operation did not finish within ``timeout``.
    """
    poller = client.begin_create_certificate(name, policy, tags=tags, **kwargs)
    result = poller.result(timeout)
    if not poller.done() or result is None:
        raise timed_out(name, timeout)
    return result


def timed_out(name: str, timeout: float) -> SafeVaultError:
    return SafeVaultError(
        f"Creating certificate {name!r} did not finish within {timeout:g} s; the operation may "
        f"still complete in the vault (see CertificateClient.get_certificate_operation). "
        f"Pass a longer timeout= if the issuer is slow."
    )
