"""Raw evidence and quarantine tables (both append-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from envmon.storage.base import Base
from envmon.storage.types import UTCDateTime

# 64-bit ids on PostgreSQL (BIGSERIAL); on SQLite only INTEGER PRIMARY KEY is the rowid
# that numbers itself (and it is 64-bit there too).
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")

__all__ = ["FrameBatch", "FrameStatus", "QuarantineEntry", "RawFile", "RawFrame"]


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


class FrameStatus:
    """What became of a received frame (a closed vocabulary kept as strings)."""

    ACCEPTED = "accepted"  # authenticated, parsed, its values written
    DUPLICATE = "duplicate"  # a resend of an accepted frame: kept, never counted twice
    REVISION = (
        "revision"  # same MN, CN and DataTime as an accepted frame, other content
    )
    QUARANTINED = "quarantined"  # refused; the quarantine entry says why


class FrameBatch(Base):
    """One group commit of the gateway: the frames of all connections in a few ms."""

    __tablename__ = "frame_batches"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    frames: Mapped[int] = mapped_column(Integer)
    # SHA-256 over the batch's raw frames in order: sealed into the ledger with the batch.
    sha256: Mapped[str] = mapped_column(String(64))


class RawFrame(Base):
    """One received HJ 212 frame, byte-for-byte, with when and from where it came."""

    __tablename__ = "raw_frames"
    __table_args__ = (Index("ix_raw_frames_mn_received", "mn", "received_at"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey(FrameBatch.id), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    peer: Mapped[str] = mapped_column(String(64))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    mn: Mapped[str | None] = mapped_column(String(64))
    cn: Mapped[str | None] = mapped_column(String(8))
    qn: Mapped[str | None] = mapped_column(String(24))
    data_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pnum: Mapped[int | None] = mapped_column(SmallInteger)
    pno: Mapped[int | None] = mapped_column(SmallInteger)
    crc_valid: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    # sha256(MN | CN | DataTime | CP text): equal for a device's resend of the same data.
    content_key: Mapped[str | None] = mapped_column(String(64), index=True)


class QuarantineEntry(Base):
    """Input that was refused, with the reason and every problem found."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(primary_key=True)
    raw_file_id: Mapped[int | None] = mapped_column(ForeignKey("raw_files.id"))
    raw_frame_id: Mapped[int | None] = mapped_column(
        ForeignKey(RawFrame.id), index=True
    )
    reason: Mapped[str] = mapped_column(String(64), index=True)
    message: Mapped[str] = mapped_column(Text)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
