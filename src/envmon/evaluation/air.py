"""Ambient-air indicators and AQI over hourly grids of many stations (or regions) at once.

Everything here is array arithmetic on top of ``envmon.indices``: given hourly
concentrations of the six AQI pollutants for n subjects over whole Beijing days (the first
day serving as lead-in for the moving windows), it returns every indicator HJ 633 needs,
hourly and daily, and the AQI under the rule set in force at each hour or day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt

from envmon.indices import aggregation
from envmon.indices.aqi import AqiArrays, AqiMode, AqiStandard, aqi_arrays, standard_for

__all__ = [
    "AIR_CODES",
    "AirIndicators",
    "AqiBlock",
    "air_indicators",
    "aqi_blocks",
]

FloatArray = npt.NDArray[np.float64]

AIR_CODES: Final = {
    "so2": "a21026",
    "no2": "a21004",
    "co": "a21005",
    "o3": "a05024",
    "pm10": "a34002",
    "pm25": "a34004",
}
"""The six AQI pollutants by their HJ 212-2017 codes (µg/m³; CO mg/m³)."""


@dataclass(frozen=True)
class AirIndicators:
    """Hourly indicators on the hour grid and daily ones on the day grid, by name.

    Hourly: ``{p}_1h`` for the six pollutants, ``{p}_24h`` moving means for so2, pm10 and
    pm25, ``o3_8h`` moving; with their valid-hour counts in ``hourly_counts``. Daily:
    ``{p}_24h`` daily means, ``o3_8h_max`` (MDA8) and ``o3_1h_max``, counts likewise.
    """

    hourly: dict[str, FloatArray]
    hourly_counts: dict[str, npt.NDArray[np.int64]]
    daily: dict[str, FloatArray]
    daily_counts: dict[str, npt.NDArray[np.int64]]


def air_indicators(
    hourly: Mapping[str, FloatArray],
    *,
    daily_means: Mapping[str, FloatArray] | None = None,
) -> AirIndicators:
    """Computes the indicators of ``hourly`` (pollutant → (n, 24·days) array, NaN invalid).

    Moving windows reach back across midnight, so the first day's windows lack lead-in and
    are only context. ``daily_means`` replaces the 24-h means computed from ``hourly``
    (a region's daily value is the mean of its stations' daily values, see
    :func:`envmon.evaluation.flows`).

    References
    ----------
    .. [1] GB 3095-2012/-2026 Table 4 (validity); HJ 663 (MDA8); HJ 633-2012 §4, Table 4
       (real-time indicators: PM 24-h moving means, O3 8-h moving mean).
    """
    out_h: dict[str, FloatArray] = {}
    cnt_h: dict[str, npt.NDArray[np.int64]] = {}
    out_d: dict[str, FloatArray] = {}
    cnt_d: dict[str, npt.NDArray[np.int64]] = {}
    for pollutant, values in hourly.items():
        out_h[f"{pollutant}_1h"] = values
        cnt_h[f"{pollutant}_1h"] = (~np.isnan(values)).astype(np.int64)
        if daily_means is not None and pollutant in daily_means:
            day_values = daily_means[pollutant]
            day_counts = (~np.isnan(day_values)).astype(np.int64)
        else:
            daily = aggregation.daily_means(values)
            day_values, day_counts = daily.values, daily.valid_hours
        out_d[f"{pollutant}_24h"] = day_values
        cnt_d[f"{pollutant}_24h"] = day_counts
        if pollutant in ("so2", "pm10", "pm25"):
            moving = aggregation.moving_mean(values, window=24, min_valid=20)
            out_h[f"{pollutant}_24h"] = moving.values
            cnt_h[f"{pollutant}_24h"] = moving.valid_hours
        if pollutant == "o3":
            eight = aggregation.o3_8h_moving(values)
            out_h["o3_8h"], cnt_h["o3_8h"] = eight.values, eight.valid_hours
            mda8 = aggregation.o3_daily_max_8h(values)
            out_d["o3_8h_max"], cnt_d["o3_8h_max"] = mda8.values, mda8.valid_count
            top = aggregation.daily_max_hourly(values)
            out_d["o3_1h_max"], cnt_d["o3_1h_max"] = top.values, top.valid_count
    return AirIndicators(out_h, cnt_h, out_d, cnt_d)


# What each rule set's AQI reads, by indicator name, from AirIndicators.
_HOURLY_SOURCE: Final = {
    AqiStandard.HJ633_2012: {
        "so2_1h": "so2_1h",
        "no2_1h": "no2_1h",
        "co_1h": "co_1h",
        "o3_1h": "o3_1h",
        "o3_8h": "o3_8h",
        "pm10_24h": "pm10_24h",
        "pm25_24h": "pm25_24h",
        "so2_24h": "so2_24h",
    },
    AqiStandard.HJ633_2026: {
        "so2_1h": "so2_1h",
        "no2_1h": "no2_1h",
        "co_1h": "co_1h",
        "o3_1h": "o3_1h",
        "pm10_1h": "pm10_1h",
        "pm25_1h": "pm25_1h",
    },
}
_DAILY_SOURCE: Final = {
    AqiStandard.HJ633_2012: {
        "so2_24h": "so2_24h",
        "no2_24h": "no2_24h",
        "pm10_24h": "pm10_24h",
        "co_24h": "co_24h",
        "o3_1h_max": "o3_1h_max",
        "o3_8h_max": "o3_8h_max",
        "pm25_24h": "pm25_24h",
    },
    AqiStandard.HJ633_2026: {
        "so2_24h": "so2_24h",
        "no2_24h": "no2_24h",
        "co_24h": "co_24h",
        "o3_8h_max": "o3_8h_max",
        "pm10_24h": "pm10_24h",
        "pm25_24h": "pm25_24h",
    },
}


@dataclass(frozen=True)
class AqiBlock:
    """AQI of columns ``[first, last)`` of a grid under one standard, with its inputs."""

    mode: AqiMode
    first: int
    last: int
    result: AqiArrays
    inputs: dict[str, FloatArray]


def aqi_blocks(
    indicators: AirIndicators,
    *,
    mode: AqiMode,
    starts: list[datetime],
    first: int,
    standard: AqiStandard | None = None,
) -> list[AqiBlock]:
    """AQI of columns ``first:`` of the hourly or daily grid, split where the rule set
    changes (HJ 633-2012 before 2026-03-01 Beijing, HJ 633-2026 from then on) unless
    ``standard`` forces one. ``starts`` are the columns' period starts (UTC)."""
    source = _HOURLY_SOURCE if mode == AqiMode.HOURLY else _DAILY_SOURCE
    values = indicators.hourly if mode == AqiMode.HOURLY else indicators.daily
    chosen = [standard or standard_for(at) for at in starts]
    blocks = []
    column = first
    while column < len(starts):
        end = column
        while end < len(starts) and chosen[end] == chosen[column]:
            end += 1
        rule = chosen[column]
        inputs = {
            name: values[key][:, column:end]
            for name, key in source[rule].items()
            if key in values
        }
        result = aqi_arrays(inputs, standard=rule, mode=mode)
        blocks.append(AqiBlock(mode, column, end, result, inputs))
        column = end
    return blocks


def hour_starts(start: datetime, hours: int) -> list[datetime]:
    """The UTC starts of ``hours`` consecutive hours."""
    return [start + timedelta(hours=h) for h in range(hours)]
