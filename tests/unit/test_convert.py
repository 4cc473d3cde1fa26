"""The fast conversion from SDK secrets agrees with the SDK's public properties."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from safevault._sdk._convert import _window, secret_from_sdk
from safevault.testing import FakeVault


def test_raw_and_public_paths_agree():
    fake = FakeVault()
    client = fake.secret_client()
    now = fake.clock()
    for kwargs in (
        {},
        {"expires_on": now + timedelta(days=3), "not_before": now - timedelta(hours=1)},
        {"enabled": False},
    ):
        stored = client.set_secret("s", "v", **kwargs)
        props = stored.properties
        public = SimpleNamespace(
            enabled=props.enabled,
            not_before=props.not_before,
            expires_on=props.expires_on,
            created_on=props.created_on,
            updated_on=props.updated_on,
        )
        assert _window(props) == _window(public)
        secret = secret_from_sdk(stored)
        assert secret.expires_on == props.expires_on
        assert secret.enabled is bool(props.enabled)
        assert secret.created_on.tzinfo is not None
