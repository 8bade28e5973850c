"""Live QC: the platform's new measurements QC'd as they arrive, state kept in memory.

:class:`LiveQC` is called after every committed ingest batch (``envmon serve``) and by
the sweep (``envmon qc pending``). Each call finds the values since ``horizon`` that have
no QC row yet and, per series:

* if the series is *warm* (its checks' context is in memory, a
  :class:`~envmon.quality.stream.StreamingQC`) and the values are newer than the last one
  fed, they are fed and the verdicts now final are stored — no reading of history;
* otherwise (first sight since the process started, or a value arrived out of order) the
  series is *warmed*: the context its windows declare is read back
  (:func:`~envmon.quality.service.context_start`), fed, and every verdict from the first
  one the new values can affect is stored (changed ones with their history).

Values waiting for their lookahead are kept in memory only; a series quiet for
:data:`~envmon.quality.service.TAIL_GRACE` is flushed (end-of-series verdicts) and
forgotten. A new device-state window makes every series forget its state (the window
changes the checks), so the next values warm them again. Streaming equals batch, so these
verdicts are those :func:`~envmon.quality.service.qc_range` would store.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any, Final

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from envmon.measurements.models import DataKind, Measurement
from envmon.quality.models import QC_JOIN, DeviceWindow, QcResult, RunMode
from envmon.quality.rules import CheckRule, RuleSet
from envmon.quality.service import (
    _QC_KINDS,
    TAIL_GRACE,
    checks_for,
    context_start,
    default_rules,
    device_windows,
    load_selectors,
    new_run,
    read_series,
    window_of,
)
from envmon.quality.stream import Finalised, StreamingQC, split_checks
from envmon.quality.verdicts import (
    QcSummary,
    SeriesKey,
    Verdicts,
    apply_cross,
    seconds_of,
    store_verdicts,
)

__all__ = ["HORIZON", "LiveQC"]

HORIZON: Final = timedelta(days=3)
"""How far back a pass looks for values without QC rows (late data within it is QC'd)."""


@dataclass
class _Live:
    """A warm series: its last value fed and the values fed but not yet decided (its
    checks' state lives in the shared :class:`StreamingQC`)."""

    last: datetime
    write_from: datetime | None = None
    cross: list[CheckRule] = field(default_factory=list)  # cross-parameter checks
    waiting: deque[tuple[datetime, str | None]] = field(default_factory=deque)

    def expect(self, times: list[datetime], device_flags: list[str | None]) -> None:
        """Values about to be fed."""
        self.waiting.extend(zip(times, device_flags, strict=True))
        self.last = times[-1]

    def take(self, key: SeriesKey, result: Finalised, verdicts: Verdicts) -> None:
        """A decided value (in series order): its verdict, unless it is context."""
        at, device_flag = self.waiting.popleft()
        if self.write_from is None or at >= self.write_from:
            verdicts.add(
                key, at, result.value, device_flag, result.flag, ";".join(result.checks)
            )


class LiveQC:
    """Streaming QC of stored measurements (one per process; not thread-safe).

    Parameters
    ----------
    rules : RuleSet, optional
        Default :data:`~envmon.quality.rules.DEFAULT_RULES`.
    actor : str
        Recorded in the run.
    horizon : timedelta
        How far back a pass looks for values without a QC row.
    """

    def __init__(
        self,
        rules: RuleSet | None = None,
        *,
        actor: str = "system",
        horizon: timedelta = HORIZON,
    ) -> None:
        self.rules = rules if rules is not None else default_rules()
        self.actor = actor
        self.horizon = horizon
        self._series: dict[SeriesKey, _Live] = {}
        self._stream = StreamingQC(self.rules)
        self._run_id: int | None = None
        self._windows_seen: int | None = None
        self._selectors: dict[int, tuple[str, str | None]] = {}

    def forget(self) -> None:
        """Drops every series' state (the next values warm them again)."""
        self._series.clear()
        self._stream = StreamingQC(self.rules)

    @property
    def warm_series(self) -> int:
        """How many series have their state in memory."""
        return len(self._series)

    def process(
        self,
        *,
        session: Session,
        now: datetime,
        point_ids: set[int] | None = None,
        since: datetime | None = None,
    ) -> QcSummary:
        """QC the values without a QC row since ``since`` (default ``now − horizon``) of
        ``point_ids`` (default all points), in the caller's transaction."""
        latest_window = session.scalar(select(func.max(DeviceWindow.id))) or 0
        if latest_window != self._windows_seen:
            self.forget()
            self._windows_seen = latest_window
        run_id = self._run(session, now)
        start = now - self.horizon if since is None else since
        found = _unflagged_rows(session, start, point_ids)
        rows: dict[SeriesKey, list[Any]] = {}
        for key, group in groupby(found, key=lambda r: SeriesKey(*r[:3])):
            rows[key] = list(group)
        series = [(key, items[0][3], items[-1][3]) for key, items in rows.items()]
        fed, warmed = Verdicts(), Verdicts()
        feeds: list[tuple[SeriesKey, Any, Any]] = []
        targets: dict[SeriesKey, Verdicts] = {}
        for key, first, _ in series:
            live = self._series.get(key)
            items = rows.get(key)
            if live is not None and items is not None and self._extends(live, items):
                new = [r for r in items if r[3] > live.last]
                if new:
                    times = [r[3] for r in new]
                    live.expect(times, [r[5] for r in new])
                    values = np.array(
                        [np.nan if r[4] is None else r[4] for r in new],
                        dtype=np.float64,
                    )
                    feeds.append((key, seconds_of(times), values))
                    # values a reviewer flagged before QC reached them have a row
                    targets[key] = warmed if any(r[6] for r in items) else fed
                continue
            self._warm(session, key, first, warmed)
        single = [f for f in feeds if f[2].size == 1]
        several = [f for f in feeds if f[2].size != 1]
        results = self._stream.feed_many(several)
        if single:
            results += self._stream.feed_each(
                [f[0] for f in single],
                np.concatenate([f[1] for f in single]),
                np.concatenate([f[2] for f in single]),
            )
        for result in results:
            fed_key = result.series
            assert isinstance(fed_key, SeriesKey)
            self._series[fed_key].take(fed_key, result, targets[fed_key])
        cross = {key: live.cross for key, live in self._series.items() if live.cross}
        apply_cross(session, fed, cross)
        apply_cross(session, warmed, cross)
        fresh = store_verdicts(session=session, verdicts=fed, run_id=run_id, fresh=True)
        summary = store_verdicts(session=session, verdicts=warmed, run_id=run_id)
        summary.add(fresh)
        summary.run_id = run_id
        summary.add(self._close_quiet(session, now, run_id))
        return summary

    @staticmethod
    def _extends(live: _Live, items: list[Any]) -> bool:
        """True if the unflagged values are waiting ones or newer than the last fed."""
        waiting = {at for at, _ in live.waiting}
        return all(r[3] > live.last or r[3] in waiting for r in items)

    def _run(self, session: Session, now: datetime) -> int:
        if self._run_id is None:
            run = new_run(
                session=session,
                rules=self.rules,
                mode=RunMode.LIVE,
                actor=self.actor,
                now=now,
            )
            self._run_id = run.id
        return self._run_id

    def _selector(self, session: Session, point_id: int) -> tuple[str, str | None]:
        if point_id not in self._selectors:
            self._selectors.update(load_selectors(session, [point_id]))
        return self._selectors.get(point_id, ("station", None))

    def _warm(
        self, session: Session, key: SeriesKey, first: datetime, verdicts: Verdicts
    ) -> None:
        selector = self._selector(session, key.point_id)
        probe = checks_for(self.rules, key, selector)
        write_from, read_from = context_start(session, key, first, window_of(probe))
        windows = device_windows(session, key, read_from, None)
        checks = checks_for(self.rules, key, selector, windows)
        rows = read_series(session, key, read_from)
        self._stream.forget(key)
        if not rows.times:
            self._series.pop(key, None)
            return
        single, cross = split_checks(checks)
        live = _Live(rows.times[-1], write_from, cross)
        live.expect(rows.times, rows.device_flags)
        self._series[key] = live
        results = self._stream.feed(
            seconds_of(rows.times), rows.values, series=key, checks=single
        )
        for result in results:
            live.take(key, result, verdicts)
        live.write_from = None

    def _close_quiet(self, session: Session, now: datetime, run_id: int) -> QcSummary:
        verdicts = Verdicts()
        for key, live in list(self._series.items()):
            if now - live.last >= TAIL_GRACE:
                for result in self._stream.flush(key):
                    live.take(key, result, verdicts)
                if live.cross:
                    apply_cross(session, verdicts, {key: live.cross})
                del self._series[key]
        return store_verdicts(session=session, verdicts=verdicts, run_id=run_id)


def _unflagged_rows(
    session: Session, since: datetime, point_ids: set[int] | None
) -> list[Any]:
    """(point, parameter, kind, time, value, device flag, has a reviewer-only row) of
    values without a verdict, by series and time."""
    query = (
        select(
            Measurement.point_id,
            Measurement.parameter_code,
            Measurement.kind,
            Measurement.measured_at,
            Measurement.value,
            Measurement.device_flag,
            QcResult.point_id.is_not(None),
        )
        .outerjoin(QcResult, QC_JOIN)
        .where(
            Measurement.measured_at >= since,
            QcResult.run_id.is_(None),  # no row, or only a reviewer's so far
            or_(*(Measurement.kind == kind for kind in _QC_KINDS)),
        )
        .order_by(
            Measurement.point_id,
            Measurement.parameter_code,
            Measurement.kind,
            Measurement.measured_at,
        )
    )
    if point_ids is not None:
        query = query.where(Measurement.point_id.in_(sorted(point_ids)))
    return [
        (p, c, DataKind(k), at, value, flag, bool(reviewed))
        for p, c, k, at, value, flag, reviewed in session.execute(query)
    ]
