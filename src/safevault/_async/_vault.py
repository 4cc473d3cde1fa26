"""The async ``Vault``: every public method, assembled from one mixin per responsibility."""

from __future__ import annotations

from safevault._async._cache_control import CacheControlMixin
from safevault._async._certificates import CertificatesMixin
from safevault._async._envelope_ops import EncryptionMixin
from safevault._async._expiry_scan import ExpiryScanMixin
from safevault._async._rotation import RotationMixin
from safevault._async._secrets import SecretsMixin

__all__ = ["Vault"]


class Vault(
    SecretsMixin,
    RotationMixin,
    EncryptionMixin,
    CertificatesMixin,
    ExpiryScanMixin,
    CacheControlMixin,
):
    """One Key Vault, safe by default: cached, version-aware, expiry-enforcing, traced.

    :param str vault_url: ``https://<name>.vault.azure.net`` (or a sovereign cloud's suffix).
    :param credential: an ``AsyncTokenCredential``; None uses
        ``azure.identity.aio.DefaultAzureCredential()``. Only the Key Vault scope is ever
        requested from it.
    :keyword expiry: the :class:`~safevault.ExpiryPolicy` (defaults: 90-day default lifetime,
        365-day maximum, strict reads).
    :keyword cache: the :class:`~safevault.CachePolicy` (default ttl 10 minutes).
    :keyword clock: ``Callable[[], datetime]`` (tz-aware UTC) used for validity decisions.
    :keyword timer: ``Callable[[], float]`` (monotonic seconds) used for ttl and backoff.
    :keyword allow_any_host: accept a host outside Key Vault's DNS suffixes (emulators only).
    :keyword audit_principal: record the calling identity (the object id or app id from the
        access token's claims, decoded without trusting it, once per token) as
        ``enduser.id`` on every span. Off by default.
    :keyword audit_hits: give every cache hit a span of its own (``safevault.<method>`` with
        ``safevault.cache.result=hit``). Off by default: a hit is counted in
        ``safevault.cache.requests`` and, inside a recording span, adds a
        ``safevault.cache.hit`` event to it; a span per hit costs far more than the hit.
    :keyword client_kwargs: passed to every SDK client; see "Pass-through keywords" below.
    :raises VaultConfigurationError: a URL that is not a Key Vault's (anything but
        ``https://<name>.vault.azure.net[:port][/]`` or a sovereign cloud's suffix; a Managed
        HSM URL, even with ``allow_any_host``), or no usable transport.
    :raises InvalidArgumentError: an invalid policy, flag, credential or clock, or a keyword
        safevault must control (``logging_enable=True``, ``authentication_policy``,
        ``logging_policy``, ``http_logging_policy``, ``policies``).
    :raises TypeError: a keyword that neither safevault nor the SDK clients accept, naming
        the closest valid one.

    **Pass-through keywords**, handed to every SDK client safevault builds: the Key Vault
    clients' ``api_version``, ``verify_challenge_resource``, ``polling_interval``; the
    transport's ``transport``, ``connection_timeout``, ``read_timeout``,
    ``connection_verify``, ``connection_cert``, ``connection_data_block_size``, ``session``,
    ``session_owner``, ``use_env_settings``; and azure-core's pipeline settings
    ``per_call_policies``, ``per_retry_policies``, ``headers``, ``base_headers``,
    ``headers_policy``, ``request_id``, ``auto_request_id``, ``request_id_header_name``,
    ``user_agent``, ``base_user_agent``, ``user_agent_overwrite``, ``user_agent_use_env``,
    ``user_agent_policy``, ``proxies``, ``proxy_policy``, ``permit_redirects``,
    ``redirect_max``, ``redirect_on_status_codes``, ``redirect_remove_headers``,
    ``redirect_policy``, ``blocked_redirect_headers``, ``disable_redirect_cleanup``,
    ``retry_total``, ``retry_connect``, ``retry_read``, ``retry_status``,
    ``retry_backoff_factor``, ``retry_backoff_max``, ``retry_mode``,
    ``retry_on_status_codes``, ``timeout``, ``retry_policy``, ``raw_request_hook``,
    ``raw_response_hook``, ``custom_hook_policy``, ``logging_enable`` (False only),
    ``logger``, ``http_logging_level``, ``additional_allowed_query_params``,
    ``network_span_namer``, ``tracing_attributes``, ``instrumentation_config``.
    """
