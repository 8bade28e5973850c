"""Averages and statistics of ambient-air data: GB 3095 validity, HJ 663 statistics. Pure.

Every hourly array has time on its last axis: a regular grid of hour *starts* in Beijing
time, index 0 = 00:00–01:00 of the first day (CNEMC labels it "1时", hour-ending). A window
"ending at 08:00" therefore covers indices 0…7. Leading axes (stations, pollutants, …) are
carried through, so one call handles a whole city. NaN means missing or invalid, in inputs
and outputs alike; no function mutates its input.

Validity rules (GB 3095-2012 Table 4, unchanged in GB 3095-2026 Table 4; HJ 663-2013):
1 h ≥ 45 min; 24 h ≥ 20 valid hours; O3 8 h ≥ 6 of 8 hours; MDA8 ≥ 14 of the 17 windows
ending 08:00…24:00; annual ≥ 324 daily values and ≥ 27 per month (≥ 25 in February).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "ANNUAL_STATISTICS",
    "COVERAGE_BASIC",
    "COVERAGE_TSP_BAP_PB",
    "RANKING_LIMITS_2012",
    "RANKING_LIMITS_2026_TRANSITIONAL",
    "RANKING_WEIGHTS_UNVERIFIED",
    "AnnualStatistic",
    "CityMeans",
    "ComprehensiveIndex",
    "Coverage",
    "DailyMaxima",
    "DailyMeans",
    "HourlyMeans",
    "MovingMeans",
    "PeriodStatistic",
    "city_mean",
    "comprehensive_index",
    "daily_max_hourly",
    "daily_means",
    "hourly_from_minutes",
    "moving_mean",
    "o3_8h_moving",
    "o3_daily_max_8h",
    "percentile_hj663",
    "period_statistics",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class HourlyMeans(NamedTuple):
    """Hourly means: ``values`` (NaN where invalid) and the valid minutes behind each."""

    values: FloatArray
    valid_minutes: IntArray


class DailyMeans(NamedTuple):
    """Calendar-day means: ``values`` (NaN where invalid) and the valid hours of each day."""

    values: FloatArray
    valid_hours: IntArray


class MovingMeans(NamedTuple):
    """Trailing moving means per hour: ``values`` and the valid hours in each window."""

    values: FloatArray
    valid_hours: IntArray


class DailyMaxima(NamedTuple):
    """Daily maxima.

    ``values`` is NaN unless the day meets the rule; ``valid_count`` counts the valid hours
    or 8-h windows; ``maximum`` is the largest valid value whatever the count (NaN if none);
    ``valid_for_exceedance`` says where ``maximum`` may be used to judge an exceedance.
    """

    values: FloatArray
    valid_count: IntArray
    maximum: FloatArray
    valid_for_exceedance: BoolArray


class PeriodStatistic(NamedTuple):
    """A statistic over a year or a month, with its valid days and coverage verdict.

    ``value`` is NaN only when no day is valid; ``valid`` says whether the coverage rule
    is met.
    """

    value: FloatArray
    valid_days: IntArray
    valid: BoolArray


class CityMeans(NamedTuple):
    """City values: the mean over valid sites per time step and the number of sites used."""

    values: FloatArray
    site_count: IntArray


class ComprehensiveIndex(NamedTuple):
    """Ranking index: the weighted sum ``total`` and each pollutant's single index."""

    total: FloatArray
    single: dict[str, FloatArray]


class Coverage(NamedTuple):
    """Minimum valid daily values per year, per month and in February."""

    per_year: int
    per_month: int
    february: int


COVERAGE_BASIC: Final = Coverage(per_year=324, per_month=27, february=25)
"""SO2, NO2, CO, O3, PM10, PM2.5, NOx (GB 3095-2012 Table 4, annual statistics)."""

COVERAGE_TSP_BAP_PB: Final = Coverage(per_year=60, per_month=5, february=5)
"""TSP, BaP, Pb annual statistics (GB 3095-2012 Table 4: ≥ 60 evenly spread, ≥ 5 per month)."""


class AnnualStatistic(NamedTuple):
    """One annual statistic: ``"mean"`` or ``"percentile"`` of ``of`` at ``percentile``."""

    statistic: Literal["mean", "percentile"]
    percentile: float | None
    of: Literal["daily_mean", "o3_daily_max_8h"]


_MEAN: Final = AnnualStatistic("mean", None, "daily_mean")
ANNUAL_STATISTICS: Final[Mapping[str, tuple[AnnualStatistic, ...]]] = {
    "so2": (_MEAN, AnnualStatistic("percentile", 98.0, "daily_mean")),
    "no2": (_MEAN, AnnualStatistic("percentile", 98.0, "daily_mean")),
    "pm10": (_MEAN, AnnualStatistic("percentile", 95.0, "daily_mean")),
    "pm25": (_MEAN, AnnualStatistic("percentile", 95.0, "daily_mean")),
    "co": (AnnualStatistic("percentile", 95.0, "daily_mean"),),
    "o3": (AnnualStatistic("percentile", 90.0, "o3_daily_max_8h"),),
}
"""Annual statistics compared with GB 3095, per pollutant (HJ 663-2013 §5; aqi.md §5)."""

# Single-index denominators S_i: grade-2 annual limits, the 24-h CO and MDA8 O3 limits for
# the percentile statistics (GB 3095-2012 Table 1; GB 3095-2026 Table 1, transitional).
RANKING_LIMITS_2012: Final[Mapping[str, float]] = {
    "so2": 60.0, "no2": 40.0, "pm10": 70.0, "pm25": 35.0, "co": 4.0, "o3": 160.0,
}  # fmt: skip
RANKING_LIMITS_2026_TRANSITIONAL: Final[Mapping[str, float]] = {
    "so2": 60.0, "no2": 40.0, "pm10": 60.0, "pm25": 30.0, "co": 4.0, "o3": 160.0,
}  # fmt: skip
# UNVERIFIED (aqi.md §5: seen in third-party code only); the default is the plain sum.
RANKING_WEIGHTS_UNVERIFIED: Final[Mapping[str, float]] = {
    "so2": 1.0, "no2": 2.0, "pm10": 1.0, "pm25": 3.0, "co": 1.0, "o3": 2.0,
}  # fmt: skip


def _float(values: npt.ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def _blocks(values: FloatArray, size: int) -> FloatArray:
    length = values.shape[-1] if values.ndim else 0
    if values.ndim == 0 or length % size:
        msg = f"the last axis holds {length} values, not a whole number of blocks of {size}"
        raise ValueError(msg)
    return values.reshape(*values.shape[:-1], length // size, size)


def _require(minimum: int, upper: int, name: str) -> None:
    if not 1 <= minimum <= upper:
        msg = f"{name}={minimum} must lie in 1…{upper}"
        raise ValueError(msg)


def _masked_means(blocks: FloatArray, minimum: int) -> tuple[FloatArray, IntArray]:
    """Means of the non-NaN values over the last axis; NaN where fewer than ``minimum``."""
    valid = ~np.isnan(blocks)
    count = valid.sum(axis=-1, dtype=np.int64)
    total = np.where(valid, blocks, 0.0).sum(axis=-1)
    out = np.full(total.shape, np.nan)
    return np.divide(total, count, out=out, where=count >= minimum), count


def hourly_from_minutes(
    values: npt.ArrayLike,
    valid: npt.ArrayLike | None = None,
    *,
    per_hour: int = 60,
    min_minutes: int = 45,
) -> HourlyMeans:
    """Average sub-hourly samples into clock-hour means with the 45-minute rule.

    Parameters
    ----------
    values : array-like, shape (..., n_hours * per_hour)
        Samples [any unit]; time on the last axis, starting at a clock hour. NaN = missing.
    valid : array-like of bool, same shape, optional
        Extra validity (e.g. the HJ 212 flag is ``N``); NaN samples are invalid regardless.
    per_hour : int, default 60
        Samples per hour; must divide 60 (60 = minute data, 12 = 5-min data).
    min_minutes : int, default 45
        Minimum valid minutes for a valid hour; each sample stands for ``60 / per_hour`` min.

    Returns
    -------
    HourlyMeans
        ``values`` shape (..., n_hours) [input unit], the mean of the valid samples, NaN
        where fewer than ``min_minutes``; ``valid_minutes`` [min].

    Raises
    ------
    ValueError
        If ``per_hour`` does not divide 60, shapes differ or the length is not whole hours.

    References
    ----------
    .. [1] GB 3095-2012 Table 4 (1-h value: ≥ 45 min of sampling); GB 3095-2026 Table 4.
    .. [2] HJ 75-2017 (CEMS valid hourly mean: ≥ 45 min of valid data) [R, emissions.md].

    Examples
    --------
    >>> minutes = np.r_[np.full(45, 10.0), np.full(15, np.nan)]
    >>> hourly_from_minutes(minutes)
    HourlyMeans(values=array([10.]), valid_minutes=array([45]))
    >>> hourly_from_minutes(np.r_[np.full(8, 10.0), np.full(4, np.nan)], per_hour=12)
    HourlyMeans(values=array([nan]), valid_minutes=array([40]))
    """
    if per_hour < 1 or 60 % per_hour:
        msg = f"per_hour={per_hour} must divide 60"
        raise ValueError(msg)
    _require(min_minutes, 60, "min_minutes")
    samples = _float(values)
    if valid is not None:
        mask = np.asarray(valid, dtype=bool)
        if mask.shape != samples.shape:
            msg = f"valid has shape {mask.shape}, values {samples.shape}"
            raise ValueError(msg)
        samples = np.where(mask, samples, np.nan)
    step = 60 // per_hour
    means, count = _masked_means(_blocks(samples, per_hour), -(-min_minutes // step))
    return HourlyMeans(means, count * step)


def daily_means(hourly: npt.ArrayLike, *, min_hours: int = 20) -> DailyMeans:
    """Calendar-day (00:00–24:00) means with the 20-hour rule.

    Parameters
    ----------
    hourly : array-like, shape (..., n_days * 24)
        Hourly means [µg/m³, CO mg/m³ or any unit], starting at 00:00 of the first day.
    min_hours : int, default 20
        Minimum valid hours for a valid day.

    Returns
    -------
    DailyMeans
        ``values`` shape (..., n_days) [input unit], NaN where fewer than ``min_hours``;
        ``valid_hours``.

    References
    ----------
    .. [1] GB 3095-2012 Table 4 (24-h mean: ≥ 20 hourly values per calendar day).

    Examples
    --------
    >>> daily_means(np.r_[np.full(20, 30.0), np.full(4, np.nan)])
    DailyMeans(values=array([30.]), valid_hours=array([20]))
    """
    _require(min_hours, 24, "min_hours")
    return DailyMeans(*_masked_means(_blocks(_float(hourly), 24), min_hours))


def _window_sums(hourly: FloatArray, window: int) -> tuple[FloatArray, IntArray]:
    """Return sums and counts of the valid hours in the window ending at each hour."""
    valid = ~np.isnan(hourly)
    left = [(0, 0)] * (hourly.ndim - 1) + [(window - 1, 0)]
    filled = np.pad(np.where(valid, hourly, 0.0), left)
    # Each window is summed on its own, so a mean is the plain sum of its hours with no
    # drift from a running total; integer running counts are exact.
    sums = sliding_window_view(filled, window, axis=-1).sum(axis=-1)
    running = np.cumsum(valid, axis=-1, dtype=np.int64)
    running = np.pad(running, [*left[:-1], (window, 0)])
    return sums, running[..., window:] - running[..., :-window]


def moving_mean(
    hourly: npt.ArrayLike, *, window: int = 24, min_valid: int = 20
) -> MovingMeans:
    """Trailing moving mean ending at each hour (the real-time 24-h PM moving mean).

    The value at index t averages the valid hours t − window + 1 … t, i.e. the window
    ending at the end of hour t. Hours before index 0 count as missing: pass
    ``window − 1`` lead-in hours and drop them from the result.

    Parameters
    ----------
    hourly : array-like, shape (..., n_hours)
        Hourly means [µg/m³ or any unit].
    window : int, default 24
        Window length [h].
    min_valid : int, default 20
        Minimum valid hours per window. GB 3095 states none for the 24-h moving PM mean;
        20 of 24 is our choice, mirroring the calendar-day rule.

    Returns
    -------
    MovingMeans
        ``values`` shape (..., n_hours) [input unit], NaN where fewer than ``min_valid``;
        ``valid_hours`` per window.

    References
    ----------
    .. [1] HJ 633-2012 Table 4 (PM10/PM2.5 24-h moving means in the real-time report).
    .. [2] GB 3095-2012 Table 4 (24-h mean: ≥ 20 hours), mirrored here.

    Examples
    --------
    >>> moving_mean([1.0, 2.0, np.nan, 4.0], window=2, min_valid=1).values
    array([1. , 1.5, 2. , 4. ])
    """
    _require(min_valid, window, "min_valid")
    values = _float(hourly)
    sums, counts = _window_sums(values, window)
    out = np.full(sums.shape, np.nan)
    return MovingMeans(
        np.divide(sums, counts, out=out, where=counts >= min_valid), counts
    )


def o3_8h_moving(hourly: npt.ArrayLike, *, min_valid: int = 6) -> MovingMeans:
    """O3 8-h moving mean ending at each hour; the window may span the previous day.

    Hours before index 0 count as missing: pass the previous day's last 7 hours as a
    lead-in and drop them from the result.

    Parameters
    ----------
    hourly : array-like, shape (..., n_hours)
        O3 hourly means [µg/m³].
    min_valid : int, default 6
        Minimum valid hours of the 8 (6 or 7 valid hours: mean of those available).

    Returns
    -------
    MovingMeans
        See :func:`moving_mean` (``window=8``).

    References
    ----------
    .. [1] GB 3095-2012 Table 4 (8-h mean: ≥ 6 hourly values); HJ 633-2012 §3 and Table 4.

    Examples
    --------
    >>> o3_8h_moving([np.nan, np.nan] + [100.0] * 6).values[-1]
    np.float64(100.0)
    """
    return moving_mean(hourly, window=8, min_valid=min_valid)


def _maxima(values: FloatArray, valid: BoolArray) -> FloatArray:
    top = np.where(valid, values, -np.inf).max(axis=-1)
    return np.where(valid.any(axis=-1), top, np.nan)


def o3_daily_max_8h(
    hourly: npt.ArrayLike,
    *,
    min_valid_hours: int = 6,
    min_windows: int = 14,
    exceedance_limit: float = 160.0,
) -> DailyMaxima:
    """O3 daily maximum 8-h mean (MDA8) from the 17 windows ending 08:00 … 24:00.

    Only the day's own hours are used: the windows cover hour starts 00–07 … 16–23. A
    window is valid with ≥ ``min_valid_hours``; the day with ≥ ``min_windows`` windows.
    Exception (**unverified**, aqi.md §5, recalled and not checked against HJ 663): with
    fewer windows, a maximum already above ``exceedance_limit`` still counts as an
    exceedance; ``valid_for_exceedance`` marks those days as well as the valid ones.

    Parameters
    ----------
    hourly : array-like, shape (..., n_days * 24)
        O3 hourly means [µg/m³], starting at 00:00 of the first day.
    min_valid_hours : int, default 6
        Minimum valid hours of an 8-h window.
    min_windows : int, default 14
        Minimum valid windows of the 17 for a valid day.
    exceedance_limit : float, default 160.0
        [µg/m³] GB 3095 grade-2 MDA8 limit (grade 1: 100).

    Returns
    -------
    DailyMaxima
        Shape (..., n_days); ``valid_count`` = valid 8-h windows.

    References
    ----------
    .. [1] HJ 663-2013 (MDA8: ≥ 14 valid 8-h values of the day); GB 3095-2012 Table 4.
    .. [2] foqat ``dm8n.R`` (17 windows, 6 hours, 14 windows), aqi.md §5.

    Examples
    --------
    >>> day = np.r_[np.full(8, 50.0), np.full(16, 170.0)]
    >>> result = o3_daily_max_8h(day)
    >>> result.values, result.valid_count
    (array([170.]), array([17]))
    """
    _require(min_valid_hours, 8, "min_valid_hours")
    _require(min_windows, 17, "min_windows")
    windows = sliding_window_view(_blocks(_float(hourly), 24), 8, axis=-1)
    means, _ = _masked_means(windows, min_valid_hours)
    window_valid = ~np.isnan(means)
    count = window_valid.sum(axis=-1, dtype=np.int64)
    maximum = _maxima(means, window_valid)
    valid = count >= min_windows
    return DailyMaxima(
        np.where(valid, maximum, np.nan),
        count,
        maximum,
        valid | (maximum > exceedance_limit),
    )


def daily_max_hourly(hourly: npt.ArrayLike, *, min_hours: int = 20) -> DailyMaxima:
    """Daily maximum 1-h value (the 2012 daily-report indicator O3 1-h max).

    Parameters
    ----------
    hourly : array-like, shape (..., n_days * 24)
        Hourly means [µg/m³].
    min_hours : int, default 20
        Minimum valid hours. No text read states a rule for the daily 1-h maximum; 20 is
        our choice, the calendar-day rule of GB 3095 Table 4. ``maximum`` keeps the
        maximum of days with fewer hours for display.

    Returns
    -------
    DailyMaxima
        Shape (..., n_days); ``valid_count`` = valid hours; ``valid_for_exceedance`` equals
        the validity of ``values`` (no exception is applied).

    References
    ----------
    .. [1] HJ 633-2012 §5 (daily report: O3 daily maximum 1-h); GB 3095-2012 Table 4.

    Examples
    --------
    >>> daily_max_hourly(np.r_[np.full(23, 80.0), 210.0]).values
    array([210.])
    """
    _require(min_hours, 24, "min_hours")
    days = _blocks(_float(hourly), 24)
    valid_hours = ~np.isnan(days)
    count = valid_hours.sum(axis=-1, dtype=np.int64)
    maximum = _maxima(days, valid_hours)
    valid = count >= min_hours
    return DailyMaxima(np.where(valid, maximum, np.nan), count, maximum, valid)


def percentile_hj663(values: npt.ArrayLike, percentile: float) -> FloatArray:
    """Percentile of the valid values on the last axis, by the HJ 663 formula.

    Sort the n valid values as X(1) ≤ … ≤ X(n); k = 1 + (n − 1)·p/100, s = ⌊k⌋;
    P = X(s) + (X(s+1) − X(s))·(k − s). This equals numpy's ``method="linear"``.

    Parameters
    ----------
    values : array-like, shape (..., n)
        Daily values [any unit]; NaN are skipped.
    percentile : float
        p in [0, 100].

    Returns
    -------
    ndarray, shape (...)
        [input unit]; NaN where no value is valid.

    References
    ----------
    .. [1] HJ 663-2013 Annex A (percentile) [medium confidence, aqi.md §5].

    Examples
    --------
    >>> percentile_hj663(np.arange(1.0, 11.0), 90)  # k = 1 + 9 * 0.9 = 9.1
    array(9.1)
    """
    if not 0.0 <= percentile <= 100.0:
        msg = f"percentile={percentile} must lie in 0…100"
        raise ValueError(msg)
    data = np.sort(_float(values), axis=-1)  # NaN sort last
    count = (~np.isnan(data)).sum(axis=-1, keepdims=True)
    if data.shape[-1] == 0:
        return np.full(data.shape[:-1], np.nan)
    rank = np.maximum(count - 1, 0) * (percentile / 100.0)  # k − 1, zero-based
    low = np.floor(rank).astype(np.int64)
    high = np.minimum(low + 1, np.maximum(count - 1, 0))
    below = np.take_along_axis(data, low, axis=-1)
    above = np.take_along_axis(data, high, axis=-1)
    result = below + (above - below) * (rank - low)
    return np.where(count > 0, result, np.nan)[..., 0]


def _coverage(
    valid: BoolArray, dates: npt.NDArray[np.datetime64], period: str, coverage: Coverage
) -> BoolArray:
    months = dates.astype("datetime64[M]")
    span = dates.astype("datetime64[Y]") if period == "year" else months
    if np.any(span != span[0]):
        msg = f"dates span more than one {period}: {dates.min()} … {dates.max()}"
        raise ValueError(msg)
    month_index = months.astype(np.int64) % 12  # 0 = January
    onehot = (month_index[:, None] == np.arange(12)).astype(np.int64)
    per_month = valid.astype(np.int64) @ onehot  # (..., 12) valid days per month
    needed = np.where(np.arange(12) == 1, coverage.february, coverage.per_month)
    if period == "month":
        return np.asarray(per_month[..., month_index[0]] >= needed[month_index[0]])
    enough = valid.sum(axis=-1) >= coverage.per_year
    return np.asarray((per_month >= needed).all(axis=-1) & enough)


def period_statistics(
    daily: npt.ArrayLike,
    dates: npt.ArrayLike,
    *,
    statistic: Literal["mean", "percentile"] = "mean",
    percentile: float | None = None,
    period: Literal["year", "month"] = "year",
    coverage: Coverage = COVERAGE_BASIC,
) -> PeriodStatistic:
    """Annual or monthly statistic of daily values, with the coverage rule.

    The statistic is computed from whatever days are valid (e.g. for a year-to-date
    figure); ``valid`` says whether the period meets the coverage rule.

    Parameters
    ----------
    daily : array-like, shape (..., n_days)
        Daily means or MDA8 [µg/m³, CO mg/m³]; NaN = invalid day.
    dates : array-like of datetime64[D], shape (n_days,)
        The distinct calendar days of ``daily``, all in one year (or one month).
    statistic : {"mean", "percentile"}
        Arithmetic mean, or the HJ 663 percentile (:func:`percentile_hj663`).
    percentile : float, optional
        p in [0, 100]; required with ``statistic="percentile"`` (see ``ANNUAL_STATISTICS``).
    period : {"year", "month"}
        Year: ≥ ``coverage.per_year`` days and every month ≥ ``per_month`` (``february``).
        Month: ≥ ``per_month`` days (``february`` in February).
    coverage : Coverage, default ``COVERAGE_BASIC``
        324 per year, 27 per month, 25 in February; ``COVERAGE_TSP_BAP_PB`` for TSP, BaP, Pb.

    Returns
    -------
    PeriodStatistic
        ``value`` shape (...) [input unit]; ``valid_days``; ``valid`` (coverage met).

    References
    ----------
    .. [1] GB 3095-2012 Table 4 (annual: ≥ 324 daily values, ≥ 27 per month, ≥ 25 in
       February); HJ 663-2013 §5 and Annex A (percentiles).

    Examples
    --------
    >>> dates = np.arange("2025-02-01", "2025-03-01", dtype="datetime64[D]")
    >>> daily = np.r_[np.full(25, 40.0), np.full(3, np.nan)]
    >>> period_statistics(daily, dates, period="month")
    PeriodStatistic(value=array(40.), valid_days=array(25), valid=array(True))
    """
    values = _float(daily)
    days = np.asarray(dates, dtype="datetime64[D]")
    if days.ndim != 1 or days.shape[0] != values.shape[-1] or days.size == 0:
        msg = f"dates has shape {days.shape}; daily has {values.shape[-1:]} days"
        raise ValueError(msg)
    if np.unique(days).size != days.size:
        msg = "dates must be distinct"
        raise ValueError(msg)
    if period not in ("year", "month") or statistic not in ("mean", "percentile"):
        msg = f"unknown period {period!r} or statistic {statistic!r}"
        raise ValueError(msg)
    if (statistic == "percentile") != (percentile is not None):
        msg = "percentile is needed with statistic='percentile' and only then"
        raise ValueError(msg)
    valid = ~np.isnan(values)
    if percentile is not None:
        value, count = percentile_hj663(values, percentile), valid.sum(axis=-1)
    else:
        value, count = _masked_means(values, 1)
    return PeriodStatistic(
        np.asarray(value),
        np.asarray(count, np.int64),
        _coverage(valid, days, period, coverage),
    )


def city_mean(
    site_values: npt.ArrayLike, *, min_sites: int = 1, min_fraction: float = 0.0
) -> CityMeans:
    """City concentration: arithmetic mean of the valid assessment sites per time step.

    Pass only the state-controlled city assessment sites (国控城市点); the AQI is then
    computed from the mean, never by averaging site AQIs. For O3 8 h, the usual practice
    is to average hourly values first, then apply :func:`o3_8h_moving` /
    :func:`o3_daily_max_8h`. The minimum share of valid sites is an **open item**
    (aqi.md §5); the default needs one valid site.

    Parameters
    ----------
    site_values : array-like, shape (n_sites, ...)
        Site concentrations [µg/m³, CO mg/m³]; NaN = invalid.
    min_sites : int, default 1
        Minimum valid sites.
    min_fraction : float, default 0.0
        Also require ⌈min_fraction · n_sites⌉ valid sites.

    Returns
    -------
    CityMeans
        ``values`` shape (...) [input unit]; ``site_count`` of valid sites.

    References
    ----------
    .. [1] HJ 663-2013 (city value = mean of all valid city sites), aqi.md §5.

    Examples
    --------
    >>> city_mean([[10.0, np.nan], [20.0, np.nan]])
    CityMeans(values=array([15., nan]), site_count=array([2, 0]))
    """
    values = np.moveaxis(_float(site_values), 0, -1)
    needed = max(min_sites, int(np.ceil(min_fraction * values.shape[-1])), 1)
    return CityMeans(*_masked_means(values, needed))


def comprehensive_index(
    statistics: Mapping[str, npt.ArrayLike],
    *,
    limits: Mapping[str, float] = RANKING_LIMITS_2012,
    weights: Mapping[str, float] | None = None,
) -> ComprehensiveIndex:
    """Comprehensive air-quality index for city rankings: Σ w_i · C_i / S_i.

    Parameters
    ----------
    statistics : mapping of pollutant → array-like
        Period statistic C_i per pollutant in ``limits`` [µg/m³, CO mg/m³]: the mean for
        SO2, NO2, PM10, PM2.5; the 95th percentile of daily CO; the 90th percentile of
        MDA8 O3 (``ANNUAL_STATISTICS``). All arrays broadcast together.
    limits : mapping of pollutant → float
        S_i, default ``RANKING_LIMITS_2012``.
    weights : mapping, optional
        w_i; default 1 for every pollutant. ``RANKING_WEIGHTS_UNVERIFIED`` holds the
        post-2026 weights seen in third-party code: **unverified**.

    Returns
    -------
    ComprehensiveIndex
        ``total`` (NaN if any statistic is NaN) and ``single`` I_i = C_i / S_i [1].

    References
    ----------
    .. [1] 城市环境空气质量排名技术规定 (single and comprehensive index), aqi.md §5.

    Examples
    --------
    >>> stats = {"so2": 12, "no2": 40, "pm10": 70, "pm25": 35, "co": 1.2, "o3": 160}
    >>> comprehensive_index(stats).total  # 0.2 + 1 + 1 + 1 + 0.3 + 1
    array(4.5)
    """
    missing = sorted(set(limits) - set(statistics))
    if missing:
        msg = f"statistics lack pollutants {missing}"
        raise ValueError(msg)
    single = {name: _float(statistics[name]) / limit for name, limit in limits.items()}
    weight = weights or {}
    total = np.zeros(np.broadcast_shapes(*(index.shape for index in single.values())))
    for name, index in single.items():
        total = total + weight.get(name, 1.0) * index
    return ComprehensiveIndex(np.asarray(total), single)
