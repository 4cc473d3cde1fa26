"""Rules on who can reach the data through Azure RBAC: KV-IAM (the permission model, and
management roles that can grant themselves data access)."""

from __future__ import annotations

from safevault.posture._findings import Outcome, Severity
from safevault.posture._model import RoleAssignment, VaultConfig
from safevault.posture._options import PostureOptions
from safevault.posture._refs import ap, cis, learn, prowler, seed
from safevault.posture._roles import (
    BUILT_IN_ROLES,
    DATA_ROLES,
    ROLE_ASSIGNERS,
    VAULT_WRITERS,
    grants,
)
from safevault.posture._rule import fail, ok, rule, unknown
from safevault.posture._values import Maybe, Tri, Unknown, all3, any3

__all__: list[str] = []

_KNOWN_ROLES = frozenset(name.lower() for name in BUILT_IN_ROLES.values())


def _listing(items: list[str], limit: int = 4) -> str:
    shown = "; ".join(items[:limit])
    return shown + (f"; and {len(items) - limit} more" if len(items) > limit else "")


@rule(
    id="KV-IAM-01",
    name="RbacAuthorizationEnabled",
    title="RBAC permission model enabled",
    severity=Severity.HIGH,
    reads="properties.enableRbacAuthorization",
    passes_when="`enableRbacAuthorization` is true",
    rationale=(
        "Under the legacy access-policy model anyone who can write the vault resource can grant "
        "themselves data access, permissions cannot be scoped to one object, and there is no "
        "deny, PIM or condition support. Azure RBAC separates managing the vault from reading "
        "its data."
    ),
    remediation="az keyvault update --name {vault} --enable-rbac-authorization true",
    template_fix='"properties": { "enableRbacAuthorization": true }',
    references=(
        cis("8.3.6"),
        ap("12d4fa5e"),
        prowler("keyvault_rbac_enabled"),
        learn("Azure RBAC for Key Vault", "general/rbac-guide"),
    ),
)
def rbac_enabled(vault: VaultConfig, options: PostureOptions) -> Outcome:
    value = vault.enable_rbac_authorization
    if isinstance(value, Unknown):
        return unknown(f"enableRbacAuthorization is {value}")
    if value:
        return ok("enableRbacAuthorization is true")
    if value is None:
        return fail("enableRbacAuthorization is not set: the vault uses access policies")
    return fail("enableRbacAuthorization is false: the vault uses access policies")


def _capabilities(a: RoleAssignment) -> tuple[Tri, Tri, Tri]:
    """(writes the vault, writes role assignments, reads or changes data) of one role."""
    name = a.role_name
    if isinstance(name, str) and name.lower() in _KNOWN_ROLES:
        n = name.lower()
        return n in VAULT_WRITERS, n in ROLE_ASSIGNERS, n in DATA_ROLES
    if a.actions is not None:
        writes = grants(a.actions, a.not_actions, "Microsoft.KeyVault/vaults/write")
        assigns = grants(a.actions, a.not_actions, "Microsoft.Authorization/roleAssignments/write")
        data = any(
            d == "*" or d.lower().startswith("microsoft.keyvault/") for d in a.data_actions or ()
        )
        return writes, assigns, data
    label = name if isinstance(name, str) else (a.role_definition_id or "an unresolved role")
    why = Unknown(f"role {label} is not a built-in role and its permissions were not read")
    if isinstance(name, Unknown):
        why = name
    return why, why, why


def _escalation(a: RoleAssignment, rbac: Maybe[bool]) -> Tri:
    writes, assigns, data = _capabilities(a)
    broad: Tri = (
        a.scope_level
        if isinstance(a.scope_level, Unknown)
        else a.scope_level in ("subscription", "managementGroup")
    )
    under_policies = any3([writes, assigns])
    under_rbac = any3([assigns, all3([data, broad])])
    if rbac is True:
        bad = under_rbac
    elif rbac is False or rbac is None:
        bad = under_policies
    elif under_policies is True and under_rbac is True:
        bad = True
    elif under_policies is False and under_rbac is False:
        bad = False
    else:
        bad = rbac
    return all3([a.deployed, bad])


def _describe(a: RoleAssignment) -> str:
    role = a.role_name if isinstance(a.role_name, str) else "a role"
    who = a.principal_id if isinstance(a.principal_id, str) else "a principal"
    level = a.scope_level if isinstance(a.scope_level, str) else "an unresolved"
    return f"{role} for {who} at {level} scope"


@rule(
    id="KV-IAM-02",
    name="NoSelfGrantingManagementRoles",
    title="No management role can quietly grant itself data access",
    severity=Severity.HIGH,
    reads=(
        "role assignments at vault, resource group, subscription and management group scope; "
        "properties.enableRbacAuthorization"
    ),
    passes_when=(
        "outside the allow-list: under access policies no Owner, Contributor or Key Vault "
        "Contributor (they hold vaults/write); under RBAC no Owner, User Access Administrator, "
        "Role Based Access Control Administrator or Key Vault Data Access Administrator at any "
        "scope covering the vault, and no Key Vault data role at subscription scope"
    ),
    rationale=(
        "Under the access-policy model, Microsoft.KeyVault/vaults/write lets a principal add "
        "itself an access policy; under RBAC, Microsoft.Authorization/roleAssignments/write lets "
        "it assign itself a data role. Either way a management role is a data role in waiting, "
        "and assignments inherited from the resource group or subscription are easy to miss. A "
        "data role at subscription scope reaches every vault in the subscription."
    ),
    remediation=(
        "az role assignment list --scope <vault id> --include-inherited -o table; then "
        "az role assignment delete --assignee <principal> --role <role> --scope <scope>, and "
        "grant a narrower role (Key Vault Reader, or a data role) at vault scope"
    ),
    template_fix=(
        "Remove the Microsoft.Authorization/roleAssignments resource, or assign a narrower "
        "role scoped to the vault"
    ),
    references=(
        seed("Access Control (IAM)"),
        learn("Azure RBAC for Key Vault", "general/rbac-guide"),
        learn("Access policies (vaults/write warning)", "general/assign-access-policy"),
    ),
)
def no_self_granting_roles(vault: VaultConfig, options: PostureOptions) -> Outcome:
    assignments = vault.role_assignments
    if isinstance(assignments, Unknown):
        return unknown(f"role assignments: {assignments}")
    allowed = {p.lower() for p in options.iam_allowed_principals}
    rbac = vault.enable_rbac_authorization
    bad: list[str] = []
    unsure: list[str] = []
    for a in assignments:
        if isinstance(a.principal_id, str) and a.principal_id.lower() in allowed:
            continue
        verdict = _escalation(a, rbac)
        if verdict is True:
            bad.append(_describe(a))
        elif isinstance(verdict, Unknown):
            unsure.append(f"{_describe(a)}: {verdict.reason}")
    scope = " declared in the template" if vault.source.kind == "arm" else ""
    if bad:
        return fail(f"{len(bad)} assignment(s) can grant themselves data access: {_listing(bad)}")
    if unsure:
        return unknown(_listing(unsure))
    return ok(f"none of {len(assignments)} role assignment(s){scope} can self-grant data access")
