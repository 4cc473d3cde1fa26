"""Every public method and module-level function makes exactly one ``safevault.<name>`` span.

The public API is enumerated with ``inspect`` (``safevault.Vault``, ``safevault.aio.Vault``,
the functions in ``safevault.__all__`` / ``safevault.aio.__all__``); each name is called on
FakeVault through the table in ``_calls.py``, inside a span the test makes current. A public
name missing from the table fails with "add a call for X", so a new method cannot ship
without a span. Each call is made once succeeding and once failing.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import safevault
import safevault.aio
from safevault.testing import FakeVault
from telemetry._calls import (
    FUNCTION_CALLS,
    POSTURE_CALLS,
    PRESENT,
    VAULT_CALLS,
    Call,
    Ctx,
    Data,
)
from telemetry._support import (
    CONTRACT_ATTRIBUTES,
    HOST,
    SERVICE_TEXT,
    ancestors,
    dump,
    named,
    ours,
    run,
)

try:
    import safevault.posture as posture
except ImportError:  # pragma: no cover - the posture work in progress
    posture = None

CALLER = trace.get_tracer("tests.telemetry")
# Strings of the values the calls store or read: none may reach a span.
VALUES = ("value-of-s", "value-of-t", "plaintext-of-r", "PRIVATE KEY")


def public_methods(cls: type) -> set[str]:
    """Public callables of ``cls`` (properties are attributes, not calls)."""
    return {
        name
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_")
        and not isinstance(inspect.getattr_static(cls, name), property)
        and callable(member)
    }


def public_functions(module: Any) -> set[str]:
    return {name for name in module.__all__ if inspect.isfunction(getattr(module, name))}


SHELLS = {"sync": safevault.Vault, "aio": safevault.aio.Vault}
# posture functions that only read files and decide (no I/O, so no span); any other public
# function of safevault.posture needs a call in POSTURE_CALLS.
POSTURE_PURE = {"check", "load_arm", "load_az_json"}
# Not in API.md section 4: the vault name on posture.fetch's span (see the report).
POSTURE_ATTRIBUTES = {"safevault.posture.vault"}
MODULES = {"sync": safevault, "aio": safevault.aio}
# Known telemetry bugs in src/ (see the report): strict, so a fix turns them into failures
# that ask for the marker to go.
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}  # (flavor, where, name) -> xfail reason


def posture_functions() -> set[str]:
    return set() if posture is None else public_functions(posture) - POSTURE_PURE


TABLES = {"method": VAULT_CALLS, "function": FUNCTION_CALLS, "posture": POSTURE_CALLS}


def _params() -> list[Any]:
    params = []
    for flavor in ("sync", "aio"):
        groups = [
            ("method", public_methods(SHELLS[flavor])),
            ("function", public_functions(MODULES[flavor])),
        ]
        if flavor == "sync":  # safevault.posture is sync only
            groups.append(("posture", posture_functions()))
        for where, names in groups:
            table = TABLES[where]
            for name in sorted(names):
                call = table.get(name)
                outcomes = ["ok"] if call is not None and call.fail is None else ["ok", "fail"]
                reason = KNOWN_BUGS.get((flavor, where, name))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                for outcome in outcomes:
                    params.append(
                        pytest.param(
                            flavor,
                            where,
                            name,
                            outcome,
                            id=f"{flavor}-{where}-{name}-{outcome}",
                            marks=marks,
                        )
                    )
    return params


def test_the_public_api_is_enumerated_in_both_shells() -> None:
    sync_methods, aio_methods = public_methods(safevault.Vault), public_methods(safevault.aio.Vault)
    assert sync_methods == aio_methods
    assert {"get_secret", "set_secret", "rotate_secret", "close"} <= sync_methods
    assert "vault_url" not in sync_methods  # a property
    assert public_functions(safevault) == public_functions(safevault.aio)
    assert public_functions(safevault) >= {"configure", "default_vault", "get_secret", "set_secret"}


def test_the_table_names_only_public_calls() -> None:
    """A renamed or removed method must leave the table too."""
    assert set(VAULT_CALLS) <= public_methods(safevault.Vault)
    assert set(FUNCTION_CALLS) <= public_functions(safevault)


def test_posture_fetch_is_enumerated() -> None:
    if posture is None:
        pytest.skip("safevault.posture is not importable")
    assert "fetch" in posture_functions()
    assert public_functions(posture) >= POSTURE_PURE
    assert set(POSTURE_CALLS) <= public_functions(posture)


def _expected(ctx: Ctx, value: Any) -> Any:
    return ctx.data[value.key] if isinstance(value, Data) else value


def _check_attributes(ctx: Ctx, span: Any, call: Call) -> None:
    attrs = dict(span.attributes)
    assert attrs.get("safevault.vault.host") == HOST
    for key, want in call.expect.items():
        want = _expected(ctx, want)
        if want is PRESENT:
            assert attrs.get(key), f"{span.name}: no {key} in {attrs}"
        elif want is None:
            assert key not in attrs, f"{span.name}: unexpected {key} in {attrs}"
        else:
            assert attrs.get(key) == want, f"{span.name}: {key}={attrs.get(key)!r}, not {want!r}"


async def _finish(ctx: Ctx, where: str) -> None:
    if where == "function":
        shell = safevault._sync._default if ctx.flavor == "sync" else safevault._async._default
        vault = shell._default
        ctx.reset_default()
        if vault is not None:
            await run(vault.close())
    if ctx.vault is not None:
        await run(ctx.vault.close())


@pytest.mark.parametrize(("flavor", "where", "name", "outcome"), _params())
async def test_one_span_per_public_call(
    flavor: str,
    where: str,
    name: str,
    outcome: str,
    spans: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    call = TABLES[where].get(name)
    if call is None:
        qualified = {"method": "Vault.", "function": "safevault.", "posture": "posture."}[where]
        pytest.fail(f"add a call for {qualified}{name} ({flavor}) to tests/telemetry/_calls.py")
    fake = FakeVault()
    ctx = Ctx(fake, flavor, monkeypatch)
    try:
        if call.setup is not None:
            call.setup(ctx)
        if where == "method":
            ctx.vault = fake.vault() if flavor == "sync" else fake.aio_vault()
        spans.clear()
        error: BaseException | None = None
        with CALLER.start_as_current_span("caller") as caller:
            try:
                await run((call.fail if outcome == "fail" else call.run)(ctx))  # type: ignore[misc]
            except Exception as raised:
                error = raised
        finished = spans.get_finished_spans()
    finally:
        await _finish(ctx, where)

    span_name = call.span or f"safevault.{name}"
    mine = named(finished, span_name)
    assert len(mine) == 1, f"{len(mine)} {span_name} spans in {[s.name for s in finished]}"
    (span,) = mine
    assert span.kind is SpanKind.INTERNAL
    assert span.instrumentation_scope.name == "safevault"
    # It joins the caller's trace, and whatever else the call traced nests under it.
    assert span.parent is not None
    assert span.parent.span_id == caller.get_span_context().span_id
    for other in finished:
        if other is span or other.name == "caller":
            continue
        assert span.context.span_id in {a.context.span_id for a in ancestors(finished, other)}, (
            f"{other.name} does not nest under {span.name}"
        )
    allowed = CONTRACT_ATTRIBUTES | (POSTURE_ATTRIBUTES if where == "posture" else set())
    for each in ours(finished):
        assert set(each.attributes) <= allowed, each.name
        assert not [e for e in each.events if e.name == "exception"], each.name
    text = dump(finished)
    for value in VALUES:
        assert value not in text

    if outcome == "ok":
        assert error is None, f"{name} failed: {error!r}"
        _check_attributes(ctx, span, call)
        for each in ours(finished):
            assert each.status.status_code is StatusCode.UNSET, each.name
            assert "error.type" not in each.attributes, each.name
    else:
        assert type(error).__name__ == call.error, repr(error)
        assert span.attributes.get("error.type") == call.error
        assert span.status.status_code is StatusCode.ERROR
        assert span.status.description == call.error
        assert "safevault.vault.host" in span.attributes
        assert SERVICE_TEXT not in text
        assert str(error) not in text
