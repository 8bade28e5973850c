"""The platform's Ed25519 signing key on disk: generated on first use, kept private."""

from __future__ import annotations

import os
from pathlib import Path

from envmon.errors import ConfigurationError
from envmon.ledger.signing import (
    KeyPair,
    SigningError,
    generate_key_pair,
    key_id,
    public_pem_of,
)

__all__ = ["load_or_create_key"]


def load_or_create_key(path: Path) -> KeyPair:
    """Returns the signing key at ``path``, creating it (mode 0600) if absent."""
    if path.exists():
        try:
            private_pem = path.read_bytes()
            public_pem = public_pem_of(private_pem)
        except (OSError, SigningError) as err:
            msg = f"cannot read the ledger signing key {path}: {err}"
            raise ConfigurationError(msg) from err
        return KeyPair(
            private_pem=private_pem, public_pem=public_pem, key_id=key_id(public_pem)
        )
    pair = generate_key_pair()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once never overwrite each other's key.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create_key(path)
    except OSError as err:
        msg = f"cannot create the ledger signing key {path}: {err}"
        raise ConfigurationError(msg) from err
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pair.private_pem)
    return pair
