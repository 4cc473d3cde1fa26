"""The cryptography behind FakeVault's keys: generation, JWK encoding and the key operations.

Pure functions over ``cryptography`` key objects, no HTTP and no state. Every refusal of bad
input raises :class:`CryptoInputError`, which the key handlers answer as 400 BadParameter.

Key Vault's conventions followed here:

- JWK fields are base64url without padding; ``n``, ``x``, ``y`` are unsigned big-endian at the
  key's full length (``x``/``y`` padded to the curve's byte length, as RFC 7518 section 6.2.1
  asks).
- ``sign`` takes a digest (the caller hashed the data) whose length must fit the algorithm.
- ECDSA signatures are JWS-style ``r || s``, each padded to the curve's byte length.
- PS256/384/512 use a PSS salt as long as the digest (RFC 7518 section 3.5).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

__all__ = [
    "CURVES",
    "ENCRYPTION_ALGORITHMS",
    "RSA_KEY_SIZES",
    "SIGNATURE_ALGORITHMS",
    "CryptoInputError",
    "PrivateKey",
    "b64url_decode",
    "b64url_encode",
    "curve_name",
    "decrypt",
    "encrypt",
    "generate_key",
    "key_size",
    "private_key_from_jwk",
    "public_jwk",
    "sign",
    "verify",
]

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class CryptoInputError(ValueError):
    """Input the service refuses as a bad request (400 BadParameter)."""


RSA_KEY_SIZES = (2048, 3072, 4096)

CURVES: dict[str, type[ec.EllipticCurve]] = {
    "P-256": ec.SECP256R1,
    "P-256K": ec.SECP256K1,
    "P-384": ec.SECP384R1,
    "P-521": ec.SECP521R1,
}
_CURVE_NAMES: dict[str, str] = {cls().name: jwk_name for jwk_name, cls in CURVES.items()}

# Encryption and key wrapping share the RSA algorithms.
ENCRYPTION_ALGORITHMS = ("RSA-OAEP", "RSA-OAEP-256", "RSA1_5")

# Signature algorithm -> (hash, key family, curve for ECDSA).
_SIGNATURES: dict[str, tuple[type[hashes.HashAlgorithm], str, str | None]] = {
    "RS256": (hashes.SHA256, "RSA", None),
    "RS384": (hashes.SHA384, "RSA", None),
    "RS512": (hashes.SHA512, "RSA", None),
    "PS256": (hashes.SHA256, "RSA", None),
    "PS384": (hashes.SHA384, "RSA", None),
    "PS512": (hashes.SHA512, "RSA", None),
    "ES256": (hashes.SHA256, "EC", "P-256"),
    "ES256K": (hashes.SHA256, "EC", "P-256K"),
    "ES384": (hashes.SHA384, "EC", "P-384"),
    "ES512": (hashes.SHA512, "EC", "P-521"),
}
SIGNATURE_ALGORITHMS = tuple(_SIGNATURES)


# --- encoding ---------------------------------------------------------------------------------


def b64url_encode(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: Any, *, field: str = "value") -> bytes:
    """Decode base64url (padding optional); a non-string or malformed value is a bad request."""
    if not isinstance(text, str):
        raise CryptoInputError(f"The parameter '{field}' must be a base64url-encoded string.")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise CryptoInputError(f"The parameter '{field}' is not valid base64url.") from None


def _int_bytes(value: int, length: int | None = None) -> bytes:
    if length is None:
        length = max(1, (value.bit_length() + 7) // 8)
    return value.to_bytes(length, "big")


def _jwk_int(jwk: Mapping[str, Any], field: str) -> int:
    return int.from_bytes(b64url_decode(jwk.get(field), field=field), "big")


# --- keys -------------------------------------------------------------------------------------


def generate_key(kty: str, *, size: int | None = None, curve: str | None = None) -> PrivateKey:
    """A new private key for ``kty`` (``RSA``/``RSA-HSM``/``EC``/``EC-HSM``)."""
    if kty.startswith("RSA"):
        bits = 2048 if size is None else size
        if bits not in RSA_KEY_SIZES:
            raise CryptoInputError(f"RSA key size {bits} is not supported; use 2048, 3072 or 4096.")
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    if kty.startswith("EC"):
        name = "P-256" if curve is None else curve
        if name not in CURVES:
            raise CryptoInputError(f"The curve '{name}' is not supported.")
        return ec.generate_private_key(CURVES[name]())
    raise CryptoInputError(f"The key type '{kty}' is not supported.")


def key_size(key: PrivateKey) -> int | None:
    return key.key_size if isinstance(key, rsa.RSAPrivateKey) else None


def curve_name(key: PrivateKey) -> str | None:
    return _CURVE_NAMES[key.curve.name] if isinstance(key, ec.EllipticCurvePrivateKey) else None


def public_jwk(key: PrivateKey) -> dict[str, str]:
    """The public JWK members of ``key`` (``n``/``e`` or ``crv``/``x``/``y``)."""
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.public_key().public_numbers()
        return {
            "n": b64url_encode(_int_bytes(numbers.n, (key.key_size + 7) // 8)),
            "e": b64url_encode(_int_bytes(numbers.e)),
        }
    point = key.public_key().public_numbers()
    length = (key.curve.key_size + 7) // 8
    return {
        "crv": _CURVE_NAMES[key.curve.name],
        "x": b64url_encode(_int_bytes(point.x, length)),
        "y": b64url_encode(_int_bytes(point.y, length)),
    }


def private_key_from_jwk(jwk: Mapping[str, Any]) -> PrivateKey:
    """The private key in an imported JWK; a public-only or inconsistent JWK is refused."""
    kty = jwk.get("kty")
    if kty in ("RSA", "RSA-HSM"):
        return _rsa_from_jwk(jwk)
    if kty in ("EC", "EC-HSM"):
        return _ec_from_jwk(jwk)
    raise CryptoInputError(f"The key type '{kty}' cannot be imported into a vault.")


def _rsa_from_jwk(jwk: Mapping[str, Any]) -> rsa.RSAPrivateKey:
    if not jwk.get("d"):
        raise CryptoInputError("The imported RSA key has no private exponent 'd'.")
    n, e, d = _jwk_int(jwk, "n"), _jwk_int(jwk, "e"), _jwk_int(jwk, "d")
    try:
        if jwk.get("p") and jwk.get("q"):
            p, q = _jwk_int(jwk, "p"), _jwk_int(jwk, "q")
        else:
            p, q = rsa.rsa_recover_prime_factors(n, e, d)
        numbers = rsa.RSAPrivateNumbers(
            p=p,
            q=q,
            d=d,
            dmp1=rsa.rsa_crt_dmp1(d, p),
            dmq1=rsa.rsa_crt_dmq1(d, q),
            iqmp=rsa.rsa_crt_iqmp(p, q),
            public_numbers=rsa.RSAPublicNumbers(e, n),
        )
        key = numbers.private_key()
    except ValueError:
        raise CryptoInputError("The imported RSA key is not consistent.") from None
    if key.key_size not in RSA_KEY_SIZES:
        raise CryptoInputError(f"RSA key size {key.key_size} is not supported.")
    return key


def _ec_from_jwk(jwk: Mapping[str, Any]) -> ec.EllipticCurvePrivateKey:
    crv = jwk.get("crv")
    if crv not in CURVES:
        raise CryptoInputError(f"The curve '{crv}' is not supported.")
    if not jwk.get("d"):
        raise CryptoInputError("The imported EC key has no private value 'd'.")
    try:
        key = ec.derive_private_key(_jwk_int(jwk, "d"), CURVES[crv]())
    except ValueError:
        raise CryptoInputError("The imported EC key is not consistent.") from None
    public = key.public_key().public_numbers()
    if (
        jwk.get("x")
        and jwk.get("y")
        and (public.x, public.y)
        != (
            _jwk_int(jwk, "x"),
            _jwk_int(jwk, "y"),
        )
    ):
        raise CryptoInputError("The imported EC key's public point does not match 'd'.")
    return key


# --- operations -------------------------------------------------------------------------------


def _rsa_padding(algorithm: str) -> padding.AsymmetricPadding:
    if algorithm == "RSA-OAEP":
        sha1 = hashes.SHA1()  # noqa: S303 - RSA-OAEP is defined with SHA-1
        return padding.OAEP(mgf=padding.MGF1(sha1), algorithm=sha1, label=None)
    if algorithm == "RSA-OAEP-256":
        sha256 = hashes.SHA256()
        return padding.OAEP(mgf=padding.MGF1(sha256), algorithm=sha256, label=None)
    if algorithm == "RSA1_5":
        return padding.PKCS1v15()
    raise CryptoInputError(f"The algorithm '{algorithm}' is not supported for this operation.")


def _rsa_key(key: PrivateKey, algorithm: str) -> rsa.RSAPrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CryptoInputError(f"The algorithm '{algorithm}' is not supported by this key type.")
    return key


def encrypt(key: PrivateKey, algorithm: str, plaintext: bytes) -> bytes:
    """RSA encryption (also used for wrapKey)."""
    pad = _rsa_padding(algorithm)
    rsa_key = _rsa_key(key, algorithm)
    try:
        return rsa_key.public_key().encrypt(plaintext, pad)
    except ValueError:
        raise CryptoInputError("The plaintext is too long for this key and algorithm.") from None


def decrypt(key: PrivateKey, algorithm: str, ciphertext: bytes) -> bytes:
    """RSA decryption (also used for unwrapKey); ciphertext that does not decrypt is refused."""
    pad = _rsa_padding(algorithm)
    rsa_key = _rsa_key(key, algorithm)
    try:
        return rsa_key.decrypt(ciphertext, pad)
    except ValueError:
        raise CryptoInputError("The ciphertext could not be decrypted.") from None


def _signature_scheme(
    key: PrivateKey, algorithm: str, digest: bytes
) -> tuple[hashes.HashAlgorithm, str | None]:
    if algorithm not in _SIGNATURES:
        raise CryptoInputError(f"The signature algorithm '{algorithm}' is not supported.")
    hash_cls, family, curve = _SIGNATURES[algorithm]
    if family == "RSA" and not isinstance(key, rsa.RSAPrivateKey):
        raise CryptoInputError(f"The algorithm '{algorithm}' needs an RSA key.")
    if family == "EC" and curve_name(key) != curve:
        raise CryptoInputError(f"The algorithm '{algorithm}' needs a key on the curve {curve}.")
    hash_algorithm = hash_cls()
    if len(digest) != hash_algorithm.digest_size:
        raise CryptoInputError(
            f"The digest must be {hash_algorithm.digest_size} bytes long for '{algorithm}'."
        )
    return hash_algorithm, curve


def _rsa_signature_padding(algorithm: str, hash_algorithm: hashes.HashAlgorithm) -> Any:
    if algorithm.startswith("PS"):
        return padding.PSS(mgf=padding.MGF1(hash_algorithm), salt_length=hash_algorithm.digest_size)
    return padding.PKCS1v15()


def sign(key: PrivateKey, algorithm: str, digest: bytes) -> bytes:
    """Sign a digest; ECDSA signatures come back as ``r || s``."""
    hash_algorithm, _ = _signature_scheme(key, algorithm, digest)
    prehashed = utils.Prehashed(hash_algorithm)
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(digest, _rsa_signature_padding(algorithm, hash_algorithm), prehashed)
    der = key.sign(digest, ec.ECDSA(prehashed))
    r, s = utils.decode_dss_signature(der)
    length = (key.curve.key_size + 7) // 8
    return _int_bytes(r, length) + _int_bytes(s, length)


def verify(key: PrivateKey, algorithm: str, digest: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is valid for ``digest``; a bad signature is False, not an error."""
    hash_algorithm, _ = _signature_scheme(key, algorithm, digest)
    prehashed = utils.Prehashed(hash_algorithm)
    try:
        if isinstance(key, rsa.RSAPrivateKey):
            key.public_key().verify(
                signature, digest, _rsa_signature_padding(algorithm, hash_algorithm), prehashed
            )
        else:
            length = (key.curve.key_size + 7) // 8
            if len(signature) != 2 * length:
                return False
            der = utils.encode_dss_signature(
                int.from_bytes(signature[:length], "big"), int.from_bytes(signature[length:], "big")
            )
            key.public_key().verify(der, digest, ec.ECDSA(prehashed))
    except InvalidSignature:
        return False
    return True
