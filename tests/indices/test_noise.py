"""GB 3096-2008 limits, energy averaging and the HJ 640 grades, against hand-worked cases.

Expected values come from noise.md's tables and arithmetic written out in the comments;
none is computed by the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from envmon.indices.noise import (
    NOISE_LIMITS,
    NightMaximum,
    NoiseGrade,
    NoiseZone,
    ZoneLimits,
    assess_night_maximum,
    assess_noise,
    compliance_rate,
    day_night_level,
    day_night_levels,
    equivalent_level,
    noise_grades,
    zone_limits,
)

# noise.md §1, GB 3096-2008 Table 1 [dB(A)]
TABLE_1 = {
    "0": (50, 40),
    "1": (55, 45),
    "2": (60, 50),
    "3": (65, 55),
    "4a": (70, 55),
    "4b": (70, 60),
}


@pytest.mark.parametrize(("zone", "limits"), TABLE_1.items())
def test_zone_limits_match_table_1(zone, limits):
    assert zone_limits(zone) == limits
    assert NOISE_LIMITS[NoiseZone(zone)] == limits


def test_zone_names():
    assert [z.value for z in NoiseZone] == list(TABLE_1)
    assert NoiseZone.CLASS_4A.zh_name == "4a类声环境功能区"


def test_special_limits():
    # §5.2: existing railways through towns, background 70/55
    assert zone_limits("4b", existing_railway=True) == ZoneLimits(70, 55)
    with pytest.raises(ValueError, match="zone 4b only"):
        zone_limits("2", existing_railway=True)
    # indoor with windows open: 10 dB lower
    assert zone_limits("1", indoor=True) == ZoneLimits(45, 35)
    with pytest.raises(ValueError, match="'5'"):
        zone_limits("5")


@pytest.mark.parametrize(
    ("levels", "durations", "expected"),
    [
        # noise.md §3: 10·lg((15·10^4.9 + 10^6.2)/16) = 10·lg((1191492.4 + 1584893.2)/16)
        # = 10·lg(173524.1) = 52.394
        ([49.0] * 15 + [62.0], None, 52.394),
        # 10·lg((3·10^6 + 1·10^7)/4) = 10·lg(3.25e6) = 65.119
        ([60.0, 70.0], [3, 1], 65.119),
        # two equal sources: 10·lg(2·10^6/2) = 60; NaN is ignored
        ([60.0, np.nan, 60.0], None, 60.0),
        # durations in minutes: 10·lg((45·10^5.5 + 15·10^6.5)/60)
        # = 10·lg((14230249 + 47434165)/60) = 10·lg(1027740.2) = 60.119
        ([55.0, 65.0], [45, 15], 60.119),
        # a zero-length period counts for nothing
        ([60.0, 90.0], [10, 0], 60.0),
    ],
)
def test_equivalent_level(levels, durations, expected):
    assert equivalent_level(levels, durations) == pytest.approx(expected, abs=5e-4)


def test_equivalent_level_is_not_the_arithmetic_mean():
    # noise.md §3: the arithmetic mean (15·49 + 62)/16 = 49.8 would wrongly pass zone 0 (50)
    assert equivalent_level([49.0] * 15 + [62.0]) > 52.0


def test_equivalent_level_without_data_is_nan():
    assert math.isnan(equivalent_level([]))
    assert math.isnan(equivalent_level([np.nan, np.nan]))
    assert math.isnan(equivalent_level([60.0], [0.0]))
    with pytest.raises(ValueError, match="negative"):
        equivalent_level([60.0, 61.0], [1.0, -1.0])


HOURS = [*range(24)]
# day hours 06–21 at 60 except 06 at 70; night hours 22–05 at 50 except 22 at 60
HOURLY = [{6: 70.0, 22: 60.0}.get(h, 60.0 if 6 <= h < 22 else 50.0) for h in HOURS]


def test_day_night_levels_default_periods():
    day, night = day_night_levels(HOURLY, HOURS)
    # Ld = 10·lg((15·10^6 + 10^7)/16) = 10·lg(1.5625e6) = 61.938
    assert day == pytest.approx(61.938, abs=5e-4)
    # Ln = 10·lg((7·10^5 + 10^6)/8) = 10·lg(212500) = 53.274
    assert night == pytest.approx(53.274, abs=5e-4)


def test_day_night_levels_local_periods():
    day, night = day_night_levels(HOURLY, HOURS, day_start_hour=7, night_start_hour=23)
    # day 07–22: all 60 -> 60; night 23–06: 7 × 50 and 06 at 70
    # Ln = 10·lg((7·10^5 + 10^7)/8) = 10·lg(1.3375e6) = 61.263
    assert day == pytest.approx(60.0)
    assert night == pytest.approx(61.263, abs=5e-4)


def test_day_night_levels_night_missing_and_bad_hours():
    day, night = day_night_levels([55.0, 57.0], [8, 9])
    # 10·lg((10^5.5 + 10^5.7)/2) = 10·lg((316227.8 + 501187.2)/2) = 10·lg(408707.5) = 56.114
    assert day == pytest.approx(56.114, abs=5e-4)
    assert math.isnan(night)
    for hours in ([24], [-1], [6.5]):
        with pytest.raises(ValueError, match="0–23"):
            day_night_levels([55.0], hours)


@pytest.mark.parametrize(
    ("day", "night", "expected"),
    [
        (60.0, 50.0, 60.0),  # 10·lg((16·10^6 + 8·10^6)/24) = 60
        (65.0, 55.0, 65.0),
        (60.0, 60.0, 66.021),  # 10·lg((16·10^6 + 8·10^7)/24) = 10·lg(4·10^6)
    ],
)
def test_day_night_level(day, night, expected):
    assert day_night_level(day, night) == pytest.approx(expected, abs=5e-4)


@pytest.mark.parametrize(
    ("zone", "day", "night", "day_delta", "night_delta", "day_ok", "night_ok"),
    [
        ("2", 60.0, 50.0, 0.0, 0.0, True, True),  # noise.md §3: limits inclusive
        ("2", 60.1, 49.0, 0.1, -1.0, False, True),  # ΔL = +0.1
        ("4b", 65.0, 58.0, -5.0, -2.0, True, True),  # 4b night 60
        ("4a", 65.0, 58.0, -5.0, 3.0, True, False),  # 4a night 55: ΔL = +3
        ("0", 52.394, 40.0, 2.4, 0.0, False, True),  # 15 × 49 + 62 over the day
        (
            "2",
            60.04,
            50.05,
            0.0,
            0.1,
            True,
            False,
        ),  # 0.1 dB: 60.04 -> 60.0, 50.05 -> 50.1
    ],
)
def test_assess_noise(zone, day, night, day_delta, night_delta, day_ok, night_ok):
    result = assess_noise(day, night, zone=zone)
    assert result.day_exceedance == pytest.approx(day_delta)
    assert result.night_exceedance == pytest.approx(night_delta)
    assert (result.day_compliant, result.night_compliant) == (day_ok, night_ok)
    assert result.compliant is (day_ok and night_ok)


def test_assess_noise_with_a_period_missing_and_json():
    result = assess_noise(56.0, None, zone="1")
    assert result.night_compliant is None
    assert result.night_exceedance is None
    assert result.compliant is False
    assert result.as_json() == {
        "zone": "1",
        "limits": {"day": 55.0, "night": 45.0},
        "day": {"leq": 56.0, "exceedance": 1.0, "compliant": False},
        "night": {"leq": None, "exceedance": None, "compliant": None},
        "compliant": False,
    }
    assert assess_noise(None, math.nan, zone="1").compliant is None


def test_assess_noise_existing_railway():
    # 4b beside an existing railway: night background limit 55, not 60
    result = assess_noise(68.0, 57.0, zone="4b", existing_railway=True)
    assert result.limits == (70.0, 55.0)
    assert result.night_exceedance == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("zone", "lmax", "expected"),
    [
        ("1", 60.0, NightMaximum(60.0, 60.0, 0.0, True)),  # noise.md §3: 45 + 15
        ("1", 60.5, NightMaximum(60.5, 60.0, 0.5, False)),
        ("2", 65.0, NightMaximum(65.0, 65.0, 0.0, True)),  # noise.md §1: 50 + 15
        ("4b", 76.0, NightMaximum(76.0, 75.0, 1.0, False)),  # 60 + 15
    ],
)
def test_night_maximum(zone, lmax, expected):
    assert assess_night_maximum(lmax, zone=zone) == expected


def test_night_maximum_rejects_nan():
    with pytest.raises(ValueError, match="L_max"):
        assess_night_maximum(math.nan, zone="1")


@pytest.mark.parametrize(
    ("survey", "period", "levels", "grades"),
    [
        # noise.md §2 HJ 640: ≤50.0 / 50.1–55.0 / 55.1–60.0 / 60.1–65.0 / >65.0
        (
            "regional",
            "day",
            [50.0, 50.1, 55.0, 55.1, 60.0, 65.0, 65.1],
            [1, 2, 2, 3, 3, 4, 5],
        ),
        ("regional", "night", [40.0, 40.1, 45.1, 50.1, 55.0, 55.1], [1, 2, 3, 4, 4, 5]),
        (
            "road_traffic",
            "day",
            [68.0, 68.1, 70.0, 72.1, 74.0, 74.1],
            [1, 2, 2, 4, 4, 5],
        ),
        ("road_traffic", "night", [58.0, 58.1, 62.0, 64.1, np.nan], [1, 2, 3, 5, 0]),
    ],
)
def test_noise_grades(survey, period, levels, grades):
    assert noise_grades(levels, survey=survey, period=period).tolist() == grades


def test_noise_grade_labels_and_errors():
    assert [g.label for g in NoiseGrade] == ["好", "较好", "一般", "较差", "差"]
    with pytest.raises(ValueError, match="'rail'"):
        noise_grades([50.0], survey="rail", period="day")
    with pytest.raises(ValueError, match="'evening'"):
        noise_grades([50.0], survey="regional", period="evening")


def test_compliance_rate():
    # zone 2 day: 55.0 and 60.0 comply, 60.1 and 62.0 do not -> 2 of 4 = 50 %
    assert compliance_rate([55.0, 60.0, 60.1, 62.0, np.nan], 60.0) == pytest.approx(
        50.0
    )
    # each point with its own limit: 58 <= 60 yes, 58 <= 55 no, 66 <= 70 yes -> 2 of 3
    assert compliance_rate([58, 58, 66], [60, 55, 70]) == pytest.approx(200 / 3)
    assert math.isnan(compliance_rate([np.nan], 60.0))


levels_db = st.floats(min_value=0.0, max_value=140.0, allow_nan=False)


@given(level=levels_db, count=st.integers(min_value=1, max_value=50))
def test_leq_of_identical_levels_is_that_level(level, count):
    assert equivalent_level([level] * count) == pytest.approx(level, abs=1e-9)


@given(st.lists(levels_db, min_size=1, max_size=50))
def test_leq_lies_between_max_minus_10lg_n_and_max(levels):
    leq = equivalent_level(levels)
    top = max(levels)
    assert top - 10 * math.log10(len(levels)) - 1e-9 <= leq <= top + 1e-9


@given(
    st.lists(
        st.tuples(levels_db, st.floats(min_value=0.1, max_value=1e4)),
        min_size=1,
        max_size=30,
    )
)
def test_leq_with_durations_is_at_least_min_and_at_most_max(pairs):
    levels = [level for level, _ in pairs]
    leq = equivalent_level(levels, [duration for _, duration in pairs])
    assert min(levels) - 1e-9 <= leq <= max(levels) + 1e-9
