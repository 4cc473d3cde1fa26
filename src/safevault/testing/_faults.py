"""Injected faults and the rate limit of FakeVault."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from http import HTTPStatus

from ._http import FakeRequest, ServiceError

__all__ = ["THROTTLED_MESSAGE", "Fault", "FaultQueue", "RateLimiter", "status_error"]

THROTTLED_MESSAGE = (
    "Request was not processed because too many requests were received."
    " Reason: VaultRequestTypeLimitReached"
)

# status -> (Key Vault error code, message, innererror code)
_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("BadParameter", "The request is invalid (injected fault).", None),
    401: ("Unauthorized", "AKV10032: Invalid issuer (injected fault).", None),
    403: (
        "Forbidden",
        "Caller is not authorized to perform action on resource (injected fault).",
        "ForbiddenByRbac",
    ),
    404: ("NotFound", "The requested resource was not found (injected fault).", None),
    408: ("RequestTimeout", "The request timed out (injected fault).", None),
    409: ("Conflict", "The request conflicts with the resource's state (injected fault).", None),
    429: ("Throttled", THROTTLED_MESSAGE, None),
    500: ("InternalServerError", "An internal server error occurred (injected fault).", None),
    502: ("BadGateway", "Bad gateway (injected fault).", None),
    503: ("ServiceUnavailable", "The service is unavailable (injected fault).", None),
    504: ("GatewayTimeout", "The gateway timed out (injected fault).", None),
}


def status_error(status: int, retry_after: float | None = None) -> ServiceError:
    """The Key Vault error answer for an HTTP status.

    :param status: the HTTP status (400-599).
    :param retry_after: seconds for a ``Retry-After`` header, or None for none.
    :returns: the error.
    """
    known = _ERRORS.get(status)
    if known is None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        known = ("".join(word.capitalize() for word in phrase.split()), f"{phrase}.", None)
    code, message, inner = known
    headers = {}
    if retry_after is not None:
        headers["Retry-After"] = _format_seconds(retry_after)
    return ServiceError(status, code, message, inner_code=inner, headers=headers)


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


@dataclass
class Fault:
    """One queued fault.

    :param fault: an HTTP status to answer with, or an exception class to raise.
    :param remaining: how many more matching requests it hits.
    :param retry_after: ``Retry-After`` seconds for status faults.
    :param match: ``(method, path substring)``; a None or ``"*"`` method matches any.
    """

    fault: int | type[BaseException]
    remaining: int
    retry_after: float | None = None
    match: tuple[str | None, str] | None = None

    def matches(self, request: FakeRequest) -> bool:
        """Whether this fault hits ``request``.

        :param request: the incoming request.
        :returns: True when method and path match.
        """
        if self.match is None:
            return True
        method, fragment = self.match
        if method not in (None, "*") and method.upper() != request.method:
            return False
        return fragment in request.path


class FaultQueue:
    """Faults in the order they were injected; the first one matching a request hits it."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault.

        :param fault: the fault.
        """
        self._faults.append(fault)

    def take(self, request: FakeRequest) -> Fault | None:
        """Consume one hit of the first fault that matches ``request``.

        :param request: the incoming request.
        :returns: the fault, or None when none matches.
        """
        for fault in self._faults:
            if fault.matches(request):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Drop every queued fault."""
        self._faults.clear()

    def __len__(self) -> int:
        return len(self._faults)


class RateLimiter:
    """At most ``limit`` admitted requests in any sliding window of ``window`` seconds."""

    def __init__(self, window: float = 10.0) -> None:
        self.window = window
        self.limit: int | None = None
        self._admitted: deque[float] = deque()

    def configure(self, limit: int | None) -> None:
        """Set or remove the limit (and forget past requests).

        :param limit: requests per window, or None for no limit.
        """
        if limit is not None and (isinstance(limit, bool) or limit < 0):
            raise ValueError("rate limit must be a non-negative int or None")
        self.limit = limit
        self._admitted.clear()

    def admit(self, now: float) -> bool:
        """Count a request at ``now`` unless the window is full.

        :param now: the fake timer, in seconds.
        :returns: True when admitted; refused requests are not counted.
        """
        if self.limit is None:
            return True
        while self._admitted and self._admitted[0] <= now - self.window:
            self._admitted.popleft()
        if len(self._admitted) >= self.limit:
            return False
        self._admitted.append(now)
        return True
