"""Validity and capture statistics per point, parameter and Beijing day (有效率、传输率).

For each series (parameter, kind) and Beijing calendar day:

* ``expected``: the values the interval implies (1440 minute values, 24 hourly, 1 daily);
* ``received``: the values stored (each data time once: repeats are refused at ingest);
* ``valid``: received values that count (:func:`~envmon.quality.service.counts_as_valid`:
  effective QC flag GOOD or UNKNOWN, or, not QC'd yet, device flag N or none);
* ``suspect`` / ``failed``: values whose effective flag is SUSPECT / FAIL;
* ``capture_rate`` (传输率) = received / expected and ``validity_rate`` (数据有效率) =
  valid / expected, both capped at 1, as fractions.

Reading chosen: the rates are against what the day should have delivered (HJ 818-2018
and HJ 75-2017 count the data a station should have sent), not against what arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Date, case, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from envmon.errors import ValidationError
from envmon.measurements.models import DataKind, Measurement
from envmon.quality.flags import Flag
from envmon.quality.models import QC_JOIN, QcResult
from envmon.quality.service import counts_as_valid
from envmon.timeutil import BEIJING

__all__ = ["EXPECTED_PER_DAY", "MAX_DAYS", "DayValidity", "validity"]

EXPECTED_PER_DAY: Final = {DataKind.MINUTE: 1440, DataKind.HOUR: 24, DataKind.DAY: 1}
MAX_DAYS: Final = 366


@dataclass(frozen=True, slots=True)
class DayValidity:
    """One series' counts on one Beijing day."""

    day: date
    parameter_code: str
    kind: DataKind
    expected: int
    received: int
    valid: int
    suspect: int
    failed: int

    @property
    def capture_rate(self) -> float:
        """Received / expected (传输率), at most 1."""
        return min(1.0, self.received / self.expected)

    @property
    def validity_rate(self) -> float:
        """Valid / expected (数据有效率), at most 1."""
        return min(1.0, self.valid / self.expected)

    def as_json(self) -> dict[str, Any]:
        """The counts and rates (rates rounded to 4 decimals)."""
        return {
            "day": self.day.isoformat(),
            "parameter": self.parameter_code,
            "kind": self.kind.value,
            "expected": self.expected,
            "received": self.received,
            "valid": self.valid,
            "suspect": self.suspect,
            "failed": self.failed,
            "capture_rate": round(self.capture_rate, 4),
            "validity_rate": round(self.validity_rate, 4),
        }


def _beijing_day(column: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return cast(func.timezone("Asia/Shanghai", column), Date)
    return func.date(column, "+8 hours")


def validity(
    *, session: Session, point_id: int, first_day: date, last_day: date
) -> list[DayValidity]:
    """Counts per parameter, kind and Beijing day ``first_day … last_day`` of a point,
    ordered by day, parameter and kind; every day of the range appears for each series
    that has a value in it."""
    if last_day < first_day or (last_day - first_day).days >= MAX_DAYS:
        msg = f"days {first_day} … {last_day}: need 1 to {MAX_DAYS} days in order"
        raise ValidationError(msg)
    start = datetime.combine(first_day, datetime.min.time(), BEIJING)
    end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), BEIJING)
    dialect = session.get_bind().dialect.name
    day = _beijing_day(Measurement.measured_at, dialect)
    rows = session.execute(
        select(
            day,
            Measurement.parameter_code,
            Measurement.kind,
            func.count(),
            func.sum(case((counts_as_valid(), 1), else_=0)),
            func.sum(case((QcResult.flag == int(Flag.SUSPECT), 1), else_=0)),
            func.sum(case((QcResult.flag == int(Flag.FAIL), 1), else_=0)),
        )
        .outerjoin(QcResult, QC_JOIN)
        .where(
            Measurement.point_id == point_id,
            Measurement.measured_at >= start,
            Measurement.measured_at < end,
            Measurement.kind.in_(list(EXPECTED_PER_DAY)),
        )
        .group_by(day, Measurement.parameter_code, Measurement.kind)
        .order_by(day, Measurement.parameter_code, Measurement.kind)
    ).all()
    found: dict[tuple[date, str, DataKind], DayValidity] = {}
    for when, code, kind, received, valid, suspect, failed in rows:
        data_kind = DataKind(kind)
        on = when if isinstance(when, date) else date.fromisoformat(when)
        found[(on, code, data_kind)] = DayValidity(
            day=on,
            parameter_code=code,
            kind=data_kind,
            expected=EXPECTED_PER_DAY[data_kind],
            received=int(received),
            valid=int(valid or 0),
            suspect=int(suspect or 0),
            failed=int(failed or 0),
        )
    # A day without any value of a series seen in the range counts too (rates 0).
    series = sorted({(code, kind) for _, code, kind in found})
    result = []
    on = first_day
    while on <= last_day:
        for code, kind in series:
            empty = DayValidity(on, code, kind, EXPECTED_PER_DAY[kind], 0, 0, 0, 0)
            result.append(found.get((on, code, kind), empty))
        on += timedelta(days=1)
    return result
