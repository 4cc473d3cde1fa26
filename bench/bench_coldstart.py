"""Cold start: reading 100 secrets from a vault that answers each GET after 20 ms.

    python bench/bench_coldstart.py                      # prints markdown (about 30 s)
    python bench/bench_coldstart.py --out BENCHMARKS.md  # also writes its section there
    python bench/bench_coldstart.py --rounds 1           # a quicker, noisier run

FakeVault behind a wrapping transport that holds every GET of a secret for ``LATENCY``
(``time.sleep`` in the sync transport, ``asyncio.sleep`` in the async one) before FakeVault
answers it, like a vault one network round trip away. Side by side in one run, sync
(``safevault.Vault``) and async (``safevault.aio.Vault``), each on a fresh vault (cold
cache) per measurement, with the public API only:

* a loop of ``get_secret`` over the names: one round trip after another (the baseline);
* ``get_secrets(names)``: the misses read concurrently, at most 16 in flight (the default);
* ``preload(*names)``: the same path.

Wall time is reported in round trips (wall / ``LATENCY``) against the target
``ceil(N / 16) + 2``; the median over ``--rounds`` rounds (contenders interleaved within
each round). Each contender's GETs are counted from FakeVault's request log (one per name).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from _util import machine_info, md_table
from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport
from collect import replace_block

from safevault.testing import FakeVault

SECTION = "coldstart"
COMMAND = "python bench/bench_coldstart.py"
LATENCY = 0.020  # seconds before each GET of a secret is answered
COUNT = 100
CONCURRENCY = 16  # get_secrets' documented default
NAMES = [f"cold-{i:03d}" for i in range(COUNT)]
CONTENDERS = ("get_secret loop (baseline)", "get_secrets", "preload")


def _delayed(request: Any) -> bool:
    path = unquote(urlsplit(request.url).path)
    return request.method == "GET" and path.startswith("/secrets/")


class SlowTransport(HttpTransport):  # type: ignore[type-arg]
    """FakeVault's sync transport, answering each GET of a secret after ``LATENCY``."""

    def __init__(self, fake: FakeVault) -> None:
        self._inner = fake.transport

    def send(self, request: Any, **kwargs: Any) -> Any:
        if _delayed(request):
            time.sleep(LATENCY)
        return self._inner.send(request, **kwargs)

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def __enter__(self) -> SlowTransport:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def sleep(self, duration: float) -> None:
        self._inner.sleep(duration)


class AsyncSlowTransport(AsyncHttpTransport):  # type: ignore[type-arg]
    """FakeVault's async transport, answering each GET of a secret after ``LATENCY``."""

    def __init__(self, fake: FakeVault) -> None:
        self._inner = fake.async_transport

    async def send(self, request: Any, **kwargs: Any) -> Any:
        if _delayed(request):
            await asyncio.sleep(LATENCY)
        return await self._inner.send(request, **kwargs)

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> AsyncSlowTransport:
        return self

    async def __aexit__(self, *args: object) -> None:
        return None

    async def sleep(self, duration: float) -> None:
        await self._inner.sleep(duration)


def _gets(fake: FakeVault, since: int) -> int:
    """Authorized GETs of the measured secrets since ``since`` (401 challenges left out)."""
    return sum(
        1
        for method, path, status in fake.requests[since:]
        if method == "GET" and status != 401 and path.startswith("/secrets/cold-")
    )


def _sync_call(vault: Any, contender: str) -> Callable[[], Any]:
    if contender == CONTENDERS[0]:
        return lambda: [vault.get_secret(name) for name in NAMES]
    if contender == "get_secrets":
        return lambda: vault.get_secrets(NAMES)
    return lambda: vault.preload(*NAMES)


async def _aio_call(vault: Any, contender: str) -> Any:
    if contender == CONTENDERS[0]:
        return [await vault.get_secret(name) for name in NAMES]
    if contender == "get_secrets":
        return await vault.get_secrets(NAMES)
    return await vault.preload(*NAMES)


def measure_sync(fake: FakeVault, contender: str) -> tuple[float, int]:
    """(wall seconds, GETs) of one cold read of ``NAMES`` through a fresh sync Vault."""
    with fake.vault(transport=SlowTransport(fake), timer=None, clock=None) as vault:
        vault.get_secret("warm-up")  # the SDK's challenge exchange and token: not measured
        call = _sync_call(vault, contender)
        mark = len(fake.requests)
        start = time.perf_counter()
        call()
        wall = time.perf_counter() - start
        return wall, _gets(fake, mark)


def measure_aio(fake: FakeVault, contender: str) -> tuple[float, int]:
    """(wall seconds, GETs) of the same through a fresh ``safevault.aio.Vault``."""

    async def run() -> tuple[float, int]:
        vault = fake.aio_vault(transport=AsyncSlowTransport(fake), timer=None, clock=None)
        async with vault:
            await vault.get_secret("warm-up")
            mark = len(fake.requests)
            start = time.perf_counter()
            await _aio_call(vault, contender)
            wall = time.perf_counter() - start
            return wall, _gets(fake, mark)

    return asyncio.run(run())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds (median reported)")
    parser.add_argument("--out", type=Path, help="write the section into this markdown file")
    args = parser.parse_args(argv)
    fake = FakeVault()
    client = fake.secret_client()
    for name in [*NAMES, "warm-up"]:
        client.set_secret(name, f"value-of-{name}")
    flavours = {"sync": measure_sync, "aio": measure_aio}
    walls: dict[tuple[str, str], list[float]] = {}
    gets: dict[tuple[str, str], set[int]] = {}
    for _ in range(args.rounds):
        for flavour, measure in flavours.items():
            for contender in CONTENDERS:
                wall, sent = measure(fake, contender)
                walls.setdefault((flavour, contender), []).append(wall)
                gets.setdefault((flavour, contender), set()).add(sent)
    target = math.ceil(COUNT / CONCURRENCY) + 2
    rows = []
    failed = []
    for flavour in flavours:
        for contender in CONTENDERS:
            key = (flavour, contender)
            wall = statistics.median(walls[key])
            trips = wall / LATENCY
            bounded = contender != CONTENDERS[0]
            met = "" if not bounded else ("yes" if trips <= target else "**no**")
            if bounded and trips > target:
                failed.append(f"{flavour} {contender}")
            rows.append(
                (
                    flavour,
                    f"`{contender}`" if bounded else contender,
                    f"{wall * 1e3:.0f} ms",
                    f"{trips:.1f}",
                    f"{min(walls[key]) / LATENCY:.1f} - {max(walls[key]) / LATENCY:.1f}",
                    ", ".join(str(n) for n in sorted(gets[key])),
                    met,
                )
            )
    info = machine_info(["safevault", "azure-core", "azure-keyvault-secrets"])
    table = md_table(
        (
            "flavour",
            "contender",
            "wall, median",
            "round trips",
            "round trips, min - max",
            "GETs",
            f"<= {target} round trips",
        ),
        rows,
    )
    packages = ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    text = (
        f"## Cold start: {COUNT} secrets, each GET answered after {LATENCY * 1e3:.0f} ms "
        f"(`bench/bench_coldstart.py`)\n\n"
        f"{info['date']} · {info['cpu']} · {info['usable_cores']} usable cores · "
        f"{info['python']} · {packages}\n\n"
        f"Command: `{COMMAND} --rounds {args.rounds}`. FakeVault behind a transport that "
        f"holds each GET of a secret {LATENCY * 1e3:.0f} ms before answering; a fresh Vault "
        f"(cold cache) per measurement; median of {args.rounds} rounds, contenders "
        f"interleaved. One round trip = {LATENCY * 1e3:.0f} ms; the target for the bounded "
        f"paths (16 reads in flight) is ceil({COUNT} / {CONCURRENCY}) + 2 = {target} round "
        f"trips.\n\n{table}\n"
    )
    print(text)
    if args.out is not None:
        report = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        args.out.write_text(replace_block(report, SECTION, text, COMMAND), encoding="utf-8")
    if failed:
        print(f"target missed: {', '.join(failed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
