"""Quarantine listing: refused input stays visible with its reasons."""

from __future__ import annotations

import base64
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


@router.get("/raw-frames/{frame_id}")
def get_raw_frame(
    session: SessionDep, user: CurrentUser, frame_id: int
) -> dict[str, Any]:
    """One received frame exactly as it arrived (evidence), with its status."""
    require_role(user, STAFF, "read raw frames")
    frame = service.get_raw_frame_or_raise(session=session, frame_id=frame_id)
    return {
        "id": frame.id,
        "received_at": frame.received_at.isoformat(),
        "peer": frame.peer,
        "mn": frame.mn,
        "cn": frame.cn,
        "qn": frame.qn,
        "status": frame.status,
        "crc_valid": frame.crc_valid,
        "raw_base64": base64.b64encode(frame.raw).decode(),
        "raw_text": frame.raw.decode("utf-8", errors="replace"),
    }
