"""Secrets: listings page with ``nextLink`` (25 items a page, ``maxresults`` honoured)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.core.exceptions import HttpResponseError

from ._backend import Backend


def _check_next_link(link: str, backend: Backend) -> None:
    parts = urlsplit(link)
    assert parts.scheme == "https"
    assert parts.hostname == urlsplit(backend.vault_url).hostname
    query = parse_qs(parts.query)
    assert "api-version" in query
    assert "$skiptoken" in query


async def test_versions_page_by_25_with_next_link(backend: Backend, secret_ops: Any) -> None:
    made = {(await secret_ops.set(backend.name, f"v{i}")).properties.version for i in range(30)}
    pages = await secret_ops.version_pages(backend.name)
    assert [len(items) for items, _ in pages] == [25, 5]
    first_link, last_link = pages[0][1], pages[1][1]
    assert first_link is not None
    _check_next_link(first_link, backend)
    assert last_link is None
    assert {p.version for items, _ in pages for p in items} == made


async def test_max_page_size_is_honoured(backend: Backend, secret_ops: Any) -> None:
    for i in range(7):
        await secret_ops.set(backend.name, f"v{i}")
    pages = await secret_ops.version_pages(backend.name, max_page_size=3)
    assert [len(items) for items, _ in pages] == [3, 3, 1]
    assert [token is None for _, token in pages] == [False, False, True]
    assert len({p.version for items, _ in pages for p in items}) == 7


async def test_versions_listing_order_is_stable(backend: Backend, secret_ops: Any) -> None:
    for i in range(4):
        await secret_ops.set(backend.name, f"v{i}")
    first = [p.version for p in await secret_ops.list_versions(backend.name)]
    second = [p.version for p in await secret_ops.list_versions(backend.name, max_page_size=1)]
    assert first == second


@pytest.mark.parametrize("size", [0, 26])
def test_max_page_size_out_of_range_is_400(backend: Backend, size: int) -> None:
    client = backend.secret_client()
    client.set_secret(backend.name, "v")
    with pytest.raises(HttpResponseError) as info:
        list(client.list_properties_of_secret_versions(backend.name, max_page_size=size))
    assert info.value.status_code == 400
    assert info.value.error.code == "BadParameter"


def test_secret_listing_pages_across_many_secrets(backend: Backend) -> None:
    client = backend.secret_client()
    names = {backend.new_name("page") for _ in range(27)}
    for name in names:
        client.set_secret(name, "v")
    pages = client.list_properties_of_secrets().by_page()
    seen: list[str] = []
    links: list[str | None] = []
    for page in pages:
        seen.extend(p.name for p in page)
        links.append(pages.continuation_token)
    assert names <= set(seen)
    assert len(seen) == len(set(seen))
    assert len(links) >= 2
    assert links[-1] is None
    for link in links[:-1]:
        assert link is not None
        _check_next_link(link, backend)


async def test_deleted_listing_pages(backend: Backend, secret_ops: Any) -> None:
    names = [backend.new_name("del") for _ in range(4)]
    for name in names:
        await secret_ops.set(name, "v")
        await secret_ops.delete(name)
    listed = {d.name for d in await secret_ops.list_deleted(max_page_size=2)}
    assert set(names) <= listed
