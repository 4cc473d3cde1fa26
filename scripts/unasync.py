"""Generate the sync shell from the async one, whole (``--check`` fails if it is out of date).

Every module of ``src/safevault/_async/`` is rewritten token by token (``async def`` -> ``def``,
``await x`` -> ``x``, async SDK imports -> sync ones, the asyncio twin primitives -> the
thread ones) into ``src/safevault/_sync/``, which holds generated files only. The run fails
on a substitution that matched nothing in the whole tree (a stale rule hides a missed one),
and ``--check`` also fails on a file in ``_sync/`` that nothing generates. The approach of
httpcore's ``unasync``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "safevault"
SOURCE = PACKAGE / "_async"
TARGET = PACKAGE / "_sync"
HEADER = "# GENERATED from src/safevault/_async/{name} by scripts/unasync.py: do not edit.\n"

SUBSTITUTIONS = [
    (r"\basync def\b", "def"),
    (r"\bawait\s+", ""),
    (r"\basync for\b", "for"),
    (r"__aenter__", "__enter__"),
    (r"__aexit__", "__exit__"),
    (r"\bsafevault\._async\b", "safevault._sync"),
    (r"\bsafevault\._shell\._asyncio\b", "safevault._shell._threads"),
    (r"\bazure\.keyvault\.(secrets|keys|certificates)\.aio\b", r"azure.keyvault.\1"),
    (r"\bazure\.keyvault\.keys\.crypto\.aio\b", "azure.keyvault.keys.crypto"),
    (
        r"``azure\.identity\.aio\.DefaultAzureCredential\(\)``",
        "``azure.identity.DefaultAzureCredential()``",
    ),
    (r"\bazure\.identity\.aio\b", "azure.identity"),
    (
        r"from azure\.core\.credentials_async import AsyncTokenCredential",
        "from azure.core.credentials import TokenCredential",
    ),
    (r"an ``AsyncTokenCredential``", "a ``TokenCredential``"),
    (r"\bAsyncTokenCredential\b", "TokenCredential"),
    (r"\bAsyncScopedCredential\b", "ScopedCredential"),
    (r"\bAsyncBoundedRetryPolicy\b", "BoundedRetryPolicy"),
    (r"\bAwaitable\[Any\]", "Any"),
    (r"\bAwaitable\b", "Callable"),
    (r"The async ``Vault``", "The sync ``Vault``"),
    (r"\(a coroutine function is awaited\)", ""),
]


def unasync(text: str, used: list[int]) -> str:
    for index, (pattern, replacement) in enumerate(SUBSTITUTIONS):
        text, count = re.subn(pattern, replacement, text)
        used[index] += count
    return text


def formatted(text: str, target: Path) -> str:
    """``text`` as ``ruff check --fix`` and ``ruff format`` would write it.

    :raises SystemExit: ruff is not installed (the generated files are checked formatted).
    """
    ruff = shutil.which("ruff")
    if ruff is None:
        raise SystemExit("scripts/unasync.py needs ruff on PATH (pip install ruff; nox -s lint)")
    for command in (["check", "--fix-only", "--quiet"], ["format"]):
        done = subprocess.run(
            [ruff, *command, "--stdin-filename", str(target), "-"],
            input=text,
            capture_output=True,
            text=True,
            check=True,
        )
        text = done.stdout
    return text


def generate() -> dict[Path, str]:
    """Every file of the sync shell, as it must read."""
    used = [0] * len(SUBSTITUTIONS)
    files: dict[Path, str] = {}
    for source in sorted(SOURCE.glob("*.py")):
        target = TARGET / source.name
        text = HEADER.format(name=source.name) + unasync(source.read_text(), used)
        files[target] = formatted(text, target)
    unused = [pattern for (pattern, _), count in zip(SUBSTITUTIONS, used) if count == 0]
    if unused:
        raise SystemExit("unasync: substitutions that matched nothing: " + ", ".join(unused))
    return files


def main(argv: list[str]) -> int:
    files = generate()
    extra = sorted(p for p in TARGET.glob("*.py") if p not in files)
    if "--check" in argv:
        stale = [str(p) for p, text in files.items() if not p.exists() or p.read_text() != text]
        if stale or extra:
            print("Out of date (run python scripts/unasync.py):", *stale, sep="\n  ")
            if extra:
                print("Not generated from _async/ (remove them):", *map(str, extra), sep="\n  ")
            return 1
        return 0
    TARGET.mkdir(exist_ok=True)
    for path in extra:
        path.unlink()
    for path, text in files.items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
