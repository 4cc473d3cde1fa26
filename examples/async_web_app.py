"""An aiohttp web app that reads its database password through safevault.aio.

The app preloads its secrets at start-up, reads them per request from the cache (no vault
request on the hot path), and rebuilds its "connection pool" when the password rotates
(`on_change`). Run it and it serves one request to itself, then exits; pass `--serve` to
keep it running on http://127.0.0.1:8080.

    pip install "safevault[aio]"
    python examples/async_web_app.py
"""

from __future__ import annotations

import asyncio
import os
import sys

from aiohttp import ClientSession, web

import safevault.aio
from safevault.testing import FakeVault

VAULT_KEY = web.AppKey("vault", safevault.aio.Vault)
POOL_KEY = web.AppKey("pool", dict)


async def open_vault() -> safevault.aio.Vault:
    url = os.environ.get("SAFEVAULT_VAULT_URL")
    if url:
        return safevault.aio.Vault(url)
    print("SAFEVAULT_VAULT_URL is not set: using an in-process FakeVault")
    fake = FakeVault()
    vault = fake.aio_vault()
    await vault.set_secret("webapp-db-password", "initial-password")
    return vault


async def on_startup(app: web.Application) -> None:
    vault = await open_vault()
    await vault.preload("webapp-db-password")
    pool = {"password_version": (await vault.get_secret("webapp-db-password")).version}

    def rebuild(old: object, new: safevault.aio.Secret) -> None:
        pool["password_version"] = new.version  # reconnect with the new value here

    vault.on_change("webapp-db-password", rebuild)
    app[VAULT_KEY] = vault
    app[POOL_KEY] = pool


async def on_cleanup(app: web.Application) -> None:
    await app[VAULT_KEY].close()


async def handle(request: web.Request) -> web.Response:
    secret = await request.app[VAULT_KEY].get_secret("webapp-db-password")
    return web.json_response(
        {"password_version": secret.version, "pool": request.app[POOL_KEY]["password_version"]}
    )


def make_app() -> web.Application:
    app = web.Application()
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    app.router.add_get("/", handle)
    return app


async def self_test() -> None:
    runner = web.AppRunner(make_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with ClientSession() as session, session.get(f"http://127.0.0.1:{port}/") as response:
            body = await response.json()
            print("GET / ->", response.status, body)
            assert response.status == 200
            assert body["password_version"] == body["pool"]
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    if "--serve" in sys.argv:
        web.run_app(make_app(), host="127.0.0.1", port=8080)
    else:
        asyncio.run(self_test())
