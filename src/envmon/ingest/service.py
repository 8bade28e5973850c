"""Keep raw files and quarantine refused input."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from envmon.errors import NotFoundError, Problem
from envmon.ingest.models import QuarantineEntry, RawFile, RawFrame
from envmon.ledger import service as ledger

__all__ = [
    "RawFile",
    "get_raw_frame_or_raise",
    "keep_raw_file",
    "list_quarantine",
    "quarantine",
]


def keep_raw_file(
    *,
    session: Session,
    name: str,
    content: bytes,
    media_type: str,
    source: str,
    actor: str,
    now: datetime,
) -> RawFile:
    """Stores a received file unchanged, with its hash, origin and receipt time."""
    raw = RawFile(
        name=name,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content=content,
        media_type=media_type,
        source=source,
        actor=actor,
        received_at=now,
    )
    session.add(raw)
    session.flush()
    ledger.append(
        session=session,
        kind="raw_file.received",
        subject=f"raw_file:{raw.id}",
        payload={
            "id": raw.id,
            "name": name,
            "sha256": raw.sha256,
            "size": raw.size,
            "media_type": media_type,
            "source": source,
        },
        actor=actor,
        now=now,
    )
    return raw


def quarantine(
    *,
    session: Session,
    reason: str,
    message: str,
    problems: Sequence[Problem],
    source: str,
    now: datetime,
    raw_file: RawFile | None = None,
) -> QuarantineEntry:
    """Records refused input with its reason and problems; nothing is dropped silently."""
    entry = QuarantineEntry(
        raw_file_id=raw_file.id if raw_file else None,
        reason=reason,
        message=message,
        problems=[p.as_dict() for p in problems],
        source=source,
        received_at=now,
    )
    session.add(entry)
    session.flush()
    ledger.append(
        session=session,
        kind="quarantine.added",
        subject=f"quarantine:{entry.id}",
        payload={
            "id": entry.id,
            "reason": reason,
            "message": message,
            "problems": entry.problems,
            "raw_file_id": entry.raw_file_id,
            "source": source,
        },
        actor="platform",
        now=now,
    )
    return entry


def list_quarantine(
    *, session: Session, reason: str | None = None, limit: int = 100
) -> Sequence[QuarantineEntry]:
    """Returns the newest quarantine entries, optionally of one reason."""
    query = select(QuarantineEntry).order_by(QuarantineEntry.id.desc()).limit(limit)
    if reason:
        query = query.where(QuarantineEntry.reason == reason)
    return session.scalars(query).all()


def get_raw_frame_or_raise(*, session: Session, frame_id: int) -> RawFrame:
    """Returns the received frame with the given id."""
    frame = session.get(RawFrame, frame_id)
    if frame is None:
        msg = f"no raw frame {frame_id}"
        raise NotFoundError(msg)
    return frame
