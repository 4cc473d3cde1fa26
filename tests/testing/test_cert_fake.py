"""FakeVault's certificates beyond the contract suite: time, renewal, managed objects."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.keyvault.certificates import (
    CertificatePolicy,
    CertificatePolicyAction,
    LifetimeAction,
)
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

from safevault.testing import FakeVault

DAY = timedelta(days=1)


def _create(fake: FakeVault, name: str, **policy: object) -> object:
    options: dict[str, object] = {"issuer_name": "Self", "subject": f"CN={name}"}
    options.update(policy)
    poller = fake.certificate_client().begin_create_certificate(
        name, CertificatePolicy(**options), _polling_interval=0
    )
    return poller.result()


def test_validity_counts_calendar_months() -> None:
    jan31 = datetime(2027, 1, 31, 12, 0, tzinfo=timezone.utc)
    fake = FakeVault(clock=lambda: jan31)
    cert = fake.certificate_client()
    _create(fake, "c", validity_in_months=1)
    props = cert.get_certificate("c").properties
    assert props.not_before == jan31
    assert props.expires_on == datetime(2027, 2, 28, 12, 0, tzinfo=timezone.utc)
    _create(fake, "d", validity_in_months=13)
    assert cert.get_certificate("d").properties.expires_on == datetime(
        2028, 2, 29, 12, 0, tzinfo=timezone.utc
    )


def test_auto_renew_at_lifetime_percentage(fake_vault: FakeVault) -> None:
    client = fake_vault.certificate_client()
    _create(fake_vault, "c", validity_in_months=10)
    first = client.get_certificate("c")
    lifetime = first.properties.expires_on - first.properties.not_before
    fake_vault.advance(lifetime * 0.79)
    assert client.get_certificate("c").id == first.id
    fake_vault.advance(lifetime * 0.02)
    renewed = client.get_certificate("c")
    assert renewed.id != first.id
    due = first.properties.not_before + lifetime * 0.8
    assert abs(renewed.properties.not_before - due) <= timedelta(seconds=1)
    secret = fake_vault.secret_client().get_secret("c")
    assert secret.properties.version == renewed.properties.version


def test_auto_renew_days_before_expiry(fake_vault: FakeVault) -> None:
    renew = LifetimeAction(CertificatePolicyAction.auto_renew, days_before_expiry=10)
    _create(fake_vault, "c", validity_in_months=2, lifetime_actions=[renew])
    client = fake_vault.certificate_client()
    first = client.get_certificate("c")
    assert first.properties.expires_on is not None
    fake_vault.advance(first.properties.expires_on - fake_vault.clock() - 9 * DAY)
    renewed = client.get_certificate("c")
    assert renewed.properties.not_before == first.properties.expires_on - 10 * DAY


def test_email_contacts_never_renews(fake_vault: FakeVault) -> None:
    notify = LifetimeAction(CertificatePolicyAction.email_contacts, lifetime_percentage=50)
    _create(fake_vault, "c", lifetime_actions=[notify])
    fake_vault.advance(400 * DAY)
    assert (
        len(list(fake_vault.certificate_client().list_properties_of_certificate_versions("c"))) == 1
    )


def test_disabling_a_version_disables_its_key_and_secret(fake_vault: FakeVault) -> None:
    _create(fake_vault, "c")
    fake_vault.certificate_client().update_certificate_properties("c", enabled=False)
    for read in (fake_vault.key_client().get_key, fake_vault.secret_client().get_secret):
        with pytest.raises(HttpResponseError) as info:
            read("c")
        assert info.value.status_code == 403


def test_non_exportable_key_leaves_the_secret_without_private_key(fake_vault: FakeVault) -> None:
    _create(fake_vault, "c", exportable=False, key_type="RSA")
    value = fake_vault.secret_client().get_secret("c").value
    assert value is not None
    key, _, certs = pkcs12.load_key_and_certificates(base64.b64decode(value), None)
    assert key is None
    assert [c.subject.rfc4514_string() for c in certs] == ["CN=c"]


def test_certificate_key_refuses_direct_writes(fake_vault: FakeVault) -> None:
    _create(fake_vault, "c")
    keys = fake_vault.key_client()
    for write in (
        lambda: keys.update_key_properties("c", tags={"a": "b"}),
        lambda: keys.begin_delete_key("c"),
        lambda: keys.rotate_key("c"),
        lambda: keys.create_ec_key("c"),
    ):
        with pytest.raises(HttpResponseError) as info:
            write()
        assert info.value.status_code == 403
        assert info.value.error.innererror["code"] == "KeyManagedByKeyVault"


def test_deleted_certificate_key_is_not_listed_but_can_be_read(fake_vault: FakeVault) -> None:
    _create(fake_vault, "c")
    fake_vault.certificate_client().begin_delete_certificate("c", _polling_interval=0).wait()
    keys = fake_vault.key_client()
    assert [k.name for k in keys.list_deleted_keys()] == []
    assert keys.get_deleted_key("c").properties.managed is True


def test_name_of_an_unmanaged_key_is_409(fake_vault: FakeVault) -> None:
    fake_vault.key_client().create_ec_key("taken")
    with pytest.raises(ResourceExistsError):
        _create(fake_vault, "taken")


def test_san_only_certificate_has_a_critical_san(fake_vault: FakeVault) -> None:
    policy = CertificatePolicy(issuer_name="Self", san_dns_names=["only.example"])
    cert = (
        fake_vault.certificate_client()
        .begin_create_certificate("c", policy, _polling_interval=0)
        .result()
    )
    parsed = x509.load_der_x509_certificate(cert.cer)
    assert len(parsed.subject) == 0
    assert parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).critical


def test_unknown_issuer_defaults_to_email_contacts(fake_vault: FakeVault) -> None:
    client = fake_vault.certificate_client()
    client.begin_create_certificate(
        "c", CertificatePolicy(issuer_name="Unknown", subject="CN=c"), _polling_interval=0
    ).result()
    policy = client.get_certificate_policy("c")
    assert policy.lifetime_actions[0].action == CertificatePolicyAction.email_contacts
    with pytest.raises(ResourceNotFoundError):
        client.get_certificate("c")


def test_soft_deleted_certificate_is_purged_after_90_days(fake_vault: FakeVault) -> None:
    _create(fake_vault, "c")
    fake_vault.certificate_client().begin_delete_certificate("c", _polling_interval=0).wait()
    fake_vault.advance(91 * DAY)
    with pytest.raises(ResourceNotFoundError):
        fake_vault.certificate_client().get_deleted_certificate("c")
    with pytest.raises(ResourceNotFoundError):
        fake_vault.key_client().get_deleted_key("c")
    _create(fake_vault, "c")  # the name is free again
