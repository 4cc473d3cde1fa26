"""load_arm: the expression evaluator and how resources link to their vault."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from safevault.posture import PostureInputError, Unknown, check, load_arm
from safevault.posture._arm_expr import Evaluator, Unresolved

OWNER_ID = (
    "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', "
    "'8e3af657-a8ff-443c-a75c-2fe8c4bcb635')]"
)
SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def template(resources: Any, **extra: Any) -> dict[str, Any]:
    return {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": resources, **extra}


def vault(name: str = "kv1", **props: Any) -> dict[str, Any]:
    return {
        "type": "Microsoft.KeyVault/vaults",
        "apiVersion": "2023-07-01",
        "name": name,
        "properties": props,
    }


def load(tmp_path: Path, data: dict[str, Any], **kwargs: Any) -> list[Any]:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data, indent=2))
    return load_arm(path, **kwargs)


EV = Evaluator(
    {
        "name": {"defaultValue": "kv1"},
        "nodefault": {"type": "string"},
        "flag": {"defaultValue": True},
    },
    {
        "obj": {"a": ["x", "y"]},
        "prefix": "[concat('kv-', parameters('name'))]",
        "loop": "[variables('loop')]",
    },
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("[[not an expression]", "[not an expression]"),
        ("['it''s']", "it's"),
        ("[concat('a', 'b', 'c')]", "abc"),
        ("[concat(createArray(1), createArray(2))]", [1, 2]),
        ("[format('{0}-{1}-{{x}}', 'a', 2)]", "a-2-{x}"),
        ("[parameters('name')]", "kv1"),
        ("[PARAMETERS('NAME')]", "kv1"),
        ("[variables('prefix')]", "kv-kv1"),
        ("[variables('obj').a[1]]", "y"),
        ("[toUpper(parameters('name'))]", "KV1"),
        ("[if(parameters('flag'), 'Disabled', 'Enabled')]", "Disabled"),
        ("[not(equals(1, 2))]", True),
        ("[and(true, false)]", False),
        ("[length(variables('obj').a)]", 2),
        ("[int('42')]", 42),
        ("[bool('True')]", True),
        ("[empty('')]", True),
        ("[createObject('k', 'v').k]", "v"),
        (
            "[resourceId('Microsoft.KeyVault/vaults', 'kv1')]",
            "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.KeyVault/vaults/kv1",
        ),
        (
            "[resourceId('other-rg', 'Microsoft.KeyVault/vaults/keys', 'kv1', 'k')]",
            "/subscriptions/{subscriptionId}/resourceGroups/other-rg/providers/Microsoft.KeyVault/vaults/kv1/keys/k",
        ),
        (
            "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'g')]",
            "/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/g",
        ),
        (
            "[tenantResourceId('Microsoft.Management/managementGroups', 'm')]",
            "/providers/Microsoft.Management/managementGroups/m",
        ),
        (
            "[resourceGroup().id]",
            "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}",
        ),
    ],
)
def test_evaluates(text: str, expected: Any) -> None:
    assert EV.string(text) == expected


@pytest.mark.parametrize(
    ("text", "shown", "why"),
    [
        ("[parameters('nodefault')]", "[parameters('nodefault')]", "no default"),
        ("[parameters('missing')]", "[parameters('missing')]", "no parameter"),
        ("[reference('x').id]", "[reference('x').id]", "evaluated at deployment"),
        ("[uniqueString(resourceGroup().id)]", "[uniqueString(resourceGroup().id)]", "deployment"),
        ("[concat('kv-', uniqueString('a'))]", "kv-[uniqueString('a')]", "deployment"),
        (
            "[concat(parameters('nodefault'), '/key')]",
            "[parameters('nodefault')]/key",
            "no default",
        ),
        ("[resourceGroup().location]", "[resourceGroup().location]", "known only at deployment"),
        ("[variables('loop')]", "[variables('loop')]", "refers to itself"),
        ("[concat('a', ]", "[concat('a',]", "malformed"),
        ("[copyIndex()]", "[copyIndex()]", "deployment"),
    ],
)
def test_leaves_unresolved(text: str, shown: str, why: str) -> None:
    value = EV.string(text)
    assert isinstance(value, Unresolved)
    assert value.display == shown
    assert why in value.reason


def test_children_link_to_their_vault_in_every_spelling(tmp_path: Path) -> None:
    resources = [
        {
            **vault("[parameters('kvName')]"),
            "resources": [
                {"type": "keys", "name": "nested-key", "properties": {"kty": "EC-HSM"}},
                {
                    "type": "providers/diagnosticSettings",
                    "name": "Microsoft.Insights/nested-diag",
                    "properties": {"logs": [{"category": "AuditEvent", "enabled": True}]},
                },
            ],
        },
        {
            "type": "Microsoft.KeyVault/vaults/secrets",
            "name": "[concat(parameters('kvName'), '/concat-secret')]",
            "properties": {"value": "s3cr3t-value"},
        },
        {
            "type": "Microsoft.KeyVault/vaults/secrets",
            "name": "[format('{0}/{1}', parameters('kvName'), 'format-secret')]",
            "properties": {},
        },
        {
            "type": "Microsoft.KeyVault/vaults/keys",
            "name": "[concat(parameters('kvName'), '/top-key')]",
            "properties": {"kty": "RSA"},
        },
        {
            "type": "Microsoft.KeyVault/vaults/providers/diagnosticSettings",
            "name": "[concat(parameters('kvName'), '/Microsoft.Insights/legacy-diag')]",
            "properties": {},
        },
        {
            "type": "Microsoft.Insights/diagnosticSettings",
            "name": "scoped-diag",
            "scope": "[resourceId('Microsoft.KeyVault/vaults', parameters('kvName'))]",
            "properties": {},
        },
        {
            "type": "Microsoft.Insights/diagnosticSettings",
            "name": "bicep-diag",
            "scope": "[format('Microsoft.KeyVault/vaults/{0}', parameters('kvName'))]",
            "properties": {},
        },
        {
            "type": "Microsoft.Insights/diagnosticSettings",
            "name": "other-diag",
            "scope": "[resourceId('Microsoft.Storage/storageAccounts', 'st')]",
            "properties": {},
        },
    ]
    data = template(
        resources,
        parameters={"kvName": {"type": "string"}, "secretValue": {"type": "securestring"}},
    )
    (config,) = load(tmp_path, data)
    assert config.name == "[parameters('kvName')]"
    assert sorted(k.name for k in config.keys) == ["nested-key", "top-key"]
    assert sorted(s.name for s in config.secrets) == ["concat-secret", "format-secret"]
    names = {str(d.name).rsplit("/", 1)[-1] for d in config.diagnostic_settings}
    assert names == {"nested-diag", "legacy-diag", "scoped-diag", "bicep-diag"}
    assert "s3cr3t-value" not in repr(config)


def test_two_vaults_keep_their_own_children(tmp_path: Path) -> None:
    resources = [
        vault("a", enablePurgeProtection=True),
        vault("b"),
        {"type": "Microsoft.KeyVault/vaults/keys", "name": "a/ka", "properties": {"kty": "RSA"}},
        {"type": "Microsoft.KeyVault/vaults/keys", "name": "b/kb", "properties": {"kty": "RSA"}},
        {
            "type": "Microsoft.Insights/diagnosticSettings",
            "name": "d",
            "scope": "Microsoft.KeyVault/vaults/b",
            "properties": {},
        },
    ]
    a, b = load(tmp_path, template(resources))
    assert [k.name for k in a.keys] == ["ka"] and [k.name for k in b.keys] == ["kb"]
    assert a.diagnostic_settings == () and len(b.diagnostic_settings) == 1
    assert (
        a.source.pointer == "/resources/0"
        and a.source.line is not None
        and b.source.line > a.source.line
    )


def test_conditions_nested_deployments_and_symbolic_resources(tmp_path: Path) -> None:
    inner = template(
        [vault("[parameters('innerName')]", enablePurgeProtection="[parameters('pp')]")],
        parameters={"innerName": {"type": "string"}, "pp": {"type": "bool", "defaultValue": False}},
    )
    resources = [
        {**vault("skipped"), "condition": False},
        {**vault("existing"), "existing": True},
        {
            "type": "Microsoft.Resources/deployments",
            "name": "nested",
            "properties": {
                "expressionEvaluationOptions": {"scope": "inner"},
                "parameters": {
                    "innerName": {"value": "[concat('inner-', parameters('env'))]"},
                    "pp": {"value": True},
                },
                "template": inner,
            },
        },
        {**vault("maybe"), "condition": "[parameters('deploy')]"},
    ]
    data = template(
        resources, parameters={"env": {"defaultValue": "prod"}, "deploy": {"type": "bool"}}
    )
    configs = load(tmp_path, data)
    assert [c.name for c in configs] == ["inner-prod", "maybe"]
    assert configs[0].enable_purge_protection is True
    symbolic = template(
        {
            "kv": vault("sym"),
            "key": {"type": "Microsoft.KeyVault/vaults/keys", "name": "sym/k", "properties": {}},
        },
        languageVersion="2.0",
    )
    (config,) = load(tmp_path, symbolic)
    assert config.name == "sym" and [k.name for k in config.keys] == ["k"]


def test_unresolved_condition_makes_a_diagnostic_setting_uncertain(tmp_path: Path) -> None:
    diag = {
        "type": "Microsoft.Insights/diagnosticSettings",
        "name": "d",
        "condition": "[parameters('withLogs')]",
        "scope": "Microsoft.KeyVault/vaults/kv1",
        "properties": {"workspaceId": "w", "logs": [{"categoryGroup": "audit", "enabled": True}]},
    }
    data = template([vault(), diag], parameters={"withLogs": {"type": "bool"}})
    (config,) = load(tmp_path, data)
    assert isinstance(config.diagnostic_settings[0].deployed, Unknown)
    finding = check(config, rules=["KV-LOG-01"]).findings[0]
    assert finding.verdict.value == "UNKNOWN" and "condition" in finding.evidence
    (config,) = load(tmp_path, data, parameters={"withLogs": True})
    assert check(config, rules=["KV-LOG-01"]).findings[0].verdict.value == "PASS"


def test_parameters_file_and_values(tmp_path: Path) -> None:
    data = template(
        [vault("[parameters('n')]", publicNetworkAccess="[parameters('pna')]")],
        parameters={"n": {"type": "string"}, "pna": {"defaultValue": "Enabled"}},
    )
    params = tmp_path / "p.json"
    params.write_text(
        json.dumps(
            {
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
                "parameters": {"n": {"value": "kvp"}, "pna": {"value": "Disabled"}},
            }
        )
    )
    (config,) = load(tmp_path, data, parameters=params)
    assert (config.name, config.public_network_access) == ("kvp", "Disabled")
    (config,) = load(tmp_path, data, parameters={"n": "kvq"})
    assert (config.name, config.public_network_access) == ("kvq", "Enabled")


def test_private_endpoints_alerts_and_role_scopes(tmp_path: Path) -> None:
    kv_id = "[resourceId('Microsoft.KeyVault/vaults', 'kv1')]"
    resources = [
        vault(),
        {
            "type": "Microsoft.Network/privateEndpoints",
            "name": "pe-auto",
            "properties": {
                "privateLinkServiceConnections": [
                    {
                        "name": "c",
                        "properties": {"privateLinkServiceId": kv_id, "groupIds": ["vault"]},
                    }
                ]
            },
        },
        {
            "type": "Microsoft.Network/privateEndpoints",
            "name": "pe-manual",
            "properties": {
                "manualPrivateLinkServiceConnections": [
                    {"name": "c", "properties": {"privateLinkServiceId": kv_id}}
                ]
            },
        },
        {
            "type": "Microsoft.Insights/activityLogAlerts",
            "name": "writes",
            "properties": {
                "enabled": True,
                "scopes": ["[subscription().id]"],
                "condition": {
                    "allOf": [
                        {"field": "category", "equals": "Administrative"},
                        {"field": "resourceType", "equals": "Microsoft.KeyVault/vaults"},
                    ]
                },
            },
        },
        {
            "type": "Microsoft.Insights/activityLogAlerts",
            "name": "storage-only",
            "properties": {
                "enabled": True,
                "scopes": ["[subscription().id]"],
                "condition": {
                    "allOf": [
                        {"field": "resourceType", "equals": "Microsoft.Storage/storageAccounts"}
                    ]
                },
            },
        },
        {
            "type": "Microsoft.Insights/metricAlerts",
            "name": "elsewhere",
            "properties": {
                "enabled": True,
                "scopes": ["[resourceId('Microsoft.Storage/storageAccounts', 'st')]"],
            },
        },
        {
            "type": "Microsoft.Authorization/roleAssignments",
            "name": "at-rg",
            "properties": {
                "roleDefinitionId": OWNER_ID,
                "principalId": "p1",
            },
        },
        {
            "type": "Microsoft.Authorization/roleAssignments",
            "name": "at-storage",
            "scope": "[resourceId('Microsoft.Storage/storageAccounts', 'st')]",
            "properties": {
                "roleDefinitionId": "/x/8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
                "principalId": "p2",
            },
        },
        {
            "type": "Microsoft.KeyVault/vaults/providers/roleAssignments",
            "name": "kv1/Microsoft.Authorization/g",
            "properties": {
                "roleDefinitionId": "/x/4633458b-17de-408a-b874-0445c86b69e6",
                "principalId": "p3",
            },
        },
    ]
    (config,) = load(tmp_path, template(resources))
    assert sorted(str(c.status) for c in config.private_endpoint_connections) == [
        "Approved",
        "Pending",
    ]
    assert [a.name for a in config.alert_rules] == ["writes"]
    roles = {(r.principal_id, r.role_name, r.scope_level) for r in config.role_assignments}
    assert roles == {("p1", "Owner", "resourceGroup"), ("p3", "Key Vault Secrets User", "vault")}


def test_utc_now_makes_expiry_relative_to_the_check(tmp_path: Path) -> None:
    key = {
        "type": "Microsoft.KeyVault/vaults/keys",
        "name": "kv1/k",
        "properties": {
            "kty": "EC-HSM",
            "attributes": {"exp": "[dateTimeToEpoch(dateTimeAdd(utcNow(), 'P30D'))]"},
        },
    }
    (config,) = load(tmp_path, template([vault(), key]))
    assert config.keys[0].expires is not None and not isinstance(config.keys[0].expires, Unknown)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", r"not valid JSON \(line 1"),
        ('{"resources-missing": []}', "not an ARM template"),
        ("[1, 2]", "not an ARM template"),
    ],
)
def test_bad_templates(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(PostureInputError, match=message) as raised:
        load_arm(path)
    assert "\n" not in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PostureInputError, match="no such file"):
        load_arm(tmp_path / "nope.json")


def test_template_without_vaults(tmp_path: Path) -> None:
    pricing = {
        "type": "Microsoft.Security/pricings",
        "name": "KeyVaults",
        "properties": {"pricingTier": "Standard"},
    }
    assert load(tmp_path, template([pricing])) == []
