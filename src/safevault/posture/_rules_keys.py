"""Rules on keys alone: KV-OBJ-04 (rotation), KV-OBJ-05 (HSM) and KV-OBJ-09 (strength)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from safevault.posture._findings import Outcome, Severity
from safevault.posture._model import KeyItem, VaultConfig
from safevault.posture._options import PostureOptions
from safevault.posture._refs import ap, checkov, cis, learn, prowler
from safevault.posture._rule import rule
from safevault.posture._rules_objects import Item, Problem, judge
from safevault.posture._values import Unknown, iso_duration

__all__: list[str] = []

_ROTATION_DOC = learn("Configure key auto-rotation", "keys/how-to-configure-key-rotation")


def _rotation_period(key: KeyItem) -> timedelta | Unknown | str:
    policy = key.rotation_policy
    if isinstance(policy, Unknown):
        return policy
    if policy is None:
        return "no rotation policy"
    actions = policy.lifetime_actions
    if isinstance(actions, Unknown):
        return actions
    periods: list[timedelta] = []
    unsure: Unknown | None = None
    for action in actions:
        if isinstance(action.action, Unknown):
            unsure = unsure or action.action
            continue
        if (action.action or "").lower() != "rotate":
            continue
        period = _trigger_period(
            action.time_after_create, action.time_before_expiry, policy.expiry_time
        )
        if isinstance(period, Unknown):
            unsure = unsure or period
        else:
            periods.append(period)
    if periods:
        return min(periods)
    return unsure if unsure is not None else "no Rotate lifetime action"


def _trigger_period(after: Any, before: Any, expiry: Any) -> timedelta | Unknown:
    for value in (after, before, expiry):
        if isinstance(value, Unknown):
            return value
    if isinstance(after, str):
        return iso_duration(after) or Unknown(f"timeAfterCreate {after!r} is not a duration")
    if isinstance(before, str) and isinstance(expiry, str):
        life, lead = iso_duration(expiry), iso_duration(before)
        if life is None or lead is None:
            return Unknown("the rotation policy's durations are malformed")
        return life - lead
    return Unknown("the Rotate action fires before expiry but the policy sets no expiryTime")


@rule(
    id="KV-OBJ-04",
    name="KeysRotateAutomatically",
    title="Keys rotate automatically",
    severity=Severity.MEDIUM,
    reads="key rotationPolicy.lifetimeActions[], rotationPolicy.attributes.expiryTime",
    passes_when=(
        "a `Rotate` action (case-insensitive) that fires within the configured period "
        "(365 days by default) after creation"
    ),
    rationale=(
        "Automatic rotation makes a new key version on a schedule without a human in the "
        "loop; services that reference the versionless key id pick it up."
    ),
    remediation=(
        "az keyvault key rotation-policy update --vault-name {vault} --name <key> --value "
        '\'{"lifetimeActions":[{"trigger":{"timeAfterCreate":"P90D"},"action":{"type":"Rotate"}}],'
        '"attributes":{"expiryTime":"P1Y"}}\''
    ),
    template_fix=(
        '"rotationPolicy": { "attributes": { "expiryTime": "P1Y" }, "lifetimeActions": '
        '[ { "trigger": { "timeAfterCreate": "P90D" }, "action": { "type": "rotate" } } ] }'
    ),
    references=(
        cis("8.3.9"),
        ap("d8cf8476"),
        prowler("keyvault_key_rotation_enabled"),
        _ROTATION_DOC,
    ),
)
def keys_rotate(vault: VaultConfig, options: PostureOptions) -> Outcome:
    limit = timedelta(days=options.max_rotation_days)

    def problem(item: Item) -> Problem:
        assert isinstance(item, KeyItem)
        period = _rotation_period(item)
        if isinstance(period, (str, Unknown)):
            return period
        if period > limit:
            return f"rotates after {period.days} days (> {options.max_rotation_days})"
        return None

    return judge(vault.keys, "keys", problem, "all rotating automatically")


def _hsm(item: Item) -> Problem:
    assert isinstance(item, KeyItem)
    kty = item.kty
    if isinstance(kty, Unknown):
        return kty
    if kty is None:
        return Unknown("the key type is not given")
    return None if kty.upper().endswith("-HSM") else f"{kty} is software-protected"


@rule(
    id="KV-OBJ-05",
    name="KeysHsmBacked",
    title="Keys are HSM-backed",
    severity=Severity.LOW,
    reads="key kty",
    passes_when="`RSA-HSM` / `EC-HSM` (premium SKU)",
    rationale=(
        "HSM-protected keys never leave the FIPS 140 validated hardware boundary; "
        "software-protected keys are processed in software."
    ),
    remediation=(
        "az keyvault key create --vault-name {vault} --name <key> --kty RSA-HSM (premium vault)"
    ),
    template_fix='"kty": "RSA-HSM"  (and "sku": { "name": "premium" })',
    references=(ap("587c79fe"), checkov("CKV_AZURE_112")),
)
def keys_hsm(vault: VaultConfig, options: PostureOptions) -> Outcome:
    return judge(vault.keys, "keys", _hsm, "all HSM-backed")


def _strength(options: PostureOptions) -> Callable[[Item], Problem]:
    curves = {c.upper() for c in options.allowed_curves}

    def problem(item: Item) -> Problem:
        assert isinstance(item, KeyItem)
        kty, size, curve = item.kty, item.key_size, item.curve
        if isinstance(kty, Unknown):
            return kty
        family = (kty or "").upper().removesuffix("-HSM")
        if family == "RSA":
            if isinstance(size, Unknown):
                return size
            bits = 2048 if size is None else size
            return (
                f"RSA {bits} bits (< {options.min_rsa_key_size})"
                if bits < options.min_rsa_key_size
                else None
            )
        if family == "EC":
            if isinstance(curve, Unknown):
                return curve
            name = "P-256" if curve is None else curve
            return None if name.upper() in curves else f"curve {name} is not allowed"
        if family == "OCT":
            return None
        return Unknown("the key type is not given")

    return problem


@rule(
    id="KV-OBJ-09",
    name="KeyStrength",
    title="Key strength",
    severity=Severity.LOW,
    reads="key kty, keySize, curveName",
    passes_when="RSA >= 2048 bits, EC on P-256/P-384/P-521 (configurable)",
    rationale="Short RSA keys and non-standard curves (P-256K) fall short of current guidance.",
    remediation=(
        "az keyvault key create --vault-name {vault} --name <key> --kty RSA-HSM --size 3072"
    ),
    template_fix='"kty": "RSA-HSM", "keySize": 3072  (or "kty": "EC-HSM", "curveName": "P-384")',
    references=(ap("82067dbb"), ap("ff25f3c8")),
)
def key_strength(vault: VaultConfig, options: PostureOptions) -> Outcome:
    return judge(vault.keys, "keys", _strength(options), "all of sufficient strength")
