"""HJ 633-2012 / HJ 633-2026 AQI. Every expected number is worked out by hand from Table 1
(IAQI = (IAQI_Hi - IAQI_Lo) / (BP_Hi - BP_Lo) * (C - BP_Lo) + IAQI_Lo, then rounded up),
with the arithmetic in a comment; none comes from the code under test."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from envmon.indices import aqi as aqi_module
from envmon.indices.aqi import (
    AUXILIARY,
    BREAKPOINTS,
    CUTOVER,
    INDICATOR_INFO,
    INDICATORS,
    LEVELS,
    AqiMode,
    AqiStandard,
    aqi_arrays,
    evaluate,
    evaluate_record,
    iaqi,
    level_of,
    round_concentration,
    standard_for,
)
from envmon.timeutil import BEIJING

S12, S26 = AqiStandard.HJ633_2012, AqiStandard.HJ633_2026
HOURLY, DAILY = AqiMode.HOURLY, AqiMode.DAILY
NAN = math.nan


def test_public_names() -> None:
    assert set(aqi_module.__all__) >= {
        "AqiStandard",
        "AqiMode",
        "CUTOVER",
        "standard_for",
        "INDICATORS",
        "AUXILIARY",
        "LEVELS",
        "round_concentration",
        "iaqi",
        "aqi_arrays",
        "AqiArrays",
        "evaluate",
        "AqiResult",
        "evaluate_record",
        "level_of",
    }
    for name in aqi_module.__all__:
        assert hasattr(aqi_module, name)


def test_enums_and_indicator_sets() -> None:
    assert [s.value for s in AqiStandard] == ["HJ633-2012", "HJ633-2026"]
    assert [m.value for m in AqiMode] == ["hourly", "daily"]
    assert CUTOVER.isoformat() == "2026-03-01"
    assert INDICATORS[S12, DAILY] == (
        *("so2_24h", "no2_24h", "pm10_24h", "co_24h"),
        *("o3_1h_max", "o3_8h_max", "pm25_24h"),
    )
    assert INDICATORS[S12, HOURLY] == (
        *("so2_1h", "no2_1h", "co_1h", "o3_1h", "o3_8h", "pm10_24h", "pm25_24h"),
    )
    assert INDICATORS[S26, DAILY] == (
        *("so2_24h", "no2_24h", "co_24h", "o3_8h_max", "pm10_24h", "pm25_24h"),
    )
    assert INDICATORS[S26, HOURLY] == (
        *("so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_1h", "pm25_1h"),
    )
    assert AUXILIARY == {(S12, HOURLY): ("so2_24h",)}
    assert INDICATOR_INFO["co_1h"].unit == "mg/m³"
    assert INDICATOR_INFO["pm25_1h"].pollutant == "pm25"
    assert {
        info.unit for n, info in INDICATOR_INFO.items() if not n.startswith("co")
    } == {"µg/m³"}


def test_levels_table() -> None:
    assert [level.category for level in LEVELS] == [
        *("优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"),
    ]
    assert [(level.aqi_low, level.aqi_high) for level in LEVELS] == [
        *((0, 50), (51, 100), (101, 150), (151, 200), (201, 300), (301, 500)),
    ]
    assert [level.rgb for level in LEVELS] == [
        *((0, 228, 0), (255, 255, 0), (255, 126, 0), (255, 0, 0), (153, 0, 76)),
        (126, 0, 35),
    ]
    assert all(level.health_effect and level.advice for level in LEVELS)


# --- §8 worked examples ----------------------------------------------------------------


def test_worked_example_daily_2012() -> None:
    # PM2.5 140: (200-150)/(150-115)*(140-115)+150 = 185.71 -> 186
    # PM10 180: (150-100)/(250-150)*(180-150)+100 = 115
    # NO2 68: (100-50)/(80-40)*(68-40)+50 = 85
    result = evaluate(
        {"pm25_24h": 140, "pm10_24h": 180, "no2_24h": 68}, standard=S12, mode=DAILY
    )
    assert result.iaqi == {"no2_24h": 85, "pm10_24h": 115, "pm25_24h": 186}
    assert (result.aqi, result.level, result.category) == (186, 4, "中度污染")
    assert result.rgb == (255, 0, 0)
    assert result.primary == ("pm25_24h",)
    assert result.exceeding == ("pm10_24h", "pm25_24h")
    assert result.missing == ("so2_24h", "co_24h", "o3_1h_max", "o3_8h_max")
    assert result.publishable is True


def test_worked_example_so2_hourly_above_800() -> None:
    # 2012: SO2 1h 850 has no IAQI; SO2 24h 300: (150-100)/(475-150)*(300-150)+100
    # = 123.08 -> 124, reported in the so2_1h slot. 2026: SO2 1h > 800 -> 200.
    row = {"so2_1h": 850, "so2_24h": 300}
    result = evaluate(row, standard=S12, mode=HOURLY)
    assert result.iaqi == {"so2_1h": 124}
    assert result.aqi == 124
    result = evaluate({"so2_1h": 850}, standard=S26, mode=HOURLY)
    assert (result.iaqi, result.aqi, result.beyond_table) == ({"so2_1h": 200}, 200, ())


# --- breakpoints, breakpoint + 1 ---------------------------------------------------------

# (standard, indicator, concentration, expected IAQI); one unit above a breakpoint is
# BP + 1 [µg/m³] or BP + 0.1 [mg/m³] for CO.
BREAKPOINT_CASES = [
    # SO2 24h 0/50/150/475/800/1600/2100/2620
    (S12, "so2_24h", 0, 0),
    (S12, "so2_24h", 1, 1),  # 50/50*1 = 1
    (S12, "so2_24h", 50, 50),
    (S12, "so2_24h", 51, 51),  # 50/100*1+50 = 50.5
    (S12, "so2_24h", 150, 100),
    (S12, "so2_24h", 151, 101),  # 50/325*1+100 = 100.15
    (S12, "so2_24h", 475, 150),
    (S12, "so2_24h", 476, 151),  # 50/325+150 = 150.15
    (S12, "so2_24h", 800, 200),
    (S12, "so2_24h", 801, 201),  # 100/800+200 = 200.125
    (S12, "so2_24h", 1600, 300),
    (S12, "so2_24h", 1601, 301),  # 100/500+300 = 300.2
    (S12, "so2_24h", 2100, 400),
    (S12, "so2_24h", 2101, 401),  # 100/520+400 = 400.19
    (S12, "so2_24h", 2620, 500),
    # SO2 1h 0/150/500/650/800
    (S12, "so2_1h", 150, 50),
    (S12, "so2_1h", 151, 51),  # 50/150*1+50 = 50.33
    (S12, "so2_1h", 500, 100),
    (S12, "so2_1h", 501, 101),  # 50/150+100 = 100.33
    (S12, "so2_1h", 650, 150),
    (S12, "so2_1h", 651, 151),  # 50/150+150 = 150.33
    (S12, "so2_1h", 800, 200),
    (S12, "so2_1h", 801, NAN),  # note (2): no IAQI from the 1h value
    (S26, "so2_1h", 801, 200),
    # NO2 24h 0/40/80/180/280/565/750/940
    (S12, "no2_24h", 40, 50),
    (S12, "no2_24h", 41, 52),  # 50/40*1+50 = 51.25
    (S12, "no2_24h", 80, 100),
    (S12, "no2_24h", 81, 101),  # 50/100+100 = 100.5
    (S12, "no2_24h", 180, 150),
    (S12, "no2_24h", 181, 151),  # 50/100+150 = 150.5
    (S12, "no2_24h", 280, 200),
    (S12, "no2_24h", 281, 201),  # 100/285+200 = 200.35
    (S12, "no2_24h", 565, 300),
    (S12, "no2_24h", 566, 301),  # 100/185+300 = 300.54
    (S12, "no2_24h", 750, 400),
    (S12, "no2_24h", 751, 401),  # 100/190+400 = 400.53
    (S12, "no2_24h", 940, 500),
    # NO2 1h 0/100/200/700/1200/2340/3090/3840
    (S12, "no2_1h", 100, 50),
    (S12, "no2_1h", 101, 51),  # 50/100+50 = 50.5
    (S12, "no2_1h", 200, 100),
    (S12, "no2_1h", 201, 101),  # 50/500+100 = 100.1
    (S12, "no2_1h", 700, 150),
    (S12, "no2_1h", 701, 151),  # 50/500+150 = 150.1
    (S12, "no2_1h", 1200, 200),
    (S12, "no2_1h", 1201, 201),  # 100/1140+200 = 200.09
    (S12, "no2_1h", 2340, 300),
    (S12, "no2_1h", 2341, 301),  # 100/750+300 = 300.13
    (S12, "no2_1h", 3090, 400),
    (S12, "no2_1h", 3091, 401),  # 100/750+400 = 400.13
    (S12, "no2_1h", 3840, 500),
    # PM10 24h (2012) 0/50/150/250/350/420/500/600
    (S12, "pm10_24h", 50, 50),
    (S12, "pm10_24h", 51, 51),  # 50/100+50 = 50.5
    (S12, "pm10_24h", 150, 100),
    (S12, "pm10_24h", 151, 101),  # 50/100+100 = 100.5
    (S12, "pm10_24h", 250, 150),
    (S12, "pm10_24h", 251, 151),  # 50/100+150 = 150.5
    (S12, "pm10_24h", 350, 200),
    (S12, "pm10_24h", 351, 202),  # 100/70+200 = 201.43
    (S12, "pm10_24h", 420, 300),
    (S12, "pm10_24h", 421, 302),  # 100/80+300 = 301.25
    (S12, "pm10_24h", 500, 400),
    (S12, "pm10_24h", 501, 401),  # 100/100+400 = 401
    (S12, "pm10_24h", 600, 500),
    # CO 24h 0/2/4/14/24/36/48/60 mg/m³
    (S12, "co_24h", 2, 50),
    (S12, "co_24h", 2.1, 53),  # 50/2*0.1+50 = 52.5
    (S12, "co_24h", 4, 100),
    (S12, "co_24h", 4.1, 101),  # 50/10*0.1+100 = 100.5
    (S12, "co_24h", 14, 150),
    (S12, "co_24h", 14.1, 151),  # 50/10*0.1+150 = 150.5
    (S12, "co_24h", 24, 200),
    (S12, "co_24h", 24.1, 201),  # 100/12*0.1+200 = 200.83
    (S12, "co_24h", 36, 300),
    (S12, "co_24h", 36.1, 301),  # 100/12*0.1+300 = 300.83
    (S12, "co_24h", 48, 400),
    (S12, "co_24h", 48.1, 401),  # 100/12*0.1+400 = 400.83
    (S12, "co_24h", 60, 500),
    # CO 1h 0/5/10/35/60/90/120/150 mg/m³
    (S12, "co_1h", 5, 50),
    (S12, "co_1h", 5.1, 51),  # 50/5*0.1+50 = 51 exactly (float noise must not give 52)
    (S12, "co_1h", 10, 100),
    (S12, "co_1h", 10.1, 101),  # 50/25*0.1+100 = 100.2
    (S12, "co_1h", 35, 150),
    (S12, "co_1h", 35.1, 151),  # 50/25*0.1+150 = 150.2
    (S12, "co_1h", 60, 200),
    (S12, "co_1h", 60.1, 201),  # 100/30*0.1+200 = 200.33
    (S12, "co_1h", 90, 300),
    (S12, "co_1h", 90.1, 301),  # 100/30*0.1+300 = 300.33
    (S12, "co_1h", 120, 400),
    (S12, "co_1h", 120.1, 401),  # 100/30*0.1+400 = 400.33
    (S12, "co_1h", 150, 500),
    # O3 1h 0/160/200/300/400/800/1000/1200
    (S12, "o3_1h", 160, 50),
    (S12, "o3_1h", 161, 52),  # 50/40*1+50 = 51.25
    (S12, "o3_1h", 200, 100),
    (S12, "o3_1h", 201, 101),  # 50/100+100 = 100.5
    (S12, "o3_1h", 300, 150),
    (S12, "o3_1h", 301, 151),  # 50/100+150 = 150.5
    (S12, "o3_1h", 400, 200),
    (S12, "o3_1h", 401, 201),  # 100/400+200 = 200.25
    (S12, "o3_1h", 800, 300),
    (S12, "o3_1h", 801, 301),  # 100/200+300 = 300.5
    (S12, "o3_1h", 1000, 400),
    (S12, "o3_1h", 1001, 401),  # 100/200+400 = 400.5
    (S12, "o3_1h", 1200, 500),
    (S12, "o3_1h_max", 250, 125),  # 50/100*50+100 = 125
    # O3 8h 0/100/160/215/265/800
    (S12, "o3_8h", 100, 50),
    (S12, "o3_8h", 101, 51),  # 50/60+50 = 50.83
    (S12, "o3_8h", 160, 100),
    (S12, "o3_8h", 161, 101),  # 50/55+100 = 100.91
    (S12, "o3_8h", 215, 150),
    (S12, "o3_8h", 216, 151),  # 50/50+150 = 151
    (S12, "o3_8h", 265, 200),
    (S12, "o3_8h", 266, 201),  # 100/535+200 = 200.19
    (S12, "o3_8h", 800, 300),
    (S12, "o3_8h", 801, NAN),  # note (3): no IAQI from the 8h value
    (S12, "o3_8h_max", 801, NAN),
    (S26, "o3_8h_max", 800, 300),
    (S26, "o3_8h_max", 801, 300),
    # PM2.5 24h (2012) 0/35/75/115/150/250/350/500
    (S12, "pm25_24h", 35, 50),
    (S12, "pm25_24h", 36, 52),  # 50/40*1+50 = 51.25
    (S12, "pm25_24h", 75, 100),
    (S12, "pm25_24h", 76, 102),  # 50/40+100 = 101.25
    (S12, "pm25_24h", 115, 150),
    (S12, "pm25_24h", 116, 152),  # 50/35+150 = 151.43
    (S12, "pm25_24h", 150, 200),
    (S12, "pm25_24h", 151, 201),  # 100/100+200 = 201
    (S12, "pm25_24h", 250, 300),
    (S12, "pm25_24h", 251, 301),  # 100/100+300 = 301
    (S12, "pm25_24h", 350, 400),
    (S12, "pm25_24h", 351, 401),  # 100/150+400 = 400.67
    (S12, "pm25_24h", 500, 500),
    # HJ 633-2026 PM: PM10 0/50/120/250/..., PM2.5 0/35/60/115/...
    (S26, "pm10_24h", 50, 50),
    (S26, "pm10_24h", 51, 51),  # 50/70+50 = 50.71
    (S26, "pm10_24h", 120, 100),
    (S26, "pm10_24h", 121, 101),  # 50/130+100 = 100.38
    (S26, "pm10_24h", 250, 150),
    (S26, "pm10_24h", 251, 151),  # 50/100+150 = 150.5
    (S26, "pm25_24h", 35, 50),
    (S26, "pm25_24h", 36, 52),  # 50/25+50 = 52
    (S26, "pm25_24h", 60, 100),
    (S26, "pm25_24h", 61, 101),  # 50/55+100 = 100.91
    (S26, "pm25_24h", 115, 150),
    (S26, "pm25_24h", 116, 152),  # 50/35+150 = 151.43
    (S26, "pm25_1h", 60, 100),  # hourly PM on the daily breakpoints
    (S26, "pm10_1h", 120, 100),
    (S12, "pm25_24h", 60, 82),  # 2012: 50/40*25+50 = 81.25
    (S12, "pm10_24h", 120, 85),  # 2012: 50/100*70+50 = 85
    # Gases unchanged in 2026
    (S26, "so2_24h", 151, 101),
    (S26, "no2_1h", 201, 101),
    (S26, "co_24h", 2.1, 53),
    (S26, "o3_1h", 201, 101),
]


@pytest.mark.parametrize(
    ("standard", "indicator", "concentration", "expected"), BREAKPOINT_CASES
)
def test_breakpoints(
    standard: AqiStandard, indicator: str, concentration: float, expected: float
) -> None:
    got = iaqi(indicator, concentration, standard=standard)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.float64


@pytest.mark.parametrize(
    ("standard", "indicator", "top"),
    [
        (S12, "so2_24h", 2620),
        (S12, "no2_24h", 940),
        (S12, "no2_1h", 3840),
        (S12, "pm10_24h", 600),
        (S12, "co_24h", 60),
        (S12, "co_1h", 150),
        (S12, "o3_1h", 1200),
        (S12, "pm25_24h", 500),
        (S26, "pm10_1h", 600),
        (S26, "pm25_24h", 500),
    ],
)
def test_beyond_the_table_is_capped_and_flagged(
    standard: AqiStandard, indicator: str, top: float
) -> None:
    step = 0.1 if indicator.startswith("co") else 1
    assert_array_equal(
        iaqi(indicator, [top, top + step, top * 3], standard=standard), 500
    )
    mode = HOURLY if indicator in INDICATORS[standard, HOURLY] else DAILY
    result = evaluate({indicator: top + step}, standard=standard, mode=mode)
    assert (result.aqi, result.level, result.beyond_table) == (500, 6, (indicator,))
    result = evaluate({indicator: top}, standard=standard, mode=mode)
    assert (result.aqi, result.beyond_table) == (500, ())


def test_iaqi_vectorised_and_missing() -> None:
    # NaN, negative -> NaN; 140 -> 186 (see the worked example); 75 -> 100.
    got = iaqi(
        "pm25_24h", np.array([[NAN, -1.0], [140.0, 75.0]]), standard="HJ633-2012"
    )
    assert_array_equal(got, [[NAN, NAN], [186, 100]])


def test_unknown_indicator_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"'pm2\.5'.*so2_24h"):
        iaqi("pm2.5", 10, standard=S12)
    with pytest.raises(ValueError, match=r"'pm25_1h'.*HJ633-2012.*pm25_24h"):
        iaqi("pm25_1h", 10, standard=S12)
    with pytest.raises(ValueError, match="o3_1h_max"):
        iaqi("o3_1h_max", 10, standard=S26)
    with pytest.raises(ValueError, match="HJ633-2020"):
        iaqi("pm25_24h", 10, standard="HJ633-2020")
    with pytest.raises(ValueError, match=r"unknown indicators \['pm25_24h'\]"):
        evaluate({"pm25_24h": 10}, standard=S26, mode=HOURLY)
    with pytest.raises(ValueError, match="mode 'weekly'"):
        aqi_arrays({}, standard=S26, mode="weekly")


# --- level boundaries --------------------------------------------------------------------

# SO2 24h (2012 = 2026 table) turns one µg/m³ into at most 1 IAQI above 50, so it can hit
# every boundary: arithmetic in BREAKPOINT_CASES.
LEVEL_CASES = [
    (50, 50, 1),
    (51, 51, 2),
    (150, 100, 2),
    (151, 101, 3),
    (475, 150, 3),
    (476, 151, 4),
    (800, 200, 4),
    (801, 201, 5),
    (1600, 300, 5),
    (1601, 301, 6),
    (2620, 500, 6),
    (2621, 500, 6),
]


@pytest.mark.parametrize("standard", list(AqiStandard))
@pytest.mark.parametrize(("so2", "aqi", "level"), LEVEL_CASES)
def test_level_boundaries(
    standard: AqiStandard, so2: float, aqi: int, level: int
) -> None:
    result = evaluate({"so2_24h": so2}, standard=standard, mode=DAILY)
    assert (result.aqi, result.level) == (aqi, level)
    assert result.category == LEVELS[level - 1].category
    assert result.rgb == LEVELS[level - 1].rgb
    assert result.primary == (() if aqi <= 50 else ("so2_24h",))


def test_level_of() -> None:
    got = level_of(
        [0, 50, 51, 100, 101, 150, 151, 200, 201, 300, 301, 500, 600, NAN, -1]
    )
    assert got.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 6, 0, 0]
    assert level_of(50.5).tolist() == 2
    assert level_of(NAN).dtype == np.int64


# --- rounding ----------------------------------------------------------------------------


def test_round_concentration_half_to_even() -> None:
    # GB/T 8170: a 5 followed by nothing rounds to the even neighbour.
    got = round_concentration(
        "pm25_24h", [0.5, 1.5, 2.5, 34.5, 35.5, 35.49, 35.51, NAN]
    )
    assert_array_equal(got, [0, 2, 2, 34, 36, 35, 36, NAN])
    # 0.15, 0.35, 1.05 are not exact in binary; they must round as the decimals they print.
    got = round_concentration("co_1h", [0.15, 0.25, 0.35, 0.45, 1.05, 2.15, 5.04, 5.06])
    assert_array_equal(got, [0.2, 0.2, 0.4, 0.4, 1.0, 2.2, 5.0, 5.1])


def test_pre_rounding_cases() -> None:
    # PM2.5 35.5: unrounded 50/40*0.5+50 = 50.625 -> 51; rounded to 36: 51.25 -> 52.
    # PM2.5 34.5: unrounded 50/35*34.5 = 49.29 -> 50; rounded to 34: 48.57 -> 49.
    for standard in AqiStandard:
        assert iaqi("pm25_24h", 35.5, standard=S12, round_inputs=False) == 51
        assert iaqi("pm25_24h", 34.5, standard=standard, round_inputs=False) == 50
        assert iaqi("pm25_24h", 34.5, standard=standard) == 49
    assert iaqi("pm25_24h", 35.5, standard=S12) == 52
    # 2026: 36 -> 50/25*1+50 = 52; unrounded 35.5 -> 50/25*0.5+50 = 51.
    assert iaqi("pm25_24h", 35.5, standard=S26) == 52
    assert iaqi("pm25_24h", 35.5, standard=S26, round_inputs=False) == 51
    for flag, expected in ((True, 52), (False, 51)):
        result = evaluate(
            {"pm25_24h": 35.5}, standard=S12, mode=DAILY, round_inputs=flag
        )
        assert result.aqi == expected
        arrays = aqi_arrays(
            {"pm25_24h": [35.5]}, standard=S12, mode=DAILY, round_inputs=flag
        )
        assert arrays.aqi.tolist() == [expected]


# --- special columns: SO2 1h and O3 8h above 800 -----------------------------------------


def test_so2_1h_800_and_850() -> None:
    # 800 is the top breakpoint: IAQI 200 under both standards.
    for standard in AqiStandard:
        assert evaluate({"so2_1h": 800}, standard=standard, mode=HOURLY).aqi == 200
    # 2012, 850 with SO2 24h 150 -> 100 in the so2_1h slot (24h table, IAQI 100 at 150).
    result = evaluate({"so2_1h": 850, "so2_24h": 150}, standard=S12, mode=HOURLY)
    assert result.iaqi == {"so2_1h": 100}
    assert result.primary == ("so2_1h",)
    # 2012, 850 without SO2 24h: nothing to report for SO2.
    result = evaluate({"so2_1h": 850, "no2_1h": 201}, standard=S12, mode=HOURLY)
    assert result.iaqi == {"no2_1h": 101}  # 50/500*1+100 = 100.1 -> 101
    assert "so2_1h" in result.missing
    # The 24h value is used only above 800: at 800 the 1h IAQI (200) stands.
    result = evaluate({"so2_1h": 800, "so2_24h": 300}, standard=S12, mode=HOURLY)
    assert result.iaqi == {"so2_1h": 200}
    # 2026: flat 200 at 850 and at 3000.
    for so2 in (850, 3000):
        assert evaluate({"so2_1h": so2}, standard=S26, mode=HOURLY).iaqi == {
            "so2_1h": 200
        }


def test_so2_24h_is_auxiliary_only() -> None:
    # SO2 24h alone in the 2012 hourly report has no IAQI of its own.
    result = evaluate({"so2_24h": 300}, standard=S12, mode=HOURLY)
    assert (result.aqi, result.iaqi) == (None, {})
    assert "so2_24h" not in aqi_arrays({}, standard=S12, mode=HOURLY).iaqi


def test_o3_8h_800_and_850() -> None:
    # 2012 hourly: O3 8h 850 -> O3 1h IAQI; O3 1h 900: 100/200*100+300 = 350.
    result = evaluate({"o3_8h": 850, "o3_1h": 900}, standard=S12, mode=HOURLY)
    assert result.iaqi == {"o3_1h": 350, "o3_8h": 350}
    assert result.primary == ("o3_1h", "o3_8h")
    assert (result.aqi, result.level) == (350, 6)
    # O3 8h 800 -> 300 from its own table; O3 1h 900 -> 350 dominates.
    result = evaluate({"o3_8h": 800, "o3_1h": 900}, standard=S12, mode=HOURLY)
    assert result.iaqi == {"o3_1h": 350, "o3_8h": 300}
    assert result.primary == ("o3_1h",)
    # 2012 daily: O3 8h max 850 -> O3 1h max 1000 -> 400.
    result = evaluate({"o3_8h_max": 850, "o3_1h_max": 1000}, standard=S12, mode=DAILY)
    assert result.iaqi == {"o3_1h_max": 400, "o3_8h_max": 400}
    # 2026 daily: flat 300 at 800 and at 850.
    for o3 in (800, 850):
        result = evaluate({"o3_8h_max": o3}, standard=S26, mode=DAILY)
        assert (result.aqi, result.beyond_table) == (300, ())


def test_fallback_source_beyond_table_is_flagged() -> None:
    # 2012 hourly: SO2 1h 900 -> SO2 24h 3000 (> 2620) -> capped 500, flagged.
    result = evaluate({"so2_1h": 900, "so2_24h": 3000}, standard=S12, mode=HOURLY)
    assert (result.aqi, result.beyond_table) == (500, ("so2_1h",))


# --- primary and exceeding pollutants ----------------------------------------------------


def test_two_and_three_way_ties() -> None:
    # NO2 24h 180 -> 150; PM10 24h 250 -> 150; CO 24h 14 -> 150; PM2.5 75 -> 100.
    row = {"no2_24h": 180, "pm10_24h": 250, "pm25_24h": 75}
    result = evaluate(row, standard=S12, mode=DAILY)
    assert (result.aqi, result.primary) == (150, ("no2_24h", "pm10_24h"))
    assert result.exceeding == ("no2_24h", "pm10_24h")  # IAQI 100 is not exceeding
    result = evaluate({**row, "co_24h": 14}, standard=S12, mode=DAILY)
    assert result.primary == ("no2_24h", "pm10_24h", "co_24h")
    assert result.exceeding == ("no2_24h", "pm10_24h", "co_24h")
    # Same under 2026, where PM10 250 -> 150 too; no exceeding pollutants any more.
    result = evaluate({**row, "co_24h": 14}, standard=S26, mode=DAILY)
    assert result.primary == ("no2_24h", "co_24h", "pm10_24h")
    assert result.exceeding == ()


def test_no_primary_at_or_below_50() -> None:
    # PM2.5 35 -> 50, PM10 50 -> 50: AQI 50, a tie, but no primary pollutant.
    result = evaluate({"pm25_24h": 35, "pm10_24h": 50}, standard=S12, mode=DAILY)
    assert (result.aqi, result.primary, result.category) == (50, (), "优")


def test_2012_daily_o3_1h_max_dominates() -> None:
    # O3 1h max 250: 50/100*(250-200)+100 = 125. O3 8h max 150: 50/60*50+50 = 91.67 -> 92.
    row = {"o3_1h_max": 250, "o3_8h_max": 150}
    result = evaluate(row, standard=S12, mode=DAILY)
    assert result.iaqi == {"o3_1h_max": 125, "o3_8h_max": 92}
    assert (result.aqi, result.level, result.primary) == (125, 3, ("o3_1h_max",))
    assert result.exceeding == ("o3_1h_max",)
    # 2026 daily has no O3 1h indicator: only the 8h max counts.
    result = evaluate({"o3_8h_max": 150}, standard=S26, mode=DAILY)
    assert (result.aqi, result.primary) == (92, ("o3_8h_max",))


def test_2026_pm_changes() -> None:
    # PM2.5 60: 2026 -> 100; 2012 -> 50/40*25+50 = 81.25 -> 82.
    # PM10 120: 2026 -> 100; 2012 -> 50/100*70+50 = 85.
    assert evaluate({"pm25_24h": 60}, standard=S26, mode=DAILY).aqi == 100
    assert evaluate({"pm25_24h": 60}, standard=S12, mode=DAILY).aqi == 82
    assert evaluate({"pm10_24h": 120}, standard=S26, mode=DAILY).aqi == 100
    assert evaluate({"pm10_24h": 120}, standard=S12, mode=DAILY).aqi == 85


def test_2026_hourly_pm_uses_daily_breakpoints() -> None:
    # PM2.5 1h 75 on the 2026 daily table: 50/55*(75-60)+100 = 113.64 -> 114.
    # PM10 1h 150: 50/130*(150-120)+100 = 111.54 -> 112.
    result = evaluate({"pm25_1h": 75, "pm10_1h": 150}, standard=S26, mode=HOURLY)
    assert result.iaqi == {"pm10_1h": 112, "pm25_1h": 114}
    assert (result.aqi, result.primary) == (114, ("pm25_1h",))
    # 2012 hourly uses PM 24h moving averages; 1h PM has no IAQI.
    with pytest.raises(ValueError, match="pm25_1h"):
        evaluate({"pm25_1h": 75}, standard=S12, mode=HOURLY)


# --- missing indicators, publishable -----------------------------------------------------

FULL_2026_DAILY = {
    "so2_24h": 10,  # 50/50*10 = 10
    "no2_24h": 20,  # 50/40*20 = 25
    "co_24h": 0.5,  # 50/2*0.5 = 12.5 -> 13
    "o3_8h_max": 80,  # 50/100*80 = 40
    "pm10_24h": 40,  # 50/50*40 = 40
    "pm25_24h": 30,  # 50/35*30 = 42.86 -> 43
}


def test_missing_and_publishable() -> None:
    result = evaluate(FULL_2026_DAILY, standard=S26, mode=DAILY)
    assert (result.aqi, result.missing, result.publishable) == (43, (), True)
    # One indicator missing (None), AQI <= 100: computed but not publishable (§5.3).
    row = {**FULL_2026_DAILY, "so2_24h": None}
    result = evaluate(row, standard=S26, mode=DAILY)
    assert (result.aqi, result.missing, result.publishable) == (43, ("so2_24h",), False)
    # Missing as NaN or absent key is the same; AQI > 100 is publishable.
    row = {**FULL_2026_DAILY, "pm25_24h": 61}  # 50/55+100 = 100.91 -> 101
    del row["no2_24h"]
    row["so2_24h"] = NAN
    result = evaluate(row, standard=S26, mode=DAILY)
    assert (result.aqi, result.missing) == (101, ("so2_24h", "no2_24h"))
    assert result.publishable is True
    # Exactly 100 with something missing: not publishable.
    result = evaluate({"pm25_24h": 60}, standard=S26, mode=DAILY)
    assert (result.aqi, result.publishable) == (100, False)
    # 2012: missing indicators are reported, publication is not restricted.
    result = evaluate({"pm25_24h": 30}, standard=S12, mode=DAILY)
    assert (result.aqi, len(result.missing), result.publishable) == (43, 6, True)


def test_nothing_evaluable() -> None:
    for standard in AqiStandard:
        result = evaluate({}, standard=standard, mode=DAILY)
        assert (result.aqi, result.level, result.category, result.rgb) == (None,) * 4
        assert result.publishable is False
        assert result.missing == INDICATORS[standard, DAILY]
        out = result.as_json()
        assert (out["aqi"], out["rgb"], out["iaqi"], out["primary"]) == (
            None,
            None,
            {},
            [],
        )
    arrays = aqi_arrays({"pm25_24h": [NAN, -5.0]}, standard=S12, mode=DAILY)
    assert_array_equal(arrays.aqi, [NAN, NAN])
    assert arrays.level.tolist() == [0, 0]
    assert arrays.publishable.tolist() == [False, False]


def test_as_json() -> None:
    result = evaluate(
        {"pm25_24h": 140, "pm10_24h": 180, "no2_24h": 68}, standard=S12, mode=DAILY
    )
    assert result.as_json() == {
        "aqi": 186,
        "level": 4,
        "category": "中度污染",
        "category_en": "Moderately polluted",
        "rgb": [255, 0, 0],
        "iaqi": {"no2_24h": 85, "pm10_24h": 115, "pm25_24h": 186},
        "primary": ["pm25_24h"],
        "exceeding": ["pm10_24h", "pm25_24h"],
        "beyond_table": [],
        "missing": ["so2_24h", "co_24h", "o3_1h_max", "o3_8h_max"],
        "publishable": True,
        "standard": "HJ633-2012",
        "mode": "daily",
    }


def test_aqi_arrays_broadcasts_and_flags() -> None:
    # Rows: PM2.5 140 -> 186, 501 -> 500 (beyond), NaN -> missing; NO2 scalar 68 -> 85.
    arrays = aqi_arrays(
        {"pm25_24h": [140.0, 501.0, NAN], "no2_24h": 68},
        standard="HJ633-2012",
        mode="daily",
    )
    assert arrays.aqi.tolist() == [186, 500, 85]
    assert arrays.level.tolist() == [4, 6, 2]
    assert arrays.beyond_table["pm25_24h"].tolist() == [False, True, False]
    assert arrays.missing["pm25_24h"].tolist() == [False, False, True]
    assert arrays.iaqi["so2_24h"].shape == (3,)
    assert list(arrays.iaqi) == list(INDICATORS[S12, DAILY])


def test_inputs_are_not_modified() -> None:
    values = np.array([35.5, -1.0, NAN])
    aqi_arrays({"pm25_24h": values}, standard=S12, mode=DAILY)
    iaqi("pm25_24h", values, standard=S12)
    assert_array_equal(values, [35.5, -1.0, NAN])


# --- standard_for ------------------------------------------------------------------------


def test_standard_for_cutover_in_beijing_time() -> None:
    # 2026-02-28T16:00Z is 2026-03-01 00:00 Beijing.
    assert standard_for(datetime(2026, 2, 28, 15, 59, tzinfo=UTC)) is S12
    assert standard_for(datetime(2026, 2, 28, 16, 0, tzinfo=UTC)) is S26
    assert standard_for(datetime(2026, 2, 28, 23, 0, tzinfo=BEIJING)) is S12
    assert standard_for(datetime(2026, 3, 1, 0, 0, tzinfo=BEIJING)) is S26
    assert standard_for(datetime(2013, 1, 1, tzinfo=UTC)) is S12
    # A time that is still 2026-02-28 in another zone but 03-01 in Beijing.
    west = timezone(timedelta(hours=-5))
    assert standard_for(datetime(2026, 2, 28, 11, 0, tzinfo=west)) is S26
    with pytest.raises(ValueError, match="naive"):
        standard_for(datetime(2026, 3, 1, 12, 0))


# --- evaluate_record ---------------------------------------------------------------------


def test_evaluate_record_auto() -> None:
    # Beijing 2026-02-28 23:00 -> 2012: PM2.5 60 -> 82; 2026-03-01 00:00 -> 2026: 100.
    record = {"time": "2026-02-28T23:00", "pm25_24h": 60}
    out = evaluate_record(record, standard="auto", mode="daily")
    assert (out["standard"], out["aqi"]) == ("HJ633-2012", 82)
    out = evaluate_record(
        {**record, "time": "2026-02-28T16:00Z"}, standard="auto", mode="daily"
    )
    assert (out["standard"], out["aqi"]) == ("HJ633-2026", 100)
    out = evaluate_record(
        {**record, "time": "2026-03-01"}, standard="auto", mode="daily"
    )
    assert out["standard"] == "HJ633-2026"
    # An explicit standard wins over the time.
    out = evaluate_record(record, standard="HJ633-2026", mode="daily")
    assert (out["standard"], out["aqi"]) == ("HJ633-2026", 100)
    # No time is fine with an explicit standard; null means missing.
    out = evaluate_record(
        {"pm25_1h": 75, "so2_1h": None}, standard="HJ633-2026", mode="hourly"
    )
    assert out["aqi"] == 114
    assert out["missing"] == ["so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_1h"]


@pytest.mark.parametrize(
    ("record", "standard", "mode", "message"),
    [
        ({"pm25_24h": 60}, "auto", "daily", "no 'time'"),
        ({"time": "yesterday", "pm25_24h": 60}, "auto", "daily", "ISO 8601"),
        ({"time": 20260301, "pm25_24h": 60}, "auto", "daily", "'time' must be"),
        (
            {"pm25_24h": 60, "pm2.5": 1, "x": 2},
            "HJ633-2012",
            "daily",
            r"\['pm2\.5', 'x'\]",
        ),
        ({"pm25_24h": "60"}, "HJ633-2012", "daily", "'pm25_24h' must be a number"),
        ({"pm25_24h": True}, "HJ633-2012", "daily", "'pm25_24h' must be a number"),
        ({"pm25_24h": [60]}, "HJ633-2012", "daily", "'pm25_24h' must be a number"),
        ({"co_24h": -0.1}, "HJ633-2012", "daily", "'co_24h' must be .*non-negative"),
        ({"co_24h": math.inf}, "HJ633-2012", "daily", "'co_24h' must be a finite"),
        ({"pm25_24h": 60}, "HJ633-2020", "daily", "unknown standard 'HJ633-2020'"),
        ({"pm25_24h": 60}, "HJ633-2012", "weekly", "unknown mode 'weekly'"),
        (
            {"pm25_24h": 60},
            "HJ633-2026",
            "hourly",
            r"unknown indicators \['pm25_24h'\]",
        ),
    ],
)
def test_evaluate_record_errors(
    record: dict[str, object], standard: str, mode: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        evaluate_record(record, standard=standard, mode=mode)


# --- properties --------------------------------------------------------------------------

EVALUABLE = sorted({(s, name) for s in AqiStandard for name in BREAKPOINTS[s]})
SETS = sorted(INDICATORS)


def _upper(indicator: str) -> float:
    return 200.0 if indicator.startswith("co") else 4000.0


@settings(max_examples=300, deadline=None)
@given(
    case=st.sampled_from(EVALUABLE),
    fractions=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    round_inputs=st.booleans(),
)
def test_iaqi_monotone_and_bounded(
    case: tuple[AqiStandard, str], fractions: tuple[float, float], round_inputs: bool
) -> None:
    standard, indicator = case
    low, high = sorted(fraction * _upper(indicator) for fraction in fractions)
    got = iaqi(indicator, [low, high], standard=standard, round_inputs=round_inputs)
    evaluable = got[~np.isnan(got)]
    assert np.all((evaluable >= 0) & (evaluable <= 500))
    assert np.all(evaluable == np.ceil(evaluable))
    if not np.isnan(got).any():
        assert got[0] <= got[1]
    else:  # 2012 SO2 1h / O3 8h above 800 only
        assert standard is S12
        assert indicator in ("so2_1h", "o3_8h", "o3_8h_max")
        assert high > 800


def _rows(
    standard: AqiStandard, mode: AqiMode
) -> st.SearchStrategy[list[dict[str, float | None]]]:
    names = INDICATORS[standard, mode] + AUXILIARY.get((standard, mode), ())
    value = {
        name: st.one_of(st.none(), st.floats(0, _upper(name) / 2, allow_nan=False))
        for name in names
    }
    return st.lists(st.fixed_dictionaries(value), min_size=1, max_size=8)


@st.composite
def _batches(
    draw: st.DrawFn,
) -> tuple[AqiStandard, AqiMode, list[dict[str, float | None]]]:
    standard, mode = draw(st.sampled_from(SETS))
    return standard, mode, draw(_rows(standard, mode))


@settings(max_examples=150, deadline=None)
@given(batch=_batches())
def test_evaluate_agrees_with_aqi_arrays(
    batch: tuple[AqiStandard, AqiMode, list[dict[str, float | None]]],
) -> None:
    standard, mode, rows = batch
    columns = {
        name: np.array([NAN if row[name] is None else row[name] for row in rows])
        for name in rows[0]
    }
    arrays = aqi_arrays(columns, standard=standard, mode=mode)
    # AQI = max of the IAQIs (formula 2); NaN only when no IAQI exists.
    stacked = np.stack(list(arrays.iaqi.values()))
    for index, row in enumerate(rows):
        result = evaluate(row, standard=standard, mode=mode)
        column = stacked[:, index]
        if np.isnan(column).all():
            assert result.aqi is None
            assert np.isnan(arrays.aqi[index])
            continue
        assert result.aqi == arrays.aqi[index] == np.nanmax(column)
        assert result.aqi == max(result.iaqi.values())
        assert result.level == arrays.level[index]
        assert result.publishable == arrays.publishable[index]
        assert result.iaqi == {
            name: int(values[index])
            for name, values in arrays.iaqi.items()
            if not np.isnan(values[index])
        }
        assert set(result.primary) <= set(result.iaqi)
        assert all(result.iaqi[name] == result.aqi for name in result.primary)
