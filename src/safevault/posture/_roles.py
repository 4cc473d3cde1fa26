"""Azure built-in roles that matter to a vault, by id and by what they can do."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

__all__ = [
    "BUILT_IN_ROLES",
    "DATA_ROLES",
    "ROLE_ASSIGNERS",
    "VAULT_WRITERS",
    "grants",
    "role_guid",
    "role_name_for",
]

BUILT_IN_ROLES: dict[str, str] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
    "f25e0fa2-a7c8-4377-a976-54943a77a395": "Key Vault Contributor",
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
    "8b54135c-b56d-4d72-a534-26097cfdc8d8": "Key Vault Data Access Administrator",
    "a4417e6f-fecd-4de8-b567-7b0420556985": "Key Vault Certificates Officer",
    "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba": "Key Vault Certificate User",
    "14b46e9e-c2b7-41b4-b07b-48a6ebf60603": "Key Vault Crypto Officer",
    "e147488a-f6f5-4113-8e2d-b22465e65bf6": "Key Vault Crypto Service Encryption User",
    "08bbd89e-9f13-488c-ac41-acfcb10c90ab": "Key Vault Crypto Service Release User",
    "12338af0-0e69-4776-bea7-57ae8d297424": "Key Vault Crypto User",
    "21090545-7ca7-4776-b22c-e363652d74d2": "Key Vault Reader",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
}

# Can write the vault (``Microsoft.KeyVault/vaults/write``), so under the access-policy
# model can add themselves an access policy.
VAULT_WRITERS = frozenset({"owner", "contributor", "key vault contributor"})

# Can write role assignments, so can give themselves any role (a data role under RBAC,
# Contributor under access policies). Key Vault Data Access Administrator is limited by a
# condition to the Key Vault data roles, which is exactly the escalation that matters here.
ROLE_ASSIGNERS = frozenset(
    {
        "owner",
        "user access administrator",
        "role based access control administrator",
        "key vault data access administrator",
    }
)

# Roles that read or change the vault's data (not Key Vault Reader: metadata only).
DATA_ROLES = frozenset(
    {
        "key vault administrator",
        "key vault certificates officer",
        "key vault certificate user",
        "key vault crypto officer",
        "key vault crypto service encryption user",
        "key vault crypto service release user",
        "key vault crypto user",
        "key vault secrets officer",
        "key vault secrets user",
        "key vault data access administrator",
    }
)


def role_guid(role_definition_id: str) -> str:
    """The GUID at the end of a role definition id (or the id itself), lower-cased."""
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def role_name_for(role_definition_id: str) -> str | None:
    """The name of a built-in role from its definition id, or None."""
    return BUILT_IN_ROLES.get(role_guid(role_definition_id))


def grants(actions: Iterable[str], not_actions: Iterable[str], operation: str) -> bool:
    """True if a role's ``actions`` (minus ``notActions``) cover ``operation`` (globs, ci)."""
    op = operation.lower()
    allowed = any(fnmatch.fnmatchcase(op, a.lower()) for a in actions)
    denied = any(fnmatch.fnmatchcase(op, n.lower()) for n in not_actions)
    return allowed and not denied
