"""The envelope blob format, byte by byte (pure: no vault)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safevault import DecryptionError
from safevault._core._envelope import (
    FORMAT_VERSION,
    MAGIC,
    NONCE_SIZE,
    TAG_SIZE,
    encode,
    new_data_key,
    open_envelope,
    parse,
    parse_key_id,
)

KID = "https://fake.vault.azure.net/keys/data-key/0123456789abcdef0123456789abcdef"
WRAPPED = bytes(range(256))  # stands in for an RSA-2048 wrap of the data key


def seal(plaintext=b"hello", associated_data=None):
    data_key, nonce = new_data_key()
    blob = encode(
        key_id=KID,
        wrap_algorithm="RSA-OAEP-256",
        wrapped_key=WRAPPED,
        data_key=data_key,
        nonce=nonce,
        plaintext=plaintext,
        associated_data=associated_data,
    )
    return blob, data_key, nonce


def test_layout_byte_by_byte():
    blob, _, nonce = seal(b"hello")
    alg = b"RSA-OAEP-256"
    kid = KID.encode()
    assert blob[0:3] == MAGIC == b"SVE"
    assert blob[3] == FORMAT_VERSION == 1
    assert blob[4] == len(alg)
    assert blob[5 : 5 + len(alg)] == alg
    pos = 5 + len(alg)
    assert struct.unpack(">H", blob[pos : pos + 2])[0] == len(kid)
    assert blob[pos + 2 : pos + 2 + len(kid)] == kid
    pos += 2 + len(kid)
    assert struct.unpack(">H", blob[pos : pos + 2])[0] == len(WRAPPED)
    assert blob[pos + 2 : pos + 2 + len(WRAPPED)] == WRAPPED
    pos += 2 + len(WRAPPED)
    assert blob[pos : pos + NONCE_SIZE] == nonce
    pos += NONCE_SIZE
    assert len(blob) == pos + len(b"hello") + TAG_SIZE
    envelope = parse(blob)
    assert envelope.header == blob[:pos]
    assert envelope.key_id == KID
    assert envelope.wrap_algorithm == "RSA-OAEP-256"
    assert envelope.wrapped_key == WRAPPED
    assert envelope.nonce == nonce


@pytest.mark.parametrize("plaintext", [b"", b"x", bytes(1 << 16)])
@pytest.mark.parametrize("associated_data", [None, b"", b"context"])
def test_round_trip(plaintext, associated_data):
    blob, data_key, _ = seal(plaintext, associated_data)
    assert open_envelope(parse(blob), data_key, associated_data) == plaintext


def test_none_and_empty_associated_data_are_the_same():
    blob, data_key, _ = seal(b"p", None)
    assert open_envelope(parse(blob), data_key, b"") == b"p"


def test_associated_data_is_authenticated():
    blob, data_key, _ = seal(b"p", b"tenant-1")
    for wrong in (None, b"tenant-2", b"tenant-1\x00"):
        with pytest.raises(DecryptionError, match="associated_data"):
            open_envelope(parse(blob), data_key, wrong)


def test_every_byte_is_authenticated():
    """Flipping any bit of the blob is refused: at parse time or by the GCM tag."""
    blob, data_key, _ = seal(b"attack at dawn", b"ad")
    for index in range(len(blob)):
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        with pytest.raises(DecryptionError):
            open_envelope(parse(bytes(tampered)), data_key, b"ad")


def test_every_truncation_is_refused():
    blob, data_key, _ = seal(b"attack at dawn")
    for length in range(len(blob)):
        with pytest.raises(DecryptionError):
            open_envelope(parse(blob[:length]), data_key, None)


def test_extension_is_refused():
    blob, data_key, _ = seal(b"p")
    with pytest.raises(DecryptionError, match="failed authentication"):
        open_envelope(parse(blob + b"\x00"), data_key, None)


def test_unknown_format_version():
    blob, _, _ = seal()
    with pytest.raises(DecryptionError, match="unknown ciphertext format version 2"):
        parse(blob[:3] + b"\x02" + blob[4:])


def test_not_an_envelope():
    with pytest.raises(DecryptionError, match="not a safevault ciphertext"):
        parse(b"hello world, not a blob")
    with pytest.raises(DecryptionError, match="not a safevault ciphertext"):
        parse(b"")


def test_unsupported_wrap_algorithm():
    data_key, nonce = new_data_key()
    blob = encode(
        key_id=KID,
        wrap_algorithm="RSA1_5",
        wrapped_key=WRAPPED,
        data_key=data_key,
        nonce=nonce,
        plaintext=b"p",
        associated_data=None,
    )
    with pytest.raises(DecryptionError, match="unsupported wrap algorithm 'RSA1_5'"):
        parse(blob)


def test_wrong_data_key_size():
    blob, _, _ = seal()
    with pytest.raises(DecryptionError, match="wrong size"):
        open_envelope(parse(blob), b"short", None)


def test_parse_key_id():
    ref = parse_key_id(KID)
    assert (ref.host, ref.port, ref.name, ref.version) == (
        "fake.vault.azure.net",
        443,
        "data-key",
        "0123456789abcdef0123456789abcdef",
    )
    assert parse_key_id("https://Host.Example:8443/keys/k/v1").port == 8443
    assert parse_key_id("https://Host.Example:8443/keys/k/v1").host == "host.example"


@pytest.mark.parametrize(
    "kid",
    [
        "http://fake.vault.azure.net/keys/k/v1",
        "https://fake.vault.azure.net/keys/k",
        "https://fake.vault.azure.net/keys/k/",
        "https://fake.vault.azure.net/secrets/k/v1",
        "https://fake.vault.azure.net/keys/k/v1/extra",
        "https://fake.vault.azure.net/keys/k/v1?x=1",
        "https://user:pw@fake.vault.azure.net/keys/k/v1",
        "https://fake.vault.azure.net/keys/bad_name/v1",
        "https://fake.vault.azure.net/keys/k/v-1",
        "https://fake.vault.azure.net:99999/keys/k/v1",
        "https:///keys/k/v1",
    ],
)
def test_parse_key_id_refuses(kid):
    with pytest.raises(DecryptionError):
        parse_key_id(kid)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=600))
def test_parse_never_fails_otherwise(data):
    try:
        envelope = parse(MAGIC + bytes([FORMAT_VERSION]) + data)
    except DecryptionError:
        return
    try:
        parse_key_id(envelope.key_id)
    except DecryptionError:
        pass
