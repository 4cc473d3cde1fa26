"""Rules on knowing what happened: KV-LOG (diagnostic settings and alert rules).

A template is the whole deployment: a vault with no diagnostic setting in it FAILs, unless
``PostureOptions.external_diagnostics`` says they are deployed elsewhere, which turns those
FAILs into UNKNOWN (for templates only; live reads and ``az`` output show what is there).
"""

from __future__ import annotations

from collections.abc import Callable

from safevault.posture._findings import Outcome, Severity
from safevault.posture._model import DiagnosticSetting, VaultConfig
from safevault.posture._options import PostureOptions
from safevault.posture._refs import ap, cis, learn, prowler, seed
from safevault.posture._rule import fail, ok, rule, unknown
from safevault.posture._values import Tri, Unknown, all3, any3, same_resource

__all__: list[str] = []

_LOG_DOC = learn("Key Vault logging", "general/logging")


def _equals(value: object, *accepted: str) -> Tri:
    if isinstance(value, Unknown):
        return value
    return isinstance(value, str) and value.lower() in accepted


def _enabled(value: object) -> Tri:
    return value if isinstance(value, Unknown) else value is True


def _audit(setting: DiagnosticSetting) -> Tri:
    if isinstance(setting.logs, Unknown):
        return setting.logs
    return any3(
        all3(
            [
                _enabled(log.enabled),
                any3(
                    [
                        _equals(log.category, "auditevent"),
                        _equals(log.category_group, "audit", "alllogs"),
                    ]
                ),
            ]
        )
        for log in setting.logs
    )


def _all_metrics(setting: DiagnosticSetting) -> Tri:
    if isinstance(setting.metrics, Unknown):
        return setting.metrics
    return any3(
        all3([_enabled(m.enabled), _equals(m.category, "allmetrics")]) for m in setting.metrics
    )


def _judge(
    vault: VaultConfig,
    options: PostureOptions,
    passes: Callable[[DiagnosticSetting], Tri],
    good: str,
    missing: str,
) -> Outcome:
    settings = vault.diagnostic_settings
    if isinstance(settings, Unknown):
        return unknown(f"diagnostic settings: {settings}")
    verdict = any3(all3([s.deployed, passes(s)]) for s in settings)
    if verdict is True:
        return ok(good)
    if isinstance(verdict, Unknown):
        return unknown(f"{missing} for sure: {verdict.reason}")
    return _missing(vault, options, f"{missing} ({len(settings)} diagnostic setting(s))")


def _missing(vault: VaultConfig, options: PostureOptions, evidence: str) -> Outcome:
    if options.external_diagnostics and vault.source.kind == "arm":
        return unknown(f"{evidence} in the template; deployed elsewhere (external diagnostics)")
    return fail(evidence)


@rule(
    id="KV-LOG-01",
    name="AuditLoggingEnabled",
    title="Audit logging on",
    severity=Severity.HIGH,
    reads="diagnostic settings of the vault: logs[].{category,categoryGroup,enabled}",
    passes_when="an enabled log with category `AuditEvent` or category group `audit`/`allLogs`",
    rationale=(
        "Without AuditEvent logs there is no record of who read which secret, key or "
        "certificate, from where, and whether the request was allowed: an incident cannot be "
        "scoped and misuse cannot be detected."
    ),
    remediation=(
        "az monitor diagnostic-settings create --name audit --resource <vault id> "
        '--workspace <workspace id> --logs \'[{"categoryGroup":"audit","enabled":true}]\' '
        '--metrics \'[{"category":"AllMetrics","enabled":true}]\''
    ),
    template_fix=(
        'a "Microsoft.Insights/diagnosticSettings" resource with "scope" set to the vault and '
        '"logs": [ { "categoryGroup": "audit", "enabled": true } ]'
    ),
    references=(cis("6.1.1.4"), ap("cf820ca0"), prowler("keyvault_logging_enabled"), _LOG_DOC),
)
def audit_logging(vault: VaultConfig, options: PostureOptions) -> Outcome:
    return _judge(vault, options, _audit, "audit logs are collected", "no enabled audit log")


def _to_workspace(options: PostureOptions) -> Callable[[DiagnosticSetting], Tri]:
    def passes(setting: DiagnosticSetting) -> Tri:
        workspace = setting.workspace_id
        if isinstance(workspace, Unknown):
            reaches: Tri = workspace
        elif not workspace:
            reaches = False
        elif options.workspace_id is None:
            reaches = True
        else:
            reaches = same_resource(workspace, options.workspace_id)
        return all3([_audit(setting), reaches])

    return passes


@rule(
    id="KV-LOG-02",
    name="AuditLogsReachLogAnalytics",
    title="Audit logs reach Log Analytics",
    severity=Severity.MEDIUM,
    reads="diagnostic settings of the vault: workspaceId",
    passes_when=(
        "a setting that carries audit logs has a `workspaceId` (equal to the configured "
        "workspace, when one is configured)"
    ),
    rationale=(
        "Logs in a storage account or event hub are kept but rarely read; a Log Analytics "
        "workspace is where queries, alerts and Microsoft Sentinel can use them."
    ),
    remediation=(
        "az monitor diagnostic-settings update --name audit --resource <vault id> "
        "--workspace <workspace id>"
    ),
    template_fix=(
        "\"workspaceId\": \"[resourceId('Microsoft.OperationalInsights/workspaces', '<name>')]\""
    ),
    references=(ap("951af2fa"), _LOG_DOC),
)
def audit_to_workspace(vault: VaultConfig, options: PostureOptions) -> Outcome:
    target = "the configured workspace" if options.workspace_id else "a Log Analytics workspace"
    return _judge(
        vault,
        options,
        _to_workspace(options),
        f"audit logs reach {target}",
        f"no audit logs sent to {target}",
    )


@rule(
    id="KV-LOG-03",
    name="MetricsCollected",
    title="Metrics collected",
    severity=Severity.LOW,
    reads="diagnostic settings of the vault: metrics[]",
    passes_when="`AllMetrics` enabled",
    rationale=(
        "Availability, latency, saturation and request counts are what alerts are built on; "
        "they also show throttling before it becomes an outage."
    ),
    remediation=(
        "az monitor diagnostic-settings update --name audit --resource <vault id> "
        '--metrics \'[{"category":"AllMetrics","enabled":true}]\''
    ),
    template_fix='"metrics": [ { "category": "AllMetrics", "enabled": true } ]',
    references=(seed("Diagnostics settings: AllMetrics"), _LOG_DOC),
)
def metrics_collected(vault: VaultConfig, options: PostureOptions) -> Outcome:
    return _judge(
        vault, options, _all_metrics, "AllMetrics is collected", "AllMetrics is not collected"
    )


@rule(
    id="KV-LOG-05",
    name="AlertRuleConfigured",
    title="Someone is told when something abnormal happens",
    severity=Severity.LOW,
    reads="Microsoft.Insights/metricAlerts and activityLogAlerts whose scopes include the vault",
    passes_when=(
        "at least one enabled alert rule (e.g. on Availability, ServiceApiLatency, "
        "SaturationShoebox, or on vault write/delete operations)"
    ),
    rationale=(
        "Logs nobody looks at do not shorten an incident. An alert on availability, "
        "saturation or vault changes puts a person in the loop."
    ),
    remediation=(
        "az monitor metrics alert create --name kv-availability --scopes <vault id> "
        "--condition 'avg Availability < 99' --action <action group id>"
    ),
    template_fix=(
        'a "Microsoft.Insights/metricAlerts" resource with "scopes": [ <vault id> ] and '
        '"enabled": true'
    ),
    references=(seed("Alerts"), learn("Monitoring and alerting", "general/alert")),
)
def alert_configured(vault: VaultConfig, options: PostureOptions) -> Outcome:
    rules = vault.alert_rules
    if isinstance(rules, Unknown):
        return unknown(f"alert rules: {rules}")
    verdict = any3(
        all3([r.deployed, r.enabled if isinstance(r.enabled, Unknown) else r.enabled is not False])
        for r in rules
    )
    if verdict is True:
        return ok("an enabled alert rule covers the vault")
    if isinstance(verdict, Unknown):
        return unknown(f"no alert rule is enabled for sure: {verdict.reason}")
    return _missing(vault, options, f"no enabled alert rule ({len(rules)} rule(s))")
