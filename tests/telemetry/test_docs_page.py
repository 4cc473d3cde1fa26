"""The "Tracing and audit" page lists every span, event and metric the code makes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from telemetry._calls import FUNCTION_CALLS, POSTURE_CALLS, VAULT_CALLS

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "concepts" / "telemetry.md"
SOURCES = sorted((ROOT / "src" / "safevault").rglob("*.py"))


def _page() -> str:
    return PAGE.read_text(encoding="utf-8")


def _found(pattern: str) -> set[str]:
    return {m for path in SOURCES for m in re.findall(pattern, path.read_text(encoding="utf-8"))}


def test_every_span_is_on_the_page() -> None:
    page = _page()
    names = {f"safevault.{name}" for name in {*VAULT_CALLS, *FUNCTION_CALLS}}
    names |= {call.span for call in POSTURE_CALLS.values() if call.span}
    missing = sorted(name for name in names if f"`{name}`" not in page)
    assert not missing, f"add to docs/concepts/telemetry.md: {missing}"


def test_every_rotation_step_span_is_on_the_page() -> None:
    page = _page()
    steps = _found(r'run\.span\(\s*"([a-z_]+)"') | {"check_before_apply", "check_before_promote"}
    steps |= _found(r"_step_call\(\s*run,\s*\"([a-z_]+)\"")
    assert {"generate", "promote", "revoke"} <= steps
    missing = sorted(step for step in steps if f"`{step}`" not in page)
    assert not missing, f"add these rotation steps to the page: {missing}"


def test_every_event_is_on_the_page() -> None:
    page = _page()
    events = _found(r'\.event\(\s*"(safevault\.[a-z_.]+)"')
    events |= _found(r'HIT_EVENT = "(safevault\.[a-z_.]+)"')
    assert {"safevault.read_refused", "safevault.stale_served", "safevault.cache.hit"} <= events
    missing = sorted(e for e in events if f"`{e}`" not in page)
    assert not missing, f"add these events to the page: {missing}"


def test_every_metric_is_on_the_page() -> None:
    page = _page()
    metrics = _found(
        r'create_(?:counter|histogram|observable_gauge|observable_counter)\(\s*"([a-z_.]+)"'
    )
    assert {"safevault.object.time_to_expiry", "safevault.cache.requests"} <= metrics
    missing = sorted(m for m in metrics if f"`{m}`" not in page)
    assert not missing, f"add these metrics to the page: {missing}"


def test_the_trace_on_the_page_is_the_examples() -> None:
    page = _page()
    example = (ROOT / "examples" / "tracing.py").read_text(encoding="utf-8")
    assert "$ python examples/tracing.py" in page
    for line in re.findall(r'print\("(--- [^"]+)"\)', example):
        assert line in page
    assert "safevault.read_refused" in page.split("## A real trace")[1]


def test_the_example_prints_a_nested_trace() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SAFEVAULT_VAULT_URL",)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "tracing.py")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    miss, hit, refused = done.stdout.split("--- ")[1:4]
    spans = re.findall(r"^(\S+)  kind=\w+  trace=\w+\n  span=(\w+)  parent=(\S+)", miss, re.M)
    ids = {name: (span, parent) for name, span, parent in spans}
    assert ids["SecretClient.get_secret"][1] == ids["safevault.get_secret"][0]
    assert ids["safevault.get_secret"][1] == "-"
    # a hit has no span: one event on the caller's span, naming the fetch's client request id
    assert re.findall(r"^(\S+)  kind", hit, re.M) == ["handle-request"]
    (event,) = re.findall(r"^  event safevault\.cache\.hit (\{.*\})$", hit, re.M)
    fetched = re.findall(r'^  az\.client_request_id="([^"]+)"', miss, re.M)
    assert fetched and json.loads(event)["az.client_request_id"] == fetched[-1]
    assert json.loads(event)["safevault.object.name"] == "tracing-example"
    assert "event safevault.read_refused" in refused
    assert "s3cr3t-value" not in done.stdout and "0ld-value" not in done.stdout
