"""encrypt / decrypt through the real SDK on FakeVault: rotation, tampering, refusals, calls."""

from __future__ import annotations

import struct
from datetime import timedelta

import pytest
from azure.core.exceptions import HttpResponseError

from safevault import (
    DecryptionError,
    DisabledError,
    ExpiredError,
    ExpiryPolicy,
    InvalidArgumentError,
)
from safevault.testing import FakeVault

DAY = timedelta(days=1)
MIB = 1 << 20


def unwraps(fake, *, since=0):
    return [r for r in fake.requests[since:] if r[1].endswith("/unwrapkey") and r[2] != 401]


def version_gets(fake, name, *, since=0):
    """GETs of a key's versions (key material fetches), by version."""
    out: dict[str, int] = {}
    for method, path, status in fake.requests[since:]:
        parts = path.strip("/").split("/")
        if method == "GET" and status != 401 and parts[:2] == ["keys", name] and len(parts) == 3:
            out[parts[2]] = out.get(parts[2], 0) + 1
    return out


@pytest.fixture
def vault(make_vault):
    v = make_vault()
    v.create_key("data-key")
    return v


@pytest.mark.parametrize("size", [0, 1, 1024, MIB])
def test_round_trip(vault, size):
    plaintext = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    blob = vault.encrypt("data-key", plaintext)
    if size >= 1024:
        assert plaintext[:256] not in blob
    assert vault.decrypt(blob) == plaintext
    assert vault.decrypt(blob, key_name="DATA-KEY") == plaintext


def test_bytes_like_inputs_and_fresh_data_keys(vault):
    one = vault.encrypt("data-key", bytearray(b"same"), associated_data=memoryview(b"ad"))
    two = vault.encrypt("data-key", b"same", associated_data=b"ad")
    assert one != two
    assert vault.decrypt(memoryview(one), associated_data=b"ad") == b"same"
    assert vault.decrypt(two, associated_data=bytearray(b"ad")) == b"same"


def test_blob_records_the_versioned_key_id(vault):
    key = vault.get_key("data-key")
    blob = vault.encrypt("data-key", b"p")
    assert blob[:4] == b"SVE\x01"
    assert key.id.encode() in blob


def test_decrypts_after_five_rotations(fake, vault):
    first = vault.get_key("data-key")
    blobs = [(vault.encrypt("data-key", b"v1 data", associated_data=b"ctx"), first.version)]
    for i in range(5):
        rotated = vault.rotate_key("data-key")
        blob = vault.encrypt("data-key", f"v{i + 2} data".encode())
        assert rotated.id.encode() in blob
        blobs.append((blob, rotated.version))
    assert vault.decrypt(blobs[0][0], key_name="data-key", associated_data=b"ctx") == b"v1 data"
    for i, (blob, _) in enumerate(blobs[1:], start=2):
        assert vault.decrypt(blob) == f"v{i} data".encode()
    assert len({v for _, v in blobs}) == 6


def test_decrypt_after_auto_rotation_and_expiry(fake, make_vault):
    """Old ciphertext still decrypts after the policy rotated the key and v1 expired."""
    vault = make_vault()
    vault.create_key("data-key")
    blob = vault.encrypt("data-key", b"old data")
    fake.advance(91 * DAY)  # rotated at day 60, v1 expired at day 90
    assert vault.decrypt(blob) == b"old data"
    fresh = make_vault()
    assert fresh.decrypt(blob) == b"old data"
    assert fresh.decrypt(fresh.encrypt("data-key", b"new")) == b"new"


def test_expired_key_refuses_encrypt_but_old_ciphertext_decrypts(fake, make_vault):
    fake.key_client().create_rsa_key("legacy", expires_on=fake.clock() + 2 * DAY)
    vault = make_vault()
    blob = vault.encrypt("legacy", b"kept")
    fake.advance(3 * DAY)
    start = len(fake.requests)
    with pytest.raises(ExpiredError, match="expired"):
        vault.encrypt("legacy", b"new")
    assert not [r for r in fake.requests[start:] if r[1].endswith("/wrapkey")]
    assert vault.decrypt(blob, key_name="legacy") == b"kept"
    # on_read governs reads; Key Vault never wraps with an expired key, so neither do we.
    lenient = make_vault(expiry=ExpiryPolicy(on_read="ignore"))
    assert lenient.get_key("legacy").name == "legacy"
    with pytest.raises(ExpiredError, match="does not wrap with an expired key"):
        lenient.encrypt("legacy", b"new")
    assert lenient.decrypt(blob) == b"kept"


def test_not_yet_valid_key_refuses_encrypt(fake, make_vault):
    fake.key_client().create_rsa_key(
        "later", not_before=fake.clock() + DAY, expires_on=fake.clock() + 30 * DAY
    )
    vault = make_vault(expiry=ExpiryPolicy(on_read="warn"))
    with pytest.raises(Exception, match="not valid before") as caught:
        vault.encrypt("later", b"p")
    assert type(caught.value).__name__ == "NotYetValidError"


def blob_fields(blob):
    """Offsets of each field of a version-1 blob (see docs/concepts/keys.md)."""
    a = blob[4]
    k = struct.unpack(">H", blob[5 + a : 7 + a])[0]
    w = struct.unpack(">H", blob[7 + a + k : 9 + a + k])[0]
    header_end = 21 + a + k + w
    return {
        "magic": 0,
        "format version": 3,
        "algorithm length": 4,
        "algorithm": 5,
        "key id length": 5 + a,
        "key id (name)": 7 + a + blob[7 + a : 7 + a + k].index(b"/keys/") + 7,
        "key id (version)": 7 + a + k - 1,
        "key id (host)": 7 + a + 9,
        "wrapped key length": 7 + a + k,
        "wrapped key": 9 + a + k + 5,
        "nonce": 9 + a + k + w,
        "ciphertext": header_end,
        "tag": len(blob) - 1,
    }


def test_tampering_each_field_is_detected(fake, vault):
    blob = vault.encrypt("data-key", b"attack at dawn", associated_data=b"ad")
    for field, offset in blob_fields(blob).items():
        tampered = bytearray(blob)
        tampered[offset] ^= 0x01
        with pytest.raises(DecryptionError):
            vault.decrypt(bytes(tampered), associated_data=b"ad")
        with pytest.raises(DecryptionError):
            vault.decrypt(bytes(tampered), key_name="data-key", associated_data=b"ad")
        assert field


def test_truncation_wrong_associated_data_and_garbage(vault):
    blob = vault.encrypt("data-key", b"p", associated_data=b"tenant-1")
    for cut in (0, 3, 10, len(blob) // 2, len(blob) - 1):
        with pytest.raises(DecryptionError):
            vault.decrypt(blob[:cut], associated_data=b"tenant-1")
    for wrong in (None, b"tenant-2"):
        with pytest.raises(DecryptionError, match="associated_data"):
            vault.decrypt(blob, associated_data=wrong)
    with pytest.raises(DecryptionError, match="format version 7"):
        vault.decrypt(blob[:3] + b"\x07" + blob[4:], associated_data=b"tenant-1")
    with pytest.raises(InvalidArgumentError, match="bytes"):
        vault.decrypt("text")  # type: ignore[arg-type]


def test_key_name_guards_against_confused_deputy(fake, vault):
    vault.create_key("other-key")
    blob = vault.encrypt("other-key", b"p")
    start = len(fake.requests)
    with pytest.raises(DecryptionError, match="'other-key', not 'data-key'"):
        vault.decrypt(blob, key_name="data-key")
    assert fake.requests[start:] == []
    assert vault.decrypt(blob) == b"p"  # without key_name any key of this vault is accepted


def test_key_of_another_vault_refused_before_any_request(fake, make_vault):
    other = FakeVault(vault_url="https://other.vault.azure.net")
    theirs = other.vault()
    theirs.create_key("data-key")
    blob = theirs.encrypt("data-key", b"p")
    theirs.close()
    vault = make_vault()
    with pytest.raises(DecryptionError, match="another vault"):
        vault.decrypt(blob)
    with pytest.raises(DecryptionError, match="another vault"):
        vault.decrypt(blob, key_name="data-key")
    assert fake.requests == []


def test_unknown_version_of_this_vault_is_a_decryption_error(fake, vault):
    key = vault.get_key("data-key")
    blob = vault.encrypt("data-key", b"p")
    forged = blob.replace(key.version.encode(), b"0" * len(key.version))
    with pytest.raises(DecryptionError, match="does not exist"):
        vault.decrypt(forged)
    with pytest.raises(DecryptionError, match="does not exist"):
        vault.decrypt(forged)  # remembered (negative cache)


def test_ec_keys_cannot_encrypt(fake, make_vault):
    vault = make_vault()
    vault.create_key("signing", key_type="EC")
    start = len(fake.requests)
    with pytest.raises(InvalidArgumentError, match="Key Vault cannot wrap or unwrap with EC"):
        vault.encrypt("signing", b"p")
    assert not [r for r in fake.requests[start:] if r[0] == "POST"]


def test_key_without_wrap_permission(fake, make_vault):
    fake.key_client().create_rsa_key(
        "sign-only", key_operations=["sign", "verify"], expires_on=fake.clock() + 30 * DAY
    )
    with pytest.raises(InvalidArgumentError, match="does not permit wrapKey"):
        make_vault().encrypt("sign-only", b"p")


def test_decrypt_fetches_key_material_once_per_version(fake, make_vault):
    writer = make_vault()
    writer.create_key("data-key")
    v1 = [writer.encrypt("data-key", b"a%d" % i) for i in range(5)]
    writer.rotate_key("data-key")
    v2 = [writer.encrypt("data-key", b"b%d" % i) for i in range(5)]
    reader = make_vault()  # a cold cache
    start = len(fake.requests)
    for blob in v1 + v2 + v1 + v2:
        reader.decrypt(blob, key_name="data-key")
    gets = version_gets(fake, "data-key", since=start)
    assert sorted(gets.values()) == [1, 1]
    assert len(unwraps(fake, since=start)) == 20
    # The version's key material stays cached past the key cache's ttl.
    fake.advance(timedelta(hours=2))
    start = len(fake.requests)
    reader.decrypt(v1[0])
    assert version_gets(fake, "data-key", since=start) == {}


def test_encrypt_then_decrypt_in_one_vault_fetches_nothing_more(fake, vault):
    blob = vault.encrypt("data-key", b"p")
    start = len(fake.requests)
    assert vault.decrypt(blob) == b"p"
    assert [r[0] for r in fake.requests[start:] if r[2] != 401] == ["POST"]
    start = len(fake.requests)
    for _ in range(10):
        vault.encrypt("data-key", b"q")
    assert [r for r in fake.requests[start:] if r[2] != 401] == []


@pytest.mark.parametrize("status", [401, 403, 429, 500, 503])
def test_auth_throttling_and_server_errors_pass_through(fake, vault, status):
    blob = vault.encrypt("data-key", b"p")
    vault.decrypt(blob)
    fake.inject(status, times=10, match=("POST", "/unwrapkey"))
    with pytest.raises(HttpResponseError) as caught:
        vault.decrypt(blob)
    assert not isinstance(caught.value, DecryptionError)
    assert caught.value.status_code == status
    fake.clear_faults()


@pytest.mark.parametrize("status", [400, 404])
def test_vault_refusing_the_unwrap_is_a_decryption_error(fake, vault, status):
    blob = vault.encrypt("data-key", b"p")
    fake.inject(status, match=("POST", "/unwrapkey"))
    with pytest.raises(DecryptionError, match="refused to unwrap") as caught:
        vault.decrypt(blob)
    assert isinstance(caught.value.__cause__, HttpResponseError)


def test_disabled_key_version(fake, vault):
    key = vault.get_key("data-key")
    blob = vault.encrypt("data-key", b"p")
    fake.key_client().update_key_properties("data-key", key.version, enabled=False)
    with pytest.raises(DisabledError):
        vault.decrypt(blob)
    fake.advance(timedelta(hours=1))  # past the cache ttl: the latest version is revalidated
    with pytest.raises(DisabledError):
        vault.encrypt("data-key", b"p")
