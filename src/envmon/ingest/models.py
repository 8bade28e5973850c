"""Raw evidence and quarantine tables (both append-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from envmon.storage.base import Base
from envmon.storage.types import UTCDateTime

__all__ = ["QuarantineEntry", "RawFile"]


class RawFile(Base):
    """A received file kept byte-for-byte as evidence, with where it came from."""

    __tablename__ = "raw_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    media_type: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(300))
    actor: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class QuarantineEntry(Base):
    """Input that was refused, with the reason and every problem found."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(primary_key=True)
    raw_file_id: Mapped[int | None] = mapped_column(ForeignKey("raw_files.id"))
    reason: Mapped[str] = mapped_column(String(64), index=True)
    message: Mapped[str] = mapped_column(Text)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
