"""Time-axis checks: gaps, late data, duplicated times, device-state windows. Pure.

Windows (see :mod:`envmon.quality.checks`): ``time_gap`` and ``duplicates`` look 1 point
back; ``late_data`` and ``device_windows`` are point-wise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    _datetimes,
    _finish,
    _instant,
    _seconds,
    _values,
    check,
)
from envmon.quality.flags import DEVICE_WINDOW_KINDS, FlagArray

__all__ = ["device_windows", "duplicates", "late_data", "time_gap"]


@check(
    "time_gap",
    lookback_points=1,
    reference="QARTOD timing/gap test (IOOS manuals; ioos_qc time_gap_test); HJ 212-2017 "
    "upload intervals (RtdInterval, minute/hour data)",
)
def time_gap(
    values: npt.ArrayLike,
    times: TimesLike,
    *,
    expected_interval_seconds: float,
    tolerance: float = 0.0,
) -> FlagArray:
    """Flag the first value after a gap in the time axis as SUSPECT.

    Parameters
    ----------
    values : array-like of float
        Measured values [parameter unit]; NaN = missing.
    times : array-like of datetime64
        Measurement times [UTC], sorted.
    expected_interval_seconds : float
        Regular reporting interval [s] (60 for minute data, 3600 for hourly data).
    tolerance : float, default 0.0
        Extra time allowed before a step counts as a gap [s]: a gap is
        ``t[i] − t[i−1] > expected_interval_seconds + tolerance``.

    Returns
    -------
    numpy.ndarray of uint8
        GOOD, SUSPECT; UNKNOWN for the first point (nothing before it); MISSING where NaN.
        Repeated times are left to :func:`duplicates`.

    Raises
    ------
    ValueError
        If the interval is not positive or the tolerance is negative.

    References
    ----------
    .. [1] U.S. IOOS QARTOD manuals, "Timing/Gap Test"; ioos_qc 3.0 ``time_gap_test``.

    Examples
    --------
    >>> t = np.array([0, 60, 120, 300, 360], "datetime64[s]")
    >>> time_gap([1.0, 2.0, 3.0, 4.0, 5.0], t, expected_interval_seconds=60, tolerance=5)
    array([2, 1, 1, 3, 1], dtype=uint8)
    """
    v = _values(values)
    t = _seconds(times, v.size)
    if not expected_interval_seconds > 0 or not tolerance >= 0:
        msg = (
            f"need expected_interval_seconds > 0 and tolerance ≥ 0, got "
            f"{expected_interval_seconds}, {tolerance}"
        )
        raise ValueError(msg)
    flags = np.full(v.shape, GOOD, dtype=np.uint8)
    if v.size:
        flags[0] = UNKNOWN
        flags[1:][np.diff(t) > expected_interval_seconds + tolerance] = SUSPECT
    return _finish(flags, v)


def _optional_seconds(
    times: TimesLike, name: str
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    array = _datetimes(times, name)
    if array.ndim != 1:
        msg = f"{name} must be 1-D, got shape {array.shape}"
        raise ValueError(msg)
    return array.view(np.int64), np.isnat(array)


@check(
    "late_data",
    absolute_time=True,
    time_input="data_times",
    reference="QARTOD data reception/timing (ioos_qc data_reception_test); HJ 212-2017 "
    "DataTime vs. arrival at the platform",
)
def late_data(
    received_times: TimesLike,
    data_times: TimesLike,
    *,
    max_delay_seconds: float,
    max_ahead_seconds: float | None = None,
) -> FlagArray:
    """Flag values received too long after their data time (or stamped in the future).

    Parameters
    ----------
    received_times : array-like of datetime64
        When the platform received each value [UTC]; NaT = unknown.
    data_times : array-like of datetime64
        The value's ``DataTime`` [UTC]; NaT = unknown. Need not be sorted.
    max_delay_seconds : float
        ``received − data`` above this → SUSPECT [s] (late, e.g. back-filled after an
        outage).
    max_ahead_seconds : float, optional
        ``data − received`` above this → SUSPECT [s]: the logger's clock runs ahead.

    Returns
    -------
    numpy.ndarray of uint8
        GOOD, SUSPECT; UNKNOWN where either time is NaT. (There is no value to be
        MISSING.)

    Raises
    ------
    ValueError
        If the shapes differ or a limit is negative.

    References
    ----------
    .. [1] ioos_qc 3.0 ``qartod.data_reception_test``; HJ 212-2017 §8.1 upload sequence.

    Examples
    --------
    >>> received = np.array(["2024-05-01T10:01", "2024-05-01T13:00"], "datetime64[s]")
    >>> data = np.array(["2024-05-01T10:00", "2024-05-01T10:00"], "datetime64[s]")
    >>> late_data(received, data, max_delay_seconds=3600)
    array([1, 3], dtype=uint8)
    """
    received, received_nat = _optional_seconds(received_times, "received_times")
    data, data_nat = _optional_seconds(data_times, "data_times")
    if received.shape != data.shape:
        msg = f"received_times has shape {received.shape}, data_times {data.shape}"
        raise ValueError(msg)
    if not max_delay_seconds >= 0 or (
        max_ahead_seconds is not None and max_ahead_seconds < 0
    ):
        msg = f"limits must be ≥ 0, got {max_delay_seconds}, {max_ahead_seconds}"
        raise ValueError(msg)
    delay = received - data
    flags = np.full(received.shape, GOOD, dtype=np.uint8)
    flags[delay > max_delay_seconds] = SUSPECT
    if max_ahead_seconds is not None:
        flags[-delay > max_ahead_seconds] = SUSPECT
    flags[received_nat | data_nat] = UNKNOWN
    return flags


@check(
    "duplicates",
    lookback_points=1,
    reference="one value per parameter and DataTime (HJ 212-2017 §8.1: an unacknowledged "
    "upload is sent again); SaQC flagDuplicates",
)
def duplicates(values: npt.ArrayLike, times: TimesLike) -> FlagArray:
    """Flag every value whose time repeats the previous one as FAIL (the first stays).

    Parameters
    ----------
    values : array-like of float
        Measured values [parameter unit]; NaN = missing.
    times : array-like of datetime64
        Measurement times [UTC], sorted (repeats are adjacent).

    Returns
    -------
    numpy.ndarray of uint8
        GOOD, FAIL; MISSING where NaN.

    References
    ----------
    .. [1] HJ 212-2017 §8.1 (resend until acknowledged); SaQC ``flagDuplicates``
       (``keep="first"``).

    Examples
    --------
    >>> t = np.array([0, 60, 60, 60, 120], "datetime64[s]")
    >>> duplicates([1.0, 2.0, 2.0, 3.0, 4.0], t)
    array([1, 1, 4, 4, 1], dtype=uint8)
    """
    v = _values(values)
    t = _seconds(times, v.size)
    flags = np.full(v.shape, GOOD, dtype=np.uint8)
    flags[1:][t[1:] == t[:-1]] = FAIL
    return _finish(flags, v)


def _window(window: Any) -> tuple[int, int, np.uint8]:
    if isinstance(window, Mapping):
        start, end, kind = window.get("start"), window.get("end"), window.get("kind")
    else:
        try:
            start, end, kind = window
        except (TypeError, ValueError) as err:
            msg = f"window {window!r} must be (start, end, kind)"
            raise ValueError(msg) from err
    if not isinstance(kind, str) or kind not in DEVICE_WINDOW_KINDS:
        msg = f"window kind {kind!r} must be one of {sorted(DEVICE_WINDOW_KINDS)}"
        raise ValueError(msg)
    begin, finish = _instant(start, "window start"), _instant(end, "window end")
    if finish < begin:
        msg = f"window {window!r} ends before it starts"
        raise ValueError(msg)
    return begin, finish, np.uint8(DEVICE_WINDOW_KINDS[kind][0])


@check(
    "device_windows",
    absolute_time=True,
    reference="HJ 75-2017 (data during calibration, maintenance, faults are not valid); "
    "MEE 公告2022年第21号 device-marking rule; HJ 212-2017 Table 8 states",
)
def device_windows(
    values: npt.ArrayLike,
    times: TimesLike,
    *,
    windows: Sequence[Any],
) -> FlagArray:
    """Flag values inside device-state windows (maintenance, calibration, fault …).

    Parameters
    ----------
    values : array-like of float
        Measured values [parameter unit]; NaN = missing.
    times : array-like of datetime64
        Measurement times [UTC], sorted.
    windows : sequence of (start, end, kind) or of mappings with those keys
        Half-open intervals ``[start, end)`` [UTC; datetime64, ISO 8601 text or aware
        datetime] from calibration/maintenance records or device-state frames; ``kind``
        is a key of :data:`~envmon.quality.flags.DEVICE_WINDOW_KINDS` (maintenance,
        calibration, fault, stopped, commissioning → FAIL; startup, shutdown,
        abatement_fault → SUSPECT). Overlaps take the worse flag.

    Returns
    -------
    numpy.ndarray of uint8
        GOOD outside every window, SUSPECT/FAIL inside; MISSING where NaN.

    Raises
    ------
    ValueError
        If a window is malformed, ends before it starts or has an unknown kind.

    References
    ----------
    .. [1] HJ 75-2017 (emissions.md: calibration/maintenance/fault data are invalid);
       MEE 公告2022年第21号 (device marks: maintenance, fault, calibration, commissioning).

    Examples
    --------
    >>> t = np.array(["2024-05-01T10:00", "2024-05-01T10:30", "2024-05-01T11:00"], "M8[s]")
    >>> device_windows([1.0, 2.0, 3.0], t,
    ...                windows=[("2024-05-01T10:15", "2024-05-01T11:00", "calibration")])
    array([1, 4, 1], dtype=uint8)
    """
    v = _values(values)
    t = _seconds(times, v.size)
    flags = np.full(v.shape, GOOD, dtype=np.uint8)
    for begin, finish, flag in (_window(window) for window in windows):
        first, stop = np.searchsorted(t, [begin, finish], side="left")
        # FAIL (4) > SUSPECT (3) > GOOD (1): the numeric maximum is the precedence here
        np.maximum(flags[first:stop], flag, out=flags[first:stop])
    return _finish(flags, v)
