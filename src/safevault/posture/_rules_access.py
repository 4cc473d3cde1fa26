"""Rules on who can reach the data without RBAC: KV-ACC (access policies) and KV-ADV (the
advanced access flags)."""

from __future__ import annotations

from safevault.posture._findings import Outcome, Severity
from safevault.posture._model import VaultConfig
from safevault.posture._options import PostureOptions
from safevault.posture._refs import learn, psrule, seed
from safevault.posture._roles import (
    BUILT_IN_ROLES,
)
from safevault.posture._rule import fail, na, ok, rule, unknown
from safevault.posture._values import Maybe, Unknown

__all__: list[str] = []

_KNOWN_ROLES = frozenset(name.lower() for name in BUILT_IN_ROLES.values())


def _listing(items: list[str], limit: int = 4) -> str:
    shown = "; ".join(items[:limit])
    return shown + (f"; and {len(items) - limit} more" if len(items) > limit else "")


_WRITE = {
    "keys": {"create", "import", "update", "all"},
    "secrets": {"set", "all"},
    "certificates": {"create", "import", "update", "all"},
}
_SPECIAL = {"certificates": {"setissuers", "manageissuers", "all"}, "keys": {"release", "all"}}


def _rbac_na(vault: VaultConfig) -> Outcome | None:
    if vault.enable_rbac_authorization is True:
        return na("the vault uses Azure RBAC: access policies are ignored")
    return None


@rule(
    id="KV-ACC-01",
    name="NoAllOrPurgeAccessPolicy",
    title="No access policy grants `all` or `purge`",
    severity=Severity.HIGH,
    reads="properties.accessPolicies[].permissions.{keys,secrets,certificates,storage}",
    passes_when="no permission is `all` or `purge` (case-insensitive) while RBAC is off",
    rationale=(
        "`all` grants every current and future permission, including purge; `purge` destroys "
        "soft-deleted objects for good. Neither belongs to an application's identity."
    ),
    remediation=(
        "az keyvault set-policy --name {vault} --object-id <principal> "
        "--secret-permissions get list --key-permissions get list (name the permissions "
        "needed), or move the vault to RBAC"
    ),
    template_fix='"permissions": { "secrets": ["get", "list"] }  (no "all", no "purge")',
    references=(
        psrule("Azure.KeyVault.AccessPolicy"),
        learn("Access policies", "general/assign-access-policy"),
    ),
)
def no_all_or_purge(vault: VaultConfig, options: PostureOptions) -> Outcome:
    skip = _rbac_na(vault)
    if skip is not None:
        return skip
    policies = vault.access_policies
    if isinstance(policies, Unknown):
        return unknown(f"access policies: {policies}")
    bad: list[str] = []
    unsure: Unknown | None = None
    for policy in policies:
        for category in ("keys", "secrets", "certificates", "storage"):
            values = policy.category(category)
            if isinstance(values, Unknown):
                unsure = unsure or values
                continue
            for value in values:
                if isinstance(value, Unknown):
                    unsure = unsure or value
                elif value is not None and value.lower() in ("all", "purge"):
                    who = policy.object_id if isinstance(policy.object_id, str) else "?"
                    bad.append(f"{who}: {category} {value.lower()}")
    if bad and isinstance(vault.enable_rbac_authorization, Unknown):
        rbac = vault.enable_rbac_authorization
        return unknown(f"access policies grant {_listing(bad)}; enableRbacAuthorization is {rbac}")
    if bad:
        return fail(f"access policies grant {_listing(bad)}")
    if unsure is not None:
        return unknown(f"a permission is {unsure}")
    return ok(f"{len(policies)} access policy entries, none with all or purge")


def _grants_all_writes(perms: dict[str, set[str]]) -> bool:
    return all(perms[c] & _WRITE[c] and perms[c] & {"delete", "all"} for c in _WRITE)


@rule(
    id="KV-ACC-02",
    name="LeastPrivilegeAccessPolicies",
    title="Least privilege per principal",
    severity=Severity.MEDIUM,
    reads="properties.accessPolicies[].permissions",
    passes_when=(
        "no principal holds write and delete on all of keys, secrets and certificates; no "
        "setissuers/manageissuers or key release outside the allow-list"
    ),
    rationale=(
        "A principal that can write and delete every kind of object is an administrator in "
        "disguise. Issuer management redirects certificate issuance; key release hands the key "
        "material to a confidential workload. None of the common scanners checks this."
    ),
    remediation=(
        "az keyvault set-policy --name {vault} --object-id <principal> with only the "
        "permissions the workload uses, or allow-list the principal "
        "(access_policy_allowed_principals)"
    ),
    template_fix="Split broad access policies into per-workload entries with the permissions used",
    references=(learn("Access policies", "general/assign-access-policy"),),
)
def least_privilege(vault: VaultConfig, options: PostureOptions) -> Outcome:
    skip = _rbac_na(vault)
    if skip is not None:
        return skip
    policies = vault.access_policies
    if isinstance(policies, Unknown):
        return unknown(f"access policies: {policies}")
    allowed = {p.lower() for p in options.access_policy_allowed_principals}
    merged: dict[str, dict[str, set[str]]] = {}
    unsure: Unknown | None = None
    for index, policy in enumerate(policies):
        who = policy.object_id.lower() if isinstance(policy.object_id, str) else f"#{index}"
        perms = merged.setdefault(who, {c: set() for c in ("keys", "secrets", "certificates")})
        for category in perms:
            values = policy.category(category)
            if isinstance(values, Unknown):
                unsure = unsure or values
                continue
            for value in values:
                if isinstance(value, Unknown):
                    unsure = unsure or value
                elif value is not None:
                    perms[category].add(value.lower())
    bad: list[str] = []
    for who, perms in merged.items():
        if who in allowed:
            continue
        if _grants_all_writes(perms):
            bad.append(f"{who} can write and delete keys, secrets and certificates")
        for category, special in _SPECIAL.items():
            held = sorted(perms[category] & special - {"all"})
            if held:
                bad.append(f"{who} holds {category} {', '.join(held)}")
    if bad:
        return fail(_listing(bad))
    if unsure is not None:
        return unknown(f"a permission is {unsure}")
    if not merged:
        return na("no access policies")
    return ok(f"{len(merged)} principal(s), each limited")


@rule(
    id="KV-ACC-03",
    name="NoStaleAccessPolicies",
    title="No stale access policies under RBAC",
    severity=Severity.INFO,
    reads="properties.accessPolicies, properties.enableRbacAuthorization",
    passes_when="RBAC on implies `accessPolicies` is empty",
    rationale=(
        "Access policies are ignored under RBAC but come back into force if someone switches "
        "the vault back: left-over entries are dormant grants."
    ),
    remediation="az keyvault delete-policy --name {vault} --object-id <principal> (for each entry)",
    template_fix='"accessPolicies": []',
)
def no_stale_policies(vault: VaultConfig, options: PostureOptions) -> Outcome:
    rbac = vault.enable_rbac_authorization
    policies = vault.access_policies
    if rbac is False or rbac is None:
        return na("the vault uses access policies")
    if isinstance(policies, Unknown):
        return unknown(f"access policies: {policies}")
    if not policies:
        return ok("no access policies")
    if isinstance(rbac, Unknown):
        return unknown(f"{len(policies)} access policies; enableRbacAuthorization is {rbac}")
    return fail(f"{len(policies)} access policy entries remain under RBAC")


def _advanced(vault: VaultConfig, options: PostureOptions, field: str, flag: str) -> Outcome:
    value: Maybe[bool] = getattr(vault, field)
    if isinstance(value, Unknown):
        return unknown(f"{flag} is {value}")
    if not value:
        return ok(f"{flag} is {'false' if value is False else 'not set (false)'}")
    if options.allows(f"{field}_allowed", vault.name):
        return ok(f"{flag} is true and allowed for this vault by the options")
    return fail(f"{flag} is true")


_ADV_REFS = (
    seed("advanced access policies"),
    learn("Key Vault security", "general/security-features"),
)


@rule(
    id="KV-ADV-01",
    name="VmDeploymentAccessOff",
    title="VM deployment access off unless needed",
    severity=Severity.LOW,
    reads="properties.enabledForDeployment",
    passes_when="false, or the vault is allow-listed",
    rationale=(
        "enabledForDeployment lets Azure Virtual Machines retrieve certificates stored as "
        "secrets from the vault: a standing data path that most vaults do not need."
    ),
    remediation="az keyvault update --name {vault} --enabled-for-deployment false",
    template_fix='"enabledForDeployment": false',
    references=_ADV_REFS,
)
def vm_deployment_off(vault: VaultConfig, options: PostureOptions) -> Outcome:
    return _advanced(vault, options, "enabled_for_deployment", "enabledForDeployment")


@rule(
    id="KV-ADV-02",
    name="TemplateDeploymentAccessOff",
    title="ARM template deployment access off unless needed",
    severity=Severity.LOW,
    reads="properties.enabledForTemplateDeployment",
    passes_when="false, or the vault is allow-listed",
    rationale=(
        "enabledForTemplateDeployment lets Azure Resource Manager read secrets for any "
        "deployment whose author holds Microsoft.KeyVault/vaults/deploy/action."
    ),
    remediation="az keyvault update --name {vault} --enabled-for-template-deployment false",
    template_fix='"enabledForTemplateDeployment": false',
    references=_ADV_REFS,
)
def template_deployment_off(vault: VaultConfig, options: PostureOptions) -> Outcome:
    return _advanced(
        vault, options, "enabled_for_template_deployment", "enabledForTemplateDeployment"
    )


@rule(
    id="KV-ADV-03",
    name="DiskEncryptionAccessOff",
    title="Disk encryption access off unless needed",
    severity=Severity.LOW,
    reads="properties.enabledForDiskEncryption",
    passes_when="false, or the vault is allow-listed",
    rationale=(
        "enabledForDiskEncryption lets Azure Disk Encryption retrieve secrets and unwrap keys; "
        "turn it on only for the vaults that hold disk encryption keys."
    ),
    remediation="az keyvault update --name {vault} --enabled-for-disk-encryption false",
    template_fix='"enabledForDiskEncryption": false',
    references=_ADV_REFS,
)
def disk_encryption_off(vault: VaultConfig, options: PostureOptions) -> Outcome:
    return _advanced(vault, options, "enabled_for_disk_encryption", "enabledForDiskEncryption")
