"""Air quality index (AQI) of HJ 633-2012 and HJ 633-2026, vectorised over rows. Pure.

The rule set follows the data's time (:func:`standard_for`): HJ 633-2012 for Beijing dates
before 2026-03-01, HJ 633-2026 from then on. Tables live in :mod:`envmon.indices.tables`.

Choices where the standards are silent or ambiguous:

* Concentrations are rounded by GB/T 8170 (half to even) to integers [µg/m³] and to 0.1
  [mg/m³] for CO *before* the IAQI formula, under both standards (``round_inputs=True``).
  HJ 633-2026 §4.2.2 says so; for 2012, CNEMC publishes such values and HJ 663 requires
  GB/T 8170. Pass ``round_inputs=False`` to feed the formula unrounded values.
* Above the top breakpoint the IAQI is capped at 500 and flagged ``beyond_table``.
* A missing, NaN or negative concentration gives no IAQI; the AQI is the maximum over the
  indicators that could be evaluated (HJ 633-2026 §5.3, applied to 2012 data as well, with
  the missing indicators reported).
* HJ 633-2012, SO2 1-h above 800 [µg/m³] and O3 8-h above 800 [µg/m³]: the IAQI of SO2 24-h
  (``so2_24h``, an auxiliary input of the hourly report) and of O3 1-h (``o3_1h`` or
  ``o3_1h_max``) is reported in their place; if that one is missing too, so is the slot.
* Primary pollutants list indicator names; two O3 indicators tied at the maximum (under 2012,
  e.g. through the O3 8-h fallback) are both listed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from envmon.indices.tables import (
    ABOVE_TOP_IAQI,
    AUXILIARY,
    BREAKPOINTS,
    CUTOVER,
    FALLBACK,
    IAQI_STEPS,
    INDICATOR_INFO,
    INDICATORS,
    LEVELS,
    AqiMode,
    AqiStandard,
    Indicator,
    Level,
    level_of,
    standard_for,
)
from envmon.timeutil import parse_instant

__all__ = [
    "AUXILIARY",
    "BREAKPOINTS",
    "CUTOVER",
    "INDICATORS",
    "INDICATOR_INFO",
    "LEVELS",
    "AqiArrays",
    "AqiMode",
    "AqiResult",
    "AqiStandard",
    "Indicator",
    "Level",
    "aqi_arrays",
    "evaluate",
    "evaluate_record",
    "iaqi",
    "level_of",
    "round_concentration",
    "standard_for",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

_Choice = TypeVar("_Choice", AqiStandard, AqiMode)


def _info(indicator: str) -> Indicator:
    try:
        return INDICATOR_INFO[indicator]
    except KeyError:
        msg = f"unknown indicator {indicator!r}; known: {', '.join(INDICATOR_INFO)}"
        raise ValueError(msg) from None


def round_concentration(indicator: str, values: npt.ArrayLike) -> FloatArray:
    """Round concentrations by GB/T 8170 (half to even) to the digit HJ 633-2026 keeps.

    Parameters
    ----------
    indicator : str
        Indicator name, e.g. ``"pm25_24h"`` or ``"co_1h"``.
    values : array-like
        Concentrations [µg/m³], CO [mg/m³]; NaN stays NaN.

    Returns
    -------
    numpy.ndarray
        float64: integers [µg/m³], or 1 decimal [mg/m³] for CO. Binary noise is removed
        first (rounding to 9 decimals after scaling), so 0.15 mg/m³ rounds as the decimal 0.15.

    Raises
    ------
    ValueError
        If ``indicator`` is unknown.

    References
    ----------
    .. [1] HJ 633-2026 §4.2.2; GB/T 8170-2008 (数值修约规则, 四舍六入五成双).

    Examples
    --------
    >>> round_concentration("pm25_24h", [34.5, 35.5, 35.51]).tolist()
    [34.0, 36.0, 36.0]
    >>> round_concentration("co_24h", [0.15, 0.25, 0.35]).tolist()
    [0.2, 0.2, 0.4]
    """
    scale = 10.0 ** _info(indicator).decimals
    scaled = np.asarray(values, dtype=np.float64) * scale
    rounded: FloatArray = np.rint(np.round(scaled, 9)) / scale
    return rounded


def _prepare(indicator: str, values: npt.ArrayLike, round_inputs: bool) -> FloatArray:
    concentration = np.asarray(values, dtype=np.float64)
    # Negative concentrations are invalid (aqi.md §2): treated like missing values.
    concentration = np.where(concentration >= 0, concentration, np.nan)
    if round_inputs:
        return round_concentration(indicator, concentration)
    return concentration


def _table(standard: AqiStandard, indicator: str) -> tuple[float, ...]:
    tables = BREAKPOINTS[standard]
    if indicator not in tables:
        msg = f"unknown indicator {indicator!r} for {standard}; known: {', '.join(tables)}"
        raise ValueError(msg)
    return tables[indicator]


def _sub_index(
    indicator: str, concentration: FloatArray, standard: AqiStandard
) -> tuple[FloatArray, BoolArray]:
    """IAQI of already prepared concentrations, and where the table was exceeded."""
    breakpoints = np.array(_table(standard, indicator))
    steps = np.array(IAQI_STEPS[: breakpoints.size])
    segment = np.searchsorted(breakpoints, concentration, side="right") - 1
    segment = np.clip(segment, 0, breakpoints.size - 2)
    low, high = breakpoints[segment], breakpoints[segment + 1]
    # HJ 633 formula (1); HJ 633-2012 §6.2: round up (after removing float noise).
    raw = (steps[segment + 1] - steps[segment]) / (high - low) * (concentration - low)
    value = np.ceil(np.round(raw + steps[segment], 9))
    above = concentration > breakpoints[-1]
    special = ABOVE_TOP_IAQI[standard]
    value = np.where(above, special.get(indicator, 500.0), value)
    return value, above & (indicator not in special)


def iaqi(
    indicator: str,
    concentration: npt.ArrayLike,
    *,
    standard: AqiStandard | str,
    round_inputs: bool = True,
) -> FloatArray:
    """Compute the individual air quality index (IAQI, 空气质量分指数) of one indicator.

    Parameters
    ----------
    indicator : str
        Indicator name, one of ``BREAKPOINTS[standard]`` (e.g. ``"pm25_24h"``).
    concentration : array-like
        Concentrations [µg/m³], CO [mg/m³]. NaN or negative means missing.
    standard : AqiStandard or str
        ``"HJ633-2012"`` or ``"HJ633-2026"``.
    round_inputs : bool, default True
        Round by :func:`round_concentration` before the formula.

    Returns
    -------
    numpy.ndarray
        float64 integers in [0, 500]; NaN where missing. Capped at 500 above the top
        breakpoint. Above 800 [µg/m³], SO2 1-h and O3 8-h give NaN under 2012 (the
        evaluation functions substitute SO2 24-h / O3 1-h), 200 and 300 under 2026.

    Raises
    ------
    ValueError
        If ``standard`` has no such indicator (the message lists the known ones).

    References
    ----------
    .. [1] HJ 633-2012 Table 1 and notes, formula (1), §6.2; HJ 633-2026 Table 1, §4.2.2.

    Examples
    --------
    >>> iaqi("pm25_24h", [140.0, 35.5, -1.0], standard="HJ633-2012").tolist()
    [186.0, 52.0, nan]
    >>> iaqi("pm25_24h", 60, standard="HJ633-2026").tolist()
    100.0
    """
    chosen = _parse(AqiStandard, standard, "standard")
    _table(chosen, indicator)
    concentration = _prepare(indicator, concentration, round_inputs)
    return _sub_index(indicator, concentration, chosen)[0]


@dataclass(frozen=True)
class AqiArrays:
    """AQI of many rows; every array has the broadcast shape of the inputs."""

    standard: AqiStandard
    mode: AqiMode
    aqi: FloatArray
    """AQI, integers as float64; NaN where no indicator could be evaluated."""
    level: IntArray
    """Level 1-6, 0 where the AQI is NaN."""
    iaqi: dict[str, FloatArray]
    """IAQI of every indicator of ``INDICATORS[standard, mode]`` (NaN where missing)."""
    beyond_table: dict[str, BoolArray]
    """True where the concentration exceeded the top breakpoint and the IAQI was capped."""
    missing: dict[str, BoolArray]
    """True where the indicator could not be evaluated."""
    publishable: BoolArray
    """HJ 633-2026 §5.3: with an indicator missing, publish the AQI only above 100."""


def _parse(kind: type[_Choice], value: str, what: str) -> _Choice:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(repr(member.value) for member in kind)
        msg = f"unknown {what} {value!r}; expected one of {choices}"
        raise ValueError(msg) from None


def _check_keys(
    keys: Iterable[str], standard: AqiStandard, mode: AqiMode
) -> tuple[str, ...]:
    allowed = INDICATORS[standard, mode] + AUXILIARY.get((standard, mode), ())
    unknown = sorted(set(keys) - set(allowed))
    if unknown:
        msg = f"unknown indicators {unknown} for {standard} {mode}; expected {list(allowed)}"
        raise ValueError(msg)
    return allowed


def aqi_arrays(
    concentrations: Mapping[str, npt.ArrayLike],
    *,
    standard: AqiStandard | str,
    mode: AqiMode | str,
    round_inputs: bool = True,
) -> AqiArrays:
    """Compute IAQIs, AQI, level and flags for many rows at once.

    Parameters
    ----------
    concentrations : mapping of str to array-like
        Indicator name to concentrations [µg/m³], CO [mg/m³]; arrays broadcast together.
        Absent keys, NaN and negative values are missing. Keys must belong to
        ``INDICATORS[standard, mode]`` or ``AUXILIARY[standard, mode]``.
    standard : AqiStandard or str
        ``"HJ633-2012"`` or ``"HJ633-2026"`` (see :func:`standard_for`).
    mode : AqiMode or str
        ``"hourly"`` (real-time report) or ``"daily"``.
    round_inputs : bool, default True
        Round by :func:`round_concentration` before the formula.

    Returns
    -------
    AqiArrays
        AQI = maximum of the evaluable IAQIs (formula (2)).

    Raises
    ------
    ValueError
        For an unknown standard, mode or indicator.

    References
    ----------
    .. [1] HJ 633-2012 Table 1 and notes, formula (2); HJ 633-2026 Table 1, §5.3.

    Examples
    --------
    >>> result = aqi_arrays({"pm25_24h": [140, 20], "pm10_24h": [180, 30]},
    ...                     standard="HJ633-2012", mode="daily")
    >>> result.aqi.tolist(), result.level.tolist()
    ([186.0, 30.0], [4, 1])
    """
    chosen = _parse(AqiStandard, standard, "standard")
    report = _parse(AqiMode, mode, "mode")
    allowed = _check_keys(concentrations, chosen, report)
    prepared = {
        name: _prepare(name, values, round_inputs)
        for name, values in concentrations.items()
    }
    shape = np.broadcast_shapes(*(values.shape for values in prepared.values()))
    nothing = np.full(shape, np.nan)
    values = {
        name: np.broadcast_to(prepared.get(name, nothing), shape) for name in allowed
    }
    sub, beyond = {}, {}
    for name in allowed:
        sub[name], beyond[name] = _sub_index(name, values[name], chosen)
    if chosen is AqiStandard.HJ633_2012:
        # HJ 633-2012 Table 1 notes (2), (3): report the other indicator's IAQI instead.
        for name, source in FALLBACK.items():
            if name in sub and source in sub:
                above = values[name] > BREAKPOINTS[chosen][name][-1]
                sub[name] = np.where(above, sub[source], sub[name])
                beyond[name] = np.where(above, beyond[source], beyond[name])
    indicators = INDICATORS[chosen, report]
    aqi = np.fmax.reduce(np.stack([sub[name] for name in indicators]), axis=0)
    missing = {name: np.isnan(sub[name]) for name in indicators}
    complete = ~np.logical_or.reduce([missing[name] for name in indicators])
    # HJ 633-2026 §5.3: with an indicator missing, the AQI is published only above 100.
    lenient = chosen is AqiStandard.HJ633_2012
    publishable = ~np.isnan(aqi) & (lenient | complete | (aqi > 100))
    return AqiArrays(
        standard=chosen,
        mode=report,
        aqi=np.asarray(aqi, dtype=np.float64),
        level=level_of(aqi),
        iaqi={name: sub[name] for name in indicators},
        beyond_table={
            name: np.asarray(beyond[name], dtype=np.bool_) for name in indicators
        },
        missing=missing,
        publishable=np.asarray(publishable, dtype=np.bool_),
    )


@dataclass(frozen=True)
class AqiResult:
    """AQI report of one row: what a daily or real-time report publishes."""

    standard: AqiStandard
    mode: AqiMode
    aqi: int | None
    level: int | None
    category: str | None
    """Chinese category, e.g. ``"轻度污染"``."""
    category_en: str | None
    rgb: tuple[int, int, int] | None
    iaqi: dict[str, int]
    """IAQI of the evaluated indicators, in the standard's order."""
    primary: tuple[str, ...]
    """首要污染物: indicators tied at the maximum IAQI; empty unless AQI > 50."""
    exceeding: tuple[str, ...]
    """超标污染物 (HJ 633-2012 only): indicators with IAQI > 100; empty under 2026."""
    beyond_table: tuple[str, ...]
    missing: tuple[str, ...]
    publishable: bool
    """False when an indicator is missing and AQI <= 100 under 2026, or when AQI is None."""

    def as_json(self) -> dict[str, object]:
        """Return the result as JSON-ready plain values."""
        return {
            "aqi": self.aqi,
            "level": self.level,
            "category": self.category,
            "category_en": self.category_en,
            "rgb": None if self.rgb is None else list(self.rgb),
            "iaqi": dict(self.iaqi),
            "primary": list(self.primary),
            "exceeding": list(self.exceeding),
            "beyond_table": list(self.beyond_table),
            "missing": list(self.missing),
            "publishable": self.publishable,
            "standard": self.standard.value,
            "mode": self.mode.value,
        }


def evaluate(
    concentrations: Mapping[str, float | None],
    *,
    standard: AqiStandard | str,
    mode: AqiMode | str,
    round_inputs: bool = True,
) -> AqiResult:
    """Evaluate one row: AQI, level, primary and exceeding pollutants.

    Parameters
    ----------
    concentrations : mapping of str to float or None
        Indicator name to concentration [µg/m³], CO [mg/m³]; None, NaN or absent = missing.
    standard, mode, round_inputs
        As for :func:`aqi_arrays`, which does the computation.

    Returns
    -------
    AqiResult

    Raises
    ------
    ValueError
        For an unknown standard, mode or indicator.

    References
    ----------
    .. [1] HJ 633-2012 Table 2 (levels), 首要污染物 and 超标污染物; HJ 633-2026 Table 1, §5.3.

    Examples
    --------
    >>> result = evaluate({"pm25_24h": 140, "pm10_24h": 180, "no2_24h": 68},
    ...                   standard="HJ633-2012", mode="daily")
    >>> result.aqi, result.category, result.primary, result.exceeding
    (186, '中度污染', ('pm25_24h',), ('pm10_24h', 'pm25_24h'))
    """
    row = {
        name: np.array([math.nan if value is None else value], dtype=np.float64)
        for name, value in concentrations.items()
    }
    arrays = aqi_arrays(row, standard=standard, mode=mode, round_inputs=round_inputs)
    sub = {
        name: int(v.flat[0])
        for name, v in arrays.iaqi.items()
        if not np.isnan(v.flat[0])
    }
    aqi = None if np.isnan(arrays.aqi.flat[0]) else int(arrays.aqi.flat[0])
    level = None if aqi is None else LEVELS[int(arrays.level.flat[0]) - 1]
    primary = (
        () if aqi is None or aqi <= 50 else tuple(n for n, v in sub.items() if v == aqi)
    )
    exceeding: tuple[str, ...] = ()
    if arrays.standard is AqiStandard.HJ633_2012:
        exceeding = tuple(name for name, value in sub.items() if value > 100)
    return AqiResult(
        standard=arrays.standard,
        mode=arrays.mode,
        aqi=aqi,
        level=None if level is None else level.number,
        category=None if level is None else level.category,
        category_en=None if level is None else level.category_en,
        rgb=None if level is None else level.rgb,
        iaqi=sub,
        primary=primary,
        exceeding=exceeding,
        beyond_table=tuple(
            n for n, flag in arrays.beyond_table.items() if flag.flat[0]
        ),
        missing=tuple(n for n, flag in arrays.missing.items() if flag.flat[0]),
        publishable=bool(arrays.publishable.flat[0]),
    )


def _record_standard(record: Mapping[str, object], standard: str) -> AqiStandard:
    text = record.get("time")
    at = None
    if text is not None:
        if not isinstance(text, str):
            msg = f"'time' must be an ISO 8601 string, got {text!r}"
            raise ValueError(msg)
        at = parse_instant(text)
    if standard != "auto":
        return _parse(AqiStandard, standard, "standard")
    if at is None:
        msg = "record has no 'time'; standard 'auto' needs it to choose the rules"
        raise ValueError(msg)
    return standard_for(at)


def _number(key: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{key!r} must be a number, got {value!r}"
        raise ValueError(msg)
    if not math.isfinite(value) or value < 0:
        msg = f"{key!r} must be a finite, non-negative concentration, got {value!r}"
        raise ValueError(msg)
    return float(value)


def evaluate_record(
    record: Mapping[str, object], *, standard: str, mode: str
) -> dict[str, object]:
    """Evaluate one JSON record, as the CLI does for each line it reads.

    Parameters
    ----------
    record : mapping
        Indicator name to concentration [µg/m³], CO [mg/m³] (JSON numbers; null = missing),
        and optionally ``"time"``: ISO 8601, the interval start; no offset means Beijing time.
    standard : str
        ``"auto"`` (choose by ``time`` through :func:`standard_for`), ``"HJ633-2012"`` or
        ``"HJ633-2026"``.
    mode : str
        ``"hourly"`` or ``"daily"``.

    Returns
    -------
    dict
        :meth:`AqiResult.as_json`.

    Raises
    ------
    ValueError
        Naming the problem: an unknown standard, mode or key, a bad or (under ``"auto"``)
        missing ``time``, a non-numeric, non-finite or negative value.

    References
    ----------
    .. [1] HJ 633-2012; HJ 633-2026 (effective 2026-03-01).

    Examples
    --------
    >>> out = evaluate_record({"time": "2026-03-01T00:00", "pm25_24h": 60},
    ...                       standard="auto", mode="daily")
    >>> out["standard"], out["aqi"], out["missing"][:2], out["publishable"]
    ('HJ633-2026', 100, ['so2_24h', 'no2_24h'], False)
    """
    chosen = _record_standard(record, standard)
    report = _parse(AqiMode, mode, "mode")
    _check_keys((key for key in record if key != "time"), chosen, report)
    concentrations = {
        key: _number(key, value) for key, value in record.items() if key != "time"
    }
    return evaluate(concentrations, standard=chosen, mode=report).as_json()
