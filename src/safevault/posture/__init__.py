"""Posture checks of a Key Vault's management plane: RBAC, access policies, network,
recovery, logging and the vault's contents.

::

    from safevault.posture import load_arm, load_az_json, fetch, check, PostureOptions

    configs = load_arm("template.json")        # every vault in an ARM template
    config = load_az_json("show.json")         # `az keyvault show` output (+ extras)
    config = fetch(credential, subscription_id, resource_group, vault_name)   # live
    report = check(configs, PostureOptions())
    print(report.to_table())                   # or report.to_json() / report.to_sarif()

Verdicts are PASS, FAIL, UNKNOWN (a value is an unresolved template expression or could not
be read: never a false FAIL) and NOT_APPLICABLE. ``RULES`` holds every rule's metadata.
``fetch`` needs the extra ``safevault[posture]``; the rest needs nothing beyond safevault.
"""

from safevault.posture._arm import load_arm
from safevault.posture._az import load_az_json
from safevault.posture._check import check
from safevault.posture._errors import PostureInputError
from safevault.posture._findings import Finding, Outcome, Reference, Severity, Verdict
from safevault.posture._live import fetch
from safevault.posture._model import (
    AccessPolicy,
    AlertRule,
    CertificateItem,
    DiagnosticSetting,
    KeyItem,
    LifetimeAction,
    LogSetting,
    MetricSetting,
    NetworkAcls,
    PrivateEndpointConnection,
    RoleAssignment,
    RotationPolicy,
    SecretItem,
    Source,
    VaultConfig,
    VirtualNetworkRule,
)
from safevault.posture._options import PostureOptions, Suppression
from safevault.posture._registry import RULES
from safevault.posture._report import Report
from safevault.posture._rule import Rule
from safevault.posture._values import Unknown

__all__ = [
    "RULES",
    "AccessPolicy",
    "AlertRule",
    "CertificateItem",
    "DiagnosticSetting",
    "Finding",
    "KeyItem",
    "LifetimeAction",
    "LogSetting",
    "MetricSetting",
    "NetworkAcls",
    "Outcome",
    "PostureInputError",
    "PostureOptions",
    "PrivateEndpointConnection",
    "Reference",
    "Report",
    "RoleAssignment",
    "RotationPolicy",
    "Rule",
    "SecretItem",
    "Severity",
    "Source",
    "Suppression",
    "Unknown",
    "VaultConfig",
    "Verdict",
    "VirtualNetworkRule",
    "check",
    "fetch",
    "load_arm",
    "load_az_json",
]
