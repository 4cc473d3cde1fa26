"""Running the ``safevault`` console script as a subprocess (importable as ``cli_support``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from typing import Any

EXE = shutil.which("safevault")
CLI = [EXE] if EXE else [sys.executable, "-m", "safevault"]


def run(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI with ``args``, in an environment without SAFEVAULT_* / AZURE_* settings."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SAFEVAULT_", "AZURE_"))}
    full_env.update(env or {})
    return subprocess.run(
        [*CLI, *args],
        input=stdin,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_line_error(result: Any) -> str:
    """The single line a failed command printed on stderr (no traceback)."""
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return str(lines[0])
