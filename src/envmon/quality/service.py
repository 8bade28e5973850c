"""QC of stored measurements: which checks apply, the context a range needs, the writes.

One mechanism serves every way QC runs (live as frames arrive, the pending sweep, re-QC of
history after a rule change, a new device window): :func:`qc_range` reads a series' range
with exactly the context its checks' windows declare (:class:`~envmon.quality.checks.Window`),
runs the checks and stores the verdicts with
:func:`~envmon.quality.verdicts.store_verdicts`. The live path
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

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, NamedTuple, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import Table, and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from envmon import __version__
from envmon.measurements.models import DataKind, Measurement
from envmon.measurements.service import VALID_FLAGS
from envmon.quality.checks import Window
from envmon.quality.flags import (
    VALID_QC_FLAGS,
)
from envmon.quality.history import History
from envmon.quality.models import (
    QC_JOIN,
    DeviceWindow,
    QcResult,
    QcRun,
    RunMode,
)
from envmon.quality.rules import DEFAULT_RULES, CheckRule, RuleSet, rules_for
from envmon.quality.stream import batch_qc, split_checks
from envmon.quality.verdicts import (
    QcSummary,
    SeriesKey,
    Verdicts,
    apply_cross,
    seconds_of,
    store_verdicts,
)
from envmon.registry.models import Outlet, Point, Station

__all__ = [
    "QC_JOIN",
    "TAIL_GRACE",
    "checks_for",
    "counts_as_valid",
    "context_start",
    "flagging_names",
    "load_selectors",
    "new_run",
    "qc_range",
    "window_of",
]

TAIL_GRACE: Final = timedelta(hours=2)
"""A series quiet this long is closed: its last values get their end-of-series verdicts."""
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
    stations = cast(Table, Station.__table__)
    outlets = cast(Table, Outlet.__table__)
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
    write_from = _points_before(session, key, first, window.lookahead_points)
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
    return write_from, _points_before(session, key, read_from, window.lookback_points)


def _points_before(
    session: Session, key: SeriesKey, at: datetime, count: int
) -> datetime:
    """The time of the ``count``-th value of the series before ``at`` (the earliest
    there is if fewer; ``at`` if none or ``count`` is 0)."""
    if not count:
        return at
    before = session.scalars(
        select(Measurement.measured_at)
        .where(_series_where(key), Measurement.measured_at < at)
        .order_by(Measurement.measured_at.desc())
        .limit(count)
    ).all()
    return before[-1] if before else at


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


def default_rules() -> RuleSet:
    """The rule set QC uses unless one is given."""
    return DEFAULT_RULES
