"""Signed tree heads: sign the current root, publish it to the database and a witness file.

Publishing appends one JSON line per new head to an append-only file; an outside party that
keeps those lines (or polls ``GET /api/v1/ledger/tree-head``) can later prove, with a
consistency proof, that the platform never rewrote history.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from envmon.errors import NotFoundError, ValidationError
from envmon.ledger import service
from envmon.ledger.chain import canonical_json, format_time
from envmon.ledger.models import LedgerKey, TreeHead
from envmon.ledger.proofs import CONSISTENCY_FORMAT, INCLUSION_FORMAT
from envmon.ledger.signing import KeyPair, sign

__all__ = [
    "consistency_bundle",
    "ensure_key_recorded",
    "head_covering",
    "inclusion_bundle",
    "publish_line",
    "sign_tree_head",
    "tree_head_json",
]


def ensure_key_recorded(*, session: Session, key: KeyPair, now: datetime) -> None:
    """Records the public key (once), so tree heads it signs stay checkable forever."""
    if session.get(LedgerKey, key.key_id) is None:
        session.add(
            LedgerKey(
                key_id=key.key_id, public_pem=key.public_pem.decode(), created_at=now
            )
        )
        session.flush()


def sign_tree_head(
    *, session: Session, key: KeyPair, now: datetime, force: bool = False
) -> TreeHead | None:
    """Signs the current tree unless the newest head already covers it (or ``force``).

    Returns the new head, or None when nothing changed.
    """
    tree_size = service.size(session=session)
    latest = service.latest_tree_head(session=session)
    if latest is not None and latest.tree_size == tree_size and not force:
        return None
    if tree_size == 0:
        msg = "the ledger is empty: there is nothing to sign yet"
        raise ValidationError(msg)
    ensure_key_recorded(session=session, key=key, now=now)
    root = service.root_at(session=session, tree_size=tree_size).hex()
    document = canonical_json(
        {
            "key_id": key.key_id,
            "log": "envmon",
            "root_hash": root,
            "timestamp": format_time(now),
            "tree_size": tree_size,
        }
    )
    head = TreeHead(
        tree_size=tree_size,
        root_hash=root,
        signed_at=now,
        key_id=key.key_id,
        document=document,
        signature=sign(key.private_pem, document.encode()),
    )
    session.add(head)
    session.flush()
    return head


def tree_head_json(head: TreeHead) -> dict[str, Any]:
    """Returns a signed tree head as published: the signed document and its signature."""
    return {
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "timestamp": format_time(head.signed_at),
        "key_id": head.key_id,
        "document": head.document,
        "signature": head.signature,
    }


def publish_line(path: Path, head: TreeHead) -> None:
    """Appends the head to the witness file (opened append-only, one JSON line each)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(tree_head_json(head), ensure_ascii=False, sort_keys=True) + "\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def head_covering(
    *,
    session: Session,
    tree_size: int,
    key: Callable[[], KeyPair],
    witness: Path,
    now: datetime,
) -> TreeHead:
    """Returns the newest signed head if it covers ``tree_size`` entries, else signs and
    publishes a new one (the key is loaded only then)."""
    head = service.latest_tree_head(session=session)
    if head is not None and head.tree_size >= tree_size:
        return head
    new = sign_tree_head(session=session, key=key(), now=now)
    assert new is not None, "the ledger grew since the last head, so a head is signed"
    publish_line(witness, new)
    return new


def inclusion_bundle(
    *,
    session: Session,
    seq: int,
    key: Callable[[], KeyPair],
    witness: Path,
    now: datetime,
) -> dict[str, Any]:
    """Returns the proof, checkable offline, that entry ``seq`` is in a signed tree."""
    row = service.get_entry_or_raise(session=session, seq=seq)
    head = head_covering(
        session=session, tree_size=seq + 1, key=key, witness=witness, now=now
    )
    path = service.inclusion_proof(session=session, seq=seq, tree_size=head.tree_size)
    return {
        "format": INCLUSION_FORMAT,
        "entry": service.entry_of(row).as_dict(),
        "leaf_index": seq,
        "tree_size": head.tree_size,
        "audit_path": [h.hex() for h in path],
        "tree_head": tree_head_json(head),
    }


def consistency_bundle(*, session: Session, first: int, second: int) -> dict[str, Any]:
    """Returns the proof that signed head ``second``'s tree extends head ``first``'s."""
    heads = [session.get(TreeHead, first), session.get(TreeHead, second)]
    if heads[0] is None or heads[1] is None:
        msg = f"no signed tree head {first if heads[0] is None else second}"
        raise NotFoundError(msg)
    proof = service.consistency_proof(
        session=session, first=heads[0].tree_size, second=heads[1].tree_size
    )
    return {
        "format": CONSISTENCY_FORMAT,
        "first": tree_head_json(heads[0]),
        "second": tree_head_json(heads[1]),
        "proof": [h.hex() for h in proof],
    }
