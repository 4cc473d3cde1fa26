"""`safevault audit`: formats, --fail-on exit codes, usage errors before any file is read,
malformed input as one stderr line with exit 2 and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from safevault.cli import main

from ._sources import Spec, live_config

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "posture"
HARDENED = str(EXAMPLES / "hardened.json")
OPEN = str(EXAMPLES / "open.json")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["audit", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_malformed_json_is_one_line_exit_2_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"resources": [ oops')
    done = subprocess.run(
        [sys.executable, "-m", "safevault", "audit", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "not valid JSON" in lines[0] and "bad.json" in lines[0]
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "give FILEs"),
        (("x.json", "--subscription", "s"), "not both"),
        (
            ("--subscription", "s", "--name", "n"),
            "needs --subscription, --resource-group and --name",
        ),
        (("x.json", "--format", "xml"), "invalid choice"),
        (("x.json", "--fail-on", "critical"), "invalid choice"),
        (("x.json", "--include-passing"), "applies to --format sarif"),
    ],
)
def test_usage_errors_come_before_files_are_read(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err and "no such file" not in err
    assert len(err.strip().splitlines()) == 1


def test_unreadable_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, str(tmp_path / "missing.json"))
    assert code == 2 and "no such file" in err


@pytest.mark.parametrize(
    ("path", "fail_on", "expected"),
    [
        (HARDENED, "low", 0),
        (HARDENED, "info", 0),
        (OPEN, "high", 1),
        (OPEN, "medium", 1),
        (OPEN, "low", 1),
    ],
)
def test_fail_on_exit_codes(
    capsys: pytest.CaptureFixture[str], path: str, fail_on: str, expected: int
) -> None:
    assert run(capsys, path, "--fail-on", fail_on)[0] == expected


def test_fail_on_threshold_counts_only_that_severity_and_above(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Only a low-severity FAIL: enabledForDeployment.
    data = json.loads(Path(HARDENED).read_text())
    data["resources"][1]["properties"]["enabledForDeployment"] = True
    path = tmp_path / "low.json"
    path.write_text(json.dumps(data))
    assert run(capsys, str(path))[0] == 0
    assert run(capsys, str(path), "--fail-on", "medium")[0] == 0
    assert run(capsys, str(path), "--fail-on", "low")[0] == 1


def test_formats(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, OPEN, "--format", "json")
    assert code == 1 and json.loads(out)["summary"]["FAIL"] > 10
    code, out, _ = run(capsys, OPEN, "--format", "sarif")
    assert json.loads(out)["version"] == "2.1.0"
    code, out, _ = run(capsys, HARDENED)
    assert out.splitlines()[0].startswith("VERDICT") and "0 FAIL" in out.splitlines()[-1]


def test_external_diagnostics_turns_missing_logs_into_unknown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = run(capsys, OPEN, "--format", "json")
    logs = {
        f["rule_id"]: f["verdict"]
        for f in json.loads(out)["findings"]
        if f["rule_id"].startswith("KV-LOG")
    }
    assert set(logs.values()) == {"FAIL"}
    _, out, _ = run(capsys, OPEN, "--format", "json", "--external-diagnostics")
    logs = {
        f["rule_id"]: f["verdict"]
        for f in json.loads(out)["findings"]
        if f["rule_id"].startswith("KV-LOG")
    }
    assert set(logs.values()) == {"UNKNOWN"}


def test_config_file_with_suppressions(capsys: pytest.CaptureFixture[str]) -> None:
    az = EXAMPLES / "az"
    argv = [str(az / "show.json"), str(az / "diagnostics.json"), str(az / "role-assignments.json")]
    code, out, _ = run(
        capsys, *argv, "--config", str(az / "posture-options.json"), "--format", "json"
    )
    findings = {f["rule_id"]: f for f in json.loads(out)["findings"]}
    assert findings["KV-NET-01"]["suppressed"] and findings["KV-NET-01"]["justification"]
    assert code == 1  # KV-IAM-02 (Owner at subscription scope) still fails
    bad = az / "show.json"
    code, _, err = run(capsys, str(bad), "--config", str(bad))
    assert code == 2 and "unknown posture option" in err


class _Credential:
    def __enter__(self) -> _Credential:
        return self

    def __exit__(self, *args: object) -> None:
        return None


def test_live_audit(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import azure.identity

    import safevault.posture

    config = live_config(Spec())
    calls: list[tuple[Any, ...]] = []

    def fake_fetch(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return config

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", _Credential)
    monkeypatch.setattr(safevault.posture, "fetch", fake_fetch)
    code, _, _ = run(
        capsys, "--subscription", "s", "--resource-group", "g", "--name", "kv1", "--fail-on", "low"
    )
    assert code == 0 and calls[0][1:] == ("s", "g", "kv1")

    def refused(*args: Any, **kwargs: Any) -> Any:
        error = HttpResponseError(message="AuthorizationFailed: secret text from the body")
        error.status_code = 403
        raise error

    monkeypatch.setattr(safevault.posture, "fetch", refused)
    code, _, err = run(capsys, "--subscription", "s", "--resource-group", "g", "--name", "kv1")
    assert code == 2 and "cannot read vault kv1: HTTP 403" in err and "secret text" not in err
