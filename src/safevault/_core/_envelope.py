"""The envelope ciphertext format of ``Vault.encrypt`` / ``Vault.decrypt`` (pure, no I/O).

A fresh 256-bit data key encrypts the plaintext with AES-256-GCM; the data key is wrapped by
one version of a Key Vault RSA key (RSA-OAEP-256). The blob is self-describing; all integers
are big-endian::

    offset       size  field
    0            3     magic b"SVE" (safevault envelope)
    3            1     format version: 0x01
    4            1     A: length of the wrap algorithm name (1..32)
    5            A     wrap algorithm, ASCII: "RSA-OAEP-256"
    5+A          2     K: length of the key id (1..2048)
    7+A          K     the full versioned key id, ASCII:
                       https://<vault host>/keys/<name>/<version>
    7+A+K        2     W: length of the wrapped data key (1..4096)
    9+A+K        W     the wrapped data key
    9+A+K+W      12    the AES-GCM nonce (random)
    --- header ends: bytes 0 .. 21+A+K+W ---
    21+A+K+W     N     AES-256-GCM ciphertext (N = plaintext length)
    end-16       16    AES-GCM authentication tag

The header (every byte before the ciphertext) is authenticated as GCM associated data,
followed by the caller's ``associated_data`` (``None`` is the same as ``b""``). The header
delimits itself by its length fields, so ``header || associated_data`` is unambiguous.
Changing any header byte, the ciphertext, the tag or the associated data fails the tag check;
a wrapped key changed is also refused by the vault's unwrap. Format version 1 means AES-256-GCM
with a 12-byte nonce and a 16-byte tag; another content cipher would be a new format version.
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from safevault.errors import DecryptionError

__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "WRAP_ALGORITHM",
    "Envelope",
    "KeyRef",
    "encode",
    "new_data_key",
    "open_envelope",
    "parse",
    "parse_key_id",
]

MAGIC = b"SVE"
FORMAT_VERSION = 1
WRAP_ALGORITHM = "RSA-OAEP-256"
WRAP_ALGORITHMS = frozenset({WRAP_ALGORITHM})
DATA_KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
MAX_ALGORITHM = 32
MAX_KEY_ID = 2048
MAX_WRAPPED_KEY = 4096

_NAME = re.compile(r"[0-9a-zA-Z-]{1,127}")
_VERSION = re.compile(r"[0-9a-zA-Z]{1,64}")


def _refused(reason: str) -> DecryptionError:
    return DecryptionError(f"Cannot decrypt: {reason}.")


@dataclass(frozen=True)
class Envelope:
    """A parsed blob: the header fields, the header bytes, and the sealed data."""

    key_id: str
    wrap_algorithm: str
    wrapped_key: bytes
    nonce: bytes
    header: bytes
    sealed: bytes  # ciphertext || tag


@dataclass(frozen=True)
class KeyRef:
    """The parts of a versioned key id: ``https://<host>[:port]/keys/<name>/<version>``."""

    host: str
    port: int
    name: str
    version: str


def new_data_key() -> tuple[bytes, bytes]:
    """A fresh AES-256 data key and GCM nonce."""
    return AESGCM.generate_key(bit_length=256), os.urandom(NONCE_SIZE)


def encode_header(key_id: str, wrap_algorithm: str, wrapped_key: bytes, nonce: bytes) -> bytes:
    algorithm = wrap_algorithm.encode("ascii")
    kid = key_id.encode("ascii")
    if not 1 <= len(algorithm) <= MAX_ALGORITHM or not 1 <= len(kid) <= MAX_KEY_ID:
        raise ValueError("wrap algorithm or key id out of range")
    if not 1 <= len(wrapped_key) <= MAX_WRAPPED_KEY or len(nonce) != NONCE_SIZE:
        raise ValueError("wrapped key or nonce out of range")
    return b"".join(
        (
            MAGIC,
            bytes((FORMAT_VERSION, len(algorithm))),
            algorithm,
            struct.pack(">H", len(kid)),
            kid,
            struct.pack(">H", len(wrapped_key)),
            wrapped_key,
            nonce,
        )
    )


def _aad(header: bytes, associated_data: bytes | None) -> bytes:
    return header + associated_data if associated_data else header


def encode(
    *,
    key_id: str,
    wrap_algorithm: str,
    wrapped_key: bytes,
    data_key: bytes,
    nonce: bytes,
    plaintext: bytes,
    associated_data: bytes | None,
) -> bytes:
    """Seal ``plaintext`` under ``data_key`` and return the whole blob."""
    header = encode_header(key_id, wrap_algorithm, wrapped_key, nonce)
    sealed = AESGCM(data_key).encrypt(nonce, plaintext, _aad(header, associated_data))
    return header + sealed


def parse(blob: bytes) -> Envelope:
    """Split a blob into its fields; nothing is decrypted yet.

    :raises DecryptionError: not a safevault envelope, an unknown format version, an
        unsupported wrap algorithm, or truncated.
    """
    view = memoryview(blob)
    if len(view) < len(MAGIC) + 1 or bytes(view[:3]) != MAGIC:
        raise _refused("this is not a safevault ciphertext (no 'SVE' header)")
    version = view[3]
    if version != FORMAT_VERSION:
        raise _refused(
            f"unknown ciphertext format version {version} (this safevault reads version "
            f"{FORMAT_VERSION}); upgrade safevault"
        )
    pos = 4
    try:
        alg_len = view[pos]
        pos += 1
        algorithm = bytes(view[pos : pos + alg_len])
        pos += alg_len
        (kid_len,) = struct.unpack_from(">H", view, pos)
        pos += 2
        kid = bytes(view[pos : pos + kid_len])
        pos += kid_len
        (wrapped_len,) = struct.unpack_from(">H", view, pos)
        pos += 2
        wrapped = bytes(view[pos : pos + wrapped_len])
        pos += wrapped_len
        nonce = bytes(view[pos : pos + NONCE_SIZE])
        pos += NONCE_SIZE
    except (IndexError, struct.error):
        raise _refused("the ciphertext is truncated") from None
    if (
        len(algorithm) != alg_len
        or len(kid) != kid_len
        or len(wrapped) != wrapped_len
        or len(nonce) != NONCE_SIZE
        or len(view) - pos < TAG_SIZE
    ):
        raise _refused("the ciphertext is truncated")
    if not (alg_len and kid_len and wrapped_len):
        raise _refused("the ciphertext header is malformed")
    try:
        wrap_algorithm = algorithm.decode("ascii")
        key_id = kid.decode("ascii")
    except UnicodeDecodeError:
        raise _refused("the ciphertext header is malformed") from None
    if wrap_algorithm not in WRAP_ALGORITHMS:
        raise _refused(f"unsupported wrap algorithm {wrap_algorithm!r}")
    return Envelope(
        key_id=key_id,
        wrap_algorithm=wrap_algorithm,
        wrapped_key=wrapped,
        nonce=nonce,
        header=bytes(view[:pos]),
        sealed=bytes(view[pos:]),
    )


def parse_key_id(key_id: str) -> KeyRef:
    """The host, port, name and version of a versioned key id.

    :raises DecryptionError: not ``https://<host>/keys/<name>/<version>``.
    """
    try:
        parts = urlsplit(key_id)
        port = parts.port or 443
    except ValueError:
        raise _refused("the ciphertext names a malformed key id") from None
    segments = parts.path.split("/")
    if (
        parts.scheme != "https"
        or not parts.hostname
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
        or len(segments) != 4
        or segments[0] != ""
        or segments[1] != "keys"
        or _NAME.fullmatch(segments[2]) is None
        or _VERSION.fullmatch(segments[3]) is None
    ):
        raise _refused("the ciphertext does not name a versioned Key Vault key")
    return KeyRef(host=parts.hostname.lower(), port=port, name=segments[2], version=segments[3])


def open_envelope(envelope: Envelope, data_key: bytes, associated_data: bytes | None) -> bytes:
    """Decrypt and authenticate the sealed data: all of the plaintext, or DecryptionError.

    :raises DecryptionError: a wrong data key, associated data, or any changed byte.
    """
    if len(data_key) != DATA_KEY_SIZE:
        raise _refused("the unwrapped data key has the wrong size (tampered ciphertext?)")
    try:
        return AESGCM(data_key).decrypt(
            envelope.nonce, envelope.sealed, _aad(envelope.header, associated_data)
        )
    except InvalidTag:
        raise _refused(
            "the ciphertext failed authentication: it was changed, or the associated_data "
            "differs from what it was encrypted with"
        ) from None
