"""How the resources of a template attach to its vaults (for ``load_arm``).

Keys and secrets attach by name (``vault/child``), diagnostic settings by ``scope`` (or
nesting), role assignments by a scope that covers the vault, alert rules by their scopes
(and an activity-log alert's ``resourceId``/``resourceType`` conditions), private endpoints
by ``privateLinkServiceId``. Unresolved names link by their expression text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from safevault.posture._arm_expr import RESOURCE_GROUP, SUBSCRIPTION, Unresolved, render_text
from safevault.posture._extras import (
    alert_rule,
    diagnostic_setting,
    role_assignment,
    scope_level,
)
from safevault.posture._model import (
    KeyItem,
    LifetimeAction,
    PrivateEndpointConnection,
    RotationPolicy,
    SecretItem,
    Source,
    VaultConfig,
)
from safevault.posture._shapes import (
    array,
    boolean,
    get,
    integer,
    string,
    timestamp,
    vault_fields,
)
from safevault.posture._values import Unknown

__all__ = ["RG_SCOPE", "VAULT", "Resource", "config", "link", "split", "unknowns"]

VAULT = "microsoft.keyvault/vaults"
RG_SCOPE = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}"


@dataclass
class Resource:
    type: str  # full type, lower-case
    name: Any  # str or Unresolved, full ("vault/child") for children
    props: Any  # evaluated, unresolved parts as Unknown (for reading values)
    evaluated: Any  # evaluated, unresolved parts as Unresolved (for linking)
    scope: Any
    deployed: bool | Unknown
    pointer: str
    location: Any = None
    parent: Resource | None = None


@dataclass
class _Vault:
    resource: Resource
    key: str
    id: str
    keys: list[KeyItem] = field(default_factory=list)
    secrets: list[SecretItem] = field(default_factory=list)
    settings: list[Any] = field(default_factory=list)
    alerts: list[Any] = field(default_factory=list)
    roles: list[Any] = field(default_factory=list)
    endpoints: list[PrivateEndpointConnection] = field(default_factory=list)


def unknowns(value: Any) -> Any:
    """The evaluated tree with every :class:`Unresolved` turned into an :class:`Unknown`."""
    if isinstance(value, Unresolved):
        return Unknown(f"unresolved ARM expression {value.display}: {value.reason}")
    if isinstance(value, Mapping):
        return {k: unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unknowns(v) for v in value]
    return value


def split(name: str) -> list[str]:
    """Split a resource name on ``/`` outside bracketed (unresolved) parts."""
    parts, depth, current = [], 0, ""
    for char in name:
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        if char == "/" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _full_id(scope: str) -> str:
    """A scope text as a full resource id (Bicep writes ``Microsoft.KeyVault/vaults/kv``)."""
    if scope.startswith("/"):
        return scope
    return f"{RG_SCOPE}/providers/{scope}"


def _vault_key_of(scope_text: str) -> str | None:
    """The vault key a scope points at (``.../vaults/<name>`` with nothing after), or None."""
    lowered = _full_id(scope_text).lower()
    marker = "/providers/microsoft.keyvault/vaults/"
    if marker not in lowered:
        return None
    rest = lowered.rsplit(marker, 1)[1]
    segments = split(rest)
    return segments[0] if len(segments) == 1 else None


def link(resources: list[Resource], default_scope: str) -> list[_Vault]:
    vaults: dict[str, _Vault] = {}
    for r in resources:
        if r.type == VAULT:
            name = render_text(r.name)
            vaults.setdefault(
                name.lower(),
                _Vault(r, name.lower(), f"{RG_SCOPE}/providers/Microsoft.KeyVault/vaults/{name}"),
            )
    for r in resources:
        if r.type == VAULT:
            continue
        for vault, kind in _targets(r, vaults):
            _attach(vault, kind, r, default_scope)
    return list(vaults.values())


def _targets(r: Resource, vaults: Mapping[str, _Vault]) -> Iterator[tuple[_Vault, str]]:
    """The vaults a resource belongs to, and as what."""
    t = r.type
    parts = split(render_text(r.name).lower())
    if t in (f"{VAULT}/keys", f"{VAULT}/secrets", f"{VAULT}/privateendpointconnections"):
        if parts[0] in vaults:
            yield vaults[parts[0]], t.rsplit("/", 1)[1]
        return
    if t in (f"{VAULT}/providers/diagnosticsettings", f"{VAULT}/providers/roleassignments"):
        if parts[0] in vaults:
            yield vaults[parts[0]], t.rsplit("/", 1)[1]
        return
    kind = t.rsplit("/", 1)[-1]
    if t.endswith("diagnosticsettings") or t == "microsoft.authorization/roleassignments":
        parent = r.parent
        if r.scope is None and parent is not None and parent.type == VAULT:
            found = vaults.get(render_text(parent.name).lower())
            if found is not None:
                yield found, kind
        elif kind == "diagnosticsettings" and r.scope is not None:
            key = _vault_key_of(render_text(r.scope))
            if key is not None and key in vaults:
                yield vaults[key], kind
        elif kind == "roleassignments":
            # Without a scope: the deployment's scope, which covers every vault in it.
            for vault in vaults.values():
                if r.scope is None or scope_level(_full_id(render_text(r.scope)), vault.id):
                    yield vault, kind
        return
    if t in ("microsoft.insights/metricalerts", "microsoft.insights/activitylogalerts"):
        for vault in vaults.values():
            if _alert_covers(r, vault):
                yield vault, kind
        return
    if t == "microsoft.network/privateendpoints":
        for conn_kind in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
            connections = get(r.evaluated, conn_kind)
            for conn in connections if isinstance(connections, list) else []:
                target = get(conn, "properties", "privateLinkServiceId")
                key = _vault_key_of(render_text(target)) if target is not None else None
                if key is not None and key in vaults:
                    yield vaults[key], conn_kind


def _alert_covers(r: Resource, vault: _Vault) -> bool:
    scopes = get(r.evaluated, "scopes")
    if not isinstance(scopes, list):
        return False
    covered = any(
        s is not None and scope_level(_full_id(render_text(s)), vault.id) is not None
        for s in scopes
    )
    if not covered or r.type.endswith("metricalerts"):
        return covered
    # An activity log alert filters by field: a resourceId or resourceType filter must match.
    clauses = get(r.evaluated, "condition", "allOf")
    for clause in clauses if isinstance(clauses, list) else []:
        fld, equals = str(get(clause, "field") or "").lower(), get(clause, "equals")
        if not isinstance(equals, str):
            continue
        if fld == "resourceid" and _vault_key_of(equals) != vault.key:
            return False
        if fld == "resourcetype" and equals.lower() != VAULT:
            return False
    return True


def _attach(vault: _Vault, kind: str, r: Resource, default_scope: str) -> None:
    if kind == "keys":
        vault.keys.append(_key(r))
    elif kind == "secrets":
        vault.secrets.append(_secret(r))
    elif kind == "diagnosticsettings":
        vault.settings.append(
            diagnostic_setting({"name": render_text(r.name), "properties": r.props}, r.deployed)
        )
    elif kind in ("metricalerts", "activitylogalerts"):
        alert_kind = "metric" if kind == "metricalerts" else "activityLog"
        vault.alerts.append(
            alert_rule({"name": render_text(r.name), "properties": r.props}, alert_kind, r.deployed)
        )
    elif kind == "roleassignments":
        scope: Any = r.scope
        if r.type.endswith("/providers/roleassignments") or (
            scope is None and r.parent is not None and r.parent.type == VAULT
        ):
            scope = vault.id
        body = dict(r.props) if isinstance(r.props, Mapping) else {}
        body["scope"] = _full_id(render_text(scope)) if scope is not None else default_scope
        found = role_assignment({"properties": body}, vault.id, deployed=r.deployed)
        if found is not None:
            vault.roles.append(found)
    elif kind == "privateendpointconnections":
        status = string(get(r.props, "privateLinkServiceConnectionState", "status"))
        vault.endpoints.append(PrivateEndpointConnection(id=render_text(r.name), status=status))
    else:  # a Microsoft.Network/privateEndpoints resource
        manual = kind.startswith("manual")
        vault.endpoints.append(
            PrivateEndpointConnection(
                id=render_text(r.name),
                private_endpoint_id=render_text(r.name),
                status=r.deployed
                if isinstance(r.deployed, Unknown)
                else "Pending"
                if manual
                else "Approved",
            )
        )


def _child_name(r: Resource) -> Any:
    return split(render_text(r.name))[-1]


def _action(value: Any) -> LifetimeAction:
    return LifetimeAction(
        action=string(get(value, "action", "type")),
        time_after_create=string(get(value, "trigger", "timeAfterCreate")),
        time_before_expiry=string(get(value, "trigger", "timeBeforeExpiry")),
    )


def _key(r: Resource) -> KeyItem:
    p = r.props
    policy = get(p, "rotationPolicy")
    rotation: RotationPolicy | Unknown | None
    if policy is None or isinstance(policy, Unknown):
        rotation = policy
    else:
        rotation = RotationPolicy(
            lifetime_actions=array(get(policy, "lifetimeActions"), _action),
            expiry_time=string(get(policy, "attributes", "expiryTime")),
        )
    return KeyItem(
        name=_child_name(r),
        enabled=boolean(get(p, "attributes", "enabled")),
        expires=timestamp(get(p, "attributes", "exp")),
        kty=string(get(p, "kty")),
        key_size=integer(get(p, "keySize")),
        curve=string(get(p, "curveName")),
        rotation_policy=rotation,
    )


def _secret(r: Resource) -> SecretItem:
    p = r.props
    return SecretItem(
        name=_child_name(r),
        enabled=boolean(get(p, "attributes", "enabled")),
        expires=timestamp(get(p, "attributes", "exp")),
        content_type=string(get(p, "contentType")),
    )


def config(v: _Vault, path: str, line: int | None) -> VaultConfig:
    r = v.resource
    fields = vault_fields(r.props if isinstance(r.props, (Mapping, Unknown)) else {})
    own = fields.pop("private_endpoint_connections")
    endpoints: tuple[PrivateEndpointConnection, ...] | Unknown
    endpoints = own if isinstance(own, Unknown) else (*own, *v.endpoints)
    return VaultConfig(
        name=render_text(r.name),
        id=v.id,
        source=Source("arm", path, r.pointer, line),
        location=string(unknowns(r.location)),
        private_endpoint_connections=endpoints,
        diagnostic_settings=tuple(v.settings),
        alert_rules=tuple(v.alerts),
        role_assignments=tuple(v.roles),
        keys=tuple(v.keys),
        secrets=tuple(v.secrets),
        certificates=(),
        **fields,
    )
