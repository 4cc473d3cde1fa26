"""FakeVault's pure certificate logic: subjects, calendar months, policy defaults and merges."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from cryptography.x509.oid import NameOID

from safevault.testing._cert_policy import PolicyError, merge_policy, normalize_policy, renewal_due
from safevault.testing._cert_x509 import SubjectError, add_months, parse_subject


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        ((2027, 1, 31), 1, (2027, 2, 28)),
        ((2028, 1, 31), 1, (2028, 2, 29)),
        ((2027, 11, 30), 3, (2028, 2, 29)),
        ((2027, 5, 15), 12, (2028, 5, 15)),
        ((2027, 12, 31), 1200, (2127, 12, 31)),
    ],
)
def test_add_months(start: tuple[int, int, int], months: int, end: tuple[int, int, int]) -> None:
    moment = datetime(*start, 8, 30, tzinfo=timezone.utc)
    assert add_months(moment, months) == datetime(*end, 8, 30, tzinfo=timezone.utc)


def test_parse_subject() -> None:
    name = parse_subject(r"CN=a\, b, O=Org; C=NL, E=x@example.test")
    assert name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "a, b"
    assert name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Org"
    assert name.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "NL"
    for bad in ("example.test", "XX=1", "CN=", "C=NLD"):
        with pytest.raises(SubjectError):
            parse_subject(bad)


def _policy(**sections: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"issuer": {"name": "Self"}, "x509_props": {"subject": "CN=a"}}
    raw.update(sections)
    return raw


def test_defaults() -> None:
    policy = normalize_policy(_policy(), now=7)
    assert policy["key_props"] == {
        "exportable": True,
        "kty": "RSA",
        "key_size": 2048,
        "reuse_key": False,
    }
    assert policy["secret_props"] == {"contentType": "application/x-pkcs12"}
    assert policy["x509_props"]["validity_months"] == 12
    assert policy["x509_props"]["key_usage"] == ["digitalSignature", "keyEncipherment"]
    assert policy["lifetime_actions"] == [
        {"trigger": {"lifetime_percentage": 80}, "action": {"action_type": "AutoRenew"}}
    ]
    assert policy["attributes"] == {"enabled": True, "created": 7, "updated": 7}
    ec_policy = normalize_policy(_policy(key_props={"kty": "EC-HSM"}), now=0)
    assert ec_policy["key_props"]["crv"] == "P-256"
    assert ec_policy["x509_props"]["key_usage"] == ["digitalSignature"]


@pytest.mark.parametrize(
    "sections",
    [
        {"issuer": {}},
        {"x509_props": {}},
        {"x509_props": {"subject": "CN=a", "validity_months": True}},
        {"x509_props": {"subject": "CN=a", "key_usage": ["signEverything"]}},
        {"key_props": {"kty": "EC", "crv": "P-192"}},
        {"key_props": {"exportable": "yes"}},
        {"lifetime_actions": [{"trigger": {}, "action": {"action_type": "AutoRenew"}}]},
        {
            "lifetime_actions": [
                {"trigger": {"days_before_expiry": 400}, "action": {"action_type": "AutoRenew"}}
            ]
        },
        {
            "lifetime_actions": [
                {"trigger": {"lifetime_percentage": 50}, "action": {"action_type": "Revoke"}}
            ]
        },
    ],
)
def test_refusals(sections: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        normalize_policy(_policy(**sections), now=0)


def test_action_type_is_case_insensitive() -> None:
    actions = [{"trigger": {"lifetime_percentage": 50}, "action": {"action_type": "emailcontacts"}}]
    policy = normalize_policy(_policy(lifetime_actions=actions), now=0)
    assert policy["lifetime_actions"][0]["action"]["action_type"] == "EmailContacts"


def test_merge_keeps_unsent_fields_and_drops_size_on_type_change() -> None:
    current = normalize_policy(_policy(key_props={"key_size": 4096}), now=1)
    merged = merge_policy(
        current, {"key_props": {"kty": "EC"}, "x509_props": {"validity_months": 3}}, now=5
    )
    assert merged["key_props"]["kty"] == "EC"
    assert "key_size" not in merged["key_props"]
    assert merged["key_props"]["crv"] == "P-256"
    assert merged["x509_props"]["subject"] == "CN=a"
    assert merged["x509_props"]["validity_months"] == 3
    assert (merged["attributes"]["created"], merged["attributes"]["updated"]) == (1, 5)


def test_renewal_due() -> None:
    policy = normalize_policy(_policy(), now=0)
    assert renewal_due(policy, nbf=0, exp=1000) == 800
    days = [{"trigger": {"days_before_expiry": 2}, "action": {"action_type": "AutoRenew"}}]
    assert (
        renewal_due(normalize_policy(_policy(lifetime_actions=days), now=0), nbf=0, exp=10**6)
        == 10**6 - 2 * 86400
    )
    unknown = normalize_policy(_policy(issuer={"name": "Unknown"}), now=0)
    assert renewal_due(unknown, nbf=0, exp=1000) is None
