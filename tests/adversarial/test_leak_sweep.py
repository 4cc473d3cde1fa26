"""The leak sweep: adversarial values through every output, failures included.

Values come from the leak tests' generator (free text, JSON, text that looks like an error
or a traceback, each carrying a canary) and from an adversarial one (header and log-line
injection, percent-encoding, quotes, near-limit sizes). Each goes through the calls and the
failures this hardening touched, in both shells and over real HTTPS (requests and aiohttp),
while every logger in the process records at DEBUG and the OpenTelemetry SDK collects spans
and metrics. Then repr/str of everything returned, every log record, span, metric, the
formatted chain of every exception and everything reachable from it (HTTP objects, the
transport's own objects and pickles included) are searched for the value. The command line's
output is swept too.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from azure.core.exceptions import AzureError
from hypothesis import given
from hypothesis import strategies as st

import safevault
import safevault.aio
from adversarial._profile import examples
from adversarial._reach import holds
from cli_support import run
from otel_support import pipeline
from safevault import CachePolicy, DecryptionError, RotationError, Rotator
from safevault.testing import FakeVault, FakeVaultServer
from vault.test_leaks import (
    CANARY_LETTERS,
    CANARY_PREFIX,
    _Capture,
    _metric_texts,
    _span_texts,
    secret_values,
)


@st.composite
def adversarial_values(draw: st.DrawFn) -> tuple[str, str]:
    """``(value, canary)``: values built to slip through a filter or a parser."""
    canary = CANARY_PREFIX + draw(st.text(alphabet=CANARY_LETTERS, min_size=12, max_size=12))
    template = draw(
        st.sampled_from(
            [
                "{c}",
                "{c}\r\nAuthorization: Bearer {c}",
                "x\n{c} INFO safevault: forged log line",
                "%2F{c}%00",
                "'{c}'\"",
                "{c}" + "x" * 24_000,  # near the 25 KiB limit
                "db-{c}",  # shaped like a secret name
                '{{"password": "{c}", "error": {{"code": "Forbidden"}}}}',
                "\u202e{c}\u200b",  # bidi override, zero-width space
            ]
        )
    )
    return template.format(c=canary), canary


@contextmanager
def _every_logger_at_debug() -> Iterator[_Capture]:
    handler = _Capture()
    root = logging.getLogger()
    loggers = [root] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    levels = [logger.level for logger in loggers]
    root.addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


class Sweep:
    """What a scenario produced: returned objects and raised errors."""

    def __init__(self) -> None:
        self.returned: list[tuple[str, Any]] = []
        self.raised: list[tuple[str, BaseException]] = []

    def ret(self, where: str, obj: Any) -> Any:
        self.returned.append((where, obj))
        return obj

    def expect(self, where: str, kind: Any, fn: Any) -> None:
        with pytest.raises(kind) as info:
            fn()
        self.raised.append((where, info.value))

    async def aexpect(self, where: str, kind: Any, coro: Any) -> None:
        with pytest.raises(kind) as info:
            await coro
        self.raised.append((where, info.value))


class QuotingRotator(Rotator):
    """A rotator whose target rejects the value with an error quoting it (as some do)."""

    def __init__(self, value: str, *, verify_false: bool = False) -> None:
        self.value = value
        self.verify_false = verify_false

    def generate(self, current: Any) -> str:
        return self.value

    def apply(self, new_value: str, current: Any) -> None:
        if not self.verify_false:
            raise PermissionError(f"target refused password {new_value!r}")

    def verify(self, new_value: str) -> Any:
        return False


def _sync_scenarios(fake: FakeVault, value: str, sweep: Sweep) -> None:
    with fake.vault(cache=CachePolicy(ttl=timedelta(seconds=60), jitter=0.0)) as vault:
        sweep.ret("set", vault.set_secret("sweep-a", value))
        vault.invalidate()
        sweep.ret("get", vault.get_secret("sweep-a"))
        sweep.ret("versions", vault.get_secret_versions("sweep-a", valid_only=False))
        fake.inject(400, times=3, match=("PUT", "/secrets/sweep-b"))
        sweep.expect("set 400", AzureError, lambda: vault.set_secret("sweep-b", value))
        fake.inject(503, times=5, match=("PUT", "/secrets/sweep-b"))
        sweep.expect("set 503", AzureError, lambda: vault.set_secret("sweep-b", value))
        sweep.expect(
            "swapped arguments",
            safevault.InvalidArgumentError,
            lambda: vault.set_secret(value + " !", "sweep-c"),
        )
        vault.set_secret("sweep-r", "before")
        sweep.expect(
            "rotator quoting the value",
            RotationError,
            lambda: vault.rotate_secret("sweep-r", QuotingRotator(value)),
        )
        fake.advance(timedelta(days=8))  # the pending value of that run expires: start afresh
        sweep.expect(
            "verify False",
            RotationError,
            lambda: vault.rotate_secret("sweep-r", QuotingRotator(value, verify_false=True)),
        )
        vault.create_key("sweep-k")
        blob = vault.encrypt("sweep-k", value.encode())
        sweep.ret("decrypt", vault.decrypt(blob).decode() == value)
        sweep.expect(
            "tampered", DecryptionError, lambda: vault.decrypt(blob[:-1] + bytes([blob[-1] ^ 1]))
        )


async def _aio_scenarios(fake: FakeVault, value: str, sweep: Sweep) -> None:
    async with fake.aio_vault(cache=CachePolicy(ttl=timedelta(seconds=60), jitter=0.0)) as vault:
        sweep.ret("aio set", await vault.set_secret("sweep-a", value))
        vault.invalidate()
        sweep.ret("aio get", await vault.get_secret("sweep-a"))
        fake.inject(400, times=3, match=("PUT", "/secrets/sweep-b"))
        await sweep.aexpect("aio set 400", AzureError, vault.set_secret("sweep-b", value))
        await sweep.aexpect(
            "aio swapped arguments",
            safevault.InvalidArgumentError,
            vault.set_secret(value + " !", "sweep-c"),
        )
        await vault.set_secret("sweep-r", "before")
        await sweep.aexpect(
            "aio rotator quoting the value",
            RotationError,
            vault.rotate_secret("sweep-r", QuotingRotator(value)),
        )


def _https_scenarios(server: FakeVaultServer, value: str, sweep: Sweep) -> None:
    options: dict[str, Any] = {
        "allow_any_host": True,
        "verify_challenge_resource": False,
        "connection_verify": str(server.ca_file),
        "retry_total": 0,
    }
    with safevault.Vault(server.url, credential=server.fake.credential, **options) as vault:
        server.fake.inject(400, match=("PUT", "/secrets/sweep-h"))
        sweep.expect("https set 400", AzureError, lambda: vault.set_secret("sweep-h", value))
        sweep.ret("https set", vault.set_secret("sweep-h", value))

    async def aio() -> None:
        async with safevault.aio.Vault(
            server.url, credential=server.fake.async_credential, **options
        ) as avault:
            server.fake.inject(400, match=("PUT", "/secrets/sweep-h"))
            await sweep.aexpect("aiohttp set 400", AzureError, avault.set_secret("sweep-h", value))

    asyncio.run(aio())


def _assert_swept(
    value: str, canary: str, sweep: Sweep, logs: _Capture, exporter: Any, reader: Any
) -> None:
    def check(where: str, text: str) -> None:
        assert canary not in text and value not in text, f"the value leaked into {where}"

    for where, obj in sweep.returned:
        check(f"repr of {where}", repr(obj))
        check(f"str of {where}", str(obj))
    for where, error in sweep.raised:
        check(f"{where}: message", str(error))
        check(f"{where}: repr", repr(error))
        if not isinstance(error.__cause__, PermissionError):  # the rotator's own text
            check(f"{where}: traceback", "".join(traceback.format_exception(error)))
            assert not holds(error, canary), f"{where}: reachable from the exception"
    for text in logs.texts:
        check("a log record", text)
    for where, text in _span_texts(exporter.get_finished_spans()):
        check(where, text)
    for where, text in _metric_texts(reader):
        check(where, text)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVaultServer]:
    with FakeVaultServer() as srv:
        yield srv


@examples(ci=12, full=300)
@given(drawn=st.one_of(secret_values(), adversarial_values()))
def test_sweep(drawn: tuple[str, str], server: FakeVaultServer) -> None:
    value, canary = drawn
    exporter, reader = pipeline()
    exporter.clear()
    sweep = Sweep()
    with _every_logger_at_debug() as logs:
        _sync_scenarios(FakeVault(), value, sweep)
        asyncio.run(_aio_scenarios(FakeVault(), value, sweep))
        _https_scenarios(server, value, sweep)
    assert len(sweep.raised) == 11
    assert any(text.startswith("azure.core.") for text in logs.texts), "no SDK log captured"
    assert any(text.startswith("urllib3.") for text in logs.texts), "no transport log captured"
    _assert_swept(value, canary, sweep, logs, exporter, reader)


CLI_VALUES = [
    "Zq-cli-ghijklmnopqr",
    "Zq-cli-ghijklmnopqs\r\nAuthorization: Bearer x",
    '{"password": "Zq-cli-ghijklmnopqt"}',
]


@pytest.mark.parametrize("value", CLI_VALUES)
def test_cli_output_never_shows_a_value(server: FakeVaultServer, value: str) -> None:
    env = server.environment()
    outputs = []
    server.fake.inject(400, times=2, match=("PUT", "/secrets/cli-sweep"))
    for debug in ([], ["--debug"]):
        outputs.append(
            run(
                *debug,
                "set",
                "cli-sweep",
                "--value-stdin",
                "--allow-any-host",
                env=env,
                stdin=value,
            )
        )
    outputs.append(
        run("set", "cli-sweep", "--value-stdin", "--allow-any-host", env=env, stdin=value)
    )
    outputs.append(
        run(
            "set",
            "cli-sweep",
            "--value-stdin",
            "--expires-in",
            "999d",
            "--allow-any-host",
            env=env,
            stdin=value,
        )
    )
    outputs.append(run("rotate", "cli-sweep", "--generate", "--allow-any-host", env=env))
    outputs.append(run("expiring", "--allow-any-host", env=env))
    assert [o.returncode for o in outputs] == [1, 1, 0, 2, 0, 0], [o.stderr for o in outputs]
    canary = value[value.index("Zq") : value.index("Zq") + 19]
    for result in outputs:
        assert canary not in result.stdout + result.stderr
