"""Falsification signatures as pure detectors over arrays (falsification.md §3). Pure.

Each detector takes an outlet's series on one time axis (numpy arrays, times as
``datetime64``, sorted) and returns :class:`Hit` objects: which signature, where (index
range ``[start, stop)`` of the input), a score in [0, 1] and the numbers behind it. A hit is
a lead for review, never a finding of falsification (falsification.md, preamble).

Scores: every detector compares one measured quantity ``x`` with the threshold ``t`` the
reference suggests (or the one given) and scores ``min(1, x / (2 t))`` where larger is
worse, so a hit just at the threshold scores 0.5 and one twice as far 1.0; where smaller
is worse the ratio is inverted. Thresholds are the reference's "starting thresholds; tune
per site" and every one is a parameter.

Signatures here (numbers as in falsification.md §3): 1 frozen output while running,
2 values pinned just below the limit, 4 dilution (O2 above the unit's own O2 at that
load), 5 O2 implausibly low or inconsistent with CO2, 6 sampling interference (all gases
fall as O2 rises), 8 series copied across outlets, 9 data reported while production is
stopped, 10 stopped/fault flags or gaps while producing, 14 packets with perfectly
regular delays, 15 abatement off while data look normal.

References
----------
.. [1] 环发〔2015〕175号 (环境监测数据弄虚作假行为判定及处理办法), Art. 4 and 5.
.. [2] 法释〔2016〕29号 and 法释〔2023〕7号 (两高 interpretations), see falsification.md §1.2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "STOPPED_FLAGS",
    "Hit",
    "abatement_off",
    "copied_series",
    "data_while_stopped",
    "dilution",
    "flags_while_producing",
    "frozen_output",
    "oxygen_manipulation",
    "pinned_below_limit",
    "regular_timestamps",
    "runs",
    "sampling_interference",
]

FloatArray = npt.NDArray[np.float64]
STOPPED_FLAGS: Final = frozenset({"F", "M", "D", "C", "B", "P"})
"""HJ 212 data flags that say "not measuring normally" (stopped, maintenance, fault,
calibration, communication, power): data under them do not count as normal output."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One stretch of data showing a signature."""

    signature: int
    """Number of the signature in falsification.md §3."""
    name: str
    start: int
    """First index of the stretch in the input arrays."""
    stop: int
    """Index after the stretch."""
    score: float
    """Strength in [0, 1]: 0.5 at the threshold, 1.0 at twice it (module docstring)."""
    evidence: Mapping[str, float | int | str] = field(default_factory=dict)
    """The numbers that triggered it, with units in their names."""


def _seconds(times: npt.ArrayLike, size: int) -> npt.NDArray[np.int64]:
    array = np.asarray(times).astype("datetime64[s]")
    if array.shape != (size,):
        msg = f"times have shape {array.shape}, values have {size} points"
        raise ValueError(msg)
    seconds = array.view(np.int64)
    if size > 1 and (np.diff(seconds) < 0).any():
        msg = "times must be sorted"
        raise ValueError(msg)
    return seconds


def _score(measured: float, threshold: float) -> float:
    if threshold <= 0:
        return 1.0
    return float(min(1.0, max(0.0, measured / (2.0 * threshold))))


def runs(mask: npt.ArrayLike) -> list[tuple[int, int]]:
    """``[start, stop)`` of every run of True in a boolean array.

    Examples
    --------
    >>> runs([False, True, True, False, True])
    [(1, 3), (4, 5)]
    """
    flags = np.asarray(mask, dtype=bool)
    if flags.size == 0:
        return []
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def _span_seconds(
    seconds: npt.NDArray[np.int64], start: int, stop: int, step: int
) -> int:
    """Duration of points ``start … stop − 1``, each standing for ``step`` seconds."""
    return int(seconds[stop - 1] - seconds[start]) + step


def _long_runs(
    mask: npt.ArrayLike, seconds: npt.NDArray[np.int64], min_seconds: float
) -> list[tuple[int, int, int]]:
    """``(start, stop, duration [s])`` of the runs of True lasting ``min_seconds`` or
    more, each point standing for the series' usual interval (:func:`_step`)."""
    step = _step(seconds)
    found = []
    for start, stop in runs(mask):
        duration = _span_seconds(seconds, start, stop, step)
        if duration >= min_seconds:
            found.append((start, stop, duration))
    return found


def _step(seconds: npt.NDArray[np.int64]) -> int:
    """The series' usual interval [s] (median spacing; 60 for a single point)."""
    if seconds.size < 2:
        return 60
    return max(1, int(np.median(np.diff(seconds))))


def frozen_output(
    times: npt.ArrayLike,
    values: npt.ArrayLike,
    running: npt.ArrayLike,
    *,
    min_seconds: float = 1800.0,
    tolerance: float = 0.0,
    floor: float | None = None,
) -> list[Hit]:
    """Signature 1: the same value for a long run while the source is running.

    Parameters
    ----------
    times : array-like of datetime64
        Data times [UTC], sorted.
    values : array-like of float
        Reported values [parameter unit]; NaN = missing (a gap ends a run).
    running : array-like of bool
        True where production is above its idle threshold.
    min_seconds : float, default 1800
        Shortest run reported [s]: 30 identical minute values (falsification.md §3 #1).
    tolerance : float, default 0
        Largest step still "identical" [parameter unit].
    floor : float, optional
        Values at or below it (detection limit, quantised low range) are not reported.

    Returns
    -------
    list of Hit
        One per run; evidence: ``value``, ``duration_s``, ``points``.
    """
    v = np.asarray(values, dtype=np.float64)
    seconds = _seconds(times, v.size)
    active = np.asarray(running, dtype=bool)
    step = _step(seconds)
    same = np.zeros(v.size, dtype=bool)
    with np.errstate(invalid="ignore"):
        same[1:] = np.abs(np.diff(v)) <= tolerance
    # a point belongs to a run if it equals its predecessor or its successor
    member = same.copy()
    member[:-1] |= same[1:]
    member &= active & ~np.isnan(v)
    if floor is not None:
        with np.errstate(invalid="ignore"):
            member &= v > floor
    hits = []
    for start, stop in runs(member):
        # split where consecutive members are not equal (two different flat stretches)
        inner = (start + 1 + np.flatnonzero(~same[start + 1 : stop])).tolist()
        breaks = [start, *inner, stop]
        for a, b in zip(breaks[:-1], breaks[1:], strict=True):
            if b - a < 2:
                continue
            duration = _span_seconds(seconds, a, b, step)
            if duration >= min_seconds:
                hits.append(
                    Hit(
                        1,
                        "frozen_output",
                        a,
                        b,
                        _score(duration, min_seconds),
                        {"value": float(v[a]), "duration_s": duration, "points": b - a},
                    )
                )
    return hits


def pinned_below_limit(
    values: npt.ArrayLike,
    limit: float,
    *,
    min_hours: int = 720,
    ratio_threshold: float = 3.0,
) -> list[Hit]:
    """Signature 2: hourly values piling up just under the limit, the tail above it cut.

    Compares the hours in [0.9 L, L] with those in [0.8 L, 0.9 L); an honest source with
    a smooth distribution has a ratio near 1 around its limit.

    Parameters
    ----------
    values : array-like of float
        Hourly (O2-corrected where the limit is) values [limit unit], at least
        ``min_hours`` present; NaN = missing.
    limit : float
        The limit L [limit unit], > 0.
    min_hours : int, default 720
        Fewest present hours to judge (a month; the reference suggests 3 months).
    ratio_threshold : float, default 3.0
        Ratio of the upper band to the lower band from which the pile-up is reported.

    Returns
    -------
    list of Hit
        At most one, over the whole array; evidence: hours in each band, hours above L,
        the ratio.
    """
    if not limit > 0:
        msg = f"limit={limit} must be > 0"
        raise ValueError(msg)
    v = np.asarray(values, dtype=np.float64)
    present = v[~np.isnan(v)]
    if present.size < min_hours:
        return []
    upper = int(np.count_nonzero((present >= 0.9 * limit) & (present <= limit)))
    lower = int(np.count_nonzero((present >= 0.8 * limit) & (present < 0.9 * limit)))
    above = int(np.count_nonzero(present > limit))
    ratio = upper / max(lower, 1)
    if upper < 24 or ratio < ratio_threshold:
        return []
    return [
        Hit(
            2,
            "pinned_below_limit",
            0,
            v.size,
            _score(ratio, ratio_threshold),
            {
                "hours_0.9L_to_L": upper,
                "hours_0.8L_to_0.9L": lower,
                "hours_above_L": above,
                "ratio": round(ratio, 3),
                "limit": limit,
            },
        )
    ]


def _flag_array(flags: Sequence[str | None] | npt.ArrayLike, size: int) -> list[str]:
    items = [
        "" if f is None else str(f) for f in np.asarray(flags, dtype=object).tolist()
    ]
    if len(items) != size:
        msg = f"flags have {len(items)} items, values have {size}"
        raise ValueError(msg)
    return items


def data_while_stopped(
    times: npt.ArrayLike,
    values: npt.ArrayLike,
    flags: Sequence[str | None] | npt.ArrayLike,
    activity: npt.ArrayLike,
    *,
    idle: float,
    limit: float,
    min_seconds: float = 7200.0,
    share_of_limit: float = 0.1,
) -> list[Hit]:
    """Signature 9: "normal" data with plausible concentrations while production is off.

    Parameters
    ----------
    times : array-like of datetime64
        Data times [UTC], sorted.
    values : array-like of float
        Reported concentrations [limit unit].
    flags : sequence of str or None
        HJ 212 data flags (None or "N" = normal).
    activity : array-like of float
        Production activity (power [kW], load [%] …); NaN = unknown (never "stopped").
    idle : float
        Activity at or below which production is stopped [activity unit].
    limit : float
        The limit L [limit unit].
    min_seconds : float, default 7200
        Shortest stretch reported [s] (2 h, falsification.md §3 #9).
    share_of_limit : float, default 0.1
        Concentrations above this share of L count as "plausible emission".

    Returns
    -------
    list of Hit
        Evidence: ``duration_s``, ``mean_value``, ``max_activity``.
    """
    v = np.asarray(values, dtype=np.float64)
    seconds = _seconds(times, v.size)
    act = np.asarray(activity, dtype=np.float64)
    normal = np.array([f in ("", "N") for f in _flag_array(flags, v.size)], dtype=bool)
    with np.errstate(invalid="ignore"):
        mask = (act <= idle) & normal & (v > share_of_limit * limit)
    hits = []
    for start, stop, duration in _long_runs(mask, seconds, min_seconds):
        hits.append(
            Hit(
                9,
                "data_while_stopped",
                start,
                stop,
                _score(duration, min_seconds),
                {
                    "duration_s": duration,
                    "mean_value": round(float(np.nanmean(v[start:stop])), 4),
                    "max_activity": float(np.nanmax(act[start:stop])),
                },
            )
        )
    return hits


def flags_while_producing(
    times: npt.ArrayLike,
    values: npt.ArrayLike,
    flags: Sequence[str | None] | npt.ArrayLike,
    activity: npt.ArrayLike,
    *,
    rated: float,
    min_seconds: float = 3600.0,
    share_of_rated: float = 0.5,
) -> list[Hit]:
    """Signature 10: stopped/fault flags or missing data while production runs.

    Parameters
    ----------
    times : array-like of datetime64
        Data times [UTC], sorted (a point per expected interval; missing = NaN value).
    values : array-like of float
        Reported values; NaN = no value.
    flags : sequence of str or None
        HJ 212 data flags; :data:`STOPPED_FLAGS` or a missing value count as hidden.
    activity : array-like of float
        Production activity [activity unit].
    rated : float
        Rated activity [activity unit], > 0.
    min_seconds : float, default 3600
        Shortest stretch reported [s] (1 h, falsification.md §3 #10).
    share_of_rated : float, default 0.5
        Activity above this share of ``rated`` counts as producing.

    Returns
    -------
    list of Hit
        Evidence: ``duration_s``, ``mean_activity_share``, ``flags`` (the codes seen).
    """
    if not rated > 0:
        msg = f"rated={rated} must be > 0"
        raise ValueError(msg)
    v = np.asarray(values, dtype=np.float64)
    seconds = _seconds(times, v.size)
    act = np.asarray(activity, dtype=np.float64)
    codes = _flag_array(flags, v.size)
    hidden = np.array([c in STOPPED_FLAGS for c in codes], dtype=bool) | np.isnan(v)
    with np.errstate(invalid="ignore"):
        mask = hidden & (act > share_of_rated * rated)
    hits = []
    for start, stop, duration in _long_runs(mask, seconds, min_seconds):
        seen = sorted(
            {
                "missing" if np.isnan(v[i]) else (codes[i] or "none")
                for i in range(start, stop)
            }
        )
        hits.append(
            Hit(
                10,
                "flags_while_producing",
                start,
                stop,
                _score(duration, min_seconds),
                {
                    "duration_s": duration,
                    "mean_activity_share": round(
                        float(np.nanmean(act[start:stop])) / rated, 4
                    ),
                    "flags": ",".join(seen),
                },
            )
        )
    return hits


def abatement_off(
    times: npt.ArrayLike,
    values: npt.ArrayLike,
    abatement_power: npt.ArrayLike,
    load: npt.ArrayLike,
    *,
    normal_power: float,
    limit: float,
    min_seconds: float = 3600.0,
    power_share: float = 0.1,
    load_share: float = 0.5,
    value_share: float = 0.5,
) -> list[Hit]:
    """Signature 15: abatement switched off while reported concentrations stay normal.

    Parameters
    ----------
    times : array-like of datetime64
        Data times [UTC], sorted.
    values : array-like of float
        Reported concentrations [limit unit].
    abatement_power : array-like of float
        Power of the abatement devices [kW]; NaN = unknown.
    load : array-like of float
        Production load [% of rated].
    normal_power : float
        The abatement devices' normal power at load [kW], > 0.
    limit : float
        The limit L [limit unit].
    min_seconds : float, default 3600
        Shortest stretch reported [s].
    power_share, load_share, value_share : float
        Abatement power below ``power_share × normal_power`` while load is above
        ``load_share × 100 %`` and concentrations below ``value_share × L``
        (falsification.md §3 #15: 10 %, 50 %, 0.5 L).

    Returns
    -------
    list of Hit
        Evidence: ``duration_s``, ``mean_abatement_kw``, ``mean_load_pct``,
        ``mean_value``.
    """
    if not normal_power > 0:
        msg = f"normal_power={normal_power} must be > 0"
        raise ValueError(msg)
    v = np.asarray(values, dtype=np.float64)
    seconds = _seconds(times, v.size)
    power = np.asarray(abatement_power, dtype=np.float64)
    ld = np.asarray(load, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        mask = (
            (power < power_share * normal_power)
            & (ld > load_share * 100.0)
            & (v < value_share * limit)
        )
    hits = []
    for start, stop, duration in _long_runs(mask, seconds, min_seconds):
        part = slice(start, stop)
        hits.append(
            Hit(
                15,
                "abatement_off",
                start,
                stop,
                _score(duration, min_seconds),
                {
                    "duration_s": duration,
                    "mean_abatement_kw": round(float(np.nanmean(power[part])), 3),
                    "mean_load_pct": round(float(np.nanmean(ld[part])), 2),
                    "mean_value": round(float(np.nanmean(v[part])), 4),
                },
            )
        )
    return hits


def _load_bins(load: FloatArray, width: float) -> npt.NDArray[np.int64]:
    with np.errstate(invalid="ignore"):
        return np.floor(np.nan_to_num(load, nan=-1.0) / width).astype(np.int64)


def dilution(
    times: npt.ArrayLike,
    o2: npt.ArrayLike,
    load: npt.ArrayLike,
    *,
    running_load: float = 20.0,
    excess_points: float = 4.0,
    min_seconds: float = 7200.0,
    bin_width: float = 10.0,
) -> list[Hit]:
    """Signature 4: stack O2 far above what the unit shows at the same load (dilution air).

    The baseline is the unit's own median O2 per load band (``bin_width`` % wide) over
    the input, so each unit is compared with itself at the same load (start-ups and low
    load, where O2 is naturally high, are excluded by ``running_load``).

    Parameters
    ----------
    times : array-like of datetime64
        Data times [UTC], sorted.
    o2 : array-like of float
        Measured stack O2 [% by volume, dry].
    load : array-like of float
        Production load [% of rated].
    running_load : float, default 20
        Load above which the unit counts as running [%].
    excess_points : float, default 4
        O2 above the baseline that is reported [percentage points] (falsification.md §3
        #4).
    min_seconds : float, default 7200
        Shortest stretch reported [s] (2 h).
    bin_width : float, default 10
        Width of the load bands of the baseline [%].

    Returns
    -------
    list of Hit
        Evidence: ``duration_s``, ``mean_o2_pct``, ``baseline_o2_pct``,
        ``mean_excess_points``.
    """
    oxygen = np.asarray(o2, dtype=np.float64)
    seconds = _seconds(times, oxygen.size)
    ld = np.asarray(load, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        running = ld > running_load
    bins = _load_bins(ld, bin_width)
    baseline = np.full(oxygen.size, np.nan)
    usable = running & ~np.isnan(oxygen)
    for band in np.unique(bins[usable]).tolist():
        members = usable & (bins == band)
        baseline[bins == band] = np.median(oxygen[members])
    with np.errstate(invalid="ignore"):
        excess = oxygen - baseline
        mask = running & (excess > excess_points)
    hits = []
    for start, stop, duration in _long_runs(mask, seconds, min_seconds):
        part = slice(start, stop)
        mean_excess = float(np.nanmean(excess[part]))
        hits.append(
            Hit(
                4,
                "dilution",
                start,
                stop,
                _score(mean_excess, excess_points),
                {
                    "duration_s": duration,
                    "mean_o2_pct": round(float(np.nanmean(oxygen[part])), 3),
                    "baseline_o2_pct": round(float(np.nanmean(baseline[part])), 3),
                    "mean_excess_points": round(mean_excess, 3),
                },
            )
        )
    return hits


def sampling_interference(
    times: npt.ArrayLike,
    gases: Mapping[str, npt.ArrayLike],
    o2: npt.ArrayLike,
    load: npt.ArrayLike,
    *,
    window_seconds: float = 300.0,
    drop: float = 0.5,
    o2_rise_points: float = 3.0,
    load_change: float = 0.1,
) -> list[Hit]:
    """Signature 6: every gas channel falls together while O2 rises (air in the probe).

    At each point, every channel of ``gases`` is compared with its value
    ``window_seconds`` earlier: all fell by more than ``drop``, O2 rose by more than
    ``o2_rise_points`` and the load moved less than ``load_change`` (a share).

    Parameters
    ----------
    times : array-like of datetime64
        Data times [UTC], sorted.
    gases : mapping of str to array-like of float
        The gas channels by HJ 212 code (SO2, NOx, PM …) [their units], at least one.
    o2 : array-like of float
        Stack O2 [% by volume].
    load : array-like of float
        Production load [% of rated].
    window_seconds : float, default 300
        How far back the comparison looks [s] (5 min, falsification.md §3 #6).
    drop : float, default 0.5
        Fall of every gas reported, as a share of its earlier value.
    o2_rise_points : float, default 3
        O2 rise reported [percentage points].
    load_change : float, default 0.1
        Largest load change still "no process change", as a share.

    Returns
    -------
    list of Hit
        One per stretch of consecutive points; evidence: ``smallest_drop`` (share),
        ``o2_rise_points``, the channels.
    """
    if not gases:
        msg = "sampling_interference needs at least one gas channel"
        raise ValueError(msg)
    oxygen = np.asarray(o2, dtype=np.float64)
    seconds = _seconds(times, oxygen.size)
    ld = np.asarray(load, dtype=np.float64)
    earlier = np.searchsorted(seconds, seconds - int(window_seconds), side="left")
    has_earlier = seconds - seconds[earlier] >= int(window_seconds) * 0.5
    falls = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for values in gases.values():
            channel = np.asarray(values, dtype=np.float64)
            if channel.shape != oxygen.shape:
                msg = "every gas channel needs the shape of o2"
                raise ValueError(msg)
            falls.append(1.0 - channel / channel[earlier])
        smallest = np.min(np.stack(falls), axis=0)
        rise = oxygen - oxygen[earlier]
        steady = np.abs(ld - ld[earlier]) <= load_change * np.abs(ld[earlier])
        mask = has_earlier & (smallest > drop) & (rise > o2_rise_points) & steady
    hits = []
    for start, stop in runs(mask):
        part = slice(start, stop)
        fell = float(np.nanmax(smallest[part]))
        hits.append(
            Hit(
                6,
                "sampling_interference",
                start,
                stop,
                _score(fell, drop),
                {
                    "smallest_drop": round(fell, 3),
                    "o2_rise_points": round(float(np.nanmax(rise[part])), 3),
                    "channels": ",".join(sorted(gases)),
                },
            )
        )
    return hits


def oxygen_manipulation(
    times: npt.ArrayLike,
    o2: npt.ArrayLike,
    load: npt.ArrayLike,
    co2: npt.ArrayLike | None = None,
    *,
    min_o2: float = 3.0,
    running_load: float = 20.0,
    sum_span: tuple[float, float] = (18.5, 20.5),
    min_seconds: float = 3600.0,
) -> list[Hit]:
    """Signature 5: O2 implausibly low (shrinking the O2 correction), or O2 + CO2 off.

    Parameters
    ----------
    times : array-like of datetime64
        Data times [UTC], sorted.
    o2 : array-like of float
        Stack O2 [% by volume, dry].
    load : array-like of float
        Production load [% of rated].
    co2 : array-like of float, optional
        Stack CO2 [% by volume, dry], where measured.
    min_o2 : float, default 3.0
        The unit's physical minimum O2 while running [%] (coal boilers: about 3 %,
        falsification.md §3 #5).
    running_load : float, default 20
        Load above which the unit runs [%].
    sum_span : (float, float), default (18.5, 20.5)
        Plausible O2 + CO2 for coal flue gas [%].
    min_seconds : float, default 3600
        Shortest stretch reported [s].

    Returns
    -------
    list of Hit
        Evidence: ``duration_s``, ``mean_o2_pct``, ``mean_o2_plus_co2_pct`` (NaN-free
        only where CO2 is given), ``reason`` (``low_o2`` or ``o2_co2_sum``).
    """
    oxygen = np.asarray(o2, dtype=np.float64)
    seconds = _seconds(times, oxygen.size)
    ld = np.asarray(load, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        running = ld > running_load
        low = running & (oxygen < min_o2)
        total = None
        off_sum = np.zeros(oxygen.size, dtype=bool)
        if co2 is not None:
            total = oxygen + np.asarray(co2, dtype=np.float64)
            off_sum = running & ((total < sum_span[0]) | (total > sum_span[1]))
    hits = []
    for reason, mask, threshold, measure in (
        ("low_o2", low, min_o2, None),
        ("o2_co2_sum", off_sum, None, total),
    ):
        for start, stop, duration in _long_runs(mask, seconds, min_seconds):
            part = slice(start, stop)
            mean_o2 = float(np.nanmean(oxygen[part]))
            evidence: dict[str, float | int | str] = {
                "duration_s": duration,
                "mean_o2_pct": round(mean_o2, 3),
                "reason": reason,
            }
            if threshold is not None:  # 0.5 at the minimum, 1.0 at half of it
                score = _score(threshold / max(mean_o2, 0.01), 1.0)
            else:
                assert measure is not None
                mean_sum = float(np.nanmean(measure[part]))
                evidence["mean_o2_plus_co2_pct"] = round(mean_sum, 3)
                score = _score(duration, min_seconds)
            hits.append(Hit(5, "oxygen_manipulation", start, stop, score, evidence))
    return sorted(hits, key=lambda hit: hit.start)


def copied_series(
    first: npt.ArrayLike,
    second: npt.ArrayLike,
    *,
    max_lag: int = 60,
    exact_share: float = 0.2,
    min_points: int = 60,
) -> list[Hit]:
    """Signature 8: two outlets' series are copies, possibly shifted in time.

    Compares ``first`` with ``second`` shifted by every lag within ``max_lag`` points
    and takes the lag with the most identical values (both present and not constant).

    Parameters
    ----------
    first, second : array-like of float
        The two series on the same time axis (e.g. a day of minute values of two
        unrelated outlets) [same unit]; NaN = missing.
    max_lag : int, default 60
        Largest shift tried [points].
    exact_share : float, default 0.2
        Share of identical values at the best lag that is reported (falsification.md
        §3 #8: > 20 % over a day).
    min_points : int, default 60
        Fewest compared values (both present, the pair not constant) to judge.

    Returns
    -------
    list of Hit
        At most one, over the whole input; evidence: ``lag_points`` (``second`` runs
        that many points behind ``first``), ``identical_share``, ``compared``.
    """
    a = np.asarray(first, dtype=np.float64)
    b = np.asarray(second, dtype=np.float64)
    if a.shape != b.shape:
        msg = f"the series differ in shape: {a.shape} and {b.shape}"
        raise ValueError(msg)
    best: tuple[float, int, int] = (0.0, 0, 0)
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            x, y = a[: a.size - lag], b[lag:]
        else:
            x, y = a[-lag:], b[: b.size + lag]
        both = ~(np.isnan(x) | np.isnan(y))
        # a value repeated in both (a flat stretch) proves nothing: count changes only
        moving = np.zeros_like(both)
        moving[1:] = (x[1:] != x[:-1]) & (y[1:] != y[:-1])
        compared = int(np.count_nonzero(both & moving))
        if compared < min_points:
            continue
        share = float(np.count_nonzero((x == y) & both & moving)) / compared
        if share > best[0]:
            best = (share, lag, compared)
    share, lag, compared = best
    if share <= exact_share:
        return []
    return [
        Hit(
            8,
            "copied_series",
            0,
            a.size,
            _score(share, exact_share),
            {
                "lag_points": lag,
                "identical_share": round(share, 4),
                "compared": compared,
            },
        )
    ]


def regular_timestamps(
    data_times: npt.ArrayLike,
    received_times: npt.ArrayLike,
    *,
    max_jitter_seconds: float = 0.5,
    min_points: int = 1440,
) -> list[Hit]:
    """Signature 14: packets arrive with a perfectly constant delay after their data
    time, as generated data would; real loggers and networks jitter.

    Parameters
    ----------
    data_times : array-like of datetime64
        The packets' DataTime [UTC], sorted.
    received_times : array-like of datetime64
        When the gateway received each packet [UTC] (the raw frames' receive times).
    max_jitter_seconds : float, default 0.5
        Standard deviation of the delay below which it is "suspiciously perfect" [s].
    min_points : int, default 1440
        Fewest packets to judge (a day of minute data).

    Returns
    -------
    list of Hit
        At most one; evidence: ``jitter_s`` (standard deviation of the delay),
        ``median_delay_s``, ``packets``.
    """
    data = np.asarray(data_times).astype("datetime64[ms]").view(np.int64)
    received = np.asarray(received_times).astype("datetime64[ms]").view(np.int64)
    if data.shape != received.shape:
        msg = "data and receive times differ in shape"
        raise ValueError(msg)
    if data.size < min_points:
        return []
    delay = (received - data) / 1000.0
    jitter = float(np.std(delay))
    if jitter >= max_jitter_seconds:
        return []
    return [
        Hit(
            14,
            "regular_timestamps",
            0,
            data.size,
            _score(max_jitter_seconds, max(jitter, max_jitter_seconds / 10)),
            {
                "jitter_s": round(jitter, 4),
                "median_delay_s": round(float(np.median(delay)), 3),
                "packets": int(data.size),
            },
        )
    ]
