"""``load_arm``: every Key Vault in an ARM template, with what the template links to it.

Linked to a vault: its keys and secrets (nested ``resources``, or top-level
``Microsoft.KeyVault/vaults/keys|secrets`` named ``vault/child``), diagnostic settings
(``scope`` at the vault, nested, or the ``vaults/providers/diagnosticSettings`` type), alert
rules whose scopes cover it, role assignments at a scope covering it, and private endpoints
connected to it. Inline nested deployments are walked too. A template is the whole
deployment: what it does not declare is taken as absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from safevault.posture._arm_expr import SUBSCRIPTION, Evaluator, Unresolved, render_text
from safevault.posture._arm_link import RG_SCOPE, Resource, config, link, split, unknowns
from safevault.posture._errors import PostureInputError
from safevault.posture._json import read_json
from safevault.posture._model import VaultConfig
from safevault.posture._shapes import get
from safevault.posture._values import Unknown

__all__ = ["load_arm"]

_VAULT_TYPE_RE = re.compile(r'"type"\s*:\s*"microsoft\.keyvault/vaults"', re.IGNORECASE)


class _Walker:
    def __init__(self, evaluator: Evaluator) -> None:
        self.resources: list[Resource] = []
        self.evaluator = evaluator

    def walk(self, template: Mapping[str, Any], evaluator: Evaluator, pointer: str) -> None:
        resources = template.get("resources", [])
        items: Iterator[tuple[str, Any]]
        if isinstance(resources, Mapping):  # languageVersion 2.0: symbolic names
            items = ((f"{pointer}/resources/{k}", v) for k, v in resources.items())
        elif isinstance(resources, list):
            items = ((f"{pointer}/resources/{i}", v) for i, v in enumerate(resources))
        else:
            return
        for where, resource in items:
            if isinstance(resource, Mapping):
                self.resource(resource, evaluator, where, None)

    def resource(
        self, raw: Mapping[str, Any], ev: Evaluator, pointer: str, parent: Resource | None
    ) -> None:
        if raw.get("existing") is True:
            return
        condition = ev.value(raw["condition"]) if "condition" in raw else True
        if condition is False:
            return
        deployed: bool | Unknown = (
            True
            if condition is True
            else Unknown(f"its condition {render_text(condition)} is not evaluated")
        )
        if parent is not None and parent.deployed is not True:
            deployed = parent.deployed
        rtype = str(raw.get("type", ""))
        name = ev.value(raw.get("name", ""))
        full_type = rtype.lower()
        if parent is not None and "." not in rtype.split("/")[0]:
            full_type = f"{parent.type}/{rtype.lower()}"
        if parent is not None and isinstance(parent.name, (str, Unresolved)):
            expected = full_type.count("/")
            if len(split(render_text(name))) < expected:
                name = _join(parent.name, name)
        props = (
            dict(raw.get("properties") or {}) if isinstance(raw.get("properties"), Mapping) else {}
        )
        if full_type.endswith("/secrets"):
            props.pop("value", None)  # never evaluate or keep a secret's value
        if full_type == "microsoft.resources/deployments":
            self.deployment(props, ev, pointer)
            return
        evaluated = ev.value(props)
        node = Resource(
            type=full_type,
            name=name,
            props=unknowns(evaluated),
            evaluated=evaluated,
            scope=ev.value(raw["scope"]) if "scope" in raw else None,
            deployed=deployed,
            pointer=pointer,
            location=ev.value(raw.get("location")),
            parent=parent,
        )
        self.resources.append(node)
        children = raw.get("resources")
        if isinstance(children, list):
            for index, child in enumerate(children):
                if isinstance(child, Mapping):
                    self.resource(child, ev, f"{pointer}/resources/{index}", node)

    def deployment(self, props: Mapping[str, Any], outer: Evaluator, pointer: str) -> None:
        template = props.get("template")
        if not isinstance(template, Mapping):
            return  # a linked template (templateLink) is not followed
        inner_scope = str(get(props, "expressionEvaluationOptions", "scope") or "").lower()
        if inner_scope == "inner":
            given = props.get("parameters") or {}
            values = {
                k: outer.value(v.get("value"))
                for k, v in given.items()
                if isinstance(v, Mapping) and "value" in v
            }
            evaluator = Evaluator(template.get("parameters"), template.get("variables"), values)
        else:
            evaluator = outer
        self.walk(template, evaluator, f"{pointer}/properties/template")


def _join(parent: Any, child: Any) -> Any:
    if isinstance(parent, str) and isinstance(child, str):
        return f"{parent}/{child}"
    return Unresolved(
        f"{render_text(parent)}/{render_text(child)}",
        next(x.reason for x in (parent, child) if isinstance(x, Unresolved)),
        composite=True,
    )


def _parameter_values(parameters: Mapping[str, Any] | str | Path | None) -> dict[str, Any]:
    if parameters is None:
        return {}
    if isinstance(parameters, Mapping):
        return dict(parameters)
    data, _ = read_json(parameters)
    block = data.get("parameters") if isinstance(data, Mapping) else None
    if not isinstance(block, Mapping):
        raise PostureInputError(f"{parameters}: not an ARM parameters file (no 'parameters')")
    return {k: v.get("value") for k, v in block.items() if isinstance(v, Mapping) and "value" in v}


def load_arm(
    path: str | Path, *, parameters: Mapping[str, Any] | str | Path | None = None
) -> list[VaultConfig]:
    """Every ``Microsoft.KeyVault/vaults`` resource of an ARM template, normalized.

    Parameters resolve to the values given, else their defaults; variables, ``concat``,
    ``format``, ``resourceId`` and friends are evaluated over literals; anything else stays
    unresolved and the rules that need it give UNKNOWN.

    :param path: the template (JSON, as ``az bicep build`` writes it).
    :keyword parameters: parameter values, or the path of a ``*.parameters.json`` file.
    :returns: one configuration per vault, in template order (empty if there is none).
    :raises PostureInputError: the file cannot be read, is not JSON, or is not a template.
    """
    data, text = read_json(path)
    if not isinstance(data, Mapping) or "resources" not in data:
        raise PostureInputError(f"{path}: not an ARM template (no 'resources')")
    values = _parameter_values(parameters)
    evaluator = Evaluator(data.get("parameters"), data.get("variables"), values)
    walker = _Walker(evaluator)
    walker.walk(data, evaluator, "")
    default_scope = RG_SCOPE
    if "subscriptiondeploymenttemplate" in str(data.get("$schema", "")).lower():
        default_scope = f"/subscriptions/{SUBSCRIPTION}"
    vaults = link(walker.resources, default_scope)
    lines = [text.count("\n", 0, m.start()) + 1 for m in _VAULT_TYPE_RE.finditer(text)]
    if len(lines) != len(vaults):
        lines = [0] * len(vaults)
    return [config(v, str(path), line or None) for v, line in zip(vaults, lines)]
