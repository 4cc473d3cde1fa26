"""From REST-shaped JSON to the model, tolerant of the shapes the sources disagree on.

ARM templates, the REST API and ``az`` output share camelCase names under ``properties``,
but differ in details: booleans may be strings (``"true"``), ``ipRules`` may be strings or
``{"value": ...}`` objects, private endpoint connections may be nested under ``properties``
or flattened, ``az`` flattens role assignments and diagnostic settings, and a document may
lack its ``properties`` block. An ARM value that could not be evaluated arrives here already
as an :class:`Unknown`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

from safevault.posture._model import (
    AccessPolicy,
    NetworkAcls,
    PrivateEndpointConnection,
    VirtualNetworkRule,
)
from safevault.posture._values import Maybe, Unknown

__all__ = [
    "array",
    "boolean",
    "get",
    "integer",
    "properties_of",
    "string",
    "timestamp",
    "vault_fields",
]

T = TypeVar("T")

VAULT_FIELDS = (
    "enableRbacAuthorization",
    "accessPolicies",
    "networkAcls",
    "publicNetworkAccess",
    "enableSoftDelete",
    "enablePurgeProtection",
    "softDeleteRetentionInDays",
    "enabledForDeployment",
    "enabledForTemplateDeployment",
    "enabledForDiskEncryption",
    "privateEndpointConnections",
    "tenantId",
    "sku",
    "vaultUri",
)


def get(doc: Any, *path: str) -> Any:
    """``doc[path[0]][path[1]]...`` with case-insensitive keys; None if missing, an
    :class:`Unknown` if a step is one."""
    current = doc
    for key in path:
        if isinstance(current, Unknown) or current is None:
            return current
        if not isinstance(current, Mapping):
            return None
        if key in current:
            current = current[key]
            continue
        lowered = key.lower()
        current = next((v for k, v in current.items() if str(k).lower() == lowered), None)
    return current


def boolean(value: Any) -> Maybe[bool]:
    """A boolean from ``true``, ``"true"``, ``"True"`` ...; an Unknown for anything else."""
    if value is None or isinstance(value, (bool, Unknown)):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return Unknown(f"{value!r} is not a boolean")


def string(value: Any) -> Maybe[str]:
    """A string (numbers are written out); an Unknown for objects and lists."""
    if value is None or isinstance(value, (str, Unknown)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if hasattr(value, "value") and isinstance(value.value, str):  # an SDK enum
        return str(value.value)
    return Unknown(f"{type(value).__name__} where a string was expected")


def integer(value: Any) -> Maybe[int]:
    """An int from a number or a numeric string."""
    if value is None or isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return Unknown(f"{value!r} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return Unknown(f"{value!r} is not a number")


def timestamp(value: Any) -> Maybe[datetime]:
    """A UTC datetime from epoch seconds (ARM/REST ``exp``), an ISO 8601 string or a datetime."""
    if value is None or isinstance(value, Unknown):
        return value
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    number = integer(value)
    if isinstance(number, int):
        try:
            return datetime.fromtimestamp(number, timezone.utc)
        except (OverflowError, OSError, ValueError):
            return Unknown(f"{value!r} is not a valid time")
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return Unknown(f"{value!r} is not a time")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return Unknown(f"{value!r} is not a time")


def array(value: Any, item: Callable[[Any], T]) -> tuple[T, ...] | Unknown:
    """A tuple of converted items; () when absent; an Unknown when not a list."""
    if value is None:
        return ()
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("value"), list):  # {"value": [...]}
        value = value["value"]
    if not isinstance(value, (list, tuple)):
        return Unknown(f"{type(value).__name__} where a list was expected")
    return tuple(item(v) for v in value)


def properties_of(doc: Mapping[str, Any], fields: tuple[str, ...]) -> Mapping[str, Any] | Unknown:
    """A resource's ``properties`` block, or the document itself when flattened.

    :returns: an Unknown when the document has neither (nothing about the vault is known).
    """
    props = get(doc, "properties")
    if isinstance(props, (Mapping, Unknown)):
        return props
    lowered = {f.lower() for f in fields}
    if any(str(k).lower() in lowered for k in doc):
        return doc
    return Unknown("the document has no properties block")


# -- vault -----------------------------------------------------------------------------------


def _ip_rule(value: Any) -> Maybe[str]:
    if isinstance(value, Mapping):
        for key in ("value", "ipAddressOrRange", "addressRange", "ipAddress"):
            found = get(value, key)
            if found is not None:
                return string(found)
        return Unknown("an IP rule without a value")
    return string(value)


def _vnet_rule(value: Any) -> VirtualNetworkRule:
    if isinstance(value, str):
        return VirtualNetworkRule(id=value)
    if isinstance(value, Unknown):
        return VirtualNetworkRule(id=value, ignore_missing_vnet_service_endpoint=value)
    return VirtualNetworkRule(
        id=string(get(value, "id")),
        ignore_missing_vnet_service_endpoint=boolean(
            get(value, "ignoreMissingVnetServiceEndpoint")
        ),
    )


def _network_acls(value: Any) -> NetworkAcls | Unknown | None:
    if value is None or isinstance(value, Unknown):
        return value
    if not isinstance(value, Mapping):
        return Unknown("networkAcls is not an object")
    return NetworkAcls(
        default_action=string(get(value, "defaultAction")),
        bypass=string(get(value, "bypass")),
        ip_rules=array(get(value, "ipRules"), _ip_rule),
        virtual_network_rules=array(get(value, "virtualNetworkRules"), _vnet_rule),
    )


def _permissions(value: Any) -> tuple[Maybe[str], ...] | Unknown:
    return array(value, lambda v: _lower(string(v)))


def _lower(value: Maybe[str]) -> Maybe[str]:
    return value.lower() if isinstance(value, str) else value


def _access_policy(value: Any) -> AccessPolicy:
    if isinstance(value, Unknown) or not isinstance(value, Mapping):
        why = value if isinstance(value, Unknown) else Unknown("an access policy is not an object")
        return AccessPolicy(object_id=why, keys=why, secrets=why, certificates=why, storage=why)
    perms = get(value, "permissions")
    return AccessPolicy(
        object_id=string(get(value, "objectId")),
        tenant_id=string(get(value, "tenantId")),
        application_id=string(get(value, "applicationId")),
        keys=_permissions(get(perms, "keys")),
        secrets=_permissions(get(perms, "secrets")),
        certificates=_permissions(get(perms, "certificates")),
        storage=_permissions(get(perms, "storage")),
    )


def _endpoint(value: Any) -> PrivateEndpointConnection:
    if isinstance(value, Unknown):
        return PrivateEndpointConnection(id=value, status=value)
    nested = get(value, "properties")
    body = nested if isinstance(nested, Mapping) else value
    state = get(body, "privateLinkServiceConnectionState")
    return PrivateEndpointConnection(
        id=string(get(value, "id")),
        private_endpoint_id=string(get(body, "privateEndpoint", "id")),
        status=string(get(state, "status")),
    )


def vault_fields(props: Mapping[str, Any] | Unknown) -> dict[str, Any]:
    """The ``VaultConfig`` keyword arguments read from a vault's ``properties``."""
    if isinstance(props, Unknown):
        return {
            name: props
            for name in (
                "tenant_id", "sku", "create_mode", "enable_rbac_authorization",
                "access_policies", "enabled_for_deployment", "enabled_for_template_deployment",
                "enabled_for_disk_encryption", "public_network_access", "network_acls",
                "private_endpoint_connections", "enable_soft_delete",
                "soft_delete_retention_in_days", "enable_purge_protection",
            )
        }  # fmt: skip
    return {
        "tenant_id": string(get(props, "tenantId")),
        "sku": string(get(props, "sku", "name")),
        "create_mode": string(get(props, "createMode")),
        "enable_rbac_authorization": boolean(get(props, "enableRbacAuthorization")),
        "access_policies": array(get(props, "accessPolicies"), _access_policy),
        "enabled_for_deployment": boolean(get(props, "enabledForDeployment")),
        "enabled_for_template_deployment": boolean(get(props, "enabledForTemplateDeployment")),
        "enabled_for_disk_encryption": boolean(get(props, "enabledForDiskEncryption")),
        "public_network_access": string(get(props, "publicNetworkAccess")),
        "network_acls": _network_acls(get(props, "networkAcls")),
        "private_endpoint_connections": array(get(props, "privateEndpointConnections"), _endpoint),
        "enable_soft_delete": boolean(get(props, "enableSoftDelete")),
        "soft_delete_retention_in_days": integer(get(props, "softDeleteRetentionInDays")),
        "enable_purge_protection": boolean(get(props, "enablePurgeProtection")),
    }
