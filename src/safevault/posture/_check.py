"""``check()``: run the rules over vault configurations and build a :class:`Report`."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from safevault.errors import InvalidArgumentError
from safevault.posture._findings import Finding, Outcome, Verdict
from safevault.posture._model import VaultConfig
from safevault.posture._options import PostureOptions
from safevault.posture._registry import RULES
from safevault.posture._report import Report
from safevault.posture._rule import Rule

__all__ = ["check"]

_LOG = logging.getLogger("safevault.posture")
_DEFAULT_OPTIONS = PostureOptions()


def check(
    configs: VaultConfig | Iterable[VaultConfig],
    options: PostureOptions | None = None,
    *,
    rules: Iterable[str] | None = None,
) -> Report:
    """Judge one or more vaults by every rule (or the rules named).

    :param configs: a :class:`VaultConfig` or several (``load_arm`` returns a list).
    :param options: thresholds, allow-lists and suppressions (default ``PostureOptions()``).
    :keyword rules: rule ids to run (default: all of ``RULES``).
    :returns: the report, one finding per rule and vault.
    :raises InvalidArgumentError: an unknown rule id, or something that is not a VaultConfig.
    """
    options = options or _DEFAULT_OPTIONS
    vaults = [configs] if isinstance(configs, VaultConfig) else list(configs)
    for vault in vaults:
        if not isinstance(vault, VaultConfig):
            raise InvalidArgumentError(
                "check() takes VaultConfig objects (from load_arm, load_az_json or fetch)"
            )
    selected = _select(rules)
    if options.now is None:
        # One clock reading for the whole run, so every rule judges expiry at the same time.
        options = _with_now(options)
    today = options.current_time().date()
    findings: list[Finding] = []
    uris = {rule.id: rule.help_uri for rule in selected}
    for vault in vaults:
        resource_id = vault.id if isinstance(vault.id, str) else None
        for rule in selected:
            outcome = _run(rule, vault, options)
            suppression = None
            if options.suppressions:
                suppression = next(
                    (
                        s
                        for s in options.suppressions
                        if s.matches(rule.id, vault.name, resource_id, today)
                    ),
                    None,
                )
            findings.append(
                Finding(
                    rule_id=rule.id,
                    title=rule.title,
                    severity=rule.severity,
                    verdict=outcome.verdict,
                    resource=vault.name,
                    evidence=outcome.evidence,
                    remediation=rule.remediation_for(vault.name),
                    references=rule.references,
                    resource_id=resource_id,
                    source=vault.source,
                    help_uri=uris[rule.id],
                    suppressed=suppression is not None,
                    justification=suppression.justification if suppression else None,
                )
            )
    return Report(tuple(findings), tuple(vaults), tuple(selected))


def _select(ids: Iterable[str] | None) -> list[Rule]:
    if ids is None:
        return list(RULES.values())
    wanted = [i.upper() for i in ids]
    missing = [i for i in wanted if i not in RULES]
    if missing:
        raise InvalidArgumentError(f"unknown rule id {missing[0]!r}; see safevault.posture.RULES")
    return [RULES[i] for i in wanted]


def _with_now(options: PostureOptions) -> PostureOptions:
    import dataclasses

    return dataclasses.replace(options, now=options.current_time())


def _run(rule: Rule, vault: VaultConfig, options: PostureOptions) -> Outcome:
    try:
        return rule.check(vault, options)
    except Exception as error:  # a rule bug must not hide the other rules' verdicts
        _LOG.debug("posture rule %s failed", rule.id, exc_info=True)
        return Outcome(Verdict.UNKNOWN, f"the rule could not run ({type(error).__name__})")
