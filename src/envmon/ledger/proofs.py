"""Proof bundles that anyone can check with the platform's public key alone. Pure.

An inclusion bundle holds the entry, its index, the audit path and the signed tree head it
is proved against; a consistency bundle holds two signed heads and the proof between them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from envmon.ledger import merkle
from envmon.ledger.chain import Entry
from envmon.ledger.signing import verify as verify_signature

__all__ = [
    "CONSISTENCY_FORMAT",
    "INCLUSION_FORMAT",
    "ProofCheck",
    "check_bundle",
    "check_consistency_bundle",
    "check_inclusion_bundle",
]

INCLUSION_FORMAT: Final = "envmon-inclusion-proof/1"
CONSISTENCY_FORMAT: Final = "envmon-consistency-proof/1"


@dataclass(frozen=True, slots=True)
class ProofCheck:
    """The verdict on a proof bundle and why."""

    ok: bool
    message: str


def _head(head: Any, public_pem: bytes) -> tuple[int, bytes] | str:
    """Returns (tree_size, root) of a signed head, or why it cannot be trusted."""
    if not isinstance(head, Mapping):
        return "tree_head is missing"
    document, signature = head.get("document"), head.get("signature")
    if not isinstance(document, str) or not isinstance(signature, str):
        return "tree_head needs 'document' and 'signature'"
    if not verify_signature(public_pem, document.encode(), signature):
        return "the tree head's signature does not verify with this public key"
    try:
        signed = json.loads(document)
        return int(signed["tree_size"]), bytes.fromhex(signed["root_hash"])
    except (ValueError, KeyError, TypeError):
        return "the signed tree head document is malformed"


def check_inclusion_bundle(bundle: Mapping[str, Any], public_pem: bytes) -> ProofCheck:
    """Checks that the bundle's entry is in the tree its signed head describes."""
    head = _head(bundle.get("tree_head"), public_pem)
    if isinstance(head, str):
        return ProofCheck(False, head)
    tree_size, root = head
    try:
        entry = Entry.from_dict(dict(bundle["entry"]))
        index = int(bundle["leaf_index"])
        path = [bytes.fromhex(h) for h in bundle["audit_path"]]
        claimed_size = int(bundle["tree_size"])
    except (ValueError, KeyError, TypeError) as err:
        return ProofCheck(False, f"malformed inclusion proof: {err!r}")
    if claimed_size != tree_size:
        return ProofCheck(
            False, f"proof is for size {claimed_size}, the head signs {tree_size}"
        )
    if index != entry.seq:
        return ProofCheck(
            False, f"leaf index {index} is not the entry's seq {entry.seq}"
        )
    leaf = merkle.leaf_hash(entry.to_bytes())
    if not merkle.verify_inclusion(leaf, index, tree_size, path, root):
        return ProofCheck(False, f"entry {index} is NOT included in the signed tree")
    return ProofCheck(
        True,
        f"entry {index} is included in the tree of {tree_size} entries, root {root.hex()}",
    )


def check_consistency_bundle(
    bundle: Mapping[str, Any], public_pem: bytes
) -> ProofCheck:
    """Checks that the first signed head's tree is a prefix of the second's."""
    first = _head(bundle.get("first"), public_pem)
    second = _head(bundle.get("second"), public_pem)
    for head in (first, second):
        if isinstance(head, str):
            return ProofCheck(False, head)
    assert not isinstance(first, str) and not isinstance(second, str)
    try:
        proof = [bytes.fromhex(h) for h in bundle["proof"]]
    except (ValueError, KeyError, TypeError) as err:
        return ProofCheck(False, f"malformed consistency proof: {err!r}")
    if not merkle.verify_consistency(first[0], second[0], first[1], second[1], proof):
        return ProofCheck(
            False,
            f"the tree of {second[0]} entries does NOT extend the tree of {first[0]}",
        )
    return ProofCheck(
        True, f"the tree of {second[0]} entries extends the tree of {first[0]}"
    )


def check_bundle(bundle: Mapping[str, Any], public_pem: bytes) -> ProofCheck:
    """Checks an inclusion or consistency bundle, by its ``format``."""
    kind = bundle.get("format")
    if kind == INCLUSION_FORMAT:
        return check_inclusion_bundle(bundle, public_pem)
    if kind == CONSISTENCY_FORMAT:
        return check_consistency_bundle(bundle, public_pem)
    return ProofCheck(False, f"unknown proof format {kind!r}")
