"""The fake Key Vault service: challenge, faults, rate limit, api-version check, routing, log."""

from __future__ import annotations

from urllib.parse import urlsplit

from azure.core.exceptions import ServiceRequestError

from ._clock import FakeClock
from ._faults import THROTTLED_MESSAGE, FaultQueue, RateLimiter, status_error
from ._http import FakeRequest, FakeResponse, Router, ServiceError
from ._state import VaultState

__all__ = ["API_VERSIONS", "CHALLENGE_AUTHORITY", "FakeService", "build_router"]

API_VERSIONS = frozenset(
    {
        "2016-10-01",
        "7.0",
        "7.1",
        "7.2",
        "7.3",
        "7.4",
        "7.5",
        "7.6",
        "2025-07-01",
        "2026-04-01",
    }
)
LATEST_API_VERSION = "2026-04-01"
CHALLENGE_AUTHORITY = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47"


def build_router() -> Router:
    """The router of the whole data plane: secrets, keys and certificates.

    :returns: a router including every operation's handler.
    """
    from ._certificates import certificates_router
    from ._keys import keys_router
    from ._secrets import secrets_router

    router = Router()
    router.include(secrets_router)
    router.include(keys_router)
    router.include(certificates_router)
    return router


class FakeService:
    """Answers :class:`FakeRequest` objects the way Key Vault would.

    :param vault_url: the URL the fake answers for.
    :param clock: the fake clock.
    """

    def __init__(self, vault_url: str, clock: FakeClock) -> None:
        parts = urlsplit(vault_url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"vault_url must be an https URL, not {vault_url!r}")
        self.vault_url = f"https://{parts.netloc}".rstrip("/")
        self._host = parts.hostname.lower()
        self._port = parts.port or 443
        self.clock = clock
        self.state = VaultState(self.vault_url, clock.now)
        self.router = build_router()
        self.faults = FaultQueue()
        self.limiter = RateLimiter()
        self.requests: list[tuple[str, str, int]] = []
        self.sleeps: list[float] = []
        self.challenge_resource = "https://vault.azure.net"

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Answer one request (and log it).

        :param request: the request.
        :returns: the answer; raises ServiceRequestError for another host and the exception
            of an injected exception fault.
        """
        self._check_host(request.url)
        with self.state.lock:
            try:
                response = self._answer(request)
            except ServiceError as err:
                response = err.to_response()
            except BaseException:
                self.requests.append((request.method, request.path, 0))
                raise
            self.requests.append((request.method, request.path, response.status))
        return response

    def _check_host(self, url: str) -> None:
        parts = urlsplit(url)
        try:
            port = parts.port or 443
        except ValueError:
            port = -1
        host = (parts.hostname or "").lower()
        if parts.scheme.lower() != "https" or host != self._host or port != self._port:
            raise ServiceRequestError(f"FakeVault: cannot connect to {parts.netloc!r}")

    def _answer(self, request: FakeRequest) -> FakeResponse:
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return self._challenge()
        fault = self.faults.take(request)
        if fault is not None:
            if isinstance(fault.fault, int):
                raise status_error(fault.fault, fault.retry_after)
            raise fault.fault(f"FakeVault: injected {fault.fault.__name__}")
        if not self.limiter.admit(self.clock.timer()):
            raise ServiceError(429, "Throttled", THROTTLED_MESSAGE)
        version = request.query.get("api-version")
        if not version:
            raise ServiceError(400, "BadParameter", "The 'api-version' query parameter is missing.")
        if version not in API_VERSIONS:
            raise ServiceError(
                400,
                "BadParameter",
                f"The specified version ({version}) is not recognized. Consider using the"
                f" latest supported version ({LATEST_API_VERSION}).",
            )
        return self.router.dispatch(self.state, request)

    def _challenge(self) -> FakeResponse:
        header = (
            f'Bearer authorization="{CHALLENGE_AUTHORITY}", resource="{self.challenge_resource}"'
        )
        return FakeResponse(
            401,
            {
                "error": {
                    "code": "Unauthorized",
                    "message": "AKV10000: Request is missing a Bearer or PoP token.",
                }
            },
            {"WWW-Authenticate": header},
        )
