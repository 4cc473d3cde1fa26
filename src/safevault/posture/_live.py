"""``fetch``: a live vault's configuration through the Azure SDK (extra ``safevault[posture]``).

Reads the vault (azure-mgmt-keyvault), its diagnostic settings and alert rules
(azure-mgmt-monitor 6.x), the role assignments at and above its scope with the definitions
of roles that are not built in (azure-mgmt-authorization), and from the data plane its keys
(with rotation policies), secrets and certificate policies. Whatever the caller may not read
becomes UNKNOWN with the reason; only the vault itself must be readable.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

from azure.core.credentials import TokenCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from safevault._telemetry import Telemetry
from safevault.errors import InvalidArgumentError, VaultConfigurationError
from safevault.posture._az import vault_from_document
from safevault.posture._model import (
    CertificateItem,
    KeyItem,
    LifetimeAction,
    RotationPolicy,
    SecretItem,
    Source,
    VaultConfig,
)
from safevault.posture._roles import BUILT_IN_ROLES, role_guid
from safevault.posture._shapes import get
from safevault.posture._values import Unknown

__all__ = ["fetch"]

T = TypeVar("T")
_EXTRA = 'the live posture check needs the posture extra: pip install "safevault[posture]"'


def _clients() -> tuple[Any, Any, Any]:
    """The azure-mgmt client classes, imported on first use (extra ``safevault[posture]``)."""
    try:
        keyvault = importlib.import_module("azure.mgmt.keyvault")
        monitor = importlib.import_module("azure.mgmt.monitor")
        authorization = importlib.import_module("azure.mgmt.authorization")
    except ImportError:
        raise VaultConfigurationError(_EXTRA) from None
    return (
        keyvault.KeyVaultManagementClient,
        monitor.MonitorManagementClient,
        authorization.AuthorizationManagementClient,
    )


def _why(error: Exception) -> Unknown:
    """The reason a read failed: status and error code, never the response text."""
    if isinstance(error, HttpResponseError):
        code = getattr(getattr(error, "error", None), "code", None)
        status = error.status_code
        return Unknown(
            f"not readable (HTTP {status}{f' {code}' if code else ''})"
            if status
            else f"not readable ({type(error).__name__})"
        )
    return Unknown(f"not readable ({type(error).__name__})")


def _try(read: Callable[[], T]) -> T | Unknown:
    try:
        return read()
    except HttpResponseError as error:
        return _why(error)


def _serialize(models: Iterable[Any]) -> list[Any]:
    return [m.serialize(keep_readonly=True) if hasattr(m, "serialize") else m for m in models]


def fetch(
    credential: TokenCredential,
    subscription_id: str,
    resource_group: str,
    vault_name: str,
    *,
    data_plane: bool = True,
    alerts: bool = True,
    base_url: str = "https://management.azure.com",
    **kwargs: Any,
) -> VaultConfig:
    """A live vault's configuration, read through the Azure SDK.

    Requires Reader (or ``Microsoft.KeyVault/vaults/read``) on the vault; reading role
    assignments needs ``Microsoft.Authorization/roleAssignments/read``; the data plane needs
    list permission on keys, secrets and certificates (Key Vault Reader under RBAC) and
    ``keys/rotationpolicy/get`` for rotation policies. What cannot be read is UNKNOWN.

    :param credential: an azure-core ``TokenCredential`` (e.g. ``DefaultAzureCredential()``).
    :param subscription_id: the vault's subscription.
    :param resource_group: the vault's resource group.
    :param vault_name: the vault's name.
    :keyword data_plane: read keys, secrets and certificates (default True).
    :keyword alerts: read the subscription's alert rules (default True).
    :keyword base_url: the Resource Manager endpoint (sovereign clouds).
    :keyword kwargs: azure-core pipeline options for every client (``transport``,
        ``retry_total``, ``logging_enable`` ...).
    :returns: the vault's configuration.
    :raises VaultConfigurationError: the ``posture`` extra is not installed.
    :raises ~azure.core.exceptions.HttpResponseError: the vault itself cannot be read
        (``ResourceNotFoundError``, ``ClientAuthenticationError`` ... pass through).
    """
    for label, value in (
        ("subscription_id", subscription_id),
        ("resource_group", resource_group),
        ("vault_name", vault_name),
    ):
        if not isinstance(value, str) or not value.strip():
            raise InvalidArgumentError(f"fetch() needs a non-empty {label}")
    keyvault_client, monitor_client, authorization_client = _clients()
    options = {"base_url": base_url, "credential_scopes": [base_url.rstrip("/") + "/.default"]}
    options.update(kwargs)
    host = urlsplit(base_url).hostname or base_url
    with Telemetry(host).operation("fetch", **{"posture.vault": vault_name}) as op:
        kv = keyvault_client(credential, subscription_id, **options)
        doc = kv.vaults.get(
            resource_group, vault_name, cls=lambda response, *_: response.http_response.json()
        )
        vault_id = str(doc.get("id") or "")
        vault_uri = get(doc, "properties", "vaultUri")
        if isinstance(vault_uri, str):
            op.set("safevault.vault.host", urlsplit(vault_uri).hostname)
        monitor = monitor_client(credential, subscription_id, **options)
        settings = _try(lambda: _serialize(monitor.diagnostic_settings.list(vault_id)))
        rules: list[tuple[str, Any]] | Unknown = Unknown("alert rules were not read (alerts=False)")
        if alerts:
            rules = _try(lambda: _alerts(monitor))
        authorization = authorization_client(credential, subscription_id, **options)
        assignments = _try(
            lambda: _serialize(
                authorization.role_assignments.list_for_scope(vault_id, filter="atScope()")
            )
        )
        definitions = (
            {} if isinstance(assignments, Unknown) else _definitions(authorization, assignments)
        )
        objects: dict[str, Any] = {
            name: Unknown("the data plane was not read (data_plane=False)")
            for name in ("keys", "secrets", "certificates")
        }
        if data_plane and isinstance(vault_uri, str):
            objects = _data_plane(vault_uri, credential, kwargs)
        return vault_from_document(
            doc,
            Source("live"),
            diagnostics=settings,
            role_assignments=assignments,
            alerts=rules,
            role_definitions=definitions,
            **objects,
        )


def _alerts(monitor: Any) -> list[tuple[str, Any]]:
    found = [("metric", m) for m in _serialize(monitor.metric_alerts.list_by_subscription())]
    found += [
        ("activityLog", a)
        for a in _serialize(monitor.activity_log_alerts.list_by_subscription_id())
    ]
    return found


def _definitions(authorization: Any, assignments: list[Any]) -> dict[str, Any]:
    """Definitions of the roles that are not built in, by GUID (unreadable ones left out)."""
    found: dict[str, Any] = {}
    for item in assignments:
        definition_id = get(item, "properties", "roleDefinitionId")
        if not isinstance(definition_id, str):
            continue
        guid = role_guid(definition_id)
        if guid in BUILT_IN_ROLES or guid in found:
            continue
        read = _try(partial(_definition, authorization, definition_id))
        if not isinstance(read, Unknown):
            found[guid] = read
    return found


def _definition(authorization: Any, definition_id: str) -> Any:
    return authorization.role_definitions.get_by_id(definition_id).serialize(keep_readonly=True)


def _data_plane(
    vault_uri: str, credential: TokenCredential, kwargs: dict[str, Any]
) -> dict[str, Any]:
    from azure.keyvault.certificates import CertificateClient
    from azure.keyvault.keys import KeyClient
    from azure.keyvault.secrets import SecretClient

    keys = KeyClient(vault_uri, credential, **kwargs)
    secrets = SecretClient(vault_uri, credential, **kwargs)
    certificates = CertificateClient(vault_uri, credential, **kwargs)
    return {
        "keys": _try(lambda: [_key(keys, p) for p in keys.list_properties_of_keys()]),
        "secrets": _try(lambda: [_secret(p) for p in secrets.list_properties_of_secrets()]),
        "certificates": _try(
            lambda: [
                _certificate(certificates, p)
                for p in certificates.list_properties_of_certificates()
            ]
        ),
    }


def _key(client: Any, props: Any) -> KeyItem:
    managed = bool(props.managed)
    kty: Any = None
    size: Any = None
    curve: Any = None
    rotation: RotationPolicy | Unknown | None = None
    if not managed:
        key = _try(lambda: client.get_key(props.name))
        if isinstance(key, Unknown):
            kty = size = curve = key
        else:
            kty, curve = str(key.key_type) if key.key_type else None, key.key.crv
            modulus = key.key.n
            size = len(modulus) * 8 if modulus else None
            kty = getattr(key.key_type, "value", kty)
            curve = getattr(curve, "value", curve)
        rotation = _rotation(client, props.name)
    return KeyItem(
        name=props.name,
        enabled=props.enabled,
        expires=props.expires_on,
        created=props.created_on,
        kty=kty,
        key_size=size,
        curve=curve,
        rotation_policy=rotation,
        managed=managed,
    )


def _rotation(client: Any, name: str) -> RotationPolicy | Unknown | None:
    try:
        policy = client.get_key_rotation_policy(name)
    except ResourceNotFoundError:
        return None
    except HttpResponseError as error:
        return _why(error)
    actions = tuple(
        LifetimeAction(
            action=str(getattr(a.action, "value", a.action)),
            time_after_create=a.time_after_create,
            time_before_expiry=a.time_before_expiry,
        )
        for a in policy.lifetime_actions or []
    )
    return RotationPolicy(lifetime_actions=actions, expiry_time=policy.expires_in)


def _secret(props: Any) -> SecretItem:
    return SecretItem(
        name=props.name,
        enabled=props.enabled,
        expires=props.expires_on,
        created=props.created_on,
        content_type=props.content_type,
        managed=bool(props.managed),
    )


def _certificate(client: Any, props: Any) -> CertificateItem:
    policy = _try(lambda: client.get_certificate_policy(props.name))
    validity: Any = policy
    actions: tuple[LifetimeAction, ...] | Unknown = policy if isinstance(policy, Unknown) else ()
    if not isinstance(policy, Unknown):
        validity = policy.validity_in_months
        actions = tuple(
            LifetimeAction(
                action=str(getattr(a.action, "value", a.action)),
                days_before_expiry=a.days_before_expiry,
                lifetime_percentage=a.lifetime_percentage,
            )
            for a in policy.lifetime_actions or []
        )
    return CertificateItem(
        name=props.name,
        enabled=props.enabled,
        expires=props.expires_on,
        created=props.created_on,
        validity_in_months=validity,
        lifetime_actions=actions,
    )
