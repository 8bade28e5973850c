"""Ed25519 signatures and password-sealed private keys. Pure: no I/O, clock or globals."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

__all__ = [
    "KeyPair",
    "SealedKey",
    "SigningError",
    "generate_key_pair",
    "key_id",
    "open_private_key",
    "public_pem_of",
    "seal_private_key",
    "sign",
    "sign_with_sealed",
    "verify",
]

_AAD_PREFIX = b"envmon-user-key:"
_MAX_N = 2**20  # bounds the memory an untrusted sealed key can make scrypt use (1 GiB)
_INT_FIELDS = ("n", "r", "p")
_STR_FIELDS = ("kdf", "salt_b64", "nonce_b64", "ciphertext_b64", "key_id", "public_pem")
_LOAD_ERRORS = (ValueError, TypeError, UnsupportedAlgorithm)


class SigningError(ValueError):
    """A key, password, signature or sealed key is wrong or malformed."""


@dataclass(frozen=True)
class KeyPair:
    """An Ed25519 key pair as PEM bytes, with the key id of its public key."""

    private_pem: bytes
    public_pem: bytes
    key_id: str


@dataclass(frozen=True)
class SealedKey:
    """A private key encrypted with a key derived from a user's password."""

    kdf: str
    salt_b64: str
    n: int
    r: int
    p: int
    nonce_b64: str
    ciphertext_b64: str
    key_id: str
    public_pem: str

    def to_json(self) -> str:
        """Return the canonical JSON text (sorted keys, no whitespace)."""
        return json.dumps(
            dataclasses.asdict(self), sort_keys=True, separators=(",", ":")
        )

    @classmethod
    def from_json(cls, text: str) -> SealedKey:
        """Parse the JSON text made by `to_json`.

        Raises
        ------
        SigningError
            If ``text`` is not JSON or lacks, adds or mistypes a field.
        """
        try:
            data: Any = json.loads(text)
        except (ValueError, TypeError) as err:
            msg = "sealed key is not valid JSON"
            raise SigningError(msg) from err
        fields = set(_INT_FIELDS + _STR_FIELDS)
        if not isinstance(data, dict) or set(data) != fields:
            msg = f"sealed key must be a JSON object with exactly the fields {sorted(fields)}"
            raise SigningError(msg)
        for name in fields:
            kind = int if name in _INT_FIELDS else str
            if type(data[name]) is not kind:
                msg = f"sealed key field {name!r} must be of type {kind.__name__}"
                raise SigningError(msg)
        return cls(**data)


def _load_private(private_pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(private_pem, password=None)
    except _LOAD_ERRORS as err:
        msg = "private key is not an unencrypted PKCS8 PEM"
        raise SigningError(msg) from err
    if not isinstance(key, Ed25519PrivateKey):
        msg = "private key is not an Ed25519 key"
        raise SigningError(msg)
    return key


def _load_public(public_pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(public_pem)
    except _LOAD_ERRORS as err:
        msg = "public key is not a SubjectPublicKeyInfo PEM"
        raise SigningError(msg) from err
    if not isinstance(key, Ed25519PublicKey):
        msg = "public key is not an Ed25519 key"
        raise SigningError(msg)
    return key


def _pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_key_pair() -> KeyPair:
    """Generate a fresh Ed25519 key pair from the operating system's randomness.

    Returns
    -------
    KeyPair
        Unencrypted PKCS8 private PEM, SubjectPublicKeyInfo public PEM and key id.

    References
    ----------
    RFC 8032, "Edwards-Curve Digital Signature Algorithm (EdDSA)", section 5.1.5.
    """
    private = Ed25519PrivateKey.generate()
    public = private.public_key()
    return KeyPair(_private_pem(private), _pem(public), _id(public))


def key_id(public_pem: bytes) -> str:
    """Return the first 16 hex digits of SHA-256 of the raw 32-byte public key.

    Parameters
    ----------
    public_pem : bytes
        An Ed25519 public key as SubjectPublicKeyInfo PEM.

    Returns
    -------
    str
        16 lowercase hex digits.

    Raises
    ------
    SigningError
        If ``public_pem`` is not an Ed25519 public key PEM.

    References
    ----------
    RFC 8032, section 5.1.5 (the 32-byte public key encoding).
    """
    return _id(_load_public(public_pem))


def public_pem_of(private_pem: bytes) -> bytes:
    """Return the SubjectPublicKeyInfo PEM of a private key's public key.

    Parameters
    ----------
    private_pem : bytes
        An unencrypted PKCS8 PEM Ed25519 private key.

    Returns
    -------
    bytes
        The public key PEM.

    Raises
    ------
    SigningError
        If ``private_pem`` is not an unencrypted Ed25519 private key PEM.

    References
    ----------
    RFC 8032, section 5.1.5.
    """
    return _pem(_load_private(private_pem).public_key())


def sign(private_pem: bytes, message: bytes) -> str:
    """Sign ``message`` with Ed25519 (deterministic: same key and message, same signature).

    Parameters
    ----------
    private_pem : bytes
        An unencrypted PKCS8 PEM Ed25519 private key.
    message : bytes
        The bytes to sign.

    Returns
    -------
    str
        The 64-byte signature in standard padded base64.

    Raises
    ------
    SigningError
        If ``private_pem`` is not an unencrypted Ed25519 private key PEM.

    References
    ----------
    RFC 8032, section 5.1.6.
    """
    return _b64e(_load_private(private_pem).sign(message))


def verify(public_pem: bytes, message: bytes, signature_b64: str) -> bool:
    """Tell whether ``signature_b64`` is a valid Ed25519 signature of ``message``.

    Parameters
    ----------
    public_pem : bytes
        The signer's SubjectPublicKeyInfo PEM public key.
    message : bytes
        The signed bytes.
    signature_b64 : str
        The signature in standard padded base64.

    Returns
    -------
    bool
        True only if the signature is valid; False for a bad signature and for any
        malformed key or signature (this function never raises).

    References
    ----------
    RFC 8032, section 5.1.7.
    """
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        _load_public(public_pem).verify(signature, message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _b64(sealed: SealedKey, name: str) -> bytes:
    try:
        return base64.b64decode(getattr(sealed, name), validate=True)
    except (binascii.Error, ValueError, TypeError) as err:
        msg = f"sealed key field {name!r} is not valid base64"
        raise SigningError(msg) from err


def _check(salt: bytes, nonce: bytes, n: int, r: int, p: int) -> None:
    if len(salt) < 16:
        msg = "salt must be at least 16 bytes"
        raise SigningError(msg)
    if len(nonce) != 12:
        msg = "nonce must be exactly 12 bytes"
        raise SigningError(msg)
    if not (2 <= n <= _MAX_N and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
        msg = (
            f"scrypt needs n a power of 2 in [2, {_MAX_N}], r in [1, 32], p in [1, 16]"
        )
        raise SigningError(msg)


def _kek(password: str, salt: bytes, n: int, r: int, p: int) -> AESGCM:
    secret = unicodedata.normalize("NFC", password).encode("utf-8")
    return AESGCM(Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret))


def seal_private_key(
    private_pem: bytes, password: str, *, salt: bytes, nonce: bytes, n: int = 2**15
) -> SealedKey:
    """Encrypt a private key under a key derived from ``password``.

    The key encryption key is scrypt(NFC-normalised UTF-8 password, salt, n, r=8, p=1);
    the raw 32-byte private key is encrypted with AES-256-GCM, with the associated data
    ``b"envmon-user-key:" + key_id`` binding the ciphertext to its public key.

    Parameters
    ----------
    private_pem : bytes
        An unencrypted PKCS8 PEM Ed25519 private key.
    password : str
        The user's password; must not be empty.
    salt : bytes
        At least 16 random bytes, fresh for every seal (e.g. ``os.urandom(16)``).
    nonce : bytes
        Exactly 12 random bytes, fresh for every seal (e.g. ``os.urandom(12)``).
    n : int, optional
        scrypt cost, a power of 2 (default 2**15).

    Returns
    -------
    SealedKey
        The sealed key, ready for `SealedKey.to_json`.

    Raises
    ------
    SigningError
        If the private key is malformed, the password empty, or salt, nonce or n invalid.

    References
    ----------
    RFC 7914, "The scrypt Password-Based Key Derivation Function".
    NIST SP 800-38D, "Recommendation for Block Cipher Modes of Operation: GCM and GMAC".
    """
    private = _load_private(private_pem)
    if not password:
        msg = "password must not be empty"
        raise SigningError(msg)
    r, p = 8, 1
    _check(salt, nonce, n, r, p)
    public = private.public_key()
    kid = _id(public)
    raw = private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    ciphertext = _kek(password, salt, n, r, p).encrypt(
        nonce, raw, _AAD_PREFIX + kid.encode()
    )
    return SealedKey(
        kdf="scrypt",
        salt_b64=_b64e(salt),
        n=n,
        r=r,
        p=p,
        nonce_b64=_b64e(nonce),
        ciphertext_b64=_b64e(ciphertext),
        key_id=kid,
        public_pem=_pem(public).decode("ascii"),
    )


def open_private_key(sealed: SealedKey, password: str) -> bytes:
    """Decrypt a sealed key with the user's password.

    Parameters
    ----------
    sealed : SealedKey
        A key sealed by `seal_private_key`.
    password : str
        The password it was sealed with.

    Returns
    -------
    bytes
        The private key as unencrypted PKCS8 PEM.

    Raises
    ------
    SigningError
        If the password is wrong, the sealed key was altered, or a field is malformed.

    References
    ----------
    RFC 7914 (scrypt); NIST SP 800-38D (GCM); RFC 8032 (Ed25519).
    """
    if sealed.kdf != "scrypt":
        msg = f"unsupported key derivation function {sealed.kdf!r}"
        raise SigningError(msg)
    salt, nonce = _b64(sealed, "salt_b64"), _b64(sealed, "nonce_b64")
    ciphertext = _b64(sealed, "ciphertext_b64")
    _check(salt, nonce, sealed.n, sealed.r, sealed.p)
    aad = _AAD_PREFIX + sealed.key_id.encode("utf-8")
    try:
        raw = _kek(password, salt, sealed.n, sealed.r, sealed.p).decrypt(
            nonce, ciphertext, aad
        )
    except InvalidTag as err:
        msg = "wrong password, or the sealed key was altered"
        raise SigningError(msg) from err
    try:
        private = Ed25519PrivateKey.from_private_bytes(raw)
    except ValueError as err:
        msg = "sealed key does not hold a 32-byte Ed25519 private key"
        raise SigningError(msg) from err
    public = private.public_key()
    if _id(public) != sealed.key_id or _pem(public) != sealed.public_pem.encode(
        "utf-8"
    ):
        msg = "sealed key's key_id or public_pem does not match its private key"
        raise SigningError(msg)
    return _private_pem(private)


def sign_with_sealed(sealed: SealedKey, password: str, message: bytes) -> str:
    """Open a sealed key with ``password`` and sign ``message`` with it.

    Parameters
    ----------
    sealed : SealedKey
        A key sealed by `seal_private_key`.
    password : str
        The password it was sealed with.
    message : bytes
        The bytes to sign.

    Returns
    -------
    str
        The Ed25519 signature in standard padded base64.

    Raises
    ------
    SigningError
        As `open_private_key`.

    References
    ----------
    RFC 8032, section 5.1.6.
    """
    return sign(open_private_key(sealed, password), message)
