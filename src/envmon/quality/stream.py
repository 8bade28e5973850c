"""Streaming QC that equals batch QC: only the tail each check needs is kept. Pure.

:func:`batch_qc` runs a list of checks over a whole series and records a
:class:`~envmon.quality.history.History` column per check. :class:`StreamingQC` runs the
same checks on values as they arrive and gives *exactly* the same flags (a property test
shows it), because every check declares the window its flag depends on
(:meth:`CheckSpec.window`, see :mod:`envmon.quality.checks`):

* a point's flag is final once ``lookahead`` more points have arrived (the largest
  lookahead of the checks, 1 with ``spike``); :meth:`StreamingQC.flush` finalises the
  rest at the end of a series, as batch does at the end of its array;
* of the past, each series keeps only the points some check may still look at: for the
  first point not yet finalised, the points less than ``lookback_seconds`` before it
  plus ``lookback_points`` more (the default PM2.5 rule on minute data: 1441 points, the
  day of ``flat_line``'s FAIL duration);
* each check runs on the shortest slice that holds the windows of the points being
  finalised, so point-wise checks look at the new points only; ``flat_line`` is skipped
  where its own rule already says GOOD (the value moved beyond the tolerance within the
  suspect duration), since running it over a day of minute data costs about 0.5 ms.

Cost: a check call costs about 10–20 µs whatever its length, so finalising values one at
a time costs the sum of those per value (≈ 100 µs for the six default PM2.5 checks).
``batch_points`` trades latency for cost: the checks run once ``batch_points`` values can
be finalised, and one run serves them all (≈ 15–35 µs per value with 5–15; the flags are
identical either way, only *when* they are emitted changes).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

from envmon.quality.checks import TimesLike, _datetimes, _seconds, _values
from envmon.quality.flags import PRECEDENCE, Flag, FlagArray
from envmon.quality.history import History
from envmon.quality.rules import CheckRule, RuleSet, rules_for

__all__ = [
    "PARTNER_CODES",
    "Finalised",
    "StreamingQC",
    "batch_qc",
    "cross_flags",
    "require_single_series",
    "split_checks",
]

IntArray = npt.NDArray[np.int64]
_FLAGGING: Final = np.zeros(256, dtype=bool)  # code → "sets SUSPECT or FAIL"
_FLAGGING[[Flag.SUSPECT, Flag.FAIL]] = True
GOOD: Final = np.uint8(Flag.GOOD)
MISSING: Final = np.uint8(Flag.MISSING)
Shortcut = Callable[
    [IntArray, npt.NDArray[np.float64], int, int, Mapping[str, Any]], "FlagArray | None"
]
_QUICK_WINDOWS: Final = 4
"""Points per run whose flat-line window the shortcut measures itself."""
_NO_CHECKS: Final[tuple[str, ...]] = ()
_SECONDS: Final = np.dtype("datetime64[s]")
_NAT: Final = int(np.datetime64("NaT", "s").view(np.int64))
_FLOAT: Final = np.dtype(np.float64)
_ONE: Final = (1,)
_new_tuple: Final = tuple.__new__
# QC code → rank in PRECEDENCE (1 = lowest) and back; the checks return QARTOD codes only
_RANK: Final = np.zeros(256, dtype=np.uint8)
_RANK[list(PRECEDENCE)] = np.arange(1, len(PRECEDENCE) + 1)
_FROM_RANK: Final = np.array([Flag.UNKNOWN, *PRECEDENCE], dtype=np.uint8)


class Finalised(NamedTuple):
    """One value whose flag every check has decided."""

    series: Hashable
    """The series key given to :meth:`StreamingQC.feed`."""
    position: int
    """Position in the series (0 = its first value fed)."""
    time: np.datetime64
    """Measurement time [UTC, ``datetime64[s]``]."""
    value: float
    """The value (NaN = missing)."""
    flag: int
    """Combined QARTOD flag (as :meth:`History.flags` of :func:`batch_qc`)."""
    checks: tuple[str, ...]
    """Checks that set SUSPECT or FAIL here, in rule order."""


PARTNER_CODES: Final[Mapping[str, Mapping[str, str]]] = {
    "pm25_le_pm10": {"pm10": "a34002"},
    "nox_consistency": {"no": "a21003", "no2": "a21004"},
}
"""Cross-parameter checks that run on stored series and tables: the series checked is the
check's first input; each other input is the parameter (HJ 212 code) of the same point at
the same times named here."""


def split_checks(
    checks: Iterable[CheckRule],
) -> tuple[list[CheckRule], list[CheckRule]]:
    """(single-series checks, cross-parameter checks of :data:`PARTNER_CODES`); other
    multi-input checks are left out (they run where their inputs are aligned)."""
    single, cross = [], []
    for rule in checks:
        if rule.check in PARTNER_CODES:
            cross.append(rule)
        elif _is_single(rule):
            single.append(rule)
    return single, cross


def cross_flags(
    rule: CheckRule,
    values: npt.ArrayLike,
    times: TimesLike,
    partners: Mapping[str, npt.ArrayLike],
) -> FlagArray:
    """Run a cross-parameter check; ``partners`` holds the other parameters' values at
    the same times by code (NaN where a partner has none)."""
    codes = PARTNER_CODES[rule.check]
    spec = rule.spec
    extra = [partners[codes[name]] for name in spec.inputs[1:-1]]
    return spec.function(values, *extra, times, **rule.params)


def _is_single(rule: CheckRule) -> bool:
    spec = rule.spec
    return (
        len(spec.inputs) == 2
        and spec.inputs[1] == spec.time_input
        and not spec.inputs[0].endswith("times")
    )


def require_single_series(checks: Iterable[CheckRule]) -> None:
    """Raise ValueError if a check needs more inputs than one series' values and times.

    Cross-parameter checks (``pm25_le_pm10`` …) and ``late_data`` take other arrays; they
    run where those are aligned, not in a single-series runner.
    """
    for rule in checks:
        spec = rule.spec
        single = (
            len(spec.inputs) == 2
            and spec.inputs[1] == spec.time_input
            and not spec.inputs[0].endswith("times")
        )
        if not single:
            inputs = ", ".join(spec.inputs)
            msg = (
                f"check {rule.check!r} needs inputs ({inputs}); a single series has "
                "values and times only"
            )
            raise ValueError(msg)


def batch_qc(
    times: TimesLike,
    values: npt.ArrayLike,
    checks: Sequence[CheckRule],
    *,
    rules_version: str = "",
) -> tuple[FlagArray, History]:
    """Run checks over a whole series; return the combined flags and the history.

    Parameters
    ----------
    times : array-like of datetime64
        Measurement times [UTC], sorted (repeats allowed).
    values : array-like of float
        Values [parameter unit]; NaN = missing.
    checks : sequence of CheckRule
        Single-series checks (e.g. :func:`~envmon.quality.rules.rules_for`).
    rules_version : str, default ""
        Recorded in every history column (the rule set's version).

    Returns
    -------
    flags : numpy.ndarray of uint8
        :meth:`History.flags`: the checks combined by precedence, UNKNOWN where none
        ran.
    history : History
        One automatic column per check with its parameters.

    Raises
    ------
    ValueError
        If the shapes differ, the times are not sorted or a check needs other inputs.

    Examples
    --------
    >>> t = np.arange(5).astype("datetime64[m]").astype("datetime64[s]")
    >>> checks = [CheckRule(check="gross_range", params={"fail_span": [0, 100]}),
    ...           CheckRule(check="spike", params={"suspect_threshold": 50})]
    >>> flags, history = batch_qc(t, [10.0, 12.0, 90.0, 11.0, -5.0], checks)
    >>> flags, history.checks_that_flagged(2), history.checks_that_flagged(4)
    (array([1, 1, 3, 1, 4], dtype=uint8), ['spike'], ['gross_range'])
    """
    checks = list(checks)
    require_single_series(checks)
    v = _values(values)
    t = _seconds(times, v.size).view("datetime64[s]")
    history = History(v.size)
    for rule in checks:
        flags = rule.spec.function(v, t, **rule.params)
        history.append(
            flags, rule.spec.history_meta(rule.params, rules_version=rules_version)
        )
    return history.flags(), history


class _Plan(NamedTuple):
    """One check with its resolved window."""

    rule: CheckRule
    lookback_points: int
    lookback_seconds: int  # ceil, since times are whole seconds
    lookahead_points: int


def _plans(checks: Sequence[CheckRule]) -> tuple[_Plan, ...]:
    require_single_series(checks)
    plans = []
    for rule in checks:
        window = rule.window()
        plans.append(
            _Plan(
                rule,
                window.lookback_points,
                int(np.ceil(window.lookback_seconds)),
                window.lookahead_points,
            )
        )
    return tuple(plans)


@dataclass(slots=True)
class _Series:
    """The retained tail of one series (buffers grow and are compacted in place)."""

    plans: tuple[_Plan, ...]
    lookahead: int
    names: tuple[str, ...]
    times: IntArray = field(default_factory=lambda: np.zeros(64, np.int64))
    values: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(64))
    begin: int = 0  # buffer position of the oldest retained point
    end: int = 0  # buffer position after the newest point
    first: int = 0  # series index of the point at ``begin``
    done: int = 0  # series index of the first point not yet finalised
    last_time: int | None = None
    trim_at: int = 0  # trim the tail once it holds this many points
    counted_back: int = 0  # longest lookback in points of the checks without a duration
    timed: tuple[_Plan, ...] = ()  # the checks that reach back a duration

    def __post_init__(self) -> None:
        untimed = [p.lookback_points for p in self.plans if not p.lookback_seconds]
        self.counted_back = max(untimed, default=0)
        self.timed = tuple(p for p in self.plans if p.lookback_seconds)

    @property
    def received(self) -> int:
        return self.first + self.end - self.begin

    def append(self, seconds: IntArray, values: npt.NDArray[np.float64]) -> None:
        count = seconds.size
        if self.end + count > self.times.size:
            kept = self.end - self.begin
            size = max(64, 2 * (kept + count))  # room for as many again
            times, buffer = np.empty(size, np.int64), np.empty(size)
            times[:kept] = self.times[self.begin : self.end]
            buffer[:kept] = self.values[self.begin : self.end]
            self.times, self.values, self.begin, self.end = times, buffer, 0, kept
        self.times[self.end : self.end + count] = seconds
        self.values[self.end : self.end + count] = values
        self.end += count
        self.last_time = int(seconds[-1])

    def append_one(self, second: int, value: float) -> None:
        """:meth:`append` of one value (the live path's common case)."""
        if self.end == self.times.size:
            kept = self.end - self.begin
            size = max(64, 2 * (kept + 1))
            times, buffer = np.empty(size, np.int64), np.empty(size)
            times[:kept] = self.times[self.begin : self.end]
            buffer[:kept] = self.values[self.begin : self.end]
            self.times, self.values, self.begin, self.end = times, buffer, 0, kept
        self.times[self.end] = second
        self.values[self.end] = value
        self.end += 1
        self.last_time = second

    def start(self, plan: _Plan, tail: IntArray, index: int) -> int:
        """Tail position of the first point the flag at series ``index`` may read.

        As :meth:`Window.bounds`; for ``index == received`` (the next point, not yet
        here) with the newest time, a lower bound for every point still to come.
        """
        position = index - self.first
        first = position
        if plan.lookback_seconds > 0 and tail.size:
            reference = tail[min(position, tail.size - 1)]
            limit = reference - plan.lookback_seconds
            first = min(position, int(tail.searchsorted(limit, side="right")))
        return max(0, first - plan.lookback_points)

    def column(self, plan: _Plan, lo: int, hi: int) -> FlagArray:
        """One check's flags at tail positions ``lo … hi − 1`` (``done`` = ``lo``)."""
        tail = self.times[self.begin : self.end]
        tail_values = self.values[self.begin : self.end]
        params = plan.rule.params
        quick = _SHORTCUTS.get(plan.rule.check)
        flags = None if quick is None else quick(tail, tail_values, lo, hi, params)
        if flags is None:
            start = self.start(plan, tail, self.first + lo)
            until = min(tail.size, hi + plan.lookahead_points)
            function = plan.rule.spec.function
            flags = function(
                tail_values[start:until],
                tail[start:until].view("datetime64[s]"),
                **params,
            )
            flags = flags[lo - start : hi - start]
        return flags

    def advance(self, stop: int) -> None:
        """Mark points before series index ``stop`` final; drop what no check needs.

        Dropping is amortised: the tail is trimmed once it has grown by an eighth (at
        least 32 points) beyond what the checks needed at the last trim. Older points
        are never read by a check (each reads from its own window start), so keeping
        them a little longer changes no flag.
        """
        self.done = stop
        if self.end - self.begin < self.trim_at:
            return
        tail = self.times[self.begin : self.end]
        hi = stop - self.first
        keep = hi - self.counted_back
        for plan in self.timed:
            keep = min(keep, self.start(plan, tail, stop))
        keep = max(0, keep) if self.plans else hi
        self.begin += keep
        self.first += keep
        kept = self.end - self.begin
        self.trim_at = kept + max(32, kept // 8)

    def finalise(self, stop: int, key: Hashable) -> list[Finalised]:
        """Finalise points ``done … stop − 1`` and drop what no check needs any more."""
        lo, hi = self.done - self.first, stop - self.first
        columns = [self.column(plan, lo, hi) for plan in self.plans]
        begin = self.begin
        results = _records(
            key,
            self.done,
            self.times[begin + lo : begin + hi].view("datetime64[s]"),
            self.values[begin + lo : begin + hi],
            self.names,
            columns,
        )
        self.advance(stop)
        return results


def _flat_line_good(
    times: IntArray,
    values: npt.NDArray[np.float64],
    lo: int,
    hi: int,
    params: Mapping[str, Any],
) -> FlagArray | None:
    """``flat_line``'s flags at tail positions ``lo … hi − 1`` where its rule decides cheaply.

    By its definition ``flat_line`` flags point ``i`` only if the non-missing values of
    points ``m … i`` lie within ``tolerance`` (``m``: the last point at or before ``t[i] −
    suspect_seconds``, else the first); elsewhere the flag is GOOD, and MISSING where
    ``v[i]`` is missing. Point ``i − 1`` is always in ``m … i``, so a change beyond the
    tolerance from ``v[i−1]`` decides at once; for up to :data:`_QUICK_WINDOWS` other
    points the range over ``m … i`` is taken (the tail holds it: it keeps the longer fail
    window). None if a point may be flat: the check then runs (the property tests hold
    the two equal).
    """
    if lo == 0:  # the series' first point: m = i, flat by definition
        return None
    tolerance = params["tolerance"]
    current = values[lo:hi]
    missing = np.isnan(current)
    with np.errstate(invalid="ignore"):
        decided = missing | (np.abs(current - values[lo - 1 : hi - 1]) > tolerance)
    rest = np.flatnonzero(~decided)
    if rest.size > _QUICK_WINDOWS:
        return None
    duration = int(np.ceil(params["suspect_seconds"]))  # times are whole seconds
    for i in (lo + rest).tolist():
        m = max(int(times.searchsorted(times[i] - duration, side="right")) - 1, 0)
        window = values[m : i + 1]
        window = window[~np.isnan(window)]
        if not window.max() - window.min() > tolerance:
            return None
    return np.where(missing, MISSING, GOOD).astype(np.uint8)


_SHORTCUTS: Final[Mapping[str, Shortcut]] = {"flat_line": _flat_line_good}


def _records(
    key: Hashable,
    first: int,
    times: npt.NDArray[np.datetime64],
    values: npt.NDArray[np.float64],
    names: Sequence[str],
    columns: Sequence[FlagArray],
) -> list[Finalised]:
    if columns:
        stack = np.stack(columns, axis=1)
        # qartod_compare's precedence (flags.PRECEDENCE), for all columns in one reduce
        combined: list[int] = _FROM_RANK[_RANK[stack].max(axis=1)].tolist()
        flagged = _FLAGGING[stack]
        any_flagged: list[bool] = np.asarray(flagged.any(axis=1)).tolist()
    else:
        combined = [int(Flag.UNKNOWN)] * values.size
        any_flagged = [False] * values.size
    found = [
        tuple(n for n, hit in zip(names, flagged[offset].tolist(), strict=True) if hit)
        if hit_any
        else _NO_CHECKS
        for offset, hit_any in enumerate(any_flagged)
    ]
    return [
        Finalised(key, first + offset, time, value, flag, checks)
        for offset, (time, value, flag, checks) in enumerate(
            zip(times, values.tolist(), combined, found, strict=True)
        )
    ]


def _ragged(starts: IntArray, lengths: IntArray) -> IntArray:
    """``concatenate([arange(a, a + n) for a, n in zip(starts, lengths)])`` for
    ``lengths`` ≥ 1, vectorised."""
    ends = np.cumsum(lengths)
    steps = np.ones(int(ends[-1]), np.int64)
    steps[0] = starts[0]
    steps[ends[:-1]] = starts[1:] - (starts[:-1] + lengths[:-1] - 1)
    return np.cumsum(steps)


@dataclass(slots=True)
class _Stretches:
    """Each series' new points with the context around them, side by side."""

    items: list[tuple[Hashable, _Series, int]]
    back: int  # points kept before each series' new points
    news: IntArray  # new points per series
    offsets: IntArray  # where each series' stretch starts
    values: npt.NDArray[np.float64]
    times: IntArray
    positions: IntArray  # the new points, in order

    @classmethod
    def build(
        cls, items: list[tuple[Hashable, _Series, int]], back: int, ahead: int
    ) -> _Stretches:
        news = np.array([stop - st.done for _, st, stop in items], dtype=np.int64)
        segments_v: list[npt.NDArray[np.float64]] = []
        segments_t: list[IntArray] = []
        add_v, add_t = segments_v.append, segments_t.append
        for _, st, stop in items:
            shift = st.begin - st.first
            first, last = shift + st.done - back, shift + stop + ahead
            add_v(st.values[first:last])
            add_t(st.times[first:last])
        lengths = news + back + ahead
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        return cls(
            items,
            back,
            news,
            offsets,
            np.concatenate(segments_v),
            np.concatenate(segments_t),
            _ragged(offsets + back, news),
        )

    def shared(self, plan: _Plan) -> FlagArray:
        """One call of a check over every series' window, each series' times shifted
        to start one second after the previous series' end."""
        before, after = plan.lookback_points, plan.lookahead_points
        starts = self.offsets + self.back - before
        sizes = self.news + before + after
        gather = _ragged(starts, sizes)
        firsts = self.times[starts]
        spans = self.times[starts + sizes - 1] - firsts
        bases = np.concatenate([[0], np.cumsum(spans + 1)[:-1]])
        shifted = self.times[gather] + np.repeat(bases - firsts, sizes)
        flags = plan.rule.spec.function(
            self.values[gather], shifted.view("datetime64[s]"), **plan.rule.params
        )
        starts_out = np.concatenate([[0], np.cumsum(sizes)[:-1]]) + before
        return np.asarray(flags[_ragged(starts_out, self.news)], dtype=np.uint8)

    def each(self, plan: _Plan) -> FlagArray:
        """A check run per series; ``flat_line`` is first decided for all series at
        once where its definition allows (see :func:`_flat_line_good`)."""
        column = np.empty(self.positions.size, dtype=np.uint8)
        undecided = np.ones(len(self.items), dtype=bool)
        if plan.rule.check == "flat_line":
            undecided = self._not_flat(plan, column)
        at = 0
        for j, (_, st, _stop) in enumerate(self.items):
            size = int(self.news[j])
            if undecided[j]:
                lo = st.done - st.first
                column[at : at + size] = st.column(plan, lo, lo + size)
            at += size
        return column

    def _not_flat(self, plan: _Plan, column: FlagArray) -> npt.NDArray[np.bool_]:
        """Fill ``column`` with GOOD (MISSING where NaN) and return which series still
        need the check: a point is not flat if it moved beyond the tolerance from the
        point before, or its values since ``suspect_seconds`` ago span more than it."""
        tolerance = plan.rule.params["tolerance"]
        current = self.values[self.positions]
        previous = self.values[self.positions - 1]
        floor = plan.rule.params.get("floor")
        with np.errstate(invalid="ignore"):
            open_ = ~(np.isnan(current) | (np.abs(current - previous) > tolerance))
            if floor is not None:  # at or below the floor nothing is flat
                open_ &= ~(current <= floor)
        column[:] = np.where(np.isnan(current), MISSING, GOOD)
        heads = np.concatenate([[0], np.cumsum(self.news)[:-1]])
        candidates = np.flatnonzero(np.add.reduceat(open_, heads) > 0)
        if candidates.size == 0:
            return np.zeros(len(self.items), dtype=bool)
        duration = int(np.ceil(plan.rule.params["suspect_seconds"]))
        windows: list[npt.NDArray[np.float64]] = []
        owners: list[int] = []
        news: list[int] = self.news.tolist()
        head_list: list[int] = heads.tolist()
        for j in candidates.tolist():
            st = self.items[j][1]
            begin = st.begin
            i = st.done - st.first  # tail position of the first new point
            if news[j] == 1:  # the live path: one new point, and it is open
                t = st.times[begin + i]
                m = (
                    int(st.times[begin : st.end].searchsorted(t - duration, "right"))
                    - 1
                )
                windows.append(st.values[begin + max(m, 0) : begin + i + 1])
                owners.append(j)
                continue
            tail_t = st.times[begin : st.end]
            tail_v = st.values[begin : st.end]
            head = head_list[j]
            points = i + np.flatnonzero(open_[head : head + news[j]])
            starts = tail_t.searchsorted(tail_t[points] - duration, side="right") - 1
            for m, p in zip(
                np.maximum(starts, 0).tolist(), points.tolist(), strict=True
            ):
                windows.append(tail_v[m : p + 1])
                owners.append(j)
        sizes = np.array([w.size for w in windows])
        joined = np.concatenate(windows)
        bounds = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        span = np.fmax.reduceat(joined, bounds) - np.fmin.reduceat(joined, bounds)
        undecided = np.zeros(len(self.items), dtype=bool)
        flat = ~(span > tolerance)
        undecided[np.asarray(owners)[flat]] = True
        return undecided

    def records(self, columns: list[FlagArray]) -> list[Finalised]:
        """The finalised values of every series, and each series moved on."""
        stack = np.stack(columns, axis=1)
        combined: list[int] = _FROM_RANK[_RANK[stack].max(axis=1)].tolist()
        flagged = _FLAGGING[stack]
        hits = flagged.any(axis=1)
        names = self.items[0][1].names
        point_times = self.times[self.positions].view("datetime64[s]")
        point_values: list[float] = self.values[self.positions].tolist()
        found = [_NO_CHECKS] * len(combined)
        for i in np.flatnonzero(hits).tolist():
            found[i] = tuple(
                n for n, f in zip(names, flagged[i].tolist(), strict=True) if f
            )
        results: list[Finalised] = []
        news: list[int] = self.news.tolist()
        at = 0
        for j, (key, st, stop) in enumerate(self.items):
            done = st.done
            for offset in range(news[j]):
                i = at + offset
                results.append(  # Finalised(...) without its Python-level __new__
                    _new_tuple(
                        Finalised,
                        (
                            key,
                            done + offset,
                            point_times[i],
                            point_values[i],
                            combined[i],
                            found[i],
                        ),
                    )
                )
            at += news[j]
            st.advance(stop)
        return results


def _finalise_ready(
    ready: Mapping[int, list[tuple[Hashable, _Series, int]]],
) -> list[Finalised]:
    """Finalise the series ready, those sharing their checks together."""
    results: list[Finalised] = []
    for group in ready.values():
        if len(group) == 1:
            series, state, stop = group[0]
            results.extend(state.finalise(stop, series))
        else:
            results.extend(_finalise_together(group))
    return results


def _finalise_together(
    items: Sequence[tuple[Hashable, _Series, int]],
) -> list[Finalised]:
    """Finalise several series that share their checks with one call per check.

    The points a check needs around each series' new points are copied side by side
    (each series' times shifted to follow the previous one's, one second apart), the check
    runs once over them all, and each series takes back the flags of its own new points.
    That gives the flags of separate calls where a check's flag depends only on time
    differences (not :attr:`~envmon.quality.checks.CheckSpec.absolute_time`) and on a
    fixed number of points around it (no ``lookback_seconds``), provided every series'
    window lies inside its own stretch: series at their start, or whose lookahead is
    missing (a flush), are finalised alone. Other checks run per series; ``flat_line``
    (a duration window) is first decided for all series at once by its shortcut.
    """
    plans = items[0][1].plans
    if not plans:  # nothing to run: every value UNKNOWN
        return [r for key, st, stop in items for r in st.finalise(stop, key)]
    back = max([1, *(p.lookback_points for p in plans)])
    ahead = max([0, *(p.lookahead_points for p in plans)])
    together: list[tuple[Hashable, _Series, int]] = []
    results: list[Finalised] = []
    for key, state, stop in items:
        lo, hi = state.done - state.first, stop - state.first
        if lo >= back and hi + ahead <= state.end - state.begin:
            together.append((key, state, stop))
        else:
            results.extend(state.finalise(stop, key))
    if not together:
        return results
    stretches = _Stretches.build(together, back, ahead)
    columns = [
        stretches.shared(plan)
        if not plan.rule.spec.absolute_time and plan.lookback_seconds == 0
        else stretches.each(plan)
        for plan in plans
    ]
    return results + stretches.records(columns)


class StreamingQC:
    """Incremental QC of many series with batch-identical flags.

    Parameters
    ----------
    rules : RuleSet or sequence of CheckRule
        A rule set (each series gets the single-series checks of :func:`rules_for` its
        parameter, element and point kind, given at its first :meth:`feed`; the
        cross-parameter ones run where the parameters are aligned, see
        :data:`PARTNER_CODES`) or one list of checks for every series.
        A series no rule matches gets UNKNOWN (not evaluated) flags.
    rules_version : str, optional
        Kept for the caller's history meta; default the rule set's version or "".
    batch_points : int, default 1
        Run the checks once this many values can be finalised (1 = as soon as possible).

    Examples
    --------
    >>> checks = [CheckRule(check="spike", params={"suspect_threshold": 30})]
    >>> qc = StreamingQC(checks)
    >>> t = np.arange(4).astype("datetime64[m]").astype("datetime64[s]")
    >>> [r.flag for r in qc.feed(t[:2], [10.0, 11.0])]   # point 1 waits for point 2
    [2]
    >>> [(r.position, r.flag, r.checks) for r in qc.feed(t[2:], [60.0, 12.0])]
    [(1, 1, ()), (2, 3, ('spike',))]
    >>> [(r.position, r.flag) for r in qc.flush()]
    [(3, 2)]
    """

    def __init__(
        self,
        rules: RuleSet | Sequence[CheckRule],
        *,
        rules_version: str | None = None,
        batch_points: int = 1,
    ) -> None:
        if batch_points < 1:
            msg = f"batch_points={batch_points} must be ≥ 1"
            raise ValueError(msg)
        self._rules = rules
        self._shared = None if isinstance(rules, RuleSet) else _plans(list(rules))
        default_version = rules.version if isinstance(rules, RuleSet) else ""
        self.rules_version = default_version if rules_version is None else rules_version
        self.batch_points = batch_points
        self._series: dict[Hashable, _Series] = {}
        self._plans: dict[str, tuple[_Plan, ...]] = {}

    def _plans_for(self, checks: Sequence[CheckRule]) -> tuple[_Plan, ...]:
        """Plans of a check list, shared by every series with the same checks."""
        key = json.dumps(
            [(c.check, c.params) for c in checks], sort_keys=True, default=str
        )
        plans = self._plans.get(key)
        if plans is None:
            plans = self._plans[key] = _plans(list(checks))
        return plans

    def _state(
        self,
        key: Hashable,
        selector: dict[str, Any],
        checks: Sequence[CheckRule] | None = None,
    ) -> _Series:
        state = self._series.get(key)
        if state is not None:
            return state
        if checks is not None:
            plans = self._plans_for(checks)
        elif self._shared is not None:
            plans = self._shared
        else:
            assert isinstance(self._rules, RuleSet)
            parameter = selector.get("parameter")
            if parameter is None:
                parameter = key[1] if isinstance(key, tuple) and len(key) == 2 else key
            checks, _cross = split_checks(
                rules_for(
                    self._rules,
                    str(parameter),
                    selector.get("element"),
                    point_kind=selector.get("point_kind"),
                )
            )
            plans = self._plans_for(checks)
        lookahead = max((plan.lookahead_points for plan in plans), default=0)
        state = _Series(plans, lookahead, tuple(plan.rule.check for plan in plans))
        self._series[key] = state
        return state

    def feed(
        self,
        times: TimesLike,
        values: npt.ArrayLike,
        *,
        series: Hashable = "",
        parameter: str | None = None,
        element: str | None = None,
        point_kind: str | None = None,
        checks: Sequence[CheckRule] | None = None,
    ) -> list[Finalised]:
        """Add values of one series in time order; return the values now finalised.

        Parameters
        ----------
        times : array-like of datetime64
            Times [UTC], sorted, not before the last time fed to this series.
        values : array-like of float
            Values [parameter unit]; NaN = missing.
        series : hashable, default ""
            The series key, e.g. ``(point, parameter)``.
        parameter, element, point_kind : str, optional
            Select the rule (with a :class:`RuleSet`) at the series' first feed;
            ``parameter`` defaults to the second item of a 2-tuple key, else the key.
        checks : sequence of CheckRule, optional
            This series' own checks (at its first feed), instead of the rules'.

        Returns
        -------
        list of Finalised
            In series order; each value appears exactly once over the feeds and the flush.

        Raises
        ------
        ValueError
            If the shapes differ or the times go back.
        """
        state = self._state(
            series,
            {"parameter": parameter, "element": element, "point_kind": point_kind},
            checks,
        )
        stop = self._append(series, state, times, values)
        if stop is None:
            return []
        return state.finalise(stop, series)

    def _append(
        self, series: Hashable, state: _Series, times: TimesLike, values: npt.ArrayLike
    ) -> int | None:
        """Append values; the series index to finalise up to, or None (not yet)."""
        if (  # one value as arrays of the checks' own types (the live path): no copies
            type(values) is np.ndarray
            and type(times) is np.ndarray
            and values.shape == _ONE
            and times.shape == _ONE
            and values.dtype == _FLOAT
            and times.dtype == _SECONDS
        ):
            second = int(times.view(np.int64)[0])
            last = state.last_time
            if second != _NAT and (last is None or second >= last):
                state.append_one(second, float(values[0]))
                stop = state.first + state.end - state.begin - state.lookahead
                return None if stop - state.done < self.batch_points else stop
        v = _values(values)
        seconds = _seconds(times, v.size)
        if v.size == 0:
            return None
        if state.last_time is not None and int(seconds[0]) < state.last_time:
            new = seconds[:1].view("datetime64[s]")[0]
            old = np.int64(state.last_time).view("datetime64[s]")
            msg = f"series {series!r}: time {new} is before the last time fed, {old}"
            raise ValueError(msg)
        state.append(seconds, v)
        stop = state.received - state.lookahead
        return None if stop - state.done < self.batch_points else stop

    def feed_each(
        self,
        series: Sequence[Hashable],
        times: TimesLike,
        values: npt.ArrayLike,
    ) -> list[Finalised]:
        """One new value for each of ``series`` (``times[k]``, ``values[k]`` for
        ``series[k]``, each series at most once): :meth:`feed_many` of that shape, the
        live path's, without an array per series."""
        v = _values(values)
        stamps = _datetimes(times, "times")
        if stamps.shape != v.shape or len(series) != v.size:
            msg = (
                f"{len(series)} series, {stamps.size} times and {v.size} values differ"
            )
            raise ValueError(msg)
        if np.isnat(stamps).any():
            msg = "times hold NaT"
            raise ValueError(msg)
        if len(set(series)) != len(series):
            msg = "feed_each takes each series at most once"
            raise ValueError(msg)
        ready: dict[int, list[tuple[Hashable, _Series, int]]] = {}
        known = self._series
        batch = self.batch_points
        for key, second, value in zip(
            series, stamps.view(np.int64).tolist(), v.tolist(), strict=True
        ):
            state = known.get(key)
            if state is None:
                state = self._state(key, {})
            last = state.last_time
            if last is not None and second < last:
                new, old = np.int64(second), np.int64(last)
                msg = (
                    f"series {key!r}: time {new.view('datetime64[s]')} is before the "
                    f"last time fed, {old.view('datetime64[s]')}"
                )
                raise ValueError(msg)
            state.append_one(second, value)
            stop = state.first + state.end - state.begin - state.lookahead
            if stop - state.done >= batch:
                ready.setdefault(id(state.plans), []).append((key, state, stop))
        return _finalise_ready(ready)

    def feed_many(
        self,
        feeds: Iterable[tuple[Hashable, TimesLike, npt.ArrayLike]]
        | Iterable[tuple[Hashable, TimesLike, npt.ArrayLike, Sequence[CheckRule]]],
    ) -> list[Finalised]:
        """:meth:`feed` several series at once (each at most once per call): series
        that share their checks are finalised together, one call per check for all of
        them, with the flags of separate feeds. Items are ``(series, times, values)``
        or ``(series, times, values, checks)``; series are selected as :meth:`feed`
        does by key. Returns the values now finalised, grouped by series."""
        ready: dict[int, list[tuple[Hashable, _Series, int]]] = {}
        known = self._series
        for item in feeds:
            series, times, values = item[0], item[1], item[2]
            state = known.get(series)
            if state is None:
                state = self._state(series, {}, item[3] if len(item) > 3 else None)
            stop = self._append(series, state, times, values)
            if stop is not None:
                ready.setdefault(id(state.plans), []).append((series, state, stop))
        return _finalise_ready(ready)

    def flush(self, series: Hashable | None = None) -> list[Finalised]:
        """End a series (default: every series): finalise all its remaining values.

        The series' state is dropped; a later :meth:`feed` starts a new series at
        index 0.
        """
        keys = list(self._series) if series is None else [series]
        results: list[Finalised] = []
        for key in keys:
            state = self._series.pop(key, None)
            if state is not None and state.received > state.done:
                results.extend(state.finalise(state.received, key))
        return results

    def forget(self, series: Hashable) -> None:
        """Drop a series' state without finalising it (a later feed starts anew)."""
        self._series.pop(series, None)

    def pending(self, series: Hashable = "") -> int:
        """Return how many values of a series wait for their flags."""
        state = self._series.get(series)
        return 0 if state is None else state.received - state.done

    def retained(self, series: Hashable = "") -> int:
        """Return how many values of a series are kept (the tail the checks need)."""
        state = self._series.get(series)
        return 0 if state is None else state.end - state.begin
