"""expiring(): 500 objects in mixed states, sync and async. Exactly the right notices, from one
listing pass per kind (the list calls and their nextLink pages only; no value is read).

Objects are made through the plain SDK clients on one FakeVault (module-scoped: the scan only
reads). Each object's expected status is decided when it is made, not computed from dates.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from azure.keyvault.certificates import (
    CertificatePolicy,
    CertificatePolicyAction,
    KeyCurveName,
    KeyType,
    LifetimeAction,
)

from safevault import ExpiryNotice, InvalidArgumentError
from safevault.testing import FakeVault

WITHIN = timedelta(days=45)
PAGE = 25  # FakeVault's page size, like Key Vault's
TOTAL = 500
Expected = tuple[str, str, str, datetime | None, str]  # kind, name, version, expires_on, status


@dataclass
class Population:
    fake: FakeVault
    expected: set[Expected]
    listed: dict[str, int]  # kind -> how many objects its listing returns (incl. managed)
    made: int


def _secret_states(i: int) -> str:
    return [
        "healthy",
        "expired",
        "expiring",
        "no_expiry",
        "not_yet_valid",
        "disabled_expired",
        "disabled_no_expiry",
        "older_expired_latest_expiring",
        "older_expiring_latest_healthy",
    ][i % 9]


@pytest.fixture(scope="module")
def population() -> Iterator[Population]:
    fake = FakeVault()
    secrets = fake.secret_client()
    keys = fake.key_client()
    certs = fake.certificate_client()
    labels: dict[tuple[str, str], str | None] = {}  # (kind, name) -> expected status
    made = 0

    # A certificate that has expired by the time of the scan: made first, then 40 days pass
    # (it only e-mails before expiry: an AutoRenew action would have renewed it). Its backing
    # key and secret are expired too and must not be reported on their own.
    short = CertificatePolicy(
        issuer_name="Self",
        subject="CN=short",
        key_type=KeyType.ec,
        key_curve_name=KeyCurveName.p_256,
        validity_in_months=1,
        lifetime_actions=[
            LifetimeAction(CertificatePolicyAction.email_contacts, lifetime_percentage=80)
        ],
    )
    certs.begin_create_certificate("cert-expired", short).result()
    labels[("certificate", "cert-expired")] = "expired"
    fake.advance(timedelta(days=40))
    now = fake.clock()

    certs.begin_create_certificate("cert-healthy", CertificatePolicy.get_default()).result()
    labels[("certificate", "cert-healthy")] = None
    certs.begin_create_certificate("cert-expiring", short).result()
    labels[("certificate", "cert-expiring")] = "expiring"
    certs.begin_create_certificate("cert-disabled", short).result()
    certs.update_certificate_properties("cert-disabled", enabled=False)
    labels[("certificate", "cert-disabled")] = None
    made += 4

    far, soon, past = now + timedelta(days=200), now + timedelta(days=10), now - timedelta(days=1)
    key_specs: list[tuple[str, dict[str, Any], str | None]] = [
        ("key-healthy", {"expires_on": far}, None),
        ("key-expired", {"expires_on": past}, "expired"),
        ("key-expiring", {"expires_on": soon}, "expiring"),
        ("key-expiring-40d", {"expires_on": now + timedelta(days=40)}, "expiring"),
        ("key-no-expiry", {}, "no_expiry"),
        (
            "key-not-yet-valid",
            {"not_before": now + timedelta(days=2), "expires_on": far},
            "not_yet_valid",
        ),
        ("key-disabled", {"expires_on": past, "enabled": False}, None),
    ]
    for name, kwargs, status in key_specs:
        keys.create_ec_key(name, curve="P-256", **kwargs)
        labels[("key", name)] = status
    made += len(key_specs)

    for i in range(TOTAL - made):
        name = f"secret-{i:03d}"
        state = _secret_states(i)
        status: str | None
        if state == "healthy":
            secrets.set_secret(name, "x", expires_on=far)
            status = None
        elif state == "expired":
            secrets.set_secret(name, "x", expires_on=past)
            status = "expired"
        elif state == "expiring":
            secrets.set_secret(name, "x", expires_on=soon)
            status = "expiring"
        elif state == "no_expiry":
            secrets.set_secret(name, "x")
            status = "no_expiry"
        elif state == "not_yet_valid":
            secrets.set_secret(name, "x", not_before=now + timedelta(days=1), expires_on=far)
            status = "not_yet_valid"
        elif state == "disabled_expired":
            secrets.set_secret(name, "x", expires_on=past, enabled=False)
            status = None
        elif state == "disabled_no_expiry":
            secrets.set_secret(name, "x", enabled=False)
            status = None
        elif state == "older_expired_latest_expiring":
            secrets.set_secret(name, "x", expires_on=past)
            secrets.set_secret(name, "y", expires_on=soon)
            status = "expiring"
        else:
            secrets.set_secret(name, "x", expires_on=soon)
            secrets.set_secret(name, "y", expires_on=far)
            status = None
        labels[("secret", name)] = status
        made += 1
    assert made == TOTAL

    # versions and expiry dates of what is reported, as the listings show them
    props: dict[tuple[str, str], Any] = {}
    listed = {"secret": 0, "key": 0, "certificate": 0}
    for p in secrets.list_properties_of_secrets():
        listed["secret"] += 1
        props[("secret", p.name)] = p
    for p in keys.list_properties_of_keys():
        listed["key"] += 1
        props[("key", p.name)] = p
    for p in certs.list_properties_of_certificates():
        listed["certificate"] += 1
        props[("certificate", p.name)] = p
    assert listed == {"secret": TOTAL - 11 + 4, "key": 7 + 4, "certificate": 4}
    expected = {
        (kind, name, props[kind, name].version, props[kind, name].expires_on, status)
        for (kind, name), status in labels.items()
        if status is not None
    }
    yield Population(fake, expected, listed, made)
    for client in (secrets, keys, certs):
        client.close()


@pytest.fixture
def fake(population: Population) -> FakeVault:
    return population.fake


def as_tuples(notices: list[ExpiryNotice]) -> list[Expected]:
    return [(n.kind, n.name, n.version, n.expires_on, n.status) for n in notices]


def scan_requests(fake: FakeVault, since: int) -> list[tuple[str, str, int]]:
    return [r for r in fake.requests[since:] if r[2] != 401]


def test_exactly_the_right_notices_from_one_listing_pass_per_kind(
    population: Population, make_vault: Callable[..., Any]
) -> None:
    vault = make_vault()
    since = len(population.fake.requests)
    notices = vault.expiring(within=WITHIN)

    got = as_tuples(notices)
    assert len(got) == len(set(got)), "an object was reported twice"
    assert set(got) == population.expected
    statuses = {status for *_, status in got}
    assert statuses == {"expired", "expiring", "no_expiry", "not_yet_valid"}
    assert [n.name for n in notices if n.kind == "certificate"] != []
    assert not any(n.name.startswith("cert-") for n in notices if n.kind != "certificate"), (
        "a certificate's backing key or secret was reported on its own"
    )

    requests = scan_requests(population.fake, since)
    assert all(method == "GET" for method, _, _ in requests)
    paths = [path for _, path, _ in requests]
    assert sorted(set(paths)) == ["/certificates", "/keys", "/secrets"], "a value was read"
    for kind, path in (("secret", "/secrets"), ("key", "/keys"), ("certificate", "/certificates")):
        assert paths.count(path) == math.ceil(population.listed[kind] / PAGE), path


@pytest.mark.parametrize("kinds", [("key",), ("certificate",), ("secret", "certificate")])
def test_kinds_limit_the_listings_and_the_notices(
    population: Population, make_vault: Callable[..., Any], kinds: tuple[str, ...]
) -> None:
    vault = make_vault()
    since = len(population.fake.requests)
    notices = vault.expiring(within=WITHIN, kinds=kinds)
    assert set(as_tuples(notices)) == {e for e in population.expected if e[0] in kinds}
    paths = {path for _, path, _ in scan_requests(population.fake, since)}
    assert paths == {f"/{kind}s" for kind in kinds}


def test_the_window_decides_what_is_expiring(
    population: Population, make_vault: Callable[..., Any]
) -> None:
    vault = make_vault()
    default = vault.expiring(kinds=("key",))  # 30 days
    assert {(n.name, n.status) for n in default} == {
        ("key-expired", "expired"),
        ("key-expiring", "expiring"),
        ("key-no-expiry", "no_expiry"),
        ("key-not-yet-valid", "not_yet_valid"),
    }
    narrow = vault.expiring(within=timedelta(days=5), kinds=("key",))
    assert {n.name for n in narrow} == {"key-expired", "key-no-expiry", "key-not-yet-valid"}
    # a one-month certificate is inside a 32-day window and outside a 27-day one
    month = vault.expiring(within=timedelta(days=32), kinds=("certificate",))
    assert {(n.name, n.status) for n in month} == {
        ("cert-expired", "expired"),
        ("cert-expiring", "expiring"),
    }
    short = vault.expiring(within=timedelta(days=27), kinds=("certificate",))
    assert {n.name for n in short} == {"cert-expired"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kinds": ()},
        {"kinds": ("secret", "vault")},
        {"within": timedelta(days=-1)},
        {"within": 30},
    ],
    ids=["no-kinds", "unknown-kind", "negative-window", "not-a-timedelta"],
)
def test_bad_arguments_are_refused_before_any_request(
    population: Population, make_vault: Callable[..., Any], kwargs: dict[str, Any]
) -> None:
    vault = make_vault()
    since = len(population.fake.requests)
    with pytest.raises(InvalidArgumentError):
        vault.expiring(**kwargs)
    assert scan_requests(population.fake, since) == []
