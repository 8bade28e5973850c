"""Quarantine listing: refused input stays visible with its reasons."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from envmon.api.deps import CurrentUser, SessionDep
from envmon.ingest import service
from envmon.users.models import Role
from envmon.users.service import require_role

__all__ = ["router"]

router = APIRouter(tags=["ingest 接入"])

STAFF = frozenset({Role.ADMIN, Role.MONITORING_CENTRE, Role.DISCIPLINE_INSPECTION})


@router.get("/quarantine")
def list_quarantine(
    session: SessionDep, user: CurrentUser, reason: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The newest refused inputs with reason and problems (monitoring staff)."""
    require_role(user, STAFF, "read the quarantine")
    return [
        {
            "id": entry.id,
            "reason": entry.reason,
            "message": entry.message,
            "problems": entry.problems,
            "source": entry.source,
            "raw_file_id": entry.raw_file_id,
            "raw_frame_id": entry.raw_frame_id,
            "received_at": entry.received_at.isoformat(),
        }
        for entry in service.list_quarantine(
            session=session, reason=reason, limit=min(max(limit, 1), 1000)
        )
    ]
