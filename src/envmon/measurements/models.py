"""Measurements as received.

The table is append-only in the database. Measurements are the values exactly as a
source reported them; QC flags, validated values and aggregates are derived layers built on
top (later issues), never written back here.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from envmon.ingest.models import BIG_ID, RawFile, RawFrame
from envmon.registry.models import Point
from envmon.storage.base import Base
from envmon.storage.types import UTCDateTime, enum_column

__all__ = ["ChangeMark", "DataKind", "Measurement"]


class DataKind(StrEnum):
    """Kind of value by averaging period, as HJ 212 CN codes name them."""

    REALTIME = "realtime"  # CN 2011
    MINUTE = "minute"  # CN 2051
    HOUR = "hour"  # CN 2061
    DAY = "day"  # CN 2031


class Measurement(Base):
    """One value as received, for a point, parameter, kind and interval start.

    ``measured_at`` is the UTC start of the averaging interval, as HJ 212 ``DataTime``
    labels minute, hourly and daily data; displays label hourly values by the interval's
    end (hour-ending), so the value shown at 16:00 covers 15:00–16:00.
    """

    __tablename__ = "measurements"
    __table_args__ = (
        UniqueConstraint("point_id", "parameter_code", "kind", "measured_at"),
        Index("ix_measurements_kind_time", "kind", "measured_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey(Point.id))
    parameter_code: Mapped[str] = mapped_column(ForeignKey("parameters.code"))
    kind: Mapped[DataKind] = mapped_column(enum_column(DataKind, 16))
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    value: Mapped[float | None] = mapped_column(Float)
    device_flag: Mapped[str | None] = mapped_column(String(4))
    # The interval's minimum and maximum, the oxygen-corrected value (折算, HJ 212 "Zs")
    # and the cumulative amount ("Cou") when the source reports them.
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    corrected_value: Mapped[float | None] = mapped_column(Float)
    amount: Mapped[float | None] = mapped_column(Float)
    raw_file_id: Mapped[int | None] = mapped_column(ForeignKey(RawFile.id))
    frame_id: Mapped[int | None] = mapped_column(ForeignKey(RawFrame.id))


class ChangeMark(Base):
    """A point and Beijing day whose measurements changed: derived values to recompute.

    Written in the same transaction as the measurements, so no change is ever forgotten;
    the evaluation consumes marks (oldest first) and deletes those it has processed. A
    queue, not evidence: repeated marks are harmless.
    """

    __tablename__ = "change_marks"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey(Point.id))
    day: Mapped[date] = mapped_column(Date)
