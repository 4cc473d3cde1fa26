"""``load_az_json``: a vault from ``az keyvault show`` output, plus optional extras.

The extras are the outputs of ``az monitor diagnostic-settings list --resource <vault id>``,
``az role assignment list --scope <vault id> --include-inherited`` and
``az monitor metrics alert list`` / ``az monitor activity-log alert list``. Without an
extra, the rules that need it give UNKNOWN (``az keyvault show`` alone does not say).
Keys, secrets and certificates are not in ``az`` output: the KV-OBJ rules give UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from safevault.posture._errors import PostureInputError
from safevault.posture._extras import alert_covers, alert_rule, diagnostic_setting, role_assignment
from safevault.posture._json import read_json
from safevault.posture._model import Source, VaultConfig
from safevault.posture._shapes import (
    VAULT_FIELDS,
    get,
    properties_of,
    string,
    vault_fields,
)
from safevault.posture._values import Unknown

__all__ = ["Kind", "classify", "load_az_json", "vault_from_document"]

Kind = Literal["template", "vaults", "diagnostics", "roles", "alerts", "parameters"]

_NO_OBJECTS = Unknown(
    "az keyvault show does not list keys, secrets or certificates: audit the live vault "
    "(--subscription/--resource-group/--name) to check them"
)


def _items(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping) and isinstance(data.get("value"), list) and len(data) <= 2:
        return list(data["value"])
    return None


def _item_kind(item: Any) -> Kind | None:
    if not isinstance(item, Mapping):
        return None
    rtype = str(get(item, "type") or "").lower()
    ident = str(get(item, "id") or "").lower()
    body = get(item, "properties") if isinstance(get(item, "properties"), Mapping) else item
    if rtype == "microsoft.keyvault/vaults":
        return "vaults"
    if rtype.endswith("diagnosticsettings") or "/diagnosticsettings/" in ident:
        return "diagnostics"
    if rtype.endswith(("metricalerts", "activitylogalerts")):
        return "alerts"
    if rtype.endswith("roleassignments") or (
        get(body, "roleDefinitionId") is not None and get(body, "principalId") is not None
    ):
        return "roles"
    if get(body, "logs") is not None or get(body, "metrics") is not None:
        return "diagnostics"
    return None


def classify(data: Any, path: str | Path) -> Kind:
    """What a JSON document is: an ARM template, vaults, diagnostic settings, role
    assignments or alert rules.

    :raises PostureInputError: none of those (or an empty list, which could be any).
    """
    if isinstance(data, Mapping):
        schema = str(data.get("$schema", "")).lower()
        if "deploymentparameters" in schema:
            return "parameters"
        if "resources" in data and ("deploymenttemplate" in schema or "contentVersion" in data):
            return "template"
        if _item_kind(data) == "vaults":
            return "vaults"
    items = _items(data)
    if items is not None:
        if not items:
            raise PostureInputError(
                f"{path}: an empty list; pass it with --diagnostics, --role-assignments or "
                "--alerts to say what it is"
            )
        kinds = {_item_kind(i) for i in items}
        if len(kinds) == 1 and None not in kinds:
            return kinds.pop()  # type: ignore[return-value]
    raise PostureInputError(
        f"{path}: not an ARM template, az keyvault show output, or a diagnostic-settings, "
        "role-assignment or alert list"
    )


def _vault_docs(data: Any, path: str | Path) -> list[Mapping[str, Any]]:
    if isinstance(data, Mapping):
        return [data]
    items = _items(data)
    if items is None or not all(isinstance(i, Mapping) for i in items):
        raise PostureInputError(f"{path}: not az keyvault show output (expected a JSON object)")
    return list(items)


def _extra(data: Any, path: str | Path, what: str) -> list[Any]:
    items = _items(data)
    if items is None:
        raise PostureInputError(f"{path}: not a list of {what}")
    return items


def vault_from_document(
    doc: Mapping[str, Any],
    source: Source,
    *,
    diagnostics: Sequence[Any] | Unknown,
    role_assignments: Sequence[Any] | Unknown,
    alerts: Sequence[tuple[str, Any]] | Unknown,
    role_definitions: Mapping[str, Any] | None = None,
    keys: Any = _NO_OBJECTS,
    secrets: Any = _NO_OBJECTS,
    certificates: Any = _NO_OBJECTS,
) -> VaultConfig:
    """A VaultConfig from REST/``az`` vault JSON and the (already read) extras."""
    name = string(get(doc, "name"))
    vault_id = string(get(doc, "id"))
    if not isinstance(name, str):
        name = vault_id.rstrip("/").rsplit("/", 1)[-1] if isinstance(vault_id, str) else "(unnamed)"
    ident = vault_id if isinstance(vault_id, str) else f"Microsoft.KeyVault/vaults/{name}"
    props = properties_of(doc, VAULT_FIELDS)
    settings = (
        diagnostics
        if isinstance(diagnostics, Unknown)
        else tuple(diagnostic_setting(d) for d in diagnostics if _belongs(d, ident))
    )
    roles = (
        role_assignments
        if isinstance(role_assignments, Unknown)
        else tuple(
            r
            for r in (
                role_assignment(item, ident, definitions=role_definitions)
                for item in role_assignments
            )
            if r is not None
        )
    )
    rules = (
        alerts
        if isinstance(alerts, Unknown)
        else tuple(alert_rule(a, kind) for kind, a in alerts if alert_covers(a, ident))
    )
    return VaultConfig(
        name=name,
        id=vault_id,
        source=source,
        location=string(get(doc, "location")),
        diagnostic_settings=settings,
        role_assignments=roles,
        alert_rules=rules,
        keys=keys,
        secrets=secrets,
        certificates=certificates,
        **vault_fields(props),
    )


def _belongs(setting: Any, vault_id: str) -> bool:
    """A diagnostic setting's id is ``<vault id>/providers/microsoft.insights/...``; one
    without an id (hand-made input) is taken as the vault's."""
    ident = get(setting, "id")
    if not isinstance(ident, str) or "/providers/" not in ident.lower():
        return True
    return ident.lower().startswith(vault_id.lower().rstrip("/") + "/providers/")


def _not_given(what: str, command: str) -> Unknown:
    return Unknown(f"{what} not given (pass the output of `{command}`)")


def load_az_json(
    path: str | Path,
    *,
    diagnostics: str | Path | None = None,
    role_assignments: str | Path | None = None,
    alerts: str | Path | Sequence[str | Path] | None = None,
) -> VaultConfig:
    """A vault from ``az keyvault show`` output.

    Shape tolerant: string booleans, ``ipRules`` as strings or ``{value}`` objects, nested or
    flattened private endpoint connections, a missing ``properties`` block (every value
    UNKNOWN), REST ``{"value": [...]}`` lists as well as ``az`` lists.

    :param path: the ``az keyvault show`` output.
    :keyword diagnostics: ``az monitor diagnostic-settings list --resource <vault id>`` output.
    :keyword role_assignments: ``az role assignment list --scope <vault id>
        --include-inherited`` output.
    :keyword alerts: ``az monitor metrics alert list`` and/or ``az monitor activity-log
        alert list`` output (one path or several).
    :returns: the vault's configuration.
    :raises PostureInputError: a file cannot be read, is not JSON, or has the wrong shape.
    """
    data, _ = read_json(path)
    docs = _vault_docs(data, path)
    if len(docs) != 1 or _item_kind(docs[0]) not in ("vaults", None):
        raise PostureInputError(f"{path}: expected the output of az keyvault show for one vault")
    diag: Sequence[Any] | Unknown = _not_given(
        "diagnostic settings", "az monitor diagnostic-settings list --resource <vault id>"
    )
    if diagnostics is not None:
        diag = _extra(read_json(diagnostics)[0], diagnostics, "diagnostic settings")
    roles: Sequence[Any] | Unknown = _not_given(
        "role assignments", "az role assignment list --scope <vault id> --include-inherited"
    )
    if role_assignments is not None:
        roles = _extra(read_json(role_assignments)[0], role_assignments, "role assignments")
    rules: Sequence[tuple[str, Any]] | Unknown = _not_given(
        "alert rules", "az monitor metrics alert list"
    )
    if alerts is not None:
        paths = [alerts] if isinstance(alerts, (str, Path)) else list(alerts)
        rules = [
            (alert_kind(item), item)
            for p in paths
            for item in _extra(read_json(p)[0], p, "alert rules")
        ]
    return vault_from_document(
        docs[0],
        Source("az", str(path)),
        diagnostics=diag,
        role_assignments=roles,
        alerts=rules,
    )


def alert_kind(item: Any) -> str:
    """``metric`` or ``activityLog`` from an alert rule's type (or its shape)."""
    rtype = str(get(item, "type") or "").lower()
    if rtype.endswith("activitylogalerts"):
        return "activityLog"
    if rtype.endswith("metricalerts"):
        return "metric"
    body = get(item, "properties")
    return (
        "activityLog" if get(body if isinstance(body, Mapping) else item, "condition") else "metric"
    )
