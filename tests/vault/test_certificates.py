"""Certificates through the real SDK on FakeVault: Self issuer, policy limits, keys, renewal."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport
from azure.core.rest import HttpRequest
from azure.keyvault.certificates import CertificateContentType, CertificatePolicy
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from safevault import (
    CachePolicy,
    Certificate,
    CertificateWithKey,
    DisabledError,
    ExpiredError,
    ExpiryPolicy,
    ExpiryPolicyError,
    InvalidArgumentError,
    SafeVaultError,
)

DAY = timedelta(days=1)


def spki(public_key):
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def close_to(a, b, tolerance=timedelta(days=3)):
    return abs(a - b) < tolerance


def test_create_certificate_self_issued_with_auto_renew(fake, make_vault):
    vault = make_vault()
    cert = vault.create_certificate(
        "web", subject="CN=app.example.com", dns_names=["app.example.com", "www.example.com"]
    )
    assert isinstance(cert, Certificate)
    assert cert.subject == "CN=app.example.com"
    assert cert.dns_names == ("app.example.com", "www.example.com")
    assert close_to(cert.expires_on, fake.clock() + 365 * DAY)
    assert cert.not_before <= fake.clock()
    parsed = x509.load_der_x509_certificate(cert.cer)
    assert parsed.not_valid_after_utc == cert.expires_on
    assert cert.x509() == parsed
    assert len(cert.thumbprint) == 40 and cert.thumbprint == cert.thumbprint.upper()
    policy = fake.certificate_client().get_certificate_policy("web")
    assert policy.issuer_name == "Self"
    assert policy.validity_in_months == 12
    assert policy.exportable is True
    (action,) = policy.lifetime_actions
    assert getattr(action.action, "value", action.action) == "AutoRenew"
    assert action.lifetime_percentage == 80


def test_validity_and_renewal_options(fake, make_vault):
    vault = make_vault(expiry=ExpiryPolicy(max_certificate_months=24))
    cert = vault.create_certificate(
        "web", subject="CN=a", validity_months=24, renew_at_percent=50, tags={"env": "prod"}
    )
    assert close_to(cert.expires_on, fake.clock() + 730 * DAY)
    assert dict(cert.tags) == {"env": "prod"}
    action = fake.certificate_client().get_certificate_policy("web").lifetime_actions[0]
    assert action.lifetime_percentage == 50


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"validity_months": 13}, ExpiryPolicyError, "max_certificate_months"),
        ({"validity_months": 0}, InvalidArgumentError, "at least 1"),
        ({"renew_at_percent": 100}, InvalidArgumentError, "between 1 and 99"),
        ({"subject": "app.example.com"}, InvalidArgumentError, "X.500"),
        ({"subject": "", "dns_names": ()}, InvalidArgumentError, "subject or at least one"),
        ({"dns_names": "app.example.com"}, InvalidArgumentError, "not a single str"),
        ({"dns_names": ["bad name"]}, InvalidArgumentError, "Invalid DNS name"),
        ({"key_type": "oct"}, InvalidArgumentError, "key_type"),
        ({"key_size": 1024}, InvalidArgumentError, "2048, 3072 or 4096"),
        ({"key_type": "EC", "key_size": 999}, InvalidArgumentError, "picks the curve"),
        ({"timeout": 30}, InvalidArgumentError, "timeout"),
        ({"tags": {"k": 1}}, InvalidArgumentError, "tags"),
    ],
)
def test_refused_before_any_request(fake, make_vault, kwargs, error, message):
    vault = make_vault()
    kwargs = {"subject": "CN=a", **kwargs}
    with pytest.raises(error, match=message):
        vault.create_certificate("web", **kwargs)
    assert fake.requests == []


def test_stricter_policy_refuses_the_default_twelve_months(fake, make_vault):
    vault = make_vault(expiry=ExpiryPolicy(max_certificate_months=6))
    with pytest.raises(ExpiryPolicyError, match="validity_months=12 exceeds"):
        vault.create_certificate("web", subject="CN=a")
    assert fake.requests == []
    cert = vault.create_certificate("web", subject="CN=a", validity_months=6)
    assert close_to(cert.expires_on, fake.clock() + 182 * DAY)


def test_ec_certificate(make_vault):
    vault = make_vault()
    vault.create_certificate("ec", subject="CN=ec", key_type="EC", key_size=384)
    with_key = vault.get_certificate_with_key("ec")
    assert isinstance(with_key.private_key, ec.EllipticCurvePrivateKey)
    assert with_key.private_key.curve.name == "secp384r1"


def test_get_certificate_is_cached_and_pinnable(fake, make_vault):
    fake.certificate_client().begin_create_certificate(
        "web", CertificatePolicy("Self", subject="CN=a")
    ).result()
    vault = make_vault()
    first = vault.get_certificate("WEB")
    start = len(fake.requests)
    assert vault.get_certificate("web") is first
    assert vault.get_certificate("web", version=first.version) is first
    assert fake.requests[start:] == []


def test_private_key_matches_for_latest_and_a_pinned_older_version(make_vault):
    vault = make_vault()
    old = vault.create_certificate("web", subject="CN=a")
    new = vault.create_certificate("web", subject="CN=a")
    assert new.version != old.version
    latest = vault.get_certificate_with_key("web")
    pinned = vault.get_certificate_with_key("web", version=old.version)
    assert latest.version == new.version and pinned.version == old.version
    for with_key in (latest, pinned):
        assert isinstance(with_key, CertificateWithKey)
        assert isinstance(with_key.private_key, rsa.RSAPrivateKey)
        leaf = with_key.chain[0]
        assert leaf.public_bytes(serialization.Encoding.DER) == with_key.cer
        assert spki(with_key.private_key.public_key()) == spki(leaf.public_key())
    assert spki(latest.private_key.public_key()) != spki(pinned.private_key.public_key())


def test_repr_never_shows_key_material(make_vault):
    vault = make_vault()
    vault.create_certificate("web", subject="CN=a")
    with_key = vault.get_certificate_with_key("web")
    pem = with_key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    body = "".join(pem.splitlines()[1:-1])
    for text in (repr(with_key), str(with_key)):
        assert "private_key=<redacted>" in text
        assert body[:40] not in text and "BEGIN" not in text
    import pickle

    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(with_key)


def test_pem_content_type(fake, make_vault):
    policy = CertificatePolicy(
        "Self", subject="CN=pem", content_type=CertificateContentType.pem, exportable=True
    )
    fake.certificate_client().begin_create_certificate("pem", policy).result()
    with_key = make_vault().get_certificate_with_key("pem")
    assert spki(with_key.private_key.public_key()) == spki(with_key.chain[0].public_key())


def test_non_exportable_key_is_a_clear_error(fake, make_vault):
    # key_type too: the SDK sends no key properties when they are all falsy.
    policy = CertificatePolicy("Self", subject="CN=locked", exportable=False, key_type="RSA")
    fake.certificate_client().begin_create_certificate("locked", policy).result()
    with pytest.raises(SafeVaultError, match="no private key"):
        make_vault().get_certificate_with_key("locked")


def test_auto_renewal_read_after_the_ttl_and_old_version_expiry(fake, make_vault):
    vault = make_vault(cache=CachePolicy(jitter=0))
    first = vault.create_certificate("web", subject="CN=a")
    fake.advance(300 * DAY)  # past 80% of 12 months: Key Vault renewed it
    renewed = vault.get_certificate("web")
    assert renewed.version != first.version
    assert renewed.expires_on > first.expires_on
    fake.advance(70 * DAY)  # the first version is now past its notAfter
    with pytest.raises(ExpiredError) as caught:
        vault.get_certificate("web", version=first.version)
    assert caught.value.kind == "certificate"
    with pytest.raises(ExpiredError):
        vault.get_certificate_with_key("web", version=first.version)
    lenient = make_vault(expiry=ExpiryPolicy(on_read="warn"))
    assert lenient.get_certificate("web", version=first.version).version == first.version


def test_disabled_certificate(fake, make_vault):
    vault = make_vault()
    cert = vault.create_certificate("web", subject="CN=a")
    fake.certificate_client().update_certificate_properties("web", cert.version, enabled=False)
    fresh = make_vault()
    with pytest.raises(DisabledError):
        fresh.get_certificate("web")
    with pytest.raises(DisabledError):
        fresh.get_certificate_with_key("web", version=cert.version)


# -- failed and timed-out operations --------------------------------------------------------------


def _is_create(request) -> bool:
    path = urlsplit(request.url).path
    return (
        request.method == "POST" and path.startswith("/certificates/") and path.endswith("/create")
    )


def _with_issuer(request, issuer):
    body = json.loads(request.content)
    body["policy"]["issuer"]["name"] = issuer
    return HttpRequest(
        request.method, request.url, headers=dict(request.headers), content=json.dumps(body)
    )


class SteeringTransport(HttpTransport):
    """FakeVault's transport; rewrites the issuer of a create, or holds the pending poll."""

    def __init__(self, fake, *, issuer=None, hold=False):
        self._inner = fake.transport
        self.issuer = issuer
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def send(self, request, **kwargs):
        if self.issuer and _is_create(request):
            request = _with_issuer(request, self.issuer)
        if request.method == "GET" and request.url.split("?")[0].endswith("/pending"):
            self.release.wait(30)
        return self._inner.send(request, **kwargs)

    def open(self):
        return None

    def close(self):
        return None

    def __enter__(self):
        return self

    def __exit__(self, *args):
        return None

    def sleep(self, duration):
        self._inner.sleep(duration)


class AsyncSteeringTransport(AsyncHttpTransport):
    """The async twin of :class:`SteeringTransport` (loop-agnostic: polls a threading.Event)."""

    def __init__(self, fake, *, issuer=None, hold=False):
        self._inner = fake.async_transport
        self.issuer = issuer
        self.release = threading.Event()
        if not hold:
            self.release.set()

    async def send(self, request, **kwargs):
        if self.issuer and _is_create(request):
            request = _with_issuer(request, self.issuer)
        if request.method == "GET" and request.url.split("?")[0].endswith("/pending"):
            while not self.release.is_set():
                await asyncio.sleep(0.01)
        return await self._inner.send(request, **kwargs)

    async def open(self):
        return None

    async def close(self):
        return None

    async def __aenter__(self):
        return self

    async def __aexit__(self, *args):
        return None

    async def sleep(self, duration):
        await self._inner.sleep(duration)


def steering(fake, flavor, **kwargs):
    cls = SteeringTransport if flavor == "sync" else AsyncSteeringTransport
    return cls(fake, **kwargs)


def test_failed_operation_raises(fake, flavor, make_vault):
    transport = steering(fake, flavor, issuer="Unreachable-CA")
    vault = make_vault(transport=transport)
    with pytest.raises(SafeVaultError, match=r"status 'failed'.*CertificateIssuerNotFound"):
        vault.create_certificate("web", subject="CN=a")


def test_timeout_raises(fake, flavor, make_vault):
    transport = steering(fake, flavor, hold=True)
    vault = make_vault(transport=transport)
    try:
        with pytest.raises(SafeVaultError, match=r"did not finish within 0\.2 s"):
            vault.create_certificate("web", subject="CN=a", timeout=timedelta(seconds=0.2))
    finally:
        transport.release.set()  # let the sync poller's thread finish


def test_spans(fake, make_vault):
    from otel_support import pipeline

    exporter, _ = pipeline()
    exporter.clear()
    vault = make_vault(audit_hits=True)  # the read after the create is a hit: a span with this
    vault.create_certificate("web", subject="CN=a")
    vault.get_certificate("web")
    vault.get_certificate_with_key("web")
    spans = [s for s in exporter.get_finished_spans() if s.name.startswith("safevault.")]
    assert [s.name for s in spans] == [
        "safevault.create_certificate",
        "safevault.get_certificate",
        "safevault.get_certificate_with_key",
    ]
    for span in spans:
        assert span.attributes["safevault.object.kind"] == "certificate"
        assert span.attributes["safevault.object.name"] == "web"
        assert "safevault.object.version" in span.attributes
        assert "PRIVATE" not in span.to_json()
