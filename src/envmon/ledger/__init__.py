"""Ledger (全程留痕): one append-only, tamper-evident log of every datum and decision.

Entries are canonical JSON (:mod:`envmon.ledger.chain`) linked by a SHA-256 hash chain and
gathered in a Merkle tree built as Certificate Transparency builds it (RFC 6962 / RFC 9162
§2.1: leaf prefix 0x00, node prefix 0x01; :mod:`envmon.ledger.merkle`). Tree heads are signed
with Ed25519 (RFC 8032; :mod:`envmon.ledger.signing`) and published, so anyone holding the
public key can check an inclusion proof, or a consistency proof between two heads, without
the database (:mod:`envmon.ledger.proofs`). Entries are written in the same transaction as
the change they record (:func:`envmon.ledger.service.append`); nothing updates or deletes.
"""

from envmon.ledger.chain import Entry, canonical_json
from envmon.ledger.service import NewEntry, append, append_many, verify

__all__ = ["Entry", "NewEntry", "append", "append_many", "canonical_json", "verify"]
