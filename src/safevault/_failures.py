"""Which failures the cache may ride out (transient) and which it must remember (negative)."""

from __future__ import annotations

from enum import Enum

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from safevault._credential import is_credential_failure

__all__ = ["Failure", "classify", "is_disabled_answer", "retry_after_of", "scrub"]


class Failure(Enum):
    """How the cache treats a failed read."""

    TRANSIENT = "transient"  # 429, 5xx, timeouts, connection and credential failures: serve stale
    NEGATIVE = "negative"  # 404 or 403 answered by the vault: remember, never serve stale
    OTHER = "other"  # anything else (400, 401 ...): raise, remember nothing


def _status(error: BaseException) -> int | None:
    if isinstance(error, HttpResponseError):
        status = error.status_code
        if status is None and error.response is not None:
            status = error.response.status_code
        return status
    return None


def is_disabled_answer(error: BaseException) -> bool:
    """True for Key Vault's 403 ``Forbidden`` / inner ``SecretDisabled`` (or ``KeyDisabled``)."""
    if _status(error) != 403:
        return False
    odata = getattr(error, "error", None)
    inner = getattr(odata, "innererror", None) or {}
    code = inner.get("code") if isinstance(inner, dict) else None
    return isinstance(code, str) and code.endswith("Disabled")


def classify(error: BaseException) -> Failure:
    """Classify a failed vault read."""
    if is_credential_failure(error):
        return Failure.TRANSIENT
    if isinstance(error, (ServiceRequestError, ServiceResponseError)):
        return Failure.TRANSIENT
    if isinstance(error, ClientAuthenticationError) and error.response is None:
        return Failure.TRANSIENT  # never reached the vault
    status = _status(error)
    if status is None:
        return Failure.OTHER
    if status in (408, 429) or status >= 500:
        return Failure.TRANSIENT
    if status in (403, 404):
        return Failure.NEGATIVE
    return Failure.OTHER


def scrub(error: BaseException) -> BaseException:
    """``error`` without what it copied from the exception being handled when it was made.

    A failed read is remembered (negative cache, backoff) and raised again to other callers.
    azure-core's ``AzureError`` copies ``sys.exc_info()`` (the exception the first caller was
    handling, which may quote that caller's secret) into ``exc_value``/``exc_msg``, and Python
    chains it as ``__context__``: neither may travel to another caller.
    """
    if isinstance(error, AzureError):
        error.exc_type = type(error)
        error.exc_value = None
        error.exc_traceback = None
        error.exc_msg = error.message
    error.__context__ = None
    error.__suppress_context__ = True
    return error


def retry_after_of(error: BaseException) -> float | None:
    """The seconds of a ``Retry-After`` header on the vault's answer, if it sent one."""
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None  # an HTTP date: rare from Key Vault; the exponential schedule applies
