"""The ``safevault`` command line.

Subcommands live in one module each (``_secrets.py``, ``_audit.py``, ``_demo.py`` ...) and
register themselves on the parser. Exit codes: 0 ok, 1 findings at or above ``--fail-on``, a
refused read or a failed operation, 2 bad input (usage, configuration). Errors are one line on
stderr (``_errors.py`` words them); ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence

from safevault._version import __version__
from safevault.cli._common import EXIT_OK, EXIT_USAGE, CliError
from safevault.cli._errors import describe, unexpected

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one clear error line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(f"{self.prog}: {message}", EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="safevault",
        description="Azure Key Vault, safe by default.",
    )
    parser.add_argument("--version", action="version", version=f"safevault {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    from safevault.cli import _modules

    for module in _modules.MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see ``safevault.cli._errors``)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    if debug:
        logging.basicConfig(level=logging.DEBUG)
    else:
        # the Azure SDK's warnings are many lines each (DefaultAzureCredential lists every
        # credential it tried): the one-line error below says what to do; --debug shows them
        logging.getLogger("azure").setLevel(logging.ERROR)
    args: argparse.Namespace | None = None
    try:
        parser = build_parser()
        args = parser.parse_args(args_list)
        code = args.run(args)
        return EXIT_OK if code is None else int(code)
    except CliError as error:
        if debug:
            traceback.print_exc()
        print(error.message, file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        print("safevault: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if debug:
            traceback.print_exc()
        message, code = describe(error, args) or unexpected(error)
        print(message, file=sys.stderr)
        return code
