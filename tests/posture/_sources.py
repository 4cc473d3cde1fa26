"""One vault scenario, three sources: an ARM template, `az` JSON files, and a live fetch.

A :class:`Spec` describes a vault in REST terms. ``config(spec, source, tmp_path)`` turns it
into a VaultConfig through the real loader for that source: ``load_arm`` on a generated
template, ``load_az_json`` on generated ``az`` outputs, or ``fetch`` through the real
azure-mgmt clients on FakeArm + FakeVault. Rules must give the same verdict on all three.

``U`` in a spec marks a value the source cannot tell: an ARM parameter without a default,
and for ``az`` a document without its ``properties`` block (every value UNKNOWN). A live
read cannot have an unknown vault property; ``Spec.unknown`` names an extra that cannot be
read instead (ARM: an unresolved condition or role; az: the extra not given; live: 403).
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from safevault.posture import VaultConfig, fetch, load_arm, load_az_json
from safevault.posture._roles import BUILT_IN_ROLES
from safevault.testing import FakeVault

from ._fake_arm import (
    RESOURCE_GROUP,
    RG_ID,
    SUB_ID,
    SUBSCRIPTION,
    FakeArm,
    RoutingTransport,
    vault_id,
)

SOURCES = ("arm", "az", "live")
TENANT = "11111111-2222-3333-4444-555555555555"
NAME = "kv1"
ROLE_TYPE = "Microsoft.Authorization/roleDefinitions"
ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"
CRITERIA = "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
DIAG = "providers/microsoft.insights/diagnosticSettings"
ROLE_IDS = {name.lower(): guid for guid, name in BUILT_IN_ROLES.items()}


class _U:
    def __repr__(self) -> str:
        return "U"


U: Any = _U()
NOW = datetime.now(timezone.utc)


def days(n: int) -> datetime:
    return NOW + timedelta(days=n)


def hardened_props() -> dict[str, Any]:
    return {
        "tenantId": TENANT,
        "sku": {"family": "A", "name": "premium"},
        "enableRbacAuthorization": True,
        "accessPolicies": [],
        "publicNetworkAccess": "Disabled",
        "networkAcls": {
            "defaultAction": "Deny",
            "bypass": "None",
            "ipRules": [],
            "virtualNetworkRules": [],
        },
        "enableSoftDelete": True,
        "softDeleteRetentionInDays": 90,
        "enablePurgeProtection": True,
        "enabledForDeployment": False,
        "enabledForTemplateDeployment": False,
        "enabledForDiskEncryption": False,
        "privateEndpointConnections": [endpoint("Approved")],
    }


def endpoint(status: str, name: str = "pe1") -> dict[str, Any]:
    return {
        "id": f"{vault_id(NAME)}/privateEndpointConnections/{name}",
        "properties": {
            "privateEndpoint": {
                "id": f"{RG_ID}/providers/Microsoft.Network/privateEndpoints/{name}"
            },
            "privateLinkServiceConnectionState": {"status": status, "description": ""},
            "provisioningState": "Succeeded",
        },
    }


def audit_setting(name: str = "audit", **overrides: Any) -> dict[str, Any]:
    body = {
        "workspaceId": f"{RG_ID}/providers/Microsoft.OperationalInsights/workspaces/ws1",
        "logs": [{"categoryGroup": "audit", "enabled": True}],
        "metrics": [{"category": "AllMetrics", "enabled": True}],
    }
    body.update(overrides)
    return {"name": name, **body}


@dataclass
class Role:
    role: str  # a built-in role name, or "custom:<actions,...>"
    principal: str = "p-app"
    scope: str = "vault"  # vault | rg | sub | mg


@dataclass
class Spec:
    props: dict[str, Any] = field(default_factory=hardened_props)
    diagnostics: list[dict[str, Any]] = field(default_factory=lambda: [audit_setting()])
    roles: list[Role] = field(default_factory=lambda: [Role("Key Vault Secrets User")])
    alerts: list[dict[str, Any]] = field(
        default_factory=lambda: [{"name": "avail", "enabled": True}]
    )
    keys: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[dict[str, Any]] = field(default_factory=list)
    certificates: list[dict[str, Any]] = field(default_factory=list)
    unknown: str | None = None  # diagnostics | roles | alerts | objects


def with_props(**changes: Any) -> Spec:
    spec = Spec()
    for key, value in changes.items():
        if value is _DROP:
            spec.props.pop(key, None)
        else:
            spec.props[key] = value
    return spec


_DROP: Any = object()
DROP = _DROP


def _has_u(value: Any) -> bool:
    if value is U:
        return True
    if isinstance(value, dict):
        return any(_has_u(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_u(v) for v in value)
    return False


def needs(spec: Spec) -> tuple[str, ...]:
    """The sources that can express this spec."""
    sources = list(SOURCES)
    if _has_u(spec.props) or _has_u(spec.keys) or _has_u(spec.secrets):
        sources.remove("live")
    if any(r.scope in ("sub", "mg") for r in spec.roles) or spec.unknown == "objects":
        sources.remove("arm")
    if spec.keys or spec.secrets or spec.certificates:
        sources.remove("az")
    if spec.certificates and "arm" in sources:
        sources.remove("arm")
    return tuple(sources)


def _epoch(value: Any) -> Any:
    return int(value.timestamp()) if isinstance(value, datetime) else value


def _scope_id(scope: str) -> str:
    return {
        "vault": vault_id(NAME),
        "rg": RG_ID,
        "sub": SUB_ID,
        "mg": "/providers/Microsoft.Management/managementGroups/mg-root",
    }[scope]


def _role_guid(role: Role) -> str:
    if role.role.startswith("custom:"):
        return "99999999-0000-0000-0000-" + str(abs(hash(role.role)) % 10**12).zfill(12)
    return ROLE_IDS[role.role.lower()]


# -- ARM ----------------------------------------------------------------------------------


class _Params:
    def __init__(self) -> None:
        self.params: dict[str, Any] = {"kvName": {"type": "string", "defaultValue": NAME}}

    def sub(self, value: Any) -> Any:
        if value is U:
            name = f"u{len(self.params)}"
            self.params[name] = {"type": "string"}
            return f"[parameters('{name}')]"
        if isinstance(value, dict):
            return {k: self.sub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.sub(v) for v in value]
        return value


VAULT_REF = "[resourceId('Microsoft.KeyVault/vaults', parameters('kvName'))]"


def arm_template(spec: Spec) -> dict[str, Any]:
    p = _Params()
    nested = []
    for key in spec.keys:
        props: dict[str, Any] = {"kty": key.get("kty", "EC-HSM")}
        if "size" in key:
            props["keySize"] = key["size"]
        if "curve" in key:
            props["curveName"] = key["curve"]
        props["attributes"] = {"enabled": key.get("enabled", True)}
        if key.get("exp") is not None:
            props["attributes"]["exp"] = _epoch(key["exp"])
        if key.get("rotation") is not None:
            props["rotationPolicy"] = key["rotation"]
        nested.append(
            {
                "type": "keys",
                "apiVersion": "2023-07-01",
                "name": key["name"],
                "properties": p.sub(props),
            }
        )
    resources: list[dict[str, Any]] = [
        {
            "type": "Microsoft.KeyVault/vaults",
            "apiVersion": "2023-07-01",
            "name": "[parameters('kvName')]",
            "location": "westeurope",
            "properties": p.sub(spec.props),
            "resources": nested,
        }
    ]
    for secret in spec.secrets:
        props = {
            "value": "[parameters('secretValue')]",
            "attributes": {"enabled": secret.get("enabled", True)},
        }
        if secret.get("exp") is not None:
            props["attributes"]["exp"] = _epoch(secret["exp"])
        if secret.get("content_type") is not None:
            props["contentType"] = secret["content_type"]
        resources.append(
            {
                "type": "Microsoft.KeyVault/vaults/secrets",
                "apiVersion": "2023-07-01",
                "name": f"[concat(parameters('kvName'), '/{secret['name']}')]",
                "properties": p.sub(props),
            }
        )
    p.params["secretValue"] = {"type": "securestring"}
    for setting in spec.diagnostics:
        body = {k: v for k, v in setting.items() if k != "name"}
        resource: dict[str, Any] = {
            "type": "Microsoft.Insights/diagnosticSettings",
            "apiVersion": "2021-05-01-preview",
            "name": setting["name"],
            "scope": VAULT_REF,
            "properties": p.sub(body),
        }
        if spec.unknown == "diagnostics":
            resource["condition"] = "[parameters('deployDiagnostics')]"
            p.params["deployDiagnostics"] = {"type": "bool"}
        resources.append(resource)
    for index, role in enumerate(spec.roles):
        definition: Any = f"[subscriptionResourceId('{ROLE_TYPE}', '{_role_guid(role)}')]"
        if spec.unknown == "roles":
            definition = "[parameters('roleDefinitionId')]"
            p.params["roleDefinitionId"] = {"type": "string"}
        resource = {
            "type": "Microsoft.Authorization/roleAssignments",
            "apiVersion": "2022-04-01",
            "name": f"[guid('{index}')]",
            "properties": {"roleDefinitionId": definition, "principalId": role.principal},
        }
        if role.scope == "vault":
            resource["scope"] = "[format('Microsoft.KeyVault/vaults/{0}', parameters('kvName'))]"
        resources.append(resource)
    for alert in spec.alerts:
        resource = {
            "type": "Microsoft.Insights/metricAlerts",
            "apiVersion": "2018-03-01",
            "name": alert["name"],
            "location": "global",
            "properties": {"enabled": alert["enabled"], "scopes": [VAULT_REF], "severity": 2},
        }
        if spec.unknown == "alerts":
            resource["condition"] = "[parameters('deployAlerts')]"
            p.params["deployAlerts"] = {"type": "bool"}
        resources.append(resource)
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": p.params,
        "resources": resources,
    }


# -- az -----------------------------------------------------------------------------------


def _flatten_endpoints(props: dict[str, Any]) -> dict[str, Any]:
    props = copy.deepcopy(props)
    flat = []
    for conn in props.get("privateEndpointConnections", []):
        inner = conn.get("properties", {})
        flat.append({"id": conn.get("id"), **inner})
    if "privateEndpointConnections" in props:
        props["privateEndpointConnections"] = flat
    return props


def az_files(spec: Spec, tmp: Path) -> dict[str, Path | None]:
    doc: dict[str, Any] = {
        "id": vault_id(NAME),
        "name": NAME,
        "type": "Microsoft.KeyVault/vaults",
        "location": "westeurope",
        "resourceGroup": RESOURCE_GROUP,
        "tags": {},
    }
    if not _has_u(spec.props):
        doc["properties"] = _flatten_endpoints(spec.props)
    files: dict[str, Path | None] = {
        "show": tmp / "show.json",
        "diagnostics": None,
        "roles": None,
        "alerts": None,
    }
    (tmp / "show.json").write_text(json.dumps(doc))
    if spec.unknown != "diagnostics":
        items = [
            {
                "id": f"{vault_id(NAME)}/{DIAG}/{s['name']}",
                "resourceGroup": RESOURCE_GROUP,
                **s,
            }
            for s in spec.diagnostics
        ]
        files["diagnostics"] = tmp / "diag.json"
        files["diagnostics"].write_text(json.dumps(items))
    if spec.unknown != "roles":
        items = [
            {
                "principalId": r.principal,
                "principalType": "User",
                "roleDefinitionId": f"{SUB_ID}/providers/{ROLE_TYPE}/{_role_guid(r)}",
                "roleDefinitionName": None if r.role.startswith("custom:") else r.role,
                "scope": _scope_id(r.scope),
            }
            for r in spec.roles
        ]
        files["roles"] = tmp / "roles.json"
        files["roles"].write_text(json.dumps(items))
    if spec.unknown != "alerts":
        items = [
            {
                "id": f"{RG_ID}/providers/Microsoft.Insights/metricAlerts/{a['name']}",
                "name": a["name"],
                "type": "Microsoft.Insights/metricAlerts",
                "enabled": a["enabled"],
                "scopes": [vault_id(NAME)],
            }
            for a in spec.alerts
        ]
        files["alerts"] = tmp / "alerts.json"
        files["alerts"].write_text(json.dumps(items))
    return files


# -- live ---------------------------------------------------------------------------------


def seed_live(spec: Spec) -> tuple[FakeArm, FakeVault]:
    fake = FakeVault()
    arm = FakeArm()
    props = copy.deepcopy(spec.props)
    props["vaultUri"] = fake.vault_url + "/"
    arm.add_vault(
        {
            "id": vault_id(NAME),
            "name": NAME,
            "type": "Microsoft.KeyVault/vaults",
            "location": "westeurope",
            "tags": {},
            "properties": props,
        }
    )
    arm.diagnostics[vault_id(NAME).lower()] = [
        {
            "id": f"{vault_id(NAME)}/{DIAG}/{s['name']}",
            "name": s["name"],
            "type": "Microsoft.Insights/diagnosticSettings",
            "properties": {k: v for k, v in s.items() if k != "name"},
        }
        for s in spec.diagnostics
    ]
    for role in spec.roles:
        guid = _role_guid(role)
        definition_id = f"{SUB_ID}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
        assignment = str(uuid.uuid4())
        arm.role_assignments.append(
            {
                "id": f"{_scope_id(role.scope)}/providers/{ASSIGNMENT_TYPE}/{assignment}",
                "name": assignment,
                "type": "Microsoft.Authorization/roleAssignments",
                "properties": {
                    "roleDefinitionId": definition_id,
                    "principalId": role.principal,
                    "principalType": "User",
                    "scope": _scope_id(role.scope),
                },
            }
        )
        if role.role.startswith("custom:"):
            arm.role_definitions[guid] = {
                "id": definition_id,
                "name": guid,
                "type": "Microsoft.Authorization/roleDefinitions",
                "properties": {
                    "roleName": "Custom vault role",
                    "type": "CustomRole",
                    "permissions": [
                        {
                            "actions": role.role[7:].split(","),
                            "notActions": [],
                            "dataActions": [],
                            "notDataActions": [],
                        }
                    ],
                    "assignableScopes": [SUB_ID],
                },
            }
    for a in spec.alerts:
        arm.metric_alerts.append(
            {
                "id": f"{RG_ID}/providers/Microsoft.Insights/metricAlerts/{a['name']}",
                "name": a["name"],
                "type": "Microsoft.Insights/metricAlerts",
                "location": "global",
                "properties": {
                    "enabled": a["enabled"],
                    "scopes": [vault_id(NAME)],
                    "severity": 2,
                    "evaluationFrequency": "PT1M",
                    "windowSize": "PT5M",
                    "criteria": {
                        "odata.type": CRITERIA,
                        "allOf": [],
                    },
                },
            }
        )
    if spec.unknown == "diagnostics":
        arm.forbidden.append("/providers/microsoft.insights/diagnosticsettings")
    if spec.unknown == "roles":
        arm.forbidden.append("/providers/microsoft.authorization/roleassignments")
    if spec.unknown == "alerts":
        arm.forbidden += [
            "/providers/microsoft.insights/metricalerts",
            "/providers/microsoft.insights/activitylogalerts",
        ]
    _seed_objects(fake, spec)
    if spec.unknown == "objects":
        for path in ("/keys", "/secrets", "/certificates"):
            fake.inject(403, match=("GET", path))
    return arm, fake


def _seed_objects(fake: FakeVault, spec: Spec) -> None:
    from azure.keyvault.certificates import (
        CertificatePolicy,
        CertificatePolicyAction,
        LifetimeAction,
    )
    from azure.keyvault.keys import KeyRotationLifetimeAction, KeyRotationPolicy

    if spec.keys:
        keys = fake.key_client()
        for key in spec.keys:
            kwargs: dict[str, Any] = {"enabled": key.get("enabled", True)}
            if key.get("exp") is not None:
                kwargs["expires_on"] = key["exp"]
            if "size" in key:
                kwargs["size"] = key["size"]
            if "curve" in key:
                kwargs["curve"] = key["curve"]
            keys.create_key(key["name"], key.get("kty", "EC-HSM"), **kwargs)
            rotation = key.get("rotation")
            if rotation is not None:
                actions = [
                    KeyRotationLifetimeAction(
                        a["action"]["type"],
                        time_after_create=a.get("trigger", {}).get("timeAfterCreate"),
                        time_before_expiry=a.get("trigger", {}).get("timeBeforeExpiry"),
                    )
                    for a in rotation.get("lifetimeActions", [])
                ]
                keys.update_key_rotation_policy(
                    key["name"],
                    KeyRotationPolicy(
                        lifetime_actions=actions,
                        expires_in=rotation.get("attributes", {}).get("expiryTime"),
                    ),
                )
    if spec.secrets:
        secrets = fake.secret_client()
        for secret in spec.secrets:
            secrets.set_secret(
                secret["name"],
                "not-a-real-value",
                enabled=secret.get("enabled", True),
                expires_on=secret.get("exp"),
                content_type=secret.get("content_type"),
            )
    if spec.certificates:
        certificates = fake.certificate_client()
        for cert in spec.certificates:
            actions = [LifetimeAction(CertificatePolicyAction.auto_renew, lifetime_percentage=80)]
            if not cert.get("auto_renew", True):
                actions = [
                    LifetimeAction(CertificatePolicyAction.email_contacts, lifetime_percentage=80)
                ]
            policy = CertificatePolicy(
                issuer_name="Self",
                subject="CN=posture.test",
                validity_in_months=cert.get("validity", 12),
                lifetime_actions=actions,
            )
            certificates.begin_create_certificate(cert["name"], policy).result()


def live_config(spec: Spec, **kwargs: Any) -> VaultConfig:
    arm, fake = seed_live(spec)
    return fetch(
        fake.credential,
        SUBSCRIPTION,
        RESOURCE_GROUP,
        NAME,
        transport=RoutingTransport(arm, fake),
        **kwargs,
    )


# -- one entry point ----------------------------------------------------------------------


def config(spec: Spec, source: str, tmp: Path) -> VaultConfig:
    if source == "arm":
        path = tmp / "template.json"
        path.write_text(json.dumps(arm_template(spec), indent=2))
        (found,) = load_arm(path)
        return found
    if source == "az":
        files = az_files(spec, tmp)
        return load_az_json(
            files["show"],  # type: ignore[arg-type]
            diagnostics=files["diagnostics"],
            role_assignments=files["roles"],
            alerts=files["alerts"],
        )
    return live_config(spec)
