"""What HJ 633-2012 and HJ 633-2026 define: when each applies, indicators, breakpoints, levels.

Pure. The tables, with the two lookups that only read them (:func:`standard_for`,
:func:`level_of`); :mod:`envmon.indices.aqi` does the arithmetic and re-exports all of it.

Every breakpoint table lists the concentration at which the IAQI reaches the matching entry
of :data:`IAQI_STEPS`; tables that stop early (SO2 1-hour at IAQI 200, O3 8-hour at IAQI 300)
carry a special rule above their top breakpoint, given in :data:`ABOVE_TOP_IAQI` and
:data:`FALLBACK`.

References
----------
HJ 633-2012, 环境空气质量指数（AQI）技术规定（试行）, Table 1 (IAQI breakpoints), Table 2 and
Annex A Table A.1 (levels, colours, health advice). HJ 633-2026, same title, Table 1 (PM10 and
PM2.5 breakpoints changed), §4.2.2 (rounding), §5.3 (missing data).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt

from envmon.timeutil import BEIJING

__all__ = [
    "ABOVE_TOP_IAQI",
    "AUXILIARY",
    "BREAKPOINTS",
    "CO_1H",
    "CUTOVER",
    "CO_24H",
    "FALLBACK",
    "IAQI_STEPS",
    "INDICATORS",
    "INDICATOR_INFO",
    "LEVELS",
    "NO2_1H",
    "NO2_24H",
    "O3_1H",
    "O3_8H",
    "PM10_24H_2012",
    "PM10_24H_2026",
    "PM25_24H_2012",
    "PM25_24H_2026",
    "SO2_1H",
    "SO2_24H",
    "AqiMode",
    "AqiStandard",
    "Indicator",
    "Level",
    "level_of",
    "standard_for",
]


class AqiStandard(StrEnum):
    """The AQI rule set: HJ 633-2012 until 2026-02-28, HJ 633-2026 from 2026-03-01."""

    HJ633_2012 = "HJ633-2012"
    HJ633_2026 = "HJ633-2026"


class AqiMode(StrEnum):
    """The report: real-time (hourly, 实时报) or daily (日报)."""

    HOURLY = "hourly"
    DAILY = "daily"


CUTOVER: Final = date(2026, 3, 1)
"""First Beijing calendar date of HJ 633-2026 (published 2026-02-24, effective 2026-03-01)."""


def standard_for(at: datetime) -> AqiStandard:
    """Return the AQI standard in force at an instant, by its Beijing calendar date.

    Parameters
    ----------
    at : datetime
        Timezone-aware instant. Hourly data: the interval start (hour beginning), so the
        hour labelled 01:00 on 2026-03-01 (00:00-01:00) passes ``2026-03-01T00:00+08:00``
        and is under HJ 633-2026, while the one labelled 00:00 (23:00-24:00 on 2026-02-28)
        is not. Daily data: any instant of the day.

    Returns
    -------
    AqiStandard
        ``HJ633_2012`` before :data:`CUTOVER` (Beijing date), ``HJ633_2026`` from then on.

    Raises
    ------
    ValueError
        If ``at`` is naive.

    References
    ----------
    .. [1] HJ 633-2026, effective 2026-03-01, replacing HJ 633-2012.

    Examples
    --------
    >>> from datetime import UTC
    >>> standard_for(datetime(2026, 2, 28, 16, 0, tzinfo=UTC))
    <AqiStandard.HJ633_2026: 'HJ633-2026'>
    """
    if at.tzinfo is None or at.utcoffset() is None:
        msg = f"need a timezone-aware datetime, got naive {at.isoformat()}"
        raise ValueError(msg)
    if at.astimezone(BEIJING).date() < CUTOVER:
        return AqiStandard.HJ633_2012
    return AqiStandard.HJ633_2026


@dataclass(frozen=True)
class Indicator:
    """One AQI indicator: a pollutant over one averaging period."""

    pollutant: str
    """Pollutant code of ``docs/glossary.md``: ``so2 no2 co o3 pm10 pm25``."""
    unit: str
    """``"µg/m³"``, or ``"mg/m³"`` for CO."""
    decimals: int
    """Decimals kept when rounding by GB/T 8170 (HJ 633-2026 §4.2.2): 0, or 1 for CO."""
    name: str
    """Chinese display name."""
    name_en: str
    """English display name."""


def _indicator(pollutant: str, zh: str, en: str) -> Indicator:
    if pollutant == "co":
        return Indicator(pollutant, "mg/m³", 1, zh, en)
    return Indicator(pollutant, "µg/m³", 0, zh, en)


INDICATOR_INFO: Final[dict[str, Indicator]] = {
    "so2_24h": _indicator("so2", "二氧化硫24小时平均", "SO2 24-hour average"),
    "so2_1h": _indicator("so2", "二氧化硫1小时平均", "SO2 1-hour average"),
    "no2_24h": _indicator("no2", "二氧化氮24小时平均", "NO2 24-hour average"),
    "no2_1h": _indicator("no2", "二氧化氮1小时平均", "NO2 1-hour average"),
    "co_24h": _indicator("co", "一氧化碳24小时平均", "CO 24-hour average"),
    "co_1h": _indicator("co", "一氧化碳1小时平均", "CO 1-hour average"),
    "o3_1h": _indicator("o3", "臭氧1小时平均", "O3 1-hour average"),
    "o3_8h": _indicator("o3", "臭氧8小时滑动平均", "O3 8-hour moving average"),
    "o3_1h_max": _indicator(
        "o3", "臭氧日最大1小时平均", "O3 daily maximum 1-hour average"
    ),
    "o3_8h_max": _indicator(
        "o3", "臭氧日最大8小时滑动平均", "O3 daily maximum 8-hour moving average"
    ),
    "pm10_24h": _indicator("pm10", "颗粒物（PM10）24小时平均", "PM10 24-hour average"),
    "pm10_1h": _indicator("pm10", "颗粒物（PM10）1小时平均", "PM10 1-hour average"),
    "pm25_24h": _indicator(
        "pm25", "颗粒物（PM2.5）24小时平均", "PM2.5 24-hour average"
    ),
    "pm25_1h": _indicator("pm25", "颗粒物（PM2.5）1小时平均", "PM2.5 1-hour average"),
}
"""Pollutant, unit, rounding and display names of every indicator name used here."""

_2012, _2026 = AqiStandard.HJ633_2012, AqiStandard.HJ633_2026
_HOURLY, _DAILY = AqiMode.HOURLY, AqiMode.DAILY

INDICATORS: Final[dict[tuple[AqiStandard, AqiMode], tuple[str, ...]]] = {
    (_2012, _DAILY): (
        "so2_24h",
        "no2_24h",
        "pm10_24h",
        "co_24h",
        "o3_1h_max",
        "o3_8h_max",
        "pm25_24h",
    ),
    # HJ 633-2012 Table 4: IAQI columns of the real-time report; PM from 24-h moving means.
    (_2012, _HOURLY): (
        "so2_1h",
        "no2_1h",
        "co_1h",
        "o3_1h",
        "o3_8h",
        "pm10_24h",
        "pm25_24h",
    ),
    (_2026, _DAILY): (
        "so2_24h",
        "no2_24h",
        "co_24h",
        "o3_8h_max",
        "pm10_24h",
        "pm25_24h",
    ),
    (_2026, _HOURLY): ("so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_1h", "pm25_1h"),
}
"""The indicators whose IAQIs make up the AQI, in the order of the standard's report tables."""

AUXILIARY: Final[dict[tuple[AqiStandard, AqiMode], tuple[str, ...]]] = {
    (_2012, _HOURLY): ("so2_24h",),
}
"""Inputs with no IAQI of their own: the SO2 24-h moving mean that replaces SO2 1-h above 800."""

IAQI_STEPS: Final = (0.0, 50.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0)
"""IAQI at each breakpoint (first column of HJ 633-2012/-2026 Table 1)."""

SO2_24H: Final = (0.0, 50.0, 150.0, 475.0, 800.0, 1600.0, 2100.0, 2620.0)
"""SO2 24-hour average [µg/m³]; HJ 633-2012 Table 1, unchanged in HJ 633-2026 Table 1."""

SO2_1H: Final = (0.0, 150.0, 500.0, 650.0, 800.0)
"""SO2 1-hour average [µg/m³], up to IAQI 200 only; HJ 633-2012 Table 1 note (2)."""

NO2_24H: Final = (0.0, 40.0, 80.0, 180.0, 280.0, 565.0, 750.0, 940.0)
"""NO2 24-hour average [µg/m³]; HJ 633-2012 Table 1, unchanged in HJ 633-2026."""

NO2_1H: Final = (0.0, 100.0, 200.0, 700.0, 1200.0, 2340.0, 3090.0, 3840.0)
"""NO2 1-hour average [µg/m³]; HJ 633-2012 Table 1, unchanged in HJ 633-2026."""

CO_24H: Final = (0.0, 2.0, 4.0, 14.0, 24.0, 36.0, 48.0, 60.0)
"""CO 24-hour average [mg/m³]; HJ 633-2012 Table 1, unchanged in HJ 633-2026."""

CO_1H: Final = (0.0, 5.0, 10.0, 35.0, 60.0, 90.0, 120.0, 150.0)
"""CO 1-hour average [mg/m³]; HJ 633-2012 Table 1, unchanged in HJ 633-2026."""

O3_1H: Final = (0.0, 160.0, 200.0, 300.0, 400.0, 800.0, 1000.0, 1200.0)
"""O3 1-hour average [µg/m³]; HJ 633-2012 Table 1, unchanged in HJ 633-2026."""

O3_8H: Final = (0.0, 100.0, 160.0, 215.0, 265.0, 800.0)
"""O3 8-hour moving average [µg/m³], up to IAQI 300 only; HJ 633-2012 Table 1 note (3)."""

PM10_24H_2012: Final = (0.0, 50.0, 150.0, 250.0, 350.0, 420.0, 500.0, 600.0)
"""PM10 24-hour average [µg/m³]; HJ 633-2012 Table 1."""

PM10_24H_2026: Final = (0.0, 50.0, 120.0, 250.0, 350.0, 420.0, 500.0, 600.0)
"""PM10 24-hour average [µg/m³]; HJ 633-2026 Table 1 (IAQI 100 at 120, was 150)."""

PM25_24H_2012: Final = (0.0, 35.0, 75.0, 115.0, 150.0, 250.0, 350.0, 500.0)
"""PM2.5 24-hour average [µg/m³]; HJ 633-2012 Table 1."""

PM25_24H_2026: Final = (0.0, 35.0, 60.0, 115.0, 150.0, 250.0, 350.0, 500.0)
"""PM2.5 24-hour average [µg/m³]; HJ 633-2026 Table 1 (IAQI 100 at 60, was 75)."""

_COMMON: Final = {
    "so2_24h": SO2_24H,
    "so2_1h": SO2_1H,
    "no2_24h": NO2_24H,
    "no2_1h": NO2_1H,
    "co_24h": CO_24H,
    "co_1h": CO_1H,
    "o3_1h": O3_1H,
}

BREAKPOINTS: Final[dict[AqiStandard, dict[str, tuple[float, ...]]]] = {
    _2012: {
        **_COMMON,
        "o3_1h_max": O3_1H,
        "o3_8h": O3_8H,
        "o3_8h_max": O3_8H,
        "pm10_24h": PM10_24H_2012,
        "pm25_24h": PM25_24H_2012,
    },
    # HJ 633-2026: the 1-hour PM values of the real-time report use the daily breakpoints.
    _2026: {
        **_COMMON,
        "o3_8h_max": O3_8H,
        "pm10_24h": PM10_24H_2026,
        "pm10_1h": PM10_24H_2026,
        "pm25_24h": PM25_24H_2026,
        "pm25_1h": PM25_24H_2026,
    },
}
"""Breakpoint table of every indicator each standard evaluates."""

ABOVE_TOP_IAQI: Final[dict[AqiStandard, dict[str, float]]] = {
    # HJ 633-2012 Table 1 notes (2), (3): no IAQI from these values; see FALLBACK.
    _2012: {"so2_1h": math.nan, "o3_8h": math.nan, "o3_8h_max": math.nan},
    # HJ 633-2026 Table 1 notes: SO2 1-h above 800 is IAQI 200, O3 8-h above 800 is IAQI 300.
    _2026: {"so2_1h": 200.0, "o3_8h_max": 300.0},
}
"""IAQI of the columns that stop short of IAQI 500, above their top breakpoint.

Every other column is capped at IAQI 500 above its top breakpoint (neither standard says
what to do there; this is common practice) and flagged ``beyond_table``.
"""

FALLBACK: Final[dict[str, str]] = {
    "so2_1h": "so2_24h",
    "o3_8h": "o3_1h",
    "o3_8h_max": "o3_1h_max",
}
"""HJ 633-2012 only: the indicator whose IAQI is reported when the key is above 800 µg/m³."""


@dataclass(frozen=True)
class Level:
    """One AQI level of HJ 633 Table 2 with its Annex A colour."""

    number: int
    aqi_low: int
    aqi_high: int
    name: str
    category: str
    category_en: str
    colour: str
    colour_en: str
    rgb: tuple[int, int, int]
    cmyk: tuple[int, int, int, int]
    health_effect: str
    advice: str


LEVELS: Final[tuple[Level, ...]] = (
    Level(1, 0, 50, "一级", "优", "Excellent", "绿色", "green", (0, 228, 0), (40, 0, 100, 0),
          "空气质量令人满意，基本无空气污染",
          "各类人群可正常活动"),
    Level(2, 51, 100, "二级", "良", "Good", "黄色", "yellow", (255, 255, 0), (0, 0, 100, 0),
          "空气质量可接受，但某些污染物可能对极少数异常敏感人群健康有较弱影响",
          "极少数异常敏感人群应减少户外活动"),
    Level(3, 101, 150, "三级", "轻度污染", "Lightly polluted", "橙色", "orange",
          (255, 126, 0), (0, 52, 100, 0),
          "易感人群症状有轻度加剧，健康人群出现刺激症状",
          "儿童、老年人及心脏病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼"),
    Level(4, 151, 200, "四级", "中度污染", "Moderately polluted", "红色", "red",
          (255, 0, 0), (0, 100, 100, 0),
          "进一步加剧易感人群症状，可能对健康人群心脏、呼吸系统有影响",
          "儿童、老年人及心脏病、呼吸系统疾病患者避免长时间、高强度的户外锻炼，"
          "一般人群适量减少户外运动"),
    Level(5, 201, 300, "五级", "重度污染", "Heavily polluted", "紫色", "purple",
          (153, 0, 76), (10, 100, 40, 30),
          "心脏病和肺病患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
          "儿童、老年人和心脏病、肺病患者应停留在室内，停止户外运动，一般人群减少户外运动"),
    Level(6, 301, 500, "六级", "严重污染", "Severely polluted", "褐红色", "maroon",
          (126, 0, 35), (30, 100, 100, 30),
          "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病",
          "儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动"),
)  # fmt: skip
"""The six levels, index ``number - 1``; HJ 633-2012 Table 2 and Annex A Table A.1.

Colours and RGB/CMYK are the same in HJ 633-2026 Table 1 and Table A.1. HJ 633-2026 writes
level 1 as AQI 1-50 and reworded the advice ("青少年儿童", "心血管系统疾病"); the 2012 wording is
kept here for both standards.
"""

# Upper AQI bound of levels 1-5 (HJ 633 Table 2); above 300 is level 6.
_LEVEL_UPPER: Final = np.array([50.0, 100.0, 150.0, 200.0, 300.0])


def level_of(aqi: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Return the AQI level 1-6 of HJ 633 Table 2, or 0 for NaN or negative AQIs.

    Parameters
    ----------
    aqi : array-like
        AQI values [dimensionless].

    Returns
    -------
    numpy.ndarray
        int64: 1 for 0-50, 2 for 51-100, 3 for 101-150, 4 for 151-200, 5 for 201-300,
        6 above 300; non-integer values fall in the level of their ceiling.

    References
    ----------
    .. [1] HJ 633-2012 Table 2; HJ 633-2026 Table 1.

    Examples
    --------
    >>> level_of([50, 51, 300, 301, float("nan")]).tolist()
    [1, 2, 5, 6, 0]
    """
    values = np.asarray(aqi, dtype=np.float64)
    level = np.searchsorted(_LEVEL_UPPER, values, side="left") + 1
    return np.where(values >= 0, level, 0).astype(np.int64)
