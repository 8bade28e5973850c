"""Tests for envmon.ledger.signing: RFC 8032 known answers, properties, sealed keys."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from envmon.ledger.signing import (
    KeyPair,
    SealedKey,
    SigningError,
    generate_key_pair,
    key_id,
    open_private_key,
    public_pem_of,
    seal_private_key,
    sign,
    sign_with_sealed,
    verify,
)

# RFC 8032 section 7.1, TEST 1 and TEST 2: (secret key, public key, message, signature).
RFC8032_VECTORS = [
    pytest.param(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
        "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        id="rfc8032-test1",
    ),
    pytest.param(
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da0"
        "85ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        id="rfc8032-test2",
    ),
]

KEY_A = generate_key_pair()
KEY_B = generate_key_pair()
SALT = bytes(range(16))
NONCE = bytes(range(100, 112))
PASSWORD = "correct horse battery staple"
SMALL_N = 2**12
SEALED_A = seal_private_key(
    KEY_A.private_pem, PASSWORD, salt=SALT, nonce=NONCE, n=SMALL_N
)


def _pems(secret_hex: str) -> tuple[bytes, bytes]:
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret_hex))
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def _flip(data: bytes, bit: int) -> bytes:
    bit %= len(data) * 8
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def _flip_b64(text: str, bit: int) -> str:
    return base64.b64encode(_flip(base64.b64decode(text), bit)).decode("ascii")


def _tamper(field: str, bit: int) -> SealedKey:
    changes: dict[str, Any] = {field: _flip_b64(getattr(SEALED_A, field), bit)}
    return dataclasses.replace(SEALED_A, **changes)


# --- RFC 8032 known answers ---------------------------------------------------------


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC8032_VECTORS)
def test_rfc8032_known_answer(
    secret: str, public: str, message: str, signature: str
) -> None:
    private_pem, public_pem = _pems(secret)
    loaded = serialization.load_pem_public_key(public_pem)
    raw_public = loaded.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert raw_public.hex() == public
    expected = base64.b64encode(bytes.fromhex(signature)).decode("ascii")

    assert sign(private_pem, bytes.fromhex(message)) == expected
    assert verify(public_pem, bytes.fromhex(message), expected)
    assert public_pem_of(private_pem) == public_pem
    assert key_id(public_pem) == hashlib.sha256(bytes.fromhex(public)).hexdigest()[:16]


# --- key pairs ----------------------------------------------------------------------


def test_generate_key_pair_formats() -> None:
    pair = generate_key_pair()
    assert isinstance(pair, KeyPair)
    assert pair.private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert pair.public_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert pair.key_id == key_id(pair.public_pem)
    assert len(pair.key_id) == 16
    assert int(pair.key_id, 16) >= 0
    assert public_pem_of(pair.private_pem) == pair.public_pem
    assert pair.key_id != generate_key_pair().key_id


@pytest.mark.parametrize("bad", [b"", b"not a pem", KEY_A.public_pem])
def test_bad_private_key_raises(bad: bytes) -> None:
    with pytest.raises(SigningError, match="private key"):
        sign(bad, b"message")
    with pytest.raises(SigningError, match="private key"):
        public_pem_of(bad)


def test_non_ed25519_and_encrypted_private_keys_raise() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_pem = ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(SigningError, match="not an Ed25519 key"):
        sign(ec_pem, b"m")
    ec_public = ec_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(SigningError, match="not an Ed25519 key"):
        key_id(ec_public)
    assert not verify(ec_public, b"m", sign(KEY_A.private_pem, b"m"))

    encrypted = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    with pytest.raises(SigningError, match="unencrypted"):
        sign(encrypted, b"m")


@pytest.mark.parametrize("bad", [b"", b"garbage", KEY_A.private_pem])
def test_key_id_of_bad_public_key_raises(bad: bytes) -> None:
    with pytest.raises(SigningError, match="public key"):
        key_id(bad)


# --- signature properties -----------------------------------------------------------


@given(message=st.binary(max_size=512))
def test_sign_verify_round_trip(message: bytes) -> None:
    signature = sign(KEY_A.private_pem, message)
    assert len(base64.b64decode(signature, validate=True)) == 64
    assert verify(KEY_A.public_pem, message, signature)
    assert sign(KEY_A.private_pem, message) == signature  # deterministic


@given(message=st.binary(min_size=1, max_size=256), bit=st.integers(min_value=0))
def test_flipped_message_bit_fails(message: bytes, bit: int) -> None:
    signature = sign(KEY_A.private_pem, message)
    assert not verify(KEY_A.public_pem, _flip(message, bit), signature)


@given(message=st.binary(max_size=256), bit=st.integers(min_value=0, max_value=511))
def test_flipped_signature_bit_fails(message: bytes, bit: int) -> None:
    signature = sign(KEY_A.private_pem, message)
    assert not verify(KEY_A.public_pem, message, _flip_b64(signature, bit))


def test_every_signature_bit_matters() -> None:
    signature = sign(KEY_A.private_pem, b"ledger entry")
    for bit in range(512):
        assert not verify(
            KEY_A.public_pem, b"ledger entry", _flip_b64(signature, bit)
        ), bit


@given(message=st.binary(max_size=256))
def test_other_key_fails(message: bytes) -> None:
    assert not verify(KEY_B.public_pem, message, sign(KEY_A.private_pem, message))


@given(pem=st.binary(max_size=300), message=st.binary(max_size=64), signature=st.text())
def test_verify_never_raises(pem: bytes, message: bytes, signature: str) -> None:
    assert verify(pem, message, signature) is False
    assert verify(KEY_A.public_pem, message, signature) is False


@pytest.mark.parametrize(
    "signature",
    ["", "====", "not base64!", "é", "AAAA", "A" * 88, "\x00", "QUJD\n"],
)
def test_verify_malformed_signatures(signature: str) -> None:
    assert verify(KEY_A.public_pem, b"", signature) is False


def test_verify_wrong_argument_types_is_false() -> None:
    signature = sign(KEY_A.private_pem, b"m")
    assert verify("not bytes", b"m", signature) is False  # type: ignore[arg-type]
    assert verify(KEY_A.public_pem, b"m", None) is False  # type: ignore[arg-type]


# --- sealed keys --------------------------------------------------------------------


def test_seal_open_round_trip() -> None:
    assert SEALED_A.kdf == "scrypt"
    assert (SEALED_A.n, SEALED_A.r, SEALED_A.p) == (SMALL_N, 8, 1)
    assert SEALED_A.key_id == KEY_A.key_id
    assert SEALED_A.public_pem == KEY_A.public_pem.decode("ascii")
    assert base64.b64decode(SEALED_A.salt_b64) == SALT
    assert base64.b64decode(SEALED_A.nonce_b64) == NONCE
    assert len(base64.b64decode(SEALED_A.ciphertext_b64)) == 32 + 16
    assert PASSWORD.encode() not in SEALED_A.to_json().encode()

    assert open_private_key(SEALED_A, PASSWORD) == KEY_A.private_pem
    signature = sign_with_sealed(SEALED_A, PASSWORD, b"entry")
    assert signature == sign(KEY_A.private_pem, b"entry")
    assert verify(KEY_A.public_pem, b"entry", signature)


def test_seal_default_n() -> None:
    sealed = seal_private_key(KEY_B.private_pem, "pw", salt=SALT, nonce=NONCE)
    assert sealed.n == 2**15
    assert open_private_key(sealed, "pw") == KEY_B.private_pem


def test_seal_is_deterministic_given_salt_and_nonce() -> None:
    again = seal_private_key(
        KEY_A.private_pem, PASSWORD, salt=SALT, nonce=NONCE, n=SMALL_N
    )
    assert again == SEALED_A


def test_password_is_nfc_normalised() -> None:
    sealed = seal_private_key(
        KEY_A.private_pem, "caf\u00e9", salt=SALT, nonce=NONCE, n=SMALL_N
    )
    assert open_private_key(sealed, "cafe\u0301") == KEY_A.private_pem


@pytest.mark.parametrize("password", ["", "wrong", PASSWORD + " ", PASSWORD.upper()])
def test_wrong_password(password: str) -> None:
    with pytest.raises(SigningError, match="password") as info:
        open_private_key(SEALED_A, password)
    assert PASSWORD not in str(info.value)
    with pytest.raises(SigningError, match="password"):
        sign_with_sealed(SEALED_A, password, b"entry")


@settings(max_examples=20, deadline=None)
@given(
    field=st.sampled_from(["ciphertext_b64", "nonce_b64", "salt_b64"]),
    bit=st.integers(min_value=0),
)
def test_flipped_sealed_bit_fails(field: str, bit: int) -> None:
    tampered = _tamper(field, bit)
    with pytest.raises(SigningError):
        open_private_key(tampered, PASSWORD)


@pytest.mark.parametrize("field", ["ciphertext_b64", "nonce_b64", "salt_b64"])
def test_flipped_first_bit_of_each_field_fails(field: str) -> None:
    tampered = _tamper(field, 0)
    with pytest.raises(SigningError, match="password"):
        open_private_key(tampered, PASSWORD)


def test_swapped_key_id_fails() -> None:
    swapped = dataclasses.replace(SEALED_A, key_id=KEY_B.key_id)
    with pytest.raises(SigningError):
        open_private_key(swapped, PASSWORD)
    swapped_all = dataclasses.replace(
        SEALED_A, key_id=KEY_B.key_id, public_pem=KEY_B.public_pem.decode("ascii")
    )
    with pytest.raises(SigningError):
        open_private_key(swapped_all, PASSWORD)


def test_swapped_public_pem_fails() -> None:
    swapped = dataclasses.replace(SEALED_A, public_pem=KEY_B.public_pem.decode("ascii"))
    with pytest.raises(SigningError, match="does not match"):
        open_private_key(swapped, PASSWORD)


def test_changed_scrypt_parameters_fail() -> None:
    for change in ({"n": SMALL_N * 2}, {"r": 4}, {"p": 2}):
        with pytest.raises(SigningError, match="password"):
            open_private_key(dataclasses.replace(SEALED_A, **change), PASSWORD)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kdf": "argon2id"}, "key derivation"),
        ({"salt_b64": "not base64!"}, "salt_b64"),
        ({"nonce_b64": "%%%"}, "nonce_b64"),
        ({"ciphertext_b64": "é"}, "ciphertext_b64"),
        ({"salt_b64": base64.b64encode(bytes(15)).decode()}, "salt"),
        ({"nonce_b64": base64.b64encode(bytes(16)).decode()}, "nonce"),
        ({"n": 3000}, "power of 2"),
        ({"n": 2**40}, "power of 2"),
        ({"r": 0}, "scrypt"),
        ({"p": -1}, "scrypt"),
    ],
)
def test_malformed_sealed_key(change: dict[str, object], message: str) -> None:
    with pytest.raises(SigningError, match=message):
        open_private_key(dataclasses.replace(SEALED_A, **change), PASSWORD)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"salt": bytes(15), "nonce": NONCE}, "salt"),
        ({"salt": SALT, "nonce": bytes(11)}, "nonce"),
        ({"salt": SALT, "nonce": bytes(13)}, "nonce"),
        ({"salt": SALT, "nonce": NONCE, "n": 1000}, "power of 2"),
        ({"salt": SALT, "nonce": NONCE, "n": 1}, "power of 2"),
    ],
)
def test_seal_rejects_bad_inputs(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SigningError, match=message):
        seal_private_key(KEY_A.private_pem, PASSWORD, **kwargs)  # type: ignore[arg-type]


def test_seal_rejects_empty_password_and_bad_key() -> None:
    with pytest.raises(SigningError, match="password"):
        seal_private_key(KEY_A.private_pem, "", salt=SALT, nonce=NONCE, n=SMALL_N)
    with pytest.raises(SigningError, match="private key"):
        seal_private_key(b"nope", PASSWORD, salt=SALT, nonce=NONCE, n=SMALL_N)


# --- JSON -----------------------------------------------------------------------------


def test_json_round_trip_and_canonical_form() -> None:
    text = SEALED_A.to_json()
    assert SealedKey.from_json(text) == SEALED_A
    assert " " not in text.replace(" PUBLIC KEY", "")
    assert (
        text.index('"ciphertext_b64"') < text.index('"kdf"') < text.index('"salt_b64"')
    )
    assert SealedKey.from_json(text).to_json() == text


@settings(max_examples=25, deadline=None)
@given(
    salt=st.binary(min_size=16, max_size=32),
    nonce=st.binary(min_size=12, max_size=12),
    password=st.text(min_size=1, max_size=20),
)
def test_json_round_trip_property(salt: bytes, nonce: bytes, password: str) -> None:
    sealed = seal_private_key(
        KEY_B.private_pem, password, salt=salt, nonce=nonce, n=2**4
    )
    assert SealedKey.from_json(sealed.to_json()) == sealed
    assert (
        open_private_key(SealedKey.from_json(sealed.to_json()), password)
        == KEY_B.private_pem
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[]",
        "null",
        '{"kdf": "scrypt"}',
        SEALED_A.to_json().replace('"n":4096', '"n":"4096"'),
        SEALED_A.to_json().replace('"n":4096', '"n":true'),
        SEALED_A.to_json().replace('"n":4096', '"n":4096.0'),
        SEALED_A.to_json().replace('"kdf":"scrypt"', '"kdf":null'),
        SEALED_A.to_json()[:-1] + ',"extra":1}',
    ],
)
def test_from_json_malformed(text: str) -> None:
    with pytest.raises(SigningError, match="sealed key"):
        SealedKey.from_json(text)
