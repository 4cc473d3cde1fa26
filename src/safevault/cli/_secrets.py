"""``safevault get | set | expiring | rotate``."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from typing import Any

from safevault.cli._common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    is_tty,
    parse_duration,
    print_json,
    print_table,
)
from safevault.cli._vault_args import add_vault_arguments, open_vault

__all__ = ["register"]


def register(commands: Any) -> None:
    get = commands.add_parser("get", help="print a secret's value (refuses expired/disabled)")
    get.add_argument("name")
    get.add_argument("--version", help="a version id (default: the latest)")
    get.add_argument("--json", action="store_true", help="print the secret as JSON (with value)")
    add_vault_arguments(get)
    get.set_defaults(run=run_get)

    put = commands.add_parser("set", help="store a new version of a secret")
    put.add_argument("name")
    source = put.add_mutually_exclusive_group(required=True)
    source.add_argument("--value-stdin", action="store_true", help="read the value from stdin")
    source.add_argument("--value-file", metavar="F", help="read the value from a file")
    put.add_argument("--expires-in", type=parse_duration, metavar="DURATION", help="e.g. 90d")
    put.add_argument("--content-type", metavar="T")
    add_vault_arguments(put)
    put.set_defaults(run=run_set)

    expiring = commands.add_parser(
        "expiring", help="list objects that are expired, expiring, or without expiry"
    )
    expiring.add_argument("--within", type=parse_duration, default="30d", metavar="DURATION")
    expiring.add_argument("--format", choices=("table", "json"), default=None)
    add_vault_arguments(expiring)
    expiring.set_defaults(run=run_expiring)

    rotate = commands.add_parser(
        "rotate", help="rotate a value-only secret (no external target) to a random value"
    )
    rotate.add_argument("name")
    rotate.add_argument(
        "--generate",
        action="store_true",
        required=True,
        help="generate the new value (required: the only mode)",
    )
    rotate.add_argument("--length", type=int, default=32, help="random bytes (default 32)")
    rotate.add_argument("--expires-in", type=parse_duration, metavar="DURATION")
    add_vault_arguments(rotate)
    rotate.set_defaults(run=run_rotate)


def _read_value(args: argparse.Namespace) -> str:
    if args.value_stdin:
        value = sys.stdin.read()
    else:
        try:
            with open(args.value_file, encoding="utf-8") as handle:
                value = handle.read()
        except OSError as error:
            raise CliError(
                f"safevault: cannot read {args.value_file}: {error.strerror or error}", EXIT_USAGE
            ) from None
        except UnicodeDecodeError:
            raise CliError(f"safevault: {args.value_file} is not UTF-8 text", EXIT_USAGE) from None
    return value[:-1] if value.endswith("\n") else value


def run_get(args: argparse.Namespace) -> int:
    from safevault.errors import ValidityError

    with open_vault(args) as vault:
        try:
            secret = vault.get_secret(args.name, version=args.version)
        except ValidityError as error:
            print(f"safevault: refused: {error.message}", file=sys.stderr)
            return EXIT_FINDINGS
        if args.json:
            print_json(
                {
                    "name": secret.name,
                    "version": secret.version,
                    "value": secret.value,
                    "expires_on": secret.expires_on,
                    "not_before": secret.not_before,
                    "content_type": secret.content_type,
                    "tags": dict(secret.tags),
                }
            )
        else:
            sys.stdout.write(secret.value)
            if is_tty():
                sys.stdout.write("\n")
    return EXIT_OK


def run_set(args: argparse.Namespace) -> int:
    value = _read_value(args)
    with open_vault(args) as vault:
        secret = vault.set_secret(
            args.name, value, expires_in=args.expires_in, content_type=args.content_type
        )
    expires = secret.expires_on.isoformat() if secret.expires_on else "never"
    print(f"{secret.name} version {secret.version} (expires {expires})", file=sys.stderr)
    return EXIT_OK


def run_expiring(args: argparse.Namespace) -> int:
    fmt = args.format or ("table" if is_tty() else "json")
    with open_vault(args) as vault:
        if is_tty(sys.stderr):
            print("listing secrets, keys and certificates ...", file=sys.stderr, end="\r")
        notices = vault.expiring(within=args.within)
        if is_tty(sys.stderr):
            print(" " * 48, file=sys.stderr, end="\r")
    now = datetime.now(timezone.utc)
    if fmt == "json":
        print_json(
            [
                {
                    "kind": n.kind,
                    "name": n.name,
                    "version": n.version,
                    "expires_on": n.expires_on,
                    "status": n.status,
                }
                for n in notices
            ]
        )
    else:
        rows = [
            (
                n.status,
                n.kind,
                n.name,
                n.expires_on.isoformat(timespec="seconds") if n.expires_on else "-",
                _in(n.expires_on, now),
            )
            for n in notices
        ]
        print_table(("status", "kind", "name", "expires_on", "in"), rows)
    return EXIT_OK


def _in(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "-"
    days = (when - now).total_seconds() / 86400
    return f"{days:.0f}d" if abs(days) >= 1 else f"{days * 24:.0f}h"


def run_rotate(args: argparse.Namespace) -> int:
    import secrets as random_source

    from safevault import Rotator

    if not 16 <= args.length <= 1024:
        raise CliError("safevault: --length must be between 16 and 1024 bytes", EXIT_USAGE)
    length = args.length

    class ValueOnly(Rotator):
        """A secret with no external target: the new value is the whole rotation."""

        def generate(self, current: Any) -> str:
            return random_source.token_urlsafe(length)

        def apply(self, new_value: str, current: Any) -> None:
            return None

        def verify(self, new_value: str) -> None:
            return None

    with open_vault(args) as vault:
        result = vault.rotate_secret(args.name, ValueOnly(), expires_in=args.expires_in)
    if result.rotated:
        print(f"{result.name}: new version {result.new_version} (was {result.old_version})")
    else:
        reason = next((s.detail for s in reversed(result.steps) if s.detail), "nothing to do")
        print(f"{result.name}: not rotated ({reason})")
    return EXIT_OK
