"""SDK calls whose sync and async forms differ (hand-written twin of ``_sync/_sdk_calls.py``).

The generated mixins call these by the same names in both flavours. Async: the SDK's
``create_certificate`` is a coroutine that polls to the end, bounded here by
``asyncio.wait_for``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from azure.keyvault.certificates import CertificateOperation, CertificatePolicy, KeyVaultCertificate
from azure.keyvault.certificates.aio import CertificateClient

from safevault.errors import SafeVaultError

__all__ = ["create_certificate"]


async def create_certificate(
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
    try:
        result: KeyVaultCertificate | CertificateOperation = await asyncio.wait_for(
            client.create_certificate(name, policy, tags=tags, **kwargs), timeout
        )
    except asyncio.TimeoutError:
        raise timed_out(name, timeout) from None
    return result


def timed_out(name: str, timeout: float) -> SafeVaultError:
    return SafeVaultError(
        f"Creating certificate {name!r} did not finish within {timeout:g} s; the operation may "
        f"still complete in the vault (see CertificateClient.get_certificate_operation). "
        f"Pass a longer timeout= if the issuer is slow."
    )
