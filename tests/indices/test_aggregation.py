"""Tests for envmon.indices.aggregation: GB 3095 validity, HJ 663 statistics.

Expected values are worked by hand in the comments; the few references computed in code
(naive loops, ``np.percentile``) are independent of the module under test.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from envmon.indices import aggregation as agg

NAN = np.nan


# --- 1-h values: ≥ 45 minutes --------------------------------------------------------


def test_hourly_45_minutes_is_valid_44_is_not():
    hour_45 = np.r_[np.full(30, 10.0), np.full(15, 20.0), np.full(15, NAN)]
    hour_44 = np.r_[np.full(44, 10.0), np.full(16, NAN)]
    result = agg.hourly_from_minutes(np.r_[hour_45, hour_44])
    # (30*10 + 15*20) / 45 = 600 / 45 = 13.333…
    assert_allclose(result.values, [600 / 45, NAN])
    assert_array_equal(result.valid_minutes, [45, 44])


def test_hourly_valid_mask_excludes_samples():
    values = np.full(60, 10.0)
    values[:15] = 1000.0  # present but flagged invalid
    valid = np.ones(60, bool)
    valid[:15] = False
    result = agg.hourly_from_minutes(values, valid)
    assert_allclose(result.values, [10.0])  # 45 valid minutes of 10
    valid[15] = False  # 44 left
    assert np.isnan(agg.hourly_from_minutes(values, valid).values[0])


def test_hourly_five_minute_samples():
    # 12 samples per hour, 5 min each: 9 samples = 45 min valid, 8 = 40 min not.
    nine = np.r_[np.full(9, 4.0), np.full(3, NAN)]
    eight = np.r_[np.full(8, 4.0), np.full(4, NAN)]
    result = agg.hourly_from_minutes(np.r_[nine, eight], per_hour=12)
    assert_allclose(result.values, [4.0, NAN])
    assert_array_equal(result.valid_minutes, [45, 40])


def test_hourly_two_dimensional_stations():
    minutes = np.full((3, 120), 2.0)
    minutes[1, :20] = NAN  # station 1, hour 0: 40 minutes
    result = agg.hourly_from_minutes(minutes)
    assert result.values.shape == (3, 2)
    assert_allclose(result.values, [[2.0, 2.0], [NAN, 2.0], [2.0, 2.0]])


@pytest.mark.parametrize(
    ("kwargs", "length"), [({"per_hour": 7}, 70), ({}, 90), ({"per_hour": 0}, 60)]
)
def test_hourly_rejects_bad_shapes(kwargs, length):
    with pytest.raises(ValueError):
        agg.hourly_from_minutes(np.zeros(length), **kwargs)


def test_hourly_rejects_mismatched_mask():
    with pytest.raises(ValueError, match="shape"):
        agg.hourly_from_minutes(np.zeros(60), np.ones(59, bool))


# --- 24-h means: ≥ 20 hours ------------------------------------------------------------


def test_daily_20_hours_valid_19_not():
    day_20 = np.r_[np.arange(1.0, 21.0), np.full(4, NAN)]  # 1…20: mean 21/2 = 10.5
    day_19 = np.r_[np.full(19, 30.0), np.full(5, NAN)]
    result = agg.daily_means(np.r_[day_20, day_19])
    assert_allclose(result.values, [10.5, NAN])
    assert_array_equal(result.valid_hours, [20, 19])


def test_daily_means_scalar_list_and_errors():
    assert_allclose(agg.daily_means([5.0] * 24).values, [5.0])
    with pytest.raises(ValueError, match="blocks of 24"):
        agg.daily_means(np.zeros(25))
    with pytest.raises(ValueError):
        agg.daily_means(np.zeros(24), min_hours=25)
    with pytest.raises(ValueError):
        agg.daily_means(3.0)


# --- moving means ----------------------------------------------------------------------


def test_o3_8h_six_hours_valid_five_not():
    six = [NAN, NAN, 10, 20, 30, 40, 50, 60]  # (10+…+60)/6 = 210/6 = 35
    five = [NAN, NAN, NAN, 20, 30, 40, 50, 60]
    assert_allclose(agg.o3_8h_moving(six).values[-1], 35.0)
    result = agg.o3_8h_moving(five)
    assert np.isnan(result.values[-1])
    assert result.valid_hours[-1] == 5


def test_o3_8h_moving_spans_midnight_but_mda8_does_not():
    hourly = np.r_[np.full(24, 300.0), np.full(24, 100.0)]
    moving = agg.o3_8h_moving(hourly).values
    # Index 26 = 02:00–03:00 of day 2 (ends 03:00): hours 19…26 = 5 of day 1, 3 of day 2:
    # (5*300 + 3*100) / 8 = 1800 / 8 = 225.
    assert_allclose(moving[26], 225.0)
    # The first MDA8 window of day 2 ends 08:00 and holds only day 2's hours.
    assert_allclose(agg.o3_daily_max_8h(hourly).values, [300.0, 100.0])


def test_moving_mean_lead_in_hours_count_as_missing():
    result = agg.moving_mean(np.full(30, 5.0), window=24, min_valid=20)
    # Index 18 has 19 hours in its window, index 19 has 20.
    assert np.isnan(result.values[18])
    assert_allclose(result.values[19:], 5.0)
    assert_array_equal(result.valid_hours[:3], [1, 2, 3])


def test_moving_mean_matches_a_naive_loop():
    rng = np.random.default_rng(7)
    hourly = rng.uniform(0, 200, (4, 60))
    hourly[rng.random(hourly.shape) < 0.25] = NAN
    result = agg.moving_mean(hourly, window=24, min_valid=20)
    for row in range(4):
        for end in range(60):
            window = hourly[row, max(0, end - 23) : end + 1]
            window = window[~np.isnan(window)]
            expected = window.mean() if window.size >= 20 else NAN
            assert_allclose(result.values[row, end], expected, rtol=1e-12)


def test_moving_mean_rejects_bad_minimum():
    with pytest.raises(ValueError, match="min_valid"):
        agg.moving_mean(np.zeros(24), window=8, min_valid=9)


# --- MDA8 -------------------------------------------------------------------------------


def test_mda8_of_a_ramp():
    day = np.arange(24.0)  # window j = hours j…j+7, mean j + 3.5; max j = 16 → 19.5
    result = agg.o3_daily_max_8h(day)
    assert_allclose(result.values, [19.5])
    assert_array_equal(result.valid_count, [17])


def test_mda8_window_with_seven_hours_averages_those_available():
    day = np.arange(24.0)
    day[23] = NAN
    # Window 16: hours 16…22 → 133/7 = 19.0; window 15: 15…22 → 18.5.
    assert_allclose(agg.o3_daily_max_8h(day).values, [19.0])


def test_mda8_fourteen_windows_valid_thirteen_not():
    # Hours 0…H−1 valid: window j has H − j valid hours, so it is valid for j ≤ H − 6,
    # i.e. H − 5 windows. H = 19 → 14 windows; H = 18 → 13 windows.
    day_14 = np.r_[np.full(19, 120.0), np.full(5, NAN)]
    day_13 = np.r_[np.full(18, 120.0), np.full(6, NAN)]
    result = agg.o3_daily_max_8h(np.r_[day_14, day_13])
    assert_array_equal(result.valid_count, [14, 13])
    assert_allclose(result.values, [120.0, NAN])
    assert_allclose(result.maximum, [120.0, 120.0])
    assert_array_equal(result.valid_for_exceedance, [True, False])


def test_mda8_exceedance_exception_with_thirteen_windows():
    above = np.r_[np.full(18, 170.0), np.full(6, NAN)]  # 13 windows, max 170 > 160
    at_limit = np.r_[np.full(18, 160.0), np.full(6, NAN)]  # 160 is not above 160
    result = agg.o3_daily_max_8h(np.r_[above, at_limit])
    assert np.isnan(result.values).all()
    assert_array_equal(result.valid_for_exceedance, [True, False])
    grade_1 = agg.o3_daily_max_8h(at_limit, exceedance_limit=100.0)
    assert_array_equal(grade_1.valid_for_exceedance, [True])


def test_mda8_window_needs_six_hours():
    day = np.full(24, NAN)
    day[:5] = 200.0  # window 0 has only 5 hours
    result = agg.o3_daily_max_8h(day)
    assert_array_equal(result.valid_count, [0])
    assert np.isnan(result.maximum[0])
    assert not result.valid_for_exceedance[0]


# --- daily max 1 h ------------------------------------------------------------------


def test_daily_max_hourly_20_and_19_hours():
    day_20 = np.r_[np.full(19, 80.0), 210.0, np.full(4, NAN)]
    day_19 = np.r_[np.full(18, 80.0), 250.0, np.full(5, NAN)]
    result = agg.daily_max_hourly(np.r_[day_20, day_19])
    assert_allclose(result.values, [210.0, NAN])
    assert_allclose(result.maximum, [210.0, 250.0])
    assert_array_equal(result.valid_count, [20, 19])
    assert_array_equal(result.valid_for_exceedance, [True, False])


# --- percentiles ----------------------------------------------------------------------


def test_percentile_hj663_by_hand():
    values = [3, 1, 4, 1, 5, 9, 2, 6, NAN]  # sorted valid: 1 1 2 3 4 5 6 9 (n = 8)
    # p = 90: k = 1 + 7*0.9 = 7.3, s = 7: X7 + (X8 − X7)*0.3 = 6 + 3*0.3 = 6.9
    assert_allclose(agg.percentile_hj663(values, 90), 6.9)
    # p = 98: k = 1 + 7*0.98 = 7.86: 6 + 3*0.86 = 8.58
    assert_allclose(agg.percentile_hj663(values, 98), 8.58)
    # p = 95: k = 7.65: 6 + 3*0.65 = 7.95
    assert_allclose(agg.percentile_hj663(values, 95), 7.95)
    assert_allclose(agg.percentile_hj663(values, 0), 1.0)
    assert_allclose(agg.percentile_hj663(values, 100), 9.0)


def test_percentile_edge_cases():
    assert_allclose(agg.percentile_hj663([NAN, 7.0], 98), 7.0)  # n = 1
    assert np.isnan(agg.percentile_hj663([NAN, NAN], 50))
    assert agg.percentile_hj663(np.zeros((3, 0)), 50).shape == (3,)
    with pytest.raises(ValueError):
        agg.percentile_hj663([1.0], 101)


@settings(max_examples=50, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 5), st.integers(1, 40)),
        elements=st.one_of(st.just(NAN), st.floats(0, 1000)),
    ),
    st.floats(0, 100),
)
def test_percentile_rows_match_numpy_linear(values, p):
    result = agg.percentile_hj663(values, p)
    for row, value in zip(values, result, strict=True):
        valid = row[~np.isnan(row)]
        expected = np.percentile(valid, p, method="linear") if valid.size else NAN
        assert_allclose(value, expected, rtol=1e-12, atol=1e-9)


# --- period statistics -------------------------------------------------------------


YEAR = np.arange("2025-01-01", "2026-01-01", dtype="datetime64[D]")
MONTH_STARTS = np.arange("2025-01", "2026-01", dtype="datetime64[M]").astype(
    "datetime64[D]"
)
# Days that may be removed per month leaving 27 (February: 25); 2025 month lengths
# 31 28 31 30 31 30 31 31 30 31 30 31 → 4 3 4 3 4 3 4 4 3 4 3 4 = 43.
REMOVABLE = [4, 3, 4, 3, 4, 3, 4, 4, 3, 4, 3, 4]


def _year_with_removed(removed):
    daily = np.full(YEAR.size, 50.0)
    for start, count in zip(MONTH_STARTS, removed, strict=True):
        first = int((start - YEAR[0]).astype(int))
        daily[first : first + count] = NAN
    return daily


def test_annual_324_days_valid_323_not():
    removed = [*REMOVABLE[:11], 2]  # 43 − 2 = 41 removed: 365 − 41 = 324 valid, Dec 29
    result = agg.period_statistics(_year_with_removed(removed), YEAR)
    assert (result.valid_days, result.valid) == (324, True)
    removed[11] = 3  # 323 valid; every month still ≥ 27 (Feb 25)
    result = agg.period_statistics(_year_with_removed(removed), YEAR)
    assert (result.valid_days, result.valid) == (323, False)
    assert_allclose(result.value, 50.0)  # computed all the same


def test_annual_february_24_fails_even_with_enough_days():
    removed = [0, 4, *[0] * 10]  # Feb 28 − 4 = 24; total 361
    result = agg.period_statistics(_year_with_removed(removed), YEAR)
    assert (result.valid_days, result.valid) == (361, False)
    removed[1] = 3  # Feb 25
    assert agg.period_statistics(_year_with_removed(removed), YEAR).valid


def test_monthly_february_25_and_24_march_27_and_26():
    february = np.arange("2025-02-01", "2025-03-01", dtype="datetime64[D]")
    daily = np.r_[np.full(25, 40.0), np.full(3, NAN)]
    assert agg.period_statistics(daily, february, period="month").valid
    daily[24] = NAN
    assert not agg.period_statistics(daily, february, period="month").valid
    march = np.arange("2025-03-01", "2025-04-01", dtype="datetime64[D]")
    daily = np.r_[np.full(27, 40.0), np.full(4, NAN)]
    assert agg.period_statistics(daily, march, period="month").valid
    daily[0] = NAN
    assert not agg.period_statistics(daily, march, period="month").valid


def test_annual_percentile_and_mean_by_hand_over_stations():
    daily = np.full((2, YEAR.size), NAN)
    daily[0, :10] = np.arange(1.0, 11.0)  # 1…10
    daily[1] = 20.0
    # p98 of 1…10: k = 1 + 9*0.98 = 9.82 → 9 + 1*0.82 = 9.82
    result = agg.period_statistics(daily, YEAR, statistic="percentile", percentile=98)
    assert_allclose(result.value, [9.82, 20.0])
    assert_array_equal(result.valid_days, [10, 365])
    assert_array_equal(result.valid, [False, True])
    assert_allclose(agg.period_statistics(daily, YEAR).value, [5.5, 20.0])


def test_partial_year_is_computed_but_not_valid():
    half = YEAR[:181]
    result = agg.period_statistics(np.full(181, 30.0), half)
    assert_allclose(result.value, 30.0)
    assert not result.valid


def test_tsp_coverage():
    daily = np.full(YEAR.size, NAN)
    daily[np.arange(0, 365, 5)] = 100.0  # every 5th day: 73 values, Feb (days 31…58) 5
    result = agg.period_statistics(daily, YEAR, coverage=agg.COVERAGE_TSP_BAP_PB)
    assert (result.valid_days, result.valid) == (73, True)
    daily[35] = NAN  # February down to 4
    assert not agg.period_statistics(
        daily, YEAR, coverage=agg.COVERAGE_TSP_BAP_PB
    ).valid


@pytest.mark.parametrize(
    "kwargs",
    [
        {"statistic": "percentile"},
        {"percentile": 95.0},
        {"period": "week"},
        {"statistic": "median"},
    ],
)
def test_period_statistics_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        agg.period_statistics(np.ones(YEAR.size), YEAR, **kwargs)


def test_period_statistics_rejects_bad_dates():
    with pytest.raises(ValueError, match="more than one year"):
        two_years = np.arange("2025-12-01", "2026-01-31", dtype="datetime64[D]")
        agg.period_statistics(np.ones(two_years.size), two_years)
    with pytest.raises(ValueError, match="dates"):
        agg.period_statistics(np.ones(3), YEAR)
    with pytest.raises(ValueError, match="distinct"):
        agg.period_statistics(np.ones(2), np.array(["2025-01-01"] * 2, "datetime64[D]"))


def test_annual_statistics_table():
    table = {
        name: [(s.statistic, s.percentile, s.of) for s in specs]
        for name, specs in agg.ANNUAL_STATISTICS.items()
    }
    assert table == {
        "so2": [("mean", None, "daily_mean"), ("percentile", 98.0, "daily_mean")],
        "no2": [("mean", None, "daily_mean"), ("percentile", 98.0, "daily_mean")],
        "pm10": [("mean", None, "daily_mean"), ("percentile", 95.0, "daily_mean")],
        "pm25": [("mean", None, "daily_mean"), ("percentile", 95.0, "daily_mean")],
        "co": [("percentile", 95.0, "daily_mean")],
        "o3": [("percentile", 90.0, "o3_daily_max_8h")],
    }


# --- city values and ranking -------------------------------------------------------


def test_city_mean_counts_valid_sites():
    sites = [[10.0, NAN, 30.0], [20.0, NAN, NAN]]
    result = agg.city_mean(sites)
    assert_allclose(result.values, [15.0, NAN, 30.0])
    assert_array_equal(result.site_count, [2, 0, 1])
    assert_allclose(agg.city_mean(sites, min_sites=2).values, [15.0, NAN, NAN])
    # ⌈0.75 * 2⌉ = 2 sites needed
    assert_allclose(agg.city_mean(sites, min_fraction=0.75).values, [15.0, NAN, NAN])


def test_comprehensive_index_by_hand():
    stats = {"so2": 12, "no2": 40, "pm10": 70, "pm25": 35, "co": 1.2, "o3": 160}
    result = agg.comprehensive_index(stats)
    # 12/60 + 40/40 + 70/70 + 35/35 + 1.2/4 + 160/160 = 0.2 + 1 + 1 + 1 + 0.3 + 1
    assert_allclose(result.total, 4.5)
    assert_allclose(result.single["co"], 0.3)
    weighted = agg.comprehensive_index(stats, weights=agg.RANKING_WEIGHTS_UNVERIFIED)
    # 0.2*1 + 1*2 + 1*1 + 1*3 + 0.3*1 + 1*2 = 8.5
    assert_allclose(weighted.total, 8.5)
    # 2026 transitional limits: pm10 70/60, pm25 35/30 → 0.2+1+7/6+7/6+0.3+1
    transitional = agg.comprehensive_index(
        stats, limits=agg.RANKING_LIMITS_2026_TRANSITIONAL
    )
    assert_allclose(transitional.total, 2.5 + 14 / 6, rtol=1e-12)


def test_comprehensive_index_over_cities_and_missing():
    stats = {name: np.array([1.0, NAN]) for name in agg.RANKING_LIMITS_2012}
    total = agg.comprehensive_index(stats).total
    assert_allclose(total, [1 / 60 + 1 / 40 + 1 / 70 + 1 / 35 + 1 / 4 + 1 / 160, NAN])
    del stats["o3"]
    with pytest.raises(ValueError, match="o3"):
        agg.comprehensive_index(stats)


# --- properties ----------------------------------------------------------------------

hourly_arrays = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(1, 3).map(lambda days: 24 * days)),
    elements=st.one_of(st.just(NAN), st.floats(0, 1000)),
)


@settings(max_examples=60, deadline=None)
@given(hourly_arrays)
def test_means_lie_between_valid_min_and_max(hourly):
    original = hourly.copy()
    days = hourly.reshape(hourly.shape[0], -1, 24)
    daily = agg.daily_means(hourly, min_hours=1)
    low = np.where(np.isnan(days), np.inf, days).min(axis=-1)
    high = np.where(np.isnan(days), -np.inf, days).max(axis=-1)
    ok = ~np.isnan(daily.values)
    assert np.all(daily.values[ok] >= low[ok] - 1e-9)
    assert np.all(daily.values[ok] <= high[ok] + 1e-9)
    assert_array_equal(ok, daily.valid_hours >= 1)
    mda8 = agg.o3_daily_max_8h(hourly, min_windows=1)
    has = ~np.isnan(mda8.values)
    assert np.all(mda8.values[has] <= high[has] + 1e-9)
    assert np.all(mda8.values[has] >= low[has] - 1e-9)
    assert_array_equal(hourly, original)  # input untouched


@settings(max_examples=40, deadline=None)
@given(hourly_arrays)
def test_vectorised_equals_row_by_row(hourly):
    functions = [
        lambda a: agg.daily_means(a).values,
        lambda a: agg.moving_mean(a).values,
        lambda a: agg.o3_8h_moving(a).values,
        lambda a: agg.o3_daily_max_8h(a).values,
        lambda a: agg.o3_daily_max_8h(a).valid_for_exceedance,
        lambda a: agg.daily_max_hourly(a).values,
        lambda a: agg.percentile_hj663(a, 95),
    ]
    for function in functions:
        whole = function(hourly)
        rows = np.stack([function(row) for row in hourly])
        assert_array_equal(whole, rows)


@settings(max_examples=40, deadline=None)
@given(hourly_arrays)
def test_three_dimensional_input_keeps_leading_axes(hourly):
    stacked = np.stack([hourly, hourly[::-1]])
    assert_array_equal(
        agg.daily_means(stacked).values[0], agg.daily_means(hourly).values
    )
    assert agg.o3_daily_max_8h(stacked).values.shape == (
        2,
        *hourly.shape[:-1],
        hourly.shape[-1] // 24,
    )
