"""Series checks that look at neighbouring values: spike, flat line, rate of change. Pure.

All vectorised; the windows they declare are exact (see :mod:`envmon.quality.checks`):

* ``spike``: 1 point back, 1 point ahead.
* ``flat_line``: ``max(suspect_seconds, fail_seconds)`` back plus 1 point (the last point at
  or before the start of the duration); nothing ahead.
* ``rate_of_change``: 1 point back, or ``window_points`` back with ``n_deviations``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from envmon.quality.checks import (
    FAIL,
    GOOD,
    SUSPECT,
    UNKNOWN,
    IntArray,
    TimesLike,
    _finish,
    _seconds,
    _values,
    check,
)
from envmon.quality.flags import FlagArray, FloatArray, qartod_compare

__all__ = ["flat_line", "rate_of_change", "spike"]


def _thresholds(suspect: float | None, fail: float | None, what: str) -> None:
    for name, value in (("suspect", suspect), ("fail", fail)):
        if value is not None and not value >= 0:
            msg = f"{name}_{what}={value} must be ≥ 0"
            raise ValueError(msg)
    if suspect is not None and fail is not None and fail < suspect:
        msg = f"fail_{what}={fail} must not be below suspect_{what}={suspect}"
        raise ValueError(msg)


@check(
    "spike",
    lookback_points=1,
    lookahead_points=1,
    reference="QARTOD spike test (IOOS manuals): |v[i] − (v[i−1] + v[i+1])/2| against "
    "thresholds; ioos_qc spike_test method='average'",
)
def spike(
    values: npt.ArrayLike,
    times: TimesLike,
    *,
    suspect_threshold: float,
    fail_threshold: float | None = None,
) -> FlagArray:
    """Flag values that stand out from the mean of their two neighbours.

    Parameters
    ----------
    values : array-like of float
        Measured values [parameter unit]; NaN = missing.
    times : array-like of datetime64
        Measurement times [UTC], sorted; not used (the test is sample-based).
    suspect_threshold : float
        ``|v[i] − (v[i−1] + v[i+1]) / 2|`` above this → SUSPECT [parameter unit].
    fail_threshold : float, optional
        Above this → FAIL [parameter unit]; not below ``suspect_threshold``.

    Returns
    -------
    numpy.ndarray of uint8
        GOOD, SUSPECT, FAIL; UNKNOWN for the first and last point and where a neighbour
        is NaN; MISSING where NaN. A flag is final once the next point has arrived.

    Raises
    ------
    ValueError
        If a threshold is negative or ``fail_threshold < suspect_threshold``.

    References
    ----------
    .. [1] U.S. IOOS QARTOD manuals, "Spike Test" (SPK_REF = average of neighbours).
    .. [2] ioos_qc 3.0 ``qartod.spike_test`` (``method="average"``).

    Examples
    --------
    >>> t = np.zeros(6, "datetime64[s]")
    >>> spike([10.0, 10.0, 60.0, 10.0, np.nan, 10.0], t, suspect_threshold=30, fail_threshold=40)
    array([2, 1, 4, 2, 9, 2], dtype=uint8)
    """
    v = _values(values)
    _seconds(times, v.size)
    _thresholds(suspect_threshold, fail_threshold, "threshold")
    flags = np.full(v.shape, UNKNOWN, dtype=np.uint8)
    if v.size >= 3:
        deviation = np.abs(v[1:-1] - (v[:-2] + v[2:]) * 0.5)
        # GOOD + 2 → SUSPECT, + 1 more → FAIL (fail ≥ suspect, so FAIL implies SUSPECT)
        inner = GOOD + 2 * (deviation > suspect_threshold).view(np.uint8)
        if fail_threshold is not None:
            inner += (deviation > fail_threshold).view(np.uint8)
        inner[np.isnan(deviation)] = UNKNOWN
        flags[1:-1] = inner
    return _finish(flags, v)


def _floor_log2(lengths: IntArray) -> IntArray:
    """``floor(log2(length))`` for positive integer lengths, by table lookup."""
    top = int(lengths.max()) if lengths.size else 1
    table = np.zeros(top + 1, dtype=np.int64)
    for level in range(1, top.bit_length()):
        table[1 << level : 1 << (level + 1)] = level
    return table[lengths]


def _window_range(values: FloatArray, starts: IntArray, ends: IntArray) -> FloatArray:
    """``nanmax − nanmin`` of ``values[starts[q] : ends[q] + 1]`` for every query ``q``.

    Sparse table built one level at a time: level ``k`` holds the max/min of each run of
    ``2**k`` values; a query of length ``L`` is answered at ``k = floor(log2 L)`` by two
    overlapping runs. Only one level is alive at a time, so memory stays O(n); work is
    O(n log max L). Max and min are exact, so the result does not depend on how much of
    the series around the query is present. The most common level is answered for all
    queries at once (no fancy indexing) and the others are put back afterwards.
    """
    out = np.zeros(starts.shape, dtype=np.float64)
    if not starts.size:
        return out
    finite = ~np.isnan(values)
    high = np.where(finite, values, -np.inf)
    low = np.where(finite, values, np.inf)
    levels = _floor_log2(ends - starts + 1)
    counts = np.bincount(levels)
    common = int(np.argmax(counts))
    others: list[tuple[IntArray, FloatArray]] = []
    for level, count in enumerate(counts.tolist()):
        if level:
            half = 1 << (level - 1)
            high = np.maximum(high[:-half], high[half:])
            low = np.minimum(low[:-half], low[half:])
        if not count:
            continue
        last = high.size - 1
        if level == common:
            # queries of other levels get clipped garbage here, replaced below
            first = np.minimum(starts, last)
            second = np.clip(ends - ((1 << level) - 1), 0, last)
            np.maximum(high[first], high[second], out=out)
            out -= np.minimum(low[first], low[second])
            continue
        chosen = np.flatnonzero(levels == level)
        first, second = starts[chosen], ends[chosen] - ((1 << level) - 1)
        spread = np.maximum(high[first], high[second])
        others.append((chosen, spread - np.minimum(low[first], low[second])))
    for chosen, spread in others:
        out[chosen] = spread
    return out


def _sparse_window_range(
    values: FloatArray, starts: IntArray, ends: IntArray
) -> FloatArray:
    """:func:`_window_range` for few queries with non-decreasing ``starts`` and ``ends``.

    Only the union of the query windows is copied out (contiguous blocks laid end to
    end), so the sparse table is built over that rather than over the whole series.
    """
    if starts.size == 0:
        return np.zeros(0, dtype=np.float64)
    # with non-decreasing starts and ends, a window joins the previous block iff it
    # begins no later than one past the previous window's end
    opens = np.r_[True, starts[1:] > ends[:-1] + 1]
    block = np.cumsum(opens) - 1
    block_start = starts[opens]
    block_end = ends[np.r_[opens[1:], True]]
    lengths = block_end - block_start + 1
    offsets = np.cumsum(lengths) - lengths
    covered = np.arange(int(lengths.sum()))
    positions = np.repeat(block_start - offsets, lengths) + covered
    shift = offsets[block] - block_start[block]
    return _window_range(values[positions], starts + shift, ends + shift)


def _last_at_or_before(times: IntArray, keys: IntArray) -> IntArray:
    """Largest ``j`` with ``times[j] ≤ keys[q]`` (−1 if none), for sorted ``keys``.

    Equals ``searchsorted(times, keys, "right") − 1``. Regular series are answered by a
    guess from the typical step, verified point by point; only the wrong guesses (near
    gaps) go through the binary search.
    """
    n = times.size
    # any step works (guesses are verified); the median of the first steps is typical
    step = int(np.median(np.diff(times[: min(n, 1025)]))) if n > 1 else 0
    if step <= 0:
        return np.searchsorted(times, keys, side="right") - 1
    lag = -((keys - times) // step)  # ceil((times − keys) / step)
    guess = np.clip(np.arange(n) - lag, -1, n - 1)
    at = times[np.maximum(guess, 0)]
    after = times[np.minimum(guess + 1, n - 1)]
    right = np.where(guess >= 0, at <= keys, times[0] > keys)
    right &= (guess == n - 1) | (after > keys)
    wrong = np.flatnonzero(~right)
    if wrong.size:
        guess[wrong] = np.searchsorted(times, keys[wrong], side="right") - 1
    return guess


def _flat_line_window(params: Mapping[str, Any]) -> float:
    return max(float(params["suspect_seconds"]), float(params["fail_seconds"]))


@check(
    "flat_line",
    lookback_points=1,
    lookback_seconds=_flat_line_window,
    reference="QARTOD flat line test (IOOS manuals; ioos_qc flat_line_test); SaQC "
    "flagConstants (max − min ≤ thresh over the window)",
)
def flat_line(
    values: npt.ArrayLike,
    times: TimesLike,
    *,
    tolerance: float,
    suspect_seconds: float,
    fail_seconds: float,
    floor: float | None = None,
) -> FlagArray:
    """Flag values that have stayed within ``tolerance`` for a trailing duration (stuck).

    At point ``i``, let ``m`` be the last point at or before ``times[i] − duration``. The
    value is stuck for that duration if ``max − min ≤ tolerance`` over the non-missing
    values of points ``m … i`` and ``values[m]`` is not missing. Missing values inside
    the stretch neither break nor prove it. Only the points after the duration has
    elapsed are flagged (trailing window: a flag never waits for later data).

    Parameters
    ----------
    values : array-like of float
        Measured values [parameter unit]; NaN = missing.
    times : array-like of datetime64
        Measurement times [UTC], sorted.
    tolerance : float
        Largest ``max − min`` still counted as "not changing" [parameter unit]; 0 finds
        exactly repeated values (typically the reporting resolution).
    suspect_seconds : float
        Stuck for at least this long → SUSPECT [s], > 0.
    fail_seconds : float
        Stuck for at least this long → FAIL [s], ≥ ``suspect_seconds``.
    floor : float, optional
        Values at or below it are never flat-flagged [parameter unit]: an analyser at its
        detection limit repeats its lowest reading legitimately (clean air, SO2 at
        2 µg/m³ for days). Default None (no floor, as QARTOD).

    Returns
    -------
    numpy.ndarray of uint8
        GOOD, SUSPECT, FAIL; UNKNOWN where the values so far are flat but the series (or
        its value at ``m``) does not reach back ``suspect_seconds``; MISSING where NaN.

    Raises
    ------
    ValueError
        If ``tolerance < 0``, ``suspect_seconds ≤ 0`` or ``fail_seconds < suspect_seconds``.

    References
    ----------
    .. [1] U.S. IOOS QARTOD manuals, "Flat Line Test" (SUSPECT/FAIL after REP_CNT_SUSPECT
       / REP_CNT_FAIL repeats within EPS).
    .. [2] ioos_qc 3.0 ``qartod.flat_line_test``; SaQC 2.x ``flagConstants``.

    Examples
    --------
    Minute data stuck at 5.0 from 00:01: SUSPECT after 2 min, FAIL after 4 min.

    >>> t = np.arange(7).astype("datetime64[m]").astype("datetime64[s]")
    >>> v = [1.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0]
    >>> flat_line(v, t, tolerance=0.0, suspect_seconds=120, fail_seconds=240)
    array([2, 1, 1, 3, 3, 4, 4], dtype=uint8)
    """
    v = _values(values)
    t = _seconds(times, v.size)
    if not tolerance >= 0 or not 0 < suspect_seconds <= fail_seconds:
        msg = (
            f"need tolerance ≥ 0 and 0 < suspect_seconds ≤ fail_seconds, got "
            f"tolerance={tolerance}, suspect_seconds={suspect_seconds}, "
            f"fail_seconds={fail_seconds}"
        )
        raise ValueError(msg)
    n = v.size
    flags = np.full(v.shape, GOOD, dtype=np.uint8)
    if n == 0:
        return flags
    finite = ~np.isnan(v)
    index = np.arange(n)
    # times are whole seconds: t[j] ≤ t[i] − d  ⇔  t[j] ≤ t[i] − ceil(d)
    boundary = _last_at_or_before(t, t - int(np.ceil(suspect_seconds)))
    start = np.maximum(boundary, 0)
    flat = _window_range(v, start, index) <= tolerance
    if floor is not None:
        with np.errstate(invalid="ignore"):
            flat &= ~(v <= floor)
    covered = (boundary >= 0) & finite[start]
    flags[flat & ~covered] = UNKNOWN
    flags[flat & covered] = SUSPECT
    # the fail window contains the suspect window: only flat points can be stuck longer
    candidates = np.flatnonzero(flat & finite)
    if candidates.size:
        limit = t[candidates] - int(np.ceil(fail_seconds))
        boundary = np.searchsorted(t, limit, side="right") - 1
        start = np.maximum(boundary, 0)
        stuck = _sparse_window_range(v, start, candidates) <= tolerance
        stuck &= (boundary >= 0) & finite[start]
        flags[candidates[stuck]] = FAIL
    return _finish(flags, v)


def _previous_deviation(values: FloatArray, points: int) -> FloatArray:
    """Sample SD of the non-missing values among the ``points`` before each point.

    NaN where fewer than 3 values are present. Columns are summed in a fixed order (no
    pairwise summation), so the result at ``i`` depends only on those values.
    """
    n = values.size
    padded = np.concatenate([np.full(points, np.nan), values])
    columns = [padded[k : k + n] for k in range(points)]
    count = np.zeros(n)
    total = np.zeros(n)
    for column in columns:
        present = ~np.isnan(column)
        count += present
        total += np.where(present, column, 0.0)
    enough = count >= 3
    mean = np.divide(total, count, out=np.zeros(n), where=enough)
    squares = np.zeros(n)
    for column in columns:
        squares += np.where(np.isnan(column), 0.0, (column - mean) ** 2)
    variance = np.divide(squares, count - 1, out=np.full(n, np.nan), where=enough)
    deviation: FloatArray = np.sqrt(variance)
    return deviation


def _graded(
    over: npt.NDArray[np.bool_], undecided: npt.NDArray[np.bool_], level: np.uint8
) -> FlagArray:
    flags = np.where(over, level, GOOD).astype(np.uint8)
    flags[undecided] = UNKNOWN
    return flags


def _rate_window(params: Mapping[str, Any]) -> float:
    if params["n_deviations"] is None:
        return 1.0
    return float(max(1, int(params["window_points"])))


@check(
    "rate_of_change",
    lookback_points=_rate_window,
    reference="QARTOD rate of change test (IOOS T/S manual: |v[n] − v[n−1]| > N_DEV·SD "
    "over TIM_DEV); ioos_qc rate_of_change_test (threshold in unit/s)",
)
def rate_of_change(
    values: npt.ArrayLike,
    times: TimesLike,
    *,
    max_rate_per_second: float | None = None,
    fail_rate_per_second: float | None = None,
    n_deviations: float | None = None,
    window_points: int = 25,
) -> FlagArray:
    """Flag values that changed too fast since the previous value.

    Parameters
    ----------
    values : array-like of float
        Measured values [parameter unit]; NaN = missing.
    times : array-like of datetime64
        Measurement times [UTC], sorted.
    max_rate_per_second : float, optional
        ``|v[i] − v[i−1]| / (t[i] − t[i−1])`` above this → SUSPECT [parameter unit/s].
    fail_rate_per_second : float, optional
        Rate above this → FAIL [parameter unit/s].
    n_deviations : float, optional
        ``|v[i] − v[i−1]|`` above ``n_deviations`` × the SD of the ``window_points``
        preceding values → SUSPECT [dimensionless] (QARTOD N_DEV).
    window_points : int, default 25
        Values before ``i`` that give the SD [points] (QARTOD TIM_DEV: 25 at hourly data);
        needs ≥ 3 present, else that part cannot decide.

    Returns
    -------
    numpy.ndarray of uint8
        The worst of the enabled tests: GOOD, SUSPECT, FAIL; UNKNOWN where none can decide
        (first point, previous value missing, repeated time); MISSING where NaN.

    Raises
    ------
    ValueError
        If no threshold is given, a threshold is negative, the fail rate is below the
        suspect rate, or ``window_points < 3``.

    References
    ----------
    .. [1] U.S. IOOS QARTOD Temperature/Salinity manual, "Rate of Change Test".
    .. [2] ioos_qc 3.0 ``qartod.rate_of_change_test``.

    Examples
    --------
    >>> t = np.array([0, 60, 120, 180], "datetime64[s]")
    >>> rate_of_change([10.0, 11.0, 41.0, 40.0], t, max_rate_per_second=0.1)
    array([2, 1, 3, 1], dtype=uint8)
    """
    v = _values(values)
    t = _seconds(times, v.size)
    _thresholds(max_rate_per_second, fail_rate_per_second, "rate_per_second")
    if (
        max_rate_per_second is None
        and fail_rate_per_second is None
        and n_deviations is None
    ):
        msg = "rate_of_change needs max_rate_per_second, fail_rate_per_second or n_deviations"
        raise ValueError(msg)
    if n_deviations is not None and (not n_deviations >= 0 or window_points < 3):
        msg = f"need n_deviations ≥ 0 and window_points ≥ 3, got {n_deviations}, {window_points}"
        raise ValueError(msg)
    n = v.size
    change = np.full(n, np.nan)
    change[1:] = np.abs(v[1:] - v[:-1])
    elapsed = np.zeros(n, dtype=np.int64)
    elapsed[1:] = t[1:] - t[:-1]
    rate = np.divide(change, elapsed, out=np.full(n, np.nan), where=elapsed > 0)
    parts = []
    if max_rate_per_second is not None:
        parts.append(_graded(rate > max_rate_per_second, np.isnan(rate), SUSPECT))
    if fail_rate_per_second is not None:
        parts.append(_graded(rate > fail_rate_per_second, np.isnan(rate), FAIL))
    if n_deviations is not None:
        deviation = _previous_deviation(v, int(window_points))
        undecided = np.isnan(change) | np.isnan(deviation)
        parts.append(_graded(change > n_deviations * deviation, undecided, SUSPECT))
    return _finish(qartod_compare(*parts), v)
