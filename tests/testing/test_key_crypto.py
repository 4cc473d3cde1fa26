"""FakeVault's pure key logic: the cryptography, the JWK codec and rotation policies."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from safevault.testing import _key_crypto as kc
from safevault.testing._rotation_policy import RotationPolicy, RotationPolicyError, parse_duration

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"])
def test_rsa_signatures_verify_with_cryptography(alg: str) -> None:
    hash_algorithm = HASHES[alg[2:]]()
    digest = hashlib.new(hash_algorithm.name, b"data").digest()
    signature = kc.sign(RSA_KEY, alg, digest)
    pad: padding.AsymmetricPadding = (
        padding.PSS(mgf=padding.MGF1(hash_algorithm), salt_length=hash_algorithm.digest_size)
        if alg.startswith("PS")
        else padding.PKCS1v15()
    )
    RSA_KEY.public_key().verify(signature, digest, pad, utils.Prehashed(hash_algorithm))
    assert kc.verify(RSA_KEY, alg, digest, signature)
    assert not kc.verify(RSA_KEY, alg, bytes(len(digest)), signature)


@pytest.mark.parametrize(
    ("alg", "curve", "size"),
    [
        ("ES256", "P-256", 32),
        ("ES256K", "P-256K", 32),
        ("ES384", "P-384", 48),
        ("ES512", "P-521", 66),
    ],
)
def test_ecdsa_signatures_are_raw_r_s(alg: str, curve: str, size: int) -> None:
    key = kc.generate_key("EC", curve=curve)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    hash_algorithm = HASHES[alg[2:5]]()
    digest = hashlib.new(hash_algorithm.name, b"data").digest()
    signature = kc.sign(key, alg, digest)
    assert len(signature) == 2 * size
    der = utils.encode_dss_signature(
        int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    )
    key.public_key().verify(der, digest, ec.ECDSA(utils.Prehashed(hash_algorithm)))
    assert kc.verify(key, alg, digest, signature)
    assert not kc.verify(key, alg, digest, signature[:-1])


@pytest.mark.parametrize(
    ("key_type", "alg"),
    [("EC", "RS256"), ("EC", "ES384"), ("RSA", "ES256"), ("RSA", "HS256")],
)
def test_algorithm_must_fit_the_key(key_type: str, alg: str) -> None:
    key = RSA_KEY if key_type == "RSA" else kc.generate_key("EC")
    with pytest.raises(kc.CryptoInputError):
        kc.sign(key, alg, b"\0" * 32)


def test_encryption_round_trips_and_refusals() -> None:
    for alg in kc.ENCRYPTION_ALGORITHMS:
        assert kc.decrypt(RSA_KEY, alg, kc.encrypt(RSA_KEY, alg, b"x")) == b"x"
    with pytest.raises(kc.CryptoInputError, match="too long"):
        kc.encrypt(RSA_KEY, "RSA-OAEP-256", b"x" * 200)
    with pytest.raises(kc.CryptoInputError, match="could not be decrypted"):
        kc.decrypt(RSA_KEY, "RSA-OAEP", b"\1" * 256)
    with pytest.raises(kc.CryptoInputError):
        kc.encrypt(kc.generate_key("EC"), "RSA-OAEP", b"x")
    with pytest.raises(kc.CryptoInputError):
        kc.encrypt(RSA_KEY, "A256GCM", b"x")


def test_public_jwk_fields_have_full_length() -> None:
    jwk = kc.public_jwk(kc.generate_key("EC", curve="P-521"))
    assert jwk["crv"] == "P-521"
    assert len(kc.b64url_decode(jwk["x"])) == len(kc.b64url_decode(jwk["y"])) == 66
    rsa_jwk = kc.public_jwk(RSA_KEY)
    assert len(kc.b64url_decode(rsa_jwk["n"])) == 256
    assert rsa_jwk["e"] == "AQAB"
    assert not any("=" in value for value in rsa_jwk.values())


def _jwk_int(value: int, length: int | None = None) -> str:
    return kc.b64url_encode(value.to_bytes(length or (value.bit_length() + 7) // 8, "big"))


def test_rsa_import_recovers_missing_primes() -> None:
    numbers = RSA_KEY.private_numbers()
    jwk = {
        "kty": "RSA",
        "n": _jwk_int(numbers.public_numbers.n),
        "e": _jwk_int(numbers.public_numbers.e),
        "d": _jwk_int(numbers.d),
    }
    imported = kc.private_key_from_jwk(jwk)
    assert isinstance(imported, rsa.RSAPrivateKey)
    assert imported.private_numbers() == numbers


def test_import_refusals() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    other = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    mismatched = {
        "kty": "EC",
        "crv": "P-256",
        "d": _jwk_int(ec_key.private_numbers().private_value, 32),
        "x": _jwk_int(other.x, 32),
        "y": _jwk_int(other.y, 32),
    }
    for jwk in (
        mismatched,
        {"kty": "EC", "crv": "P-192", "d": "AQ"},
        {"kty": "oct", "k": "AAAA"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": 5},
    ):
        with pytest.raises(kc.CryptoInputError):
            kc.private_key_from_jwk(jwk)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("P90D", 90 * 86400),
        ("P1Y", 365 * 86400),
        ("P18M", 18 * 30 * 86400),
        ("P2W", 14 * 86400),
        ("PT48H", 48 * 3600),
        ("P1DT1H1M1S", 86400 + 3661),
    ],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["P", "PT", "90D", "P1.5D", "PT1D", "", None, 30])
def test_parse_duration_refuses(text: object) -> None:
    with pytest.raises(RotationPolicyError):
        parse_duration(text)


def test_rotation_due_by_trigger() -> None:
    body = {
        "lifetimeActions": [{"trigger": {"timeAfterCreate": "P30D"}, "action": {"type": "ROTATE"}}]
    }
    policy = RotationPolicy.from_request(body, now=0, previous=None)
    assert policy.actions[0].action == "Rotate"
    assert policy.rotation_due(created=100, expires=None) == 100 + 30 * 86400
    body = {
        "lifetimeActions": [
            {"trigger": {"timeBeforeExpiry": "P10D"}, "action": {"type": "Rotate"}}
        ],
        "attributes": {"expiryTime": "P60D"},
    }
    policy = RotationPolicy.from_request(body, now=0, previous=None)
    assert policy.rotation_due(created=0, expires=None) is None
    assert policy.rotation_due(created=0, expires=50 * 86400) == 40 * 86400
    assert policy.expiry_seconds() == 60 * 86400
    assert RotationPolicy.default(5).rotation_due(created=0, expires=10) is None


def test_policy_created_time_survives_updates() -> None:
    body = {"lifetimeActions": [], "attributes": {"expiryTime": "P30D"}}
    first = RotationPolicy.from_request(body, now=10, previous=RotationPolicy.default(1))
    second = RotationPolicy.from_request(body, now=20, previous=first)
    assert (first.created, second.created, second.updated) == (10, 10, 20)
