"""Tests for envmon.indices.cems: HJ 212 flags, HJ 75 rules, O2 correction, amounts.

Expected values are worked by hand in the comments; the naive substitution loop below is
an independent reference, not the code under test.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from envmon.indices import cems

NAN = np.nan

# --- flags -----------------------------------------------------------------------------


def test_flag_tables():
    assert sorted(cems.FLAG_MEANINGS_2017) == ["B", "C", "D", "F", "M", "N", "S", "T"]
    assert sorted(cems.FLAG_MEANINGS_2005) == ["C", "D", "F", "M", "N", "P", "S", "T"]
    assert cems.FLAG_MEANINGS_2005["F"] == "source stopped"
    assert cems.FLAG_MEANINGS_2017["F"] == "instrument stopped"


@pytest.mark.parametrize(
    "flags",
    [
        ["N", "F", "M", "S", "D", "C", "T", "B", "P", "n", ""],
        np.array(["N", "F", "M", "S", "D", "C", "T", "B", "P", "n", ""]),
        np.array(
            ["N", "F", "M", "S", "D", "C", "T", "B", "P", "n", None], dtype=object
        ),
    ],
)
def test_only_n_is_valid_and_t_is_kept_apart(flags):
    masks = cems.flag_masks(flags)
    assert_array_equal(masks.valid, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    assert_array_equal(masks.over_range, [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0])
    assert not masks.source_stopped.any()  # 2017: F is the instrument
    legacy = cems.flag_masks(flags, protocol="2005")
    assert_array_equal(legacy.valid, masks.valid)
    assert_array_equal(legacy.source_stopped, [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    assert_array_equal(cems.valid_mask(flags), masks.valid)


def test_flag_masks_two_dimensional_and_bad_protocol():
    flags = np.array([["N", "T"], ["C", "N"]])
    assert_array_equal(cems.valid_mask(flags), [[True, False], [False, True]])
    with pytest.raises(ValueError, match="protocol"):
        cems.flag_masks(flags, protocol="2025")  # type: ignore[arg-type]


# --- hourly means ------------------------------------------------------------------


def test_cems_hour_45_n_minutes_valid_44_not():
    values = np.r_[np.full(45, 10.0), np.full(15, 1000.0)]  # 15 calibration minutes
    flags = ["N"] * 45 + ["C"] * 15
    hour = cems.hourly_from_minutes(values, flags)
    assert_allclose(hour.values, [10.0])  # the C minutes do not enter the mean
    assert_array_equal(hour.valid_minutes, [45])
    flags[0] = "M"  # 44 N minutes
    hour = cems.hourly_from_minutes(values, flags)
    assert np.isnan(hour.values[0])
    assert_array_equal(hour.valid_minutes, [44])
    assert not hour.over_range[0]


def test_cems_hour_t_minute_marks_over_range_but_is_not_averaged():
    values = np.r_[np.full(50, 20.0), np.full(10, 500.0)]
    flags = ["N"] * 50 + ["T"] * 10
    hour = cems.hourly_from_minutes(np.tile(values, (2, 2)), np.tile(flags, (2, 2)))
    assert_allclose(hour.values, [[20.0, 20.0], [20.0, 20.0]])  # 50 N minutes of 20
    assert hour.over_range.all()


def test_cems_hour_nan_with_n_flag_is_missing():
    values = np.r_[np.full(45, 8.0), np.full(15, NAN)]
    assert_allclose(cems.hourly_from_minutes(values, ["N"] * 60).values, [8.0])


# --- O2 correction -----------------------------------------------------------------


def test_oxygen_correction_gas_turbine():
    # 30 mg/m³ at 16 % O2, reference 15 %: 30 * (21 − 15) / (21 − 16) = 30 * 6/5 = 36
    assert_allclose(cems.oxygen_corrected(30.0, 16.0, 15.0), 36.0)


def test_oxygen_correction_coal_power_and_industrial_boiler():
    # 100 at 12 %, ref 6 %: 100 * 15/9 = 166.67; ref 9 % (GB 13271): 100 * 12/9 = 133.33
    reference = [
        cems.REFERENCE_OXYGEN["gb13223_coal_boiler"],
        cems.REFERENCE_OXYGEN["gb13271_coal_boiler"],
    ]
    assert_allclose(cems.oxygen_corrected(100.0, 12.0, reference), [1500 / 9, 1200 / 9])


def test_oxygen_below_reference_lowers_the_value():
    # 30 at 3 %, ref 6 %: 30 * 15/18 = 25
    assert_allclose(cems.oxygen_corrected(30.0, 3.0, 6.0), 25.0)


def test_oxygen_guard_near_21_percent():
    oxygen = [19.0, 19.5, 20.9, 21.0, 22.0, -1.0, NAN]
    # 19 % is the last corrected with the default cap: 30 * 6/2 = 90
    assert_allclose(
        cems.oxygen_corrected(30.0, oxygen, 15.0), [90, NAN, NAN, NAN, NAN, NAN, NAN]
    )
    uncapped = cems.oxygen_corrected(30.0, oxygen, 15.0, max_oxygen_percent=None)
    # 19.5: 30 * 6/1.5 = 120; 20.9: 30 * 6/0.1 = 1800; 21 and above never
    assert_allclose(uncapped, [90, 120, 1800, NAN, NAN, NAN, NAN], rtol=1e-9)


def test_oxygen_nan_concentration_propagates_and_shapes_broadcast():
    result = cems.oxygen_corrected([[NAN, 30.0]], [[16.0], [20.0]], 15.0)
    assert_allclose(result, [[NAN, 36.0], [NAN, NAN]])


def test_reference_oxygen_table():
    assert dict(cems.REFERENCE_OXYGEN) == {
        "gb13223_coal_boiler": 6.0,
        "gb13223_oil_gas_boiler": 3.0,
        "gb13223_gas_turbine": 15.0,
        "gb13271_coal_boiler": 9.0,
        "gb13271_oil_gas_boiler": 3.5,
        "gb18485_waste_incinerator": 11.0,
        "gb4915_cement_kiln": 10.0,
    }


# --- emission rate, amount, capture rate ------------------------------------------


def test_emission_rate():
    # 35 mg/m³ * 1.2e6 m³/h = 4.2e7 mg/h = 42 kg/h; 10 * 5e5 = 5e6 mg/h = 5 kg/h
    assert_allclose(
        cems.emission_rate([35.0, 10.0, NAN], [1.2e6, 5e5, 1e6]), [42, 5, NAN]
    )


def test_daily_emission_amount():
    rates = np.full((2, 48), 42.0)
    rates[0, :4] = NAN  # 20 valid hours on day 1
    rates[1, 24:] = NAN  # no valid hour on day 2
    result = cems.emission_amount(rates)
    # 20 h * 42 kg/h = 840 kg = 0.84 t; 24 * 42 = 1008 kg = 1.008 t
    assert_allclose(result.amount, [[0.84, 1.008], [1.008, NAN]])
    assert_array_equal(result.valid_hours, [[20, 24], [24, 0]])


def test_monthly_emission_amount_with_month_lengths():
    hours = [31 * 24, 28 * 24]  # January and February 2025: 744 and 672 h
    rates = np.r_[np.full(744, 2.0), np.full(672, 3.0)]
    result = cems.emission_amount(rates, period_hours=hours)
    # 744 * 2 = 1488 kg = 1.488 t; 672 * 3 = 2016 kg = 2.016 t
    assert_allclose(result.amount, [1.488, 2.016])


@pytest.mark.parametrize("period_hours", [25, [24, 25], [0, 48], []])
def test_emission_amount_rejects_bad_periods(period_hours):
    with pytest.raises(ValueError, match="tile"):
        cems.emission_amount(np.ones(48), period_hours=period_hours)


def test_capture_rate():
    # A quarter of 2184 h, 184 h stopped, 100 h invalid: (2184 − 184 − 100)/2000 = 95 %
    assert_allclose(cems.capture_rate(2184, 100, 184), 95.0)
    # (2160 − 0 − 216) / 2160 = 90 %; all stopped → undefined
    assert_allclose(cems.capture_rate([2160, 2160], [216, 0], [0, 2160]), [90.0, NAN])


# --- substitution --------------------------------------------------------------------


def _series_with_old_peak():
    values = np.full(200, 10.0)
    values[10] = 99.0  # older than the last 180 valid hours before index 200
    values[150] = 50.0  # within them
    return values


def test_short_gap_uses_max_of_180_previous_valid_hours():
    values = np.r_[_series_with_old_peak(), np.full(3, NAN), 7.0]
    result = cems.substitute_invalid_hours(values, 95.0)
    # The 180 valid hours before the gap are indices 20…199: max 50
    assert_allclose(result.values[200:], [50, 50, 50, 7])
    assert_array_equal(np.flatnonzero(result.substituted), [200, 201, 202])


def test_long_gap_uses_720_and_low_capture_rate_2160():
    values = np.r_[_series_with_old_peak(), np.full(30, NAN)]
    # N = 30 > 24 with α ≥ 90: 720 previous valid hours include index 10 → 99
    assert_allclose(cems.substitute_invalid_hours(values, 95.0).values[200:], 99.0)
    short = np.r_[_series_with_old_peak(), np.full(3, NAN)]
    # 75 ≤ α < 90: 2160 previous → 99, whatever N
    assert_allclose(cems.substitute_invalid_hours(short, 85.0).values[200:], 99.0)
    # α < 75: no rule, the hours stay missing
    below = cems.substitute_invalid_hours(short, 70.0)
    assert np.isnan(below.values[200:]).all()
    assert not below.substituted.any()


def test_gap_at_24_hours_is_short_and_25_is_long():
    for hours, expected in ((24, 50.0), (25, 99.0)):
        values = np.r_[_series_with_old_peak(), np.full(hours, NAN)]
        assert_allclose(
            cems.substitute_invalid_hours(values, 90.0).values[200:], expected
        )


def test_stopped_hours_are_not_substituted_and_split_gaps():
    values = np.r_[_series_with_old_peak(), np.full(40, NAN)]
    stopped = np.zeros(values.size, bool)
    stopped[220:230] = True  # gaps 200–219 (20 h) and 230–239 (10 h): both short
    result = cems.substitute_invalid_hours(values, 95.0, source_stopped=stopped)
    assert_allclose(result.values[200:220], 50.0)
    assert np.isnan(result.values[220:230]).all()
    assert_allclose(result.values[230:], 50.0)


def test_no_valid_hour_before_the_gap_stays_missing():
    result = cems.substitute_invalid_hours([NAN, NAN, 4.0, NAN], 99.0)
    assert_allclose(result.values, [NAN, NAN, 4.0, 4.0])


def test_substitution_capture_rate_per_series():
    values = np.tile(np.r_[_series_with_old_peak(), NAN], (3, 1))
    result = cems.substitute_invalid_hours(values, [95.0, 80.0, 50.0])
    assert_allclose(result.values[:, -1], [50.0, 99.0, NAN])


def _naive_substitution(values, alpha, stopped):
    result = values.copy()
    n = values.size
    for t in range(n):
        if not np.isnan(values[t]) or stopped[t]:
            continue
        start, end = t, t
        while start > 0 and np.isnan(values[start - 1]) and not stopped[start - 1]:
            start -= 1
        while end < n - 1 and np.isnan(values[end + 1]) and not stopped[end + 1]:
            end += 1
        gap = end - start + 1
        if alpha >= 90:
            window = 180 if gap <= 24 else 720
        elif alpha >= 75:
            window = 2160
        else:
            continue
        previous = values[:start][~np.isnan(values[:start])][-window:]
        if previous.size:
            result[t] = previous.max()
    return result


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.integers(1, 400),
        elements=st.one_of(st.just(NAN), st.floats(0, 100)),
    ),
    st.sampled_from([50.0, 80.0, 95.0]),
    st.integers(0, 2**32 - 1),
)
def test_substitution_matches_a_naive_loop(values, alpha, seed):
    rng = np.random.default_rng(seed)
    stopped = np.isnan(values) & (rng.random(values.size) < 0.2)
    result = cems.substitute_invalid_hours(values, alpha, source_stopped=stopped)
    assert_array_equal(result.values, _naive_substitution(values, alpha, stopped))


def test_substitution_leaves_input_untouched():
    values = np.r_[1.0, NAN]
    cems.substitute_invalid_hours(values, 95.0)
    assert np.isnan(values[1])


# --- wastewater ----------------------------------------------------------------------


def test_discharge_amount():
    # 50 mg/L = 50 g/m³; * 2000 m³ = 100 000 g = 100 kg; 0.5 * 100 = 50 g = 0.05 kg
    assert_allclose(
        cems.discharge_amount([50.0, 0.5, NAN], [2000.0, 100.0, 1.0]), [100, 0.05, NAN]
    )


def test_daily_volume():
    flow = np.full(48, 100.0)
    flow[24:28] = NAN  # day 2: 20 valid hours → 2000 m³
    result = cems.daily_volume(flow)
    assert_allclose(result.volume, [2400.0, 2000.0])
    flow[28] = NAN  # 19 valid hours
    assert np.isnan(cems.daily_volume(flow).volume[1])


def test_flow_weighted_daily_mean():
    concentration = [40.0] * 12 + [60.0] * 12
    volume = [1.0] * 12 + [3.0] * 12
    # (12*40*1 + 12*60*3) / (12*1 + 12*3) = (480 + 2160) / 48 = 55 (arithmetic mean: 50)
    result = cems.flow_weighted_daily_means(concentration, volume)
    assert_allclose(result.values, [55.0])
    assert_array_equal(result.valid_hours, [24])


def test_flow_weighted_needs_both_values_and_some_volume():
    concentration = np.r_[np.full(20, 10.0), np.full(4, 1000.0)]
    volume = np.r_[np.full(20, 2.0), np.full(4, NAN)]  # the 1000s have no volume
    assert_allclose(
        cems.flow_weighted_daily_means(concentration, volume).values, [10.0]
    )
    volume[19] = NAN  # 19 paired hours
    assert np.isnan(cems.flow_weighted_daily_means(concentration, volume).values[0])
    zero = cems.flow_weighted_daily_means(np.ones(24), np.zeros(24))
    assert np.isnan(zero.values[0])


# --- exceedance ----------------------------------------------------------------------


def test_exceedance_upper_limit():
    result = cems.exceedance([30.0, 45.0, 29.9, NAN], 30.0)
    # equal to the limit complies; (45 − 30)/30 = 0.5
    assert_array_equal(result.exceeds, [False, True, False, False])
    assert_allclose(result.multiple, [0.0, 0.5, 0.0, NAN])


def test_exceedance_two_sided_ph():
    result = cems.exceedance([5.4, 6.0, 7.0, 9.0, 9.9, NAN], 9.0, lower_limit=6.0)
    # (6 − 5.4)/6 = 0.1; (9.9 − 9)/9 = 0.1
    assert_array_equal(result.exceeds, [True, False, False, False, True, False])
    assert_allclose(result.multiple, [0.1, 0, 0, 0, 0.1, NAN])


def test_exceedance_per_outlet_limits():
    values = np.array([[40.0, 60.0], [40.0, 60.0]])
    limits = np.array([[50.0], [35.0]])  # e.g. ultra-low 35 vs GB 13271 special 50
    result = cems.exceedance(values, limits)
    # row 0: 60 > 50 → 0.2; row 1: (40 − 35)/35 = 1/7, (60 − 35)/35 = 5/7
    assert_array_equal(result.exceeds, [[False, True], [True, True]])
    assert_allclose(result.multiple, [[0, 0.2], [1 / 7, 5 / 7]])
