"""Certificate policies: Azure's defaults, validation and the merge of a policy update.

Pure functions over the policy's JSON (``key_props``, ``secret_props``, ``x509_props``,
``issuer``, ``lifetime_actions``, ``attributes``). Everything Key Vault refuses raises
:class:`PolicyError` (answered as 400 BadParameter):

- a key type other than RSA, RSA-HSM, EC, EC-HSM; an RSA size other than 2048/3072/4096; an
  unknown curve;
- a content type other than ``application/x-pkcs12`` / ``application/x-pem-file``;
- no subject and no subject alternative name; a subject that is not an X.500 name;
- ``validity_months`` outside 1..1200;
- a lifetime action whose trigger is not exactly one of ``lifetime_percentage`` (1..99) and
  ``days_before_expiry`` (positive, shorter than the validity), or whose action is not
  AutoRenew / EmailContacts (case-insensitive, answered in Azure's casing);
- no issuer name.

Defaults filled in when the request leaves them out (what the service shows on GET):
RSA 2048, exportable, no key reuse; PKCS#12; 12 months; key usage digitalSignature +
keyEncipherment for RSA and digitalSignature for EC; EKUs server and client authentication;
one lifetime action at 80% -- AutoRenew for the Self issuer, EmailContacts for others.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ._cert_x509 import KEY_USAGES, PEM, PKCS12, SubjectError, parse_subject
from ._key_crypto import CURVES, RSA_KEY_SIZES

__all__ = ["PolicyError", "merge_policy", "normalize_policy", "renewal_due"]

_KEY_TYPES = ("RSA", "RSA-HSM", "EC", "EC-HSM")
_ACTIONS = {"autorenew": "AutoRenew", "emailcontacts": "EmailContacts"}
_DEFAULT_EKUS = ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]
_SECTIONS = ("key_props", "secret_props", "x509_props", "issuer", "attributes")


class PolicyError(ValueError):
    """A policy Key Vault refuses (400 BadParameter)."""


def _section(policy: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = policy.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PolicyError(f"'{name}' must be a JSON object.")
    return {k: v for k, v in value.items() if v is not None}


def _strings(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"'{field}' must be a list of strings.")
    return list(value)


def _key_props(raw: dict[str, Any]) -> dict[str, Any]:
    kty = raw.get("kty", "RSA")
    if kty not in _KEY_TYPES:
        raise PolicyError(f"The key type '{kty}' is not supported for certificates.")
    out: dict[str, Any] = {"exportable": raw.get("exportable", True), "kty": kty}
    if kty.startswith("RSA"):
        size = raw.get("key_size", 2048)
        if size not in RSA_KEY_SIZES:
            raise PolicyError(f"The RSA key size {size} is not supported.")
        out["key_size"] = size
    else:
        curve = raw.get("crv", "P-256")
        if curve not in CURVES:
            raise PolicyError(f"The curve '{curve}' is not supported.")
        out["crv"] = curve
    out["reuse_key"] = raw.get("reuse_key", False)
    for flag in ("exportable", "reuse_key"):
        if not isinstance(out[flag], bool):
            raise PolicyError(f"'{flag}' must be a boolean.")
    return out


def _x509_props(raw: dict[str, Any], kty: str) -> dict[str, Any]:
    subject = raw.get("subject") or ""
    if not isinstance(subject, str):
        raise PolicyError("'subject' must be a string.")
    sans_raw = raw.get("sans") or {}
    if not isinstance(sans_raw, Mapping):
        raise PolicyError("'sans' must be a JSON object.")
    sans = {
        field: _strings(sans_raw.get(field), field)
        for field in ("emails", "dns_names", "upns", "ipAddresses", "uris")
        if sans_raw.get(field)
    }
    if not subject and not any(sans.values()):
        raise PolicyError("The policy needs a subject or at least one subject alternative name.")
    if subject:
        try:
            parse_subject(subject)
        except SubjectError as exc:
            raise PolicyError(str(exc)) from None
    months = raw.get("validity_months", 12)
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 1200:
        raise PolicyError("'validity_months' must be between 1 and 1200.")
    default_usage = ["digitalSignature", "keyEncipherment"] if kty.startswith("RSA") else None
    key_usage = _strings(raw.get("key_usage"), "key_usage") or default_usage or ["digitalSignature"]
    for usage in key_usage:
        if usage not in KEY_USAGES:
            raise PolicyError(f"The key usage '{usage}' is not valid.")
    out: dict[str, Any] = {"subject": subject}
    if sans:
        out["sans"] = sans
    out["ekus"] = _strings(raw.get("ekus"), "ekus") or list(_DEFAULT_EKUS)
    out["key_usage"] = key_usage
    out["validity_months"] = months
    out["basic_constraints"] = {"ca": False}
    return out


def _lifetime_actions(raw: Any, issuer: str, months: int) -> list[dict[str, Any]]:
    if raw is None:
        default = "AutoRenew" if issuer.lower() == "self" else "EmailContacts"
        return [{"trigger": {"lifetime_percentage": 80}, "action": {"action_type": default}}]
    if not isinstance(raw, list):
        raise PolicyError("'lifetime_actions' must be a list.")
    out = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise PolicyError("Each lifetime action must be a JSON object.")
        trigger = {k: v for k, v in (item.get("trigger") or {}).items() if v is not None}
        action_type = (item.get("action") or {}).get("action_type")
        action = _ACTIONS.get(action_type.lower()) if isinstance(action_type, str) else None
        if action is None:
            raise PolicyError("A lifetime action must be AutoRenew or EmailContacts.")
        if len(trigger) != 1 or not set(trigger) <= {"lifetime_percentage", "days_before_expiry"}:
            raise PolicyError(
                "A trigger needs exactly one of lifetime_percentage and days_before_expiry."
            )
        ((field, value),) = trigger.items()
        if isinstance(value, bool) or not isinstance(value, int):
            raise PolicyError(f"'{field}' must be an integer.")
        if field == "lifetime_percentage" and not 1 <= value <= 99:
            raise PolicyError("'lifetime_percentage' must be between 1 and 99.")
        if field == "days_before_expiry" and not 1 <= value < months * 28:
            raise PolicyError("'days_before_expiry' must be shorter than the validity period.")
        out.append({"trigger": {field: value}, "action": {"action_type": action}})
    return out


def normalize_policy(raw: Any, *, now: int, created: int | None = None) -> dict[str, Any]:
    """A complete, validated policy (without ``id``) from a request's ``policy`` object."""
    if not isinstance(raw, Mapping):
        raise PolicyError("The request needs a certificate policy.")
    issuer = _section(raw, "issuer")
    issuer_name = issuer.get("name")
    if not isinstance(issuer_name, str) or not issuer_name:
        raise PolicyError("The policy needs an issuer name (for example 'Self').")
    key_props = _key_props(_section(raw, "key_props"))
    content_type = _section(raw, "secret_props").get("contentType", PKCS12)
    if content_type not in (PKCS12, PEM):
        raise PolicyError(f"The content type '{content_type}' is not supported.")
    x509_props = _x509_props(_section(raw, "x509_props"), key_props["kty"])
    actions = _lifetime_actions(
        raw.get("lifetime_actions"), issuer_name, x509_props["validity_months"]
    )
    enabled = _section(raw, "attributes").get("enabled", True)
    if not isinstance(enabled, bool):
        raise PolicyError("'enabled' must be a boolean.")
    return {
        "key_props": key_props,
        "secret_props": {"contentType": content_type},
        "x509_props": x509_props,
        "lifetime_actions": actions,
        "issuer": issuer,
        "attributes": {
            "enabled": enabled,
            "created": now if created is None else created,
            "updated": now,
        },
    }


def merge_policy(current: Mapping[str, Any], update: Any, *, now: int) -> dict[str, Any]:
    """``PATCH .../policy``: sections sent replace their fields; lists replace whole."""
    if not isinstance(update, Mapping):
        raise PolicyError("The policy update must be a JSON object.")
    merged = copy.deepcopy(dict(current))
    for name in _SECTIONS:
        section = _section(update, name)
        if section:
            merged[name] = {**merged.get(name, {}), **section}
    sans = _section(update, "x509_props").get("sans")
    if sans is not None:
        merged["x509_props"]["sans"] = dict(sans)
    if update.get("lifetime_actions") is not None:
        merged["lifetime_actions"] = update["lifetime_actions"]
    sent_key_props = _section(update, "key_props")
    if "kty" in sent_key_props:  # the old type's size or curve does not carry over
        merged["key_props"] = {
            k: v
            for k, v in merged["key_props"].items()
            if k not in ("key_size", "crv") or k in sent_key_props
        }
    return normalize_policy(merged, now=now, created=current["attributes"]["created"])


def renewal_due(policy: Mapping[str, Any], *, nbf: int, exp: int) -> int | None:
    """When the Self issuer auto-renews a version valid ``nbf``..``exp``, or None."""
    if policy["issuer"]["name"].lower() != "self":
        return None
    for action in policy["lifetime_actions"]:
        if action["action"]["action_type"] != "AutoRenew":
            continue
        trigger = action["trigger"]
        if "lifetime_percentage" in trigger:
            percentage: int = trigger["lifetime_percentage"]
            return nbf + (exp - nbf) * percentage // 100
        days: int = trigger["days_before_expiry"]
        return exp - days * 86_400
    return None
