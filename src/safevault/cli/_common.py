"""What every subcommand shares: exit codes, durations, output formats."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

__all__ = ["EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE", "CliError", "parse_duration", "print_table"]

EXIT_OK = 0
EXIT_FINDINGS = 1  # findings at or above --fail-on, or a refused read
EXIT_USAGE = 2  # usage or configuration error

_DURATION = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class CliError(Exception):
    """An error reported as one line on stderr with an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def parse_duration(text: str) -> timedelta:
    """``90d``, ``12h``, ``1h30m``, ``45s``, ``2w`` -> timedelta (argparse ``type=``)."""
    cleaned = text.strip().lower()
    if not cleaned or _DURATION.sub("", cleaned):
        raise CliError(
            f"safevault: invalid duration {text!r}: use a number and a unit, e.g. 90d, 12h, 30m"
        )
    total = timedelta()
    for amount, unit in _DURATION.findall(cleaned):
        total += timedelta(**{_UNITS[unit]: int(amount)})
    if total <= timedelta(0):
        raise CliError(f"safevault: invalid duration {text!r}: it must be positive")
    return total


def is_tty(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], stream: Any = None) -> None:
    """A plain aligned text table."""
    stream = stream or sys.stdout
    cells = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    print(line.rstrip(), file=stream)
    print("  ".join("-" * w for w in widths), file=stream)
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip(), file=stream)


def print_json(data: Any, stream: Any = None) -> None:
    json.dump(data, stream or sys.stdout, indent=2, default=str)
    print(file=stream or sys.stdout)
