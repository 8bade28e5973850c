"""Automatic verdicts of values and how they are stored with the other flag layers.

:func:`store_verdicts` is the one place verdicts are written, whatever ran the checks
(live, batch, a review applied to values not QC'd yet): a new row per value without one,
an update where the verdict changed (the old verdict kept in ``qc_result_changes``), the
effective flag from the device, automatic and reviewer layers, and a change mark for each
(point, Beijing day) whose validity changed. :func:`apply_cross` adds the cross-parameter
checks, which read the partner parameters' stored values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final, NamedTuple, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from envmon.measurements.models import DataKind, Measurement
from envmon.measurements.service import VALID_FLAGS, mark_changed
from envmon.quality.flags import (
    VALID_QC_FLAGS,
    Flag,
    device_flag_to_qc,
    effective_flag,
    qartod_compare,
)
from envmon.quality.models import QcResult, QcResultChange, QcReview
from envmon.quality.rules import CheckRule
from envmon.quality.stream import PARTNER_CODES, cross_flags
from envmon.storage.bulk import copy_rows
from envmon.timeutil import to_beijing

__all__ = [
    "QcSummary",
    "SeriesKey",
    "Verdicts",
    "apply_cross",
    "seconds_of",
    "store_verdicts",
]

RESULTS = cast(Table, QcResult.__table__)


class SeriesKey(NamedTuple):
    """One QC series: a point's parameter at one kind of interval."""

    point_id: int
    parameter_code: str
    kind: DataKind


@dataclass
class QcSummary:
    """What a QC pass did."""

    run_id: int | None = None
    series: int = 0
    values: int = 0
    written: int = 0
    changed: int = 0
    suspect: int = 0
    failed: int = 0
    marks: set[tuple[int, date]] = field(default_factory=set)

    def add(self, other: QcSummary) -> None:
        """Adds another pass's counts to this one."""
        self.series += other.series
        self.values += other.values
        self.written += other.written
        self.changed += other.changed
        self.suspect += other.suspect
        self.failed += other.failed
        self.marks |= other.marks

    @property
    def days_marked(self) -> int:
        """(point, Beijing day) pairs marked for recomputation."""
        return len(self.marks)

    def as_json(self) -> dict[str, Any]:
        """The counts as the CLI, API and ledger show them."""
        return {
            "run_id": self.run_id,
            "series": self.series,
            "values": self.values,
            "written": self.written,
            "changed": self.changed,
            "suspect": self.suspect,
            "failed": self.failed,
            "days_marked": len(self.marks),
        }


def seconds_of(times: Sequence[datetime]) -> npt.NDArray[np.datetime64]:
    """UTC datetimes → ``datetime64[s]`` (what the checks take)."""
    return np.array([int(t.timestamp()) for t in times], dtype=np.int64).view(
        "datetime64[s]"
    )


@dataclass
class Verdicts:
    """Automatic verdicts of values of one or more series, one entry per value."""

    keys: list[SeriesKey] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    device_flags: list[str | None] = field(default_factory=list)
    auto_flags: list[int] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def add(
        self,
        key: SeriesKey,
        time: datetime,
        value: float,
        device_flag: str | None,
        auto_flag: int,
        checks: str,
    ) -> None:
        """Adds one value's verdict."""
        self.keys.append(key)
        self.times.append(time)
        self.values.append(value)
        self.device_flags.append(device_flag)
        self.auto_flags.append(auto_flag)
        self.checks.append(checks)

    def __len__(self) -> int:
        return len(self.times)


def _stored(
    session: Session, key: SeriesKey, first: datetime, last: datetime
) -> dict[datetime, Any]:
    return {
        row.measured_at: row
        for row in session.execute(
            select(
                QcResult.measured_at,
                QcResult.auto_flag,
                QcResult.checks,
                QcResult.run_id,
                QcResult.review_flag,
                QcResult.review_id,
                QcResult.flag,
            ).where(
                QcResult.point_id == key.point_id,
                QcResult.parameter_code == key.parameter_code,
                QcResult.kind == key.kind,
                QcResult.measured_at >= first,
                QcResult.measured_at <= last,
            )
        )
    }


def _stored_rows(
    session: Session, verdicts: Verdicts
) -> dict[tuple[SeriesKey, datetime], Any]:
    """The QC rows already stored for the values of ``verdicts``."""
    spans: dict[SeriesKey, tuple[datetime, datetime]] = {}
    for key, at in zip(verdicts.keys, verdicts.times, strict=True):
        low, high = spans.get(key, (at, at))
        spans[key] = (min(low, at), max(high, at))
    stored: dict[tuple[SeriesKey, datetime], Any] = {}
    for key, (low, high) in spans.items():
        stored.update(
            ((key, at), row) for at, row in _stored(session, key, low, high).items()
        )
    return stored


def store_verdicts(
    *, session: Session, verdicts: Verdicts, run_id: int | None, fresh: bool = False
) -> QcSummary:
    """Writes automatic verdicts: new rows for values without one, updates where the
    verdict changed (the old one kept in ``qc_result_changes``); computes the effective
    flags with the device and reviewer layers; marks days whose validity changed.

    ``fresh``: the caller knows no value has a row yet (the live path's new values), so
    stored rows are not read.
    """
    keys = sorted(set(verdicts.keys))
    summary = QcSummary(run_id=run_id, series=len(keys), values=len(verdicts))
    if not verdicts.times:
        return summary
    stored = {} if fresh else _stored_rows(session, verdicts)
    device = device_flag_to_qc(verdicts.device_flags)
    auto = np.asarray(verdicts.auto_flags, dtype=np.uint8)
    review_flag, review_id, overrule = _review_layer(session, verdicts)
    effective = effective_flag(device, auto, review_flag, overrule_device=overrule)
    values = np.asarray(verdicts.values, dtype=np.float64)
    present = ~np.isnan(values)
    new: list[tuple[Any, ...]] = []
    changed: list[dict[str, Any]] = []
    superseded: list[dict[str, Any]] = []
    device_codes: list[int] = device.tolist()
    auto_codes: list[int] = auto.tolist()
    review_codes: list[int] = review_flag.tolist()
    flags: list[int] = effective.tolist()
    present_list: list[bool] = present.tolist()
    for i, (key, at) in enumerate(zip(verdicts.keys, verdicts.times, strict=True)):
        flag = flags[i]
        row = (
            key.point_id,
            key.parameter_code,
            key.kind,
            at,
            device_codes[i],
            auto_codes[i],
            verdicts.checks[i][:200],
            run_id,
            review_codes[i],
            review_id[i],
            flag,
        )
        before = stored.get((key, at)) if stored else None
        if before is None:
            new.append(row)
            was_valid = present_list[i] and (
                verdicts.device_flags[i] is None
                or verdicts.device_flags[i] in VALID_FLAGS
            )
        else:
            verdict = (auto_codes[i], row[6])
            if (before.auto_flag, before.checks) == verdict and (
                before.review_flag,
                before.review_id,
                before.flag,
            ) == (review_codes[i], review_id[i], flag):
                continue
            if before.auto_flag and (before.auto_flag, before.checks) != verdict:
                superseded.append(
                    {
                        **dict(zip(_KEY, row[:4], strict=True)),
                        "auto_flag": before.auto_flag,
                        "checks": before.checks,
                        "run_id": before.run_id,
                        "superseded_by": run_id,
                    }
                )
            changed.append(dict(zip(_COLUMNS, row, strict=True)))
            was_valid = before.flag in VALID_QC_FLAGS and present_list[i]
        if (flag in VALID_QC_FLAGS and present_list[i]) != was_valid:
            summary.marks.add((key.point_id, _day(at)))
    _write(session, new, changed, superseded)
    summary.written = len(new)
    summary.changed = len(changed)
    summary.suspect = int(np.count_nonzero(effective == Flag.SUSPECT))
    summary.failed = int(np.count_nonzero(effective == Flag.FAIL))
    if summary.marks:
        mark_changed(
            session=session,
            keys=((point, _noon(day)) for point, day in summary.marks),
        )
    return summary


_KEY: Final = ("point_id", "parameter_code", "kind", "measured_at")
_COLUMNS: Final = (
    *_KEY,
    "device_flag",
    "auto_flag",
    "checks",
    "run_id",
    "review_flag",
    "review_id",
    "flag",
)


def _write(
    session: Session,
    new: list[tuple[Any, ...]],
    changed: list[dict[str, Any]],
    superseded: list[dict[str, Any]],
) -> None:
    if superseded:
        session.execute(insert(QcResultChange), superseded)
    if new:
        copy_rows(session.connection(), RESULTS, _COLUMNS, new)
    if changed:
        session.execute(update(QcResult), changed)


def _day(at: datetime) -> date:
    return to_beijing(at).date()


def _noon(day: date) -> datetime:
    """An instant inside a Beijing day (mark_changed takes instants)."""
    return datetime(day.year, day.month, day.day, 4, tzinfo=UTC)


def _review_layer(
    session: Session, verdicts: Verdicts
) -> tuple[npt.NDArray[np.uint8], list[int | None], npt.NDArray[np.bool_]]:
    """The reviewer layer of the values: the newest review covering each value wins."""
    count = len(verdicts)
    flags = np.zeros(count, dtype=np.uint8)
    ids: list[int | None] = [None] * count
    overrule = np.zeros(count, dtype=bool)
    points = sorted({key.point_id for key in verdicts.keys})
    reviews = session.scalars(
        select(QcReview)
        .where(
            QcReview.point_id.in_(points),
            QcReview.start_at <= max(verdicts.times),
            QcReview.end_at > min(verdicts.times),
        )
        .order_by(QcReview.id)
    ).all()
    if not reviews:
        return flags, ids, overrule
    seconds = np.array([t.timestamp() for t in verdicts.times])
    keys = verdicts.keys
    for review in reviews:  # oldest first: newer ones overwrite
        target = SeriesKey(review.point_id, review.parameter_code, review.kind)
        inside = (seconds >= review.start_at.timestamp()) & (
            seconds < review.end_at.timestamp()
        )
        for i in np.flatnonzero(inside).tolist():
            if keys[i] == target:
                flags[i] = review.flag
                overrule[i] = review.overrule_device
                ids[i] = review.id
    return flags, ids, overrule


def _partners(
    session: Session,
    keys: Sequence[SeriesKey],
    codes: set[str],
    times: Sequence[datetime],
) -> dict[tuple[int, str, DataKind, datetime], float | None]:
    """Stored values of parameters ``codes`` at the points and kinds of ``keys`` between
    the first and last of ``times``, in one query."""
    if not keys or not codes:
        return {}
    rows = session.execute(
        select(
            Measurement.point_id,
            Measurement.parameter_code,
            Measurement.kind,
            Measurement.measured_at,
            Measurement.value,
        ).where(
            Measurement.point_id.in_(sorted({k.point_id for k in keys})),
            Measurement.parameter_code.in_(sorted(codes)),
            Measurement.kind.in_(sorted({k.kind for k in keys})),
            Measurement.measured_at >= min(times),
            Measurement.measured_at <= max(times),
        )
    )
    return {(p, c, DataKind(k), at): v for p, c, k, at, v in rows}


def apply_cross(
    session: Session,
    verdicts: Verdicts,
    cross: Mapping[SeriesKey, Sequence[CheckRule]],
) -> None:
    """Add cross-parameter checks to verdicts (in place): each runs on the series' values
    and its partners' stored values at the same times, and is combined with the
    automatic verdict by precedence. A partner value that arrives later does not
    re-decide the verdict (``envmon qc requalify`` does)."""
    positions: dict[SeriesKey, list[int]] = {}
    for i, key in enumerate(verdicts.keys):
        if cross.get(key):
            positions.setdefault(key, []).append(i)
    if not positions:
        return
    codes = {
        code
        for key in positions
        for rule in cross[key]
        for code in PARTNER_CODES[rule.check].values()
    }
    stored = _partners(
        session,
        list(positions),
        codes,
        [verdicts.times[i] for index in positions.values() for i in index],
    )
    for key, index in positions.items():
        times = [verdicts.times[i] for i in index]
        values = np.array([verdicts.values[i] for i in index], dtype=np.float64)
        for rule in cross[key]:
            partners = {
                code: np.array(
                    [
                        np.nan
                        if (v := stored.get((key.point_id, code, key.kind, t))) is None
                        else v
                        for t in times
                    ],
                    dtype=np.float64,
                )
                for code in set(PARTNER_CODES[rule.check].values())
            }
            flags = cross_flags(rule, values, seconds_of(times), partners)
            current = np.array([verdicts.auto_flags[i] for i in index], dtype=np.uint8)
            combined = qartod_compare(current, flags).tolist()
            for offset, i in enumerate(index):
                verdicts.auto_flags[i] = combined[offset]
                if int(flags[offset]) in (Flag.SUSPECT, Flag.FAIL):
                    verdicts.checks[i] = ";".join(
                        name for name in (verdicts.checks[i], rule.check) if name
                    )
