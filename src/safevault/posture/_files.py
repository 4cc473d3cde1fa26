"""``load_files``: what ``safevault audit FILE...`` reads, each file's kind detected."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from safevault.posture._arm import load_arm
from safevault.posture._az import alert_kind, classify, vault_from_document
from safevault.posture._errors import PostureInputError
from safevault.posture._json import read_json
from safevault.posture._model import Source, VaultConfig
from safevault.posture._values import Unknown

__all__ = ["load_files"]


def _listed(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping) and isinstance(data.get("value"), list):
        return list(data["value"])
    return [data]


def load_files(
    paths: Sequence[str | Path],
    *,
    parameters: str | Path | None = None,
    diagnostics: Sequence[str | Path] = (),
    role_assignments: Sequence[str | Path] = (),
    alerts: Sequence[str | Path] = (),
) -> list[VaultConfig]:
    """Every vault in the files: ARM templates and ``az keyvault show`` outputs, with
    ``az`` diagnostic-settings, role-assignment and alert lists among them (detected by
    shape) or named explicitly.

    The extras attach to the ``az`` vaults they name (by resource id and scope); without
    them those vaults' logging and IAM rules give UNKNOWN.

    :raises PostureInputError: a file is unreadable, not JSON, or of no known kind.
    """
    templates: list[str | Path] = []
    vault_docs: list[tuple[Mapping[str, Any], str]] = []
    extras: dict[str, list[Any]] = {"diagnostics": [], "roles": [], "alerts": []}
    given = {"diagnostics": False, "roles": False, "alerts": False}
    for path in paths:
        data, _ = read_json(path)
        kind = classify(data, path)
        if kind == "template":
            templates.append(path)
        elif kind == "parameters":
            raise PostureInputError(f"{path}: an ARM parameters file; pass it with --parameters")
        elif kind == "vaults":
            vault_docs += [(doc, str(path)) for doc in _listed(data)]
        else:
            extras[kind] += _listed(data)
            given[kind] = True
    for kind, named in (
        ("diagnostics", diagnostics),
        ("roles", role_assignments),
        ("alerts", alerts),
    ):
        for path in named:
            data, _ = read_json(path)
            if not isinstance(data, list) and not (
                isinstance(data, Mapping) and isinstance(data.get("value"), list)
            ):
                raise PostureInputError(f"{path}: expected a JSON list")
            extras[kind] += _listed(data)
            given[kind] = True
    if any(given.values()) and not vault_docs:
        raise PostureInputError(
            "diagnostic-settings, role-assignment and alert lists go with az keyvault show "
            "output; none was given"
        )
    configs: list[VaultConfig] = []
    for path in templates:
        configs += load_arm(path, parameters=parameters)
    for doc, path in vault_docs:
        configs.append(
            vault_from_document(
                doc,
                Source("az", path),
                diagnostics=extras["diagnostics"]
                if given["diagnostics"]
                else _missing("diagnostic settings", "--diagnostics"),
                role_assignments=extras["roles"]
                if given["roles"]
                else _missing("role assignments", "--role-assignments"),
                alerts=[(alert_kind(a), a) for a in extras["alerts"]]
                if given["alerts"]
                else _missing("alert rules", "--alerts"),
            )
        )
    return configs


def _missing(what: str, flag: str) -> Unknown:
    return Unknown(f"{what} not given (pass the az output as a FILE or with {flag})")
