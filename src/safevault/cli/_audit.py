"""``safevault audit``: the posture checker on templates, ``az`` output or a live vault.

Exit codes: 0 no unsuppressed FAIL at or above ``--fail-on``; 1 there is one; 2 a usage
error, an unreadable or malformed file, or a vault that cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from safevault.cli._common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, CliError

__all__ = ["register", "run"]

_FORMATS = ("table", "json", "sarif")
_SEVERITIES = ("info", "low", "medium", "high")


def register(subparsers: Any) -> None:
    """Add the ``audit`` subcommand."""
    parser = subparsers.add_parser(
        "audit",
        help="check vaults' management-plane posture (templates, az output, or live)",
        description=(
            "Check Key Vault posture: RBAC, access policies, network, recovery, logging and "
            "the vault's contents. FILEs are ARM templates and `az keyvault show` outputs "
            "(with `az monitor diagnostic-settings list`, `az role assignment list` and alert "
            "lists among them); or read a live vault with --subscription/--resource-group/--name."
        ),
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="ARM template or az JSON")
    live = parser.add_argument_group("live vault (uses DefaultAzureCredential)")
    live.add_argument("--subscription", metavar="S", help="the vault's subscription id")
    live.add_argument("--resource-group", metavar="G", help="the vault's resource group")
    live.add_argument("--name", metavar="N", help="the vault's name")
    live.add_argument(
        "--no-data-plane", action="store_true", help="do not read keys, secrets, certificates"
    )
    parser.add_argument("--format", choices=_FORMATS, default="table", help="output format")
    parser.add_argument(
        "--fail-on",
        choices=_SEVERITIES,
        default="high",
        help="exit 1 when a FAIL of this severity or above is found (default: high)",
    )
    parser.add_argument(
        "--external-diagnostics",
        action="store_true",
        help="diagnostic settings and alerts are deployed elsewhere (UNKNOWN, not FAIL)",
    )
    parser.add_argument("--parameters", metavar="FILE", help="ARM parameters file for templates")
    parser.add_argument("--diagnostics", metavar="FILE", action="append", default=[])
    parser.add_argument("--role-assignments", metavar="FILE", action="append", default=[])
    parser.add_argument("--alerts", metavar="FILE", action="append", default=[])
    parser.add_argument(
        "--config", metavar="FILE", help="JSON posture options (thresholds, suppressions)"
    )
    parser.add_argument(
        "--include-passing",
        action="store_true",
        help="SARIF: also report PASS and NOT_APPLICABLE results",
    )
    parser.set_defaults(run=run)


def _validate(args: argparse.Namespace) -> bool:
    """Check the arguments before any file or credential is touched; True for live."""
    live = [args.subscription, args.resource_group, args.name]
    if args.files and any(live):
        raise CliError(
            "safevault audit: give FILEs or --subscription/--resource-group/--name, not both"
        )
    if not args.files and not any(live):
        raise CliError(
            "safevault audit: give FILEs, or --subscription S --resource-group G --name N"
        )
    if any(live) and not all(live):
        raise CliError(
            "safevault audit: a live audit needs --subscription, --resource-group and --name"
        )
    if any(live) and (args.parameters or args.diagnostics or args.role_assignments or args.alerts):
        raise CliError(
            "safevault audit: --parameters, --diagnostics, --role-assignments and --alerts "
            "go with FILEs"
        )
    if args.include_passing and args.format != "sarif":
        raise CliError("safevault audit: --include-passing applies to --format sarif")
    return all(live)


def run(args: argparse.Namespace) -> int:
    """Run ``safevault audit``."""
    live = _validate(args)
    from safevault.posture import PostureOptions, Severity, check
    from safevault.posture._json import read_json

    options = PostureOptions()
    if args.config:
        data, _ = read_json(args.config)
        options = PostureOptions.from_mapping(data)
    if args.external_diagnostics:
        import dataclasses

        options = dataclasses.replace(options, external_diagnostics=True)
    configs = _live(args) if live else _files(args)
    if not configs:
        raise CliError("safevault audit: no Microsoft.KeyVault/vaults resource found", EXIT_USAGE)
    report = check(configs, options)
    if args.format == "json":
        sys.stdout.write(report.to_json() + "\n")
    elif args.format == "sarif":
        sys.stdout.write(report.to_sarif(include_passing=args.include_passing) + "\n")
    else:
        sys.stdout.write(report.to_table())
    return EXIT_FINDINGS if report.failures(Severity(args.fail_on)) else EXIT_OK


def _files(args: argparse.Namespace) -> list[Any]:
    from safevault.posture._files import load_files

    return load_files(
        args.files,
        parameters=args.parameters,
        diagnostics=args.diagnostics,
        role_assignments=args.role_assignments,
        alerts=args.alerts,
    )


def _live(args: argparse.Namespace) -> list[Any]:
    from azure.core.exceptions import AzureError, HttpResponseError
    from azure.identity import DefaultAzureCredential

    from safevault.errors import SafeVaultError
    from safevault.posture import fetch

    try:
        with DefaultAzureCredential() as credential:
            config = fetch(
                credential,
                args.subscription,
                args.resource_group,
                args.name,
                data_plane=not args.no_data_plane,
            )
    except SafeVaultError:
        raise
    except HttpResponseError as error:
        code = getattr(getattr(error, "error", None), "code", None) or error.reason or ""
        status = f"HTTP {error.status_code} {code}".rstrip()
        raise CliError(f"safevault audit: cannot read vault {args.name}: {status}") from None
    except AzureError as error:
        raise CliError(
            f"safevault audit: cannot read vault {args.name}: {type(error).__name__} "
            "(check your Azure sign-in: az login, or the AZURE_* environment variables)"
        ) from None
    return [config]
