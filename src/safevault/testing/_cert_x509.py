"""X.509 for FakeVault's certificates: self-signed issuance, CSRs and the backing secret's value.

Pure functions over ``cryptography`` objects. A certificate is self-signed with SHA-256, a
random serial, ``not_before`` = now and ``not_after`` = now + ``validity_months`` calendar
months (the day clamped to the month's length). The backing secret holds, per the policy's
content type, either a password-less PKCS#12 (base64) or PEM: the PKCS#8 private key followed
by the certificate. A non-exportable key leaves the private key out.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import ipaddress
from collections.abc import Sequence
from datetime import datetime, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ._key_crypto import PrivateKey, b64url_encode

__all__ = [
    "KEY_USAGES",
    "PEM",
    "PKCS12",
    "SubjectError",
    "add_months",
    "build_csr",
    "issue_self_signed",
    "parse_subject",
    "secret_value",
    "thumbprint",
]

PKCS12 = "application/x-pkcs12"
PEM = "application/x-pem-file"

KEY_USAGES = (
    "digitalSignature",
    "nonRepudiation",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
    "encipherOnly",
    "decipherOnly",
)
_KEY_USAGE_ARGS = {
    "digitalSignature": "digital_signature",
    "nonRepudiation": "content_commitment",
    "keyEncipherment": "key_encipherment",
    "dataEncipherment": "data_encipherment",
    "keyAgreement": "key_agreement",
    "keyCertSign": "key_cert_sign",
    "cRLSign": "crl_sign",
    "encipherOnly": "encipher_only",
    "decipherOnly": "decipher_only",
}
_NAME_OIDS = {
    "CN": NameOID.COMMON_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "L": NameOID.LOCALITY_NAME,
    "S": NameOID.STATE_OR_PROVINCE_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "C": NameOID.COUNTRY_NAME,
    "E": NameOID.EMAIL_ADDRESS,
    "EMAIL": NameOID.EMAIL_ADDRESS,
    "EMAILADDRESS": NameOID.EMAIL_ADDRESS,
    "DC": NameOID.DOMAIN_COMPONENT,
    "SERIALNUMBER": NameOID.SERIAL_NUMBER,
    "STREET": NameOID.STREET_ADDRESS,
    "T": NameOID.TITLE,
    "G": NameOID.GIVEN_NAME,
    "SN": NameOID.SURNAME,
}


class SubjectError(ValueError):
    """A subject or SAN Key Vault would refuse (400 BadParameter)."""


def parse_subject(subject: str) -> x509.Name:
    """An X.500 name from Key Vault's ``"CN=a, O=b"`` form (commas may be ``\\``-escaped)."""
    parts: list[str] = []
    current = ""
    escaped = False
    for char in subject:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",;":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    attributes = []
    for part in parts:
        key, sep, value = part.strip().partition("=")
        oid = _NAME_OIDS.get(key.strip().upper())
        if not sep or oid is None or not value.strip():
            raise SubjectError(f"The subject name '{subject}' is not a valid X.500 name.")
        try:
            attributes.append(x509.NameAttribute(oid, value.strip().strip('"')))
        except ValueError:
            raise SubjectError(f"The subject name '{subject}' is not a valid X.500 name.") from None
    return x509.Name(attributes)


def _general_names(
    dns_names: Sequence[str],
    emails: Sequence[str],
    ip_addresses: Sequence[str],
    uris: Sequence[str],
) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
    names += [x509.RFC822Name(e) for e in emails]
    try:
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
    except ValueError:
        raise SubjectError("A subject alternative IP address is not valid.") from None
    names += [x509.UniformResourceIdentifier(u) for u in uris]
    return names


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months, the day clamped to the target month's length."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _signing_hash() -> hashes.SHA256:
    return hashes.SHA256()


def issue_self_signed(
    key: PrivateKey,
    *,
    subject: str,
    dns_names: Sequence[str] = (),
    emails: Sequence[str] = (),
    ip_addresses: Sequence[str] = (),
    uris: Sequence[str] = (),
    validity_months: int,
    key_usage: Sequence[str],
    ekus: Sequence[str],
    now: int,
) -> x509.Certificate:
    """A self-signed certificate for ``key``, valid from ``now`` for ``validity_months``."""
    name = parse_subject(subject) if subject else x509.Name([])
    not_before = datetime.fromtimestamp(now, timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(add_months(not_before, validity_months))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    general_names = _general_names(dns_names, emails, ip_addresses, uris)
    if general_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(general_names), critical=not subject
        )
    if key_usage:
        flags = {arg: False for arg in _KEY_USAGE_ARGS.values()}
        for usage in key_usage:
            flags[_KEY_USAGE_ARGS[usage]] = True
        builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
    if ekus:
        try:
            usages = [x509.ObjectIdentifier(oid) for oid in ekus]
        except ValueError:
            raise SubjectError("An enhanced key usage is not a valid OID.") from None
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    return builder.sign(key, _signing_hash())


def build_csr(
    key: PrivateKey, *, subject: str, dns_names: Sequence[str] = ()
) -> x509.CertificateSigningRequest:
    """The certificate signing request a pending operation shows (``csr``)."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        parse_subject(subject) if subject else x509.Name([])
    )
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False
        )
    return builder.sign(key, _signing_hash())


def secret_value(
    key: PrivateKey, certificate: x509.Certificate, content_type: str, *, exportable: bool
) -> str:
    """The backing secret's value: base64 PKCS#12 (no password) or PEM (key, then cert)."""
    if content_type == PEM:
        cert_pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
        if not exportable:
            return cert_pem
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        return key_pem + cert_pem
    blob = pkcs12.serialize_key_and_certificates(
        name=None,
        key=key if exportable else None,
        cert=certificate,
        cas=None,
        encryption_algorithm=serialization.NoEncryption(),
    )
    return base64.b64encode(blob).decode("ascii")


def thumbprint(certificate: x509.Certificate) -> str:
    """``x5t``: the SHA-1 thumbprint of the DER certificate, base64url."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return b64url_encode(hashlib.sha1(der).digest())  # noqa: S324 - x5t is SHA-1 by definition
