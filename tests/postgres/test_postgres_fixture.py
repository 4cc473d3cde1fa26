"""The PostgreSQL fixture's switch: skip when PostgreSQL is missing, fail when CI requires it."""

from __future__ import annotations

from pathlib import Path

import pytest

from postgres import conftest as pg_conftest


def test_missing_postgres_skips_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAFEVAULT_REQUIRE_POSTGRES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="SAFEVAULT_REQUIRE_POSTGRES=1"):
        pg_conftest._unavailable("no PostgreSQL binaries found")


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_missing_postgres_fails_when_required(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SAFEVAULT_REQUIRE_POSTGRES", value)
    with pytest.raises(pytest.fail.Exception, match="no PostgreSQL binaries found"):
        pg_conftest._unavailable("no PostgreSQL binaries found")


@pytest.mark.parametrize("value", ["", "0", "no"])
def test_other_values_do_not_require_postgres(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SAFEVAULT_REQUIRE_POSTGRES", value)
    with pytest.raises(pytest.skip.Exception):
        pg_conftest._unavailable("no PostgreSQL binaries found")


def test_safevault_pg_bin_is_the_only_place_looked_at_when_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SAFEVAULT_PG_BIN", str(tmp_path))
    assert pg_conftest.find_bindir() is None
    for name in ("initdb", "postgres"):
        (tmp_path / name).write_text("#!/bin/sh\n")
    assert pg_conftest.find_bindir() == tmp_path
