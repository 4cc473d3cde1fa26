"""FakeVault's auto-rotation: a Rotate lifetime action fires when the fake clock passes it."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from azure.core.rest import HttpRequest
from azure.keyvault.keys import (
    KeyRotationLifetimeAction,
    KeyRotationPolicy,
    KeyRotationPolicyAction,
)

from safevault.testing import FakeVault

ROTATE = KeyRotationPolicyAction.rotate
DAY = timedelta(days=1)


def _policy(
    client: object, name: str, action: KeyRotationLifetimeAction, expires_in: str | None
) -> None:
    client.update_key_rotation_policy(  # type: ignore[attr-defined]
        name, KeyRotationPolicy(), lifetime_actions=[action], expires_in=expires_in
    )


def test_rotation_after_create_happens_when_the_clock_passes_it(fake_vault: FakeVault) -> None:
    client = fake_vault.key_client()
    first = client.create_ec_key("k")
    _policy(client, "k", KeyRotationLifetimeAction(ROTATE, time_after_create="P30D"), "P90D")
    fake_vault.advance(29 * DAY)
    assert client.get_key("k").id == first.id
    fake_vault.advance(2 * DAY)
    rotated = client.get_key("k")
    assert rotated.id != first.id
    assert rotated.properties.created_on == first.properties.created_on + 30 * DAY
    assert rotated.properties.expires_on == rotated.properties.created_on + 90 * DAY
    assert rotated.key.crv == first.key.crv
    assert len(list(client.list_properties_of_key_versions("k"))) == 2


def test_missed_rotations_all_happen_at_their_due_times(fake_vault: FakeVault) -> None:
    client = fake_vault.key_client()
    first = client.create_ec_key("k")
    _policy(client, "k", KeyRotationLifetimeAction(ROTATE, time_after_create="P10D"), None)
    fake_vault.advance(35 * DAY)
    versions = sorted(client.list_properties_of_key_versions("k"), key=lambda p: p.created_on)
    created = [p.created_on - first.properties.created_on for p in versions]
    assert created == [timedelta(0), 10 * DAY, 20 * DAY, 30 * DAY]
    assert client.get_key("k").properties.version == versions[-1].version


def test_rotation_before_expiry(fake_vault: FakeVault) -> None:
    client = fake_vault.key_client()
    first = client.create_ec_key("k", expires_on=fake_vault.clock() + 40 * DAY)
    _policy(client, "k", KeyRotationLifetimeAction(ROTATE, time_before_expiry="P10D"), "P60D")
    fake_vault.advance(29 * DAY)
    assert client.get_key("k").id == first.id
    fake_vault.advance(2 * DAY)
    rotated = client.get_key("k")
    assert rotated.id != first.id
    assert rotated.properties.expires_on == rotated.properties.created_on + 60 * DAY


def test_a_key_operation_also_triggers_the_rotation(fake_vault: FakeVault) -> None:
    client = fake_vault.key_client()
    first = client.create_rsa_key("k")
    _policy(client, "k", KeyRotationLifetimeAction(ROTATE, time_after_create="P7D"), None)
    fake_vault.advance(8 * DAY)
    body = {"alg": "RS256", "value": base64.urlsafe_b64encode(b"\0" * 32).decode().rstrip("=")}
    response = client.send_request(HttpRequest("POST", "/keys/k//sign", json=body))
    assert response.status_code == 200
    kid = response.json()["kid"]
    assert kid != first.id
    assert kid == client.get_key("k").id


def test_notify_only_policy_never_rotates(fake_vault: FakeVault) -> None:
    client = fake_vault.key_client()
    first = client.create_ec_key("k", expires_on=fake_vault.clock() + 40 * DAY)
    _policy(
        client,
        "k",
        KeyRotationLifetimeAction(KeyRotationPolicyAction.notify, time_before_expiry="P30D"),
        "P60D",
    )
    fake_vault.advance(100 * DAY)
    assert client.get_key("k").id == first.id


def test_certificate_keys_follow_the_certificate_not_a_rotation_policy(
    fake_vault: FakeVault,
) -> None:
    from azure.core.exceptions import HttpResponseError
    from azure.keyvault.certificates import CertificatePolicy

    certs = fake_vault.certificate_client()
    certs.begin_create_certificate(
        "c", CertificatePolicy(issuer_name="Self", subject="CN=c"), _polling_interval=0
    ).result()
    client = fake_vault.key_client()
    with pytest.raises(HttpResponseError) as info:
        _policy(client, "c", KeyRotationLifetimeAction(ROTATE, time_after_create="P7D"), None)
    assert info.value.status_code == 403
    fake_vault.advance(400 * DAY)  # past the certificate's AutoRenew at 80% of 12 months
    key = client.get_key("c")  # reading the key first still shows the renewal
    assert key.properties.version == certs.get_certificate("c").properties.version
    assert len(list(client.list_properties_of_key_versions("c"))) == 2
