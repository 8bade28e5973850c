"""Measurements read onto a regular hourly grid: one row per (point, parameter) series.

The aggregation from minutes to hours runs in the database (one GROUP BY), so a city-month
of minute data never crosses into Python row by row; what comes back is one row per
series and hour, scattered into numpy arrays with vector operations.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from envmon.measurements.models import DataKind, Measurement
from envmon.measurements.service import VALID_FLAGS
from envmon.quality.models import QcResult
from envmon.quality.service import QC_JOIN, counts_as_valid
from envmon.timeutil import BEIJING

__all__ = [
    "VALID_DEVICE_FLAGS",
    "HourGrid",
    "beijing_midnight",
    "epoch_hours",
    "load_hourly",
]

VALID_DEVICE_FLAGS: Final = tuple(sorted(VALID_FLAGS))
"""HJ 212-2017 data flags whose values count (Table 8: N = normal). A value without a flag
counts too: HJ/T 212-2005 air stations and file imports often send none. Every other flag
(F, M, S, D, C, T, B and the 2005 P) makes the value invalid for means. Once QC has
judged a value, its effective QC flag decides instead (:func:`counts_as_valid`)."""

MIN_MINUTES: Final = 45
"""GB 3095 Table 4 and HJ 75-2017: a 1-h value needs ≥ 45 minutes of valid data."""


def beijing_midnight(day: date) -> datetime:
    """The UTC instant at which a Beijing calendar day starts."""
    return datetime.combine(day, time(), BEIJING).astimezone(UTC)


def epoch_hours(column: Any, dialect: str) -> ColumnElement[Any]:
    """SQL for whole hours since the Unix epoch of a UTC timestamp column."""
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / 3600), Integer)
    # SQLite keeps UTC timestamps as text; strftime('%s') reads them as UTC. The raw "/"
    # operator keeps SQLite's integer division (SQLAlchemy's "/" would make it true
    # division, one group per minute).
    return cast(func.strftime("%s", column), Integer).op("/")(3600)


def hour_bucket(
    column: Any, dialect: str
) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """(GROUP BY expression, its hours since the epoch) for grouping rows by UTC hour.

    PostgreSQL groups on ``date_trunc`` of the UTC wall time — cheap timestamp
    arithmetic per row — and converts only each group's key to epoch hours; numeric
    epoch arithmetic on every row of a city-month of minutes costs seconds.
    """
    if dialect == "postgresql":
        bucket = func.date_trunc("hour", func.timezone("UTC", column))
        return bucket, cast(func.extract("epoch", bucket) / 3600, Integer)
    hours = epoch_hours(column, dialect)
    return hours, hours


@dataclass(frozen=True)
class HourGrid:
    """Hourly series of several (point, parameter) pairs over ``hours`` from ``start``.

    ``values`` holds valid hourly means (NaN where the hour is missing or invalid),
    ``counts`` what the validity rule counted (valid minutes for an hour computed from
    minute data; 1 for a valid reported hourly value; 0 otherwise). Row ``i`` belongs to
    ``keys[i]`` = (point id, parameter code).
    """

    start: datetime
    hours: int
    keys: list[tuple[int, str]]
    values: npt.NDArray[np.float64]
    counts: npt.NDArray[np.int64]

    def row(self, point_id: int, code: str) -> int | None:
        """Returns the row of a series, or None when the grid has no such series."""
        return self.index.get((point_id, code))

    @property
    def index(self) -> dict[tuple[int, str], int]:
        """Rows by (point id, parameter code)."""
        return {key: i for i, key in enumerate(self.keys)}


def load_hourly(
    *,
    session: Session,
    point_ids: Collection[int],
    start: datetime,
    hours: int,
) -> HourGrid:
    """Reads hourly values of ``point_ids`` over ``hours`` hours from ``start`` (UTC).

    Reported hourly values (HJ 212 CN 2061) are used where present; other hours are
    computed from minute data (CN 2051) as the mean of the valid minutes, valid with at
    least 45 of them (GB 3095 Table 4, HJ 75-2017). Real-time values (CN 2011) are not
    averaged: they are snapshots, not interval means.
    """
    dialect = session.get_bind().dialect.name
    end = start + timedelta(hours=hours)
    base = int(start.timestamp()) // 3600
    hour = epoch_hours(Measurement.measured_at, dialect)
    bucket, bucket_hour = hour_bucket(Measurement.measured_at, dialect)
    within = and_(
        Measurement.measured_at >= start,
        Measurement.measured_at < end,
        Measurement.point_id.in_(sorted(point_ids)),
    )
    good = counts_as_valid()
    minute_rows = session.execute(
        select(
            Measurement.point_id,
            Measurement.parameter_code,
            bucket_hour,
            func.sum(case((good, Measurement.value))),
            func.sum(case((good, 1), else_=0)),
        )
        .outerjoin(QcResult, QC_JOIN)
        .where(within, Measurement.kind == DataKind.MINUTE)
        .group_by(Measurement.point_id, Measurement.parameter_code, bucket)
    ).all()
    hour_rows = session.execute(
        select(
            Measurement.point_id,
            Measurement.parameter_code,
            hour,
            Measurement.value,
            case((good, 1), else_=0),
        )
        .outerjoin(QcResult, QC_JOIN)
        .where(within, Measurement.kind == DataKind.HOUR)
    ).all()
    keys = sorted(
        {(r[0], r[1]) for r in minute_rows} | {(r[0], r[1]) for r in hour_rows}
    )
    index = {key: i for i, key in enumerate(keys)}
    values = np.full((len(keys), hours), np.nan)
    counts = np.zeros((len(keys), hours), dtype=np.int64)
    if minute_rows:
        rows = np.array([index[(r[0], r[1])] for r in minute_rows], dtype=np.int64)
        columns = np.array([r[2] for r in minute_rows], dtype=np.int64) - base
        sums = np.array([np.nan if r[3] is None else r[3] for r in minute_rows])
        valid_minutes = np.array([r[4] for r in minute_rows], dtype=np.int64)
        means = np.divide(
            sums, valid_minutes, out=np.full(len(sums), np.nan), where=valid_minutes > 0
        )
        means[valid_minutes < MIN_MINUTES] = np.nan
        values[rows, columns] = means
        counts[rows, columns] = valid_minutes
    if hour_rows:
        rows = np.array([index[(r[0], r[1])] for r in hour_rows], dtype=np.int64)
        columns = np.array([r[2] for r in hour_rows], dtype=np.int64) - base
        reported = np.array([np.nan if r[3] is None else r[3] for r in hour_rows])
        ok = np.array([r[4] for r in hour_rows], dtype=bool) & ~np.isnan(reported)
        values[rows, columns] = np.where(ok, reported, np.nan)
        counts[rows, columns] = ok.astype(np.int64)
    return HourGrid(start=start, hours=hours, keys=keys, values=values, counts=counts)
