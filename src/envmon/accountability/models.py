"""Interference records, laboratory batches, results, signatures and user keys.

All of these tables are append-only in the database.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from envmon.accountability.signoff import SIGN_ORDER, SignStep
from envmon.ingest.models import RawFile
from envmon.registry.models import Parameter, Point
from envmon.storage.base import Base
from envmon.storage.types import UTCDateTime, enum_column
from envmon.users.models import User

__all__ = [
    "SIGN_ORDER",
    "InterferenceMethod",
    "InterferenceRecord",
    "LabBatch",
    "LabResult",
    "LabSignature",
    "SignStep",
    "UserKey",
]


class InterferenceMethod(StrEnum):
    """How someone tried to influence monitoring."""

    WRITTEN_INSTRUCTION = "written_instruction"  # 书面批示
    LETTER = "letter"  # 函件
    ORAL = "oral"  # 口头
    HINT = "hint"  # 暗示
    OTHER = "other"


class InterferenceRecord(Base):
    """A staff record of an attempt to influence monitoring (干预留痕)."""

    __tablename__ = "interference_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    intervener_name: Mapped[str] = mapped_column(String(100))
    intervener_position: Mapped[str] = mapped_column(String(200))
    intervener_unit: Mapped[str | None] = mapped_column(String(200))
    method: Mapped[InterferenceMethod] = mapped_column(
        enum_column(InterferenceMethod, 32)
    )
    request: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    witnesses: Mapped[list[str]] = mapped_column(JSON, default=list)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # SHA-256 of the record's canonical JSON; the ledger entry carries this hash, not the
    # content, so proofs never disclose what was recorded.
    content_sha256: Mapped[str] = mapped_column(String(64))
    ledger_seq: Mapped[int] = mapped_column(BigInteger)


class UserKey(Base):
    """A user's Ed25519 key pair, the private key sealed by the user's password."""

    __tablename__ = "user_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(User.id), index=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    public_pem: Mapped[str] = mapped_column(Text)
    sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LabBatch(Base):
    """An imported batch of manual or laboratory results awaiting or bearing sign-off."""

    __tablename__ = "lab_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    raw_file_id: Mapped[int] = mapped_column(ForeignKey(RawFile.id))
    data_sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LabResult(Base):
    """One result of a batch: where, what, when sampled, value, unit, method."""

    __tablename__ = "lab_results"
    __table_args__ = (UniqueConstraint("batch_id", "row_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey(LabBatch.id), index=True)
    row_no: Mapped[int] = mapped_column(Integer)
    point_id: Mapped[int] = mapped_column(ForeignKey(Point.id))
    point_label: Mapped[str] = mapped_column(String(100))
    parameter_code: Mapped[str] = mapped_column(ForeignKey(Parameter.code))
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(200))


class LabSignature(Base):
    """One signature of the sign-off chain over the batch data and the previous signature."""

    __tablename__ = "lab_signatures"
    __table_args__ = (UniqueConstraint("batch_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey(LabBatch.id), index=True)
    step: Mapped[SignStep] = mapped_column(enum_column(SignStep, 32))
    signer: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    # The exact canonical JSON that was signed and the Ed25519 signature (base64).
    message: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(100))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
