"""azure-core transports that hand requests to a :class:`~._service.FakeService` in-process."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport
from azure.core.rest import AsyncHttpResponse, HttpRequest, HttpResponse
from azure.core.rest._http_response_impl import HttpResponseImpl
from azure.core.rest._http_response_impl_async import AsyncHttpResponseImpl
from azure.core.utils import case_insensitive_dict

from ._http import FakeRequest, FakeResponse
from ._service import FakeService

__all__ = ["AsyncFakeTransport", "FakeTransport"]


class _Closeable:
    def close(self) -> None:
        return None


class _AsyncCloseable:
    async def close(self) -> None:
        return None


def _body_bytes(request: Any) -> bytes:
    content = getattr(request, "content", None)
    if content is None:
        content = getattr(request, "data", None) or getattr(request, "body", None)
    if content is None:
        return b""
    if isinstance(content, str):
        return content.encode("utf-8")
    if isinstance(content, (bytes, bytearray)):
        return bytes(content)
    if hasattr(content, "read"):
        data = content.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if isinstance(content, Iterable):
        return b"".join(bytes(chunk) for chunk in content)
    raise TypeError(f"FakeVault cannot send a body of type {type(content).__name__}")


def _to_fake(request: Any) -> FakeRequest:
    return FakeRequest.build(
        request.method, request.url, dict(request.headers.items()), _body_bytes(request)
    )


def _response_kwargs(request: Any, answer: FakeResponse, internal: object) -> dict[str, Any]:
    headers = case_insensitive_dict(answer.headers)
    content = answer.content()
    if content and "content-type" not in headers:
        headers["Content-Type"] = "application/json; charset=utf-8"
    headers["Content-Length"] = str(len(content))
    headers.setdefault("x-ms-keyvault-service-version", "fake")
    return {
        "request": request,
        "internal_response": internal,
        "status_code": answer.status,
        "reason": _reason(answer.status),
        "content_type": headers.get("content-type"),
        "headers": headers,
        "stream_download_generator": None,
    }


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class FakeHttpResponse(HttpResponseImpl):
    """A fully-read sync response."""

    def __init__(self, request: Any, answer: FakeResponse) -> None:
        super().__init__(**_response_kwargs(request, answer, _Closeable()))
        self._content = answer.content()
        self._is_stream_consumed = True
        self._is_closed = True


class AsyncFakeHttpResponse(AsyncHttpResponseImpl):
    """A fully-read async response."""

    def __init__(self, request: Any, answer: FakeResponse) -> None:
        super().__init__(**_response_kwargs(request, answer, _AsyncCloseable()))
        self._content = answer.content()
        self._is_stream_consumed = True
        self._is_closed = True


class FakeTransport(HttpTransport[HttpRequest, HttpResponse]):
    """A sync transport answering in-process; ``sleep()`` returns at once and is recorded.

    :param service: the fake service.
    """

    def __init__(self, service: FakeService) -> None:
        self._service = service

    def send(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """Answer ``request``.

        :param request: the azure-core request.
        :param kwargs: transport options (ignored).
        :returns: the response.
        """
        answer = self._service.handle(_to_fake(request))
        return FakeHttpResponse(request, answer)

    def open(self) -> None:
        """Nothing to open."""

    def close(self) -> None:
        """Nothing to close; the transport stays usable (clients share it)."""

    def __enter__(self) -> FakeTransport:
        return self

    def __exit__(self, *args: object) -> None:
        return None

    def sleep(self, duration: float) -> None:
        """Record ``duration`` and return at once.

        :param duration: the requested delay in seconds.
        """
        with self._service.state.lock:
            self._service.sleeps.append(duration)


class AsyncFakeTransport(AsyncHttpTransport[HttpRequest, AsyncHttpResponse]):
    """An async transport answering in-process; ``sleep()`` returns at once and is recorded.

    :param service: the fake service.
    """

    def __init__(self, service: FakeService) -> None:
        self._service = service

    async def send(self, request: HttpRequest, **kwargs: Any) -> AsyncHttpResponse:
        """Answer ``request``.

        :param request: the azure-core request.
        :param kwargs: transport options (ignored).
        :returns: the response.
        """
        answer = self._service.handle(_to_fake(request))
        await asyncio.sleep(0)
        return AsyncFakeHttpResponse(request, answer)

    async def open(self) -> None:
        """Nothing to open."""

    async def close(self) -> None:
        """Nothing to close; the transport stays usable (clients share it)."""

    async def __aenter__(self) -> AsyncFakeTransport:
        return self

    async def __aexit__(self, *args: object) -> None:
        return None

    async def sleep(self, duration: float) -> None:
        """Record ``duration`` and return at once.

        :param duration: the requested delay in seconds.
        """
        with self._service.state.lock:
            self._service.sleeps.append(duration)
        await asyncio.sleep(0)
