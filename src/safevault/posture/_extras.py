"""Diagnostic settings, alert rules and role assignments: what is read beside the vault.

REST nests their fields under ``properties``; ``az`` flattens them. Both are accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from safevault.posture._model import (
    AlertRule,
    DiagnosticSetting,
    LogSetting,
    MetricSetting,
    RoleAssignment,
    ScopeLevel,
)
from safevault.posture._roles import role_guid, role_name_for
from safevault.posture._shapes import array, boolean, get, string
from safevault.posture._values import Maybe, Unknown, same_resource

__all__ = ["alert_covers", "alert_rule", "diagnostic_setting", "role_assignment", "scope_level"]


def _body(item: Any) -> Any:
    nested = get(item, "properties")
    return nested if isinstance(nested, (Mapping, Unknown)) else item


def diagnostic_setting(item: Any, deployed: bool | Unknown = True) -> DiagnosticSetting:
    """A diagnostic setting from REST (nested ``properties``) or ``az`` (flattened) JSON."""
    body = _body(item)
    return DiagnosticSetting(
        name=string(get(item, "name")),
        workspace_id=string(get(body, "workspaceId")),
        storage_account_id=string(get(body, "storageAccountId")),
        event_hub_authorization_rule_id=string(get(body, "eventHubAuthorizationRuleId")),
        logs=array(
            get(body, "logs"),
            lambda v: LogSetting(
                category=string(get(v, "category")),
                category_group=string(get(v, "categoryGroup")),
                enabled=boolean(get(v, "enabled")),
            ),
        ),
        metrics=array(
            get(body, "metrics"),
            lambda v: MetricSetting(
                category=string(get(v, "category")), enabled=boolean(get(v, "enabled"))
            ),
        ),
        deployed=deployed,
    )


def alert_rule(item: Any, kind: str, deployed: bool | Unknown = True) -> AlertRule:
    """A metric or activity-log alert rule."""
    body = _body(item)
    return AlertRule(
        name=string(get(item, "name")),
        kind="metric" if kind == "metric" else "activityLog",
        enabled=boolean(get(body, "enabled")),
        deployed=deployed,
    )


def alert_covers(item: Any, vault_id: str) -> bool:
    """Whether an alert rule's scopes cover the vault (and, for an activity-log alert, its
    ``resourceId``/``resourceType`` conditions do not point elsewhere)."""
    body = _body(item)
    scopes = get(body, "scopes")
    if not isinstance(scopes, list) or not any(
        isinstance(s, str) and scope_level(s, vault_id) is not None for s in scopes
    ):
        return False
    clauses = get(body, "condition", "allOf")
    for clause in clauses if isinstance(clauses, list) else []:
        field, equals = str(get(clause, "field") or "").lower(), get(clause, "equals")
        if not isinstance(equals, str):
            continue
        if field == "resourceid" and not same_resource(equals, vault_id):
            return False
        if field == "resourcetype" and equals.lower() != "microsoft.keyvault/vaults":
            return False
    return True


_MG_PREFIX = "/providers/microsoft.management/managementgroups/"


def scope_level(scope: str, vault_id: str) -> ScopeLevel | None:
    """Where ``scope`` sits above the vault, or None when it does not cover the vault."""
    s, v = scope.lower().rstrip("/"), vault_id.lower().rstrip("/")
    if s.startswith(_MG_PREFIX) or s == "":
        return "managementGroup"
    if same_resource(s, v):
        return "vault"
    if not v.startswith(s + "/"):
        return None
    depth = len([p for p in s.split("/") if p])
    if depth == 2:
        return "subscription"
    return "resourceGroup" if depth == 4 else None


def role_assignment(
    item: Any,
    vault_id: str,
    *,
    definitions: Mapping[str, Any] | None = None,
    default_scope: Maybe[str] = None,
    deployed: bool | Unknown = True,
) -> RoleAssignment | None:
    """A role assignment covering the vault, or None when its scope does not cover it.

    :param definitions: role definitions by lower-case GUID (REST JSON), for custom roles.
    :param default_scope: the scope when the item gives none (an ARM template's deployment).
    """
    body = _body(item)
    scope = string(get(body, "scope"))
    if scope is None:
        scope = default_scope
    level: ScopeLevel | Unknown | None
    level = (
        scope
        if isinstance(scope, Unknown)
        else None
        if scope is None
        else scope_level(scope, vault_id)
    )
    if level is None:
        return None
    definition_id = string(get(body, "roleDefinitionId"))
    name: Maybe[str] = string(get(body, "roleDefinitionName"))
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] | None = None
    if isinstance(definition_id, Unknown) and name is None:
        name = definition_id
    elif isinstance(definition_id, str):
        definition = (definitions or {}).get(role_guid(definition_id))
        if definition is not None:
            name = name or string(get(_body(definition), "roleName"))
            perms = get(_body(definition), "permissions") or []
            actions = tuple(a for p in perms for a in (get(p, "actions") or []))
            not_actions = tuple(a for p in perms for a in (get(p, "notActions") or []))
            data_actions = tuple(a for p in perms for a in (get(p, "dataActions") or []))
        name = name or role_name_for(definition_id)
    return RoleAssignment(
        principal_id=string(get(body, "principalId")),
        principal_type=string(get(body, "principalType")),
        role_name=name,
        role_definition_id=definition_id,
        scope=scope,
        scope_level=level,
        actions=actions,
        not_actions=not_actions,
        data_actions=data_actions,
        deployed=deployed,
    )
