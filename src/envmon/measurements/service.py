"""Measurement writes (bulk, as received) and reads (series of one point)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from envmon.errors import NotFoundError, ValidationError
from envmon.measurements.models import ChangeMark, DataKind, Measurement
from envmon.quality.flags import VALID_QC_FLAGS
from envmon.quality.models import QC_JOIN, QcResult
from envmon.registry.models import Parameter, Point
from envmon.storage.bulk import copy_rows
from envmon.timeutil import parse_instant, to_beijing

__all__ = ["INTERVAL", "add_many", "data_kind", "instant", "mark_changed", "series"]

CHANGE_MARKS = cast(Table, ChangeMark.__table__)
UNCHECKED = 2
"""QARTOD "not evaluated": a value's QC flag until QC has judged it."""

VALID_FLAGS = frozenset({"N"})
"""HJ 212-2017 data flags of values that count (Table 8: N normal); others do not."""

INTERVAL: dict[DataKind, timedelta | None] = {
    DataKind.REALTIME: None,
    DataKind.MINUTE: timedelta(minutes=1),
    DataKind.HOUR: timedelta(hours=1),
    DataKind.DAY: timedelta(days=1),
}


def add_many(*, session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """Inserts measurements in one executemany; returns how many were written.

    Each row has ``point_id, parameter_code, kind, measured_at, value, device_flag,
    raw_file_id``. A repeated key fails the whole batch: raw values are never overwritten.
    """
    batch = list(rows)
    if batch:
        session.execute(insert(Measurement), batch)
        mark_changed(
            session=session, keys=((r["point_id"], r["measured_at"]) for r in batch)
        )
    return len(batch)


def mark_changed(*, session: Session, keys: Iterable[tuple[int, datetime]]) -> int:
    """Queues the (point, Beijing day) of changed measurements for recomputation.

    ``keys`` are (point id, interval start) pairs; call it in the transaction that writes
    the measurements, so a committed value always has its mark. Returns the marks written.
    """
    instants = set(keys)
    days: set[tuple[int, date]] = {
        (point_id, to_beijing(at).date()) for point_id, at in instants
    }
    copy_rows(session.connection(), CHANGE_MARKS, ("point_id", "day"), sorted(days))
    return len(days)


def data_kind(kind: str) -> DataKind:
    """The data kind named ``kind``, or ValidationError listing the kinds."""
    try:
        return DataKind(kind)
    except ValueError as err:
        known = ", ".join(k.value for k in DataKind)
        msg = f"unknown data kind {kind!r}; known: {known}"
        raise ValidationError(msg) from err


def instant(text: str | None, name: str) -> Any:
    """An ISO 8601 instant (Beijing time without a zone), None for None, or
    ValidationError naming the field."""
    if text is None:
        return None
    try:
        return parse_instant(text)
    except ValueError as err:
        msg = f"{name}: {err}"
        raise ValidationError(msg) from err


def series(
    *,
    session: Session,
    point: Point,
    parameter: str,
    kind: str = "hour",
    start: str | None = None,
    end: str | None = None,
    limit: int = 10_000,
) -> dict[str, Any]:
    """Returns one point's values of one parameter in [start, end), oldest first.

    Times without a zone are Beijing time. Each value carries its interval start in UTC and
    its hour-ending label in Beijing time.
    """
    chosen = data_kind(kind)
    catalogue = session.get(Parameter, parameter)
    if catalogue is None:
        msg = f"unknown parameter code {parameter!r}"
        raise NotFoundError(msg)
    query = (
        select(
            Measurement.measured_at,
            Measurement.value,
            Measurement.device_flag,
            QcResult.auto_flag,
            QcResult.checks,
            QcResult.review_flag,
            QcResult.review_id,
            QcResult.flag,
        )
        .outerjoin(QcResult, QC_JOIN)
        .where(
            Measurement.point_id == point.id,
            Measurement.parameter_code == parameter,
            Measurement.kind == chosen,
        )
        .order_by(Measurement.measured_at)
        .limit(limit)
    )
    start_at, end_at = instant(start, "start"), instant(end, "end")
    if start_at is not None:
        query = query.where(Measurement.measured_at >= start_at)
    if end_at is not None:
        query = query.where(Measurement.measured_at < end_at)
    step = INTERVAL[chosen]
    values = []
    for (
        measured_at,
        value,
        flag,
        auto,
        checks,
        review,
        review_id,
        qc,
    ) in session.execute(query):
        label = measured_at + step if step else measured_at
        judged = qc is not None
        values.append(
            {
                "start": measured_at.isoformat(),
                "label": to_beijing(label).isoformat(),
                "value": value,
                "device_flag": flag,
                # The QC layers (QARTOD scale): automatic verdict and the checks behind
                # it, the reviewer's flag (0 = not reviewed) and the effective flag;
                # 2 = not evaluated until QC reaches the value.
                "auto_flag": auto if auto else UNCHECKED,
                "checks": checks.split(";") if checks else [],
                "review_flag": review or 0,
                "review_id": review_id,
                "qc_flag": qc if judged else UNCHECKED,
                "valid": value is not None
                and (
                    qc in VALID_QC_FLAGS
                    if judged
                    else (flag is None or flag in VALID_FLAGS)
                ),
            }
        )
    return {
        "mn": point.mn,
        "name": point.name,
        "parameter": parameter,
        "parameter_name": catalogue.name_zh,
        "unit": catalogue.unit,
        "kind": chosen.value,
        "values": values,
    }
