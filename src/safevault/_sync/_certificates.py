# GENERATED from src/safevault/_async/_certificates.py by scripts/unasync.py: do not edit.
"""Certificates: Self-issued with an expiry the policy accepts, cached reads, keys on demand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from azure.keyvault.certificates import CertificateOperation

from safevault._core._arguments import check_name, check_tags, check_version
from safevault._core._key_arguments import check_certificate_spec
from safevault._model._keys import Certificate, CertificateWithKey
from safevault._model._secret import Secret
from safevault._sdk._convert import secret_from_sdk
from safevault._sdk._convert_keys import (
    certificate_from_sdk,
    certificate_policy,
    certificate_with_key,
    failed_operation,
)
from safevault._shell._threads import create_certificate
from safevault._sync._shell import VaultShell
from safevault._telemetry import Operation

__all__ = ["CertificatesMixin"]


class CertificatesMixin(VaultShell):
    """``create_certificate``, ``get_certificate``, ``get_certificate_with_key``."""

    def create_certificate(
        self,
        name: str,
        *,
        subject: str,
        dns_names: Sequence[str] = (),
        validity_months: int = 12,
        renew_at_percent: int = 80,
        key_type: str = "RSA",
        key_size: int = 2048,
        tags: Mapping[str, str] | None = None,
        timeout: timedelta = timedelta(minutes=5),
    ) -> Certificate:
        """Create a self-signed certificate (Self issuer) that Key Vault renews by itself.

        Checked before any request: the arguments and ``validity_months`` against
        ``ExpiryPolicy.max_certificate_months``. The policy has an exportable key, PKCS#12
        content and an AutoRenew lifetime action at ``renew_at_percent`` of the lifetime.
        Waits for the creation to finish. Requires certificates/create and certificates/get
        permissions.

        :param str name: the certificate's name (its key and secret get the same name).
        :keyword str subject: X.500 subject, e.g. ``"CN=app.example.com"``.
        :keyword dns_names: subject alternative DNS names.
        :keyword int validity_months: lifetime in months (12).
        :keyword int renew_at_percent: renew when this percentage of the lifetime has passed.
        :keyword str key_type: ``"RSA"``, ``"RSA-HSM"``, ``"EC"`` or ``"EC-HSM"``.
        :keyword int key_size: RSA 2048/3072/4096; for EC it picks the curve (256, 384, 521;
            the default 2048 means P-256).
        :keyword tags: str-to-str tags (at most 15).
        :keyword timeout: how long to wait for the operation (5 minutes).
        :returns: the new version.
        :rtype: ~safevault.Certificate
        :raises InvalidArgumentError: a bad argument; nothing was sent.
        :raises ExpiryPolicyError: ``validity_months`` above the policy's maximum; nothing was
            sent.
        :raises SafeVaultError: the operation failed or was cancelled (the SDK's poller returns
            such an operation instead of raising), or did not finish within ``timeout``.
        """
        check_name(name, "certificate")
        spec = check_certificate_spec(
            subject=subject,
            dns_names=dns_names,
            validity_months=validity_months,
            renew_at_percent=renew_at_percent,
            key_type=key_type,
            key_size=key_size,
            timeout=timeout,
            policy=self._expiry,
        )
        tag_map = check_tags(tags)
        policy = certificate_policy(spec)
        with self._tel.operation("create_certificate", "certificate", name) as op:
            result = create_certificate(
                self._certificates, name, policy, tags=tag_map, timeout=spec.timeout
            )
            if isinstance(result, CertificateOperation):
                raise failed_operation(name, result)
            item = certificate_from_sdk(result)
            op.set_item(item)
            self._remember_write(self._certificate_cache, name, item)
            return item

    def get_certificate(self, name: str, *, version: str | None = None) -> Certificate:
        """Get a certificate version: cached, and checked against the expiry policy by its
        X.509 ``notBefore``/``notAfter``. Requires certificates/get permission.

        :param str name: the certificate's name (case-insensitive).
        :keyword str version: a version id; None reads the latest version.
        :rtype: ~safevault.Certificate
        :raises ExpiredError: past its notAfter, under ``on_read="strict"``.
        :raises NotYetValidError: before its notBefore, under ``on_read="strict"``.
        :raises DisabledError: the version is disabled.
        :raises ~azure.core.exceptions.ResourceNotFoundError: no such certificate or version.
        """
        cached: Certificate | None = self._cached(
            self._certificate_cache, "get_certificate", "certificate", name, version
        )
        if cached is not None:
            return cached
        check_name(name, "certificate")
        version = check_version(version)
        with self._tel.operation("get_certificate", "certificate", name) as op:
            return self._read_certificate(op, name, version)

    def _read_certificate(self, op: Operation, name: str, version: str | None) -> Certificate:
        def fetch() -> Certificate:
            if version is None:
                found = self._certificates.get_certificate(name)
            else:
                found = self._certificates.get_certificate_version(name, version)
            return certificate_from_sdk(found)

        certificate: Certificate = self._read(
            self._certificate_cache, "certificate", name, version, fetch, op
        )
        return certificate

    def get_certificate_with_key(
        self, name: str, *, version: str | None = None
    ) -> CertificateWithKey:
        """A certificate version with its private key and chain as ``cryptography`` objects.

        Reads the certificate (checked like :meth:`get_certificate`), then its backing secret
        of the same version (PKCS#12 or PEM). Requires certificates/get and secrets/get
        permissions.

        :param str name: the certificate's name.
        :keyword str version: a version id; None reads the latest version.
        :returns: the certificate with ``private_key`` and ``chain`` (leaf first); its repr
            never shows the key.
        :rtype: ~safevault.CertificateWithKey
        :raises SafeVaultError: the backing secret holds no private key (not exportable) or
            cannot be read.
        """
        check_name(name, "certificate")
        version = check_version(version)
        with self._tel.operation("get_certificate_with_key", "certificate", name) as op:
            certificate = self._read_certificate(op, name, version)
            secret = self._backing_secret(op, certificate)
            return certificate_with_key(certificate, secret.value, secret.content_type)

    def _backing_secret(self, op: Operation, certificate: Certificate) -> Secret:
        name, version = certificate.name, certificate.version

        def fetch() -> Secret:
            secret = self._secrets.get_secret(name, version)
            return secret_from_sdk(secret)

        item, _ = self._resolve(
            self._secret_cache, (name.lower(), version), fetch, op, "secret", name
        )
        found: Secret = item
        return found
