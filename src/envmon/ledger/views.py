"""Ledger routes: public signed tree heads and key; proofs and verification for staff."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from envmon.api.deps import CurrentUser, NowDep, SessionDep
from envmon.errors import NotFoundError
from envmon.ledger import service
from envmon.ledger.flows import consistency_bundle, inclusion_bundle, tree_head_json
from envmon.ledger.keystore import load_or_create_key
from envmon.ledger.models import LedgerKey, TreeHead
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


@router.get("/ledger/entries/{seq}/proof")
def inclusion_proof(
    request: Request, session: SessionDep, user: CurrentUser, now: NowDep, seq: int
) -> dict[str, Any]:
    """Inclusion proof of one entry against the latest signed tree head."""
    require_role(user, AUDITORS, "read ledger proofs")
    settings = request.app.state.settings
    return inclusion_bundle(
        session=session,
        seq=seq,
        key=lambda: load_or_create_key(settings.resolved_ledger_key_path),
        witness=settings.resolved_ledger_witness_path,
        now=now,
    )


@router.get("/ledger/consistency")
def consistency_proof(
    session: SessionDep,
    user: CurrentUser,
    first: Annotated[int, Query(ge=1, description="id of the older signed tree head")],
    second: Annotated[int, Query(ge=1, description="id of the newer signed tree head")],
) -> dict[str, Any]:
    """Proof that the newer signed head's tree extends the older one's."""
    require_role(user, AUDITORS, "read ledger proofs")
    return consistency_bundle(session=session, first=first, second=second)


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
