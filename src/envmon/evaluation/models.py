"""Derived layers: aggregates, AQI values, permit exceedances, and month finalisation.

These tables are derived from the raw measurements and are rewritten whenever what they
depend on changes (late or revised data, a QC verdict, a recomputation). Each row says when
it was computed and whether it is provisional, final, or a revision of a finalised month.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from envmon.registry.models import PermitLimit, Point
from envmon.storage.base import Base
from envmon.storage.types import UTCDateTime, enum_column

__all__ = [
    "Aggregate",
    "AqiValue",
    "Exceedance",
    "Finalization",
    "Period",
    "ResultStatus",
    "SubjectKind",
]


class Period(StrEnum):
    """What an aggregate summarises, and over which window.

    Moving windows are stored at the start of their last hour, the same instant as that
    hour's value, so an hour's value and its moving means share one ``period_start``.
    Daily values start at Beijing midnight (stored in UTC).
    """

    HOUR = "hour"  # 1-h mean (from minutes where the source sends minutes)
    DAY = "day"  # 24-h mean of a Beijing calendar day (GB 3095: ≥ 20 valid hours)
    MOVING_24H = "moving_24h"  # 24-h moving mean ending with this hour (PM)
    MOVING_8H = "moving_8h"  # 8-h moving mean ending with this hour (O3, ≥ 6 of 8)
    DAILY_MAX_8H = "daily_max_8h"  # O3 daily maximum 8-h mean (MDA8)
    DAILY_MAX_1H = "daily_max_1h"  # O3 daily maximum 1-h value


class ResultStatus(StrEnum):
    """Whether a derived value may still change (HJ 633 §4: real-time values are
    provisional; a month is finalised after its audit in the first ten days of the next)."""

    PROVISIONAL = "provisional"
    FINAL = "final"
    REVISED = (
        "revised"  # recomputed after its month was finalised (late or revised data)
    )


class SubjectKind(StrEnum):
    """What an AQI value describes: one station, or a region (county, city)."""

    POINT = "point"
    REGION = "region"


class Aggregate(Base):
    """One derived value of one point and parameter over one period.

    ``count`` is what the validity rule counted (valid minutes of an hour, valid hours of a
    day or window, valid 8-h windows of an MDA8); ``valid`` whether the rule was met.
    ``corrected_value`` is the oxygen-corrected concentration (折算浓度) and ``amount``
    the emission or discharge amount over the period [kg], for outlets.
    """

    __tablename__ = "aggregates"
    # A recomputation replaces a point's rows over a time range, whatever the parameter
    # and period: without this index that is a scan of all its rows. The table has no
    # foreign keys on purpose: it is rebuilt from measurements that have them, and
    # checking two per row tripled the time to write a city-month (22 s → 8 s for 1M
    # rows on PostgreSQL, measured).
    __table_args__ = (Index("ix_aggregates_point_start", "point_id", "period_start"),)

    point_id: Mapped[int] = mapped_column(primary_key=True)
    parameter_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    period: Mapped[Period] = mapped_column(enum_column(Period, 16), primary_key=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    corrected_value: Mapped[float | None] = mapped_column(Float)
    amount: Mapped[float | None] = mapped_column(Float)
    count: Mapped[int] = mapped_column(SmallInteger)
    valid: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[ResultStatus] = mapped_column(enum_column(ResultStatus, 12))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AqiValue(Base):
    """An hourly (real-time) or daily AQI of a station or a region.

    A region's value is computed from the mean of its assessment stations' concentrations
    (``concentrations``, with ``stations`` the number of stations averaged), never from a
    mean of AQIs (HJ 633 §4; HJ 663 city scale). ``subject_id`` is a point id or a region id
    according to ``subject_kind``.
    """

    __tablename__ = "aqi_values"
    __table_args__ = (Index("ix_aqi_values_mode_start", "mode", "period_start"),)

    subject_kind: Mapped[SubjectKind] = mapped_column(
        enum_column(SubjectKind, 8), primary_key=True
    )
    subject_id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(String(8), primary_key=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    standard: Mapped[str] = mapped_column(String(16))
    aqi: Mapped[int | None] = mapped_column(SmallInteger)
    level: Mapped[int | None] = mapped_column(SmallInteger)
    primary_pollutants: Mapped[str] = mapped_column(String(120))
    iaqi: Mapped[dict[str, int]] = mapped_column(JSON)
    concentrations: Mapped[dict[str, Any]] = mapped_column(JSON)
    stations: Mapped[int] = mapped_column(SmallInteger)
    # HJ 633-2026 §5.3: with an indicator missing the AQI is published only above 100
    # (else "NA" with the single-pollutant values); always true under HJ 633-2012.
    publishable: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[ResultStatus] = mapped_column(enum_column(ResultStatus, 12))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Exceedance(Base):
    """An hourly value of an outlet above the permit limit in force at that hour.

    ``value`` is what was compared: the oxygen-corrected concentration when the limit is
    stated as corrected (``corrected``), else the measured hourly mean. The alarms act on
    these rows.
    """

    __tablename__ = "exceedances"
    __table_args__ = (Index("ix_exceedances_period_start", "period_start"),)

    point_id: Mapped[int] = mapped_column(ForeignKey(Point.id), primary_key=True)
    parameter_code: Mapped[str] = mapped_column(
        ForeignKey("parameters.code"), primary_key=True
    )
    period_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    limit_value: Mapped[float | None] = mapped_column(Float)
    lower_value: Mapped[float | None] = mapped_column(Float)
    multiple: Mapped[float] = mapped_column(Float)
    corrected: Mapped[bool] = mapped_column(Boolean)
    limit_id: Mapped[int] = mapped_column(ForeignKey(PermitLimit.id))
    status: Mapped[ResultStatus] = mapped_column(enum_column(ResultStatus, 12))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Finalization(Base):
    """A month whose derived values were declared final (after the month's audit)."""

    __tablename__ = "finalizations"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    finalized_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))
