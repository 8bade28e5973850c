"""QC tables: runs, per-value results, superseded verdicts, reviews, device-state windows.

The QC layer is derived (ARCHITECTURE "Everything else is derived"): ``qc_results`` holds
one row per measurement, keyed like the measurement itself (point, parameter, kind, data
time), with the combined automatic flag, the checks that flagged it, the run that decided
it and the effective flag of the three layers (device ∘ automatic ∘ reviewer, see
:func:`envmon.quality.flags.effective_flag`). A re-QC that changes a verdict first copies
the old one into ``qc_result_changes``, so no verdict is lost (SaQC-style history).

Reviews and device-state windows are facts people enter: append-only, each with its ledger
entry. A review covers a time range; the newest review covering a value decides its
reviewer flag.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    and_,
)
from sqlalchemy.orm import Mapped, mapped_column

from envmon.ingest.models import BIG_ID
from envmon.measurements.models import DataKind, Measurement
from envmon.registry.models import Point
from envmon.storage.base import Base
from envmon.storage.types import UTCDateTime, enum_column

__all__ = [
    "QC_JOIN",
    "DeviceWindow",
    "QcResult",
    "QcResultChange",
    "QcReview",
    "QcRun",
    "ReviewAction",
    "RunMode",
]


class RunMode(StrEnum):
    """How a QC run was started."""

    LIVE = "live"  # streaming, as values arrive
    BATCH = "batch"  # over stored history (re-QC after a rule change, first QC)


class ReviewAction(StrEnum):
    """What a reviewer did to the values of a range."""

    CONFIRM = "confirm"  # 确认: the automatic verdicts stand, as reviewed
    OVERRULE = "overrule"  # 改判: the reviewer's flag replaces the automatic one


class QcRun(Base):
    """One QC run: the rule set (with every check's parameters) and code that ran."""

    __tablename__ = "qc_runs"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    mode: Mapped[RunMode] = mapped_column(enum_column(RunMode, 8))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rules_version: Mapped[str] = mapped_column(String(100))
    code_version: Mapped[str] = mapped_column(String(32))
    # The whole rule set as run (RuleSet.model_dump): a value's run id leads to the exact
    # parameters of every check that judged it.
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)


class QcResult(Base):
    """The QC layers of one measurement (same key as the measurement)."""

    __tablename__ = "qc_results"
    __table_args__ = (Index("ix_qc_results_time", "measured_at"),)

    point_id: Mapped[int] = mapped_column(ForeignKey(Point.id), primary_key=True)
    parameter_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[DataKind] = mapped_column(enum_column(DataKind, 16), primary_key=True)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    device_flag: Mapped[int] = mapped_column(SmallInteger)  # QC meaning, 0 = unset
    auto_flag: Mapped[int] = mapped_column(SmallInteger)  # combined checks
    checks: Mapped[str] = mapped_column(String(200))  # "spike;flat_line" or ""
    run_id: Mapped[int | None] = mapped_column(ForeignKey(QcRun.id))  # None: not QC'd
    review_flag: Mapped[int] = mapped_column(SmallInteger)  # 0 = not reviewed
    review_id: Mapped[int | None] = mapped_column(ForeignKey("qc_reviews.id"))
    flag: Mapped[int] = mapped_column(SmallInteger)  # effective flag


QC_JOIN: Final = and_(
    QcResult.point_id == Measurement.point_id,
    QcResult.parameter_code == Measurement.parameter_code,
    QcResult.kind == Measurement.kind,
    QcResult.measured_at == Measurement.measured_at,
)
"""Outer-join condition of a measurement with its QC row."""


class QcResultChange(Base):
    """An automatic verdict that a later run replaced (kept for audit)."""

    __tablename__ = "qc_result_changes"
    __table_args__ = (
        Index(
            "ix_qc_result_changes_key",
            "point_id",
            "parameter_code",
            "kind",
            "measured_at",
        ),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey(Point.id))
    parameter_code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[DataKind] = mapped_column(enum_column(DataKind, 16))
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    auto_flag: Mapped[int] = mapped_column(SmallInteger)
    checks: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[int] = mapped_column(ForeignKey(QcRun.id))
    superseded_by: Mapped[int] = mapped_column(ForeignKey(QcRun.id))


class QcReview(Base):
    """A reviewer's confirmation or overruling of the flags in a time range (审核)."""

    __tablename__ = "qc_reviews"
    __table_args__ = (Index("ix_qc_reviews_point", "point_id", "start_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey(Point.id))
    parameter_code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[DataKind] = mapped_column(enum_column(DataKind, 16))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())  # inclusive
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())  # exclusive
    action: Mapped[ReviewAction] = mapped_column(enum_column(ReviewAction, 12))
    flag: Mapped[int] = mapped_column(SmallInteger)  # 0 for confirm
    overrule_device: Mapped[bool] = mapped_column(Boolean)
    reason_code: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(100))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # how many stored values the range covered when it was reviewed
    value_count: Mapped[int] = mapped_column(BIG_ID)
    ledger_seq: Mapped[int] = mapped_column(BIG_ID)


class DeviceWindow(Base):
    """A recorded device-state window (maintenance, calibration, fault …) of a point.

    Entered by the operator or O&M agency from their calibration and maintenance log
    (the HJ 212 frames' own data flags are the device layer already); QC flags the values
    it covers through the ``device_windows`` check.
    """

    __tablename__ = "device_windows"
    __table_args__ = (Index("ix_device_windows_point", "point_id", "start_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey(Point.id))
    # The parameters affected; empty = every parameter of the point.
    parameter_codes: Mapped[list[str]] = mapped_column(JSON)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())  # inclusive
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())  # exclusive
    state: Mapped[str] = mapped_column(String(32))  # DEVICE_WINDOW_KINDS key
    note: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ledger_seq: Mapped[int] = mapped_column(BIG_ID)
