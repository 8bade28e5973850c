"""Ledger routes: public signed tree heads and key; proofs and verification for staff."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from envmon.api.deps import CurrentUser, NowDep, SessionDep
from envmon.errors import NotFoundError
from envmon.ledger import service
from envmon.ledger.flows import sign_tree_head, tree_head_json
from envmon.ledger.keystore import load_or_create_key
from envmon.ledger.models import LedgerKey, TreeHead
from envmon.ledger.proofs import CONSISTENCY_FORMAT, INCLUSION_FORMAT
from envmon.users.models import Role
from envmon.users.service import require_role

__all__ = ["public_router", "router"]

router = APIRouter(tags=["ledger 全程留痕"])
public_router = APIRouter(tags=["ledger 全程留痕"])

AUDITORS = frozenset({Role.ADMIN, Role.MONITORING_CENTRE, Role.DISCIPLINE_INSPECTION})


@public_router.get("/ledger/tree-head")
def latest_tree_head(session: SessionDep) -> dict[str, Any]:
    """The newest signed tree head (public: witnesses keep these)."""
    head = service.latest_tree_head(session=session)
    if head is None:
        msg = "no tree head has been signed yet"
        raise NotFoundError(msg)
    return tree_head_json(head)


@public_router.get("/ledger/tree-heads")
def tree_heads(
    session: SessionDep,
    after: Annotated[int, Query(ge=0, description="only heads with id above this")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Every signed tree head, oldest first (public)."""
    rows = session.scalars(
        select(TreeHead).where(TreeHead.id > after).order_by(TreeHead.id).limit(limit)
    )
    return [{"id": h.id, **tree_head_json(h)} for h in rows]


@public_router.get("/ledger/public-keys")
def public_keys(session: SessionDep) -> list[dict[str, str]]:
    """The Ed25519 public keys that have signed tree heads (public)."""
    return [
        {"key_id": k.key_id, "public_pem": k.public_pem}
        for k in session.scalars(select(LedgerKey).order_by(LedgerKey.created_at))
    ]


def _head_covering(
    request: Request, session: Any, now: Any, tree_size: int
) -> TreeHead:
    head = service.latest_tree_head(session=session)
    if head is None or head.tree_size < tree_size:
        key = load_or_create_key(request.app.state.settings.resolved_ledger_key_path)
        head = sign_tree_head(session=session, key=key, now=now) or head
    assert head is not None
    return head


@router.get("/ledger/entries/{seq}/proof")
def inclusion_proof(
    request: Request, session: SessionDep, user: CurrentUser, now: NowDep, seq: int
) -> dict[str, Any]:
    """Inclusion proof of one entry against the latest signed tree head."""
    require_role(user, AUDITORS, "read ledger proofs")
    row = service.get_entry_or_raise(session=session, seq=seq)
    head = _head_covering(request, session, now, seq + 1)
    path = service.inclusion_proof(session=session, seq=seq, tree_size=head.tree_size)
    return {
        "format": INCLUSION_FORMAT,
        "entry": service.entry_of(row).as_dict(),
        "leaf_index": seq,
        "tree_size": head.tree_size,
        "audit_path": [h.hex() for h in path],
        "tree_head": tree_head_json(head),
    }


@router.get("/ledger/consistency")
def consistency_proof(
    session: SessionDep,
    user: CurrentUser,
    first: Annotated[int, Query(ge=1, description="id of the older signed tree head")],
    second: Annotated[int, Query(ge=1, description="id of the newer signed tree head")],
) -> dict[str, Any]:
    """Proof that the newer signed head's tree extends the older one's."""
    require_role(user, AUDITORS, "read ledger proofs")
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


@router.get("/ledger/verify")
def verify_ledger(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Recomputes the whole ledger and reports the first problems."""
    require_role(user, AUDITORS, "verify the ledger")
    report = service.verify(session=session)
    return {
        "ok": report.ok,
        "entries": report.entries,
        "nodes": report.nodes,
        "tree_heads": report.tree_heads,
        "root": report.root,
        "first_bad_entry": report.first_bad_seq,
        "problems": report.problems,
    }
