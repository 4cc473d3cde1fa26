"""Retry policies that never let one read turn into a throttling storm."""

from __future__ import annotations

from typing import Any

from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import AsyncRetryPolicy, RetryPolicy

from safevault._sdk._config import RETRY_AFTER_MAX

__all__ = ["AsyncBoundedRetryPolicy", "BoundedRetryPolicy"]

_RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})


class _Bounds:
    """Overrides shared by the sync and async policies."""

    retry_after_max: float = RETRY_AFTER_MAX

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        status = response.http_response.status_code
        if status not in _RETRYABLE:
            return False  # a 404 with Retry-After is not worth a second request
        if status == 429 and not response.http_response.headers.get("Retry-After"):
            return False  # Key Vault sends none; the cache backs off per object instead
        return bool(super().is_retry(settings, response))  # type: ignore[misc]

    def get_retry_after(self, response: PipelineResponse[Any, Any]) -> float | None:
        """The vault's ``Retry-After``, capped; a header that is not a number of seconds or an
        HTTP date (garbage, negative, NaN) is ignored: the exponential backoff applies."""
        try:
            value = super().get_retry_after(response)  # type: ignore[misc]
            seconds = None if value is None else float(value)
        except (TypeError, ValueError, OverflowError):
            return None
        if seconds is None or not 0 <= seconds < float("inf"):
            return None
        return min(seconds, self.retry_after_max)


class BoundedRetryPolicy(_Bounds, RetryPolicy):  # type: ignore[type-arg]
    """azure-core's RetryPolicy with Retry-After capped and no retry of throttling blind."""


class AsyncBoundedRetryPolicy(_Bounds, AsyncRetryPolicy):  # type: ignore[type-arg]
    """The async twin of :class:`BoundedRetryPolicy`."""
