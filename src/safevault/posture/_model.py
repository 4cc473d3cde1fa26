"""The normalized vault model: one shape for ARM templates, ``az`` JSON and live reads.

Every field is a :data:`~safevault.posture._values.Maybe`: known, :class:`Unknown` (with the
reason) or ``None`` (absent, Azure's default applies). Collections read from outside the
vault document (diagnostic settings, role assignments, alert rules, keys, secrets,
certificates) are a tuple when known (possibly empty) or :class:`Unknown` when they could not
be read or were not given. Nothing here ever holds a secret's value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from safevault.posture._values import Maybe, Unknown

__all__ = [
    "AccessPolicy",
    "AlertRule",
    "CertificateItem",
    "DiagnosticSetting",
    "KeyItem",
    "LifetimeAction",
    "LogSetting",
    "MetricSetting",
    "NetworkAcls",
    "PrivateEndpointConnection",
    "RoleAssignment",
    "RotationPolicy",
    "SecretItem",
    "Source",
    "VaultConfig",
    "VirtualNetworkRule",
]

SourceKind = Literal["arm", "az", "live"]


@dataclass(frozen=True, slots=True)
class Source:
    """Where a vault's configuration came from (for report locations).

    :ivar kind: ``"arm"``, ``"az"`` or ``"live"``.
    :ivar path: the file read (None for live reads).
    :ivar pointer: a JSON pointer to the vault resource in the file (``/resources/0``).
    :ivar line: the 1-based line of the vault resource in the file, when found.
    """

    kind: SourceKind
    path: str | None = None
    pointer: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """One access policy entry; permission lists are lower-cased."""

    object_id: Maybe[str]
    tenant_id: Maybe[str] = None
    application_id: Maybe[str] = None
    keys: tuple[Maybe[str], ...] | Unknown = ()
    secrets: tuple[Maybe[str], ...] | Unknown = ()
    certificates: tuple[Maybe[str], ...] | Unknown = ()
    storage: tuple[Maybe[str], ...] | Unknown = ()

    def category(self, name: str) -> tuple[Maybe[str], ...] | Unknown:
        """The permissions of one category: ``keys``, ``secrets``, ``certificates``, ``storage``."""
        value: tuple[Maybe[str], ...] | Unknown = getattr(self, name)
        return value


@dataclass(frozen=True, slots=True)
class VirtualNetworkRule:
    """A virtual network (subnet) rule of the vault firewall."""

    id: Maybe[str]
    ignore_missing_vnet_service_endpoint: Maybe[bool] = None


@dataclass(frozen=True, slots=True)
class NetworkAcls:
    """``properties.networkAcls``."""

    default_action: Maybe[str] = None
    bypass: Maybe[str] = None
    ip_rules: tuple[Maybe[str], ...] | Unknown = ()
    virtual_network_rules: tuple[VirtualNetworkRule, ...] | Unknown = ()


@dataclass(frozen=True, slots=True)
class PrivateEndpointConnection:
    """A private endpoint connection and its approval status."""

    id: Maybe[str] = None
    private_endpoint_id: Maybe[str] = None
    status: Maybe[str] = None


@dataclass(frozen=True, slots=True)
class LogSetting:
    """One entry of a diagnostic setting's ``logs``."""

    category: Maybe[str] = None
    category_group: Maybe[str] = None
    enabled: Maybe[bool] = None


@dataclass(frozen=True, slots=True)
class MetricSetting:
    """One entry of a diagnostic setting's ``metrics``."""

    category: Maybe[str] = None
    enabled: Maybe[bool] = None


@dataclass(frozen=True, slots=True)
class DiagnosticSetting:
    """A diagnostic setting scoped to the vault.

    :ivar deployed: ``True``, or :class:`Unknown` when an ARM ``condition`` is unresolved.
    """

    name: Maybe[str]
    workspace_id: Maybe[str] = None
    storage_account_id: Maybe[str] = None
    event_hub_authorization_rule_id: Maybe[str] = None
    logs: tuple[LogSetting, ...] | Unknown = ()
    metrics: tuple[MetricSetting, ...] | Unknown = ()
    deployed: bool | Unknown = True


@dataclass(frozen=True, slots=True)
class AlertRule:
    """A metric or activity-log alert rule whose scopes include the vault."""

    name: Maybe[str]
    kind: Literal["metric", "activityLog"]
    enabled: Maybe[bool] = None
    deployed: bool | Unknown = True


ScopeLevel = Literal["vault", "resourceGroup", "subscription", "managementGroup"]


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    """A role assignment at a scope that covers the vault.

    :ivar role_name: the role's name (built-in names are matched case-insensitively).
    :ivar actions: the role's control-plane actions, when the definition was read
        (custom roles are judged by these).
    """

    principal_id: Maybe[str]
    role_name: Maybe[str]
    scope_level: ScopeLevel | Unknown
    role_definition_id: Maybe[str] = None
    principal_type: Maybe[str] = None
    scope: Maybe[str] = None
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] | None = None
    deployed: bool | Unknown = True


@dataclass(frozen=True, slots=True)
class LifetimeAction:
    """A lifetime action of a key rotation policy or a certificate policy."""

    action: Maybe[str]
    time_after_create: Maybe[str] = None
    time_before_expiry: Maybe[str] = None
    days_before_expiry: Maybe[int] = None
    lifetime_percentage: Maybe[int] = None


@dataclass(frozen=True, slots=True)
class RotationPolicy:
    """A key's rotation policy (``expiry_time``: the ISO 8601 lifetime of new versions)."""

    lifetime_actions: tuple[LifetimeAction, ...] | Unknown = ()
    expiry_time: Maybe[str] = None


@dataclass(frozen=True, slots=True)
class KeyItem:
    """A key: its current version's attributes, type and rotation policy."""

    name: Maybe[str]
    enabled: Maybe[bool] = None
    expires: Maybe[datetime] = None
    created: Maybe[datetime] = None
    kty: Maybe[str] = None
    key_size: Maybe[int] = None
    curve: Maybe[str] = None
    rotation_policy: RotationPolicy | Unknown | None = None
    managed: bool = False


@dataclass(frozen=True, slots=True)
class SecretItem:
    """A secret's attributes (never its value)."""

    name: Maybe[str]
    enabled: Maybe[bool] = None
    expires: Maybe[datetime] = None
    created: Maybe[datetime] = None
    content_type: Maybe[str] = None
    managed: bool = False


@dataclass(frozen=True, slots=True)
class CertificateItem:
    """A certificate's attributes and policy."""

    name: Maybe[str]
    enabled: Maybe[bool] = None
    expires: Maybe[datetime] = None
    created: Maybe[datetime] = None
    validity_in_months: Maybe[int] = None
    lifetime_actions: tuple[LifetimeAction, ...] | Unknown = ()


@dataclass(frozen=True, slots=True)
class VaultConfig:
    """One vault's management-plane configuration, normalized from any source.

    :ivar name: the vault's name (for an unresolved ARM name, its expression text).
    :ivar id: the ARM resource id (in templates, with ``{subscriptionId}`` and
        ``{resourceGroupName}`` placeholders).
    :ivar source: where it was read from.
    """

    name: str
    id: Maybe[str] = None
    source: Source = field(default_factory=lambda: Source("live"))
    location: Maybe[str] = None
    tenant_id: Maybe[str] = None
    sku: Maybe[str] = None
    create_mode: Maybe[str] = None
    enable_rbac_authorization: Maybe[bool] = None
    access_policies: tuple[AccessPolicy, ...] | Unknown = ()
    enabled_for_deployment: Maybe[bool] = None
    enabled_for_template_deployment: Maybe[bool] = None
    enabled_for_disk_encryption: Maybe[bool] = None
    public_network_access: Maybe[str] = None
    network_acls: NetworkAcls | Unknown | None = None
    private_endpoint_connections: tuple[PrivateEndpointConnection, ...] | Unknown = ()
    enable_soft_delete: Maybe[bool] = None
    soft_delete_retention_in_days: Maybe[int] = None
    enable_purge_protection: Maybe[bool] = None
    diagnostic_settings: tuple[DiagnosticSetting, ...] | Unknown = ()
    alert_rules: tuple[AlertRule, ...] | Unknown = ()
    role_assignments: tuple[RoleAssignment, ...] | Unknown = ()
    keys: tuple[KeyItem, ...] | Unknown = ()
    secrets: tuple[SecretItem, ...] | Unknown = ()
    certificates: tuple[CertificateItem, ...] | Unknown = ()
