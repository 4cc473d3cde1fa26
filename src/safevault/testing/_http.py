"""The HTTP vocabulary of FakeVault: requests, responses, service errors and routing.

FakeVault is a referee: this subpackage imports nothing of safevault's own logic.
Handlers are plain functions ``handler(ctx, request, **path_params) -> FakeResponse``
registered on a :class:`Router` with a path pattern such as ``/secrets/{name}/{version}``.
They raise :class:`ServiceError` for every Key Vault error answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["FakeRequest", "FakeResponse", "Handler", "Router", "ServiceError"]


@dataclass(frozen=True)
class FakeRequest:
    """One request as the fake service sees it."""

    method: str
    url: str
    path: str  # percent-decoded path, e.g. "/secrets/db/abc"
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-cased header names
    body: bytes

    @classmethod
    def build(
        cls, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> FakeRequest:
        parts = urlsplit(url)
        return cls(
            method=method.upper(),
            url=url,
            path=unquote(parts.path) or "/",
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in headers.items()},
            body=body or b"",
        )

    def json(self) -> Any:
        """The body parsed as JSON (``{}`` for an empty body); 400 BadParameter if malformed."""
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError:
            raise ServiceError(400, "BadParameter", "The request body is not valid JSON.") from None


@dataclass
class FakeResponse:
    """One answer: a status, a JSON-serialisable body (or None) and headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def content(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":")).encode()


class ServiceError(Exception):
    """A Key Vault error answer: ``{"error": {"code", "message", "innererror"}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        inner_code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.inner_code = inner_code
        self.headers = dict(headers or {})

    def to_response(self) -> FakeResponse:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.inner_code is not None:
            error["innererror"] = {"code": self.inner_code}
        return FakeResponse(self.status, {"error": error}, dict(self.headers))


Handler = Callable[..., FakeResponse]

_PARAM = re.compile(r"\{(\w+)\}")


class Router:
    """Maps (method, path pattern) to handlers; ``{param}`` matches one path segment."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        regex = re.compile(
            "^" + _PARAM.sub(lambda m: f"(?P<{m.group(1)}>[^/]*)", pattern.rstrip("/")) + "/?$"
        )

        def register(handler: Handler) -> Handler:
            self._routes.append((method.upper(), regex, handler))
            return handler

        return register

    def include(self, other: Router) -> None:
        self._routes.extend(other._routes)

    def dispatch(self, ctx: Any, request: FakeRequest) -> FakeResponse:
        path_matched = False
        for method, regex, handler in self._routes:
            match = regex.match(request.path)
            if match is None:
                continue
            path_matched = True
            if method == request.method:
                return handler(ctx, request, **match.groupdict())
        if path_matched:
            raise ServiceError(405, "MethodNotAllowed", f"{request.method} is not allowed here.")
        raise ServiceError(404, "NotFound", f"No operation answers {request.path}.")
