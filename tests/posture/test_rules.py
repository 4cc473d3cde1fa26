"""Every rule: PASS, FAIL, UNKNOWN and (where a rule has one) NOT_APPLICABLE cases, each
run from an ARM template, `az` JSON and a live fetch, with the same expected verdict.

A case runs on every source that can express it (see ``_sources.needs``); a case may narrow
its sources. Rules without a NOT_APPLICABLE case are listed in ``NEVER_NOT_APPLICABLE``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from safevault.posture import RULES, PostureOptions, Verdict, check

from ._sources import (
    DROP,
    Role,
    Spec,
    U,
    audit_setting,
    config,
    days,
    endpoint,
    needs,
    with_props,
)

PASS, FAIL, UNKNOWN, NA = Verdict.PASS, Verdict.FAIL, Verdict.UNKNOWN, Verdict.NOT_APPLICABLE
OPEN_NET = {"publicNetworkAccess": "Enabled"}
ACL = "networkAcls"


def acls(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "defaultAction": "Deny",
        "bypass": "None",
        "ipRules": [],
        "virtualNetworkRules": [],
    }
    base.update(overrides)
    return base


def policy(**perms: list[Any]) -> list[dict[str, Any]]:
    return [{"tenantId": "t", "objectId": "p-app", "permissions": perms}]


def ap_model(**changes: Any) -> Spec:
    """The access-policy model (RBAC off), otherwise hardened."""
    return with_props(enableRbacAuthorization=False, **changes)


def spec(**fields: Any) -> Spec:
    s = Spec()
    for key, value in fields.items():
        setattr(s, key, value)
    return s


def key(name: str = "k1", **attrs: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": name, "kty": "EC-HSM", "exp": days(200), "rotation": ROTATE_90}
    base.update(attrs)
    return base


def secret(name: str = "s1", **attrs: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": name, "exp": days(200), "content_type": "password"}
    base.update(attrs)
    return base


ROTATE_90 = {
    "attributes": {"expiryTime": "P1Y"},
    "lifetimeActions": [{"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "Rotate"}}],
}
NOTIFY_ONLY = {
    "attributes": {"expiryTime": "P1Y"},
    "lifetimeActions": [{"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "Notify"}}],
}
ROTATE_2Y = {
    "attributes": {"expiryTime": "P3Y"},
    "lifetimeActions": [{"trigger": {"timeAfterCreate": "P730D"}, "action": {"type": "rotate"}}],
}
ARM_LIVE = ("arm", "live")
AZ_LIVE = ("az", "live")

Case = tuple[str, Verdict, str, Callable[[], Spec], tuple[str, ...] | None]
CASES: list[Case] = [
    # -- IAM ---------------------------------------------------------------------------
    ("KV-IAM-01", PASS, "rbac", Spec, None),
    ("KV-IAM-01", FAIL, "false", lambda: with_props(enableRbacAuthorization=False), None),
    ("KV-IAM-01", FAIL, "absent", lambda: with_props(enableRbacAuthorization=DROP), None),
    ("KV-IAM-01", FAIL, "string-false", lambda: with_props(enableRbacAuthorization="false"), None),
    ("KV-IAM-01", UNKNOWN, "unresolved", lambda: with_props(enableRbacAuthorization=U), None),
    ("KV-IAM-02", PASS, "data-role-at-vault", Spec, None),
    ("KV-IAM-02", PASS, "no-assignments", lambda: spec(roles=[]), None),
    ("KV-IAM-02", FAIL, "owner-at-rg", lambda: spec(roles=[Role("Owner", scope="rg")]), None),
    (
        "KV-IAM-02",
        FAIL,
        "uaa-at-vault",
        lambda: spec(roles=[Role("User Access Administrator")]),
        None,
    ),
    (
        "KV-IAM-02",
        FAIL,
        "data-role-at-sub",
        lambda: spec(roles=[Role("Key Vault Secrets Officer", scope="sub")]),
        None,
    ),
    (
        "KV-IAM-02",
        FAIL,
        "rbac-admin-at-mg",
        lambda: spec(roles=[Role("Role Based Access Control Administrator", scope="mg")]),
        None,
    ),
    (
        "KV-IAM-02",
        PASS,
        "contributor-under-rbac",
        lambda: spec(roles=[Role("Contributor", scope="rg")]),
        None,
    ),
    (
        "KV-IAM-02",
        FAIL,
        "contributor-under-policies",
        lambda: _roles(ap_model(), [Role("Contributor", scope="rg")]),
        None,
    ),
    (
        "KV-IAM-02",
        FAIL,
        "kv-contributor-under-policies",
        lambda: _roles(ap_model(), [Role("Key Vault Contributor")]),
        None,
    ),
    (
        "KV-IAM-02",
        PASS,
        "reader-under-policies",
        lambda: _roles(ap_model(), [Role("Reader", scope="rg")]),
        None,
    ),
    ("KV-IAM-02", UNKNOWN, "unreadable", lambda: spec(unknown="roles"), None),
    # -- ACC ---------------------------------------------------------------------------
    (
        "KV-ACC-01",
        PASS,
        "get-list",
        lambda: ap_model(accessPolicies=policy(secrets=["get", "list"])),
        None,
    ),
    ("KV-ACC-01", FAIL, "all", lambda: ap_model(accessPolicies=policy(keys=["all"])), None),
    (
        "KV-ACC-01",
        FAIL,
        "Purge-case",
        lambda: ap_model(accessPolicies=policy(secrets=["get", "Purge"])),
        None,
    ),
    ("KV-ACC-01", NA, "rbac", lambda: with_props(accessPolicies=policy(keys=["all"])), None),
    ("KV-ACC-01", UNKNOWN, "unresolved", lambda: ap_model(accessPolicies=policy(keys=[U])), None),
    (
        "KV-ACC-02",
        PASS,
        "limited",
        lambda: ap_model(accessPolicies=policy(secrets=["get", "set", "delete"])),
        None,
    ),
    (
        "KV-ACC-02",
        FAIL,
        "write-delete-everything",
        lambda: ap_model(
            accessPolicies=policy(
                keys=["create", "delete"],
                secrets=["set", "delete"],
                certificates=["update", "delete"],
            )
        ),
        None,
    ),
    (
        "KV-ACC-02",
        FAIL,
        "manageissuers",
        lambda: ap_model(accessPolicies=policy(certificates=["get", "ManageIssuers"])),
        None,
    ),
    (
        "KV-ACC-02",
        FAIL,
        "release",
        lambda: ap_model(accessPolicies=policy(keys=["get", "release"])),
        None,
    ),
    ("KV-ACC-02", NA, "rbac", Spec, None),
    (
        "KV-ACC-02",
        UNKNOWN,
        "unresolved",
        lambda: ap_model(accessPolicies=policy(certificates=[U])),
        None,
    ),
    ("KV-ACC-03", PASS, "empty", Spec, None),
    ("KV-ACC-03", FAIL, "stale", lambda: with_props(accessPolicies=policy(secrets=["get"])), None),
    (
        "KV-ACC-03",
        NA,
        "access-policy-model",
        lambda: ap_model(accessPolicies=policy(secrets=["get"])),
        None,
    ),
    ("KV-ACC-03", UNKNOWN, "unresolved", lambda: with_props(accessPolicies=U), None),
    # -- ADV ---------------------------------------------------------------------------
    *[
        case
        for rule, flag in (
            ("KV-ADV-01", "enabledForDeployment"),
            ("KV-ADV-02", "enabledForTemplateDeployment"),
            ("KV-ADV-03", "enabledForDiskEncryption"),
        )
        for case in (
            (rule, PASS, "false", Spec, None),
            (rule, PASS, "absent", lambda flag=flag: with_props(**{flag: DROP}), None),
            (rule, FAIL, "true", lambda flag=flag: with_props(**{flag: True}), None),
            (rule, FAIL, "string-True", lambda flag=flag: with_props(**{flag: "True"}), None),
            (rule, UNKNOWN, "unresolved", lambda flag=flag: with_props(**{flag: U}), None),
        )
    ],
    # -- NET ---------------------------------------------------------------------------
    ("KV-NET-01", PASS, "disabled", Spec, None),
    ("KV-NET-01", PASS, "lower-case", lambda: with_props(publicNetworkAccess="disabled"), None),
    ("KV-NET-01", FAIL, "enabled", lambda: with_props(**OPEN_NET), None),
    ("KV-NET-01", FAIL, "absent", lambda: with_props(publicNetworkAccess=DROP), None),
    ("KV-NET-01", UNKNOWN, "unresolved", lambda: with_props(publicNetworkAccess=U), None),
    (
        "KV-NET-02",
        PASS,
        "pna-disabled-allow",
        lambda: with_props(networkAcls=acls(defaultAction="Allow")),
        None,
    ),
    ("KV-NET-02", PASS, "deny", lambda: with_props(**OPEN_NET), None),
    (
        "KV-NET-02",
        FAIL,
        "allow",
        lambda: with_props(**OPEN_NET, networkAcls=acls(defaultAction="Allow")),
        None,
    ),
    ("KV-NET-02", FAIL, "no-acls", lambda: with_props(**OPEN_NET, networkAcls=DROP), None),
    (
        "KV-NET-02",
        UNKNOWN,
        "unresolved",
        lambda: with_props(**OPEN_NET, networkAcls=acls(defaultAction=U)),
        None,
    ),
    (
        "KV-NET-03",
        NA,
        "pna-disabled",
        lambda: with_props(networkAcls=acls(ipRules=[{"value": "0.0.0.0/0"}])),
        None,
    ),
    (
        "KV-NET-03",
        PASS,
        "exact",
        lambda: with_props(**OPEN_NET, networkAcls=acls(ipRules=[{"value": "203.0.113.7/32"}])),
        None,
    ),
    ("KV-NET-03", PASS, "none", lambda: with_props(**OPEN_NET), None),
    (
        "KV-NET-03",
        FAIL,
        "everything",
        lambda: with_props(**OPEN_NET, networkAcls=acls(ipRules=[{"value": "0.0.0.0/0"}])),
        None,
    ),
    (
        "KV-NET-03",
        FAIL,
        "wide",
        lambda: with_props(**OPEN_NET, networkAcls=acls(ipRules=[{"value": "198.51.0.0/16"}])),
        None,
    ),
    (
        "KV-NET-03",
        FAIL,
        "private",
        lambda: with_props(**OPEN_NET, networkAcls=acls(ipRules=[{"value": "10.1.2.0/24"}])),
        None,
    ),
    (
        "KV-NET-03",
        UNKNOWN,
        "unresolved",
        lambda: with_props(**OPEN_NET, networkAcls=acls(ipRules=[{"value": U}])),
        None,
    ),
    (
        "KV-NET-04",
        NA,
        "pna-disabled",
        lambda: with_props(
            networkAcls=acls(defaultAction="Allow", ipRules=[{"value": "203.0.113.7"}])
        ),
        None,
    ),
    (
        "KV-NET-04",
        PASS,
        "deny-with-rules",
        lambda: with_props(**OPEN_NET, networkAcls=acls(ipRules=[{"value": "203.0.113.7"}])),
        None,
    ),
    (
        "KV-NET-04",
        PASS,
        "allow-no-rules",
        lambda: with_props(**OPEN_NET, networkAcls=acls(defaultAction="Allow")),
        None,
    ),
    (
        "KV-NET-04",
        FAIL,
        "allow-with-rules",
        lambda: with_props(
            **OPEN_NET, networkAcls=acls(defaultAction="Allow", ipRules=[{"value": "203.0.113.7"}])
        ),
        None,
    ),
    (
        "KV-NET-04",
        UNKNOWN,
        "unresolved",
        lambda: with_props(
            **OPEN_NET, networkAcls=acls(defaultAction=U, ipRules=[{"value": "203.0.113.7"}])
        ),
        None,
    ),
    ("KV-NET-05", PASS, "none", Spec, None),
    (
        "KV-NET-05",
        PASS,
        "azure-services-deny",
        lambda: with_props(**OPEN_NET, networkAcls=acls(bypass="AzureServices")),
        None,
    ),
    (
        "KV-NET-05",
        FAIL,
        "azure-services-allow",
        lambda: with_props(
            **OPEN_NET, networkAcls=acls(defaultAction="Allow", bypass="AzureServices")
        ),
        None,
    ),
    ("KV-NET-05", FAIL, "absent-allow", lambda: with_props(**OPEN_NET, networkAcls=DROP), None),
    (
        "KV-NET-05",
        UNKNOWN,
        "unresolved",
        lambda: with_props(**OPEN_NET, networkAcls=acls(defaultAction="Allow", bypass=U)),
        None,
    ),
    ("KV-NET-06", NA, "no-rules", lambda: with_props(**OPEN_NET), None),
    (
        "KV-NET-06",
        PASS,
        "sound",
        lambda: with_props(**OPEN_NET, networkAcls=acls(virtualNetworkRules=[_vnet(False)])),
        None,
    ),
    (
        "KV-NET-06",
        FAIL,
        "ignore-missing",
        lambda: with_props(**OPEN_NET, networkAcls=acls(virtualNetworkRules=[_vnet(True)])),
        None,
    ),
    (
        "KV-NET-06",
        UNKNOWN,
        "unresolved",
        lambda: with_props(**OPEN_NET, networkAcls=acls(virtualNetworkRules=[_vnet(U)])),
        None,
    ),
    ("KV-NET-07", PASS, "approved", Spec, None),
    (
        "KV-NET-07",
        FAIL,
        "pending",
        lambda: with_props(privateEndpointConnections=[endpoint("Pending")]),
        None,
    ),
    ("KV-NET-07", FAIL, "none", lambda: with_props(privateEndpointConnections=[]), None),
    (
        "KV-NET-07",
        UNKNOWN,
        "unresolved",
        lambda: with_props(privateEndpointConnections=[endpoint(U)]),
        None,
    ),
    ("KV-NET-08", PASS, "private-only", Spec, None),
    ("KV-NET-08", FAIL, "also-public", lambda: with_props(**OPEN_NET), None),
    ("KV-NET-08", NA, "no-endpoint", lambda: with_props(privateEndpointConnections=[]), None),
    (
        "KV-NET-08",
        NA,
        "rejected-only",
        lambda: with_props(**OPEN_NET, privateEndpointConnections=[endpoint("Rejected")]),
        None,
    ),
    ("KV-NET-08", UNKNOWN, "unresolved", lambda: with_props(publicNetworkAccess=U), None),
    # -- REC ---------------------------------------------------------------------------
    ("KV-REC-01", PASS, "true", Spec, None),
    ("KV-REC-01", PASS, "absent", lambda: with_props(enableSoftDelete=DROP), None),
    ("KV-REC-01", FAIL, "false", lambda: with_props(enableSoftDelete=False), None),
    ("KV-REC-01", UNKNOWN, "unresolved", lambda: with_props(enableSoftDelete=U), None),
    ("KV-REC-02", PASS, "true", Spec, None),
    ("KV-REC-02", FAIL, "false", lambda: with_props(enablePurgeProtection=False), None),
    ("KV-REC-02", FAIL, "absent", lambda: with_props(enablePurgeProtection=DROP), None),
    ("KV-REC-02", UNKNOWN, "unresolved", lambda: with_props(enablePurgeProtection=U), None),
    ("KV-REC-03", PASS, "90", Spec, None),
    ("KV-REC-03", PASS, "absent", lambda: with_props(softDeleteRetentionInDays=DROP), None),
    ("KV-REC-03", FAIL, "7", lambda: with_props(softDeleteRetentionInDays=7), None),
    ("KV-REC-03", NA, "soft-delete-off", lambda: with_props(enableSoftDelete=False), None),
    ("KV-REC-03", UNKNOWN, "unresolved", lambda: with_props(softDeleteRetentionInDays=U), None),
    # -- LOG ---------------------------------------------------------------------------
    ("KV-LOG-01", PASS, "audit-group", Spec, None),
    (
        "KV-LOG-01",
        PASS,
        "AuditEvent",
        lambda: spec(
            diagnostics=[audit_setting(logs=[{"category": "AuditEvent", "enabled": True}])]
        ),
        None,
    ),
    (
        "KV-LOG-01",
        PASS,
        "allLogs-string-bool",
        lambda: spec(
            diagnostics=[audit_setting(logs=[{"categoryGroup": "allLogs", "enabled": "true"}])]
        ),
        None,
    ),
    ("KV-LOG-01", FAIL, "no-settings", lambda: spec(diagnostics=[]), None),
    (
        "KV-LOG-01",
        FAIL,
        "disabled",
        lambda: spec(
            diagnostics=[audit_setting(logs=[{"categoryGroup": "audit", "enabled": False}])]
        ),
        None,
    ),
    ("KV-LOG-01", FAIL, "metrics-only", lambda: spec(diagnostics=[audit_setting(logs=[])]), None),
    ("KV-LOG-01", UNKNOWN, "unreadable", lambda: spec(unknown="diagnostics"), None),
    ("KV-LOG-02", PASS, "workspace", Spec, None),
    (
        "KV-LOG-02",
        FAIL,
        "storage-only",
        lambda: spec(
            diagnostics=[
                audit_setting(
                    workspaceId=None,
                    storageAccountId="/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z",
                )
            ]
        ),
        None,
    ),
    ("KV-LOG-02", FAIL, "no-settings", lambda: spec(diagnostics=[]), None),
    ("KV-LOG-02", UNKNOWN, "unreadable", lambda: spec(unknown="diagnostics"), None),
    ("KV-LOG-03", PASS, "all-metrics", Spec, None),
    ("KV-LOG-03", FAIL, "no-metrics", lambda: spec(diagnostics=[audit_setting(metrics=[])]), None),
    ("KV-LOG-03", UNKNOWN, "unreadable", lambda: spec(unknown="diagnostics"), None),
    ("KV-LOG-05", PASS, "enabled-alert", Spec, None),
    (
        "KV-LOG-05",
        FAIL,
        "disabled-alert",
        lambda: spec(alerts=[{"name": "avail", "enabled": False}]),
        None,
    ),
    ("KV-LOG-05", FAIL, "no-alert", lambda: spec(alerts=[]), None),
    ("KV-LOG-05", UNKNOWN, "unreadable", lambda: spec(unknown="alerts"), None),
    # -- OBJ ---------------------------------------------------------------------------
    *[
        case
        for rule in ("KV-OBJ-01", "KV-OBJ-03", "KV-OBJ-04", "KV-OBJ-05", "KV-OBJ-09")
        for case in (
            (rule, NA, "no-keys", Spec, ARM_LIVE),
            (rule, PASS, "good-key", lambda: spec(keys=[key()]), None),
            (rule, UNKNOWN, "unreadable", lambda: spec(unknown="objects"), None),
        )
    ],
    ("KV-OBJ-01", FAIL, "no-exp", lambda: spec(keys=[key(exp=None)]), None),
    ("KV-OBJ-01", NA, "disabled-no-exp", lambda: spec(keys=[key(exp=None, enabled=False)]), None),
    ("KV-OBJ-01", UNKNOWN, "unresolved-exp", lambda: spec(keys=[key(exp=U)]), None),
    ("KV-OBJ-03", FAIL, "too-long", lambda: spec(keys=[key(exp=days(800))]), None),
    ("KV-OBJ-03", FAIL, "expired-enabled", lambda: spec(secrets=[secret(exp=days(-3))]), None),
    ("KV-OBJ-03", UNKNOWN, "unresolved-exp", lambda: spec(secrets=[secret(exp=U)]), None),
    ("KV-OBJ-04", FAIL, "no-policy", lambda: spec(keys=[key(rotation=None)]), ("arm",)),
    ("KV-OBJ-04", FAIL, "notify-only", lambda: spec(keys=[key(rotation=NOTIFY_ONLY)]), None),
    ("KV-OBJ-04", FAIL, "too-slow", lambda: spec(keys=[key(rotation=ROTATE_2Y)]), None),
    (
        "KV-OBJ-04",
        UNKNOWN,
        "unresolved",
        lambda: spec(keys=[key(rotation={"lifetimeActions": U})]),
        None,
    ),
    ("KV-OBJ-05", FAIL, "software", lambda: spec(keys=[key(kty="EC")]), None),
    ("KV-OBJ-05", UNKNOWN, "unresolved", lambda: spec(keys=[key(kty=U)]), None),
    ("KV-OBJ-09", PASS, "rsa-2048", lambda: spec(keys=[key(kty="RSA-HSM", size=2048)]), None),
    ("KV-OBJ-09", FAIL, "rsa-1024", lambda: spec(keys=[key(kty="RSA", size=1024)]), ("arm",)),
    ("KV-OBJ-09", FAIL, "p-256k", lambda: spec(keys=[key(kty="EC-HSM", curve="P-256K")]), None),
    ("KV-OBJ-09", UNKNOWN, "unresolved", lambda: spec(keys=[key(kty="RSA", size=U)]), None),
    ("KV-OBJ-02", NA, "no-secrets", Spec, ARM_LIVE),
    ("KV-OBJ-02", PASS, "exp", lambda: spec(secrets=[secret()]), None),
    ("KV-OBJ-02", FAIL, "no-exp", lambda: spec(secrets=[secret(exp=None)]), None),
    ("KV-OBJ-02", UNKNOWN, "unreadable", lambda: spec(unknown="objects"), None),
    ("KV-OBJ-02", UNKNOWN, "unresolved", lambda: spec(secrets=[secret(exp=U)]), None),
    ("KV-OBJ-06", NA, "no-secrets", Spec, ARM_LIVE),
    ("KV-OBJ-06", PASS, "content-type", lambda: spec(secrets=[secret()]), None),
    ("KV-OBJ-06", FAIL, "none", lambda: spec(secrets=[secret(content_type=None)]), None),
    ("KV-OBJ-06", UNKNOWN, "unreadable", lambda: spec(unknown="objects"), None),
    ("KV-OBJ-06", UNKNOWN, "unresolved", lambda: spec(secrets=[secret(content_type=U)]), None),
    ("KV-OBJ-07", NA, "no-certificates", Spec, ARM_LIVE),
    (
        "KV-OBJ-07",
        PASS,
        "12-months",
        lambda: spec(certificates=[{"name": "c1", "validity": 12}]),
        None,
    ),
    (
        "KV-OBJ-07",
        FAIL,
        "24-months",
        lambda: spec(certificates=[{"name": "c1", "validity": 24}]),
        None,
    ),
    ("KV-OBJ-07", UNKNOWN, "unreadable", lambda: spec(unknown="objects"), None),
    ("KV-OBJ-08", NA, "no-certificates", Spec, ARM_LIVE),
    ("KV-OBJ-08", PASS, "auto-renew", lambda: spec(certificates=[{"name": "c1"}]), None),
    (
        "KV-OBJ-08",
        FAIL,
        "email-only",
        lambda: spec(certificates=[{"name": "c1", "auto_renew": False}]),
        None,
    ),
    ("KV-OBJ-08", UNKNOWN, "unreadable", lambda: spec(unknown="objects"), None),
]

# Rules that by their definition always apply to a vault.
NEVER_NOT_APPLICABLE = {
    "KV-IAM-01", "KV-IAM-02", "KV-ADV-01", "KV-ADV-02", "KV-ADV-03", "KV-NET-01", "KV-NET-02",
    "KV-NET-05", "KV-NET-07", "KV-REC-01", "KV-REC-02", "KV-LOG-01", "KV-LOG-02", "KV-LOG-03",
    "KV-LOG-05",
}  # fmt: skip


def _roles(s: Spec, roles: list[Role]) -> Spec:
    s.roles = roles
    return s


def _vnet(ignore: Any) -> dict[str, Any]:
    return {
        "id": "/subscriptions/x/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v"
        "/subnets/app",
        "ignoreMissingVnetServiceEndpoint": ignore,
    }


def _params() -> list[Any]:
    out = []
    for rule, verdict, label, factory, only in CASES:
        sources = only if only is not None else needs(factory())
        for source in sources:
            out.append(pytest.param(rule, verdict, factory, source, id=f"{rule}-{label}-{source}"))
    return out


@pytest.mark.parametrize(("rule_id", "expected", "factory", "source"), _params())
def test_rule_verdict(
    rule_id: str, expected: Verdict, factory: Callable[[], Spec], source: str, tmp_path: Any
) -> None:
    vault = config(factory(), source, tmp_path)
    report = check(vault, PostureOptions(), rules=[rule_id])
    (finding,) = report.findings
    assert finding.verdict is expected, f"{finding.verdict}: {finding.evidence}"
    assert "could not run" not in finding.evidence


def test_every_rule_has_its_cases() -> None:
    verdicts: dict[str, set[Verdict]] = {}
    sources: dict[str, set[str]] = {}
    for rule, verdict, _, factory, only in CASES:
        verdicts.setdefault(rule, set()).add(verdict)
        sources.setdefault(rule, set()).update(only if only is not None else needs(factory()))
    assert set(verdicts) == set(RULES)
    for rule, seen in verdicts.items():
        wanted = {PASS, FAIL, UNKNOWN} | (set() if rule in NEVER_NOT_APPLICABLE else {NA})
        assert wanted <= seen, f"{rule} lacks {wanted - seen}"
        assert {"arm", "live"} <= sources[rule], f"{rule} runs only on {sources[rule]}"


def test_the_hardened_spec_passes_everything_on_every_source(tmp_path: Any) -> None:
    for source in ("arm", "az", "live"):
        folder = tmp_path / source
        folder.mkdir()
        report = check(config(Spec(), source, folder))
        bad = [
            (f.rule_id, f.verdict.value, f.evidence)
            for f in report.findings
            if f.verdict in (FAIL,)
        ]
        assert not bad, (source, bad)
