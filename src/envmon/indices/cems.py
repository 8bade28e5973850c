"""Pollution-source data: HJ 212 flags, HJ 75 flue-gas rules, wastewater amounts. Pure.

Flue gas (CEMS): valid minutes → hourly means (:func:`hourly_from_minutes`, ≥ 45 valid
``N`` minutes), O2 correction, emission rate and amount, capture rate and the substitution
of invalid hours. Wastewater: discharge amounts, daily volume and flow-weighted daily
means; arithmetic hourly and daily means come from :mod:`envmon.indices.aggregation`.
Permit exceedance for both. Time is on the last axis (hour starts, Beijing time), leading
axes are outlets or pollutants; NaN = missing or invalid.

Confidence tags follow emissions.md: [H] primary text, [M] secondary sources or
third-party code only, [R] recalled and unverified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from envmon.indices import aggregation

__all__ = [
    "FLAG_MEANINGS_2005",
    "FLAG_MEANINGS_2017",
    "REFERENCE_OXYGEN",
    "CemsHourly",
    "DailyVolumes",
    "EmissionAmounts",
    "Exceedance",
    "FlagMasks",
    "Substitution",
    "capture_rate",
    "daily_volume",
    "discharge_amount",
    "emission_amount",
    "emission_rate",
    "exceedance",
    "flag_masks",
    "flow_weighted_daily_means",
    "hourly_from_minutes",
    "oxygen_corrected",
    "substitute_invalid_hours",
    "valid_mask",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

FLAG_MEANINGS_2017: Final[Mapping[str, str]] = {
    "N": "normal (valid)",
    "F": "instrument stopped",
    "M": "maintenance",
    "S": "manually set value",
    "D": "instrument fault",
    "C": "calibration",
    "T": "above the measuring upper limit",
    "B": "instrument–logger communication fault",
}
"""HJ 212-2017 Table 8 data flags [H]. Only ``N`` is valid; ``T`` marks a possible exceedance."""

FLAG_MEANINGS_2005: Final[Mapping[str, str]] = {
    "N": "normal (valid)",
    "F": "source stopped",
    "P": "power fault",
    "C": "calibration",
    "M": "maintenance",
    "T": "above the measuring upper limit",
    "D": "instrument fault",
    "S": "manually set value",
}
"""HJ/T 212-2005 data flags: ``F`` is the *source* stopped, not the instrument [H]."""

REFERENCE_OXYGEN: Final[Mapping[str, float]] = {
    "gb13223_coal_boiler": 6.0,  # [M] thermal power; ultra-low limits are "at 6 % O2"
    "gb13223_oil_gas_boiler": 3.0,  # [M] thermal power, oil- and gas-fired boilers
    "gb13223_gas_turbine": 15.0,  # [M] thermal power, gas turbines
    "gb13271_coal_boiler": 9.0,  # [H] GB 13271-2014 Table 6, industrial/commercial boilers
    "gb13271_oil_gas_boiler": 3.5,  # [H] GB 13271-2014 Table 6
    "gb18485_waste_incinerator": 11.0,  # [R] municipal waste incineration
    "gb4915_cement_kiln": 10.0,  # [R]
}
"""Reference O2 φref [% vol, dry] by emission standard and source type (emissions.md §b).

Coal 6 % / oil-gas 3 % hold only for power-plant boilers (GB 13223); industrial boilers
under GB 13271-2014 use 9 % / 3.5 %. Choose by the standard stored on the outlet.
"""


class FlagMasks(NamedTuple):
    """Per-sample masks: ``valid`` (N), ``over_range`` (T), ``source_stopped`` (2005 F)."""

    valid: BoolArray
    over_range: BoolArray
    source_stopped: BoolArray


class CemsHourly(NamedTuple):
    """Hourly means, valid minutes, and whether any minute of the hour was flagged T."""

    values: FloatArray
    valid_minutes: IntArray
    over_range: BoolArray


class EmissionAmounts(NamedTuple):
    """Emission amount per period [t] and the valid hours summed."""

    amount: FloatArray
    valid_hours: IntArray


class Substitution(NamedTuple):
    """Hourly values with invalid hours substituted, and which hours were."""

    values: FloatArray
    substituted: BoolArray


class DailyVolumes(NamedTuple):
    """Daily discharge volume [m³] and the valid hours summed."""

    volume: FloatArray
    valid_hours: IntArray


class Exceedance(NamedTuple):
    """Whether each value exceeds its limit, and by what multiple (超标倍数)."""

    exceeds: BoolArray
    multiple: FloatArray


def _float(values: npt.ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def _ratio(
    numerator: FloatArray, denominator: FloatArray, where: BoolArray
) -> FloatArray:
    """Divide where ``where`` holds and give NaN elsewhere, without division warnings."""
    shape = np.broadcast_shapes(numerator.shape, denominator.shape, where.shape)
    out: FloatArray = np.full(shape, np.nan)
    np.divide(numerator, denominator, out=out, where=where)
    return out


def flag_masks(
    flags: npt.ArrayLike, *, protocol: Literal["2017", "2005"] = "2017"
) -> FlagMasks:
    """Classify HJ 212 data flags.

    Only ``N`` is valid for a mean. ``T`` (above range) is invalid for a mean but a
    possible exceedance, so it gets its own mask. F, M, S, D, C, B (and 2005 P) are invalid,
    as is any other or absent flag. ``F`` means *source stopped* under HJ/T 212-2005 (an
    hour to leave out of the capture rate) but *instrument stopped* under HJ 212-2017.

    Parameters
    ----------
    flags : array-like of str
        One flag per sample, upper case as HJ 212 sends it.
    protocol : {"2017", "2005"}
        HJ 212-2017, or HJ/T 212-2005 (legacy feeds).

    Returns
    -------
    FlagMasks
        Boolean arrays of the shape of ``flags``.

    References
    ----------
    .. [1] HJ 212-2017 §6.6.4 Table 8 [H]; HJ/T 212-2005 data flags [H]; emissions.md §a.

    Examples
    --------
    >>> flag_masks(["N", "T", "F"], protocol="2005")
    FlagMasks(valid=array([ True, False, False]), over_range=array([False,  True, False]), \
source_stopped=array([False, False,  True]))
    """
    if protocol not in ("2017", "2005"):
        msg = f"unknown protocol {protocol!r}"
        raise ValueError(msg)
    text = np.asarray(flags).astype(str)
    stopped = text == "F" if protocol == "2005" else np.zeros(text.shape, dtype=bool)
    return FlagMasks(text == "N", text == "T", stopped)


def valid_mask(flags: npt.ArrayLike) -> BoolArray:
    """Mark the samples valid for a mean: flag ``N`` (HJ 212-2017 and HJ/T 212-2005 alike).

    Parameters
    ----------
    flags : array-like of str
        HJ 212 data flags.

    Returns
    -------
    ndarray of bool

    References
    ----------
    .. [1] HJ 212-2017 Table 8 [H].

    Examples
    --------
    >>> valid_mask(np.array(["N", "M", "C", "T"], dtype=object))
    array([ True, False, False, False])
    """
    return flag_masks(flags).valid


def hourly_from_minutes(
    values: npt.ArrayLike,
    flags: npt.ArrayLike,
    *,
    per_hour: int = 60,
    min_minutes: int = 45,
) -> CemsHourly:
    """Average CEMS samples into hourly means of the ``N`` minutes, needing ≥ 45 of them.

    Parameters
    ----------
    values : array-like, shape (..., n_hours * per_hour)
        Samples [mg/m³, % or any unit], starting at a clock hour.
    flags : array-like of str, same shape
        HJ 212 data flags.
    per_hour : int, default 60
        Samples per hour; must divide 60.
    min_minutes : int, default 45
        Minimum valid (``N``) minutes per hour.

    Returns
    -------
    CemsHourly
        ``values`` (..., n_hours) [input unit], NaN where invalid; ``valid_minutes``;
        ``over_range``: any ``T`` sample in the hour (alert, do not discard).

    References
    ----------
    .. [1] HJ 75-2017, valid hourly mean ≥ 45 min [R]; HJ 212-2017 Table 8 [H].

    Examples
    --------
    >>> hour = hourly_from_minutes([5.0] * 45 + [90.0] * 15, ["N"] * 45 + ["T"] * 15)
    >>> hour.values, hour.over_range
    (array([5.]), array([ True]))
    """
    masks = flag_masks(flags)
    means = aggregation.hourly_from_minutes(
        values, masks.valid, per_hour=per_hour, min_minutes=min_minutes
    )
    over = masks.over_range.reshape(*means.values.shape, per_hour).any(axis=-1)
    return CemsHourly(means.values, means.valid_minutes, np.asarray(over))


def oxygen_corrected(
    concentration: npt.ArrayLike,
    oxygen_percent: npt.ArrayLike,
    reference_oxygen_percent: npt.ArrayLike,
    *,
    max_oxygen_percent: float | None = 19.0,
) -> FloatArray:
    """Correct a concentration to the reference O2: ρ = ρ'·(21 − φref)/(21 − φ').

    The factor grows without bound as φ' → 21 %: a probe seeing air (leak, dilution, a
    stopped source) would inflate the value. emissions.md cites no national cut-off ("≥
    about 19–20 %: flag, don't correct"), so the cap is our choice: the result is NaN
    where φ' > ``max_oxygen_percent`` (default 19 %), and always where φ' ≥ 21 % or < 0.
    NaN inputs give NaN. No standard read skips the correction when φ' < φref.

    Parameters
    ----------
    concentration : array-like
        ρ' measured [mg/m³, dry, standard state].
    oxygen_percent : array-like
        φ' measured O2 [% vol, dry], the same basis as ρ'.
    reference_oxygen_percent : array-like
        φref [% vol] (``REFERENCE_OXYGEN``).
    max_oxygen_percent : float or None, default 19.0
        [% vol] highest φ' corrected; None keeps only the φ' < 21 % guard.

    Returns
    -------
    ndarray
        ρ [mg/m³] at the reference O2, broadcast shape.

    References
    ----------
    .. [1] GB 13271-2014 §5.2 [H]; GB 13223-2011 (same form) [M]; emissions.md §b.

    Examples
    --------
    >>> oxygen_corrected(30.0, [16.0, 19.5, np.nan], 15.0)  # gas turbine: 30 * 6 / 5
    array([36., nan, nan])
    """
    measured = _float(oxygen_percent)
    reference = _float(reference_oxygen_percent)
    cap = 21.0 if max_oxygen_percent is None else min(max_oxygen_percent, 21.0)
    usable = (
        (measured >= 0.0) & (measured < 21.0) & (measured <= cap) & (reference < 21.0)
    )
    return np.asarray(
        _float(concentration) * _ratio(21.0 - reference, 21.0 - measured, usable)
    )


def emission_rate(concentration: npt.ArrayLike, flow: npt.ArrayLike) -> FloatArray:
    """Emission rate G = ρ'·Q·10⁻⁶.

    Parameters
    ----------
    concentration : array-like
        ρ' measured (not O2-corrected) [mg/m³, dry, standard state].
    flow : array-like
        Q flue-gas flow [m³/h, dry, standard state].

    Returns
    -------
    ndarray
        [kg/h]; NaN where either input is NaN.

    References
    ----------
    .. [1] HJ 75-2017 (emission rate in kg/h, amount = Σ concentration × flow) [H].

    Examples
    --------
    >>> emission_rate(35.0, 1.2e6)  # 35 mg/m³ * 1.2e6 m³/h = 4.2e7 mg/h
    array(42.)
    """
    return np.asarray(_float(concentration) * _float(flow) * 1e-6)


def emission_amount(
    rates: npt.ArrayLike, *, period_hours: int | Sequence[int] = 24
) -> EmissionAmounts:
    """Emission amount per period: Σ hourly rate × 1 h over the valid hours.

    Invalid hours add nothing: run :func:`substitute_invalid_hours` first where HJ 75
    substitution applies.

    Parameters
    ----------
    rates : array-like, shape (..., n_hours)
        Hourly emission rates [kg/h].
    period_hours : int or sequence of int, default 24
        Period length [h] (24 = daily), or each period's length (e.g. the hours of each
        month) summing to n_hours.

    Returns
    -------
    EmissionAmounts
        ``amount`` (..., n_periods) [t], NaN where no hour is valid; ``valid_hours``.

    References
    ----------
    .. [1] HJ 75-2017 (emission amount = Σ hourly concentration × flow) [H].

    Examples
    --------
    >>> emission_amount([42.0] * 23 + [np.nan], period_hours=24)  # 23 h * 42 kg = 966 kg
    EmissionAmounts(amount=array([0.966]), valid_hours=array([23]))
    """
    values = _float(rates)
    hours = values.shape[-1]
    if isinstance(period_hours, int):
        lengths = np.full(hours // max(period_hours, 1), period_hours)
    else:
        lengths = np.asarray(period_hours, dtype=np.int64)
    if lengths.size == 0 or lengths.min() < 1 or lengths.sum() != hours:
        msg = f"period_hours {period_hours} do not tile the {hours} hours"
        raise ValueError(msg)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    valid = ~np.isnan(values)
    total = np.add.reduceat(np.where(valid, values, 0.0), starts, axis=-1)
    count = np.add.reduceat(valid.astype(np.int64), starts, axis=-1)
    return EmissionAmounts(np.where(count > 0, total / 1000.0, np.nan), count)


def capture_rate(
    period_hours: npt.ArrayLike,
    invalid_hours: npt.ArrayLike,
    shutdown_hours: npt.ArrayLike = 0,
) -> FloatArray:
    """Effective data capture rate (有效数据捕集率), α = (T − S − I)/(T − S) × 100.

    Parameters
    ----------
    period_hours : array-like
        T, hours in the period (a quarter) [h].
    invalid_hours : array-like
        I, hours without a valid hourly mean while the source ran [h].
    shutdown_hours : array-like, default 0
        S, hours the source was stopped [h].

    Returns
    -------
    ndarray
        α [%]; NaN where T − S ≤ 0.

    References
    ----------
    .. [1] HJ 75-2017, as computed by production CEMS code [M] (emissions.md §a).

    Examples
    --------
    >>> capture_rate(2184, 100, 184)  # (2184 - 184 - 100) / 2000 = 95 %
    array(95.)
    """
    running = _float(period_hours) - _float(shutdown_hours)
    return np.asarray(
        100.0 * _ratio(running - _float(invalid_hours), running, running > 0)
    )


def _shifted(values: FloatArray, offset: int) -> FloatArray:
    out = np.full(values.shape, -np.inf)
    offset = min(offset, values.shape[-1])
    out[..., offset:] = values[..., : values.shape[-1] - offset]
    return out


def _trailing_max(values: FloatArray, window: int) -> FloatArray:
    """Max of values[j − window + 1 … j] for each j, in O(n log window) whole-array steps."""
    result, span, window = values, 1, max(1, min(window, values.shape[-1]))
    while span * 2 <= window:
        result, span = np.maximum(result, _shifted(result, span)), span * 2
    return (
        np.maximum(result, _shifted(result, window - span)) if span < window else result
    )


def substitute_invalid_hours(
    hourly: npt.ArrayLike,
    capture_rate_percent: npt.ArrayLike,
    *,
    source_stopped: npt.ArrayLike | None = None,
) -> Substitution:
    """Fill invalid hours for emission-amount accounting per the HJ 75-2017 rule [M].

    For a gap of N consecutive invalid hours (source running): with α ≥ 90 %, the maximum
    of the 180 valid hours before the gap if N ≤ 24, else of the 720 before; with
    75 % ≤ α < 90 %, of the 2160 before. Below 75 % (or with no earlier valid hour) the
    hour stays NaN. For total-load accounting of SO2, NOx, PM only: never use the result
    to judge concentrations or compliance. The superseded HJ/T 75-2007 used the mean of the
    hours before and after instead.

    Parameters
    ----------
    hourly : array-like, shape (..., n_hours)
        Hourly emission rates [kg/h] (or the concentration and flow series, separately).
    capture_rate_percent : array-like, shape (...)
        α of each series for the period [%] (:func:`capture_rate`).
    source_stopped : array-like of bool, shape (..., n_hours), optional
        Hours the source was stopped: never substituted; they end a gap.

    Returns
    -------
    Substitution
        ``values`` [input unit] and the ``substituted`` mask.

    References
    ----------
    .. [1] HJ 75-2017 data substitution, from production code [M]; emissions.md §a.

    Examples
    --------
    >>> substitute_invalid_hours([3.0, 5.0, 4.0, np.nan, np.nan], 95.0).values
    array([3., 5., 4., 5., 5.])
    """
    values = _float(hourly)
    valid = ~np.isnan(values)
    stopped = np.zeros(values.shape, bool) if source_stopped is None else source_stopped
    gap = ~valid & ~np.asarray(stopped, dtype=bool)
    index = np.broadcast_to(np.arange(values.shape[-1]), values.shape)
    before = np.maximum.accumulate(np.where(gap, -1, index), axis=-1)
    after = np.minimum.accumulate(
        np.where(gap, values.shape[-1], index)[..., ::-1], axis=-1
    )
    run = after[..., ::-1] - before - 1
    alpha = _float(capture_rate_percent)[..., None]
    window = np.where(alpha >= 90.0, np.where(run <= 24, 180, 720), 0)
    window = np.where((alpha >= 75.0) & (alpha < 90.0), 2160, window)
    # Pack each series' valid values to the front: a maximum over "the k valid hours
    # before" becomes a trailing maximum at the number of valid hours before the gap.
    order = np.argsort(~valid, axis=-1, kind="stable")
    packed = np.take_along_axis(np.where(valid, values, -np.inf), order, axis=-1)
    seen = np.cumsum(valid, axis=-1) - valid
    position = np.maximum(seen - 1, 0)
    result = values.copy()
    filled = np.zeros(values.shape, dtype=bool)
    for size in (180, 720, 2160):
        chosen = gap & (window == size) & (seen > 0)
        maxima = np.take_along_axis(_trailing_max(packed, size), position, axis=-1)
        result = np.where(chosen, maxima, result)
        filled |= chosen
    return Substitution(result, filled)


def discharge_amount(concentration: npt.ArrayLike, volume: npt.ArrayLike) -> FloatArray:
    """Wastewater pollutant amount = c·V·10⁻³ (1 mg/L = 1 g/m³).

    Parameters
    ----------
    concentration : array-like
        c [mg/L].
    volume : array-like
        V discharged [m³].

    Returns
    -------
    ndarray
        [kg]; NaN where either input is NaN.

    References
    ----------
    .. [1] HJ 75-2017 by analogy (amount = Σ concentration × flow); emissions.md §a.

    Examples
    --------
    >>> discharge_amount(50.0, 2000.0)  # 50 g/m³ * 2000 m³ = 100 kg
    array(100.)
    """
    return np.asarray(_float(concentration) * _float(volume) * 1e-3)


def daily_volume(hourly_flow: npt.ArrayLike, *, min_hours: int = 20) -> DailyVolumes:
    """Daily discharge volume: Σ hourly flow × 1 h over the valid hours of each day.

    Missing hours are not scaled up. ``min_hours`` (default 20, as for daily means) is our
    choice: HJ 355/356-2019 were not read.

    Parameters
    ----------
    hourly_flow : array-like, shape (..., n_days * 24)
        Hourly flow [m³/h], starting at 00:00.
    min_hours : int, default 20
        Days with fewer valid hours give NaN.

    Returns
    -------
    DailyVolumes
        ``volume`` (..., n_days) [m³]; ``valid_hours``.

    References
    ----------
    .. [1] GB 18918-2002 §4.1.4 (automatic flow meter; daily judgement) [H].

    Examples
    --------
    >>> daily_volume([100.0] * 24)
    DailyVolumes(volume=array([2400.]), valid_hours=array([24]))
    """
    means = aggregation.daily_means(hourly_flow, min_hours=min_hours)
    return DailyVolumes(means.values * means.valid_hours, means.valid_hours)


def flow_weighted_daily_means(
    concentration: npt.ArrayLike, hourly_volume: npt.ArrayLike, *, min_hours: int = 20
) -> aggregation.DailyMeans:
    """Flow-weighted daily mean Σ cᵢVᵢ / Σ Vᵢ, the online analogue of a 24-h composite.

    Only hours with both values valid count. Arithmetic means: use
    :func:`envmon.indices.aggregation.daily_means`.

    Parameters
    ----------
    concentration : array-like, shape (..., n_days * 24)
        Hourly concentration [mg/L].
    hourly_volume : array-like, same shape
        Volume discharged in each hour [m³].
    min_hours : int, default 20
        Minimum hours with both valid (our choice, as for daily means).

    Returns
    -------
    DailyMeans
        ``values`` [mg/L], NaN where too few hours or no volume; ``valid_hours``.

    References
    ----------
    .. [1] GB 18918-2002 §4.1.4 (flow-proportional 24-h composite, daily mean) [H].

    Examples
    --------
    >>> flow_weighted_daily_means([40.0] * 12 + [60.0] * 12, [1.0] * 12 + [3.0] * 12).values
    array([55.])
    """
    conc, volume = np.broadcast_arrays(_float(concentration), _float(hourly_volume))
    both = ~np.isnan(conc) & ~np.isnan(volume)
    loads = aggregation.daily_means(np.where(both, conc * volume, np.nan), min_hours=1)
    volumes = aggregation.daily_means(np.where(both, volume, np.nan), min_hours=1)
    enough = (loads.valid_hours >= min_hours) & (volumes.values > 0)
    means = _ratio(loads.values, volumes.values, enough)
    return aggregation.DailyMeans(means, loads.valid_hours)


def exceedance(
    values: npt.ArrayLike,
    limit: npt.ArrayLike,
    lower_limit: npt.ArrayLike | None = None,
) -> Exceedance:
    """Permit exceedance (超标) and multiple (超标倍数) = (value − limit)/limit.

    A value equal to the limit complies. With ``lower_limit`` (pH 6–9), a value below it
    exceeds by (lower − value)/lower. NaN never exceeds (multiple NaN); a compliant value
    has multiple 0. ``T``-flagged hours carry no valid value: alert on
    :attr:`CemsHourly.over_range` separately.

    Parameters
    ----------
    values : array-like
        Valid hourly or daily means, O2-corrected where the standard says so [limit unit].
    limit : array-like
        Upper limit, broadcast against ``values`` [same unit].
    lower_limit : array-like, optional
        Lower limit [same unit].

    Returns
    -------
    Exceedance
        ``exceeds`` (bool) and ``multiple`` [1].

    References
    ----------
    .. [1] emissions.md §d (each valid hourly or daily mean against the limit; "≤ limit" is
       compliant); GB 18918-2002 Table 1 (pH 6–9).

    Examples
    --------
    >>> exceedance([30.0, 45.0, np.nan], 30.0)  # (45 - 30) / 30 = 0.5
    Exceedance(exceeds=array([False,  True, False]), multiple=array([0. , 0.5, nan]))
    """
    value, upper = np.broadcast_arrays(_float(values), _float(limit))
    above = value > upper
    multiple = np.where(above, _ratio(value - upper, upper, above), 0.0)
    exceeds = above
    if lower_limit is not None:
        lower = np.broadcast_to(_float(lower_limit), value.shape)
        below = value < lower
        multiple = np.where(below, _ratio(lower - value, lower, below), multiple)
        exceeds = above | below
    return Exceedance(exceeds, np.where(np.isnan(value), np.nan, multiple))
