"""Signed tree heads: sign the current root, publish it to the database and a witness file.

Publishing appends one JSON line per new head to an append-only file; an outside party that
keeps those lines (or polls ``GET /api/v1/ledger/tree-head``) can later prove, with a
consistency proof, that the platform never rewrote history.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from envmon.errors import ValidationError
from envmon.ledger import service
from envmon.ledger.chain import canonical_json, format_time
from envmon.ledger.models import LedgerKey, TreeHead
from envmon.ledger.signing import KeyPair, sign

__all__ = ["ensure_key_recorded", "publish_line", "sign_tree_head", "tree_head_json"]


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
