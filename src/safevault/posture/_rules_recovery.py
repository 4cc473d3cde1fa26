"""Rules on getting deleted objects back: KV-REC (soft delete, purge protection, retention)."""

from __future__ import annotations

from safevault.posture._findings import Outcome, Severity
from safevault.posture._model import VaultConfig
from safevault.posture._options import PostureOptions
from safevault.posture._refs import ap, checkov, cis, learn
from safevault.posture._rule import fail, na, ok, rule, unknown
from safevault.posture._values import Unknown

__all__: list[str] = []

_SOFT_DELETE_DOC = learn("Soft delete overview", "general/soft-delete-overview")


@rule(
    id="KV-REC-01",
    name="SoftDeleteNotDisabled",
    title="Soft delete not switched off",
    severity=Severity.MEDIUM,
    reads="properties.enableSoftDelete",
    passes_when=(
        "not explicitly false (soft delete can no longer be disabled on Azure; a template that "
        "sets false is a mistake that fails deployment)"
    ),
    rationale=(
        "Soft delete keeps deleted vaults and objects recoverable for the retention period. "
        "It is on by default and cannot be turned off any more; an explicit false is a stale "
        "template that will fail to deploy."
    ),
    remediation="az keyvault update --name {vault} --enable-soft-delete true",
    template_fix='"enableSoftDelete": true  (or leave it out)',
    references=(ap("1e66c121"), checkov("CKV_AZURE_111"), _SOFT_DELETE_DOC),
)
def soft_delete_on(vault: VaultConfig, options: PostureOptions) -> Outcome:
    value = vault.enable_soft_delete
    if isinstance(value, Unknown):
        return unknown(f"enableSoftDelete is {value}")
    if value is False:
        return fail("enableSoftDelete is false")
    return ok("enableSoftDelete is true" if value else "enableSoftDelete is not set (on)")


@rule(
    id="KV-REC-02",
    name="PurgeProtectionEnabled",
    title="Purge protection on",
    severity=Severity.HIGH,
    reads="properties.enablePurgeProtection",
    passes_when="`enablePurgeProtection` is true",
    rationale=(
        "Without purge protection anyone with purge permission can destroy a soft-deleted "
        "vault or key for good before the retention period ends, which turns a compromise or "
        "a mistake into permanent data loss (and breaks CMK-encrypted services)."
    ),
    remediation="az keyvault update --name {vault} --enable-purge-protection true",
    template_fix='"enablePurgeProtection": true',
    references=(
        cis("8.3.5"),
        ap("0b60c0b2"),
        checkov("CKV_AZURE_110 / CKV_AZURE_42"),
        _SOFT_DELETE_DOC,
    ),
)
def purge_protection_on(vault: VaultConfig, options: PostureOptions) -> Outcome:
    value = vault.enable_purge_protection
    if isinstance(value, Unknown):
        return unknown(f"enablePurgeProtection is {value}")
    if value:
        return ok("enablePurgeProtection is true")
    return fail(
        "enablePurgeProtection is false" if value is False else "enablePurgeProtection is not set"
    )


@rule(
    id="KV-REC-03",
    name="SoftDeleteRetentionLongEnough",
    title="Soft-delete retention long enough",
    severity=Severity.LOW,
    reads="properties.softDeleteRetentionInDays",
    passes_when=">= 90 days (configurable; the valid range is 7-90, default 90)",
    rationale=(
        "The retention period is how long a deletion can be noticed and undone; it is fixed "
        "when the vault is created and cannot be changed afterwards."
    ),
    remediation=(
        "set at creation: az keyvault create --name {vault} --retention-days 90 "
        "(it cannot be changed on an existing vault)"
    ),
    template_fix='"softDeleteRetentionInDays": 90',
    references=(_SOFT_DELETE_DOC,),
)
def retention_long_enough(vault: VaultConfig, options: PostureOptions) -> Outcome:
    if vault.enable_soft_delete is False:
        return na("soft delete is switched off (see KV-REC-01)")
    days = vault.soft_delete_retention_in_days
    if isinstance(days, Unknown):
        return unknown(f"softDeleteRetentionInDays is {days}")
    if days is None:
        return ok("softDeleteRetentionInDays is not set (90)")
    if days >= options.min_retention_days:
        return ok(f"softDeleteRetentionInDays is {days}")
    return fail(f"softDeleteRetentionInDays is {days} (< {options.min_retention_days})")
