"""Falsification signatures on synthetic flue-gas stretches: each finds its pattern, at
the place it is, and stays quiet on its honest look-alike."""

from __future__ import annotations

import numpy as np
import pytest

from envmon.integrity import (
    abatement_off,
    copied_series,
    data_while_stopped,
    dilution,
    flags_while_producing,
    frozen_output,
    oxygen_manipulation,
    pinned_below_limit,
    regular_timestamps,
    runs,
    sampling_interference,
)

T0 = np.datetime64("2025-03-01T00:00:00", "s")
RNG = np.random.default_rng(7)


def minutes(n: int) -> np.ndarray:
    return T0 + np.arange(n) * np.timedelta64(60, "s")


def noisy(n: int, level: float = 30.0) -> np.ndarray:
    return np.round(level + RNG.normal(0, 2.0, n), 1)


def test_runs_of_true() -> None:
    assert runs([]) == []
    assert runs([True, True, False, True]) == [(0, 2), (3, 4)]


def test_frozen_output_while_running_and_not_at_the_floor_or_while_stopped() -> None:
    values = noisy(600)
    values[100:160] = 31.4  # an hour frozen while running: reported
    values[300:340] = 0.5  # 40 minutes at the detection floor: not reported
    values[400:460] = 28.0  # an hour frozen while the plant is stopped: not reported
    running = np.ones(600, dtype=bool)
    running[390:470] = False
    hits = frozen_output(minutes(600), values, running, floor=1.0)
    assert [(h.signature, h.start, h.stop) for h in hits] == [(1, 100, 160)]
    assert hits[0].evidence == {"value": 31.4, "duration_s": 3600, "points": 60}
    assert hits[0].score == 1.0  # twice the 30-minute threshold
    short = noisy(100)
    short[10:30] = 5.0  # 20 minutes: below the threshold
    assert frozen_output(minutes(100), short, np.ones(100, bool)) == []


def test_pinned_below_the_limit_but_not_a_smooth_distribution() -> None:
    limit = 50.0
    honest = RNG.gamma(6.0, 5.0, 2000)  # smooth, some hours above L
    assert pinned_below_limit(honest, limit) == []
    pinned = (
        honest.copy()
    )  # everything that would reach 0.8 L is edited to just under L
    high = pinned > 0.8 * limit
    pinned[high] = RNG.uniform(0.9 * limit, 0.99 * limit, int(high.sum()))
    (hit,) = pinned_below_limit(pinned, limit)
    assert hit.signature == 2 and hit.evidence["hours_above_L"] == 0
    assert hit.evidence["ratio"] >= 3.0 and 0.5 <= hit.score <= 1.0
    assert pinned_below_limit(pinned[:100], limit) == []  # too few hours to judge
    with pytest.raises(ValueError, match="limit"):
        pinned_below_limit(pinned, 0.0)


def test_data_while_stopped_after_a_grace_period() -> None:
    n = 600
    values = noisy(n)
    power = np.full(n, 800.0)
    power[200:400] = 2.0  # stopped for 200 minutes, data stay "normal"
    flags = ["N"] * n
    (hit,) = data_while_stopped(
        minutes(n), values, flags, power, idle=10.0, limit=100.0
    )
    assert (hit.signature, hit.start, hit.stop) == (9, 200, 400)
    assert hit.evidence["duration_s"] == 12000 and hit.evidence["max_activity"] == 2.0
    # honest: the logger flags the stop (F), or the values drop to zero
    flagged = ["F" if 200 <= i < 400 else "N" for i in range(n)]
    assert (
        data_while_stopped(minutes(n), values, flagged, power, idle=10.0, limit=100.0)
        == []
    )
    zeroed = values.copy()
    zeroed[200:400] = 0.0
    assert (
        data_while_stopped(minutes(n), zeroed, flags, power, idle=10.0, limit=100.0)
        == []
    )


def test_flags_or_gaps_while_producing() -> None:
    n = 300
    values = noisy(n)
    values[50:80] = np.nan  # 30 missing minutes: below the hour
    values[150:240] = np.nan  # 90 minutes missing at full load
    flags: list[str | None] = ["N"] * n
    for i in range(240, 260):
        flags[i] = "D"  # the gap continues as a fault flag
    load = np.full(n, 90.0)
    (hit,) = flags_while_producing(minutes(n), values, flags, load, rated=100.0)
    assert (hit.start, hit.stop) == (150, 260)
    assert hit.evidence["flags"] == "D,missing"
    low = np.full(n, 20.0)  # the plant is at 20 %: a stop is plausible
    assert flags_while_producing(minutes(n), values, flags, low, rated=100.0) == []


def test_abatement_off_with_normal_looking_data() -> None:
    n = 240
    values = noisy(n, 20.0)  # well under half the limit of 100
    power = np.full(n, 400.0)
    power[60:150] = 5.0  # desulfurisation pumps off for 90 minutes
    load = np.full(n, 85.0)
    (hit,) = abatement_off(
        minutes(n), values, power, load, normal_power=400.0, limit=100.0
    )
    assert (hit.signature, hit.start, hit.stop) == (15, 60, 150)
    assert hit.evidence["mean_abatement_kw"] == 5.0
    idle = np.full(n, 30.0)  # low load: abatement may be idle legitimately
    assert (
        abatement_off(minutes(n), values, power, idle, normal_power=400.0, limit=100.0)
        == []
    )


def test_dilution_is_o2_above_the_units_own_o2_at_that_load() -> None:
    n = 24 * 60
    load = np.where(np.arange(n) % 480 < 240, 60.0, 90.0)  # two load levels
    o2 = np.where(load > 80, 6.0, 8.0) + RNG.normal(0, 0.2, n)
    o2[720:900] += 6.0  # 3 h of dilution air at 90 % load
    (hit,) = dilution(minutes(n), o2, load)
    assert (hit.signature, hit.start, hit.stop) == (4, 720, 900)
    assert hit.evidence["baseline_o2_pct"] == pytest.approx(6.0, abs=0.1)
    assert hit.evidence["mean_excess_points"] == pytest.approx(6.0, abs=0.2)
    # honest: O2 is high at start-up (low load), which is not compared
    startup = o2.copy()
    low = load.copy()
    low[720:900] = 10.0
    assert dilution(minutes(n), startup, low) == []


def test_sampling_interference_all_gases_fall_while_o2_rises() -> None:
    n = 120
    so2 = noisy(n, 80.0)
    nox = noisy(n, 120.0)
    o2 = np.full(n, 7.0)
    load = np.full(n, 85.0)
    so2[60:70] = 10.0  # probe blocked: every gas falls and air gets in
    nox[60:70] = 15.0
    o2[60:70] = 15.0
    (hit,) = sampling_interference(minutes(n), {"a21026": so2, "a21002": nox}, o2, load)
    assert hit.signature == 6 and 60 <= hit.start <= 61 and hit.stop <= 66
    assert hit.evidence["channels"] == "a21002,a21026"
    # honest: the plant ramps down (load falls with the gases)
    ramp = load.copy()
    ramp[60:] = 30.0
    assert (
        sampling_interference(minutes(n), {"a21026": so2, "a21002": nox}, o2, ramp)
        == []
    )
    with pytest.raises(ValueError, match="gas channel"):
        sampling_interference(minutes(n), {}, o2, load)


def test_oxygen_low_or_inconsistent_with_co2_while_running() -> None:
    n = 300
    o2 = 6.0 + RNG.normal(0, 0.2, n)
    co2 = 13.0 + RNG.normal(0, 0.2, n)  # coal flue gas: O2 + CO2 about 19 %
    load = np.full(n, 80.0)
    o2[100:180] = 1.5  # 80 minutes at an impossible 1.5 %
    hits = oxygen_manipulation(minutes(n), o2, load, co2)
    assert [(h.signature, h.start, h.stop, h.evidence["reason"]) for h in hits] == [
        (5, 100, 180, "low_o2"),
        (5, 100, 180, "o2_co2_sum"),
    ]
    assert hits[0].score == 1.0  # half the minimum
    stopped = load.copy()
    stopped[90:190] = 0.0  # the unit is not running: no judgement
    assert oxygen_manipulation(minutes(n), o2, stopped, co2) == []


def test_copied_series_across_outlets_even_shifted() -> None:
    n = 1440
    a = np.round(40 + np.cumsum(RNG.normal(0, 1, n)), 1)
    b = np.roll(a, 7)  # the same data, 7 minutes late
    b[:7] = np.nan
    (hit,) = copied_series(a, b)
    assert hit.signature == 8 and hit.evidence["lag_points"] == 7
    assert hit.evidence["identical_share"] == 1.0
    other = np.round(40 + np.cumsum(RNG.normal(0, 1, n)), 1)
    assert copied_series(a, other) == []
    flat = np.full(n, 12.0)  # two stopped outlets both at 12.0 are not copies
    assert copied_series(flat, flat.copy()) == []


def test_regular_timestamps_are_too_perfect_for_a_real_network() -> None:
    data = minutes(2000)
    forged = data + np.timedelta64(3, "s")  # every packet exactly 3 s late
    (hit,) = regular_timestamps(data, forged)
    assert hit.signature == 14 and hit.evidence["jitter_s"] == 0.0
    jitter = (RNG.exponential(2.0, 2000) * 1000).astype("timedelta64[ms]")
    real = data.astype("datetime64[ms]") + np.timedelta64(3, "s") + jitter
    assert regular_timestamps(data, real) == []
    assert regular_timestamps(data[:100], forged[:100]) == []  # too few to judge
