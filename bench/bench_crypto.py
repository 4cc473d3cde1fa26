"""Benchmarks of ``Vault.encrypt`` / ``Vault.decrypt`` (envelope encryption) on FakeVault.

    python bench/bench_crypto.py            # prints markdown tables (about 30 s on 2 cores)
    python bench/bench_crypto.py --quick    # a noisy smoke run (about 5 s)
    python bench/bench_crypto.py --json crypto.json

1. Throughput of ``encrypt`` and ``decrypt`` for 1 KiB and 1 MiB payloads, sync and async,
   one thread, warm caches. ``encrypt`` is local (AES-256-GCM, and RSA-OAEP-256 with the cached
   public key); ``decrypt`` sends one unwrapKey through the SDK pipeline, and FakeVault does
   the RSA private-key operation in process, so its figure is CPU cost, not network latency.
2. Vault calls per operation, counted from FakeVault's request log: warm and cold, and for
   decrypt across two key versions from a cold cache (key material must be fetched at most
   once per version while cached), next to the naive SDK pattern of building a
   ``CryptographyClient(key_id)`` per call.

Only public API plus the SDK's own ``CryptographyClient`` (for the baseline) is used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _util import (
    Summary,
    calibrate,
    fmt_ns,
    fmt_rate,
    machine_info,
    make_loop,
    md_table,
    run_threads,
)
from azure.keyvault.keys.crypto import CryptographyClient, KeyWrapAlgorithm

from safevault.testing import FakeVault

SIZES = {"1 KiB": 1024, "1 MiB": 1024 * 1024}
KEY = "bench-key"


def measure(fn: Callable[[Any], object], arg: Any, *, duration: float, repeats: int) -> Summary:
    batch = calibrate(fn, arg, budget_ns=int(min(duration, 0.3) * 1e9))
    loop = make_loop(fn, arg, batch)
    return Summary.of([run_threads(loop, batch, 1, duration) for _ in range(repeats)])


class AioRunner:
    """Runs an ``safevault.aio.Vault``'s coroutines to completion on a private event loop."""

    def __init__(self, fake: FakeVault) -> None:
        self.loop = asyncio.new_event_loop()
        self.vault = self.loop.run_until_complete(self._build(fake))

    @staticmethod
    async def _build(fake: FakeVault) -> Any:
        return fake.aio_vault()

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self.loop.run_until_complete(getattr(self.vault, name)(*args, **kwargs))

    def close(self) -> None:
        self.loop.run_until_complete(self.vault.close())
        self.loop.close()


def throughput(duration: float, repeats: int) -> list[dict[str, Any]]:
    fake = FakeVault()
    sync_vault = fake.vault()
    sync_vault.create_key(KEY)
    aio = AioRunner(fake)
    rows: list[dict[str, Any]] = []
    for flavour in ("sync", "aio"):
        if flavour == "sync":
            encrypt: Callable[[bytes], bytes] = lambda p: sync_vault.encrypt(KEY, p)  # noqa: E731
            decrypt: Callable[[bytes], bytes] = sync_vault.decrypt
        else:
            encrypt = lambda p: aio.call("encrypt", KEY, p)  # noqa: E731
            decrypt = lambda b: aio.call("decrypt", b)  # noqa: E731
        for label, size in SIZES.items():
            payload = bytes(size)
            blob = encrypt(payload)
            assert decrypt(blob) == payload
            for op, fn, arg in (("encrypt", encrypt, payload), ("decrypt", decrypt, blob)):
                summary = measure(fn, arg, duration=duration, repeats=repeats)
                rows.append(
                    {
                        "flavour": flavour,
                        "operation": op,
                        "payload": label,
                        "p50_ns": summary.p50,
                        "p90_ns": summary.p90,
                        "ops_per_s": summary.throughput,
                        "mib_per_s": summary.throughput * size / (1024 * 1024),
                    }
                )
    aio.close()
    sync_vault.close()
    return rows


def _calls(fake: FakeVault, since: int) -> dict[str, int]:
    counts = {"GET key": 0, "unwrapKey": 0, "other": 0}
    for method, path, status in fake.requests[since:]:
        if status == 401:
            continue  # the SDK's challenge exchange, once per pipeline
        if path.endswith("/unwrapkey"):
            counts["unwrapKey"] += 1
        elif method == "GET" and path.startswith("/keys/"):
            counts["GET key"] += 1
        else:
            counts["other"] += 1
    return counts


def calls_per_operation(n: int = 50) -> list[dict[str, Any]]:
    fake = FakeVault()
    writer = fake.vault()
    writer.create_key(KEY)
    rows: list[dict[str, Any]] = []

    def row(case: str, ops: int, since: int) -> None:
        counts = _calls(fake, since)
        rows.append({"case": case, "operations": ops, **counts})

    cold = fake.vault()
    start = len(fake.requests)
    cold.encrypt(KEY, b"x")
    row("encrypt, first call (cold cache)", 1, start)
    start = len(fake.requests)
    for _ in range(n):
        cold.encrypt(KEY, b"x")
    row("encrypt, warm", n, start)

    v1 = [writer.encrypt(KEY, b"a") for _ in range(n // 2)]
    writer.rotate_key(KEY)
    v2 = [writer.encrypt(KEY, b"b") for _ in range(n // 2)]
    start = len(fake.requests)
    for blob in v1 + v2:
        writer.decrypt(blob)
    row("decrypt, same vault that encrypted (2 versions)", n, start)

    reader = fake.vault()
    start = len(fake.requests)
    for blob in v1 + v2:
        reader.decrypt(blob, key_name=KEY)
    row("decrypt, cold cache, 2 versions", n, start)
    start = len(fake.requests)
    for blob in v1 + v2:
        reader.decrypt(blob, key_name=KEY)
    row("decrypt, warm", n, start)

    # Baseline: the naive SDK pattern, a CryptographyClient built from the key id per call.
    key_id = writer.get_key(KEY).id
    wrapped = fake.crypto_client(key_id).wrap_key(KeyWrapAlgorithm.rsa_oaep_256, bytes(32))
    start = len(fake.requests)
    for _ in range(n):
        client: CryptographyClient = fake.crypto_client(key_id)
        client.unwrap_key(KeyWrapAlgorithm.rsa_oaep_256, wrapped.encrypted_key)
    row("baseline: SDK CryptographyClient(key_id) per unwrap", n, start)
    for vault in (writer, cold, reader):
        vault.close()
    return rows


def report(throughput_rows: list[dict[str, Any]], call_rows: list[dict[str, Any]]) -> str:
    info = machine_info(["azure-keyvault-keys", "azure-core", "cryptography"])
    lines = [
        "## Envelope encryption (`bench/bench_crypto.py`)",
        "",
        f"{info['date']} · {info['cpu']} · {info['usable_cores']} usable cores · "
        f"{info['python']} · " + ", ".join(f"{k} {v}" for k, v in info["packages"].items()),
        "",
        "Throughput, one thread, warm caches, RSA-2048 key. Decrypt includes one unwrapKey "
        "through the SDK pipeline to FakeVault, which performs the RSA private-key operation "
        "in process (no network).",
        "",
        md_table(
            ["flavour", "operation", "payload", "p50 / call", "p90 / call", "ops/s", "MiB/s"],
            [
                (
                    r["flavour"],
                    r["operation"],
                    r["payload"],
                    fmt_ns(r["p50_ns"]),
                    fmt_ns(r["p90_ns"]),
                    fmt_rate(r["ops_per_s"]),
                    f"{r['mib_per_s']:.1f}",
                )
                for r in throughput_rows
            ],
        ),
        "",
        "Vault calls per operation (FakeVault's request log; 401 challenge exchanges left out).",
        "",
        md_table(
            ["case", "ops", "GET key / op", "unwrapKey / op", "other / op"],
            [
                (
                    r["case"],
                    r["operations"],
                    f"{r['GET key'] / r['operations']:.2f} ({r['GET key']})",
                    f"{r['unwrapKey'] / r['operations']:.2f}",
                    f"{r['other'] / r['operations']:.2f}",
                )
                for r in call_rows
            ],
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short, noisy run")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    duration, repeats = (0.2, 1) if args.quick else (1.0, 3)
    throughput_rows = throughput(duration, repeats)
    call_rows = calls_per_operation()
    cold = next(r for r in call_rows if r["case"] == "decrypt, cold cache, 2 versions")
    if cold["GET key"] > 2:
        print("FAIL: decrypt fetched key material more than once per version", file=sys.stderr)
        return 1
    print(report(throughput_rows, call_rows))
    if args.json:
        args.json.write_text(
            json.dumps({"throughput": throughput_rows, "calls": call_rows}, indent=2),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
