"""Checkov's ARM fixtures (notes/audit.md section 5), rebuilt as small templates of our own:
where safevault agrees with Checkov, and the expected disagreements asserted as such.

Each case: a template fragment, the Checkov check and its expected verdict, our rule and our
verdict. ``differs`` marks a deliberate disagreement (documented in docs/posture/index.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from safevault.posture import Verdict, check, load_arm

P, F, U = Verdict.PASS, Verdict.FAIL, Verdict.UNKNOWN
KV = "[parameters('keyVaultName')]"


def vault(props: dict[str, Any], name: str = "kv", api: str = "2019-09-01") -> dict[str, Any]:
    base = {"tenantId": "t", "sku": {"family": "A", "name": "standard"}, "accessPolicies": []}
    return {
        "type": "Microsoft.KeyVault/vaults",
        "apiVersion": api,
        "name": name,
        "location": "westeurope",
        "properties": {**base, **props},
    }


def child(kind: str, name: str, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": f"Microsoft.KeyVault/vaults/{kind}",
        "apiVersion": "2019-09-01",
        "name": f"kv/{name}",
        "properties": props,
    }


ALLOW_WITH_IP = {
    "publicNetworkAccess": "Enabled",
    "networkAcls": {"defaultAction": "Allow", "bypass": "AzureServices", "ipRules": ["127.0.0.1"]},
}

# (id, resources, parameters, checkov check, checkov verdict, our rule, our verdict, differs)
CASES: list[tuple[str, list[Any], dict[str, Any], str, Verdict, str, Verdict, bool]] = [
    (
        "189-pass1",
        [vault({"publicNetworkAccess": "Disabled"})],
        {},
        "CKV_AZURE_189",
        P,
        "KV-NET-01",
        P,
        False,
    ),
    (
        "189-pass2",
        [vault({"publicNetworkAccess": "disabled", "networkAcls": {"defaultAction": "Deny"}})],
        {},
        "CKV_AZURE_189",
        P,
        "KV-NET-01",
        P,
        False,
    ),
    ("189-pass3", [vault(ALLOW_WITH_IP)], {}, "CKV_AZURE_189", P, "KV-NET-01", F, True),
    ("189-pass3-net02", [vault(ALLOW_WITH_IP)], {}, "CKV_AZURE_189", P, "KV-NET-02", F, True),
    ("189-pass3-net04", [vault(ALLOW_WITH_IP)], {}, "CKV_AZURE_189", P, "KV-NET-04", F, True),
    (
        "189-pass4",
        [vault({"networkAcls": {"defaultAction": "Allow", "ipRules": [{"value": "127.0.0.1"}]}})],
        {},
        "CKV_AZURE_189",
        P,
        "KV-NET-04",
        F,
        True,
    ),
    (
        "189-fail1",
        [vault({"publicNetworkAccess": "Enabled"})],
        {},
        "CKV_AZURE_189",
        F,
        "KV-NET-01",
        F,
        False,
    ),
    ("189-fail2", [vault({})], {}, "CKV_AZURE_189", F, "KV-NET-01", F, False),
    (
        "189-fail3",
        [
            vault(
                {
                    "publicNetworkAccess": "Enabled",
                    "networkAcls": {"defaultAction": "Deny", "ipRules": []},
                }
            )
        ],
        {},
        "CKV_AZURE_189",
        F,
        "KV-NET-01",
        F,
        False,
    ),
    (
        "189-fail4",
        [vault({"networkAcls": {"defaultAction": "Allow"}})],
        {},
        "CKV_AZURE_189",
        F,
        "KV-NET-01",
        F,
        False,
    ),
    (
        "189-fail5",
        [vault({"publicNetworkAccess": "Enabled", "networkAcls": {"ipRules": []}})],
        {},
        "CKV_AZURE_189",
        F,
        "KV-NET-01",
        F,
        False,
    ),
    (
        "109-pass",
        [vault({"networkAcls": {"defaultAction": "Deny"}})],
        {},
        "CKV_AZURE_109",
        P,
        "KV-NET-02",
        P,
        False,
    ),
    (
        "109-fail",
        [vault({"networkAcls": {"defaultAction": "Allow"}})],
        {},
        "CKV_AZURE_109",
        F,
        "KV-NET-02",
        F,
        False,
    ),
    # Public access disabled: the firewall's default does not matter (Azure Policy agrees).
    (
        "109-fail-pna-disabled",
        [vault({"publicNetworkAccess": "Disabled", "networkAcls": {"defaultAction": "Allow"}})],
        {},
        "CKV_AZURE_109",
        F,
        "KV-NET-02",
        P,
        True,
    ),
    (
        "110-pass",
        [vault({"enablePurgeProtection": True})],
        {},
        "CKV_AZURE_110",
        P,
        "KV-REC-02",
        P,
        False,
    ),
    (
        "110-fail1",
        [vault({"enablePurgeProtection": False})],
        {},
        "CKV_AZURE_110",
        F,
        "KV-REC-02",
        F,
        False,
    ),
    ("110-fail2", [vault({})], {}, "CKV_AZURE_110", F, "KV-REC-02", F, False),
    (
        "111-pass",
        [vault({"enableSoftDelete": "[parameters('softDelete')]"})],
        {"softDelete": {"type": "bool", "defaultValue": True}},
        "CKV_AZURE_111",
        P,
        "KV-REC-01",
        P,
        False,
    ),
    # Absent on api 2018-02-14: Checkov and safevault PASS; Azure Policy 1e66c121 flags it.
    ("111-pass2", [vault({}, api="2018-02-14")], {}, "CKV_AZURE_111", P, "KV-REC-01", P, False),
    (
        "111-fail",
        [vault({"enableSoftDelete": False})],
        {},
        "CKV_AZURE_111",
        F,
        "KV-REC-01",
        F,
        False,
    ),
    (
        "42-passed",
        [vault({"enableSoftDelete": True, "enablePurgeProtection": True}, name=KV)],
        {"keyVaultName": {"type": "string"}},
        "CKV_AZURE_42",
        P,
        "KV-REC-02",
        P,
        False,
    ),
    (
        "42-failed",
        [vault({"enableSoftDelete": True, "enablePurgeProtection": False}, name=KV)],
        {"keyVaultName": {"type": "string"}},
        "CKV_AZURE_42",
        F,
        "KV-REC-02",
        F,
        False,
    ),
    (
        "42-failed2",
        [vault({"enableSoftDelete": False}, name=KV)],
        {"keyVaultName": {"type": "string"}},
        "CKV_AZURE_42",
        F,
        "KV-REC-01",
        F,
        False,
    ),
    (
        "40-pass",
        [
            vault({}),
            child(
                "keys",
                "pass",
                {
                    "kty": "RSA",
                    "attributes": {"exp": 1893456000},
                    "rotationPolicy": {"attributes": {"expiryTime": "P90D"}},
                },
            ),
        ],
        {},
        "CKV_AZURE_40",
        P,
        "KV-OBJ-01",
        P,
        False,
    ),
    # attributes.exp set from a parameter default; no rotationPolicy.attributes.expiryTime:
    # Checkov FAILs (it reads the rotation policy's expiry), safevault PASSes like Azure Policy.
    (
        "40-fail",
        [
            vault({}),
            child(
                "keys",
                "fail",
                {"kty": "RSA", "attributes": {"exp": "[parameters('keyExpiration')]"}},
            ),
        ],
        {"keyExpiration": {"type": "int", "defaultValue": 1893456000}},
        "CKV_AZURE_40",
        F,
        "KV-OBJ-01",
        P,
        True,
    ),
    # ... and without a default the expression cannot be evaluated: UNKNOWN, never a false FAIL.
    (
        "40-fail-no-default",
        [
            vault({}),
            child(
                "keys",
                "fail",
                {"kty": "RSA", "attributes": {"exp": "[parameters('keyExpiration')]"}},
            ),
        ],
        {"keyExpiration": {"type": "int"}},
        "CKV_AZURE_40",
        F,
        "KV-OBJ-01",
        U,
        True,
    ),
    (
        "41-passed",
        [vault({}), child("secrets", "s", {"value": "x", "attributes": {"exp": 1893456000}})],
        {},
        "CKV_AZURE_41",
        P,
        "KV-OBJ-02",
        P,
        False,
    ),
    (
        "41-failed",
        [vault({}), child("secrets", "s", {"value": "x"})],
        {},
        "CKV_AZURE_41",
        F,
        "KV-OBJ-02",
        F,
        False,
    ),
    (
        "112-pass",
        [vault({}), child("keys", "pass", {"kty": "RSA-HSM"})],
        {},
        "CKV_AZURE_112",
        P,
        "KV-OBJ-05",
        P,
        False,
    ),
    (
        "112-fail",
        [vault({}), child("keys", "fail", {"kty": "RSA"})],
        {},
        "CKV_AZURE_112",
        F,
        "KV-OBJ-05",
        F,
        False,
    ),
    (
        "114-pass",
        [vault({}), child("secrets", "pass", {"value": "x", "contentType": "text/plain"})],
        {},
        "CKV_AZURE_114",
        P,
        "KV-OBJ-06",
        P,
        False,
    ),
    (
        "114-fail",
        [vault({}), child("secrets", "fail", {"value": "x"})],
        {},
        "CKV_AZURE_114",
        F,
        "KV-OBJ-06",
        F,
        False,
    ),
]


@pytest.mark.parametrize(
    ("resources", "parameters", "checkov", "expected_checkov", "rule", "ours", "differs"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_checkov_fixture(
    tmp_path: Path,
    resources: list[Any],
    parameters: dict[str, Any],
    checkov: str,
    expected_checkov: Verdict,
    rule: str,
    ours: Verdict,
    differs: bool,
) -> None:
    path = tmp_path / "t.json"
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": parameters,
        "resources": resources,
    }
    path.write_text(json.dumps(template))
    (config,) = load_arm(path)
    (finding,) = check(config, rules=[rule]).findings
    assert finding.verdict is ours, finding.evidence
    assert (ours is not expected_checkov) is differs, "a disagreement with Checkov must be marked"


def test_42_keeps_the_unresolved_vault_name(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps(
            {
                "contentVersion": "1.0.0.0",
                "parameters": {"keyVaultName": {"type": "string"}},
                "resources": [vault({}, name=KV)],
            }
        )
    )
    (config,) = load_arm(path)
    assert config.name == KV


def test_87_defender_pricing_is_not_a_vault_rule(tmp_path: Path) -> None:
    """CKV_AZURE_87 (Defender for Key Vault) is a subscription setting, not in our rule table."""
    path = tmp_path / "t.json"
    pricing = {
        "type": "Microsoft.Security/pricings",
        "apiVersion": "2018-06-01",
        "name": "KeyVaults",
        "properties": {"pricingTier": "Free"},
    }
    path.write_text(json.dumps({"contentVersion": "1.0.0.0", "resources": [pricing]}))
    assert load_arm(path) == []


def test_the_disagreements_are_the_documented_ones() -> None:
    differs = sorted({case[0].split("-")[0] + ":" + case[5] for case in CASES if case[7]})
    assert differs == [
        "109:KV-NET-02",
        "189:KV-NET-01",
        "189:KV-NET-02",
        "189:KV-NET-04",
        "40:KV-OBJ-01",
    ]
    doc = (Path(__file__).resolve().parents[2] / "docs" / "posture" / "index.md").read_text()
    for marker in (
        "CKV_AZURE_189",
        "CKV_AZURE_40",
        "CKV_AZURE_109",
        "CKV_AZURE_111",
        "keyvault_key_rotation_enabled",
    ):
        assert marker in doc
