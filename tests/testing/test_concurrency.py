"""FakeVault shared by many threads and many asyncio tasks."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from safevault.testing import FakeVault

THREADS = 16


def test_sixteen_threads_set_and_get() -> None:
    fake = FakeVault()
    client = fake.secret_client()
    barrier = threading.Barrier(THREADS)

    def work(i: int) -> list[str]:
        barrier.wait()
        seen = []
        for j in range(10):
            client.set_secret(f"s-{i}", f"{i}-{j}")
            seen.append(client.get_secret(f"s-{i}").value)
        return seen

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(work, range(THREADS)))
    for i, seen in enumerate(results):
        assert seen == [f"{i}-{j}" for j in range(10)]
    assert len(list(client.list_properties_of_secrets())) == THREADS
    assert all(
        len(list(client.list_properties_of_secret_versions(f"s-{i}"))) == 10 for i in range(THREADS)
    )


def test_threads_adding_versions_to_one_secret() -> None:
    fake = FakeVault()
    client = fake.secret_client()
    barrier = threading.Barrier(THREADS)

    def work(i: int) -> str:
        barrier.wait()
        version = client.set_secret("shared", f"v{i}").properties.version
        assert version is not None
        return version

    with ThreadPoolExecutor(THREADS) as pool:
        versions = list(pool.map(work, range(THREADS)))
    assert len(set(versions)) == THREADS
    listed = {p.version for p in client.list_properties_of_secret_versions("shared")}
    assert listed == set(versions)
    assert client.get_secret("shared").value in {f"v{i}" for i in range(THREADS)}
    assert len(fake.requests) >= THREADS


def test_threads_share_the_fault_queue() -> None:
    fake = FakeVault()
    fake.secret_client().set_secret("k", "v")
    fake.inject(503, times=THREADS)
    client = fake.secret_client(retry_total=THREADS + 1, retry_status=THREADS + 1)

    def work(_: int) -> str:
        value = client.get_secret("k").value
        assert value is not None
        return value

    with ThreadPoolExecutor(THREADS) as pool:
        assert set(pool.map(work, range(THREADS * 2))) == {"v"}
    assert sum(1 for _, _, s in fake.requests if s == 503) == THREADS


async def test_many_asyncio_tasks() -> None:
    fake = FakeVault()
    async with fake.aio_secret_client() as client:
        await asyncio.gather(*(client.set_secret(f"a-{i}", str(i)) for i in range(32)))
        got = await asyncio.gather(*(client.get_secret(f"a-{i}") for i in range(32)))
    assert [s.value for s in got] == [str(i) for i in range(32)]


def test_threads_share_the_rate_limit() -> None:
    fake = FakeVault()
    fake.secret_client().set_secret("k", "v")
    fake.rate_limit(THREADS)
    client = fake.secret_client(retry_total=0)

    def work(_: int) -> int:
        try:
            client.get_secret("k")
        except Exception:
            return 429
        return 200

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(pool.map(work, range(THREADS * 3)))
    assert statuses.count(200) == THREADS
    assert statuses.count(429) == THREADS * 2
