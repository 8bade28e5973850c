"""Air stations, counties and the city: aggregates and AQI rows, worked by hand.

IAQI = (IAQI_hi − IAQI_lo)/(BP_hi − BP_lo)·(C − BP_lo) + IAQI_lo, rounded up (aqi.md §2),
concentrations first rounded to integers (µg/m³) half to even; breakpoints of HJ 633-2012
Table 1 (aqi.md §1), HJ 633-2026 PM tables (aqi.md §7). Daily means need ≥ 20 valid hours,
O3 8-h moving means ≥ 6 of 8 (aqi.md §5). The 2012 hourly AQI takes PM from the 24-h moving
mean (aqi.md §4); the 2026 one from the 1-h values on the daily breakpoints (aqi.md §7).
Measurements are reported hourly values (HJ 212 CN 2061) with flag N.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from envmon.evaluation import flows
from envmon.evaluation.models import AqiValue
from tests.conftest import NOW
from tests.evaluation.conftest import (
    CO,
    NO2,
    O3,
    PM10,
    PM25,
    SO2,
    Registry,
    add_hours,
    aggregate,
    aqi_value,
    bj,
)

pytestmark = pytest.mark.db

MARCH_1 = date(2016, 3, 1)


def test_daily_aqi_2012_of_a_full_day_and_a_day_with_19_hours(
    session: Session, registry: Registry
) -> None:
    a, b = registry.station_a, registry.station_b
    add_hours(session, a, PM25, MARCH_1, [140.0] * 24)
    add_hours(session, a, PM10, MARCH_1, [180.0] * 24)
    add_hours(session, a, NO2, MARCH_1, [68.0] * 24)
    add_hours(session, a, O3, MARCH_1, [120.0] * 24)
    # B: PM2.5 100 in hours 0-18 (flag N) and 500 in hours 19-23 flagged C (calibration,
    # invalid): 19 valid hours. PM10 in all 24. NO2 in hours 0-19 without a flag (valid,
    # as HJ/T 212-2005 stations send it): exactly 20.
    add_hours(session, b, PM25, MARCH_1, [100.0] * 19)
    add_hours(session, b, PM25, MARCH_1, dict.fromkeys(range(19, 24), 500.0), flag="C")
    add_hours(session, b, PM10, MARCH_1, [100.0] * 24)
    add_hours(session, b, NO2, MARCH_1, [40.0] * 20, flag=None)
    flows.recompute(session=session, first_day=MARCH_1, last_day=MARCH_1, now=NOW)

    day = bj(2016, 3, 1)  # 2016-02-29T16:00Z
    pm = aggregate(session, a, PM25, "day", day)
    assert pm is not None
    assert (pm["value"], pm["count"], pm["valid"]) == (pytest.approx(140.0), 24, True)
    # MDA8: the 17 windows ending 08:00 … 24:00 all hold 120; 1-h max 120 over 24 hours.
    mda8 = aggregate(session, a, O3, "daily_max_8h", day)
    assert mda8 is not None
    assert (mda8["value"], mda8["count"]) == (pytest.approx(120.0), 17)
    top = aggregate(session, a, O3, "daily_max_1h", day)
    assert top is not None
    assert (top["value"], top["count"]) == (pytest.approx(120.0), 24)

    # A, daily, HJ 633-2012:
    #   PM2.5 140: (200 − 150)/(150 − 115)·(140 − 115) + 150 = 185.71 → 186
    #   PM10 180:  (150 − 100)/(250 − 150)·(180 − 150) + 100 = 115
    #   NO2 68:    (100 − 50)/(80 − 40)·(68 − 40) + 50 = 85
    #   O3 MDA8 120: (100 − 50)/(160 − 100)·(120 − 100) + 50 = 66.67 → 67
    #   O3 1-h max 120: 50/160·120 = 37.5 → 38
    # AQI 186, level 4 (151-200), primary PM2.5.
    daily_a = aqi_value(session, "point", a, "daily", day)
    assert daily_a is not None
    assert daily_a["standard"] == "HJ633-2012"
    assert daily_a["iaqi"] == {
        "pm25_24h": 186,
        "pm10_24h": 115,
        "no2_24h": 85,
        "o3_8h_max": 67,
        "o3_1h_max": 38,
    }
    assert (daily_a["aqi"], daily_a["level"], daily_a["primary_pollutants"]) == (
        186,
        4,
        "pm25_24h",
    )
    assert daily_a["concentrations"] == pytest.approx(
        {
            "pm25_24h": 140.0,
            "pm10_24h": 180.0,
            "no2_24h": 68.0,
            "o3_8h_max": 120.0,
            "o3_1h_max": 120.0,
        }
    )
    assert (daily_a["stations"], daily_a["status"]) == (1, "provisional")

    # B: 19 valid PM2.5 hours → no daily mean; 20 NO2 hours → mean 40.
    pm_b = aggregate(session, b, PM25, "day", day)
    assert pm_b is not None
    assert (pm_b["value"], pm_b["count"], pm_b["valid"]) == (None, 19, False)
    no2_b = aggregate(session, b, NO2, "day", day)
    assert no2_b is not None
    assert (no2_b["value"], no2_b["count"], no2_b["valid"]) == (
        pytest.approx(40.0),
        20,
        True,
    )
    # B, daily: PM10 100: (100 − 50)/(150 − 50)·(100 − 50) + 50 = 75; NO2 40: 50.
    # PM2.5 has no IAQI: AQI 75, level 2, primary PM10.
    daily_b = aqi_value(session, "point", b, "daily", day)
    assert daily_b is not None
    assert daily_b["iaqi"] == {"pm10_24h": 75, "no2_24h": 50}
    assert "pm25_24h" not in daily_b["concentrations"]
    assert (daily_b["aqi"], daily_b["level"], daily_b["primary_pollutants"]) == (
        75,
        2,
        "pm10_24h",
    )


def test_hourly_aqi_2012_takes_pm_from_the_24h_moving_mean(
    session: Session, registry: Registry
) -> None:
    a, c = registry.station_a, registry.station_c
    add_hours(session, a, PM25, MARCH_1, [140.0] * 24)
    add_hours(session, a, PM10, MARCH_1, [180.0] * 24)
    add_hours(session, a, NO2, MARCH_1, [68.0] * 24)
    add_hours(session, a, O3, MARCH_1, [120.0] * 24)
    add_hours(session, a, NO2, date(2016, 3, 2), {0: 68.0})
    # C: PM2.5 100 for 23 hours, then 124 in the hour 23:00-24:00.
    add_hours(session, c, PM25, MARCH_1, [100.0] * 23 + [124.0])
    flows.recompute(session=session, first_day=MARCH_1, last_day=MARCH_1, now=NOW)

    # C at 23:00: moving mean (23·100 + 124)/24 = 101 over 24 hours.
    last = bj(2016, 3, 1, 23)
    moving = aggregate(session, c, PM25, "moving_24h", last)
    assert moving is not None
    assert (moving["value"], moving["count"]) == (pytest.approx(101.0), 24)
    # PM2.5 24-h 101: (150 − 100)/(115 − 75)·(101 − 75) + 100 = 132.5 → 133, level 3.
    # (The 1-h value 124 would give (200 − 150)/(150 − 115)·(124 − 115) + 150 → 163.)
    hourly_c = aqi_value(session, "point", c, "hourly", last)
    assert hourly_c is not None
    assert hourly_c["standard"] == "HJ633-2012"
    assert hourly_c["iaqi"] == {"pm25_24h": 133}
    assert (hourly_c["aqi"], hourly_c["level"], hourly_c["primary_pollutants"]) == (
        133,
        3,
        "pm25_24h",
    )
    assert hourly_c["concentrations"] == pytest.approx({"pm25_24h": 101.0})
    # The day before has no data: at 18:00 the window holds 19 valid hours (no moving
    # mean, so no AQI at all for C), at 19:00 20 hours (mean 100).
    early = aggregate(session, c, PM25, "moving_24h", bj(2016, 3, 1, 18))
    assert early is not None
    assert (early["value"], early["count"], early["valid"]) == (None, 19, False)
    assert aqi_value(session, "point", c, "hourly", bj(2016, 3, 1, 18)) is None
    twenty = aggregate(session, c, PM25, "moving_24h", bj(2016, 3, 1, 19))
    assert twenty is not None
    assert (twenty["value"], twenty["count"]) == (pytest.approx(100.0), 20)

    # A at 23:00, 2012 real-time report: PM2.5 24-h 140 → 186; PM10 24-h 180 → 115;
    # NO2 1-h 68: 50/100·68 = 34; O3 1-h 120: 50/160·120 = 37.5 → 38; O3 8-h 120 → 67.
    hourly_a = aqi_value(session, "point", a, "hourly", last)
    assert hourly_a is not None
    assert hourly_a["iaqi"] == {
        "no2_1h": 34,
        "o3_1h": 38,
        "o3_8h": 67,
        "pm10_24h": 115,
        "pm25_24h": 186,
    }
    assert (hourly_a["aqi"], hourly_a["level"], hourly_a["primary_pollutants"]) == (
        186,
        4,
        "pm25_24h",
    )
    # The moving windows reach into the next day (written too): at 00:00 on 2 March,
    # when A reports NO2 68 again, the PM window holds 1 March 01:00-24:00, 23 valid
    # hours of 140 → still 186.
    next_hour = bj(2016, 3, 2, 0)
    moving_next = aggregate(session, a, PM25, "moving_24h", next_hour)
    assert moving_next is not None
    assert (moving_next["value"], moving_next["count"]) == (pytest.approx(140.0), 23)
    hourly_next = aqi_value(session, "point", a, "hourly", next_hour)
    assert hourly_next is not None and hourly_next["aqi"] == 186


def test_o3_8h_moving_mean_needs_6_of_8_hours(
    session: Session, registry: Registry
) -> None:
    c = registry.station_c
    # O3 100 in hours 0-4, nothing in 5 and 6, 180 in hour 7.
    add_hours(session, c, O3, MARCH_1, {0: 100, 1: 100, 2: 100, 3: 100, 4: 100, 7: 180})
    flows.recompute(session=session, first_day=MARCH_1, last_day=MARCH_1, now=NOW)
    # Window ending 06:00-07:00 (hours −1 … 6): 5 valid → no value.
    six = aggregate(session, c, O3, "moving_8h", bj(2016, 3, 1, 6))
    assert six is not None
    assert (six["value"], six["count"], six["valid"]) == (None, 5, False)
    # Window ending 07:00-08:00 (hours 0 … 7): 6 valid → (5·100 + 180)/6 = 113.33.
    seven = aggregate(session, c, O3, "moving_8h", bj(2016, 3, 1, 7))
    assert seven is not None
    assert (seven["value"], seven["count"], seven["valid"]) == (
        pytest.approx(680 / 6),
        6,
        True,
    )
    # Hourly AQI at 07:00: O3 1-h 180: (100 − 50)/(200 − 160)·(180 − 160) + 50 = 75;
    # O3 8-h 113.33 → 113: (100 − 50)/(160 − 100)·(113 − 100) + 50 = 60.83 → 61.
    hourly = aqi_value(session, "point", c, "hourly", bj(2016, 3, 1, 7))
    assert hourly is not None
    assert hourly["iaqi"] == {"o3_1h": 75, "o3_8h": 61}
    assert (hourly["aqi"], hourly["level"], hourly["primary_pollutants"]) == (
        75,
        2,
        "o3_1h",
    )
    # At 04:00 only the 1-h value counts: 50/160·100 = 31.25 → 32, level 1, no primary
    # pollutant (AQI ≤ 50).
    four = aqi_value(session, "point", c, "hourly", bj(2016, 3, 1, 4))
    assert four is not None
    assert (four["iaqi"], four["aqi"], four["level"], four["primary_pollutants"]) == (
        {"o3_1h": 32},
        32,
        1,
        "",
    )
    # MDA8: one valid window of the 17 (< 14) → no value; 1-h max: 6 hours (< 20).
    mda8 = aggregate(session, c, O3, "daily_max_8h", bj(2016, 3, 1))
    assert mda8 is not None
    assert (mda8["value"], mda8["count"], mda8["valid"]) == (None, 1, False)


def test_the_rule_set_changes_on_1_march_2026_beijing_time(
    session: Session, registry: Registry
) -> None:
    a = registry.station_a
    feb_28, mar_1 = date(2026, 2, 28), date(2026, 3, 1)
    # All six pollutants every hour (so no indicator is missing and every AQI is
    # publishable under HJ 633-2026 §5.3): the gases low, PM on the 2026 IAQI-100
    # breakpoints.
    for day in (feb_28, mar_1):
        for code, value in (
            (SO2, 10.0),
            (NO2, 20.0),
            (CO, 0.5),
            (O3, 80.0),
            (PM10, 120.0),
            (PM25, 60.0),
        ):
            add_hours(session, a, code, day, [value] * 24)
    add_hours(session, a, PM25, date(2026, 3, 2), {3: 85.0})
    flows.recompute(session=session, first_day=feb_28, last_day=mar_1, now=NOW)

    # Gases, the same under both rule sets:
    #   SO2 24-h 10: 50/50·10 = 10;     SO2 1-h 10: 50/150·10 = 3.33 → 4
    #   NO2 24-h 20: 50/40·20 = 25;     NO2 1-h 20: 50/100·20 = 10
    #   CO 24-h 0.5: 50/2·0.5 = 12.5 → 13; CO 1-h 0.5: 50/5·0.5 = 5
    #   O3 1-h (and daily 1-h max) 80: 50/160·80 = 25
    #   O3 8-h (and MDA8) 80: 50/100·80 = 40
    gases_daily = {"so2_24h": 10, "no2_24h": 25, "co_24h": 13, "o3_8h_max": 40}
    gases_hourly = {"so2_1h": 4, "no2_1h": 10, "co_1h": 5, "o3_1h": 25}

    # 28 February, HJ 633-2012: PM2.5 60: (100 − 50)/(75 − 35)·(60 − 35) + 50 = 81.25
    # → 82; PM10 120: (100 − 50)/(150 − 50)·(120 − 50) + 50 = 85; plus the O3 1-h
    # max (7 indicators). AQI 85, level 2, primary PM10.
    feb = aqi_value(session, "point", a, "daily", bj(2026, 2, 28))
    assert feb is not None
    assert feb["standard"] == "HJ633-2012"
    assert feb["iaqi"] == {
        **gases_daily,
        "o3_1h_max": 25,
        "pm10_24h": 85,
        "pm25_24h": 82,
    }
    assert (feb["aqi"], feb["level"], feb["primary_pollutants"]) == (85, 2, "pm10_24h")
    # 1 March, HJ 633-2026: 6 indicators (no O3 1-h max); PM2.5 60 and PM10 120 sit on
    # the IAQI-100 breakpoints: both 100, tied primary pollutants.
    mar = aqi_value(session, "point", a, "daily", bj(2026, 3, 1))
    assert mar is not None
    assert mar["standard"] == "HJ633-2026"
    assert mar["iaqi"] == {**gases_daily, "pm10_24h": 100, "pm25_24h": 100}
    assert (mar["aqi"], mar["level"], mar["primary_pollutants"]) == (
        100,
        2,
        "pm10_24h,pm25_24h",
    )
    # Hourly: the hour 23:00-24:00 on 28 February (15:00Z) is still 2012 (PM from the
    # 24-h moving means, 60 → 82 and 120 → 85; O3 8-h moving 80 → 40) …
    before = aqi_value(session, "point", a, "hourly", bj(2026, 2, 28, 23))
    assert before is not None
    assert before["standard"] == "HJ633-2012"
    assert before["iaqi"] == {
        **gases_hourly,
        "o3_8h": 40,
        "pm10_24h": 85,
        "pm25_24h": 82,
    }
    assert before["aqi"] == 85
    # … the hour 00:00-01:00 on 1 March (2026-02-28T16:00Z) is 2026: six 1-h values,
    # PM on the daily breakpoints, 60 → 100 and 120 → 100; no O3 8-h.
    after = aqi_value(session, "point", a, "hourly", bj(2026, 3, 1, 0))
    assert after is not None
    assert after["standard"] == "HJ633-2026"
    assert after["iaqi"] == {**gases_hourly, "pm10_1h": 100, "pm25_1h": 100}
    assert (after["aqi"], after["primary_pollutants"]) == (100, "pm10_1h,pm25_1h")
    # 2 March 03:00-04:00: PM2.5 1-h 85 (its 24-h moving mean would be about 61):
    # (150 − 100)/(115 − 60)·(85 − 60) + 100 = 122.7 → 123.
    spike = aqi_value(session, "point", a, "hourly", bj(2026, 3, 2, 3))
    assert spike is not None
    assert spike["standard"] == "HJ633-2026"
    assert spike["iaqi"] == {"pm25_1h": 123}
    assert (spike["aqi"], spike["level"]) == (123, 3)


def test_city_and_county_values_come_from_mean_concentrations_of_assessed_stations(
    session: Session, registry: Registry
) -> None:
    a, b, c = registry.station_a, registry.station_b, registry.station_c
    # 1 March: A 250, B 10, C (background) 400, every hour.
    add_hours(session, a, PM25, MARCH_1, [250.0] * 24)
    add_hours(session, b, PM25, MARCH_1, [10.0] * 24)
    add_hours(session, c, PM25, MARCH_1, [400.0] * 24)
    # 2 March: A 250 every hour, B in 19 hours only (no valid daily mean).
    add_hours(session, a, PM25, date(2016, 3, 2), [250.0] * 24)
    add_hours(session, b, PM25, date(2016, 3, 2), [10.0] * 19)
    flows.recompute(
        session=session, first_day=MARCH_1, last_day=date(2016, 3, 2), now=NOW
    )
    day = bj(2016, 3, 1)

    # Stations: A 250 → 300 (a breakpoint); B 10: 50/35·10 = 14.29 → 15.
    station_a = aqi_value(session, "point", a, "daily", day)
    station_b = aqi_value(session, "point", b, "daily", day)
    assert station_a is not None and station_a["aqi"] == 300
    assert station_b is not None and station_b["aqi"] == 15
    # City = mean of A and B (C excluded): (250 + 10)/2 = 130 µg/m³,
    # (200 − 150)/(150 − 115)·(130 − 115) + 150 = 171.43 → 172, level 4.
    # The mean of the stations' AQIs would be (300 + 15)/2 = 157.5; with C included
    # the mean concentration would be 220 → 270.
    city = aqi_value(session, "region", registry.city, "daily", day)
    assert city is not None
    assert city["standard"] == "HJ633-2012"
    assert city["concentrations"] == pytest.approx({"pm25_24h": 130.0})
    assert city["stations"] == 2
    assert city["iaqi"] == {"pm25_24h": 172}
    assert (city["aqi"], city["level"], city["primary_pollutants"]) == (
        172,
        4,
        "pm25_24h",
    )
    assert city["aqi"] != (station_a["aqi"] + station_b["aqi"]) / 2
    # City, hourly at 23:00: the city hourly series is 130 in every hour, its 24-h
    # moving mean 130 → 172, from 2 stations.
    city_hour = aqi_value(
        session, "region", registry.city, "hourly", bj(2016, 3, 1, 23)
    )
    assert city_hour is not None
    assert city_hour["concentrations"] == pytest.approx({"pm25_24h": 130.0})
    assert (city_hour["aqi"], city_hour["stations"]) == (172, 2)
    # Counties: 110105 averages A only (C is neither assessed nor county-controlled);
    # 110108 is B.
    county_a = aqi_value(session, "region", registry.county_a, "daily", day)
    assert county_a is not None
    assert county_a["concentrations"] == pytest.approx({"pm25_24h": 250.0})
    assert (county_a["aqi"], county_a["stations"]) == (300, 1)
    county_b = aqi_value(session, "region", registry.county_b, "daily", day)
    assert county_b is not None
    assert (county_b["aqi"], county_b["stations"]) == (15, 1)
    # Only the city and its two counties get region values (not the province).
    regions = set(
        session.scalars(
            select(AqiValue.subject_id).where(AqiValue.subject_kind == "region")
        )
    )
    assert regions == {registry.city, registry.county_a, registry.county_b}

    # 2 March: B has no valid daily mean, so the city's is A's alone: 250 → 300, 1 station.
    city_2 = aqi_value(session, "region", registry.city, "daily", bj(2016, 3, 2))
    assert city_2 is not None
    assert city_2["concentrations"] == pytest.approx({"pm25_24h": 250.0})
    assert (city_2["aqi"], city_2["stations"]) == (300, 1)


def test_a_recompute_reads_the_day_before_for_its_windows_but_writes_only_its_days(
    session: Session, registry: Registry
) -> None:
    a = registry.station_a
    add_hours(session, a, PM25, MARCH_1, [140.0] * 24)
    add_hours(session, a, PM25, date(2016, 3, 2), [140.0] * 2)
    march_2 = date(2016, 3, 2)
    flows.recompute(session=session, first_day=march_2, last_day=march_2, now=NOW)
    # 1 March is only read: none of its rows is written.
    assert aggregate(session, a, PM25, "day", bj(2016, 3, 1)) is None
    assert aggregate(session, a, PM25, "hour", bj(2016, 3, 1, 23)) is None
    # 2 March 01:00-02:00: the 24-h window holds 1 March 02:00-24:00 (22 hours) and
    # 2 March 00:00-02:00 (2 hours), all 140 → 140 over 24 hours → IAQI 186.
    moving = aggregate(session, a, PM25, "moving_24h", bj(2016, 3, 2, 1))
    assert moving is not None
    assert (moving["value"], moving["count"]) == (pytest.approx(140.0), 24)
    hourly = aqi_value(session, "point", a, "hourly", bj(2016, 3, 2, 1))
    assert hourly is not None and hourly["aqi"] == 186
