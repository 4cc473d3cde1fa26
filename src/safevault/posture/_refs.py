"""Reference helpers shared by the rule modules."""

from __future__ import annotations

from safevault.posture._findings import Reference

__all__ = ["LEARN", "ap", "checkov", "cis", "learn", "prowler", "psrule", "seed"]

LEARN = "https://learn.microsoft.com/azure/key-vault/"


def cis(number: str) -> Reference:
    """A CIS Microsoft Azure Foundations Benchmark (v5/v6) recommendation."""
    return Reference(f"CIS Microsoft Azure Foundations Benchmark v5/v6 {number}")


def ap(prefix: str) -> Reference:
    """An Azure Policy built-in definition, by the prefix of its id."""
    return Reference(f"Azure Policy built-in {prefix}")


def checkov(check: str) -> Reference:
    """A Checkov check covering the same ground."""
    return Reference(f"Checkov {check}")


def prowler(check: str) -> Reference:
    """A Prowler check covering the same ground."""
    return Reference(f"Prowler {check}")


def psrule(rule: str) -> Reference:
    """A PSRule for Azure rule covering the same ground."""
    return Reference(f"PSRule {rule}")


def seed(item: str) -> Reference:
    """An item of the security baseline this project started from."""
    return Reference(f"Baseline: {item}")


def learn(label: str, path: str) -> Reference:
    """A Microsoft Learn page under the Key Vault docs."""
    return Reference(f"Microsoft Learn: {label}", LEARN + path)
