"""Secret backup blobs: every version of a secret, sealed so the blob stays opaque.

Azure's backups are encrypted; FakeVault's are compressed, obfuscated and authenticated with a
fixed key, so any FakeVault can restore another's backup (as vaults of one subscription and
geography can) and a tampered blob is refused with 400 BadParameter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from typing import Any

from ._http import ServiceError
from ._secret_store import SecretEntry, SecretVersion

__all__ = ["decode_backup", "encode_backup"]

_BACKUP_MAGIC = "safevault-fake-secret-backup-v1"
_BACKUP_KEY = b"safevault.testing.FakeVault backup key"


def encode_backup(entry: SecretEntry) -> str:
    """An opaque blob holding every version of a secret.

    :param entry: the secret.
    :returns: the blob, base64url without padding.
    """
    payload = {
        "magic": _BACKUP_MAGIC,
        "name": entry.name,
        "versions": [vars(v) for v in entry.versions.values()],
    }
    raw = _seal(json.dumps(payload, separators=(",", ":")).encode())
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_backup(blob: Any) -> SecretEntry:
    """The secret an :func:`encode_backup` blob holds.

    :param blob: the ``value`` of a restore request.
    :returns: the secret; raises 400 BadParameter for anything else.
    """
    return _decode_backup(blob)


def _keystream(length: int) -> bytes:
    blocks = (
        hashlib.sha256(_BACKUP_KEY + counter.to_bytes(8, "big")).digest()
        for counter in range(length // 32 + 1)
    )
    return b"".join(blocks)[:length]


def _seal(plain: bytes) -> bytes:
    packed = zlib.compress(plain)
    cipher = bytes(a ^ b for a, b in zip(packed, _keystream(len(packed))))
    tag = hmac.new(_BACKUP_KEY, cipher, hashlib.sha256).digest()[:16]
    return tag + cipher


def _unseal(sealed: bytes) -> bytes:
    tag, cipher = sealed[:16], sealed[16:]
    expected = hmac.new(_BACKUP_KEY, cipher, hashlib.sha256).digest()[:16]
    if len(tag) != 16 or not hmac.compare_digest(tag, expected):
        raise ValueError("backup blob tampered with")
    try:
        return zlib.decompress(bytes(a ^ b for a, b in zip(cipher, _keystream(len(cipher)))))
    except zlib.error as exc:
        raise ValueError("backup blob corrupt") from exc


def _decode_backup(blob: Any) -> SecretEntry:
    corrupt = ServiceError(400, "BadParameter", "Backup blob contains invalid or corrupt data.")
    if not isinstance(blob, str) or not blob:
        raise corrupt
    try:
        raw = _unseal(base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4)))
        payload = json.loads(raw)
        if payload.get("magic") != _BACKUP_MAGIC:
            raise ValueError("magic")
        entry = SecretEntry(name=str(payload["name"]))
        for fields in payload["versions"]:
            version = SecretVersion(**fields)
            entry.versions[version.version] = version
    except (ValueError, KeyError, TypeError, AttributeError):
        raise corrupt from None
    if not entry.versions:
        raise corrupt
    return entry
