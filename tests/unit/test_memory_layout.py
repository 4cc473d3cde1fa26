"""What a cached version costs: no per-instance ``__dict__``, shared strings and datetimes.

Structural checks (no byte counts): the memory of 10,000 cached secrets is measured by
``bench/bench_cache.py``. The models keep their behaviour: frozen, never pickled or copied
when they hold a secret value, equal and hashed as before.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from safevault import CachePolicy, ExpiryPolicy, Secret
from safevault._core._cache import CacheCore, Entry
from safevault._model._keys import Certificate, CertificateWithKey, Key
from safevault._sdk._convert import _window, secret_from_sdk
from safevault.testing import FakeVault

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _secret(**changes: object) -> Secret:
    fields: dict[str, object] = {
        "name": "db",
        "version": "v1",
        "value": "s3cr3t",
        "id": "https://v.vault.azure.net/secrets/db/v1",
        "enabled": True,
        "not_before": None,
        "expires_on": NOW + timedelta(days=1),
        "created_on": NOW,
        "updated_on": NOW,
    }
    fields.update(changes)
    return Secret(**fields)  # type: ignore[arg-type]


def _certificate(cls: type[Certificate] = Certificate, **extra: object) -> Certificate:
    return cls(
        name="c",
        version="v1",
        id="https://v.vault.azure.net/certificates/c/v1",
        thumbprint="AB",
        not_before=None,
        expires_on=None,
        subject="CN=c",
        dns_names=(),
        cer=b"",
        enabled=True,
        tags={},
        **extra,  # type: ignore[arg-type]
    )


def _models() -> list[object]:
    key = Key("k", "v1", "https://v.vault.azure.net/keys/k/v1", "RSA", True, *[None] * 4)
    with_key = _certificate(CertificateWithKey, private_key=object())
    return [_secret(), key, _certificate(), with_key]


def test_models_have_no_instance_dict() -> None:
    for obj in _models():
        assert not hasattr(obj, "__dict__"), type(obj).__name__
        assert "__slots__" in type(obj).__dict__


def test_models_stay_frozen() -> None:
    """Every assignment and deletion raises FrozenInstanceError, as without slots (not the
    TypeError dataclass's own methods raise for a name that is not a field once slotted)."""
    for obj in _models():
        for name in ("name", "extra"):
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(obj, name, "x")
            with pytest.raises(dataclasses.FrozenInstanceError):
                delattr(obj, name)


def test_secret_keeps_its_behaviour() -> None:
    secret = _secret()
    with pytest.raises(dataclasses.FrozenInstanceError):
        secret.value = "other"  # type: ignore[misc]
    assert "s3cr3t" not in repr(secret) and "s3cr3t" not in str(secret)
    assert secret == _secret() and hash(secret) == hash(secret.id)
    assert secret != _secret(value="other")
    changed = dataclasses.replace(secret, value="other")
    assert changed.value == "other" and changed.id == secret.id
    assert [f.name for f in dataclasses.fields(Secret)] == [
        "name",
        "version",
        "value",
        "id",
        "enabled",
        "not_before",
        "expires_on",
        "created_on",
        "updated_on",
        "content_type",
        "tags",
    ]


@pytest.mark.parametrize(
    "write_out", [pickle.dumps, copy.copy, copy.deepcopy], ids=["pickle", "copy", "deepcopy"]
)
def test_secret_values_are_never_written_out(write_out: object) -> None:
    with pytest.raises(TypeError, match="not picklable"):
        write_out(_secret())  # type: ignore[operator]
    with pytest.raises(TypeError, match="not picklable"):
        write_out(_certificate(CertificateWithKey, private_key=object()))  # type: ignore[operator]


def test_key_and_certificate_copy_and_compare_as_before() -> None:
    certificate = _certificate()
    assert copy.copy(certificate) == certificate
    assert dataclasses.replace(certificate, enabled=False).enabled is False
    assert hash(certificate) == hash(certificate.id)


def test_a_version_never_updated_holds_one_datetime() -> None:
    fake = FakeVault()
    stored = fake.secret_client().set_secret("s", "v")
    secret = secret_from_sdk(stored)
    assert secret.updated_on == secret.created_on
    assert secret.updated_on is secret.created_on
    props = stored.properties
    public = SimpleNamespace(
        enabled=props.enabled,
        not_before=props.not_before,
        expires_on=props.expires_on,
        created_on=props.created_on,
        updated_on=props.updated_on,
    )
    window = _window(public)
    assert window[4] is window[3]  # the public-properties path shares it too


def test_updated_versions_keep_their_own_datetime() -> None:
    later = SimpleNamespace(
        enabled=True,
        not_before=None,
        expires_on=None,
        created_on=NOW,
        updated_on=NOW + timedelta(seconds=1),
    )
    assert _window(later)[3:] == (NOW, NOW + timedelta(seconds=1))


def _core() -> CacheCore[object, object]:
    return CacheCore(CachePolicy(jitter=0), ExpiryPolicy(), random_fn=lambda: 0.5)


def test_entry_has_no_instance_dict() -> None:
    entry = _core().make_entry(_secret(), 0.0, NOW)
    assert isinstance(entry, Entry) and not hasattr(entry, "__dict__")


@pytest.mark.parametrize(
    "request_id",
    [
        str(uuid.uuid1()),
        str(uuid.uuid4()),
        "00000000-0000-0000-0000-000000000000",
        str(uuid.uuid4()).upper(),  # not canonical: kept as it is
        "{" + str(uuid.uuid4())[1:-1] + "}",
        "+0000000-0000-0000-0000-000000000000",
        "0000_000-0000-0000-0000-000000000000",
        "not a uuid",
        "",
        None,
    ],
)
def test_correlation_reads_back_as_the_same_text(request_id: str | None) -> None:
    core = _core()
    key = ("db", None)
    entry, _, _ = core.store(key, _secret(), 0.0, NOW, version="v1", correlation=request_id)
    assert entry.correlation == request_id
    assert type(entry.correlation) is type(request_id)


def test_entries_share_the_items_name() -> None:
    core = _core()
    secret = _secret(name="db")
    core.store(("".join(["d", "b"]), None), secret, 0.0, NOW, version="v1")
    assert set(core.entries) == {("db", None), ("db", "v1")}
    assert all(key[0] is secret.name for key in core.entries)
    mixed = _secret(name="Mixed", version="v2")
    core.store(("mixed", None), mixed, 0.0, NOW, version="v2")
    assert core.entries[("mixed", None)].item is mixed


def test_announcements_survive_invalidate() -> None:
    core = _core()
    key = ("db", None)
    one, two, three = (_secret(version=v) for v in ("v1", "v2", "v3"))

    def told(item: Secret, at: float) -> tuple[object, bool]:
        _, old, announce = core.store(key, item, at, NOW, version=item.version)
        return old, announce

    assert told(one, 0.0) == (None, False)  # the first read tells nobody
    old, announce = told(two, 1.0)
    assert old is one and announce
    core.invalidate()
    # the version is still known (no change to tell), the item no longer (old is None)
    assert told(two, 2.0) == (None, False)
    core.invalidate("DB")
    assert told(three, 3.0) == (None, True)
    assert told(three, 4.0) == (None, False)
