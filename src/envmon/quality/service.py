"""QC of stored measurements: which checks apply, the context a range needs, the writes.

One mechanism serves every way QC runs (live as frames arrive, the pending sweep, re-QC of
history after a rule change, a new device window): :func:`qc_range` reads a series' range
with exactly the context its checks' windows declare (:class:`~envmon.quality.checks.Window`),
runs the checks and stores the verdicts with :func:`store_verdicts`. The live path
(:mod:`envmon.quality.live`) keeps that context in memory between batches instead of
reading it again, and stores through the same function; streaming equals batch, so the
verdicts are the same.

A verdict is final once the points its checks look ahead to have arrived. The newest
``lookahead`` points of a series wait (no row, counted as "not evaluated") unless the
series has been quiet for :data:`TAIL_GRACE` (then it is closed the way batch QC closes
the end of an array; a later value re-decides those points).

Validity: a value counts for means and indices if it is present and its effective flag is
GOOD or UNKNOWN (not evaluated), see :data:`VALID_QC_FLAGS`; a value without a QC row yet
counts by its device flag alone (``N`` or none). Whenever a write changes whether a value
counts, its (point, Beijing day) is marked for recomputation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt
from sqlalchemy import Table, and_, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from envmon import __version__
from envmon.measurements.models import DataKind, Measurement
from envmon.measurements.service import VALID_FLAGS, mark_changed
from envmon.quality.checks import Window
from envmon.quality.flags import (
    VALID_QC_FLAGS,
    Flag,
    device_flag_to_qc,
    effective_flag,
    qartod_compare,
)
from envmon.quality.history import History
from envmon.quality.models import (
    QC_JOIN,
    DeviceWindow,
    QcResult,
    QcResultChange,
    QcReview,
    QcRun,
    RunMode,
)
from envmon.quality.rules import DEFAULT_RULES, CheckRule, RuleSet, rules_for
from envmon.quality.stream import PARTNER_CODES, batch_qc, cross_flags, split_checks
from envmon.registry.models import Outlet, Point, Station
from envmon.storage.bulk import copy_rows
from envmon.timeutil import to_beijing

__all__ = [
    "QC_JOIN",
    "TAIL_GRACE",
    "QcSummary",
    "apply_cross",
    "SeriesKey",
    "Verdicts",
    "checks_for",
    "counts_as_valid",
    "context_start",
    "flagging_names",
    "load_selectors",
    "new_run",
    "qc_range",
    "store_verdicts",
    "window_of",
]

TAIL_GRACE: Final = timedelta(hours=2)
"""A series quiet this long is closed: its last values get their end-of-series verdicts."""
RESULTS = QcResult.__table__
_QC_KINDS: Final = (DataKind.MINUTE, DataKind.HOUR, DataKind.DAY)
"""Kinds that are QC'd: interval values. Real-time snapshots (CN 2011) are not."""


def counts_as_valid() -> ColumnElement[bool]:
    """SQL: the measurement (outer-joined with its QC row by :data:`QC_JOIN`) counts for
    means and indices: its effective flag is in :data:`VALID_QC_FLAGS`, or, QC not having
    reached it yet, its device flag is ``N`` or absent."""
    device = Measurement.device_flag
    return and_(
        Measurement.value.is_not(None),
        or_(
            and_(
                QcResult.flag.is_(None),
                or_(device.is_(None), device.in_(sorted(VALID_FLAGS))),
            ),
            QcResult.flag.in_(VALID_QC_FLAGS),
        ),
    )


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
    days_marked: int = 0
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
        self.days_marked = len(self.marks)

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


def new_run(
    *,
    session: Session,
    rules: RuleSet,
    mode: RunMode,
    actor: str,
    now: datetime,
    reason: str | None = None,
) -> QcRun:
    """Records a QC run with its whole rule set (every check's parameters)."""
    run = QcRun(
        mode=mode,
        started_at=now,
        rules_version=rules.version,
        code_version=__version__,
        rules=rules.model_dump(mode="json"),
        actor=actor,
        reason=reason,
    )
    session.add(run)
    session.flush()
    return run


def load_selectors(
    session: Session, point_ids: Iterable[int] | None = None
) -> dict[int, tuple[str, str | None]]:
    """(point kind, element) of points, as rules select them (element of a station, the
    outlet's kind for an outlet)."""
    stations, outlets = _table(Station.__table__), _table(Outlet.__table__)
    query = (
        select(Point.id, Point.kind, stations.c.element, outlets.c.outlet_kind)
        .outerjoin(stations, stations.c.id == Point.id)
        .outerjoin(outlets, outlets.c.id == Point.id)
    )
    if point_ids is not None:
        query = query.where(Point.id.in_(sorted(set(point_ids))))
    result: dict[int, tuple[str, str | None]] = {}
    for point_id, kind, element, outlet_kind in session.execute(query):
        chosen = element if element is not None else outlet_kind
        result[point_id] = (str(kind), None if chosen is None else str(chosen))
    return result


def device_windows(
    session: Session, key: SeriesKey, start: datetime | None, end: datetime | None
) -> list[tuple[datetime, datetime, str]]:
    """Recorded device-state windows of a series' point overlapping [start, end)."""
    query = select(DeviceWindow).where(DeviceWindow.point_id == key.point_id)
    if start is not None:
        query = query.where(DeviceWindow.end_at > start)
    if end is not None:
        query = query.where(DeviceWindow.start_at < end)
    return [
        (w.start_at, w.end_at, w.state)
        for w in session.scalars(query.order_by(DeviceWindow.id))
        if not w.parameter_codes or key.parameter_code in w.parameter_codes
    ]


def checks_for(
    rules: RuleSet,
    key: SeriesKey,
    selector: tuple[str, str | None] | None,
    windows: Sequence[tuple[datetime, datetime, str]] = (),
) -> list[CheckRule]:
    """The checks of a series that stored QC runs: its rule's single-series and
    cross-parameter checks (:func:`~envmon.quality.stream.split_checks`), plus
    ``device_windows`` over the point's recorded windows when it has any."""
    point_kind, element = selector if selector is not None else (None, None)
    single, cross = split_checks(
        rules_for(rules, key.parameter_code, element, point_kind=point_kind)
    )
    checks = single + cross
    if windows:
        spans = [(_naive(start), _naive(end), state) for start, end, state in windows]
        checks.append(CheckRule(check="device_windows", params={"windows": spans}))
    return checks


def _naive(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).isoformat()


def window_of(checks: Sequence[CheckRule]) -> Window:
    """The union of the checks' windows: what a verdict may read back and ahead."""
    windows = [rule.window() for rule in split_checks(checks)[0]]
    return Window(
        max((w.lookback_points for w in windows), default=0),
        max((w.lookback_seconds for w in windows), default=0.0),
        max((w.lookahead_points for w in windows), default=0),
    )


def _series_where(key: SeriesKey) -> Any:
    return and_(
        Measurement.point_id == key.point_id,
        Measurement.parameter_code == key.parameter_code,
        Measurement.kind == key.kind,
    )


def context_start(
    session: Session, key: SeriesKey, first: datetime, window: Window
) -> tuple[datetime, datetime]:
    """(where verdicts must be rewritten, where reading must start) for new values from
    ``first``: the ``lookahead`` points before ``first`` look ahead to it, and each of
    those reads back ``lookback_seconds`` plus ``lookback_points`` (Window.bounds)."""
    write_from = first
    if window.lookahead_points:
        before = session.scalars(
            select(Measurement.measured_at)
            .where(_series_where(key), Measurement.measured_at < first)
            .order_by(Measurement.measured_at.desc())
            .limit(window.lookahead_points)
        ).all()
        if before:
            write_from = before[-1]
    read_from = write_from
    if window.lookback_seconds > 0:
        seconds = int(np.ceil(window.lookback_seconds))
        cut = write_from - timedelta(seconds=seconds)
        inside = session.scalar(
            select(Measurement.measured_at)
            .where(_series_where(key), Measurement.measured_at > cut)
            .order_by(Measurement.measured_at)
            .limit(1)
        )
        read_from = min(read_from, inside) if inside is not None else read_from
    if window.lookback_points:
        earlier = session.scalars(
            select(Measurement.measured_at)
            .where(_series_where(key), Measurement.measured_at < read_from)
            .order_by(Measurement.measured_at.desc())
            .limit(window.lookback_points)
        ).all()
        if earlier:
            read_from = earlier[-1]
    return write_from, read_from


class SeriesRows(NamedTuple):
    """A series' stored values over a range, in time order."""

    times: list[datetime]
    values: npt.NDArray[np.float64]
    device_flags: list[str | None]


def read_series(
    session: Session, key: SeriesKey, start: datetime, end: datetime | None = None
) -> SeriesRows:
    """The values of a series in [start, end), oldest first."""
    query = (
        select(Measurement.measured_at, Measurement.value, Measurement.device_flag)
        .where(_series_where(key), Measurement.measured_at >= start)
        .order_by(Measurement.measured_at)
    )
    if end is not None:
        query = query.where(Measurement.measured_at < end)
    rows = session.execute(query).all()
    return SeriesRows(
        [r[0] for r in rows],
        np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=np.float64),
        [r[2] for r in rows],
    )


def seconds_of(times: Sequence[datetime]) -> npt.NDArray[np.datetime64]:
    """UTC datetimes → ``datetime64[s]`` (what the checks take)."""
    return np.array([int(t.timestamp()) for t in times], dtype=np.int64).view(
        "datetime64[s]"
    )


def qc_range(
    *,
    session: Session,
    key: SeriesKey,
    checks: Sequence[CheckRule],
    run_id: int,
    first: datetime,
    last: datetime | None = None,
    now: datetime,
) -> QcSummary:
    """QC a series' values from ``first`` to ``last`` (default: its end) in batch and
    store the verdicts; the newest ``lookahead`` values wait unless the series is quiet
    (:data:`TAIL_GRACE`) or more values follow ``last``."""
    window = window_of(checks)
    write_from, read_from = context_start(session, key, first, window)
    read_to = None
    complete = True  # the rows read reach the series' end
    if last is not None:
        after = session.scalars(
            select(Measurement.measured_at)
            .where(_series_where(key), Measurement.measured_at > last)
            .order_by(Measurement.measured_at)
            .limit(max(window.lookahead_points, 1))
        ).all()
        complete = len(after) < window.lookahead_points or not after
        reach = after[-1] if after and window.lookahead_points else last
        read_to = reach + timedelta(microseconds=1)
    rows = read_series(session, key, read_from, read_to)
    if not rows.times:
        return QcSummary()
    seconds = seconds_of(rows.times)
    single, cross = split_checks(checks)
    flags, history = batch_qc(seconds, rows.values, single)
    stop = len(rows.times)
    if complete and now - rows.times[-1] < TAIL_GRACE:
        stop -= window.lookahead_points  # they wait for the values they look ahead to
    begin = int(np.searchsorted(seconds, _s(write_from)))
    if last is not None:
        stop = min(stop, int(np.searchsorted(seconds, _s(last), "right")))
    if stop <= begin:
        return QcSummary(series=1)
    verdicts = Verdicts()
    names = flagging_names(history, begin, stop)
    for offset, i in enumerate(range(begin, stop)):
        verdicts.add(
            key,
            rows.times[i],
            float(rows.values[i]),
            rows.device_flags[i],
            int(flags[i]),
            names[offset],
        )
    apply_cross(session, verdicts, {key: cross})
    return store_verdicts(session=session, verdicts=verdicts, run_id=run_id)


def _partner(
    session: Session, key: SeriesKey, code: str, times: Sequence[datetime]
) -> npt.NDArray[np.float64]:
    """Another parameter's values of the same point and kind at ``times`` (NaN where it
    has none)."""
    found = dict(
        session.execute(
            select(Measurement.measured_at, Measurement.value).where(
                Measurement.point_id == key.point_id,
                Measurement.parameter_code == code,
                Measurement.kind == key.kind,
                Measurement.measured_at >= min(times),
                Measurement.measured_at <= max(times),
            )
        ).all()
    )
    return np.array(
        [np.nan if found.get(t) is None else found[t] for t in times], dtype=np.float64
    )


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
    for key, index in positions.items():
        times = [verdicts.times[i] for i in index]
        values = np.array([verdicts.values[i] for i in index], dtype=np.float64)
        for rule in cross[key]:
            codes = sorted(set(PARTNER_CODES[rule.check].values()))
            partners = {code: _partner(session, key, code, times) for code in codes}
            flags = cross_flags(rule, values, seconds_of(times), partners)
            current = np.array([verdicts.auto_flags[i] for i in index], dtype=np.uint8)
            combined = qartod_compare(current, flags).tolist()
            for offset, i in enumerate(index):
                verdicts.auto_flags[i] = combined[offset]
                if int(flags[offset]) in (Flag.SUSPECT, Flag.FAIL):
                    verdicts.checks[i] = ";".join(
                        name for name in (verdicts.checks[i], rule.check) if name
                    )


def _s(at: datetime) -> np.datetime64:
    return np.datetime64(int(at.timestamp()), "s")


def flagging_names(history: History, begin: int, stop: int) -> list[str]:
    """The checks that set SUSPECT or FAIL at positions ``begin … stop − 1``, joined
    by ``;`` (as ``envmon qc run`` writes them)."""
    names, mask = history.flagged()
    part = mask[:, begin:stop]
    result = [""] * (stop - begin)
    for offset in np.flatnonzero(part.any(axis=0)).tolist():
        result[offset] = ";".join(
            name
            for name, hit in zip(names, part[:, offset].tolist(), strict=True)
            if hit
        )
    return result


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
    summary.days_marked = len(summary.marks)
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
        copy_rows(session.connection(), _table(RESULTS), _COLUMNS, new)
    if changed:
        session.execute(update(QcResult), changed)


def _table(table: Any) -> Table:
    assert isinstance(table, Table)
    return table


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


def default_rules() -> RuleSet:
    """The rule set QC uses unless one is given."""
    return DEFAULT_RULES
