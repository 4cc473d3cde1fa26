"""load_az_json and the file kinds: shape tolerance and clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from safevault.posture import PostureInputError, Unknown, Verdict, check, load_az_json
from safevault.posture._files import load_files

from ._fake_arm import RG_ID, SUB_ID, vault_id

VID = vault_id("kv1")
STORAGE = f"{RG_ID}/providers/Microsoft.Storage/storageAccounts/st"
OWNER_GUID = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
OWNER = f"{SUB_ID}/providers/Microsoft.Authorization/roleDefinitions/{OWNER_GUID}"


def write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def show(**props: Any) -> dict[str, Any]:
    return {"id": VID, "name": "kv1", "type": "Microsoft.KeyVault/vaults", "properties": props}


def test_string_booleans_and_ip_rule_shapes(tmp_path: Path) -> None:
    as_strings = load_az_json(
        write(
            tmp_path,
            "a.json",
            show(
                enableRbacAuthorization="True",
                enablePurgeProtection="false",
                networkAcls={"ipRules": ["203.0.113.7/32", {"value": "198.51.100.0/24"}]},
            ),
        )
    )
    assert as_strings.enable_rbac_authorization is True
    assert as_strings.enable_purge_protection is False
    assert as_strings.network_acls.ip_rules == ("203.0.113.7/32", "198.51.100.0/24")  # type: ignore[union-attr]
    odd = load_az_json(write(tmp_path, "b.json", show(enableRbacAuthorization="yes")))
    assert isinstance(odd.enable_rbac_authorization, Unknown)


def test_nested_and_flattened_private_endpoints_read_the_same(tmp_path: Path) -> None:
    state = {"status": "Approved", "description": ""}
    nested = [
        {
            "id": "c1",
            "properties": {
                "privateEndpoint": {"id": "pe"},
                "privateLinkServiceConnectionState": state,
            },
        }
    ]
    flattened = [
        {
            "id": "c1",
            "privateEndpoint": {"id": "pe"},
            "privateLinkServiceConnectionState": state,
            "resourceGroup": "rg",
        }
    ]
    a = load_az_json(write(tmp_path, "n.json", show(privateEndpointConnections=nested)))
    b = load_az_json(write(tmp_path, "f.json", show(privateEndpointConnections=flattened)))
    assert a.private_endpoint_connections == b.private_endpoint_connections
    assert a.private_endpoint_connections[0].status == "Approved"  # type: ignore[index]


def test_missing_properties_block_makes_every_vault_rule_unknown(tmp_path: Path) -> None:
    config = load_az_json(
        write(
            tmp_path, "bare.json", {"id": VID, "name": "kv1", "type": "Microsoft.KeyVault/vaults"}
        )
    )
    report = check(config)
    vault_rules = [
        f for f in report.findings if f.rule_id.split("-")[1] in ("IAM", "ACC", "ADV", "NET", "REC")
    ]
    assert vault_rules and all(f.verdict is Verdict.UNKNOWN for f in vault_rules), [
        (f.rule_id, f.verdict) for f in vault_rules if f.verdict is not Verdict.UNKNOWN
    ]
    assert "no properties block" in vault_rules[0].evidence


def test_flattened_vault_without_properties_wrapper(tmp_path: Path) -> None:
    flat = {
        "id": VID,
        "name": "kv1",
        "enableRbacAuthorization": True,
        "publicNetworkAccess": "Disabled",
    }
    config = load_az_json(write(tmp_path, "flat.json", flat))
    assert config.enable_rbac_authorization is True and config.public_network_access == "Disabled"


def test_missing_network_acls_and_lists(tmp_path: Path) -> None:
    config = load_az_json(write(tmp_path, "min.json", show(enableRbacAuthorization=True)))
    assert config.network_acls is None and config.access_policies == ()
    finding = check(config, rules=["KV-NET-02"]).findings[0]
    assert finding.verdict is Verdict.FAIL


def test_rest_value_lists_and_az_lists_for_extras(tmp_path: Path) -> None:
    setting = {
        "name": "d",
        "properties": {"workspaceId": "w", "logs": [{"category": "AuditEvent", "enabled": True}]},
    }
    rest = write(
        tmp_path,
        "rest.json",
        {"value": [{"id": f"{VID}/providers/microsoft.insights/diagnosticSettings/d", **setting}]},
    )
    other = write(
        tmp_path,
        "other.json",
        [
            {
                "id": f"{STORAGE}/providers/microsoft.insights/diagnosticSettings/x",
                "logs": [],
            }
        ],
    )
    roles = write(
        tmp_path,
        "roles.json",
        {
            "value": [
                {
                    "properties": {
                        "roleDefinitionId": OWNER,
                        "principalId": "p",
                        "scope": SUB_ID,
                    }
                }
            ]
        },
    )
    base = write(tmp_path, "show.json", show(enableRbacAuthorization=True))
    config = load_az_json(base, diagnostics=rest, role_assignments=roles)
    assert [d.name for d in config.diagnostic_settings] == ["d"]  # type: ignore[union-attr]
    assert config.role_assignments[0].role_name == "Owner"  # type: ignore[index]
    assert load_az_json(base, diagnostics=other).diagnostic_settings == ()
    assert isinstance(load_az_json(base).diagnostic_settings, Unknown)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{oops", r"not valid JSON \(line 1, column 2"),
        ("", "not valid JSON"),
        ("[1, 2]", "not az keyvault show output"),
        ('[{"id": "a"}, {"id": "b"}]', "expected the output of az keyvault show for one vault"),
    ],
)
def test_malformed_inputs(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(PostureInputError, match=message) as raised:
        load_az_json(write(tmp_path, "bad.json", content))
    assert "\n" not in str(raised.value)


def test_extras_must_be_lists(tmp_path: Path) -> None:
    base = write(tmp_path, "show.json", show())
    with pytest.raises(PostureInputError, match="not a list of diagnostic settings"):
        load_az_json(base, diagnostics=write(tmp_path, "d.json", {"name": "x"}))


def test_load_files_detects_kinds(tmp_path: Path) -> None:
    a = write(tmp_path, "a.json", show(enableRbacAuthorization=True))
    diag = write(
        tmp_path,
        "d.json",
        [
            {
                "id": f"{VID}/providers/microsoft.insights/diagnosticSettings/d",
                "name": "d",
                "logs": [{"categoryGroup": "audit", "enabled": True}],
                "metrics": [],
            }
        ],
    )
    roles = write(
        tmp_path,
        "r.json",
        [
            {
                "principalId": "p",
                "roleDefinitionId": "/x/acdd72a7-3385-48ef-bd42-f606fba81ae7",
                "scope": VID,
            }
        ],
    )
    alerts = write(
        tmp_path,
        "al.json",
        [
            {
                "type": "Microsoft.Insights/activityLogAlerts",
                "name": "w",
                "enabled": True,
                "scopes": [SUB_ID],
                "condition": {"allOf": [{"field": "resourceId", "equals": VID}]},
            }
        ],
    )
    (config,) = load_files([a, diag, roles, alerts])
    assert len(config.diagnostic_settings) == 1  # type: ignore[arg-type]
    assert config.role_assignments[0].role_name == "Reader"  # type: ignore[index]
    assert [r.kind for r in config.alert_rules] == ["activityLog"]  # type: ignore[union-attr]
    with pytest.raises(PostureInputError, match="empty list"):
        load_files([a, write(tmp_path, "e.json", [])])
    (config,) = load_files([a], diagnostics=[write(tmp_path, "e2.json", [])])
    assert config.diagnostic_settings == ()
    with pytest.raises(PostureInputError, match="go with az keyvault show"):
        load_files([diag])
    with pytest.raises(PostureInputError, match="not an ARM template, az keyvault show output"):
        load_files([write(tmp_path, "x.json", {"hello": 1})])
    with pytest.raises(PostureInputError, match="parameters file"):
        load_files(
            [
                write(
                    tmp_path,
                    "p.json",
                    {
                        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
                        "parameters": {},
                    },
                )
            ]
        )
