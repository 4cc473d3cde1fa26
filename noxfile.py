"""Development sessions: ``nox -s tests``, ``nox -s lint mypy``, ``nox -s conformance`` ...

Every session installs what it needs into its own virtual environment, so a fresh
machine needs nothing but Python and ``pip install nox``.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|venv"
nox.options.sessions = ["lint", "mypy", "tests"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
COVERAGE_FAIL_UNDER = "90"


def _install(session: nox.Session, *extras: str) -> None:
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install("-e", spec)


@nox.session
def tests(session: nox.Session) -> None:
    """Unit, behaviour and contract tests on FakeVault, with line coverage of src/."""
    _install(session, "test", "posture")
    session.run("coverage", "erase")
    session.run(
        "coverage",
        "run",
        "--parallel-mode",
        "-m",
        "pytest",
        *(session.posargs or ["-q", "-p", "no:cacheprovider"]),
        env={"SAFEVAULT_TEST_BACKEND": "fake"},
        success_codes=[0, 5],  # 5: a -k selection that matched nothing is not a failure
    )
    session.run("coverage", "combine", "--quiet")
    session.run("coverage", "report", f"--fail-under={COVERAGE_FAIL_UNDER}")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, the import contracts, and generated files up to date."""
    session.install("ruff>=0.6", "import-linter>=2.10")
    _install(session)
    paths = [
        p
        for p in ("src", "tests", "noxfile.py", "scripts", "bench", "examples")
        if Path(p).exists()
    ]
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)
    session.run("lint-imports")  # the rooms' contracts, in pyproject.toml
    session.run("python", "scripts/unasync.py", "--check")
    session.run("python", "scripts/gen_posture_docs.py", "--check")


@nox.session
def mypy(session: nox.Session) -> None:
    """mypy --strict over src/."""
    _install(session, "test")
    session.install("mypy>=1.11")
    session.run("mypy")


@nox.session
def conformance(session: nox.Session) -> None:
    """The contract suite on FakeVault, then on Lowkey Vault started from its Maven jar.

    Prints how many contract tests ran on each backend. When the Lowkey jar cannot be
    fetched (exit 3 of .ci/lowkey.sh), that backend is reported as not run, loudly.
    """
    _install(session, "test")
    pytest_args = ["-q", "-p", "no:cacheprovider", "tests/contract", *session.posargs]
    session.log("contract suite on FakeVault")
    session.run(
        "pytest", *pytest_args, env={"SAFEVAULT_TEST_BACKEND": "fake"}, success_codes=[0, 5]
    )
    lowkey = str(ROOT / ".ci" / "lowkey.sh")
    session.run("bash", lowkey, "start", external=True, success_codes=[0, 3])
    if not _lowkey_up():
        session.warn("contract suite on Lowkey Vault: NOT RUN (its jar could not be fetched)")
        return
    try:
        session.log("contract suite on Lowkey Vault")
        session.run(
            "pytest",
            *pytest_args,
            env={
                "SAFEVAULT_TEST_BACKEND": "lowkey",
                "SAFEVAULT_LOWKEY_URL": os.environ.get(
                    "SAFEVAULT_LOWKEY_URL", "https://127.0.0.1:8443"
                ),
            },
            success_codes=[0, 5],
        )
    finally:
        session.run("bash", lowkey, "stop", external=True)


def _lowkey_up() -> bool:
    pid = ROOT / ".lowkey" / "pid"
    return pid.exists()


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with warnings as errors."""
    _install(session)
    session.install("mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings[python]>=0.26")
    session.run("mkdocs", "build", "--strict", "-d", "site", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def bench(session: nox.Session) -> None:
    """All benchmarks, side by side in one run each; results into BENCHMARKS.md, plots into docs.

    Pass arguments to the cache benchmark instead of the defaults, e.g.
    ``nox -s bench -- --quick`` for a smoke run that writes nothing.
    """
    _install(session, "test", "posture")
    session.install("aws-secretsmanager-caching>=1.1", "botocore>=1.34", "matplotlib>=3.8")
    if session.posargs:
        session.run("python", "bench/bench_cache.py", *session.posargs)
        return
    results = ".nox/bench-cache.json"
    session.run(
        "python",
        "bench/bench_cache.py",
        "--out",
        "BENCHMARKS.md",
        "--json",
        results,
        env={"SAFEVAULT_BENCH_COMMAND": "nox -s bench"},
    )
    others = [
        f"{name}=bench/bench_{name}.py"
        for name in ("crypto", "telemetry", "posture", "coldstart")
        if (ROOT / "bench" / f"bench_{name}.py").exists()
    ]
    session.run("python", "bench/collect.py", "BENCHMARKS.md", *others)
    session.run("python", "bench/plot.py", results, "docs/benchmarks")


EXAMPLES = ["quickstart.py", "envelope_encryption.py", "async_web_app.py", "posture_audit.py"]


@nox.session
def examples(session: nox.Session) -> None:
    """Run every example (FakeVault unless SAFEVAULT_VAULT_URL is set)."""
    _install(session, "test", "aio", "posture")
    for example in EXAMPLES:
        session.run("python", f"examples/{example}")
    extra = sorted(
        p.name
        for p in (ROOT / "examples").glob("*.py")
        if p.name not in EXAMPLES and not p.name.startswith("_")
    )
    for example in extra:
        if example == "rotate_postgres_password.py" and not os.environ.get("PGHOST"):
            # no server given: run it against one started from Debian's binaries by the
            # PostgreSQL test fixture (skips, or fails with SAFEVAULT_REQUIRE_POSTGRES=1)
            session.run("pytest", "-q", "-p", "no:cacheprovider", "tests/postgres", "-k", "example")
            continue
        session.run("python", f"examples/{example}")


@nox.session
def demo(session: nox.Session) -> None:
    """``safevault demo`` from a fresh install."""
    _install(session, "demo")
    session.run("safevault", "demo")
