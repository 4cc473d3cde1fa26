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

from safevault._sdk._credential import is_credential_failure

__all__ = ["Failure", "classify", "fresh", "is_disabled_answer", "retry_after_of", "scrub"]


class Failure(Enum):
    """How the cache treats a failed read."""

    TRANSIENT = "transient"  # 429, 5xx, timeouts, connection and credential failures: serve stale
    NEGATIVE = "negative"  # 404 or 403 answered by the vault: remember, never serve stale
    OTHER = "other"  # anything else (400, 401 ...): back off, never serve stale


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
    """``error`` made fit to be remembered: nothing of the caller that caused it, no traceback.

    A failed read is remembered (negative cache, backoff) and raised again to other callers.
    azure-core's ``AzureError`` copies ``sys.exc_info()`` (the exception the first caller was
    handling, which may quote that caller's secret) into ``exc_value``/``exc_msg``, and Python
    chains it as ``__context__``: neither may travel to another caller. Tracebacks (and the
    frames they keep alive) are dropped along the ``__cause__`` chain: a remembered error is
    a template that :func:`fresh` copies for each caller, and is never raised itself.
    """
    if isinstance(error, AzureError):
        error.exc_type = type(error)
        error.exc_value = None
        error.exc_traceback = None
        error.exc_msg = error.message
    error.__context__ = None
    error.__suppress_context__ = True
    link: BaseException | None = error
    for _ in range(8):
        if link is None:
            break
        link.__traceback__ = None
        link = link.__cause__
    return error


def fresh(error: BaseException) -> BaseException:
    """A copy of a remembered ``error`` for one caller to raise.

    Raising one exception object to many callers lets each raise mutate it for the others
    (``__context__`` becomes whatever that caller was handling, ``__traceback__`` its frames).
    The copy shares the template's attributes (status, error code, message, response) and
    carries no context or traceback of its own until it is raised.
    """
    cls = type(error)
    try:
        copy = cls.__new__(cls, *error.args)
        copy.__dict__.update(error.__dict__)
    except Exception:  # an exotic exception type: raise the template itself
        return error
    copy.__cause__ = error.__cause__
    copy.__suppress_context__ = True
    return copy


def retry_after_of(error: BaseException) -> float | None:
    """The seconds of a ``Retry-After`` header on the vault's answer, if it sent one."""
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("Retry-After")
    try:
        seconds = float(value) if value is not None else None
    except (TypeError, ValueError):
        return None  # an HTTP date or garbage: the exponential schedule applies
    if seconds is None or not 0 <= seconds < float("inf"):
        return None  # negative, infinite or NaN: ignored
    return seconds
