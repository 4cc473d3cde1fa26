"""Certificates: create through the poller, read, policy, backing key and secret, soft delete."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.keyvault.certificates import (
    CertificateContentType,
    CertificateOperation,
    CertificatePolicy,
    CertificatePolicyAction,
    KeyVaultCertificate,
    LifetimeAction,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.serialization import pkcs12

from ._backend import Backend
from ._key_cert_twins import Twin, error_code, open_twin


@pytest.fixture(params=["sync", "aio"])
async def kv(request: pytest.FixtureRequest, backend: Backend) -> AsyncIterator[Twin]:
    async with open_twin(backend, request.param) as twin:
        yield twin


@pytest.fixture(params=["sync", "aio"])
async def purgeable_kv(
    request: pytest.FixtureRequest, purgeable_backend: Backend
) -> AsyncIterator[Twin]:
    async with open_twin(purgeable_backend, request.param) as twin:
        yield twin


def self_policy(**kw: Any) -> CertificatePolicy:
    options: dict[str, Any] = {"issuer_name": "Self", "subject": "CN=example.test"}
    options.update(kw)
    return CertificatePolicy(**options)


def public_bytes(key: Any) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


async def create(kv: Twin, name: str, **policy: Any) -> KeyVaultCertificate:
    cert = await kv.create_certificate(name, self_policy(**policy))
    assert isinstance(cert, KeyVaultCertificate)
    return cert


# -- create ----------------------------------------------------------------------------------------


async def test_create_self_signed_certificate(backend: Backend, kv: Twin) -> None:
    cert = await create(kv, backend.name, san_dns_names=["example.test", "www.example.test"])
    version = cert.properties.version
    assert cert.id == f"{backend.vault_url}/certificates/{backend.name}/{version}"
    assert cert.key_id == f"{backend.vault_url}/keys/{backend.name}/{version}"
    assert cert.secret_id == f"{backend.vault_url}/secrets/{backend.name}/{version}"
    parsed = x509.load_der_x509_certificate(cert.cer)
    assert parsed.subject.rfc4514_string() == "CN=example.test"
    assert parsed.issuer == parsed.subject
    sans = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["example.test", "www.example.test"]
    assert cert.properties.x509_thumbprint == hashlib.sha1(cert.cer).digest()  # noqa: S324
    assert cert.properties.not_before == parsed.not_valid_before_utc
    assert cert.properties.expires_on == parsed.not_valid_after_utc
    lifetime = parsed.not_valid_after_utc - parsed.not_valid_before_utc
    assert timedelta(days=365) <= lifetime <= timedelta(days=366, hours=1)
    assert abs(parsed.not_valid_before_utc - datetime.now(timezone.utc)) < timedelta(minutes=15)
    parsed.verify_directly_issued_by(parsed)  # self-signed
    assert isinstance(parsed.signature_hash_algorithm, hashes.SHA256)
    assert cert.properties.enabled is True
    assert cert.properties.recovery_level == "Recoverable+Purgeable"


async def test_policy_defaults_filled_in(backend: Backend, kv: Twin) -> None:
    cert = await create(kv, backend.name)
    policy = cert.policy
    assert policy.issuer_name == "Self"
    assert policy.subject == "CN=example.test"
    assert (policy.key_type, policy.key_size, policy.exportable, policy.reuse_key) == (
        "RSA",
        2048,
        True,
        False,
    )
    assert policy.content_type == CertificateContentType.pkcs12
    assert policy.validity_in_months == 12
    action = policy.lifetime_actions[0]
    assert (action.action, action.lifetime_percentage) == (CertificatePolicyAction.auto_renew, 80)


async def test_create_ec_certificate(backend: Backend, kv: Twin) -> None:
    cert = await create(kv, backend.name, key_type="EC", key_curve_name="P-384")
    public = x509.load_der_x509_certificate(cert.cer).public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert public.curve.name == "secp384r1"
    key = await kv.keys("get_key", backend.name, cert.properties.version)
    assert (key.key_type, key.key.crv) == ("EC", "P-384")


async def test_failed_issuer_returns_a_failed_operation(backend: Backend, kv: Twin) -> None:
    result = await kv.create_certificate(backend.name, self_policy(issuer_name="NoSuchIssuer"))
    assert isinstance(result, CertificateOperation)  # the poller returns, it does not raise
    assert result.status.lower() == "failed"
    assert result.error is not None
    assert result.error.code
    with pytest.raises(ResourceNotFoundError):
        await kv.certs("get_certificate", backend.name)


async def test_unknown_issuer_stays_in_progress(backend: Backend, kv: Twin) -> None:
    result = await kv.create_certificate(backend.name, self_policy(issuer_name="Unknown"))
    assert isinstance(result, CertificateOperation)
    assert (result.status, result.issuer_name) == ("inProgress", "Unknown")
    assert result.id == f"{backend.vault_url}/certificates/{backend.name}/pending"
    csr = x509.load_der_x509_csr(result.csr)
    assert csr.subject.rfc4514_string() == "CN=example.test"
    assert csr.is_signature_valid
    deleted = await kv.certs("delete_certificate_operation", backend.name)
    assert deleted.id == result.id
    with pytest.raises(ResourceNotFoundError):
        await kv.certs("get_certificate_operation", backend.name)


async def test_create_operation_reads_completed_after_issuance(backend: Backend, kv: Twin) -> None:
    cert = await create(kv, backend.name)
    operation = await kv.certs("get_certificate_operation", backend.name)
    assert operation.status == "completed"
    assert operation.target == f"{backend.vault_url}/certificates/{backend.name}"
    assert cert.name == backend.name


# -- read ------------------------------------------------------------------------------------------


async def test_versions_get_and_list(backend: Backend, kv: Twin) -> None:
    first = await create(kv, backend.name)
    second = await create(kv, backend.name)
    assert first.properties.version != second.properties.version
    assert first.cer != second.cer
    latest = await kv.certs("get_certificate", backend.name)
    assert (latest.id, latest.cer) == (second.id, second.cer)
    assert latest.policy.subject == "CN=example.test"
    old = await kv.certs("get_certificate_version", backend.name, first.properties.version)
    assert old.cer == first.cer
    versions = await kv.cert_list("list_properties_of_certificate_versions", backend.name)
    assert {v.version for v in versions} == {first.properties.version, second.properties.version}
    listed = {c.name: c for c in await kv.cert_list("list_properties_of_certificates")}
    assert listed[backend.name].id == f"{backend.vault_url}/certificates/{backend.name}"
    assert listed[backend.name].x509_thumbprint == second.properties.x509_thumbprint


async def test_missing_certificate_is_404(backend: Backend, kv: Twin) -> None:
    with pytest.raises(ResourceNotFoundError) as info:
        await kv.certs("get_certificate", backend.name)
    assert error_code(info.value) == "CertificateNotFound"


async def test_new_version_has_a_new_key_unless_reused(backend: Backend, kv: Twin) -> None:
    first = await create(kv, backend.name)
    second = await create(kv, backend.name)
    third = await create(kv, backend.name, reuse_key=True)
    keys = [
        public_bytes(x509.load_der_x509_certificate(c.cer).public_key())
        for c in (first, second, third)
    ]
    assert keys[0] != keys[1]
    assert keys[2] == keys[1]


# -- policy ----------------------------------------------------------------------------------------


async def test_policy_get_and_update(backend: Backend, kv: Twin) -> None:
    await create(kv, backend.name, validity_in_months=6)
    policy = await kv.certs("get_certificate_policy", backend.name)
    assert policy.validity_in_months == 6
    update = CertificatePolicy(
        validity_in_months=24,
        lifetime_actions=[
            LifetimeAction(CertificatePolicyAction.auto_renew, days_before_expiry=30)
        ],
    )
    updated = await kv.certs("update_certificate_policy", backend.name, update)
    assert updated.validity_in_months == 24
    assert updated.subject == "CN=example.test"  # merged, not replaced
    assert updated.lifetime_actions[0].days_before_expiry == 30
    renewed = await kv.create_certificate(
        backend.name, await kv.certs("get_certificate_policy", backend.name)
    )
    lifetime = renewed.properties.expires_on - renewed.properties.not_before
    assert timedelta(days=729) <= lifetime <= timedelta(days=732)


async def test_update_certificate_properties(backend: Backend, kv: Twin) -> None:
    cert = await create(kv, backend.name)
    updated = await kv.certs(
        "update_certificate_properties", backend.name, enabled=False, tags={"env": "test"}
    )
    assert updated.id == cert.id
    assert (updated.properties.enabled, updated.properties.tags) == (False, {"env": "test"})


BAD_POLICIES = {
    "validity-0": {"validity_in_months": 0},
    "validity-1201": {"validity_in_months": 1201},
    "percentage-100": {
        "lifetime_actions": [
            LifetimeAction(CertificatePolicyAction.auto_renew, lifetime_percentage=100)
        ]
    },
    "percentage-0": {
        "lifetime_actions": [
            LifetimeAction(CertificatePolicyAction.email_contacts, lifetime_percentage=0)
        ]
    },
    "key-type-oct": {"key_type": "oct"},
    "rsa-1024": {"key_size": 1024},
    "content-type": {"content_type": "text/plain"},
}


@pytest.mark.parametrize("case", list(BAD_POLICIES))
async def test_invalid_policy_is_400(backend: Backend, kv: Twin, case: str) -> None:
    with pytest.raises(HttpResponseError) as info:
        await kv.create_certificate(backend.name, self_policy(**BAD_POLICIES[case]))
    assert (info.value.status_code, error_code(info.value)) == (400, "BadParameter")


async def test_policy_without_subject_or_san_is_400(backend: Backend, kv: Twin) -> None:
    """The SDK refuses this client-side; the service refuses it too."""
    body = {"policy": {"issuer": {"name": "Self"}, "x509_props": {"validity_months": 12}}}
    status, answer = await kv.send(
        "POST", f"/certificates/{backend.name}/create", body, via="certs"
    )
    assert (status, answer["error"]["code"]) == (400, "BadParameter")


async def test_invalid_certificate_name_is_400(kv: Twin) -> None:
    with pytest.raises(HttpResponseError) as info:
        await kv.create_certificate("bad_name", self_policy())
    assert (info.value.status_code, error_code(info.value)) == (400, "BadParameter")


# -- backing key and secret ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", [CertificateContentType.pkcs12, CertificateContentType.pem]
)
async def test_backing_secret_holds_the_private_key(
    backend: Backend, kv: Twin, content_type: CertificateContentType
) -> None:
    cert = await create(kv, backend.name, content_type=content_type)
    secret = await kv.secrets("get_secret", backend.name, cert.properties.version)
    assert secret.id == cert.secret_id
    assert secret.properties.content_type == content_type
    assert secret.properties.managed is True
    assert secret.properties.key_id == cert.key_id
    if content_type == CertificateContentType.pkcs12:
        private, certificate, _ = pkcs12.load_key_and_certificates(
            base64.b64decode(secret.value), None
        )
        assert certificate is not None
        assert certificate.public_bytes(serialization.Encoding.DER) == cert.cer
    else:
        assert secret.value.startswith("-----BEGIN PRIVATE KEY-----")
        private = serialization.load_pem_private_key(secret.value.encode(), None)
        pem_cert = x509.load_pem_x509_certificate(secret.value.encode())
        assert pem_cert.public_bytes(serialization.Encoding.DER) == cert.cer
    assert private is not None
    cert_public = x509.load_der_x509_certificate(cert.cer).public_key()
    assert public_bytes(private.public_key()) == public_bytes(cert_public)


async def test_backing_key_is_the_certificates_key(backend: Backend, kv: Twin) -> None:
    cert = await create(kv, backend.name)
    key = await kv.keys("get_key", backend.name, cert.properties.version)
    assert key.id == cert.key_id
    assert key.properties.managed is True
    assert key.properties.expires_on == cert.properties.expires_on
    public = x509.load_der_x509_certificate(cert.cer).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert int.from_bytes(key.key.n, "big") == public.public_numbers().n
    digest = hashlib.sha256(b"signed by the certificate's key").digest()
    signed = await kv.crypto(key.id, "sign", "RS256", digest)
    public.verify(signed.signature, digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))


# -- soft delete -----------------------------------------------------------------------------------


async def test_delete_hides_key_and_secret_and_recover_restores_them(
    backend: Backend, kv: Twin
) -> None:
    cert = await create(kv, backend.name)
    deleted = await kv.delete_certificate(backend.name)
    assert deleted.id == cert.id
    assert deleted.recovery_id == f"{backend.vault_url}/deletedcertificates/{backend.name}"
    assert deleted.scheduled_purge_date - deleted.deleted_on == timedelta(days=90)
    for read in (
        kv.certs("get_certificate", backend.name),
        kv.keys("get_key", backend.name),
        kv.secrets("get_secret", backend.name),
    ):
        with pytest.raises(ResourceNotFoundError):
            await read
    assert (await kv.certs("get_deleted_certificate", backend.name)).id == cert.id
    assert backend.name in {c.name for c in await kv.cert_list("list_deleted_certificates")}
    recovered = await kv.recover_certificate(backend.name)
    assert recovered.id == cert.id
    assert (await kv.keys("get_key", backend.name)).id == cert.key_id
    assert (await kv.secrets("get_secret", backend.name)).id == cert.secret_id
    assert (await kv.certs("get_certificate", backend.name)).cer == cert.cer


async def test_create_on_soft_deleted_name_is_409(backend: Backend, kv: Twin) -> None:
    await create(kv, backend.name)
    await kv.delete_certificate(backend.name)
    with pytest.raises(ResourceExistsError) as info:
        await kv.create_certificate(backend.name, self_policy())
    assert info.value.status_code == 409


async def test_purge_removes_certificate_key_and_secret(
    purgeable_backend: Backend, purgeable_kv: Twin
) -> None:
    name = purgeable_backend.name
    await create(purgeable_kv, name)
    await purgeable_kv.delete_certificate(name)
    await purgeable_kv.certs("purge_deleted_certificate", name)
    for read in (
        purgeable_kv.certs("get_deleted_certificate", name),
        purgeable_kv.keys("get_deleted_key", name),
        purgeable_kv.secrets("get_deleted_secret", name),
    ):
        with pytest.raises(ResourceNotFoundError):
            await read
    assert isinstance(await create(purgeable_kv, name), KeyVaultCertificate)
