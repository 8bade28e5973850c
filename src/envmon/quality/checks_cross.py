"""Cross-parameter and neighbour-station consistency checks. Pure, point-wise.

These take several aligned arrays (same times); the flag describes the *first* array
(MISSING where it is NaN, UNKNOWN where a companion is NaN) and a rule normally attaches it
to every parameter involved, since the check cannot tell which one is wrong.
"""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from envmon.quality.checks import (
    GOOD,
    SUSPECT,
    UNKNOWN,
    TimesLike,
    _finish,
    _seconds,
    _values,
    check,
)
from envmon.quality.flags import FlagArray, FloatArray, qartod_compare

__all__ = ["neighbour_consistency", "nox_consistency", "pm25_le_pm10"]

NO_TO_NO2: Final = 46.0 / 30.0
"""Molar-mass ratio NO2/NO (46/30): NO [mass] × 46/30 = NO expressed as NO2 [mass]."""

MAD_TO_SD: Final = 1.4826
"""Scale of the median absolute deviation to a normal SD."""


def _aligned(first: FloatArray, other: npt.ArrayLike, name: str) -> FloatArray:
    array = _values(other, name)
    if array.shape != first.shape:
        msg = f"{name} has shape {array.shape}, expected {first.shape}"
        raise ValueError(msg)
    return array


def _nonnegative(**limits: float) -> None:
    for name, value in limits.items():
        if not value >= 0:
            msg = f"{name}={value} must be ≥ 0"
            raise ValueError(msg)


@check(
    "pm25_le_pm10",
    reference="PM2.5 is a fraction of PM10 (GB 3095-2012 §3 definitions), so PM2.5 > PM10 "
    "(倒挂) beyond measurement tolerance is suspect",
)
def pm25_le_pm10(
    pm25: npt.ArrayLike,
    pm10: npt.ArrayLike,
    times: TimesLike,
    *,
    tolerance: float,
    relative_tolerance: float = 0.0,
) -> FlagArray:
    """Flag PM2.5 above PM10 (beyond measurement tolerance) as SUSPECT.

    Parameters
    ----------
    pm25 : array-like of float
        PM2.5 concentrations [µg/m³]; NaN = missing.
    pm10 : array-like of float
        PM10 concentrations at the same times [µg/m³].
    times : array-like of datetime64
        Measurement times [UTC], sorted.
    tolerance : float
        Absolute allowance [µg/m³]: SUSPECT where
        ``pm25 > pm10 × (1 + relative_tolerance) + tolerance``.
    relative_tolerance : float, default 0.0
        Relative allowance [fraction of PM10].

    Returns
    -------
    numpy.ndarray of uint8
        GOOD, SUSPECT; UNKNOWN where PM10 is NaN; MISSING where PM2.5 is NaN.

    Raises
    ------
    ValueError
        If shapes differ or a tolerance is negative.

    References
    ----------
    .. [1] GB 3095-2012 §3 (PM2.5: aerodynamic diameter ≤ 2.5 µm; PM10: ≤ 10 µm), so
       PM2.5 is part of PM10; both are measured by separate instruments with their own
       uncertainty, hence the tolerances.

    Examples
    --------
    >>> t = np.zeros(4, "datetime64[s]")
    >>> pm25_le_pm10([30.0, 52.0, 80.0, 10.0], [50.0, 50.0, 50.0, np.nan], t, tolerance=5)
    array([1, 1, 3, 2], dtype=uint8)
    """
    fine = _values(pm25, "pm25")
    coarse = _aligned(fine, pm10, "pm10")
    _seconds(times, fine.size)
    _nonnegative(tolerance=tolerance, relative_tolerance=relative_tolerance)
    flags = np.full(fine.shape, GOOD, dtype=np.uint8)
    flags[fine > coarse * (1.0 + relative_tolerance) + tolerance] = SUSPECT
    flags[np.isnan(coarse)] = UNKNOWN
    return _finish(flags, fine)


@check(
    "nox_consistency",
    reference="NOx (as NO2) = NO × 46/30 + NO2 (NOx is reported as NO2, e.g. GB 13223-2011 "
    "Table 1); in volume units NOx = NO + NO2",
)
def nox_consistency(
    nox: npt.ArrayLike,
    no: npt.ArrayLike,
    no2: npt.ArrayLike,
    times: TimesLike,
    *,
    tolerance: float,
    relative_tolerance: float = 0.0,
    basis: Literal["mass_as_no2", "volume"] = "mass_as_no2",
) -> FlagArray:
    """Flag NOx that disagrees with NO and NO2 measured alongside it as SUSPECT.

    Parameters
    ----------
    nox : array-like of float
        NOx [µg/m³ or mg/m³ as NO2, or ppb with ``basis="volume"``]; NaN = missing.
    no : array-like of float
        NO at the same times [same unit as ``nox``, as NO itself].
    no2 : array-like of float
        NO2 at the same times [same unit as ``nox``].
    times : array-like of datetime64
        Measurement times [UTC], sorted.
    tolerance : float
        Absolute allowance [unit of ``nox``]: SUSPECT where ``|nox − expected| >
        tolerance + relative_tolerance × expected``.
    relative_tolerance : float, default 0.0
        Relative allowance [fraction of the expected NOx].
    basis : {"mass_as_no2", "volume"}, default "mass_as_no2"
        ``"mass_as_no2"``: expected = NO × 46/30 + NO2 (mass concentrations, NOx as NO2);
        ``"volume"``: expected = NO + NO2 (mixing ratios).

    Returns
    -------
    numpy.ndarray of uint8
        GOOD, SUSPECT; UNKNOWN where NO or NO2 is NaN; MISSING where NOx is NaN.

    Raises
    ------
    ValueError
        If shapes differ, a tolerance is negative or ``basis`` is unknown.

    References
    ----------
    .. [1] NOx is reported as NO2 (GB 13223-2011 Table 1 "NOx (as NO2)", emissions.md);
       46/30 (molar masses) converts an NO mass concentration to its NO2 equivalent.

    Examples
    --------
    >>> t = np.zeros(3, "datetime64[s]")
    >>> nox_consistency([76.0, 120.0, np.nan], [30.0, 30.0, 30.0], [30.0, 30.0, 30.0], t,
    ...                 tolerance=5)
    array([1, 3, 9], dtype=uint8)
    """
    total = _values(nox, "nox")
    nitric = _aligned(total, no, "no")
    dioxide = _aligned(total, no2, "no2")
    _seconds(times, total.size)
    _nonnegative(tolerance=tolerance, relative_tolerance=relative_tolerance)
    if basis not in ("mass_as_no2", "volume"):
        msg = f"basis={basis!r} must be 'mass_as_no2' or 'volume'"
        raise ValueError(msg)
    factor = NO_TO_NO2 if basis == "mass_as_no2" else 1.0
    expected = nitric * factor + dioxide
    allowed = tolerance + relative_tolerance * np.abs(expected)
    flags = np.full(total.shape, GOOD, dtype=np.uint8)
    flags[np.abs(total - expected) > allowed] = SUSPECT
    flags[np.isnan(expected)] = UNKNOWN
    return _finish(flags, total)


def _medians(columns: FloatArray) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Median over axis 0 ignoring NaN (no warnings), and the count of values."""
    ordered = np.sort(columns, axis=0)  # NaN sort last
    count = (~np.isnan(columns)).sum(axis=0)
    low = np.maximum((count - 1) // 2, 0)
    high = count // 2
    pick_low = np.take_along_axis(ordered, low[None, :], axis=0)[0]
    pick_high = np.take_along_axis(
        ordered, np.minimum(high, len(ordered) - 1)[None, :], 0
    )[0]
    median = np.where(count > 0, (pick_low + pick_high) * 0.5, np.nan)
    return median, count


@check(
    "neighbour_consistency",
    reference="spatial consistency with nearby stations: ratio to, or robust z-score "
    "(MAD) around, the neighbours' median (SaQC flagMVScores family)",
)
def neighbour_consistency(
    values: npt.ArrayLike,
    neighbours: npt.ArrayLike,
    times: TimesLike,
    *,
    max_ratio: float | None = None,
    max_zscore: float | None = None,
    min_neighbours: int = 2,
    floor: float = 0.0,
    min_scale: float = 0.0,
) -> FlagArray:
    """Flag values far from the median of neighbouring stations at the same time.

    Parameters
    ----------
    values : array-like of float
        This station's values [parameter unit]; NaN = missing.
    neighbours : array-like of float, shape (k, n)
        The same parameter at ``k`` neighbouring stations, aligned in time [parameter
        unit]; NaN = missing.
    times : array-like of datetime64
        Measurement times [UTC], sorted.
    max_ratio : float, optional
        SUSPECT where ``max(v, floor) / max(median, floor)`` or its inverse exceeds this
        [dimensionless]; must be > 1.
    max_zscore : float, optional
        SUSPECT where ``|v − median| / max(1.4826 × MAD, min_scale)`` exceeds this
        [dimensionless]; MAD over the neighbours.
    min_neighbours : int, default 2
        Fewer non-missing neighbours → UNKNOWN [count].
    floor : float, default 0.0
        Lower clip for the ratio [parameter unit], e.g. the detection limit, so that
        near-zero values do not give huge ratios; a ratio of non-positive values is
        UNKNOWN.
    min_scale : float, default 0.0
        Smallest spread used for the z-score [parameter unit] (neighbours that agree
        exactly would otherwise flag any difference).

    Returns
    -------
    numpy.ndarray of uint8
        GOOD, SUSPECT (worst of the enabled tests); UNKNOWN where too few neighbours;
        MISSING where NaN.

    Raises
    ------
    ValueError
        If neither limit is given, a limit is invalid or shapes differ.

    References
    ----------
    .. [1] Robust z-score with the MAD (Iglewicz & Hoaglin 1993); SaQC ``flagMVScores``.

    Examples
    --------
    >>> t = np.zeros(3, "datetime64[s]")
    >>> near = [[40.0, 40.0, 40.0], [44.0, 44.0, np.nan], [38.0, 38.0, np.nan]]
    >>> neighbour_consistency([42.0, 160.0, 160.0], near, t, max_ratio=2.0)
    array([1, 3, 2], dtype=uint8)
    """
    v = _values(values)
    around = np.asarray(neighbours, dtype=np.float64)
    if around.ndim != 2 or around.shape[1] != v.size:
        msg = f"neighbours must have shape (k, {v.size}), got {around.shape}"
        raise ValueError(msg)
    _seconds(times, v.size)
    if max_ratio is None and max_zscore is None:
        msg = "neighbour_consistency needs max_ratio or max_zscore"
        raise ValueError(msg)
    if (max_ratio is not None and not max_ratio > 1) or min_neighbours < 1:
        msg = f"need max_ratio > 1 and min_neighbours ≥ 1, got {max_ratio}, {min_neighbours}"
        raise ValueError(msg)
    _nonnegative(floor=floor, min_scale=min_scale, max_zscore=max_zscore or 0.0)
    if around.shape[0] == 0:
        around = np.full((1, v.size), np.nan)
    median, count = _medians(around)
    parts = []
    if max_ratio is not None:
        top, bottom = np.maximum(v, floor), np.maximum(median, floor)
        defined = (top > 0) & (bottom > 0)
        ratio = np.divide(top, bottom, out=np.ones_like(v), where=defined)
        inverse = np.divide(bottom, top, out=np.ones_like(v), where=defined)
        part = np.where((ratio > max_ratio) | (inverse > max_ratio), SUSPECT, GOOD)
        parts.append(np.where(defined, part, UNKNOWN).astype(np.uint8))
    if max_zscore is not None:
        spread, _ = _medians(np.abs(around - median))
        scale = np.maximum(MAD_TO_SD * spread, min_scale)
        distance = np.abs(v - median)
        over = np.where(scale > 0, distance > max_zscore * scale, distance > 0)
        parts.append(np.where(over, SUSPECT, GOOD).astype(np.uint8))
    flags = qartod_compare(*parts)
    flags[(count < min_neighbours) | np.isnan(median)] = UNKNOWN
    return _finish(flags, v)
